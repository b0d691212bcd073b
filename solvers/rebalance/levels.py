"""The lexicographic levels: each solved with the previous ones fixed at their optimum."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from solvers.rebalance.lp import Deadline, PeriodLp
from solvers.rebalance.schema import (
    ModelSize,
    Prepared,
    TrustMeasures,
)

logger = logging.getLogger(__name__)


def _fix(var: pywraplp.Variable, value: float, tolerance: float) -> None:
    """Keeps a level at its optimum, within a relative and absolute tolerance."""
    var.SetUb(value + tolerance * max(1.0, abs(value)))


@dataclass
class Optimum:
    """What a lexicographic solve found."""

    flows: np.ndarray | None
    levels: dict[int, tuple[float | None, bool, float]] = field(default_factory=dict)
    pressure_shadow: dict[int, float] = field(default_factory=dict)  # per resource, whole horizon
    long_wait_shadow: dict[tuple[int, int], float] = field(default_factory=dict)  # per period
    size: ModelSize = field(default_factory=ModelSize)
    guard_binding: set[tuple[str, str]] = field(default_factory=set)
    guard_infeasible: bool = False


def optimise(
    prep: Prepared,
    arc_ids: Sequence[int] | None,
    deadline: Deadline,
    *,
    guard: dict[str, TrustMeasures] | None = None,
    last_level: int = 3,
) -> Optimum:
    """Solves the levels in turn over the allowed arcs; keeps the last plan that was proven.

    With `guard` (each trust's no-collaboration measures), every level is solved with no trust
    worse than its measures; `guard_binding` collects the measures whose rows have a non-zero
    dual in some level, and `guard_infeasible` says a level found the guard impossible.
    Levels after `last_level` are not solved.

    Returns:
        The weekly flows (None if level 1 was not solved in time), each level's LP optimum with
        whether it was proven and its seconds, and the shadow prices.
    """
    tol = prep.data.settings.level_tolerance
    pairs = prep.pairs()
    allowed = set(range(len(prep.arcs))) if arc_ids is None else set(arc_ids)
    pair_ids = [i for i, (_, a) in enumerate(pairs) if a in allowed]
    out = Optimum(flows=None)
    started = time.perf_counter()
    lp = PeriodLp(prep, pair_ids, prep.periods, long_waits=True, guard=guard)
    variables, constraints = lp.size()
    out.size = ModelSize(
        variables=variables,
        constraints=constraints,
        periods=len(prep.periods),
        arcs=len({pairs[p][1] for p in pair_ids}),
    )
    overdue = 0.0
    if lp.overdue is not None:
        t = time.perf_counter()
        ok = lp.minimise([(lp.overdue, 1.0)], deadline)
        overdue = lp.overdue.solution_value() if ok else math.nan
        out.levels[0] = (overdue if ok else None, ok, time.perf_counter() - t)
        if not ok:
            out.guard_infeasible = lp.infeasible and guard is not None
            return out
        out.guard_binding |= lp.binding_guard()
        lp.overdue.SetUb(overdue * (1 + tol) + 1e-9)  # P2 first: (almost) no slack

    # Level 1 on the one-period model when P2 patients can all be treated in time (the worst
    # pressure then depends only on totals, so one period is exact); else on the period model.
    t = time.perf_counter()
    one_period = overdue <= 1e-9 and len(prep.periods) > 1
    level1 = (
        PeriodLp(prep, pair_ids, [(0, prep.weeks - 1)], long_waits=False, guard=guard)
        if one_period
        else lp
    )
    if one_period and level1.overdue is not None:
        level1.overdue.SetUb(0.0)
    if not level1.minimise([(level1.worst, 1.0)], deadline):
        out.levels[1] = (None, False, time.perf_counter() - t)
        out.guard_infeasible = level1.infeasible and guard is not None
        return out
    out.guard_binding |= level1.binding_guard()
    worst = level1.worst.solution_value()
    out.levels[1] = (worst, True, time.perf_counter() - t)
    for (r, k), dual in level1.capacity_duals().items():
        size = prep.resources[r].unit_size * level1.lengths[k]
        out.pressure_shadow[r] = out.pressure_shadow.get(r, 0.0) - dual * size
    out.flows = level1.flows()
    _fix(lp.worst, worst, tol)
    if last_level < 2:
        return out

    t = time.perf_counter()
    assert lp.long_wait is not None
    terms, constant = lp.long_wait
    if not lp.minimise(terms, deadline):
        out.levels[2] = (None, False, time.perf_counter() - t)
        return out
    long_wait = lp.solver.Objective().Value()
    out.levels[2] = (long_wait + constant, True, time.perf_counter() - t)
    out.guard_binding |= lp.binding_guard()
    for (r, k), dual in lp.capacity_duals().items():
        out.long_wait_shadow[(r, k)] = -dual * prep.resources[r].unit_size * lp.lengths[k]
    out.flows = lp.flows()
    lp.fix_terms(terms, long_wait, long_wait + constant)
    if last_level < 3:
        return out

    t = time.perf_counter()
    if not lp.minimise(lp.travel_terms(), deadline):
        out.levels[3] = (None, False, time.perf_counter() - t)
        return out
    out.levels[3] = (lp.solver.Objective().Value(), True, time.perf_counter() - t)
    out.flows = lp.flows()
    logger.info("rebalance LP levels solved in %.2f s", time.perf_counter() - started)
    return out
