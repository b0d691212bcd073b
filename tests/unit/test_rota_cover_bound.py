"""The lower bound on places short is never above what any rota keeping the hard rules leaves."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.cover_bound import places_short_lower_bound
from solvers.rota.model import solve_rota
from solvers.rota.rolling import solve_rota_by_windows
from solvers.rota.schema import (
    CoverRequirement,
    Fairness,
    RotaInput,
    RuleFamily,
    RuleMode,
    ShiftType,
    Staff,
)
from tests.oracles import ProvenCount, fewest_places_short
from tests.strategies import planner_rotas, rota_inputs

QUICK = SolveOptions(time_limit_seconds=2, num_workers=1)
EXACT = SolveOptions(time_limit_seconds=10, num_workers=2)
HALVES = (
    ShiftType(id="AM", duration_minutes=300, start_minute=8 * 60),
    ShiftType(id="PM", duration_minutes=300, start_minute=13 * 60),
    ShiftType(id="DAY", duration_minutes=600, start_minute=8 * 60, counts_as={"AM", "PM"}),
)


def only_places_short(data: RotaInput) -> RotaInput:
    """The same hard rules with an objective of places short alone (every other weight 0)."""
    return RotaInput.model_validate(
        {
            **data.model_dump(),
            "cover": [
                c.model_copy(update={"under_weight": 1, "over_weight": 0}) for c in data.cover
            ],
            "requests": [],
            "staff": [
                p.model_copy(update={"cost_per_shift": 0, "cost_per_hour": 0}) for p in data.staff
            ],
            "rule_modes": {
                family: RuleMode(hard=False, weight=0)
                for family, mode in data.rule_modes.items()
                if not mode.hard
            },
            "travel_weight": 0,
            "fairness": Fairness(),
        }
    )


def halves_problem(people: int, days: int, minutes: int, per_half: int) -> RotaInput:
    """Theatre halves with an all-day list counting as both, `people` on `minutes` each."""
    return RotaInput(
        horizon_days=days,
        shift_types=HALVES,
        staff=tuple(Staff(id=f"P{k}", max_total_minutes=minutes) for k in range(people)),
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=per_half, under_weight=100, over_weight=1)
            for d in range(days)
            for s in ("AM", "PM")
        ),
    )


def test_contracted_hours_leave_places_short_and_the_bound_says_how_many() -> None:
    """Two people on 2,250 minutes fill 14 of 28 half-days; the bound proves 14 short."""
    data = halves_problem(people=2, days=7, minutes=2250, per_half=2)
    # Fractionally each could fill 7.5 halves (3.75 all-day lists); the rounded minutes row
    # (every shift in whole units of 300 minutes) proves 7.
    assert places_short_lower_bound(data, seconds=5) == 14
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    assert result.places_short == result.places_short_lower_bound == 14
    assert check_rota(data, result.assignments).places_short == 14


def test_leave_skills_and_site_access_limit_the_cover_that_can_be_given() -> None:
    """Only the one nurse allowed on site H1 and not on leave can give its skilled cover."""
    shifts = (
        ShiftType(id="E1", duration_minutes=480, site="H1"),
        ShiftType(id="E2", duration_minutes=480, site="H2"),
    )
    staff = (
        Staff(id="onsite", skills=frozenset({"RN"}), sites=frozenset({"H1"}), days_off={1}),
        Staff(id="elsewhere", skills=frozenset({"RN"}), sites=frozenset({"H2"})),
        Staff(id="unskilled", sites=frozenset({"H1"})),
    )
    data = RotaInput(
        horizon_days=3,
        shift_types=shifts,
        staff=staff,
        cover=tuple(
            CoverRequirement(
                day=d, shift_id="E1", skill="RN", required=2, under_weight=9, over_weight=0
            )
            for d in range(3)
        ),
    )
    # 6 wanted; only "onsite" counts, on days 0 and 2.
    assert places_short_lower_bound(data, seconds=5) == 4
    assert solve_rota(data, QUICK).places_short == 4


def test_soft_rules_do_not_count_towards_the_bound() -> None:
    """With hours soft, the hours limit may be bought out, so it proves nothing short."""
    data = halves_problem(people=1, days=3, minutes=300, per_half=1)
    assert places_short_lower_bound(data, seconds=5) == 5  # one half of 6 with 300 minutes
    soft = data.model_copy(
        update={"rule_modes": {RuleFamily.MAX_TOTAL_MINUTES: RuleMode(hard=False, weight=1)}}
    )
    assert places_short_lower_bound(soft, seconds=5) == 0  # an all-day list every day


def test_windowed_rotas_report_the_whole_horizons_bound() -> None:
    """A 3-week rota solved a week at a time reports the bound of all 21 days."""
    data = halves_problem(people=2, days=21, minutes=3 * 2250, per_half=2)
    whole = places_short_lower_bound(data, seconds=5)
    result = solve_rota_by_windows(data, SolveOptions(time_limit_seconds=6, num_workers=1))
    assert result.stats.status.has_solution and result.stats.bound is None  # windows
    assert whole == 84 - 2 * (3 * 2250 // 300)  # 22 halves each of the 84 wanted
    assert result.places_short_lower_bound == whole <= result.places_short
    assert result.places_short == check_rota(data, result.assignments).places_short


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.one_of(
        planner_rotas(max_staff=2, max_days=3, max_shifts=2),
        planner_rotas(min_staff=1, max_staff=1, max_days=5, max_shifts=2),
        rota_inputs(max_staff=2, max_days=3, max_shifts=2),
    )
)
def test_bound_never_exceeds_the_brute_force_fewest_places_short(data: RotaInput) -> None:
    """On tiny problems the bound is at most the fewest places short of any rota (brute force)."""
    truth = fewest_places_short(data)
    bound = places_short_lower_bound(data, seconds=10)
    if truth is None:
        return  # no rota keeps the hard rules: nothing to bound (the LP may say so too)
    assert bound is not None and bound <= truth
    result = solve_rota(data, QUICK)
    assert result.places_short_lower_bound == bound
    if result.stats.status.has_solution:
        assert result.places_short == check_rota(data, result.assignments).places_short
        assert bound <= truth <= result.places_short  # type: ignore[operator]


def test_bound_never_exceeds_the_exact_fewest_places_short() -> None:
    """On planner-sized problems the bound is at most CP-SAT's proven fewest places short.

    Only examples whose exact solve proves optimality can assert: they are counted, and the test
    fails if there were none.
    """
    proven = ProvenCount()

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.one_of(planner_rotas(), rota_inputs(max_staff=4, max_days=10)))
    def bound_against_the_exact_solve(data: RotaInput) -> None:
        proven.example()
        exact = solve_rota(only_places_short(data), EXACT)
        bound = places_short_lower_bound(data, seconds=10)
        if exact.stats.status is Status.OPTIMAL:
            proven.asserted()
            assert exact.places_short == exact.stats.objective
            assert bound is not None and bound <= exact.places_short

    bound_against_the_exact_solve()
    proven.check("had the fewest places short proven")
