"""Iterated local search: a stalled neighbourhood worker kicks its own rota out of a local optimum.

A worker's moves (`neighbourhoods.py`) start from the shared best rota until they stall at their
most work; from then on the worker keeps its own rota (a `Walk`) apart from the best. A kick re-
solves a neighbourhood of it with some of its shifts forced to change, taking the least-bad such
rota even if it is worse; the worker's moves then improve the walk, and any rota better than the
shared best is offered to it (`Incumbent.offer`), so the best never gets worse. A walk that has
fallen too far behind the best starts again from the best. docs/rota.md, "How it searches", 5.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.common import STOP, SolveOptions
from solvers.rota.incumbent import Incumbent, configured_solver, fixed_copy, seconds_left

if TYPE_CHECKING:
    from solvers.rota.builder import RotaModel

logger = logging.getLogger(__name__)

# A kick changes this many shift decisions (`works` variables) of the walk, drawn uniformly; its
# re-solve gets this much CP-SAT work (deterministic time, about 0.8 s of one core here).
_KICK_CHANGES = (2, 8)
_KICK_WORK = 0.3
_KICK_SECONDS = 5.0
# A walk more than this share above the best rota that has not improved for this many moves is
# dropped: the worker's moves start from the best again.
_WALK_SLACK = 0.02
_WALK_PATIENCE = 15


class Walk:
    """A worker's own current rota, kept apart from the shared best once its moves stall."""

    def __init__(self) -> None:
        self.values: list[int] | None = None
        self.objective: float | None = None
        self.kicks = 0
        self.idle = 0  # moves since the walk last improved or was kicked

    def start(self, best_values: list[int], best_objective: float) -> list[int]:
        """The rota the next move starts from: the walk's, or the best until the first kick.

        A walk more than `_WALK_SLACK` behind the best that has not improved for
        `_WALK_PATIENCE` moves is dropped for the best.
        """
        self.idle += 1
        if (
            self.objective is not None
            and self.objective > best_objective * (1 + _WALK_SLACK)
            and self.idle > _WALK_PATIENCE
        ):
            self.values, self.objective = list(best_values), best_objective
        return best_values if self.values is None else self.values

    def accept(self, values: Sequence[int], objective: float) -> bool:
        """Keeps a move's rota if at least as good as the walk's; True when strictly better."""
        if self.values is None or self.objective is None:
            return False
        objective = float(round(objective))
        if objective > self.objective:
            return False
        better = objective < self.objective
        self.values, self.objective = list(values), objective
        if better:
            self.idle = 0
        return better

    def kick(
        self,
        rota: RotaModel,
        options: SolveOptions,
        deadline: float,
        best: Incumbent,
        cells: dict[tuple[str, int], list[int]],
        free: set[tuple[str, int]],
        rng: random.Random,
    ) -> None:
        """Moves the walk to the best rota of the `free` cells that changes some of its shifts.

        The kick starts from the walk, or from the best rota when the walk is more than
        `_WALK_SLACK` above it. Its rota may be worse than the start (that is the point); it is
        offered to the shared best all the same, which keeps it only if it is better.
        """
        with best.lock:
            best_values, best_objective = best.values, best.objective
        assert best_values is not None and best_objective is not None
        if self.objective is None or self.objective > best_objective * (1 + _WALK_SLACK) + 1e-9:
            self.values, self.objective = list(best_values), best_objective
        assert self.values is not None
        values = self.values
        free_works = [
            var.index for (staff_id, day, _), var in rota.works.items() if (staff_id, day) in free
        ]
        fixed = [i for key, indices in cells.items() if key not in free for i in indices]
        model = fixed_copy(rota, values, fixed)
        changes = min(len(free_works), rng.randint(*_KICK_CHANGES))
        _add_changes(model, values, free_works, changes)
        solver = configured_solver(options, seconds_left(deadline, _KICK_SECONDS), workers=1)
        solver.parameters.max_deterministic_time = _KICK_WORK
        with STOP.watching(solver):
            code = solver.solve(model)
        self.kicks += 1
        self.idle = 0
        before = self.objective
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = list(solver.response_proto.solution)
            objective = objective_of(rota.model.proto, solution)
            self.values, self.objective = solution, objective
            best.offer(solution, objective)
        logger.debug(
            "kick %d (%d changes in %d cells, %.1f s left): %s, %s -> %s (best %s)",
            self.kicks,
            changes,
            len(free),
            deadline - time.perf_counter(),
            solver.status_name(code),
            before,
            self.objective,
            best.objective,
        )


def objective_of(proto: object, values: Sequence[int]) -> float:
    """The model's objective (`proto.objective`, CP-SAT's form) at a solution vector."""
    objective = proto.objective  # type: ignore[attr-defined]
    total = sum(c * values[ref] for ref, c in zip(objective.vars, objective.coeffs, strict=True))
    return float(round((objective.scaling_factor or 1.0) * (total + objective.offset)))


def _add_changes(
    model: cp_model.CpModel, values: Sequence[int], free_works: Sequence[int], changes: int
) -> None:
    """At least `changes` of the `free_works` decisions differ from `values`.

    sum(x for x at 0) + sum(1 - x for x at 1) >= changes, as one linear row.
    """
    ones = sum(values[i] for i in free_works)
    row = model.proto.constraints.add().linear
    row.vars.extend(free_works)
    row.coeffs.extend(-1 if values[i] else 1 for i in free_works)
    row.domain.extend([changes - ones, len(free_works)])
