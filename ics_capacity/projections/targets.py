"""Dated targets against projected waiting lists, trust by trust, with and without the plan.

`evaluate_targets` reads `Projection.frame("provider")` frames (hand-built ones in the tests):
each target is rated at the last projected week that ends on or before its date, as the RAG
rates its dated targets (`queue_kpis.rag_status`). A target due before the first projected week
ends, or after the projection ends, is "not projected" rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ics_capacity.domain.targets import DatedTarget

TARGET_COLUMNS = [
    "provider",
    "target",
    "measure",
    "due",
    "week",
    "with_plan",
    "without_plan",
    "met",
    "met_without_plan",
    "shortfall",
    "unit",
]


def rated_week(frame: pd.DataFrame, start: dt.date, due: dt.date) -> int | None:
    """The last projected week ending on or before `due`; None if the projection misses it.

    Week w's figures apply at `start` + w weeks (the end of the w-th week after the data).
    """
    weeks = frame["week"].astype(int)
    last = int(weeks.max())
    week = (due - start).days // 7
    if week < 1 or week > last:
        return None
    return week


def _value(frame: pd.DataFrame | None, provider: object, week: int, measure: str) -> float:
    if frame is None:
        return float("nan")
    rows = frame[(frame["provider"] == provider) & (frame["week"] == week)]
    return float(rows[measure].iloc[0]) if len(rows) else float("nan")


def evaluate_targets(
    with_plan: pd.DataFrame,
    targets: Sequence[DatedTarget],
    start: dt.date,
    without_plan: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each trust against each dated target, with the plan and (if given) without it.

    Args:
        with_plan: `Projection.frame("provider")` of the scenario: `provider`, `week` and the
            target's measure (`over_65`, `pct_within_18`, ...).
        targets: The dated targets.
        start: The projection's start date (its week 0, the data date).
        without_plan: The same frame for the comparison (parent or baseline), or None.

    Returns:
        One row per trust x target (`TARGET_COLUMNS`): the rated `week` (NaN when not
        projected), the projected value `with_plan` and `without_plan` (NaN when absent),
        `met` (True, False, or None when not projected), `shortfall` (patients or percentage
        points the plan misses by, 0 when met) and its `unit`.
    """
    rows: list[tuple[Any, ...]] = []
    providers = list(dict.fromkeys(with_plan["provider"]))
    for target in targets:
        week = rated_week(with_plan, start, target.due)
        for provider in providers:
            if week is None:
                rows.append(
                    (provider, target.label, target.measure, target.due, np.nan, np.nan, np.nan)
                    + (None, None, np.nan, target.unit)
                )
                continue
            mine = _value(with_plan, provider, week, target.measure)
            other = _value(without_plan, provider, week, target.measure)
            rows.append(
                (
                    provider,
                    target.label,
                    target.measure,
                    target.due,
                    week,
                    mine,
                    other,
                    target.met(mine),
                    None if np.isnan(other) else target.met(other),
                    target.shortfall(mine),
                    target.unit,
                )
            )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)
