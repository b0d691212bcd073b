"""The two questions a member asks on the Dashboard: the capacity a target needs, and a target.

"How much more treatment a week reaches this 18-week share by this date?" (`capacity_question`)
and "does the projection meet this dated target of mine?" (`check_target`). Both are answered
against the same projection, content key and caches as the rest of the Dashboard
(`services/dashboard.py`), which checks the caller on every request. With a job queue a solver
worker answers them, and a page polls `capacity_answer` and `target_answer` from its event loop
(None while the worker computes); the other two wait in their thread, for callers that are not
pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.targets import DEFAULT_TARGETS, TargetError, parse_target
from ics_capacity.projections.queue_kpis import RTT_STANDARD_PERCENT, RTT_TARGETS
from ics_capacity.projections.stored_frames import frame_from_json
from ics_capacity.services.dashboard import (
    MAX_HORIZON_WEEKS,
    check_horizon,
    checked_key,
    keyed_projection,
    polled_answer,
    polled_view,
    scenario_data_date,
    scenario_projection,
)
from ics_capacity.services.job_queue import uses_queue
from ics_capacity.services.projection_figures import rag_date
from ics_capacity.services.projection_views import CAPACITY, TARGETS, key_hash, wait_for
from ics_capacity.services.projections import ScenarioProjection, capacity_needed
from ics_capacity.services.targets import TargetReport, scenario_targets

RAG_MARGIN_POINTS = next(t.amber_margin for t in RTT_TARGETS if t.measure == "pct_within_18")

__all__ = [
    "CapacityAnswer",
    "CapacityRow",
    "capacity_answer",
    "capacity_question",
    "check_target",
    "default_capacity_question",
    "target_answer",
]


@dataclass(frozen=True)
class CapacityRow:
    """One trust's treatments a week: the scenario's capacity and what the target needs.

    The target is met list by list (treatment function), and treatment does not move between
    specialties: `short` adds up what the lists below the target lack, `spare` what the others
    have beyond it. A trust can need fewer treatments in all (`needed` < `now`) and still miss
    the target, when its spare capacity is in the wrong specialties.
    """

    trust: str
    now: float
    needed: float
    projected_percent: float | None = None
    status: str = ""
    short: float = 0.0
    spare: float = 0.0


@dataclass(frozen=True)
class CapacityAnswer:
    """Treatments a week each trust needs to reach a target share within 18 weeks by a date.

    `rows[i].projected_percent` is the share the scenario's projection (the one the RAG rates)
    reaches at that week with its own capacity, and `status` rates it against the target with the
    RAG's margin, so the table and the RAG cannot disagree on the same target and date.
    `rag_note` says how the question relates to the RAG's own targets.
    """

    rows: list[CapacityRow]
    target_percent: float
    by_date: dt.date
    by_week: int
    data_date: dt.date
    rag_note: str = ""


def default_capacity_question(projection: ScenarioProjection) -> tuple[str, str]:
    """The question the RAG's standing standard asks: 92% within 18 weeks at the horizon.

    Returns:
        (target percent, ISO date of the end of the horizon's last week).
    """
    weeks = int(projection.deterministic.frame("total")["week"].iloc[-1])
    return f"{RTT_STANDARD_PERCENT:g}", rag_date(projection.start_date, weeks).isoformat()


def _status(value: float | None, target: float) -> str:
    if value is None:
        return "Not projected"
    shortfall = target - value
    if shortfall <= 1e-9:
        return "Green"
    return "Amber" if shortfall <= RAG_MARGIN_POINTS else "Red"


def capacity_question(
    token: str, scenario_id: int, horizon_weeks: int, target: str, by: str
) -> CapacityAnswer:
    """Answers "how much more treatment a week reaches this 18-week share by this date?".

    The date is counted from the scenario's own data date (the projection's start), not a fixed
    date, and must fall within the projection's reach. "Now" and the projected share are the
    scenario's projection (its capacity, rota and plan): the same population (all pathways of
    the member trusts), input and dates as the RAG. With a job queue a solver worker works the
    capacity out, and this blocks its thread while it waits (a page polls `capacity_answer`).
    """
    return wait_for(capacity_answer, token, scenario_id, horizon_weeks, target, by)


def capacity_answer(
    token: str, scenario_id: int, horizon_weeks: int, target: str, by: str, *, ask: bool
) -> CapacityAnswer | None:
    """`capacity_question`'s answer, or None while a solver worker works it out (with a queue).

    Without a queue it is computed here at once. With one, the caller and the question are
    checked here, and the capacity each list needs (the inverse projection: a search over whole
    projections) is asked of the workers on the first look (`ask`).

    Raises:
        InvalidInputError: a target or date that is not valid, with the part that is wrong.
        ScenarioError: the worker could not answer (in its words).
    """
    try:
        target_percent = float(str(target).strip().rstrip("%"))
    except ValueError:
        raise InvalidInputError(f"Target: '{target}' is not a percentage.") from None
    if not 1 <= target_percent <= 100:
        raise InvalidInputError("Target: a share from 1% to 100%.")
    try:
        by_date = dt.date.fromisoformat(str(by))
    except ValueError:
        raise InvalidInputError(f"By: '{by}' is not a date.") from None
    check_horizon(horizon_weeks)
    key = checked_key(token, scenario_id, horizon_weeks)
    if uses_queue():
        shared = polled_view(key, scenario_id, horizon_weeks, ask=ask)
        if shared is None:
            return None
        projection = shared.projection
    else:
        projection = keyed_projection(key, token)
    data_date = projection.start_date or scenario_data_date(token, scenario_id)
    weeks = (by_date - data_date).days // 7
    if not 1 <= weeks <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(
            f"By: choose a date within two years after the data ({data_date:%d %B %Y})."
        )
    if not uses_queue():
        table = capacity_needed(
            token, scenario_id, measure="pct_within_18", value=target_percent, by_week=weeks
        )
    else:
        table = polled_answer(
            (CAPACITY, *key, target_percent, weeks),
            scenario_id,
            horizon_weeks,
            ask=ask,
            kind=CAPACITY,
            params={"measure": "pct_within_18", "value": target_percent, "by_week": weeks},
            read=frame_from_json,
        )
        if table is None:
            return None
    return _capacity_answer(projection, table, target_percent, by_date, weeks, data_date)


def _capacity_answer(
    projection: ScenarioProjection,
    table: pd.DataFrame,
    target_percent: float,
    by_date: dt.date,
    weeks: int,
    data_date: dt.date,
) -> CapacityAnswer:
    """The answer from each list's capacity now and needed (`capacity_needed`'s table)."""
    gap = table["required_capacity_per_week"] - table["capacity_per_week"]
    table = table.assign(short=gap.clip(lower=0.0), spare=(-gap).clip(lower=0.0))
    by_trust = table.groupby("provider", sort=False)[
        ["capacity_per_week", "required_capacity_per_week", "short", "spare"]
    ].sum()
    by_provider = projection.deterministic.frame("provider")
    at_week = by_provider[by_provider["week"] == weeks].set_index("provider")["pct_within_18"]
    rows = []
    for provider, row in by_trust.iterrows():
        key = int(str(provider))
        value = float(at_week[key]) if key in at_week.index else None
        rows.append(
            CapacityRow(
                trust=projection.names.get(key, str(provider)),
                now=float(row["capacity_per_week"]),
                needed=float(row["required_capacity_per_week"]),
                projected_percent=value,
                status=_status(value, target_percent),
                short=float(row["short"]),
                spare=float(row["spare"]),
            )
        )
    standing_week = int(by_provider["week"].max())
    standing_date = rag_date(data_date, standing_week)
    if abs(target_percent - RTT_STANDARD_PERCENT) < 1e-9 and weeks == standing_week:
        rag_note = (
            "This is the question the RAG's '92% within 18 weeks (standard)' row rates: the same "
            "target, date, population and projection."
        )
    else:
        rag_note = (
            f"The RAG rates the 92% standard at the horizon, {standing_date:%d %B %Y} (week "
            f"{standing_week}); this question asks {target_percent:g}% by {by_date:%d %B %Y} "
            f"(week {weeks}), so the two can differ. Ask 92% by {standing_date:%d %B %Y} to see "
            "what the RAG's rating needs."
        )
    return CapacityAnswer(rows, target_percent, by_date, weeks, data_date, rag_note)


def check_target(
    token: str,
    scenario_id: int,
    horizon_weeks: int,
    *,
    kind: str,
    value: str,
    over_weeks: str,
    due: str,
) -> TargetReport:
    """The dashboard's dated targets and one more the member set, against the projection.

    With a job queue a solver worker rates them, and this blocks its thread while it waits (a
    page polls `target_answer`).

    Raises:
        InvalidInputError: a target that is not valid, with the part that is wrong.
    """
    return wait_for(
        target_answer,
        token,
        scenario_id,
        horizon_weeks,
        kind=kind,
        value=value,
        over_weeks=over_weeks,
        due=due,
    )


def target_answer(
    token: str,
    scenario_id: int,
    horizon_weeks: int,
    *,
    kind: str,
    value: str,
    over_weeks: str,
    due: str,
    ask: bool,
) -> TargetReport | None:
    """`check_target`'s report, or None while a solver worker rates the targets (with a queue).

    Without a queue it is computed here at once. With one, the caller and the target are
    checked here, and the rating (each trust's input read again, and for a missed target the
    inverse projection) is asked of the workers on the first look (`ask`), against the stored
    Dashboard view.

    Raises:
        InvalidInputError: a target that is not valid, with the part that is wrong.
        ScenarioError: the worker could not rate them (in its words).
    """
    try:
        target = parse_target(kind, value, over_weeks, due)
    except TargetError as error:
        raise InvalidInputError(str(error)) from None
    if not uses_queue():
        projection = scenario_projection(token, scenario_id, horizon_weeks)
        return scenario_targets(token, scenario_id, projection, (*DEFAULT_TARGETS, target))
    check_horizon(horizon_weeks)
    key = checked_key(token, scenario_id, horizon_weeks)
    if polled_view(key, scenario_id, horizon_weeks, ask=ask) is None:
        return None
    asked = [kind, value, over_weeks, due]
    return polled_answer(
        (TARGETS, *key, *asked),
        scenario_id,
        horizon_weeks,
        ask=ask,
        kind=TARGETS,
        params={"target": asked, "view": key_hash(key)},
        read=TargetReport.from_json,
    )
