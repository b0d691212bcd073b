"""Figures formatted as NHS publications print them: 73,776; 58.1%; '-' for not available."""

from __future__ import annotations

import datetime as dt

NOT_AVAILABLE = "–"


def count(value: float | None) -> str:
    """A count with thousands separators (73,776)."""
    return NOT_AVAILABLE if value is None else f"{round(value):,}"


def decimal(value: float | None, places: int = 1) -> str:
    """A number with thousands separators and fixed decimals (9,417.2)."""
    return NOT_AVAILABLE if value is None else f"{value:,.{places}f}"


def percent(rate: float | None, places: int = 1) -> str:
    """A rate as a percentage (0.5812 -> 58.1%)."""
    return NOT_AVAILABLE if rate is None else f"{rate * 100:.{places}f}%"


def when(moment: dt.datetime | None) -> str:
    """A moment in UTC as '03 Dec 2026 21:40 UTC' ('' when unknown).

    The database hands back naive datetimes on SQLite and aware ones on PostgreSQL; both hold
    UTC, so a naive one is read as UTC.
    """
    if moment is None:
        return ""
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return f"{moment:%d %b %Y %H:%M} UTC"
