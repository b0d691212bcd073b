"""The one Alembic chain builds the schema from empty, takes it down and builds it again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

import ics_capacity.db.models  # noqa: F401
from ics_capacity.services.schema import current_revision, downgrade, upgrade


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    """Upgrade from empty creates every table; downgrade removes them; upgrade works again."""
    upgrade("head", empty_db_url)
    assert _tables(empty_db_url) == set(SQLModel.metadata.tables)
    assert current_revision(empty_db_url) is not None

    downgrade("base", empty_db_url)
    assert _tables(empty_db_url) == set()
    assert current_revision(empty_db_url) is None

    upgrade("head", empty_db_url)
    assert _tables(empty_db_url) == set(SQLModel.metadata.tables)


def test_migrations_match_the_models(empty_db_url: str) -> None:
    """Autogenerate finds nothing to add: the migration chain and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade("head", empty_db_url)
    engine = sa.create_engine(empty_db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []
