"""Kicks of the iterated local search (`solvers/rota/perturb.py`), held to the independent checker.

A kick may make the worker's own rota worse (that is its point) but must keep every hard rule,
change the shifts it was asked to change, and never make the shared best rota worse.
"""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from solvers.common import SolveOptions
from solvers.rota import neighbourhoods
from solvers.rota.check import check_rota
from solvers.rota.incumbent import Incumbent, configured_solver
from solvers.rota.model import _build, solve_rota
from solvers.rota.perturb import Walk, objective_of
from solvers.rota.rules import DOCTORS_IN_TRAINING_2016, apply_rule_pack
from solvers.rota.schema import Assignment, CoverRequirement, RotaInput, ShiftType, Staff
from tests.oracles import assert_rota_honest

OPTIONS = SolveOptions(time_limit_seconds=5, num_workers=1)


def _ward() -> RotaInput:
    """Ten staff, two weeks, early, late and night shifts under the 2016 doctors' pack."""
    shifts = (
        ShiftType(id="E", duration_minutes=480, start_minute=7 * 60),
        ShiftType(id="L", duration_minutes=480, start_minute=14 * 60),
        ShiftType(id="N", duration_minutes=720, start_minute=20 * 60, night=True),
    )
    base = RotaInput(
        horizon_days=14,
        shift_types=shifts,
        staff=tuple(Staff(id=f"P{i}", cost_per_shift=i % 3) for i in range(10)),
        cover=tuple(
            CoverRequirement(
                day=d, shift_id=s, required=1 if s == "N" else 3, under_weight=100, over_weight=2
            )
            for d in range(14)
            for s in ("E", "L", "N")
        ),
    )
    return apply_rule_pack(base, DOCTORS_IN_TRAINING_2016)


def _assignments(rota: object, values: list[int]) -> list[Assignment]:
    works = rota.works  # type: ignore[attr-defined]
    return [
        Assignment(staff_id=p, day=d, shift_id=s)
        for (p, d, s), v in works.items()
        if values[v.index]
    ]


def test_kicks_keep_hard_rules_change_shifts_and_never_worsen_the_best() -> None:
    data = _ward()
    rota = _build(data, explain=False)
    solver = configured_solver(OPTIONS, 3.0)
    assert solver.solve(rota.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    best = Incumbent()
    best.offer(solver.response_proto.solution, solver.objective_value)
    assert best.objective is not None
    seen = best.objective
    cells = {
        key: [var.index] + [rota.works[key[0], key[1], s.id].index for s in data.shift_types]
        for key, var in rota.on.items()
    }
    rng = random.Random(3)
    walk = Walk()
    moved = 0
    for _ in range(6):
        assert best.values is not None
        before = walk.start(best.values, best.objective)
        chosen = rng.sample([p.id for p in data.staff], 4)
        free = {key for key in cells if key[0] in chosen}
        walk.kick(rota, OPTIONS, deadline=1e18, best=best, cells=cells, free=free, rng=rng)
        assert walk.values is not None and walk.objective is not None
        check = check_rota(data, _assignments(rota, walk.values))
        assert check.violations == ()
        assert check.objective <= walk.objective == objective_of(rota.model.proto, walk.values)
        changed = sum(walk.values[v.index] != before[v.index] for v in rota.works.values())
        moved += changed > 0
        # Outside the freed cells nothing moves.
        assert all(
            walk.values[i] == before[i] for key, ix in cells.items() if key not in free for i in ix
        )
        assert best.objective is not None and best.objective <= seen
        seen = best.objective
    assert moved >= 5


def test_search_that_kicks_returns_a_rota_as_good_as_any_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With kicks after every two stalled moves, the answer is still the best rota ever offered."""
    monkeypatch.setattr(neighbourhoods, "_STALL_ROUNDS", 2)
    monkeypatch.setattr(neighbourhoods, "_KICK_AT_WORK", neighbourhoods._NEIGHBOURHOOD_WORK)
    offered: list[float] = []
    kicks: list[int] = []
    offer, kick = Incumbent.offer, Walk.kick

    def recording_offer(self: Incumbent, values: list[int], objective: float) -> bool:
        offered.append(round(objective))
        return offer(self, values, objective)

    def counting_kick(self: Walk, *args: object, **kwargs: object) -> None:
        kicks.append(1)
        kick(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Incumbent, "offer", recording_offer)
    monkeypatch.setattr(Walk, "kick", counting_kick)
    data = _ward()
    result = solve_rota(data, SolveOptions(time_limit_seconds=4, num_workers=1, seed=2))
    assert_rota_honest(data, result)
    assert kicks
    assert result.stats.objective is not None and result.stats.objective <= min(offered)
