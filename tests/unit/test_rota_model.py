"""The rota solver on small random problems: every returned rota is checked independently.

Strategies draw problems with every rule family, hard or soft, locked assignments, skills and
cover weights; each result goes through `check_rota`. Tiny problems are also solved by brute force
so that "optimal" and the bound can be held to the truth.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings

from solvers.common import SolveOptions, Status
from solvers.rota.model import build_model, solve_rota
from solvers.rota.relaxation import solve_lp_relaxation
from solvers.rota.rules import DOCTORS_IN_TRAINING_2016, apply_rule_pack
from solvers.rota.schema import (
    CoverRequirement,
    Fairness,
    LockedAssignment,
    RotaInput,
    RotaResult,
    RuleFamily,
    RuleMode,
    ShiftType,
    Staff,
)
from tests.oracles import (
    ProvenCount,
    assert_rota_honest,
    assert_true_optimum,
    brute_force_optimum,
)
from tests.strategies import rota_inputs

FAST = SolveOptions(time_limit_seconds=2, num_workers=2)


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(rota_inputs())
def test_returned_rotas_break_no_hard_rule_and_keep_locks(data: RotaInput) -> None:
    """Every returned rota passes the checker, keeps its locks and reports bound <= objective."""
    result = solve_rota(data, FAST)
    assert_rota_honest(data, result)
    if result.stats.status is Status.INFEASIBLE:
        assert result.infeasible_because, "an infeasible problem names the rules that conflict"


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(rota_inputs(max_staff=2, max_days=4, max_shifts=2))
def test_status_and_bound_are_true_against_brute_force(data: RotaInput) -> None:
    """ "Optimal" is the true optimum, "infeasible" has no rota, and the bound never exceeds it."""
    assert_true_optimum(data, FAST)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(rota_inputs(max_staff=2, max_days=4, max_shifts=2))
def test_lp_relaxation_bound_never_exceeds_the_true_optimum(data: RotaInput) -> None:
    """The GLOP bound the neighbourhood search reports is a true lower bound on every rota."""
    truth = brute_force_optimum(data)
    relaxation = solve_lp_relaxation(build_model(data), seconds=10)
    if truth is not None:
        assert relaxation is not None
        assert relaxation.bound <= truth


def test_another_free_person_never_worsens_a_proven_optimum() -> None:
    """Adding someone with no limits and no minimum hours can only lower a proven optimum.

    Only examples where both solves prove optimality can assert: they are counted, and the test
    fails if there were none.
    """
    proven = ProvenCount()

    @settings(
        max_examples=20,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(rota_inputs(max_staff=3, max_days=7))
    def adding_a_free_person(data: RotaInput) -> None:
        proven.example()
        before = solve_rota(data, FAST)
        helper = Staff(id="extra", skills=frozenset({"RN", "HCA"}))
        after = solve_rota(data.model_copy(update={"staff": (*data.staff, helper)}), FAST)
        if before.stats.status is Status.OPTIMAL and after.stats.status is Status.OPTIMAL:
            proven.asserted()
            assert after.stats.objective <= before.stats.objective

    adding_a_free_person()
    proven.check("had both solves proven optimal")


SHIFTS = (
    ShiftType(id="E", duration_minutes=480, start_minute=7 * 60),
    ShiftType(id="L", duration_minutes=480, start_minute=14 * 60),
    ShiftType(id="N", duration_minutes=720, start_minute=20 * 60),
    ShiftType(id="LD", duration_minutes=840, start_minute=8 * 60),
)


def test_locked_day_off_clashing_with_a_locked_shift_is_explained() -> None:
    """A shift locked on someone's day off is infeasible, and the answer names both rules."""
    data = RotaInput(
        horizon_days=3,
        shift_types=SHIFTS,
        staff=(Staff(id="A", days_off=frozenset({1})),),
        locked=(LockedAssignment(staff_id="A", day=1, shift_id="E"),),
    )
    result = solve_rota(data, FAST)
    assert result.stats.status is Status.INFEASIBLE
    assert {(limit.name, limit.where) for limit in result.infeasible_because} == {
        ("days_off", "A"),
        ("locked", "A"),
    }


def test_soft_minimum_hours_bind_with_reported_shortfall() -> None:
    """When minimum hours cannot be met and are soft, the rota comes back with the shortfall."""
    data = RotaInput(
        horizon_days=3,
        shift_types=SHIFTS[:1],
        staff=(Staff(id="A", min_total_minutes=4 * 480, max_consecutive_shifts=2),),
        rule_modes={RuleFamily.MIN_TOTAL_MINUTES: RuleMode(hard=False, weight=1)},
    )
    result = solve_rota(data, FAST)
    assert result.stats.status is Status.OPTIMAL
    assert result.stats.objective == 2 * 480
    [limit] = [b for b in result.binding_limits if b.name == "min_total_minutes"]
    assert (limit.where, limit.shortfall) == ("A", 2 * 480)
    assert_rota_honest(data, result)


def test_cover_shortfall_is_listed_as_binding() -> None:
    """Cover nobody can give comes back as a binding limit naming the shift and the day."""
    data = RotaInput(
        horizon_days=2,
        shift_types=SHIFTS[:1],
        staff=(Staff(id="A", days_off=frozenset({0})),),
        cover=(CoverRequirement(day=0, shift_id="E", required=1, under_weight=100, over_weight=1),),
    )
    result = solve_rota(data, FAST)
    assert result.stats.objective == 100
    assert any(b.name == "cover" and b.when == "day 0" for b in result.binding_limits)


def test_doctors_pack_rota_keeps_the_pack() -> None:
    """With the 2016 doctors' pack, the rota has no 14 h shift, no E after L, at most 4 nights."""
    base = RotaInput(
        horizon_days=14,
        shift_types=SHIFTS,
        staff=tuple(Staff(id=f"D{i}") for i in range(4)),
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=1, under_weight=100, over_weight=1)
            for d in range(14)
            for s in ("E", "L", "N", "LD")
        ),
    )
    data = apply_rule_pack(base, DOCTORS_IN_TRAINING_2016)
    assert ("L", "E") in data.banned_successions
    result = solve_rota(data, SolveOptions(time_limit_seconds=4, num_workers=2))
    assert_rota_honest(data, result)
    worked = {(a.staff_id, a.day): a.shift_id for a in result.assignments}
    assert "LD" not in worked.values()
    for person in data.staff:
        nights = [worked.get((person.id, d)) == "N" for d in range(14)]
        assert not any(all(nights[d : d + 5]) for d in range(10))
        [weekend] = person.weekend_limits  # Friday 21:00 to Monday 07:00, 2 in 14 days
        assert (weekend.max_worked, weekend.out_of, weekend.max_total) == (1, 2, 1)


EXACT = SolveOptions(time_limit_seconds=5, num_workers=1)
THEATRE = (
    ShiftType(id="AM", duration_minutes=240, start_minute=8 * 60, site="HUB"),
    ShiftType(id="PM", duration_minutes=240, start_minute=13 * 60, site="HUB"),
    ShiftType(
        id="DAY",
        duration_minutes=600,
        start_minute=8 * 60,
        site="HUB",
        counts_as=frozenset({"AM", "PM"}),
    ),
)


def solved_exactly(data: RotaInput) -> RotaResult:
    """Solves a tiny problem to proven optimality and holds it to the checker."""
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    assert_rota_honest(data, result)
    return result


def test_all_day_list_gives_morning_and_afternoon_cover() -> None:
    """One person on the all-day list meets both the AM and the PM cover, so nothing is short."""
    data = RotaInput(
        horizon_days=1,
        shift_types=THEATRE,
        staff=(Staff(id="A", cost_per_shift=1),),
        cover=tuple(
            CoverRequirement(day=0, shift_id=s, required=1, under_weight=100, over_weight=0)
            for s in ("AM", "PM")
        ),
    )
    result = solved_exactly(data)
    assert result.stats.objective == 1
    assert [(a.staff_id, a.shift_id) for a in result.assignments] == [("A", "DAY")]


def test_all_day_list_counts_as_over_on_both_halves() -> None:
    """A locked all-day list where no AM or PM cover is wanted is one over on each half."""
    data = RotaInput(
        horizon_days=1,
        shift_types=THEATRE,
        staff=(Staff(id="A"),),
        cover=tuple(
            CoverRequirement(day=0, shift_id=s, required=0, under_weight=100, over_weight=w)
            for s, w in (("AM", 3), ("PM", 4))
        ),
        locked=(LockedAssignment(staff_id="A", day=0, shift_id="DAY"),),
    )
    result = solved_exactly(data)
    assert result.stats.objective == 3 + 4
    assert result.objective_terms["cover_over"] == 7


def test_travel_sends_each_person_to_the_nearer_site() -> None:
    """With travel weighted 2, A takes the site 10 min away and B the one 5 min away: 2 x 15."""
    data = RotaInput(
        horizon_days=1,
        shift_types=(
            ShiftType(id="EX", duration_minutes=480, site="X"),
            ShiftType(id="EY", duration_minutes=480, site="Y"),
        ),
        staff=(
            Staff(id="A", travel_minutes={"X": 30, "Y": 10}),
            Staff(id="B", travel_minutes={"X": 5}),
        ),
        cover=tuple(
            CoverRequirement(day=0, shift_id=s, required=1, under_weight=1000, over_weight=0)
            for s in ("EX", "EY")
        ),
        travel_weight=2,
    )
    result = solved_exactly(data)
    assert result.stats.objective == 30
    assert result.objective_terms["travel"] == 30
    assert {(a.staff_id, a.shift_id) for a in result.assignments} == {("A", "EY"), ("B", "EX")}


def test_night_fairness_counts_within_groups_of_two_or_more() -> None:
    """A (off days 0-2) takes the last night so B has 3 to A's 1 (3 x 2); C alone costs nothing."""
    data = RotaInput(
        horizon_days=4,
        shift_types=(
            ShiftType(id="N", duration_minutes=600, start_minute=21 * 60, night=True),
            ShiftType(id="D", duration_minutes=480, start_minute=8 * 60),
        ),
        staff=(
            Staff(id="A", group="reg", days_off=frozenset({0, 1, 2})),
            Staff(id="B", group="reg"),
            Staff(id="C", group="solo"),
        ),
        cover=tuple(
            CoverRequirement(day=d, shift_id="N", required=2, under_weight=100, over_weight=100)
            for d in range(4)
        ),
        locked=tuple(LockedAssignment(staff_id="C", day=d, shift_id="N") for d in range(4)),
        fairness=Fairness(nights_weight=3),
    )
    result = solved_exactly(data)
    assert result.stats.objective == 6
    assert result.objective_terms["fairness:nights"] == 6
    assert ("A", 3, "N") in {(a.staff_id, a.day, a.shift_id) for a in result.assignments}


def test_weekend_fairness_charges_the_spread_of_weekends_worked() -> None:
    """B must work both weekends and A may work one, so the best spread is 1 weekend (x 10)."""
    weekend_days = (5, 6, 12, 13)
    data = RotaInput(
        horizon_days=14,
        shift_types=SHIFTS[:1],
        staff=(
            Staff(id="A", days_off=frozenset({5, 12}), max_weekends=1),
            Staff(id="B"),
        ),
        cover=tuple(
            CoverRequirement(day=d, shift_id="E", required=1, under_weight=100, over_weight=100)
            for d in weekend_days
        ),
        fairness=Fairness(weekends_weight=10),
    )
    result = solved_exactly(data)
    assert result.stats.objective == 10
    assert result.objective_terms == {
        "cover_under": 0,
        "cover_over": 0,
        "requests": 0,
        "staff_cost": 0,
        "fairness:weekends": 10,
    }


def test_cross_site_fairness_shares_the_away_shifts() -> None:
    """Two H1 staff share the H2 slots B (H2 only) cannot fill: counts 1, 1, 0 cost 1 x 5."""
    data = RotaInput(
        horizon_days=2,
        shift_types=(
            ShiftType(id="E1", duration_minutes=480, site="H1"),
            ShiftType(id="E2", duration_minutes=480, site="H2"),
        ),
        staff=(
            Staff(id="A", group="g", home_site="H1"),
            Staff(id="B", group="g", home_site="H2", sites=frozenset({"H2"})),
            Staff(id="C", group="g", home_site="H1"),
        ),
        cover=tuple(
            CoverRequirement(day=d, shift_id="E2", required=2, under_weight=100, over_weight=100)
            for d in range(2)
        ),
        fairness=Fairness(cross_site_weight=5),
    )
    result = solved_exactly(data)
    assert result.stats.objective == 5
    assert result.objective_terms["fairness:cross_site"] == 5


def test_unknown_or_own_counts_as_is_refused() -> None:
    """A shift counting as an unknown shift, or as itself, is an input error naming it."""
    with pytest.raises(ValueError, match="counts as unknown shift types"):
        RotaInput(
            horizon_days=1,
            shift_types=(ShiftType(id="A", duration_minutes=60, counts_as=frozenset({"X"})),),
            staff=(Staff(id="P"),),
        )
    with pytest.raises(ValueError, match="cannot count as itself"):
        RotaInput(
            horizon_days=1,
            shift_types=(ShiftType(id="A", duration_minutes=60, counts_as=frozenset({"A"})),),
            staff=(Staff(id="P"),),
        )
    with pytest.raises(ValueError):
        Staff(id="P", travel_minutes={"X": -1})


def test_neighbourhood_moves_stay_feasible_with_fairness_travel_and_counts_as(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Moves fix only the shifts, so fairness maxima and minima can follow: none is infeasible."""
    shifts = (
        ShiftType(id="E", duration_minutes=480, start_minute=7 * 60, site="H1"),
        ShiftType(id="L", duration_minutes=480, start_minute=14 * 60, site="H2"),
        ShiftType(id="N", duration_minutes=720, start_minute=20 * 60, site="H1", night=True),
        ShiftType(
            id="D",
            duration_minutes=720,
            start_minute=8 * 60,
            site="H2",
            counts_as=frozenset({"E", "L"}),
        ),
    )
    staff = tuple(
        Staff(
            id=f"P{i}",
            group="reg" if i % 2 else "sho",
            home_site="H1" if i % 3 else "H2",
            travel_minutes={"H1": 5 * i % 40, "H2": 7 * i % 30},
            cost_per_shift=i % 3,
        )
        for i in range(10)
    )
    base = RotaInput(
        horizon_days=14,
        shift_types=shifts,
        staff=staff,
        cover=tuple(
            CoverRequirement(
                day=d, shift_id=s, required=1 if s == "N" else 2, under_weight=100, over_weight=2
            )
            for d in range(14)
            for s in ("E", "L", "N")
        ),
        travel_weight=1,
        fairness=Fairness(nights_weight=20, weekends_weight=30, cross_site_weight=5),
    )
    data = apply_rule_pack(base, DOCTORS_IN_TRAINING_2016)
    with caplog.at_level(logging.DEBUG, logger="solvers.rota"):
        result = solve_rota(data, SolveOptions(time_limit_seconds=3, num_workers=1))
    assert_rota_honest(data, result)
    moves = [r.getMessage() for r in caplog.records if r.getMessage().startswith("neighbourhood ")]
    assert moves or result.stats.status is Status.OPTIMAL
    assert not [m for m in moves if "INFEASIBLE" in m]


def test_doctors_pack_rests_46_hours_after_three_nights() -> None:
    """With the 2016 pack, the doctor who worked 3 nights cannot take the early 24 h later."""
    base = RotaInput(
        horizon_days=14,  # long enough that the 48 h average week does not bind
        shift_types=SHIFTS[:1] + SHIFTS[2:3],  # E 07:00-15:00, N 20:00-08:00
        staff=(Staff(id="A", cost_per_shift=1), Staff(id="B", cost_per_shift=5)),
        cover=(CoverRequirement(day=4, shift_id="E", required=1, under_weight=100, over_weight=0),),
        locked=tuple(LockedAssignment(staff_id="A", day=d, shift_id="N") for d in range(3)),
    )
    data = apply_rule_pack(base, DOCTORS_IN_TRAINING_2016)
    [rest] = [r for r in data.staff[0].rest_after_runs if r.name == "rest after nights"]
    assert (rest.min_run, rest.min_rest_minutes, rest.shift_ids) == (3, 46 * 60, {"N"})
    result = solved_exactly(data)
    assert result.stats.objective == 3 + 5  # A's 3 nights, then B (not A) on the early
    assert ("B", 4, "E") in {(a.staff_id, a.day, a.shift_id) for a in result.assignments}
    soft = data.model_copy(
        update={"rule_modes": {RuleFamily.REST_AFTER_RUN: RuleMode(hard=False, weight=1)}}
    )
    relaxed = solved_exactly(soft)
    assert relaxed.stats.objective == 3 + 1 + 1  # A works the early 23 h after, penalty 1
    assert relaxed.objective_terms["soft:rest_after_run"] == 1
