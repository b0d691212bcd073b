"""Real weeks in the rebalancing model: calendars of capacity and demand, checked week by week."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_capacity.domain.weekly_calendar import (
    CalendarChange,
    ChangeKind,
    ChangeTarget,
    weekly_profiles,
)
from ics_capacity.importers.flows import read_flows
from ics_capacity.projections.seasonality import estimate_seasonality
from ics_capacity.settings import nhs_data_dir
from solvers.common import SolveOptions, Status
from solvers.rebalance import check_result, solve_rebalance, synthetic_instance
from solvers.rebalance.schema import HubKind, PlanRow, RebalanceInput, RebalanceSettings

OPTIONS = SolveOptions(time_limit_seconds=20, num_workers=1, seed=0)
START = dt.date(2027, 7, 5)  # 26 weeks over the summer bank holiday, August and Christmas


def _with_calendar(data: RebalanceInput, changes: list[CalendarChange]) -> RebalanceInput:
    """The instance with the weekly profiles of England's calendar, the history's seasons and
    `changes`, five-day main sites and six-day hubs."""
    weeks = data.settings.horizon_weeks
    flows = read_flows(nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv")
    days = {h.id: 5 if h.kind == HubKind.MAIN_SITE else 6 for h in data.hubs}
    profiles = weekly_profiles(START, weeks, days, changes, estimate_seasonality(flows))
    hubs = [
        h.model_copy(update={"capacity_factor_by_week": profiles.capacity[h.id]}) for h in data.hubs
    ]
    return data.model_copy(update={"hubs": hubs, "demand_factor_by_week": profiles.demand})


def _instance(period_weeks: int) -> RebalanceInput:
    base = synthetic_instance(
        seed=7,
        providers=3,
        hubs=5,
        treatment_functions=2,
        weeks=26,
        independent=0,
        load=1.1,
        settings=RebalanceSettings(
            horizon_weeks=26, period_weeks=period_weeks, max_travel_minutes=90
        ),
    )
    hub = next(h.id for h in base.hubs if h.kind == HubKind.ELECTIVE_HUB)
    changes = [
        CalendarChange(9, 9, ChangeTarget.CAPACITY, ChangeKind.OPENS, 6, site=hub),
        CalendarChange(1, 26, ChangeTarget.DEMAND, ChangeKind.GROWTH, 3),
    ]
    return RebalanceInput.model_validate(_with_calendar(base, changes).model_dump())


@pytest.mark.parametrize("period_weeks", [1, 4])
def test_a_hub_opening_in_week_9_with_bank_holidays_and_seasonal_demand_solves(
    period_weeks: int,
) -> None:
    """The plan is optimal and the checker finds every week of every hub within its capacity."""
    data = _instance(period_weeks)
    result = solve_rebalance(data, OPTIONS)
    assert result.status == Status.OPTIMAL
    assert check_result(data, result) == []
    new_hub = next(h for h in data.hubs if h.kind == HubKind.ELECTIVE_HUB)
    theatre = next(u for u in result.hub_use if u.hub == new_hub.id and u.resource.startswith("t"))
    assert sum(theatre.used_by_week[:8]) == 0  # closed until week 9
    assert sum(theatre.used_by_week[8:]) > 0
    # Week 9 opens a sixth of the hub, less the summer bank holiday (30 August) and August's dip.
    factor = new_hub.capacity_factor_by_week[8]
    assert 0 < factor < 1 / 6
    assert theatre.capacity_by_week[8] == pytest.approx(theatre.capacity_per_week * factor)
    # Christmas week (27 December, week 26) has two bank holidays: a main site's chart dips.
    main = next(u for u in result.hub_use if u.resource.startswith("t") and u.hub != new_hub.id)
    assert main.capacity_by_week[-1] < 0.7 * main.capacity_per_week
    # Demand follows the calendar: patients joined = usual demand x the weekly factors.
    outcome = result.queues[0]
    joined = outcome.waiting_at_end + outcome.treated - outcome.waiting_at_start
    assert joined == pytest.approx(outcome.weekly_demand * sum(data.demand_factor_by_week))


def test_the_checker_refuses_a_case_in_a_closed_week() -> None:
    """One patient moved into week 1 of the closed hub is a capacity violation of that week."""
    data = _instance(4)
    result = solve_rebalance(data, OPTIONS)
    new_hub = next(h for h in data.hubs if h.kind == HubKind.ELECTIVE_HUB)
    row = next(r for r in result.plan if r.hub == new_hub.id and r.week > 9)
    moved = PlanRow.model_validate(
        {**row.model_dump(), "week": 1, "wait_band_weeks": row.wait_band_weeks - row.week + 1}
    )
    bad = result.model_copy(update={"plan": [*result.plan, moved]})
    rules = {(v.rule, v.where.split(" week ")[-1]) for v in check_result(data, bad)}
    assert ("capacity_exceeded", "1") in rules


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 5000),
    period_weeks=st.sampled_from([1, 2, 4]),
    factors=st.lists(st.sampled_from([0.0, 0.5, 0.8, 1.0, 1.2]), min_size=8, max_size=8),
    demand=st.lists(st.floats(0.5, 1.5), min_size=8, max_size=8),
)
def test_random_weekly_profiles_give_plans_the_checker_accepts(
    seed: int, period_weeks: int, factors: list[float], demand: list[float]
) -> None:
    """Whatever the weekly factors, the optimum passes the independent checker week by week."""
    base = synthetic_instance(
        seed=seed,
        providers=2,
        hubs=3,
        treatment_functions=2,
        weeks=8,
        independent=0,
        settings=RebalanceSettings(horizon_weeks=8, period_weeks=period_weeks),
    )
    hubs = [
        h.model_copy(update={"capacity_factor_by_week": factors[i:] + factors[:i]})
        for i, h in enumerate(base.hubs)
    ]
    data = RebalanceInput.model_validate(
        {
            **base.model_dump(),
            "hubs": [h.model_dump() for h in hubs],
            "demand_factor_by_week": demand,
        }
    )
    result = solve_rebalance(data, OPTIONS)
    assert result.status == Status.OPTIMAL
    assert check_result(data, result) == []


def test_a_profile_shorter_than_the_horizon_is_refused_naming_the_field() -> None:
    """Four weeks of factors for a 26-week horizon is an input problem, not a silent default."""
    data = _instance(4)
    bad = data.model_dump()
    bad["hubs"][0]["capacity_factor_by_week"] = [1.0] * 4
    with pytest.raises(ValueError, match=r"hubs\[0\].capacity_factor_by_week: 4 weeks given"):
        RebalanceInput.model_validate(bad)
