"""Projections of a scenario for the executive dashboard: DB rows -> cohort model -> figures.

The member trusts' waiting lists, recent RTT activity, case-mix and site capacity of a scenario
are read in one transaction and handed to the pure projection engine (`ics_capacity.projections`).
Treatment a week is today's published completions, moved by the scenario's theatres, beds,
case mix and staffed rota sessions against the collaborative's baseline, and by its saved
rebalancing plan (`ics_capacity.projections.capacity`, docs/projections.md). A scenario is
projected beside its parent (or the baseline), so the dashboard shows the position with and
without the plan.

This module holds the use cases; the parts live beside it:
- `projection_snapshot`: reading the scenario, its baseline and comparison in the transaction.
- `projection_input`: the snapshot turned into the engine's input (capacity, calendar, plan).
- `projection_figures`: `ScenarioProjection` and the headline, removals and charts read off it.
Their public names are importable from here as before.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlmodel import Session

from ics_capacity.db.models import (
    Scenario,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.projections.cohort import (
    METRICS,
    Variation,
    project,
    simulate,
)
from ics_capacity.projections.inputs import (
    ProjectionInput,
)
from ics_capacity.projections.queue_kpis import capacity_to_meet_target, rag_status
from ics_capacity.services.projection_figures import (
    HEADLINE_MEASURES,
    RemovalFigures,
    ScenarioProjection,
    comparison_removal_figures,
    dashboard_chart_specs,
    projection_headline,
    removal_figures,
)
from ics_capacity.services.projection_input import observed_validation_shares, scenario_input
from ics_capacity.services.projection_snapshot import (
    MAX_HORIZON_WEEKS,
    Snapshot,
    read_snapshot,
    snapshot_date,
    validation_basis,
    validation_shares,
)
from ics_capacity.services.rebalance import (
    ScenarioNotFoundError,
)
from ics_capacity.services.scenarios import ScenarioError, scenario_transaction

__all__ = [
    "DEFAULT_VARIATION",
    "HEADLINE_MEASURES",
    "MAX_HORIZON_WEEKS",
    "MONTE_CARLO_RUNS",
    "PROJECTION_METHOD",
    "RemovalFigures",
    "ScenarioProjection",
    "TrustWeekFigures",
    "capacity_needed",
    "capacity_needed_as_operator",
    "check_capacity_target",
    "comparison_removal_figures",
    "dashboard_chart_specs",
    "observed_validation_shares",
    "project_scenario",
    "project_scenario_as_operator",
    "projection_headline",
    "removal_figures",
    "scenario_projection_input",
    "snapshot_date",
    "trust_week_figures",
    "validation_basis",
    "validation_shares",
]

MONTE_CARLO_RUNS = 200
# Default variation for the uncertainty bands: weekly noise of 10% in demand and capacity and a
# 5% run-to-run level shift (an assumption, docs/projections.md).
DEFAULT_VARIATION = Variation(
    demand_cv_weekly=0.10, demand_cv_level=0.05, capacity_cv_weekly=0.10, capacity_cv_level=0.05
)


def _project(
    snapshot: Snapshot,
    *,
    horizon_weeks: int,
    runs: int,
    seed: int,
    comparison_runs: int = 0,
) -> ScenarioProjection:
    """Projects the snapshot's scenario and its comparison (with Monte Carlo if asked)."""
    rows = snapshot.scenario
    if rows.frames["waiting_list"].empty:
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")
    inp, notes = scenario_input(rows, snapshot, horizon_weeks)
    deterministic = project(inp, levels=("total", "provider"))
    monte_carlo = simulate(
        inp,
        runs=runs,
        rng=np.random.default_rng(seed),
        variation=DEFAULT_VARIATION,
        levels=("total", "provider"),
    )
    other = snapshot.comparison
    base_projection, base_monte_carlo = None, None
    if other is not None and not other.frames["waiting_list"].empty:
        base_inp, _ = scenario_input(other, snapshot, horizon_weeks)
        base_projection = project(base_inp, levels=("total", "provider"))
        if comparison_runs:
            base_monte_carlo = simulate(
                base_inp,
                runs=comparison_runs,
                rng=np.random.default_rng(seed),
                variation=DEFAULT_VARIATION,
                levels=("total", "provider"),
            )
    names = snapshot.names
    rag = rag_status(deterministic.frame("provider"), unit_columns=["provider"])
    rag["provider"] = rag["provider"].map(lambda p: names.get(int(p), str(p)))
    return ScenarioProjection(
        scenario_name=rows.name,
        baseline_name=other.name if other is not None else None,
        names=names,
        deterministic=deterministic,
        monte_carlo=monte_carlo,
        baseline=base_projection,
        rag=rag,
        start_date=inp.start_date,
        comparison=snapshot.comparison_wording,
        notes=notes,
        baseline_monte_carlo=base_monte_carlo,
        validation_basis=validation_basis(rows.validation),
        baseline_validation_basis=(
            validation_basis(other.validation)
            if other is not None and base_projection is not None
            else ""
        ),
    )


def project_scenario(
    token: str,
    scenario_id: int,
    *,
    horizon_weeks: int = 104,
    runs: int = MONTE_CARLO_RUNS,
    seed: int = 2026,
) -> ScenarioProjection:
    """Projects a scenario week by week (deterministic and Monte Carlo), with its comparison.

    Treatment follows the scenario's own capacity and saved plan; the comparison ("without the
    plan") is its parent scenario, or the collaborative's baseline when it has none.
    """
    if not 4 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise ScenarioError("The horizon is 4 to 104 weeks.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        snapshot = read_snapshot(use.session, use.scenario)
    return _project(snapshot, horizon_weeks=horizon_weeks, runs=runs, seed=seed)


def project_scenario_as_operator(
    scenario_id: int,
    *,
    horizon_weeks: int = 104,
    runs: int = MONTE_CARLO_RUNS,
    seed: int = 2026,
    db_url: str | None = None,
    comparison_runs: int | None = None,
) -> ScenarioProjection:
    """The dashboard's projection of a scenario, run as the server operator (the CLI).

    No caller is checked: only the operator's command line calls this, and a solver worker
    computing a view a web process asked for after checking its caller
    (`services/projection_views.py`). The comparison gets its own Monte Carlo run too
    (`baseline_monte_carlo`, `comparison_runs`, default `runs`), for its 80% band; 0 leaves it
    out, as the Dashboard's `project_scenario` does.

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
        ScenarioError: If the horizon is not 4 to 104 weeks or there is nothing to project.
    """
    if not 4 <= horizon_weeks <= 104:
        raise ScenarioError("The horizon is 4 to 104 weeks.")
    with unit_of_work(db_url) as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioNotFoundError(scenario_id)
        snapshot = read_snapshot(session, scenario)
    return _project(
        snapshot,
        horizon_weeks=horizon_weeks,
        runs=runs,
        seed=seed,
        comparison_runs=runs if comparison_runs is None else comparison_runs,
    )


PROJECTION_METHOD = "deterministic cohort projection v1 (docs/projections.md)"
"""The method a recorded baseline's figures were made by; change it when the projection changes."""


@dataclass(frozen=True)
class TrustWeekFigures:
    """One member trust's projected figures in one week of a scenario's deterministic projection."""

    ods_code: str
    trust_name: str
    week: int
    at_date: dt.date | None
    waiting_list: float
    within_18_weeks_share: float
    over_52_weeks: float
    over_65_weeks: float
    over_78_weeks: float
    treated_to_week: float = 0.0
    removed_by_validation_to_week: float = 0.0


def trust_week_figures(session: Session, scenario: Scenario) -> list[TrustWeekFigures]:
    """Each member trust's figures in weeks 0..104 of the Dashboard's projection of `scenario`.

    The same deterministic projection the Dashboard and Compare read (`project_scenario`, its
    own capacity, calendar and saved plan; published activity for the baseline), made inside the
    caller's transaction, so an approval records exactly the rows it approves.

    Raises:
        ScenarioError: no member trusts, or no waiting list to project.
    """
    inp, snapshot = _checked_input(session, scenario, MAX_HORIZON_WEEKS)
    frame = project(inp, levels=("provider",)).frame("provider")
    frame = with_flows_to_week(frame)
    start = snapshot.start_date
    figures = []
    for row in frame.itertuples():
        provider = int(row.provider)
        code = snapshot.ods.get(provider, str(provider))
        week = int(row.week)
        figures.append(
            TrustWeekFigures(
                ods_code=code,
                trust_name=snapshot.names.get(provider, code),
                week=week,
                at_date=start + dt.timedelta(weeks=week) if start else None,
                waiting_list=float(row.list_size),
                within_18_weeks_share=min(1.0, max(0.0, float(row.pct_within_18) / 100)),
                over_52_weeks=float(row.over_52),
                over_65_weeks=float(row.over_65),
                over_78_weeks=float(row.over_78),
                treated_to_week=float(row.treated_to_week),
                removed_by_validation_to_week=float(row.validated_to_week),
            )
        )
    return figures


def with_flows_to_week(frame: pd.DataFrame) -> pd.DataFrame:
    """A provider frame with `treated_to_week` and `validated_to_week`: weeks 1 to each row's week.

    Week 0 is the starting list (nothing has left it yet), so its counts are 0; treatment and
    removal by validation are summed apart and never added together.
    """
    ordered = frame.sort_values(["provider", "week"]).copy()
    moving = ordered["week"] > 0
    for flow, total in (("treated", "treated_to_week"), ("validated", "validated_to_week")):
        ordered[total] = ordered[flow].where(moving, 0.0).groupby(ordered["provider"]).cumsum()
    return ordered


def scenario_projection_input(
    session: Session, scenario: Scenario, horizon_weeks: int
) -> tuple[ProjectionInput, dict[int, str]]:
    """The input the Dashboard's projection of `scenario` runs on, and the trusts' ODS codes.

    Its own capacity, calendar, rota and saved plan, made inside the caller's transaction.

    Raises:
        ScenarioError: no member trusts, or no waiting list to project.
    """
    inp, snapshot = _checked_input(session, scenario, horizon_weeks)
    return inp, snapshot.ods


def _checked_input(
    session: Session, scenario: Scenario, horizon_weeks: int
) -> tuple[ProjectionInput, Snapshot]:
    snapshot = read_snapshot(session, scenario)
    if snapshot.scenario.frames["waiting_list"].empty:
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")
    inp, _ = scenario_input(snapshot.scenario, snapshot, horizon_weeks)
    return inp, snapshot


def capacity_needed(
    token: str, scenario_id: int, *, measure: str, value: float, by_week: int
) -> pd.DataFrame:
    """Each list's treatment capacity a week now and what reaches a target by a week.

    "Now" is the treatment the scenario's projection (and so its RAG) runs on: published
    activity moved by the scenario's capacity, rota and saved plan, as `project_scenario` has it.
    E.g. measure "pct_within_18", value 65, by_week 45: capacity x 1.12 reaches 65% within 18
    weeks in week 45.

    Raises:
        InvalidInputError: an unknown measure, a target that is not a number, or a week outside
            the 1 to 104 weeks a projection covers.
    """
    check_capacity_target(measure, value, by_week)
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        snapshot = read_snapshot(use.session, use.scenario)
    return _capacity_table(snapshot, measure=measure, value=value, by_week=by_week)


def check_capacity_target(measure: str, value: float, by_week: int) -> None:
    """Refuses a target `capacity_needed` cannot answer, in words.

    Raises:
        InvalidInputError: an unknown measure, a target that is not a number, or a week outside
            the 1 to 104 weeks a projection covers.
    """
    measures = [m for m in METRICS if m != "within_18"]
    if measure not in measures:
        raise InvalidInputError(f"'{measure}' is not a target; use one of {', '.join(measures)}.")
    if not math.isfinite(value):
        raise InvalidInputError(f"Target: '{value}' is not a number.")
    if not 1 <= by_week <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(f"By: week {by_week} is not within 1 to {MAX_HORIZON_WEEKS} weeks.")


def capacity_needed_as_operator(
    scenario_id: int, *, measure: str, value: float, by_week: int
) -> pd.DataFrame:
    """The same table, computed as the operator (no caller is checked).

    Only a solver worker calls this, for a web process that checked its caller and the target
    (`services/projection_views.py`).

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
        InvalidInputError: as `check_capacity_target`.
    """
    check_capacity_target(measure, value, by_week)
    with unit_of_work() as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioNotFoundError(scenario_id)
        snapshot = read_snapshot(session, scenario)
    return _capacity_table(snapshot, measure=measure, value=value, by_week=by_week)


def _capacity_table(
    snapshot: Snapshot, *, measure: str, value: float, by_week: int
) -> pd.DataFrame:
    # The same input as the scenario's projection and its RAG: its own capacity and saved plan,
    # not today's published activity alone.
    inp, _ = scenario_input(snapshot.scenario, snapshot, max(by_week, 4))
    return capacity_to_meet_target(inp, measure=measure, value=value, by_week=by_week)
