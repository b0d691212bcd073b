"""Moments as the app reads and shows them: UTC-aware, and one way of writing them for people."""

from __future__ import annotations

import datetime as dt


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A datetime as UTC-aware; a naive one is taken to hold UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def when(moment: dt.datetime | None) -> str:
    """A moment as people read it everywhere in the app: '03 Dec 2026 21:40 UTC' ('' unknown)."""
    return "" if moment is None else f"{as_utc(moment):%d %b %Y %H:%M} UTC"
