"""The independent rota checker counts every rule as docs/rota.md states it."""

from __future__ import annotations

import pytest

from solvers.rota.check import UNKNOWN_REFERENCE, check_rota
from solvers.rota.schema import (
    Assignment,
    ConsecutiveLimit,
    CoverRequirement,
    Fairness,
    LockedAssignment,
    RestAfterRun,
    RotaInput,
    RuleFamily,
    RuleMode,
    ShiftRequest,
    ShiftType,
    Staff,
    WindowMinutesLimit,
)

SHIFTS = (
    ShiftType(id="E", duration_minutes=480, start_minute=7 * 60),
    ShiftType(id="N", duration_minutes=600, start_minute=21 * 60),
)


def problem(horizon: int = 7, **staff_fields: object) -> RotaInput:
    """One person (A) with the given limits over `horizon` days starting on a Monday."""
    extra = {k: v for k, v in staff_fields.items() if not k.startswith("input_")}
    inputs = {
        k.removeprefix("input_"): v for k, v in staff_fields.items() if k.startswith("input_")
    }
    return RotaInput(
        horizon_days=horizon, shift_types=SHIFTS, staff=(Staff(id="A", **extra),), **inputs
    )


def rota(*cells: tuple[int, str], staff_id: str = "A") -> list[Assignment]:
    return [Assignment(staff_id=staff_id, day=day, shift_id=shift) for day, shift in cells]


def rules_broken(data: RotaInput, assignments: list[Assignment]) -> list[str]:
    return [v.rule for v in check_rota(data, assignments).violations]


def test_empty_rota_of_a_free_person_breaks_nothing() -> None:
    """A person with no limits and no shifts breaks no rule and costs nothing."""
    result = check_rota(problem(), [])
    assert result.feasible and result.objective == 0


def test_two_shifts_on_one_day_break_one_shift_per_day() -> None:
    """Working two shifts on the same day is reported once for that day."""
    assert rules_broken(problem(), rota((2, "E"), (2, "N"))) == [RuleFamily.ONE_SHIFT_PER_DAY]


def test_unknown_ids_are_reported_not_raised() -> None:
    """A rota naming a person, shift or day outside the problem is a violation, not a crash."""
    broken = rules_broken(problem(), [Assignment(staff_id="Z", day=9, shift_id="X")])
    assert broken == [UNKNOWN_REFERENCE]


def test_run_longer_than_maximum_counts_days_beyond() -> None:
    """A soft maximum run charges one unit per day beyond the limit (6 days vs max 4: 2 units)."""
    data = problem(
        horizon=7,
        max_consecutive_shifts=4,
        input_rule_modes={RuleFamily.MAX_CONSECUTIVE_SHIFTS: RuleMode(hard=False, weight=5)},
    )
    result = check_rota(data, rota(*((d, "E") for d in range(6))))
    assert result.feasible
    assert result.terms["soft:max_consecutive_shifts"] == 2 * 5


def test_short_run_inside_horizon_breaks_minimum_but_edges_are_exempt() -> None:
    """A one-day run mid-horizon breaks a minimum of 2; one-day runs on the first or last do not."""
    data = problem(horizon=7, min_consecutive_shifts=2)
    assert rules_broken(data, rota((3, "E"))) == [RuleFamily.MIN_CONSECUTIVE_SHIFTS]
    assert rules_broken(data, rota((0, "E"), (6, "E"))) == []


def test_edges_count_when_not_exempt() -> None:
    """With edge runs not exempt, a one-day run on the first day breaks a minimum of 2."""
    data = problem(horizon=7, min_consecutive_shifts=2, input_edge_runs_exempt=False)
    assert rules_broken(data, rota((0, "E"))) == [RuleFamily.MIN_CONSECUTIVE_SHIFTS]


def test_single_day_off_between_shifts_breaks_minimum_days_off() -> None:
    """One day off between two runs breaks a minimum of 2 consecutive days off."""
    data = problem(horizon=7, min_consecutive_days_off=2)
    cells = [(d, "E") for d in (0, 1, 2, 4, 5, 6)]
    assert rules_broken(data, rota(*cells)) == [RuleFamily.MIN_CONSECUTIVE_DAYS_OFF]


def test_weekends_counted_by_saturday_or_sunday() -> None:
    """Working Saturday of week 1 and Sunday of week 2 is two weekends, over a maximum of 1."""
    data = problem(horizon=14, max_weekends=1)
    assert rules_broken(data, rota((5, "E"), (13, "E"))) == [RuleFamily.MAX_WEEKENDS]
    assert rules_broken(data, rota((5, "E"), (6, "E"))) == []


def test_banned_succession_only_on_consecutive_days() -> None:
    """N then E the next day is banned; with a day between it is allowed."""
    data = problem(input_banned_successions=frozenset({("N", "E")}))
    assert rules_broken(data, rota((1, "N"), (2, "E"))) == [RuleFamily.BANNED_SUCCESSION]
    assert rules_broken(data, rota((1, "N"), (3, "E"))) == []


def test_total_minutes_and_shifts_per_type() -> None:
    """Minutes below the minimum and night shifts over their cap are both reported."""
    data = problem(min_total_minutes=3 * 480, max_shifts_per_type={"N": 1})
    broken = rules_broken(data, rota((0, "N"), (1, "N")))
    assert sorted(broken) == sorted([RuleFamily.MAX_SHIFTS_PER_TYPE, RuleFamily.MIN_TOTAL_MINUTES])


def test_days_off_and_locked() -> None:
    """Working a day off, and not working a locked shift, are both violations."""
    data = problem(
        days_off=frozenset({2}),
        input_locked=(LockedAssignment(staff_id="A", day=4, shift_id="E"),),
    )
    assert sorted(rules_broken(data, rota((2, "E")))) == sorted(
        [RuleFamily.DAYS_OFF, RuleFamily.LOCKED]
    )
    assert rules_broken(data, rota((4, "E"))) == []


def test_runs_of_a_kind_and_minutes_in_a_window() -> None:
    """Three nights in a row over a maximum of 2, and 30 h in 3 days over 24 h, are reported."""
    data = problem(
        consecutive_limits=(
            ConsecutiveLimit(name="nights", shift_ids=frozenset({"N"}), max_days=2),
        ),
        window_limits=(WindowMinutesLimit(name="24h in 3 days", window_days=3, max_minutes=1440),),
    )
    broken = rules_broken(data, rota((0, "N"), (1, "N"), (2, "N")))
    assert sorted(broken) == sorted(
        [RuleFamily.MAX_CONSECUTIVE_OF_KIND, RuleFamily.MAX_MINUTES_IN_WINDOW]
    )


def test_cover_and_requests_are_weighted() -> None:
    """Cover short by 1 (weight 100), over by 1 (weight 1) and a refused wish (weight 3) add up."""
    data = RotaInput(
        horizon_days=2,
        shift_types=SHIFTS,
        staff=(Staff(id="A"), Staff(id="B")),
        cover=(
            CoverRequirement(day=0, shift_id="E", required=2, under_weight=100, over_weight=1),
            CoverRequirement(day=1, shift_id="E", required=0, under_weight=100, over_weight=1),
        ),
        requests=(
            ShiftRequest(staff_id="B", day=0, shift_id="E", kind="on", weight=3),
            ShiftRequest(staff_id="A", day=1, shift_id="E", kind="off", weight=2),
        ),
    )
    result = check_rota(
        data, [Assignment(staff_id="A", day=0, shift_id="E")] + rota((1, "E"), staff_id="B")
    )
    assert result.terms["cover_under"] == 100
    assert result.terms["cover_over"] == 1
    assert result.terms["requests"] == 3
    assert result.objective == 104


@pytest.mark.parametrize(
    ("skill", "expected_under"),
    [(None, 0), ("RN", 1)],
)
def test_skill_cover_counts_only_people_with_the_skill(
    skill: str | None, expected_under: int
) -> None:
    """Cover for a skill counts only the people who hold it."""
    data = RotaInput(
        horizon_days=1,
        shift_types=SHIFTS,
        staff=(Staff(id="A", skills=frozenset({"RN"})), Staff(id="B")),
        cover=(
            CoverRequirement(
                day=0, shift_id="E", skill=skill, required=2, under_weight=1, over_weight=0
            ),
        ),
    )
    assignments = [Assignment(staff_id=p, day=0, shift_id="E") for p in ("A", "B")]
    assert check_rota(data, assignments).terms["cover_under"] == expected_under


def test_invalid_input_names_every_problem() -> None:
    """A problem with several bad references says what each one is, all at once."""
    with pytest.raises(ValueError) as caught:
        RotaInput(
            horizon_days=3,
            shift_types=SHIFTS,
            staff=(Staff(id="A", days_off=frozenset({5})), Staff(id="A")),
            cover=(
                CoverRequirement(day=0, shift_id="X", required=1, under_weight=1, over_weight=1),
            ),
        )
    message = str(caught.value)
    assert "repeated: A" in message
    assert "day 5 is outside the horizon" in message
    assert "unknown shift type X" in message


def test_cover_counts_shifts_that_count_as_the_covered_shift() -> None:
    """An all-day list counts once towards AM and once towards PM; a plain AM counts for AM only."""
    shifts = (
        ShiftType(id="AM", duration_minutes=240),
        ShiftType(id="PM", duration_minutes=240),
        ShiftType(id="DAY", duration_minutes=600, counts_as=frozenset({"AM", "PM"})),
    )
    data = RotaInput(
        horizon_days=1,
        shift_types=shifts,
        staff=(Staff(id="A"), Staff(id="B")),
        cover=(
            CoverRequirement(day=0, shift_id="AM", required=1, under_weight=100, over_weight=7),
            CoverRequirement(day=0, shift_id="PM", required=2, under_weight=100, over_weight=7),
            CoverRequirement(day=0, shift_id="DAY", required=1, under_weight=100, over_weight=7),
        ),
    )
    result = check_rota(data, rota((0, "DAY")) + rota((0, "AM"), staff_id="B"))
    assert result.terms["cover_over"] == 7  # AM has 2 for 1 wanted
    assert result.terms["cover_under"] == 100  # PM has 1 for 2 wanted; DAY has its 1
    assert result.objective == 107


def test_travel_charges_listed_sites_only() -> None:
    """Travel is weight x minutes to listed sites; unlisted sites and siteless shifts are free."""
    data = RotaInput(
        horizon_days=3,
        shift_types=(
            ShiftType(id="X", duration_minutes=480, site="X"),
            ShiftType(id="Y", duration_minutes=480, site="Y"),
            ShiftType(id="Z", duration_minutes=480),
        ),
        staff=(Staff(id="A", travel_minutes={"X": 25}),),
        travel_weight=3,
    )
    result = check_rota(data, rota((0, "X"), (1, "Y"), (2, "Z")))
    assert result.terms["travel"] == 3 * 25
    assert result.objective == 75
    assert "travel" not in check_rota(data, rota((1, "Y"))).terms


def test_fairness_terms_are_weighted_spreads_within_groups() -> None:
    """Nights 2-0, weekends 2-1, away shifts 2-1 in group g (C alone is ignored): 2 + 10 + 100."""
    shifts = (
        ShiftType(id="N1", duration_minutes=600, site="H1", night=True),
        ShiftType(id="E2", duration_minutes=480, site="H2"),
        ShiftType(id="E", duration_minutes=480),
    )
    data = RotaInput(
        horizon_days=14,
        shift_types=shifts,
        staff=(
            Staff(id="A", group="g", home_site="H2"),
            Staff(id="B", group="g", home_site="H1"),
            Staff(id="C", group="solo", home_site="H2"),
        ),
        fairness=Fairness(nights_weight=1, weekends_weight=10, cross_site_weight=100),
    )
    # A: nights on Sat 5 and Sun 13 at H1 (2 nights, 2 weekends, 2 away).
    # B: E2 on Sun 6 at H2 (0 nights, 1 weekend, 1 away). C: nights everywhere, alone.
    assignments = (
        rota((5, "N1"), (13, "N1"))
        + rota((6, "E2"), staff_id="B")
        + rota(*((d, "N1") for d in range(14)), staff_id="C")
    )
    result = check_rota(data, assignments)
    assert result.terms["fairness:nights"] == 2 * 1
    assert result.terms["fairness:weekends"] == (2 - 1) * 10
    assert result.terms["fairness:cross_site"] == (2 - 1) * 100
    assert result.objective == 2 + 10 + 100


def test_rest_after_a_run_of_nights_is_measured_from_shift_times() -> None:
    """Nights on days 0-2 end 07:00 day 3: an early on day 4 (24 h) breaks 46 h; on day 5 not."""
    data = problem(
        horizon=7,
        rest_after_runs=(
            RestAfterRun(
                name="rest after nights",
                shift_ids=frozenset({"N"}),
                min_run=3,
                min_rest_minutes=46 * 60,
            ),
        ),
    )
    nights = [(d, "N") for d in range(3)]
    assert rules_broken(data, rota(*nights, (4, "E"))) == [RuleFamily.REST_AFTER_RUN]
    assert rules_broken(data, rota(*nights, (5, "E"))) == []  # 48 h after
    assert rules_broken(data, rota(*nights[1:], (4, "E"))) == []  # only 2 nights
