"""One column type for moments: stored as UTC, read back UTC-aware on every database.

How a moment is shown (`when`) lives in `domain/moments.py`, beside `as_utc`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ics_capacity.domain.moments import as_utc


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
