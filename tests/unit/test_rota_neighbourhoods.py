"""Which cells a neighbourhood move frees: the "short days" move frees staff who could work a short
shift on each day it is short and the days beside, however far apart those days are."""

from __future__ import annotations

import random

from solvers.rota.neighbourhoods import _Neighbourhood, _pick_cells

STAFF = [f"P{i}" for i in range(10)]
NIGHT_STAFF = STAFF[:6]


def test_short_days_move_frees_night_staff_on_each_short_night_and_beside_it() -> None:
    """Nights short on two weekends two weeks apart and on the horizon's last day (27)."""
    short: list[tuple[int | None, str | None]] = [(5, "N"), (6, "N"), (19, "N"), (27, "N")]
    able = {"N": NIGHT_STAFF, "E": STAFF}
    for seed in range(5):
        hood = _Neighbourhood("short_days", 0.15)
        cells = _pick_cells(hood, STAFF, 28, random.Random(seed), short, able)
        days = {day for _, day in cells}
        staff = {person for person, _ in cells}
        assert days == {4, 5, 6, 7, 18, 19, 20, 26, 27}
        assert staff <= set(NIGHT_STAFF)
        assert len(staff) == 3  # twice the share of all staff, as a "staff and days" move
        assert cells == {(person, day) for person in staff for day in days}


def test_short_days_move_without_a_shortfall_is_a_block_of_days_for_everyone() -> None:
    hood = _Neighbourhood("short_days", 0.25)
    cells = _pick_cells(hood, STAFF, 28, random.Random(0), [], {"N": NIGHT_STAFF})
    days = sorted({day for _, day in cells})
    assert len(days) == 7 and days == list(range(days[0], days[0] + 7))
    assert cells == {(person, day) for person in STAFF for day in days}
