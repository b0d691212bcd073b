"""The best rota found so far, shared by a search's threads, and the CP-SAT solver they each run.

`search.py` runs the search's schedule; `neighbourhoods.py` its moves. Both read and offer rotas
through one `Incumbent` and make their solvers with `configured_solver`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.common import (
    ParameterValue,
    SolveOptions,
    SolveStats,
    Status,
    configure_cp_sat,
    relative_gap,
    set_cp_sat_parameter,
    status_from_cp_sat,
)

if TYPE_CHECKING:
    from solvers.rota.builder import RotaModel

MIN_SOLVE_SECONDS = 0.1
# CP-SAT's default LP worker leaves the run clauses out of its relaxation (linearization level 1)
# and proves almost nothing here; with them (level 2, worker "max_lp") the bound on Curtois &
# Qu instance 7 rises from 29 to about 940 in 10 s. Options' own parameters override these.
_CP_SAT_DEFAULTS: dict[str, ParameterValue] = {
    "linearization_level": 2,
    "ignore_subsolvers": ["default_lp"],
    "extra_subsolvers": ["max_lp"],
}


class Incumbent:
    """The best rota found so far (a CP-SAT solution vector), shared by the search threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: list[int] | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.code = cp_model.UNKNOWN
        self.cp_sat_status = "UNKNOWN"
        self.rounds = 0
        self.improved = 0
        self.lp_values: list[float] | None = None
        self.last_better = time.perf_counter()
        self.stopped = ""

    def offer(self, values: Sequence[int], objective: float) -> bool:
        """Keeps a rota at least as good as the best; returns True when strictly better."""
        # Every weight is a whole number, so the objective is too (CP-SAT reports a float).
        objective = float(round(objective))
        with self.lock:
            better = self.objective is None or objective < self.objective
            if better or (self.objective is not None and objective <= self.objective):
                self.values, self.objective = list(values), objective
            self.improved += int(better)
            if better:
                self.last_better = time.perf_counter()
            return better

    def stalled(self, seconds: float | None) -> bool:
        """True (and the reason recorded) when the best rota has not improved for `seconds`."""
        if seconds is None or time.perf_counter() - self.last_better < seconds:
            return False
        with self.lock:
            self.stopped = self.stopped or f"no better rota for {seconds:g} s"
        return True

    def raise_bound(self, bound: float) -> None:
        """Records a proven lower bound on the objective."""
        bound = float(math.ceil(bound - 1e-6))  # whole-number objective: round the bound up
        with self.lock:
            self.bound = bound if self.bound is None else max(self.bound, bound)

    def proven(self) -> bool:
        """True when the best rota meets the proven bound (nothing better exists)."""
        return (
            self.objective is not None
            and self.bound is not None
            and self.bound >= self.objective - 1e-9
        )

    def stats(self, options: SolveOptions, wall_seconds: float) -> SolveStats:
        """Honest statistics: optimal only when the bound meets the best rota found."""
        if self.values is None:
            status = status_from_cp_sat(self.code)
        else:
            status = Status.OPTIMAL if self.proven() else Status.FEASIBLE
        has_rota = self.values is not None
        return SolveStats(
            status=status,
            objective=self.objective if has_rota else None,
            bound=self.bound if has_rota else None,
            gap=(0.0 if status is Status.OPTIMAL else relative_gap(self.objective, self.bound))
            if has_rota
            else None,
            wall_seconds=round(wall_seconds, 3),
            time_limit_seconds=options.time_limit_seconds,
            num_workers=options.num_workers,
            seed=options.seed,
            cp_sat_status=self.cp_sat_status,
            stopped="" if status is Status.OPTIMAL else self.stopped,
        )


def configured_solver(
    options: SolveOptions, seconds: float, workers: int | None = None
) -> cp_model.CpSolver:
    """A CP-SAT solver with the options, this model's measured defaults and a time limit."""
    solver = cp_model.CpSolver()
    for name, value in _CP_SAT_DEFAULTS.items():
        if name not in options.parameters:
            set_cp_sat_parameter(solver, name, value)
    configure_cp_sat(solver, options)
    solver.parameters.max_time_in_seconds = seconds
    if workers is not None:
        solver.parameters.num_workers = workers
    return solver


def seconds_left(deadline: float, cap: float | None = None) -> float:
    """Seconds until `deadline` (at least a minimal solve's), at most `cap`."""
    left = max(MIN_SOLVE_SECONDS, deadline - time.perf_counter())
    return left if cap is None else min(left, cap)


def hinted_copy(rota: RotaModel, values: Sequence[int]) -> cp_model.CpModel:
    """A copy of the rota's model hinted with a whole solution (`values`), its own hints cleared."""
    model = rota.model.clone()
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(len(values)))
    model.proto.solution_hint.values.extend(values)
    return model
