"""The rebalance's use of hub capacity is capped: each week's use over that week's capacity."""

from __future__ import annotations

from ics_capacity.services.plan_description import _hub_use
from ics_capacity.services.rebalance_view import PlanNames
from ics_capacity.services.results import RebalanceResult
from solvers.common import SolveStats, Status
from solvers.rebalance.schema import HubUse


def _result(*uses: HubUse) -> RebalanceResult:
    stats = SolveStats(
        status=Status.OPTIMAL, wall_seconds=1.0, time_limit_seconds=5, num_workers=1, seed=0
    )
    return RebalanceResult(stats=stats, hub_use=list(uses))


def test_use_is_over_each_weeks_own_capacity_so_it_never_exceeds_100_percent() -> None:
    """A hub with 1,000 minutes a usual week, 1,100 in a longer week and none in a closed one:
    the plan fills the long week and uses nothing in the closed one."""
    use = HubUse(
        hub="CANNOCK",
        resource="theatre_minutes",
        unit="minutes",
        capacity_per_week=1000.0,
        used_by_week=[1000.0, 1100.0, 0.0, 500.0],
        capacity_by_week=[1000.0, 1100.0, 0.0, 1000.0],
    )
    (row,) = _hub_use(_result(use), PlanNames(sites={"CANNOCK": "Cannock"}))
    assert row["capacity"] == "1,000"
    assert row["peak"] == "100%"  # not 110%: the long week's own capacity
    assert row["mean"] == "62%"  # (100 + 100 + 0 + 50) / 4
    assert row["full_weeks"] == "2 of 4"


def test_without_a_calendar_the_usual_capacity_is_every_weeks() -> None:
    use = HubUse(
        hub="X",
        resource="day_cases",
        unit="patients",
        capacity_per_week=200.0,
        used_by_week=[100.0, 200.0],
    )
    (row,) = _hub_use(_result(use), PlanNames())
    assert (row["mean"], row["peak"], row["full_weeks"]) == ("75%", "100%", "1 of 2")
