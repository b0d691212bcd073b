"""The search that solves a rota model: a first whole-model solve, then neighbourhoods, then polish.

`search_and_polish` runs CP-SAT on the whole model for a share of the time (the first rota and a
proven bound), then one thread per worker re-solves neighbourhoods of the best rota (large
neighbourhood search), the first of them after solving the LP relaxation for a bound and for
RINS moves; on small models the last worker instead goes on solving the whole model on its core,
sharing its rotas and bound. The best rota's penalty is then made exact ("polish").
docs/rota.md, "How it searches".

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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.common import (
    STOP,
    ParameterValue,
    SolveOptions,
    SolveStats,
    Status,
    configure_cp_sat,
    relative_gap,
    set_cp_sat_parameter,
    status_from_cp_sat,
)
from solvers.rota.relaxation import solve_lp_relaxation
from solvers.rota.schema import Assignment, RotaInput

if TYPE_CHECKING:
    from solvers.rota.builder import Literal, RotaModel

logger = logging.getLogger(__name__)

_MIN_SOLVE_SECONDS = 0.1
# Search schedule (measured on Curtois & Qu instances 1-12, see docs/rota.md).
_FIRST_SOLVE_SHARE = 0.05
_FIRST_SOLVE_MIN_SECONDS = 1.0
_NEIGHBOURHOOD_SECONDS = 5.0
_NEIGHBOURHOOD_WORK = 0.15  # CP-SAT deterministic time, about 0.4 s of one core here
_GROW = 1.1
# A worker whose last _STALL_ROUNDS moves found nothing better doubles its moves' work, up to
# _MAX_NEIGHBOURHOOD_WORK; the first better rota resets it.
_STALL_ROUNDS = 10
_MAX_NEIGHBOURHOOD_WORK = 3.2
_LP_MOVE_SHARE = 0.25  # of moves, once the LP relaxation is solved
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
# Scoring the constructed start with its shifts fixed: 12 weeks x 203 staff needs about 1 s.
_START_SHARE = 0.05
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


def _seconds_left(deadline: float, cap: float | None = None) -> float:
    left = max(_MIN_SOLVE_SECONDS, deadline - time.perf_counter())
    return left if cap is None else min(left, cap)


def search_and_polish(
    rota: RotaModel,
    options: SolveOptions,
    deadline: float,
    start: Sequence[Assignment] = (),
) -> Incumbent:
    """Searches until shortly before `deadline`, then makes the best rota's penalty exact.

    A `start` rota (`construct.py`) that keeps every hard rule is the first incumbent: the whole-
    model solve is hinted with it and the neighbourhoods improve it from the first second.
    """
    reserve = min(_POLISH_RESERVE_SECONDS, _POLISH_SHARE * options.time_limit_seconds)
    first = starting_values(rota, options, start) if start else None
    best = _search(rota, options, deadline=deadline - reserve, first=first)
    if best.values is not None:
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
) -> Incumbent:
    """Solves the whole model, then improves the rota by re-solving neighbourhoods until time is up.

    The whole-model solve (a small share of the time, longer if it has no rota yet) gives the first
    rota and the proven lower bound. Then each worker re-solves neighbourhoods on one core: each
    frees the shifts of some staff and/or days, keeps the rest of the best rota fixed and hints the
    current values, so it returns a rota at least as good. Measured on the Curtois & Qu instances,
    this finds better rotas in 60 s than giving CP-SAT's own portfolio the whole model, except on
    small models: there the last worker goes on solving the whole model instead (see
    `_WHOLE_MODEL_MAX_VARIABLES`).
    """
    best = Incumbent()
    use_neighbourhoods = options.neighbourhood_search and len(rota.data.staff) > 1
    share = _FIRST_SOLVE_SHARE if use_neighbourhoods else 1.0
    first_limit = max(_FIRST_SOLVE_MIN_SECONDS, share * options.time_limit_seconds)
    solver = configured_solver(options, _seconds_left(deadline, first_limit))
    asked_before = STOP.is_set()
    model = rota.model
    if first is not None:
        best.offer(*first)
        best.code, best.cp_sat_status = cp_model.FEASIBLE, "FEASIBLE"
        model = _hinted_copy(rota, first[0])
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
    elif code == cp_model.UNKNOWN and _seconds_left(deadline) > _MIN_SOLVE_SECONDS:
        # No rota yet: keep going, and stop at the first one if neighbourhoods can take over.
        # The linear relaxation that gives the bound slows the first rota down (seen: 3.3 s
        # against 0.9 s on one worker for the demo's 203 hub staff), so it is left out here; the
        # bound of the first solve is kept.
        first_bound = solver.best_objective_bound if not asked_before else math.nan
        solver = cp_model.CpSolver()
        configure_cp_sat(solver, options)
        solver.parameters.linearization_level = 0
        solver.parameters.max_time_in_seconds = _seconds_left(deadline)
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
            _neighbourhood_worker(rota, options, deadline, best, random.Random(options.seed + k))
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
    model = _hinted_copy(rota, values)
    solver = configured_solver(options, _seconds_left(deadline), workers=1)
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
    relaxation = solve_lp_relaxation(rota.model, _seconds_left(deadline))
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


def _hinted_copy(rota: RotaModel, values: Sequence[int]) -> cp_model.CpModel:
    """A copy of the rota's model hinted with a whole solution (`values`), its own hints cleared."""
    model = rota.model.clone()
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(len(values)))
    model.proto.solution_hint.values.extend(values)
    return model


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


@dataclass
class _Neighbourhood:
    """Which (staff, day) cells a re-solve may change, and how big such moves currently are."""

    kind: str
    share: float


def _neighbourhood_worker(
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
        deadline - time.perf_counter() > _MIN_SOLVE_SECONDS
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
        sub = _hinted_copy(rota, values)
        proto = sub.proto
        fixed = [i for key, indices in cells.items() if key not in free for i in indices]
        for i in fixed:
            domain = proto.variables[i].domain
            domain[0] = domain[1] = values[i]
        solver = configured_solver(
            options,
            _seconds_left(deadline, _NEIGHBOURHOOD_SECONDS),
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
