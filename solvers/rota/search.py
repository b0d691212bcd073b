"""The search that solves a rota model: a first whole-model solve, then neighbourhoods, then polish.

`search_and_polish` runs CP-SAT on the whole model for a share of the time (the first rota and a
proven bound), then one thread per worker re-solves neighbourhoods of the best rota (large
neighbourhood search), the first of them after solving the LP relaxation for a bound and for
RINS moves; on small models the last worker instead goes on solving the whole model on its core,
sharing its rotas and bound. The best rota's penalty is then made exact ("polish").
docs/rota.md, "How it searches". The moves are in `neighbourhoods.py`, the shared best rota and
the solvers' settings in `incumbent.py`.

A search ends at its time limit, when the best rota is proven (it meets the bound), when it has not
improved for `SolveOptions.stall_seconds`, or when this process's `STOP` is requested ("good
enough, stop now"): the solves under way are stopped and the best rota found is kept (polished as
usual). A search asked to stop before it began looks only for a first rota.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.common import STOP, SolveOptions, configure_cp_sat
from solvers.rota.incumbent import (
    MIN_SOLVE_SECONDS,
    Incumbent,
    configured_solver,
    hinted_copy,
    seconds_left,
)
from solvers.rota.neighbourhoods import neighbourhood_worker
from solvers.rota.relaxation import solve_lp_relaxation
from solvers.rota.schema import Assignment

if TYPE_CHECKING:
    from solvers.rota.builder import RotaModel

logger = logging.getLogger(__name__)

# Search schedule (measured on Curtois & Qu instances 1-12, see docs/rota.md).
_FIRST_SOLVE_SHARE = 0.05
_FIRST_SOLVE_MIN_SECONDS = 1.0
# Above this many variables the LP relaxation is not built: on the demo's 12 weeks for both hubs
# (187,000 variables) building it in Python and GLOP took 27 s of a 20 s limit and proved nothing.
# Curtois & Qu Instance 12, the largest it helps on, has 19,280.
_LP_MAX_VARIABLES = 100_000
# With two workers or more, on models of at most this many variables (Curtois & Qu Instances
# 1-7), the last worker solves the whole model on its core instead of re-solving neighbourhoods:
# there the neighbourhoods stall a staff's cover or more above the best-known rota (Instance 5:
# 1,233-1,241) and the whole model's tree search with the full relaxation finds it (1,146-1,147).
# On Instances 8, 10 and 11 (4,544 to 10,336 variables) it did worse, on 12 much worse.
_WHOLE_MODEL_MAX_VARIABLES = 4_000
_WATCH_SECONDS = 0.1  # how often a whole-model solve checks whether the search is over
_POLISH_SECONDS = 1.0
_POLISH_RESERVE_SECONDS = 0.3
_POLISH_SHARE = 0.05
_POLISH_MAX_SHARE = 0.1  # the most of the limit kept for the polish of a large rota
# Scoring the constructed start with its shifts fixed: 12 weeks x 203 staff needs about 1 s.
_START_SHARE = 0.05


def search_and_polish(
    rota: RotaModel,
    options: SolveOptions,
    deadline: float,
    start: Sequence[Assignment] = (),
) -> Incumbent:
    """Searches until shortly before `deadline`, then makes the best rota's penalty exact.

    A `start` rota (`construct.py`) that keeps every hard rule is the first incumbent: the whole-
    model solve is hinted with it and the neighbourhoods improve it from the first second. The
    time kept for the polish, and whether a search can still start, are judged by how long
    scoring the start took: the polish does the same work.
    """
    reserve = min(_POLISH_RESERVE_SECONDS, _POLISH_SHARE * options.time_limit_seconds)
    first, scored_in = None, 0.0
    if start:
        scoring = time.perf_counter()
        first = starting_values(rota, options, start)
        # Scoring the start is the polish's work on a rota of this size, and the polish after a
        # search takes up to twice as long (12 weeks for both hubs: 0.4 s, then 0.8 s, where
        # 0.3 s was kept and the limit overrun by the rest): keep that much.
        scored_in = time.perf_counter() - scoring
        most = _POLISH_MAX_SHARE * options.time_limit_seconds
        reserve = max(reserve, min(2 * scored_in, most))
    # A whole-model solve needs at least the scoring's time to copy and presolve the model: with
    # less left, it would only overrun the limit, so the starting rota stands.
    floor = 2 * scored_in if first is not None else 0.0
    best = _search(rota, options, deadline=deadline - reserve, first=first, solve_floor=floor)
    # The starting rota's penalty is exact already (it was scored with its shifts fixed).
    if best.values is not None and (first is None or best.values != first[0]):
        _polish(rota, options, best)
    return best


def starting_values(
    rota: RotaModel, options: SolveOptions, start: Sequence[Assignment]
) -> tuple[list[int], float] | None:
    """The model's solution for a starting rota, or None when it breaks a hard rule."""
    worked = {(a.staff_id, a.day): a.shift_id for a in start}
    values = [0] * len(rota.model.proto.variables)
    for (staff_id, day, shift_id), var in rota.works.items():
        values[var.index] = int(worked.get((staff_id, day)) == shift_id)
    for key, var in rota.on.items():
        values[var.index] = int(key in worked)
    seconds = max(_POLISH_SECONDS, _START_SHARE * options.time_limit_seconds)
    solved = _solve_with_shifts_fixed(rota, options, values, seconds)
    logger.info("starting rota: %s", "kept" if solved else "breaks a hard rule, not used")
    return solved


def _search(
    rota: RotaModel,
    options: SolveOptions,
    deadline: float,
    first: tuple[list[int], float] | None = None,
    solve_floor: float = 0.0,
) -> Incumbent:
    """Solves the whole model, then improves the rota by re-solving neighbourhoods until time is up.

    The whole-model solve (a small share of the time, longer if it has no rota yet) gives the first
    rota and the proven lower bound. Then each worker re-solves neighbourhoods on one core: each
    frees the shifts of some staff and/or days, keeps the rest of the best rota fixed and hints the
    current values, so it returns a rota at least as good. Measured on the Curtois & Qu instances,
    this finds better rotas in 60 s than giving CP-SAT's own portfolio the whole model, except on
    small models: there the last worker goes on solving the whole model instead (see
    `_WHOLE_MODEL_MAX_VARIABLES`). With a `first` rota and under `solve_floor` seconds left,
    nothing is solved: the first rota is the answer.
    """
    best = Incumbent()
    use_neighbourhoods = options.neighbourhood_search and len(rota.data.staff) > 1
    share = _FIRST_SOLVE_SHARE if use_neighbourhoods else 1.0
    first_limit = max(_FIRST_SOLVE_MIN_SECONDS, share * options.time_limit_seconds)
    solver = configured_solver(options, seconds_left(deadline, first_limit))
    asked_before = STOP.is_set()
    model = rota.model
    if first is not None:
        best.offer(*first)
        best.code, best.cp_sat_status = cp_model.FEASIBLE, "FEASIBLE"
        if deadline - time.perf_counter() < solve_floor:
            logger.info("no time left to search: the starting rota stands")
            return best
        model = hinted_copy(rota, first[0])
    solved = not asked_before  # a CpSolver that never solved has no response to read
    if asked_before:
        # Asked to stop before this model was searched (a later week of a long rota, or a stop
        # that came while the model was being built): only a first rota is wanted, found as
        # below, without the bound's linear relaxation.
        code = cp_model.UNKNOWN
    else:
        with STOP.watching(solver):
            code = solver.solve(model)
    if first is not None and code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # The starting rota stands; the first solve may still have proven a bound.
        if code != cp_model.INFEASIBLE and not asked_before:
            best.raise_bound(solver.best_objective_bound)
        code = cp_model.FEASIBLE
    elif code == cp_model.UNKNOWN and seconds_left(deadline) > MIN_SOLVE_SECONDS:
        # No rota yet: keep going, and stop at the first one if neighbourhoods can take over.
        # The linear relaxation that gives the bound slows the first rota down (seen: 3.3 s
        # against 0.9 s on one worker for the demo's 203 hub staff), so it is left out here; the
        # bound of the first solve is kept.
        first_bound = solver.best_objective_bound if not asked_before else math.nan
        solver = cp_model.CpSolver()
        configure_cp_sat(solver, options)
        solver.parameters.linearization_level = 0
        solver.parameters.max_time_in_seconds = seconds_left(deadline)
        # A stop request is not passed on here: it keeps the best rota, so one is still needed.
        first_only = use_neighbourhoods or STOP.is_set()
        code = solver.solve(rota.model, _StopAtFirst() if first_only else None)
        solved = True
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and math.isfinite(first_bound):
            best.raise_bound(first_bound)
    if first is None or (solved and solver.response_proto.solution):
        best.code, best.cp_sat_status = code, solver.status_name(code)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return best
    if solved and solver.response_proto.solution:
        best.offer(solver.response_proto.solution, solver.objective_value)
        best.raise_bound(solver.best_objective_bound)
    if STOP.is_set() and not best.proven():
        best.stopped = "asked"
    if best.proven() or not use_neighbourhoods or STOP.is_set():
        return best
    # One single-worker thread per core; CP-SAT releases the GIL while it solves.
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            # With one worker the search comes first; the bound of the first solve stands.
            if (
                k == 0
                and options.lp_bound
                and options.num_workers > 1
                and len(rota.model.proto.variables) <= _LP_MAX_VARIABLES
                and not STOP.is_set()
            ):
                _lp_bound(rota, deadline, best)
            if (
                k == options.num_workers - 1
                and k > 0
                and len(rota.model.proto.variables) <= _WHOLE_MODEL_MAX_VARIABLES
            ):
                _whole_model_worker(rota, options, deadline, best)
                return
            neighbourhood_worker(rota, options, deadline, best, random.Random(options.seed + k))
        except BaseException as error:  # re-raised below, in the caller's thread
            failures.append(error)

    workers = [
        threading.Thread(target=work, args=(k,), name=f"rota-neighbourhoods-{k}")
        for k in range(options.num_workers)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if failures:
        raise failures[0]
    if STOP.is_set() and not best.proven():
        best.stopped = "asked"
    logger.info("neighbourhood search: %d rounds, %d improvements", best.rounds, best.improved)
    return best


def _whole_model_worker(
    rota: RotaModel, options: SolveOptions, deadline: float, best: Incumbent
) -> None:
    """Solves the whole model on one core, from the best rota, sharing every better rota found.

    The neighbourhoods of the other workers do not reach this solve (CP-SAT takes a hint only at
    its start); its rotas and its bound reach them through `best`.
    """
    with best.lock:
        values = best.values
    assert values is not None
    model = hinted_copy(rota, values)
    solver = configured_solver(options, seconds_left(deadline), workers=1)
    solved = threading.Event()
    watcher = threading.Thread(
        target=_stop_when_done, args=(solver, solved, best, options), name="rota-whole-watch"
    )
    watcher.start()
    try:
        with STOP.watching(solver):
            code = solver.solve(model, _ShareSolutions(best))
    finally:
        solved.set()
        watcher.join()
    logger.info("whole model on one core: %s", solver.status_name(code))
    if code == cp_model.OPTIMAL:
        best.raise_bound(solver.objective_value)
    elif code == cp_model.FEASIBLE:
        best.raise_bound(solver.best_objective_bound)


def _stop_when_done(
    solver: cp_model.CpSolver, solved: threading.Event, best: Incumbent, options: SolveOptions
) -> None:
    """Stops a whole-model solve once the best rota is proven or has stalled."""
    while not solved.wait(_WATCH_SECONDS):
        if best.proven() or best.stalled(options.stall_seconds):
            solver.stop_search()
            return


class _ShareSolutions(cp_model.CpSolverSolutionCallback):
    """Offers each solution to the shared best rota; stops once that rota is proven."""

    def __init__(self, best: Incumbent) -> None:
        super().__init__()
        self.best = best

    def on_solution_callback(self) -> None:
        """Offers the solution, and stops when nothing better can exist."""
        self.best.offer(self.response_proto.solution, self.objective_value)
        self.best.raise_bound(self.best_objective_bound)
        if self.best.proven():
            self.stop_search()


def _lp_bound(rota: RotaModel, deadline: float, best: Incumbent) -> None:
    """Solves the linear relaxation on this thread: a proven bound, and LP values for moves."""
    relaxation = solve_lp_relaxation(rota.model, seconds_left(deadline))
    if relaxation is None:
        return
    logger.info("LP relaxation: bound %d in %.1f s", relaxation.bound, relaxation.seconds)
    best.raise_bound(relaxation.bound)
    with best.lock:
        best.lp_values = relaxation.values


def _polish(rota: RotaModel, options: SolveOptions, best: Incumbent) -> None:
    """Keeps the best rota's shifts and re-solves only the penalty variables, so each is exact.

    A rota returned on a time limit may carry slack (say one short and one over on the same shift)
    that a proof would have removed; this makes the reported objective the rota's own penalty.
    """
    assert best.values is not None
    solved = _solve_with_shifts_fixed(rota, options, best.values)
    if solved is not None:
        best.offer(*solved)


def _solve_with_shifts_fixed(
    rota: RotaModel, options: SolveOptions, values: Sequence[int], seconds: float = _POLISH_SECONDS
) -> tuple[list[int], float] | None:
    """The exact penalty of the shifts in `values`: (solution, objective), or None if infeasible."""
    model = rota.model.clone()
    model.clear_hints()
    proto = model.proto
    for var in [*rota.works.values(), *rota.on.values()]:
        domain = proto.variables[var.index].domain
        domain[0] = domain[1] = values[var.index]
    solver = configured_solver(options, seconds, workers=1)
    code = solver.solve(model)
    logger.debug("shifts fixed: %s in %.2f s", solver.status_name(code), solver.wall_time)
    if code != cp_model.OPTIMAL:
        return None
    return list(solver.response_proto.solution), solver.objective_value


class _StopAtFirst(cp_model.CpSolverSolutionCallback):
    """Stops the search at the first solution."""

    def on_solution_callback(self) -> None:
        """Stops."""
        self.stop_search()


def hint_from_requests(rota: RotaModel) -> None:
    """Hints each "on" request as granted unless it falls on a day off: a cheap start."""
    days_off = {p.id: p.days_off for p in rota.data.staff}
    hinted: set[tuple[str, int]] = set()
    for req in rota.data.requests:
        if req.kind != "on" or req.shift_id is None or req.day in days_off[req.staff_id]:
            continue
        if (req.staff_id, req.day) not in hinted:  # one hint per variable, one shift per day
            hinted.add((req.staff_id, req.day))
            rota.model.add_hint(rota.works[req.staff_id, req.day, req.shift_id], 1)
