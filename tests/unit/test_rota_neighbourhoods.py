"""The cells a neighbourhood move frees: a block of days for everyone joined with a few staff's
whole horizons."""

from __future__ import annotations

import random

from solvers.rota.neighbourhoods import _Neighbourhood, _pick_cells


def test_a_days_and_staff_move_frees_a_block_of_days_and_some_staff_for_every_day() -> None:
    staff_ids = [f"P{i}" for i in range(20)]
    horizon = 28
    hood = _Neighbourhood("days_and_staff", 0.25)
    free = _pick_cells(hood, staff_ids, horizon, random.Random(3), short=[], able={})
    everyone = [day for day in range(horizon) if all((p, day) in free for p in staff_ids)]
    assert len(everyone) == 7  # a quarter of the horizon, in one block
    assert everyone == list(range(everyone[0], everyone[0] + 7))
    whole = [p for p in staff_ids if all((p, day) in free for day in range(horizon))]
    assert len(whole) == 2  # half the share of the staff
    assert len(free) == 7 * 20 + 2 * 21


def test_a_days_and_staff_move_aimed_at_a_short_shift_centres_on_its_day_and_able_staff() -> None:
    """Half the moves aim at a short shift (day 10, shift N): its days, staff able to work it."""
    staff_ids = [f"P{i}" for i in range(20)]
    hood = _Neighbourhood("days_and_staff", 0.25)
    rng = random.Random(0)
    aimed = 0
    for _ in range(20):
        free = _pick_cells(hood, staff_ids, 28, rng, short=[(10, "N")], able={"N": ["P3", "P4"]})
        everyone = [day for day in range(28) if all((p, day) in free for p in staff_ids)]
        whole = {p for p in staff_ids if all((p, day) in free for day in range(28))}
        if everyone == list(range(7, 14)) and whole == {"P3", "P4"}:
            aimed += 1
    assert 5 <= aimed <= 15
