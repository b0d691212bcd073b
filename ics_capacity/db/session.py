"""Engine and unit of work: one transaction per use case."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session

from ics_capacity.domain.errors import DatabaseUnavailableError
from ics_capacity.settings import database_url


@functools.cache
def engine_for(url: str) -> sa.Engine:
    """A pooled engine for the URL; SQLite gets foreign keys enforced and a busy timeout."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def get_engine() -> sa.Engine:
    """The engine of the configured database."""
    return engine_for(database_url())


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed only by an explicit `session.commit()`.

    Leaving the block without committing, or with an exception, rolls everything back. A lost
    connection or a busy database is raised as `DatabaseUnavailableError`, which pages show.
    """
    engine = engine_for(url) if url else get_engine()
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except sa.exc.DBAPIError as error:
        # A dropped connection (server restarted, network cut, connection killed) or a busy
        # database is not the caller's fault: the transaction is rolled back whole, the pool
        # drops the dead connection (pre-ping checks the next one), and the person is told.
        if error.connection_invalidated or isinstance(error, sa.exc.OperationalError):
            raise DatabaseUnavailableError() from error
        raise
    finally:
        session.rollback()
        session.close()
