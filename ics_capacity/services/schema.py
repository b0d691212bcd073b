"""Schema migrations, run through Alembic's API so the CLI and the tests share one path."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from alembic import command
from ics_capacity.db.session import engine_for
from ics_capacity.settings import REPO_ROOT, database_url


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic configuration, pointed at URL (default: the configured database)."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade(revision: str = "head", url: str | None = None) -> None:
    """Migrates the database up to the revision."""
    command.upgrade(alembic_config(url), revision)


def downgrade(revision: str, url: str | None = None) -> None:
    """Migrates the database down to the revision ('base' removes every table)."""
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None if it has no schema."""
    with engine_for(url or database_url()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
