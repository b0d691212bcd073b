"""The executive dashboard's questions, answered for a member: projection, trusts, capacity.

The page only shows what these return. A projection is cached per backend process, keyed on the
scenario *and the content it reads*: the newest audit event of any scenario of its collaborative
(every change of capacity, demand, case-mix or status writes one in the same transaction; a
projection also reads its parent and the baseline) and the newest finished optimiser run. An edit
therefore never shows figures from before it. The caller's right to
see the scenario is checked on every request, cached or not.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col

from ics_capacity.db.models import AuditEvent, Scenario, SolveJob
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.projections import (
    ScenarioProjection,
    capacity_needed,
    dashboard_chart_specs,
    project_scenario,
)
from ics_capacity.services.scenarios import scenario_transaction

MAX_HORIZON_WEEKS = 104
_CACHE: OrderedDict[tuple, ScenarioProjection] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def _content_key(token: str, scenario_id: int, horizon_weeks: int) -> tuple:
    """(scenario, horizon, newest audit event, newest finished run), after checking the caller.

    Events and runs are the collaborative's, not only the scenario's: a projection also reads
    its parent (the comparison) and the baseline (the calibration of its capacity).
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        collaborative = use.scenario.collaborative_id
        scenarios = sa.select(col(Scenario.id)).where(
            col(Scenario.collaborative_id) == collaborative
        )
        last_change = use.session.execute(
            sa.select(sa.func.max(AuditEvent.id)).where(col(AuditEvent.scenario_id).in_(scenarios))
        ).scalar()
        last_run = use.session.execute(
            sa.select(sa.func.max(SolveJob.id)).where(
                col(SolveJob.scenario_id).in_(scenarios), col(SolveJob.status) == "done"
            )
        ).scalar()
        return (use.scenario.id, horizon_weeks, use.scenario.version, last_change, last_run)


def scenario_projection(token: str, scenario_id: int, horizon_weeks: int) -> ScenarioProjection:
    """The scenario's projection for a member, from the cache while the scenario is unchanged."""
    if not 4 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(f"Horizon: 4 to {MAX_HORIZON_WEEKS} weeks.")
    key = _content_key(token, scenario_id, horizon_weeks)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    projection = project_scenario(token, scenario_id, horizon_weeks=horizon_weeks)
    with _CACHE_LOCK:
        _CACHE[key] = projection
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return projection


def trust_charts(token: str, scenario_id: int, horizon_weeks: int, unit: str) -> dict[str, dict]:
    """The dashboard's chart specs for the collaborative ('') or one member trust's id."""
    projection = scenario_projection(token, scenario_id, horizon_weeks)
    try:
        provider = int(unit) if unit else None
    except ValueError:
        raise InvalidInputError("That trust is not a member of the collaborative.") from None
    if provider is not None and provider not in projection.names:
        raise InvalidInputError("That trust is not a member of the collaborative.")
    return dashboard_chart_specs(projection, provider)


def _data_date(token: str, scenario_id: int) -> dt.date:
    """The last day of the month of the scenario's published data (its RTT period)."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        period = use.scenario.data_period
    if period is None:
        raise InvalidInputError("This scenario has no data period; import an RTT file first.")
    next_month = (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return next_month - dt.timedelta(days=1)


@dataclass(frozen=True)
class CapacityRow:
    """One trust's treatments a week: today's capacity and what the target needs."""

    trust: str
    now: float
    needed: float


@dataclass(frozen=True)
class CapacityAnswer:
    """Treatments a week each trust needs to reach a target share within 18 weeks by a date."""

    rows: list[CapacityRow]
    target_percent: float
    by_date: dt.date
    by_week: int
    data_date: dt.date


def capacity_question(
    token: str, scenario_id: int, horizon_weeks: int, target: str, by: str
) -> CapacityAnswer:
    """Answers "how much more treatment a week reaches this 18-week share by this date?".

    The date is counted from the scenario's own data date (the projection's start), not a fixed
    date, and must fall within the projection's reach.
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
    projection = scenario_projection(token, scenario_id, horizon_weeks)
    data_date = projection.start_date or _data_date(token, scenario_id)
    weeks = (by_date - data_date).days // 7
    if not 1 <= weeks <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(
            f"By: choose a date within two years after the data ({data_date:%d %B %Y})."
        )
    table = capacity_needed(
        token, scenario_id, measure="pct_within_18", value=target_percent, by_week=weeks
    )
    by_trust = table.groupby("provider", sort=False)[
        ["capacity_per_week", "required_capacity_per_week"]
    ].sum()
    rows = [
        CapacityRow(
            trust=projection.names.get(int(str(provider)), str(provider)),
            now=float(row["capacity_per_week"]),
            needed=float(row["required_capacity_per_week"]),
        )
        for provider, row in by_trust.iterrows()
    ]
    return CapacityAnswer(rows, target_percent, by_date, weeks, data_date)
