"""The greedy first rota (`solvers/rota/construct.py`) and the search that starts from it.

Whatever the construction builds is held to the independent checker: on problems without minimum
rules (which it does not build towards) it breaks no hard rule, keeps every lock, and fills cover
that someone could fill. The search keeps such a start, and returns a rota at least as good.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from solvers.common import SolveOptions
from solvers.rota.check import check_rota
from solvers.rota.construct import construct_rota
from solvers.rota.model import solve_rota
from solvers.rota.schema import (
    CoverRequirement,
    LockedAssignment,
    RestAfterRun,
    RotaInput,
    ShiftType,
    Staff,
)
from tests.oracles import assert_rota_honest
from tests.strategies import planner_rotas, ward_rota

MINIMUM_FREE = {"min_consecutive_shifts": 1, "min_consecutive_days_off": 1, "min_total_minutes": 0}


def _without_minimum_rules(data: RotaInput) -> RotaInput:
    """The same problem with no minimum run, days-off run or minutes, and no locks.

    A lock alone can break a limit (locked hours over the contract's), which no construction can
    help; locks are kept as they are, tested below.
    """
    staff = [p.model_copy(update=MINIMUM_FREE).model_dump() for p in data.staff]
    return RotaInput.model_validate({**data.model_dump(), "staff": staff, "locked": ()})


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas(max_staff=6, max_days=14))
def test_constructed_rota_breaks_no_hard_rule(data: RotaInput) -> None:
    """Every upper limit holds (days off, runs, weekends, windows, rest, successions, hours)."""
    data = _without_minimum_rules(data)
    built = construct_rota(data)
    check = check_rota(data, built)
    assert check.violations == (), check.violations


def test_construction_fills_cover_and_keeps_rest_after_nights() -> None:
    """Two weeks, 2 earlies and 2 nights a day: enough staff means nothing short, no rule broken.

    14 people: with each working at most one of the two contract weekends (Friday 21:00 to
    Monday 07:00), the greedy order leaves 4 places short with 12 and 2 with 13.
    """
    data = ward_rota(people=14, days=14)
    assert any(p.rest_after_runs for p in data.staff)
    built = construct_rota(data)
    check = check_rota(data, built)
    assert check.violations == ()
    assert check.places_short == 0


def test_construction_stops_at_the_limits_rather_than_break_them() -> None:
    """With too few staff it leaves places short instead of breaking the hours or the rest."""
    data = ward_rota(people=3, days=14)
    check = check_rota(data, construct_rota(data))
    assert check.violations == ()
    assert check.places_short > 0


def test_rest_after_a_run_is_kept_against_the_shift_after_it() -> None:
    """After 2 locked nights (a run that owes 46 h), no early is placed within the rest."""
    night = ShiftType(id="N", duration_minutes=600, start_minute=21 * 60)
    early = ShiftType(id="E", duration_minutes=480, start_minute=7 * 60)
    person = Staff(
        id="P",
        rest_after_runs=(
            RestAfterRun(
                name="nights", shift_ids=frozenset({"N"}), min_run=2, min_rest_minutes=46 * 60
            ),
        ),
    )
    data = RotaInput(
        horizon_days=5,
        shift_types=(night, early),
        staff=(person,),
        cover=tuple(
            CoverRequirement(day=d, shift_id="E", required=1, under_weight=10, over_weight=0)
            for d in range(2, 5)
        ),
        locked=(
            LockedAssignment(staff_id="P", day=0, shift_id="N"),
            LockedAssignment(staff_id="P", day=1, shift_id="N"),
        ),
    )
    built = {(a.day, a.shift_id) for a in construct_rota(data)}
    # Nights end at 07:00 on day 2; 46 h later is 05:00 on day 4: day 4's early is the first.
    assert built == {(0, "N"), (1, "N"), (4, "E")}
    assert check_rota(data, construct_rota(data)).violations == ()


def test_search_keeps_the_start_and_improves_on_it() -> None:
    """The solve starts from the constructed rota: never worse than it, and honest."""
    data = ward_rota(people=8, days=14)
    start = check_rota(data, construct_rota(data))
    result = solve_rota(data, SolveOptions(time_limit_seconds=3, num_workers=1))
    assert_rota_honest(data, result)
    assert result.stats.objective is not None and result.stats.objective <= start.objective
    assert (result.places_short or 0) <= start.places_short
