"""Figures formatted as NHS publications print them: 73,776; 58.1%; '-' for not available."""

from __future__ import annotations

from ics_capacity.domain import moments

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


when = moments.when  # the one formatter for moments, shared with the services' messages
