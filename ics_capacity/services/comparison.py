"""Compare scenarios by their outcomes: projected waits, long waiters, cost, staffing gaps, moves.

Compare's inputs table (`capacity.compare_scenarios`) says what differs; this says what the
difference does, from the same projection the Dashboard shows (`dashboard.scenario_projection`),
the scenario's newest rota (cost and places short) and its saved rebalancing plan (patients
moved). A one-line verdict names the scenario that clears 52-week waits soonest, and at what cost
against the first scenario.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.dashboard import MAX_HORIZON_WEEKS, scenario_projection
from ics_capacity.services.jobs import latest_result
from ics_capacity.services.projections import removal_figures, validation_shares
from ics_capacity.services.recorded_baseline import BaselineReport, against_recorded_baseline
from ics_capacity.services.results import stored_rebalance, stored_rota
from ics_capacity.services.scenarios import ScenarioError, scenario_transaction

AT_WEEKS = (13, 26, 52, 78, 104)
"""Weeks after the data at which Compare can read the projections."""

CLEARED_BELOW = 0.5
"""A long wait counts as cleared in the first week its projected count rounds to none."""


@dataclass(frozen=True)
class ScenarioOutcome:
    """What one scenario's projection and runs say, at the week compared.

    Counts are the deterministic projection's (the Dashboard's headline figures) of the member
    trusts' incomplete pathways. `*_cleared_week` is the first week the count is below one
    patient, None when it is not cleared within the projection's horizon. Rota and plan figures
    are None when the scenario has no rota built or no plan saved. `treated` and
    `removed_by_validation` are summed over weeks 1 to `at_week` and never added together;
    `validation_source` says in a few words where the validation rate came from.
    """

    scenario_id: int
    name: str
    at_week: int
    at_date: dt.date | None
    waiting_list: float
    within_18_weeks: float
    over_52_weeks: float
    over_65_weeks: float
    over_52_cleared_week: int | None
    over_65_cleared_week: int | None
    horizon_weeks: int
    rota_cost_pence: int | None
    places_short: int | None
    patients_moved: float | None
    independent_sector_cases: float | None
    treated: float = 0.0
    removed_by_validation: float = 0.0
    validation_source: str = "observed rates"


@dataclass(frozen=True)
class OutcomeComparison:
    """The scenarios' outcomes in the order asked, and a one-line verdict.

    `against_baseline` holds each scenario's trusts against the collaborative's recorded
    baseline at the same week, in the same order.
    """

    outcomes: list[ScenarioOutcome]
    verdict: str
    against_baseline: list[BaselineReport] = field(default_factory=list)


def _cleared(total: pd.DataFrame, column: str) -> int | None:
    below = total[total[column] < CLEARED_BELOW]
    return int(below["week"].iloc[0]) if not below.empty else None


def _outcome(token: str, scenario_id: int, at_week: int) -> ScenarioOutcome:
    projection = scenario_projection(token, scenario_id, MAX_HORIZON_WEEKS)
    total = projection.deterministic.frame("total")
    row = total[total["week"] == at_week].iloc[0]
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        rota_raw = latest_result(use.session, scenario_id, "rota")
        # The baseline projects published activity, never a plan (as `project_scenario` does).
        baseline = use.scenario.is_baseline
        plan_raw = None if baseline else latest_result(use.session, scenario_id, "rebalance")
        shares = validation_shares(use.session, scenario_id)
    rota = stored_rota(rota_raw) if rota_raw else None
    plan = stored_rebalance(plan_raw) if plan_raw else None
    has_rota = rota is not None and rota.has_rota
    metrics = plan.metrics if plan is not None else None
    start = projection.start_date
    removals = removal_figures(projection, up_to_week=at_week)
    return ScenarioOutcome(
        scenario_id=scenario_id,
        name=projection.scenario_name,
        at_week=at_week,
        at_date=start + dt.timedelta(weeks=at_week) if start else None,
        waiting_list=float(row["list_size"]),
        within_18_weeks=float(row["pct_within_18"]) / 100,
        over_52_weeks=float(row["over_52"]),
        over_65_weeks=float(row["over_65"]),
        over_52_cleared_week=_cleared(total, "over_52"),
        over_65_cleared_week=_cleared(total, "over_65"),
        horizon_weeks=int(total["week"].iloc[-1]),
        rota_cost_pence=rota.cost.total_pence if has_rota and rota is not None else None,
        places_short=rota.stats.places_short if has_rota and rota is not None else None,
        # Admitted patients moved (the measure); first outpatient appointments are not counted.
        patients_moved=metrics.transfers - metrics.non_admitted_transfers
        if metrics is not None
        else None,
        independent_sector_cases=metrics.independent_sector_cases if metrics else None,
        treated=removals.treated,
        removed_by_validation=removals.removed_by_validation,
        validation_source=validation_source(shares),
    )


def validation_source(shares: dict[str, float]) -> str:
    """Where a scenario's validation rate comes from, short enough for a table cell."""
    if not shares:
        return "observed rates"
    own = ", ".join(f"{tfc} {share:.0%}" for tfc, share in sorted(shares.items()))
    return f"own setting: {own} a year; others observed"


def compare_outcomes(token: str, scenario_ids: list[int], at_week: int) -> OutcomeComparison:
    """Two or three scenarios' projected outcomes at `at_week`, for a member of their collaborative.

    Raises:
        InvalidInputError: `at_week` is not one of `AT_WEEKS`, or not two or three scenarios.
        ScenarioError: the scenarios are of different collaboratives.
        ServiceError: the caller may not view one of them (nothing is returned).
    """
    if at_week not in AT_WEEKS:
        raise InvalidInputError(
            f"Compare at: choose one of {', '.join(map(str, AT_WEEKS))} weeks after the data."
        )
    ids = list(dict.fromkeys(scenario_ids))
    if not 2 <= len(ids) <= 3:
        raise InvalidInputError("Choose two or three scenarios to compare.")
    collaboratives = set()
    for scenario_id in ids:
        with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
            collaboratives.add(use.scenario.collaborative_id)
    if len(collaboratives) > 1:
        raise ScenarioError("Scenarios of different collaboratives cannot be compared.")
    outcomes = [_outcome(token, i, at_week) for i in ids]
    reports = [against_recorded_baseline(token, i, at_week) for i in ids]
    return OutcomeComparison(outcomes, verdict(outcomes), reports)


def _money(pence: int) -> str:
    pounds = abs(pence) / 100
    return f"£{pounds / 1e6:.1f}m" if pounds >= 1e5 else f"£{pounds / 1e3:,.0f}k"


def verdict(outcomes: list[ScenarioOutcome]) -> str:
    """One sentence: which scenario clears 52-week waits soonest (or has fewest), and for what.

    The first scenario is the reference ("A"); each sentence compares the best of the others
    with it. E.g. "'Hubs' clears 52-week waits 9 weeks sooner than 'Baseline' (week 31, not
    week 40), for £0.4m more on the rota." When the best assumes more removals by validation
    than the first, the sentence says how many more, so a gain from validation is not read as
    one from treatment.
    """
    if len(outcomes) < 2:
        return ""
    first = outcomes[0]
    horizon = min(o.horizon_weeks for o in outcomes)

    def clears(o: ScenarioOutcome) -> int:
        week = o.over_52_cleared_week
        return week if week is not None and week <= horizon else horizon + 1

    best = min(outcomes[1:], key=lambda o: (clears(o), o.over_52_weeks))
    a, b = f"'{first.name}'", f"'{best.name}'"
    if clears(best) <= horizon and clears(best) < clears(first):
        sooner = (
            f"{clears(first) - clears(best)} weeks sooner than {a} (week {clears(best)}, "
            f"not week {clears(first)})"
            if clears(first) <= horizon
            else f"by week {clears(best)}, which {a} does not do within {horizon} weeks"
        )
        sentence = f"{b} clears 52-week waits {sooner}"
    elif clears(first) <= horizon and clears(first) < clears(best):
        sentence = f"{a} clears 52-week waits soonest (week {clears(first)}); {b} does not beat it"
    elif clears(first) == clears(best) <= horizon:
        sentence = f"{a} and {b} clear 52-week waits in the same week ({clears(first)})"
    else:
        fewer = first.over_52_weeks - best.over_52_weeks
        when = f"week {first.at_week}"
        if abs(fewer) < CLEARED_BELOW:
            sentence = f"{a} and {b} leave the same 52-week waiters at {when}"
        else:
            more_or_fewer = "fewer" if fewer > 0 else "more"
            sentence = (
                f"Neither clears 52-week waits within {horizon} weeks; {b} leaves "
                f"{abs(fewer):,.0f} {more_or_fewer} 52-week waiters than {a} at {when}"
            )
    if first.rota_cost_pence is not None and best.rota_cost_pence is not None:
        extra = best.rota_cost_pence - first.rota_cost_pence
        if extra:
            sentence += f", for {_money(extra)} {'more' if extra > 0 else 'less'} on the rota"
        else:
            sentence += ", at the same rota cost"
    more = best.removed_by_validation - first.removed_by_validation
    if more >= CLEARED_BELOW:
        sentence += (
            f"; {b} assumes {more:,.0f} more patients removed by validation (not treated) than {a}"
        )
    return sentence + "."
