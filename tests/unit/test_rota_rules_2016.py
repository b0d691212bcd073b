"""The rules doctors and nurses name: contract weekends, rest after runs, WTR weekly rest.

Each rule three ways on small hand-built problems: the checker flags a hand-made roster that
breaks it (and passes one that keeps it), the model leaves cover short rather than break it, and
the greedy construction never breaks it. Day 0 is a Monday throughout.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.construct import construct_rota
from solvers.rota.model import solve_rota
from solvers.rota.rules import RULE_PACKS, apply_rule_pack
from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    RotaInput,
    RuleFamily,
    ShiftType,
    Staff,
)
from tests.oracles import assert_rota_honest

EXACT = SolveOptions(time_limit_seconds=10, num_workers=1)
E = ShiftType(id="E", duration_minutes=8 * 60, start_minute=7 * 60)  # 07:00-15:00
L = ShiftType(id="L", duration_minutes=8 * 60, start_minute=14 * 60)  # 14:00-22:00
N = ShiftType(id="N", duration_minutes=12 * 60, start_minute=20 * 60)  # 20:00-08:00
LD = ShiftType(id="LD", duration_minutes=12 * 60, start_minute=9 * 60 + 30)  # 09:30-21:30
SHIFTS = (E, L, N, LD)


def _problem(days: int, wanted: dict[int, str], pack: str = "doctors_2016") -> RotaInput:
    """One doctor (no other limit), one of each shift wanted on its day, under a rule pack."""
    base = RotaInput(
        horizon_days=days,
        shift_types=SHIFTS,
        staff=(Staff(id="D0", cost_per_shift=1),),
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=1, under_weight=100, over_weight=100)
            for d, s in sorted(wanted.items())
        ),
    )
    return apply_rule_pack(base, RULE_PACKS[pack])


def _roster(worked: dict[int, str], staff_id: str = "D0") -> list[Assignment]:
    return [Assignment(staff_id=staff_id, day=d, shift_id=s) for d, s in sorted(worked.items())]


def _broken(data: RotaInput, worked: dict[int, str]) -> set[str]:
    return {v.rule for v in check_rota(data, _roster(worked)).violations}


def _solved_short(data: RotaInput) -> int:
    """Places short in the optimal rota, which must break no hard rule; greedy also checked."""
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    check = check_rota(data, result.assignments)
    assert check.violations == ()
    assert check_rota(data, construct_rota(data)).violations == ()
    return check.places_short


# --- Weekend: Friday 21:00 to Monday 07:00, at most 1 in any 2 in a row ---------------------------


def test_contract_weekend_is_friday_21_to_monday_07() -> None:
    data = _problem(14, {})
    [limit] = data.staff[0].weekend_limits
    assert data.staff[0].max_weekends is None  # replaced by the contract's own weekend
    weekends = data.weekend_windows(limit)
    assert weekends == [
        (4 * 1440 + 21 * 60, 7 * 1440 + 7 * 60),
        (11 * 1440 + 21 * 60, 14 * 1440 + 7 * 60),
    ]
    # A Friday late (to 22:00) works the first weekend, a Friday early does not; a Monday
    # early (from 07:00) does not either, so the second weekend alone is fine with both.
    assert _broken(data, {4: "L", 12: "E"}) == {RuleFamily.WEEKEND_FREQUENCY}
    assert _broken(data, {4: "E", 7: "E", 12: "E"}) == set()
    # A Sunday night runs into Monday: it works the first weekend only.
    assert _broken(data, {6: "N", 11: "E"}) == set()
    assert _broken(data, {6: "N", 11: "L"}) == {RuleFamily.WEEKEND_FREQUENCY}


def test_one_weekend_in_every_pair_also_over_three_weekends() -> None:
    data = _problem(21, {})
    # Weekends 1 and 3 are not consecutive: allowed; 2 and 3 are.
    assert _broken(data, {5: "E", 19: "E"}) == set()
    violations = check_rota(data, _roster({12: "E", 19: "E"})).violations
    assert [v.when for v in violations] == ["weekends (Fri 21:00-Mon 07:00) weekends 2-3"]


def test_model_leaves_a_weekend_short_rather_than_work_two_in_a_row() -> None:
    # One doctor; a Friday late and the next Saturday early both wanted.
    assert _solved_short(_problem(14, {4: "L", 12: "E"})) == 1
    # With a Friday early instead, both can be worked.
    assert _solved_short(_problem(14, {4: "E", 12: "E"})) == 0


# --- Runs: at most 4 long shifts in a row, at most 7 shifts in a row, then 48 h rest -------------


def test_four_long_shifts_then_48_hours_rest() -> None:
    data = _problem(14, {})
    four = {d: "LD" for d in range(4)}  # the last ends day 3 at 21:30
    assert _broken(data, {**four, 4: "LD"}) >= {RuleFamily.MAX_CONSECUTIVE_OF_KIND}
    # Day 5 at 07:00 is 33.5 h after: too soon; day 6 at 07:00 is 57.5 h: fine.
    assert _broken(data, {**four, 5: "E"}) == {RuleFamily.REST_AFTER_RUN}
    assert _broken(data, {**four, 6: "E"}) == set()
    # Three long shifts in a row owe no 48 h.
    assert _broken(data, {0: "LD", 1: "LD", 2: "LD", 4: "E"}) == set()


def test_model_keeps_48_hours_after_four_long_shifts() -> None:
    four = {d: "LD" for d in range(4)}
    assert _solved_short(_problem(14, {**four, 5: "E"})) == 1
    assert _solved_short(_problem(14, {**four, 5: "L"})) == 1  # 14:00 on day 5 is 40.5 h after
    assert _solved_short(_problem(14, {**four, 6: "E"})) == 0


def test_seven_shifts_then_48_hours_rest() -> None:
    data = _problem(14, {})
    seven = {d: "E" for d in range(7)}  # the last ends day 6 at 15:00
    assert RuleFamily.MAX_CONSECUTIVE_SHIFTS in _broken(data, {**seven, 7: "E"})
    # Day 8 at 07:00 is 40 h after: too soon; day 8 at 20:00 (a night) is 53 h: fine.
    assert _broken(data, {**seven, 8: "E"}) == {RuleFamily.REST_AFTER_RUN}
    assert _broken(data, {**seven, 8: "N"}) == set()


def test_model_keeps_48_hours_after_seven_shifts() -> None:
    wanted = {**{d: "E" for d in range(7)}, 8: "E"}
    assert _solved_short(_problem(14, wanted)) == 1
    assert _solved_short(_problem(14, {**wanted, 8: "N"})) == 0


# --- Working Time Regulations weekly rest: 24 h uninterrupted in each week ------------------------


def test_weekly_rest_is_measured_in_hours_not_days_off() -> None:
    data = _problem(14, {}, pack="wtr")
    assert data.staff[0].max_consecutive_shifts is None  # no "6 days in a row" stand-in
    # A day off (day 1) but only 23 h of rest: night to 08:00 on day 1, early at 07:00 on day 2.
    week = {0: "N", 2: "E", 3: "E", 4: "E", 5: "E", 6: "E"}
    violations = check_rota(data, _roster(week)).violations
    assert [(v.rule, v.when) for v in violations] == [
        (RuleFamily.WEEKLY_REST, "weekly rest (7 days) days 0-6")
    ]
    # 7 days in a row across the join of two weeks leaves 72 h rest in each: lawful.
    assert _broken(data, {d: "E" for d in range(3, 10)}) == set()


def test_fortnightly_alternative_owes_48_hours_in_14_days() -> None:
    data = _problem(14, {}, pack="wtr_fortnightly_rest")
    [rest] = data.staff[0].weekly_rests
    assert (rest.period_days, rest.min_rest_minutes) == (14, 48 * 60)
    # Early every day but days 6 and 7: 64 h rest from day 5 15:00 to day 8 07:00.
    fortnight = {d: "E" for d in range(14) if d not in (6, 7)}
    assert _broken(data, fortnight) == set()
    # One day off a week gives 40 h at most: enough for 24 h in 7, not for 48 h in 14.
    weekly = {d: "E" for d in range(14) if d not in (6, 13)}
    assert _broken(data, weekly) == {RuleFamily.WEEKLY_REST}
    assert _broken(_problem(14, {}, pack="wtr"), weekly) == set()


def test_model_keeps_the_weekly_rest() -> None:
    wanted = {0: "N", 2: "E", 3: "E", 4: "E", 5: "E", 6: "E"}
    assert _solved_short(_problem(14, wanted, pack="wtr")) == 1
    # Seven earlies across the join of two weeks can all be worked.
    assert _solved_short(_problem(14, {d: "E" for d in range(3, 10)}, pack="wtr")) == 0


# --- Property: no returned rota, and no greedy start, breaks the new rules ------------------------

NEW_RULES = {RuleFamily.WEEKEND_FREQUENCY, RuleFamily.WEEKLY_REST, RuleFamily.REST_AFTER_RUN}


@st.composite
def busy_doctors(draw: st.DrawFn) -> RotaInput:
    """1-3 doctors, 1-3 weeks from any weekday, more cover than they can give, WTR (+ 2016) packs.

    Cover is wanted on most days, weekends included, so the weekend, run and weekly-rest rules
    bind; `assert_rota_honest` then holds the rota to the checker.
    """
    days = draw(st.integers(5, 21))
    shifts = tuple(draw(st.lists(st.sampled_from(SHIFTS), min_size=1, max_size=3, unique=True)))
    cover = tuple(
        CoverRequirement(
            day=d, shift_id=s.id, required=draw(st.integers(0, 2)), under_weight=100, over_weight=1
        )
        for d in range(days)
        for s in shifts
    )
    base = RotaInput(
        horizon_days=days,
        first_weekday=draw(st.integers(0, 6)),
        shift_types=shifts,
        staff=tuple(Staff(id=f"D{k}", cost_per_shift=k) for k in range(draw(st.integers(1, 3)))),
        cover=cover,
    )
    data = apply_rule_pack(base, RULE_PACKS[draw(st.sampled_from(["wtr", "wtr_fortnightly_rest"]))])
    # The doctors' runs and 72 h in 7 days often leave the weekly rest slack: half without them.
    return apply_rule_pack(data, RULE_PACKS["doctors_2016"]) if draw(st.booleans()) else data


@settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(busy_doctors())
def test_no_rota_breaks_the_new_rules(data: RotaInput) -> None:
    """The solver's rota and the greedy start keep the weekend, run-rest and weekly-rest rules."""
    result = solve_rota(data, SolveOptions(time_limit_seconds=2, num_workers=1))
    assert_rota_honest(data, result)
    assert result.stats.status.has_solution  # nothing is locked: leaving cover short is allowed
    built = check_rota(data, construct_rota(data))
    assert not [v for v in built.violations if v.rule in NEW_RULES], built.violations
