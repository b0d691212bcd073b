"""Fairness per whole-time equivalent, and the band around each person's pro-rata share.

The checker's figures are worked by hand here; the model's are held to the checker on problems
where counting per person instead of per WTE would give another optimum.
"""

from __future__ import annotations

from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.construct import construct_rota
from solvers.rota.model import solve_rota
from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    Fairness,
    RotaInput,
    ShiftType,
    Staff,
)
from tests.oracles import assert_rota_honest

NIGHT = ShiftType(id="N", duration_minutes=600, start_minute=21 * 60, night=True)
EXACT = SolveOptions(time_limit_seconds=20, num_workers=1)


def nights(staff_id: str, *days: int) -> list[Assignment]:
    return [Assignment(staff_id=staff_id, day=day, shift_id="N") for day in days]


def problem(staff: tuple[Staff, ...], fairness: Fairness, horizon: int = 6) -> RotaInput:
    """One night a day to cover, each unfilled night far dearer than any fairness term."""
    return RotaInput(
        horizon_days=horizon,
        shift_types=(NIGHT,),
        staff=staff,
        cover=tuple(
            CoverRequirement(day=d, shift_id="N", required=1, under_weight=10_000, over_weight=0)
            for d in range(horizon)
        ),
        fairness=fairness,
    )


def test_the_checker_compares_nights_per_wte() -> None:
    """Full time 4 and half time 2 are level; half time 3 is 2 per WTE above; 0.8 x 3 is level.

    Per WTE, in hundredths: A 4 x 100 = 400, B 2 x 200 = 400 (spread 0); with B on 3, 600
    (spread 2 whole nights); C (0.8 WTE, 125 a night) on 3 is 375, less than one below A.
    Z has no contract (0 WTE) and no share, so its 0 nights count for nothing.
    """
    staff = (
        Staff(id="A", group="reg"),
        Staff(id="B", group="reg", fte_tenths=5),
        Staff(id="Z", group="reg", fte_tenths=0),
    )
    data = problem(staff, Fairness(nights_weight=7), horizon=8)
    level = check_rota(data, nights("A", 0, 1, 2, 3) + nights("B", 4, 5))
    assert "fairness:nights" not in level.terms
    above = check_rota(data, nights("A", 0, 1, 2, 3) + nights("B", 4, 5, 6))
    assert above.terms["fairness:nights"] == 2 * 7
    part_time = problem(
        (staff[0], Staff(id="C", group="reg", fte_tenths=8)), Fairness(nights_weight=7), horizon=8
    )
    assert (
        "fairness:nights"
        not in check_rota(part_time, nights("A", 0, 1, 2, 3) + nights("C", 4, 5, 6)).terms
    )


def test_the_checker_counts_whole_nights_outside_the_band() -> None:
    """A (full time) 8 and B (half time) 1 of 9: shares 6 and 3; at 25 % B is 1 night below.

    The band runs from 75 % to 125 % of a share, rounded outwards to whole nights: A 4 to 8
    (4.5 and 7.5), B 2 to 4 (2.25 and 3.75). A's 8 is inside it; B must take on one night to
    reach 2. Per WTE the spread is 800 - 200 hundredths: 6 nights. A 6 and B 3 is inside.
    """
    staff = (Staff(id="A", group="reg"), Staff(id="B", group="reg", fte_tenths=5))
    data = problem(staff, Fairness(nights_weight=1, band_percent=25, band_weight=50), horizon=9)
    result = check_rota(data, nights("A", *range(8)) + nights("B", 8))
    assert result.terms["fairness:nights"] == 6
    assert result.terms["fairness_band:nights"] == 50
    (line,) = result.fairness
    assert (line.group, line.kind, line.people, line.fewest, line.most) == (
        "reg",
        "nights",
        2,
        200,
        800,
    )
    assert (line.band_percent, line.band_shifts, line.outside) == (25, 1, ("B",))
    inside = check_rota(data, nights("A", *range(6)) + nights("B", 6, 7, 8))
    assert "fairness_band:nights" not in inside.terms
    assert "fairness:nights" not in inside.terms


def test_a_share_below_one_shift_allows_none_or_one() -> None:
    """Ten full-timers share 2 nights (0.2 each): working 0 or 1 is within the rounded band."""
    staff = tuple(Staff(id=f"P{k}", group="reg") for k in range(10))
    data = problem(staff, Fairness(nights_weight=1, band_percent=25, band_weight=50), horizon=2)
    result = check_rota(data, nights("P0", 0) + nights("P1", 1))
    assert "fairness_band:nights" not in result.terms
    assert result.terms["fairness:nights"] == 1


def test_the_model_shares_nights_pro_rata_to_wte() -> None:
    """Six nights for a full-timer and a half-timer: 4 and 2 is fair per WTE, 3 and 3 is not."""
    staff = (Staff(id="A", group="reg"), Staff(id="B", group="reg", fte_tenths=5))
    data = problem(staff, Fairness(nights_weight=10))
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    assert_rota_honest(data, result)
    worked = {p: sum(a.staff_id == p for a in result.assignments) for p in ("A", "B")}
    assert worked == {"A": 4, "B": 2}
    assert result.stats.objective == 0


def test_the_model_charges_the_band_when_leave_forces_a_share_below_it() -> None:
    """B (half time) is off on days 0-7, so A works 8 of 9 nights: 6 per WTE of spread and B
    one night below the band, as the checker counts them by hand above."""
    staff = (
        Staff(id="A", group="reg"),
        Staff(id="B", group="reg", fte_tenths=5, days_off=frozenset(range(8))),
    )
    data = problem(staff, Fairness(nights_weight=1, band_percent=25, band_weight=50), horizon=9)
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    assert_rota_honest(data, result)
    assert result.objective_terms["fairness:nights"] == 6
    assert result.objective_terms["fairness_band:nights"] == 50


def test_the_greedy_start_shares_nights_pro_rata_to_wte() -> None:
    """The construction gives each night to whoever carries the fewest nights per WTE so far."""
    staff = (Staff(id="A", group="reg"), Staff(id="B", group="reg", fte_tenths=5))
    data = problem(staff, Fairness(nights_weight=1, band_percent=25, band_weight=50))
    start = construct_rota(data)
    worked = {p: sum(a.staff_id == p for a in start) for p in ("A", "B")}
    assert worked == {"A": 4, "B": 2}
    assert check_rota(data, start).objective == 0
