"""One column type for moments: stored as UTC, read back UTC-aware on every database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """A moment stored as UTC and always read back UTC-aware, on every database.

    SQLite keeps no time zone and hands back naive datetimes even for a timezone-aware column;
    PostgreSQL hands back aware ones in the session's zone. This one column type makes both
    return aware UTC, so no reader has to patch a naive value (and comparing with `utc_now()`
    never raises). A naive value written is taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        """Writes the moment as UTC."""
        return None if value is None else as_utc(value)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        """Reads the moment back UTC-aware."""
        return None if value is None else as_utc(value)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A datetime as UTC-aware; a naive one is taken to hold UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def when(moment: dt.datetime | None) -> str:
    """A moment as people read it everywhere in the app: '03 Dec 2026 21:40 UTC' ('' unknown)."""
    return "" if moment is None else f"{as_utc(moment):%d %b %Y %H:%M} UTC"
