"""Alembic environment: migrates the database named by REFLEX_DB_URL (or the embedded default)."""

from sqlmodel import SQLModel

import ics_capacity.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from ics_capacity.db.session import engine_for
from ics_capacity.settings import database_url

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    """Writes the SQL of the migrations instead of running them."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Runs the migrations on a live connection (given by the caller, or opened here)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or database_url()
    with engine_for(url).connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
