"""Large neighbourhood search: re-solving part of the best rota with the rest of it fixed.

Each move frees some staff's or days' shifts of the best rota, keeps the others and re-solves;
docs/rota.md, "How it searches", 5.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solvers.common import STOP, SolveOptions
from solvers.rota.builder import Literal, RotaModel
from solvers.rota.incumbent import (
    MIN_SOLVE_SECONDS,
    Incumbent,
    configured_solver,
    hinted_copy,
    seconds_left,
)
from solvers.rota.schema import RotaInput

logger = logging.getLogger(__name__)

# Moves' limits and sizes (measured on Curtois & Qu instances 1-12, see docs/rota.md).
_NEIGHBOURHOOD_SECONDS = 5.0
_NEIGHBOURHOOD_WORK = 0.15  # CP-SAT deterministic time, about 0.4 s of one core here
_GROW = 1.1
# A worker whose last _STALL_ROUNDS moves found nothing better doubles its moves' work, up to
# _MAX_NEIGHBOURHOOD_WORK; the first better rota resets it.
_STALL_ROUNDS = 10
_MAX_NEIGHBOURHOOD_WORK = 3.2
_LP_MOVE_SHARE = 0.25  # of moves, once the LP relaxation is solved


@dataclass
class _Neighbourhood:
    """Which (staff, day) cells a re-solve may change, and how big such moves currently are."""

    kind: str
    share: float


def neighbourhood_worker(
    rota: RotaModel, options: SolveOptions, deadline: float, best: Incumbent, rng: random.Random
) -> None:
    """Re-solves one neighbourhood after another, keeping any rota at least as good as the best."""
    staff_ids = [p.id for p in rota.data.staff]
    horizon = rota.data.horizon_days
    cells = {key: [v.index for v in _cell_vars(rota, *key)] for key in rota.on}
    shortfalls = [p for p in rota.penalties if p.term == "cover_under"]
    able = {shift.id: _able_staff(rota.data, shift.id) for shift in rota.data.shift_types}
    kinds = [
        _Neighbourhood("staff", 0.15),
        _Neighbourhood("days", 0.25),
        _Neighbourhood("staff_and_days", 0.3),
    ]
    lp_hood = _Neighbourhood("lp", 0.1)
    work = _NEIGHBOURHOOD_WORK
    stalled = 0
    while (
        deadline - time.perf_counter() > MIN_SOLVE_SECONDS
        and not best.proven()
        and not STOP.is_set()
        and not best.stalled(options.stall_seconds)
    ):
        with best.lock:
            values = best.values
            lp_values = best.lp_values
            best.rounds += 1
        assert values is not None
        if lp_values is not None and rng.random() < _LP_MOVE_SHARE:
            hood = lp_hood
            free = _lp_cells(hood, cells, values, lp_values, rng)
        else:
            hood = rng.choice(kinds)
            short = [(p.day, p.shift_id) for p in shortfalls if p.amount(values)]
            free = _pick_cells(hood, staff_ids, horizon, rng, short, able)
        # The whole best rota as the hint: it is a solution of the move, so CP-SAT starts from
        # it at once instead of repairing a partial hint (on Instance 12 that took most of a move).
        sub = hinted_copy(rota, values)
        proto = sub.proto
        fixed = [i for key, indices in cells.items() if key not in free for i in indices]
        for i in fixed:
            domain = proto.variables[i].domain
            domain[0] = domain[1] = values[i]
        solver = configured_solver(
            options,
            seconds_left(deadline, _NEIGHBOURHOOD_SECONDS),
            workers=1,
        )
        # Work, not wall time, limits each move, so busy machines do not shrink the moves.
        solver.parameters.max_deterministic_time = work
        with STOP.watching(solver):
            code = solver.solve(sub)
        logger.debug(
            "neighbourhood %s (share %.2f): %s in %.2f s",
            hood.kind,
            hood.share,
            solver.status_name(code),
            solver.wall_time,
        )
        if code == cp_model.OPTIMAL:
            hood.share = min(1.0, hood.share * _GROW)
        else:
            hood.share = max(0.02, hood.share / _GROW)
        improved = code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and best.offer(
            solver.response_proto.solution, solver.objective_value
        )
        if improved:
            logger.debug("%s %.2f: %s", hood.kind, hood.share, solver.objective_value)
            work, stalled = _NEIGHBOURHOOD_WORK, 0
        else:
            stalled += 1
            if stalled >= _STALL_ROUNDS:
                # Stuck: give the moves more work, and so (through the sizes) more scope.
                work, stalled = min(_MAX_NEIGHBOURHOOD_WORK, 2 * work), 0


def _lp_cells(
    hood: _Neighbourhood,
    cells: dict[tuple[str, int], list[int]],
    values: Sequence[int],
    lp_values: Sequence[float],
    rng: random.Random,
) -> set[tuple[str, int]]:
    """Cells where the best rota and the LP optimum disagree, as many as the move's size allows.

    Where the relaxation is nearly integral (Curtois & Qu Instances 10-12), the LP optimum points
    at the cells to change ("relaxation induced neighbourhood", RINS).
    """
    budget = max(2, round(hood.share * len(cells)))
    differ = [
        key
        for key, indices in cells.items()
        if any(abs(lp_values[i] - values[i]) > 0.5 for i in indices)
    ]
    if len(differ) > budget:
        return set(rng.sample(differ, budget))
    chosen = set(differ)
    others = [key for key in cells if key not in chosen]
    chosen.update(rng.sample(others, min(len(others), budget - len(chosen))))
    return chosen


def _cell_vars(rota: RotaModel, staff_id: str, day: int) -> list[Literal]:
    return [rota.on[staff_id, day]] + [
        rota.works[staff_id, day, s.id] for s in rota.data.shift_types
    ]


def _able_staff(data: RotaInput, shift_id: str) -> list[str]:
    """The staff whose contract and sites let them work a shift giving this shift's cover."""
    giving = [data.shift(s) for s in data.shifts_giving_cover(shift_id)]
    return [
        p.id
        for p in data.staff
        if any(p.may_work_at(s) and p.max_shifts_per_type.get(s.id, 1) > 0 for s in giving)
    ]


def _pick_cells(
    hood: _Neighbourhood,
    staff_ids: list[str],
    horizon: int,
    rng: random.Random,
    short: list[tuple[int | None, str | None]],
    able: dict[str, list[str]],
) -> set[tuple[str, int]]:
    """The (staff, day) cells freed by one neighbourhood move.

    Half the moves aim at a shift whose cover is short, when there is one: day blocks are centred
    on its day, and staff are drawn from those who could work it.
    """
    target = rng.choice(short) if short and rng.random() < 0.5 else None
    if hood.kind == "days":
        length = max(2, round(hood.share * horizon))
        start = rng.randrange(max(1, horizon - length + 1))
        if target is not None and target[0] is not None:
            start = min(max(0, target[0] - length // 2), max(0, horizon - length))
        return {(p, day) for p in staff_ids for day in range(start, min(horizon, start + length))}
    share = hood.share if hood.kind == "staff" else 2 * hood.share
    count = min(len(staff_ids), max(2, round(share * len(staff_ids))))
    pool = staff_ids
    if target is not None and target[1] is not None and len(able[target[1]]) >= 2:
        pool = able[target[1]]
    chosen = rng.sample(pool, min(count, len(pool)))
    days = range(horizon)
    if hood.kind == "staff_and_days":
        length = max(2, horizon // 2)
        start = rng.randrange(max(1, horizon - length + 1))
        if target is not None and target[0] is not None:
            start = min(max(0, target[0] - length // 2), max(0, horizon - length))
        days = range(start, min(horizon, start + length))
    return {(p, day) for p in chosen for day in days}
