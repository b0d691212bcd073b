"""What every solver shares: options in, honest statistics out, and the limits that bind.

Solvers take `SolveOptions` and report `SolveStats`; the status names are the five a planner sees
(`optimal | feasible | infeasible | no_solution_in_time | invalid_input`), mapped once here from
CP-SAT's own codes so no solver invents its own wording.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from importlib.metadata import version

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)


class Status(StrEnum):
    """How a solve ended, in the words the app and the CLI report."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION_IN_TIME = "no_solution_in_time"
    INVALID_INPUT = "invalid_input"

    @property
    def has_solution(self) -> bool:
        """True when the solver returned a plan (proven optimal or not)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


_CP_SAT_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.NO_SOLUTION_IN_TIME,
    cp_model.MODEL_INVALID: Status.INVALID_INPUT,
}


def status_from_cp_sat(code: cp_model.CpSolverStatus) -> Status:
    """Maps a CP-SAT status code to the status reported to people.

    Returns:
        `Status.NO_SOLUTION_IN_TIME` for CP-SAT's UNKNOWN (the time limit came before any plan).
    """
    return _CP_SAT_STATUS.get(code, Status.NO_SOLUTION_IN_TIME)


ParameterValue = bool | int | float | str | list[str]


class SolveOptions(BaseModel):
    """How long and on how many cores to search; the same options drive every solver.

    `parameters` passes further CP-SAT parameters by name (e.g. `{"linearization_level": 2}`) for
    tuning experiments; the three that matter for honesty (time, workers, seed) are fields of their
    own and always set. `use_hint`, `neighbourhood_search` and `explain_infeasibility` switch a
    solver's own search aids (the rota solver: request hints, large neighbourhood search, and the
    re-solve that names conflicting rules); `lp_bound` lets the rota solver spend one of several
    search threads on the LP relaxation's bound first; `places_short_bound` lets it prove a lower
    bound on places short before searching; `construct_start` lets it start from a greedy rota.
    Solvers without them ignore them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit_seconds: float = Field(10.0, gt=0)
    num_workers: int = Field(2, ge=1)
    seed: int = Field(0, ge=0)
    log_search_progress: bool = False
    relative_gap_limit: float = Field(0.0, ge=0)
    use_hint: bool = True
    neighbourhood_search: bool = True
    explain_infeasibility: bool = True
    lp_bound: bool = True
    places_short_bound: bool = True
    construct_start: bool = True
    """Rota solver: start the search from a rota built day by day by hand-rule (construct.py)."""
    stall_seconds: float | None = Field(None, gt=0)
    """Stop searching when the best plan has not improved for this long (None: search on until
    the time limit or a proof). Solvers without an improvement loop ignore it."""
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)


class SolveStats(BaseModel):
    """What a solve achieved and under which conditions, reported as measured.

    `objective` and `bound` are None when no plan was found; `gap` is |objective - bound| /
    max(1, |objective|), 0 when proven optimal.
    """

    model_config = ConfigDict(frozen=True)

    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    wall_seconds: float = 0.0
    time_limit_seconds: float
    num_workers: int
    seed: int
    # The installed distribution's version: the same string as `ortools.__version__`, which
    # type checkers cannot see (OR-Tools marks only some subpackages as typed).
    ortools_version: str = version("ortools")
    cp_sat_status: str = ""
    stopped: str = ""
    """Why the search ended before its time limit without a proof, in words ("" when it ran to
    the limit or proved its plan): "asked" (stop now, the best plan kept), or no improvement for
    a while (`SolveOptions.stall_seconds`)."""

    @classmethod
    def invalid(cls, options: SolveOptions) -> SolveStats:
        """Statistics of a solve refused before the model was built (the input was invalid)."""
        return cls(
            status=Status.INVALID_INPUT,
            time_limit_seconds=options.time_limit_seconds,
            num_workers=options.num_workers,
            seed=options.seed,
        )


class StopSignal:
    """A request to stop searching now and keep the best plan found so far ("good enough").

    Set from any thread or from a signal handler (the job's solver process sets it on SIGTERM or
    SIGINT); searches check it between moves and stop the CP-SAT solves they have registered with
    `watching` through `CpSolver.stop_search()`, which is safe to call from another thread.
    `stop_search()` reaches only a solve already under way, so the request is repeated for a
    moment (a solver registered just before its solve began is stopped too); searches also check
    `is_set()` before starting a solve.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.RLock()
        self._solvers: set[cp_model.CpSolver] = set()

    def request(self) -> None:
        """Asks every search to stop and keep its best plan."""
        self._event.set()
        self._stop_all()
        threading.Thread(target=self._repeat, daemon=True, name="stop-search").start()

    def _stop_all(self) -> None:
        with self._lock:
            solvers = list(self._solvers)
        for solver in solvers:
            solver.stop_search()

    def _repeat(self, times: int = 8, seconds: float = 0.25) -> None:
        for _ in range(times):
            threading.Event().wait(seconds)
            self._stop_all()

    def is_set(self) -> bool:
        """True once a stop has been asked for."""
        return self._event.is_set()

    def reset(self) -> None:
        """Forgets the request (tests; a solver process serves one job only)."""
        self._event.clear()

    @contextmanager
    def watching(self, solver: cp_model.CpSolver) -> Iterator[cp_model.CpSolver]:
        """Registers a solver while it solves, so that a stop request reaches it."""
        with self._lock:
            self._solvers.add(solver)
        try:
            yield solver
        finally:
            with self._lock:
                self._solvers.discard(solver)


STOP = StopSignal()
"""This process's stop request (one job per solver process)."""


class Limit(BaseModel):
    """A limit that binds in a returned plan: which rule, for whom or where, when, and by how much.

    `shortfall` is in the rule's own unit (`unit`): staff short on a shift, minutes over a contract,
    days in a too-long run; 0 means the limit is tight but met.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    where: str
    when: str = ""
    shortfall: int = 0
    unit: str = ""


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(1, |objective|), or None when either is missing."""
    if objective is None or bound is None or math.isnan(bound):
        return None
    return abs(objective - bound) / max(1.0, abs(objective))


def configure_cp_sat(solver: cp_model.CpSolver, options: SolveOptions) -> None:
    """Sets time limit, workers, seed and the extra parameters on a CP-SAT solver."""
    params = solver.parameters
    params.max_time_in_seconds = options.time_limit_seconds
    params.num_workers = options.num_workers
    params.random_seed = options.seed
    params.log_search_progress = options.log_search_progress
    params.relative_gap_limit = options.relative_gap_limit
    for name, value in options.parameters.items():
        set_cp_sat_parameter(solver, name, value)
    if options.log_search_progress:
        solver.log_callback = logger.info


def set_cp_sat_parameter(solver: cp_model.CpSolver, name: str, value: ParameterValue) -> None:
    """Sets one CP-SAT parameter by name; a list replaces a repeated field (e.g. `subsolvers`)."""
    params = solver.parameters
    if not hasattr(params, name):
        raise ValueError(f"CP-SAT has no parameter named {name!r}.")
    if isinstance(value, list):
        field = getattr(params, name)
        field.clear()
        field.extend(value)
    else:
        setattr(params, name, value)


def stats_from_cp_sat(
    solver: cp_model.CpSolver,
    code: cp_model.CpSolverStatus,
    options: SolveOptions,
    wall_seconds: float,
) -> SolveStats:
    """Reads status, objective, bound and gap off a finished CP-SAT solve."""
    status = status_from_cp_sat(code)
    objective = bound = gap = None
    if status.has_solution:
        objective = float(solver.objective_value)
        bound = float(solver.best_objective_bound)
        gap = 0.0 if status is Status.OPTIMAL else relative_gap(objective, bound)
    return SolveStats(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        wall_seconds=round(wall_seconds, 3),
        time_limit_seconds=options.time_limit_seconds,
        num_workers=options.num_workers,
        seed=options.seed,
        cp_sat_status=solver.status_name(code),
    )
