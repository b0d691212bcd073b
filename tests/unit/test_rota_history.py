"""History carried in (issue 16 §2): the days before a rota count towards every rolling rule.

Each rule across the join three ways on hand-built problems: the checker flags a roster that
breaks it only because of the history, the model leaves cover short rather than break it, and the
greedy construction never breaks it. Then properties on random problems with random histories: no
returned rota breaks a hard rule across the join, locks are kept, and on tiny problems the model's
optimum is the brute-force optimum of the checker with the same history.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import Status
from solvers.rota.check import check_rota
from solvers.rota.construct import construct_rota
from solvers.rota.model import solve_rota
from solvers.rota.rolling import solve_rota_by_windows
from solvers.rota.rules import RULE_PACKS, apply_rule_pack
from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    LockedAssignment,
    PastShift,
    RotaInput,
    RuleFamily,
    Staff,
)
from tests.oracles import assert_rota_honest, assert_true_optimum
from tests.strategies import planner_rotas, planner_rotas_with_history, with_history
from tests.unit.test_rota_construct import _without_minimum_rules
from tests.unit.test_rota_properties import QUICK
from tests.unit.test_rota_rules_2016 import EXACT, SHIFTS, _solved_short

# SHIFTS: E 07:00-15:00, L 14:00-22:00, N 20:00-08:00, LD 09:30-21:30 (8, 8, 12, 12 h).


def _problem(
    days: int,
    wanted: dict[int, str],
    history: dict[int, str],
    pack: str = "doctors_2016",
    first_weekday: int = 0,
) -> RotaInput:
    """One doctor, one of each shift wanted on its day, 14 days of history, under a rule pack."""
    base = RotaInput(
        horizon_days=days,
        first_weekday=first_weekday,
        shift_types=SHIFTS,
        staff=(Staff(id="D0", cost_per_shift=1),),
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=1, under_weight=100, over_weight=100)
            for d, s in sorted(wanted.items())
        ),
        history=tuple(
            PastShift(staff_id="D0", day=d, shift_id=s) for d, s in sorted(history.items())
        ),
        history_days=14,
    )
    return apply_rule_pack(base, RULE_PACKS[pack])


def _without_history(data: RotaInput) -> RotaInput:
    return data.model_copy(update={"history": (), "history_days": 0})


def _broken(data: RotaInput, worked: dict[int, str]) -> set[str]:
    roster = [Assignment(staff_id="D0", day=d, shift_id=s) for d, s in sorted(worked.items())]
    return {v.rule for v in check_rota(data, roster).violations}


def _breaks_only_across_the_join(data: RotaInput, worked: dict[int, str], rule: str) -> None:
    """The roster breaks `rule` with the history and not without it."""
    assert rule in _broken(data, worked)
    assert rule not in _broken(_without_history(data), worked)


NIGHTS_BEFORE = {-3: "N", -2: "N", -1: "N"}


def test_nights_in_a_row_count_the_history() -> None:
    """Nights on days -3..-1: one more night on day 0 is the 4th, a 5th on day 1 is one too many."""
    data = _problem(6, {0: "N", 1: "N"}, NIGHTS_BEFORE)
    _breaks_only_across_the_join(data, {0: "N", 1: "N"}, RuleFamily.MAX_CONSECUTIVE_OF_KIND)
    assert RuleFamily.MAX_CONSECUTIVE_OF_KIND not in _broken(data, {0: "N"})
    assert _solved_short(data) == 1
    assert _solved_short(_without_history(data)) == 0


def test_rest_after_nights_in_the_history_is_kept() -> None:
    """3 nights end at 08:00 on day 0: 46 h rest, so nothing before 06:00 on day 2."""
    data = _problem(4, {1: "L", 2: "E"}, NIGHTS_BEFORE)
    _breaks_only_across_the_join(data, {1: "L"}, RuleFamily.REST_AFTER_RUN)
    assert _broken(data, {2: "E"}) == set()
    assert _solved_short(data) == 1


def test_long_shifts_in_a_row_and_the_rest_after_them() -> None:
    """4 long days before day 0: no 5th, and 48 h rest from 21:30 on day -1."""
    history = {-4: "LD", -3: "LD", -2: "LD", -1: "LD"}
    data = _problem(4, {0: "LD", 1: "L"}, history)
    _breaks_only_across_the_join(data, {0: "LD"}, RuleFamily.MAX_CONSECUTIVE_OF_KIND)
    _breaks_only_across_the_join(data, {1: "L"}, RuleFamily.REST_AFTER_RUN)
    assert _broken(data, {2: "E"}) == set()
    assert _solved_short(data) == 2


def test_shifts_in_a_row_count_the_history() -> None:
    """7 earlies before day 0: no 8th day, and 48 h rest from 15:00 on day -1."""
    history = {d: "E" for d in range(-7, 0)}
    data = _problem(4, {0: "E", 1: "E", 2: "L"}, history)
    _breaks_only_across_the_join(data, {0: "E"}, RuleFamily.MAX_CONSECUTIVE_SHIFTS)
    _breaks_only_across_the_join(data, {1: "E"}, RuleFamily.REST_AFTER_RUN)
    assert _broken(data, {2: "L"}) == set()
    assert _solved_short(data) == 2


def test_daily_rest_after_the_last_history_shift() -> None:
    """A night on day -1 ends at 08:00 on day 0: an early that day has no 11 h rest."""
    data = _problem(2, {0: "E", 1: "E"}, {-1: "N"}, pack="wtr")
    _breaks_only_across_the_join(data, {0: "E"}, RuleFamily.BANNED_SUCCESSION)
    assert _solved_short(data) == 1


def test_weekends_in_a_row_run_across_the_join() -> None:
    """A Saturday worked on day -2: the next weekend (days 4-6, from Friday 21:00) is off."""
    data = _problem(7, {5: "E"}, {-2: "E"})
    _breaks_only_across_the_join(data, {5: "E"}, RuleFamily.WEEKEND_FREQUENCY)
    assert _broken(data, {4: "E"}) == set()  # Friday 07:00-15:00 is not the weekend
    assert _solved_short(data) == 1


def test_a_weekend_that_straddles_the_join_is_worked_by_the_history() -> None:
    """Day 0 is a Saturday; a Friday late on day -1 worked that weekend, so the next is off."""
    data = _problem(9, {0: "L", 7: "E"}, {-1: "L"}, first_weekday=5)
    _breaks_only_across_the_join(data, {7: "E"}, RuleFamily.WEEKEND_FREQUENCY)
    # Working the rest of the same weekend is still one weekend.
    assert _broken(data, {0: "L"}) == set()
    assert _solved_short(data) == 1


def test_weekly_rest_in_the_week_across_the_join() -> None:
    """Day 0 is a Thursday: Monday to Wednesday worked before it, 24 h rest owed that week."""
    history = {-3: "E", -2: "E", -1: "E"}
    data = _problem(4, {0: "E", 1: "E", 2: "E", 3: "E"}, history, pack="wtr", first_weekday=3)
    assert data.rest_periods(7) == [(-3, 4)]
    worked = {0: "E", 1: "E", 2: "E", 3: "E"}
    _breaks_only_across_the_join(data, worked, RuleFamily.WEEKLY_REST)
    result = solve_rota(data, EXACT)
    assert check_rota(data, result.assignments).violations == ()
    assert check_rota(data, construct_rota(data)).violations == ()


def test_fortnightly_rest_across_the_join() -> None:
    """48 h in 14 days (`wtr_fortnightly_rest`): ten days worked before day 0 leave 4 to find it."""
    history = {d: "E" for d in range(-10, 0)}
    data = _problem(4, {1: "E", 2: "E"}, history, pack="wtr_fortnightly_rest", first_weekday=3)
    assert data.rest_periods(14) == [(-10, 4)]
    assert RuleFamily.WEEKLY_REST not in _broken(data, {1: "E"})
    _breaks_only_across_the_join(data, {1: "E", 2: "E"}, RuleFamily.WEEKLY_REST)
    assert _solved_short(data) == 1


def test_minutes_in_7_days_count_the_history() -> None:
    """68 h in days -6..-1: an 8 h late on day 0 makes 76 h in 7 days, over 72."""
    history = {-6: "LD", -5: "LD", -4: "LD", -3: "L", -2: "LD", -1: "LD"}
    data = _problem(3, {0: "L", 1: "L"}, history)
    _breaks_only_across_the_join(data, {0: "L"}, RuleFamily.MAX_MINUTES_IN_WINDOW)
    assert _solved_short(data) == 1


def test_what_the_history_broke_alone_is_not_the_rotas() -> None:
    """6 nights in a row in the record: the rota is not charged for them, but may not add a 7th."""
    history = {d: "N" for d in range(-6, 0)}
    data = _problem(5, {0: "N", 3: "E"}, history)
    assert _broken(data, {}) == set()
    assert RuleFamily.MAX_CONSECUTIVE_OF_KIND in _broken(data, {0: "N"})
    assert _broken(data, {3: "E"}) == set()  # 46 h after 08:00 on day 0 is 06:00 on day 2
    assert _solved_short(data) == 1


def test_a_lock_the_history_makes_impossible_is_explained_not_broken() -> None:
    """Nights locked on days 0 and 1 after 3 nights: no rota, and the rule in conflict is named."""
    locks = (
        LockedAssignment(staff_id="D0", day=0, shift_id="N"),
        LockedAssignment(staff_id="D0", day=1, shift_id="N"),
    )
    data = _problem(7, {}, NIGHTS_BEFORE).model_copy(update={"locked": locks})
    options = EXACT.model_copy(update={"explain_infeasibility": True})
    result = solve_rota(data, options)
    assert result.stats.status is Status.INFEASIBLE and result.assignments == ()
    named = {limit.name for limit in result.infeasible_because}
    assert {RuleFamily.LOCKED, RuleFamily.MAX_CONSECUTIVE_OF_KIND} <= named


def test_solving_by_windows_carries_the_history_into_the_first_window() -> None:
    """The week-at-a-time solve sees the history too (its first window's day 0 is day 0)."""
    data = _problem(21, {0: "N", 1: "N", 8: "E"}, NIGHTS_BEFORE)
    result = solve_rota_by_windows(data, QUICK)
    assert result.stats.status.has_solution
    assert check_rota(data, result.assignments).violations == ()


def test_history_must_name_known_staff_shifts_and_days() -> None:
    data = _problem(3, {}, {})
    raw = data.model_dump()
    for bad, words in (
        ({"staff_id": "X", "day": -1, "shift_id": "E"}, "unknown staff X"),
        ({"staff_id": "D0", "day": -1, "shift_id": "Q"}, "unknown shift Q"),
        ({"staff_id": "D0", "day": -15, "shift_id": "E"}, "before the 14 days"),
    ):
        try:
            RotaInput.model_validate({**raw, "history": [bad]})
        except ValueError as error:
            assert words in str(error)
        else:
            raise AssertionError(f"{bad} accepted")


# --- Properties on random problems with random histories -----------------------------------------


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas_with_history())
def test_no_returned_rota_breaks_a_hard_rule_across_the_join(data: RotaInput) -> None:
    """Whatever comes back keeps every hard rule with the history counted, and every lock."""
    assert_rota_honest(data, solve_rota(data, QUICK))


@settings(
    max_examples=16, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.one_of(
        planner_rotas_with_history(max_staff=2, max_days=3, max_shifts=2),
        planner_rotas_with_history(min_staff=1, max_staff=1, max_days=5, max_shifts=2),
    )
)
def test_model_and_checker_agree_on_the_join(data: RotaInput) -> None:
    """On tiny problems the model's optimum (or infeasibility) is the checker's brute force."""
    assert_true_optimum(data, QUICK)


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas(max_staff=6, max_days=14).map(_without_minimum_rules).flatmap(with_history))
def test_constructed_rota_keeps_the_rules_across_the_join(data: RotaInput) -> None:
    """The greedy start keeps every upper limit with the history counted."""
    check = check_rota(data, construct_rota(data))
    assert check.violations == (), check.violations
