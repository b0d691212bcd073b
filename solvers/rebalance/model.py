"""The rebalancing optimiser: a lexicographic linear programme over cohorts of waiting patients.

Data -> variables -> one function per constraint family -> objective per level -> solve -> extract.
The planning is in (provider, hub, treatment function, period) flows; who is treated follows from
the rule that a list is served longest waiters first, so the cumulative number treated fixes which
cohorts have gone (docs/rebalance.md, "How the model works").

Levels, each solved with the previous ones fixed at their optimum (within `level_tolerance`):
0. clinical-priority (P2) patient-weeks overdue, only when a priority share is set;
1. the worst pressure across provider x treatment function at the end of the horizon;
2. the long-wait score (weighted patient-weeks over the wait thresholds);
3. travel and transfers (minutes, plus a weight per transfer and per case bought).

Level 1 depends only on how many patients each list has treated over the horizon, so it is
solved on a one-period model (exact, and much smaller); its duals are the worst-pressure shadow
prices. Levels 2-3 use the period model.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp

from solvers.common import SolveOptions, SolveStats, Status, relative_gap
from solvers.rebalance.baselines import greedy_flows, own_site_arcs
from solvers.rebalance.schema import (
    GUARDED_THRESHOLDS,
    WAIT_BANDS,
    Arc,
    BaselineResult,
    BindingLimit,
    GuardReport,
    HubUse,
    LevelResult,
    ModelSize,
    PlanMetrics,
    PlanRow,
    Prepared,
    QueueOutcome,
    RebalanceInput,
    RebalanceResult,
    SpendLine,
    TrustMeasures,
    TrustOutcome,
    instance_problems,
    prepare,
)

logger = logging.getLogger(__name__)

_TOL = 1e-7
# Presolve is off: it is cheap to skip on these sparse models, and keeping the same LP between
# levels lets GLOP start each level from the previous level's optimal basis.
_GLOP_PARAMETERS = "use_preprocessing: false"
REPORTED_THRESHOLDS = (18, 52, 65, 78)
GUARD_TOLERANCE = 1e-6
"""Slack of each no-trust-worse row, relative to max(1, |the trust's no-collaboration value|).

The no-collaboration plan meets every row exactly, so the slack only absorbs floating-point
noise: GLOP's feasibility tolerance and flows clipped at zero when the baseline was read back.
"""
_DUAL_NOISE = 1e-9
_WORSE_TOLERANCE = 1e-5
"""A trust is reported worse on a measure only beyond this relative noise (as check.py allows)."""
MEASURE_WORST = "worst pressure"
MEASURE_OVERDUE = "P2 patient-weeks overdue"


def measure_long_waiters(over_weeks: int) -> str:
    """'52+ week waiters at the end'."""
    return f"{over_weeks}+ week waiters at the end"


LEVEL_NAMES = {
    0: ("priority_overdue", "Clinical-priority (P2) patient-weeks waited beyond the P2 limit."),
    1: ("worst_pressure", "Worst pressure across provider x treatment function at the end."),
    2: ("long_wait_score", "Weighted patient-weeks waited over the long-wait thresholds."),
    3: ("travel_score", "Travel minutes plus weights for transfers and cases bought."),
}


class _Deadline:
    """Wall-clock budget shared by the solves of one optimisation."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        return self.end - time.perf_counter()


# --- The linear programme --------------------------------------------------------------------


OPTIMAL_GAP = 1e-5
"""Relative gap between a level's plan and its LP bound within which the plan is optimal."""


class _PeriodLp:
    """The LP over `periods` for the streams that have at least one allowed pair."""

    def __init__(
        self,
        prep: Prepared,
        pair_ids: Sequence[int],
        periods: list[tuple[int, int]],
        *,
        long_waits: bool,
        guard: dict[str, TrustMeasures] | None = None,
    ) -> None:
        self.prep = prep
        self.periods = periods
        self.lengths = [last - first + 1 for first, last in periods]
        self.pairs_all = prep.pairs()
        self.pair_ids = list(pair_ids)
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("OR-Tools GLOP is not available.")
        self.x = self._moved_patients()
        self.treated = self._cumulative_treated()
        self.capacity = self._capacity_limits()
        self.overdue_terms: list[tuple[int, pywraplp.Variable, float]] = []
        self.overdue = self._priority_overdue()
        self.worst = self._worst_pressure()
        self.long_wait = self._long_waits() if long_waits else None
        self.guard_rows = self._no_trust_worse(guard) if guard is not None else []
        self.infeasible = False
        self.solver.SetSolverSpecificParametersAsString(_GLOP_PARAMETERS)

    # Variables

    def _moved_patients(self) -> dict[int, list[pywraplp.Variable]]:
        """Patients of a stream treated through an arc, per period: moved[pair][period]."""
        infinity = self.solver.infinity()
        moved: dict[int, list[pywraplp.Variable]] = {}
        for p in self.pair_ids:
            s, a = self.pairs_all[p]
            arc = self.prep.arcs[a]
            kind = "P2" if self.prep.streams[s].priority else "R"
            hub = self.prep.data.hubs[arc.hub].id
            name = f"moved[{self.prep.queue_label(arc.queue)},{hub},{kind}"
            moved[p] = [
                self.solver.NumVar(0.0, infinity, f"{name},{k}]") for k in range(len(self.periods))
            ]
        return moved

    def _cumulative_treated(self) -> dict[int, list[pywraplp.Variable]]:
        """Patients of a stream treated by the end of each period, never more than have joined."""
        by_stream: dict[int, list[int]] = {}
        for p in self.pair_ids:
            by_stream.setdefault(self.pairs_all[p][0], []).append(p)
        treated: dict[int, list[pywraplp.Variable]] = {}
        for s, pair_ids in by_stream.items():
            stream = self.prep.streams[s]
            row: list[pywraplp.Variable] = []
            for k, (_, last) in enumerate(self.periods):
                c = self.solver.NumVar(0.0, stream.arrived_by(last), f"treated[{s},{k}]")
                ct = self.solver.Constraint(0.0, 0.0, f"treated_balance[{s},{k}]")
                ct.SetCoefficient(c, 1.0)
                if k > 0:
                    ct.SetCoefficient(row[-1], -1.0)
                for p in pair_ids:
                    ct.SetCoefficient(self.x[p][k], -1.0)
                row.append(c)
            treated[s] = row
        return treated

    # Constraint families

    def _capacity_limits(self) -> dict[tuple[int, int], pywraplp.Constraint]:
        """Per hub and period: cases x use per case <= the capacity open in the period's weeks."""
        by_hub: dict[int, list[int]] = {}
        for p in self.pair_ids:
            by_hub.setdefault(self.prep.arcs[self.pairs_all[p][1]].hub, []).append(p)
        limits: dict[tuple[int, int], pywraplp.Constraint] = {}
        for r, resource in enumerate(self.prep.resources):
            users = [
                (p, float(resource.per_case[self.prep.queue_tfc[self._queue(p)]]))
                for p in by_hub.get(resource.hub, [])
            ]
            users = [(p, use) for p, use in users if use > 0]
            if not users:
                continue
            for k, (first, last) in enumerate(self.periods):
                ct = self.solver.Constraint(
                    -self.solver.infinity(),
                    float(resource.capacity_by_week[first : last + 1].sum()),
                    f"capacity[{self.prep.data.hubs[resource.hub].id},{resource.name},{k}]",
                )
                for p, use in users:
                    ct.SetCoefficient(self.x[p][k], use)
                limits[(r, k)] = ct
        return limits

    def _priority_overdue(self) -> pywraplp.Variable | None:
        """P2 patients still waiting beyond the P2 limit at each period end, x weeks in period."""
        # Joining in week s, a P2 patient must be treated by the end of week s + limit - 1 (so
        # never waits more than `limit` weeks): still waiting in band limit - 1 is overdue.
        limit = self.prep.data.settings.priority_max_wait_weeks - 1
        terms: list[tuple[pywraplp.Variable, float]] = []
        for s, row in self.treated.items():
            stream = self.prep.streams[s]
            if not stream.priority:
                continue
            for k, (_, last) in enumerate(self.periods):
                due = stream.over(last, limit)
                if due <= 0:
                    continue
                o = self.solver.NumVar(0.0, self.solver.infinity(), f"overdue[{s},{k}]")
                ct = self.solver.Constraint(due, self.solver.infinity(), f"overdue_def[{s},{k}]")
                ct.SetCoefficient(o, 1.0)
                ct.SetCoefficient(row[k], 1.0)
                terms.append((o, float(self.lengths[k])))
                self.overdue_terms.append((s, o, float(self.lengths[k])))
        if not any(self.prep.streams[s].priority for s in self.treated):
            return None
        total = self.solver.NumVar(0.0, self.solver.infinity(), "priority_overdue")
        ct = self.solver.Constraint(0.0, 0.0, "priority_overdue_def")
        ct.SetCoefficient(total, 1.0)
        for o, length in terms:
            ct.SetCoefficient(o, -length)
        return total

    def _worst_pressure(self) -> pywraplp.Variable:
        """Worst pressure >= 2 x (waiting at end / demand) / target, for each list with a site."""
        worst = self.solver.NumVar(0.0, self.solver.infinity(), "worst_pressure")
        last = len(self.periods) - 1
        for q, stream_ids in enumerate(self.prep.streams_of_queue):
            active = [s for s in stream_ids if s in self.treated]
            if not active:
                continue
            den = float(self.prep.pressure_denominator[q])
            arrived = sum(self.prep.streams[s].arrived_by(self.prep.weeks - 1) for s in stream_ids)
            ct = self.solver.Constraint(
                arrived / den, self.solver.infinity(), f"pressure[{self.prep.queue_label(q)}]"
            )
            ct.SetCoefficient(worst, 1.0)
            for s in active:
                ct.SetCoefficient(self.treated[s][last], 1.0 / den)
        return worst

    def _long_waits(self) -> tuple[list[tuple[pywraplp.Variable, float]], float]:
        """Weighted patients over each threshold at each period end, x weeks in the period.

        Served longest waiters first, the score of a stream at a period end is a convex,
        decreasing, piecewise-linear function of how many it has treated: the sum over thresholds
        of weight x max(0, patients over the threshold - treated). It is written with one bounded
        variable per linear piece (`piece[s, k, j]`, filled cheapest first because the function
        is convex) and one row keeping the pieces within the number treated.

        Returns:
            The objective terms and the constant (the score if nobody were treated).
        """
        constant = 0.0
        terms: list[tuple[pywraplp.Variable, float]] = []
        for s, row in self.treated.items():
            stream = self.prep.streams[s]
            for k, (_, last) in enumerate(self.periods):
                length = self.lengths[k]
                over = [
                    (stream.over(last, weeks), weight) for weeks, weight in self.prep.thresholds
                ]
                over = [(n, w) for n, w in over if n > 1e-12]
                if not over:
                    continue
                constant += length * sum(n * w for n, w in over)
                link = self.solver.Constraint(0.0, self.solver.infinity(), f"pieces[{s},{k}]")
                link.SetCoefficient(row[k], 1.0)
                below = 0.0
                for j, top in enumerate(sorted({n for n, _ in over})):
                    slope = sum(w for n, w in over if n >= top - 1e-12)
                    piece = self.solver.NumVar(0.0, top - below, f"piece[{s},{k},{j}]")
                    link.SetCoefficient(piece, -1.0)
                    terms.append((piece, -slope * length))
                    below = top
        return terms, constant

    def _no_trust_worse(
        self, guard: dict[str, TrustMeasures]
    ) -> list[tuple[tuple[str, str], pywraplp.Constraint]]:
        """No trust ends worse than on its own: worst pressure, P2 overdue, long waiters at end.

        Each row holds one trust's measure at most its no-collaboration value plus
        `GUARD_TOLERANCE`. Lists and streams no site can treat add their constant share.

        Returns:
            ((trust, measure in words), row) for every guard row, to read which ones bind.
        """
        prep = self.prep
        infinity = self.solver.infinity()
        last = len(self.periods) - 1
        end_week = prep.weeks - 1
        rows: list[tuple[tuple[str, str], pywraplp.Constraint]] = []

        def slack(value: float) -> float:
            return GUARD_TOLERANCE * max(1.0, abs(value))

        streams_of_trust: dict[str, list[int]] = {}
        queues_of_trust: dict[str, list[int]] = {}
        for q, queue in enumerate(prep.queues):
            queues_of_trust.setdefault(queue.provider, []).append(q)
            streams_of_trust.setdefault(queue.provider, []).extend(prep.streams_of_queue[q])
        for trust, own in sorted(guard.items()):
            if trust not in queues_of_trust:
                continue
            label = (trust, MEASURE_WORST)
            for q in queues_of_trust[trust]:
                active = [s for s in prep.streams_of_queue[q] if s in self.treated]
                if not active:
                    continue
                den = float(prep.pressure_denominator[q])
                arrived = sum(
                    prep.streams[s].arrived_by(end_week) for s in prep.streams_of_queue[q]
                )
                ct = self.solver.Constraint(
                    arrived / den - own.worst_pressure - slack(own.worst_pressure),
                    infinity,
                    f"no_trust_worse[{prep.queue_label(q)},{MEASURE_WORST}]",
                )
                for s in active:
                    ct.SetCoefficient(self.treated[s][last], 1.0 / den)
                rows.append((label, ct))
            for over_weeks in GUARDED_THRESHOLDS:
                label = (trust, measure_long_waiters(over_weeks))
                allowed = own.long_waiters_at_end.get(over_weeks, 0.0)
                ct = self.solver.Constraint(-infinity, 0.0, f"no_trust_worse[{', '.join(label)}]")
                constant = 0.0
                for s in streams_of_trust[trust]:
                    over = prep.streams[s].over(end_week, over_weeks)
                    if over <= 1e-12:
                        continue
                    if s not in self.treated:
                        constant += over
                        continue
                    # left[s] >= patients over the threshold - treated (and >= 0).
                    left = self.solver.NumVar(0.0, infinity, f"left[{s},{over_weeks}]")
                    link = self.solver.Constraint(over, infinity, f"left_def[{s},{over_weeks}]")
                    link.SetCoefficient(left, 1.0)
                    link.SetCoefficient(self.treated[s][last], 1.0)
                    ct.SetCoefficient(left, 1.0)
                ct.SetUb(allowed + slack(allowed) - constant)
                rows.append((label, ct))
            label = (trust, MEASURE_OVERDUE)
            p2_terms = [
                (o, length)
                for s, o, length in self.overdue_terms
                if prep.queues[prep.streams[s].queue].provider == trust
            ]
            if p2_terms:
                limit = prep.data.settings.priority_max_wait_weeks - 1
                constant = sum(
                    self.lengths[k] * prep.streams[s].over(end, limit)
                    for s in streams_of_trust[trust]
                    if prep.streams[s].priority and s not in self.treated
                    for k, (_, end) in enumerate(self.periods)
                )
                allowed = own.priority_overdue
                ct = self.solver.Constraint(
                    -infinity,
                    allowed + slack(allowed) - constant,
                    f"no_trust_worse[{', '.join(label)}]",
                )
                for o, length in p2_terms:
                    ct.SetCoefficient(o, length)
                rows.append((label, ct))
        return rows

    def binding_guard(self) -> set[tuple[str, str]]:
        """The guarded measures whose rows have a non-zero dual in the last solve."""
        return {label for label, ct in self.guard_rows if abs(ct.dual_value()) > _DUAL_NOISE}

    def fix_terms(
        self, terms: list[tuple[pywraplp.Variable, float]], value: float, scale: float
    ) -> None:
        """Keeps a level's terms at most `value` plus the level tolerance x max(1, |scale|)."""
        tol = self.prep.data.settings.level_tolerance
        ct = self.solver.Constraint(
            -self.solver.infinity(), value + tol * max(1.0, abs(scale)), "level_fixed"
        )
        for var, coef in terms:
            ct.SetCoefficient(var, coef)

    def _queue(self, p: int) -> int:
        return self.prep.arcs[self.pairs_all[p][1]].queue

    # Objectives and solving

    def minimise(self, terms: list[tuple[pywraplp.Variable, float]], deadline: _Deadline) -> bool:
        """Minimises the linear terms within the time left; True when proven optimal."""
        self.infeasible = False
        left = deadline.left()
        if left <= 0:
            return False
        objective = self.solver.Objective()
        objective.Clear()
        for var, coef in terms:
            objective.SetCoefficient(var, coef)
        objective.SetMinimization()
        self.solver.SetTimeLimit(max(1, int(left * 1000)))
        status = self.solver.Solve()
        self.infeasible = status == pywraplp.Solver.INFEASIBLE
        if status != pywraplp.Solver.OPTIMAL:
            logger.warning("GLOP stopped with status %s", status)
        return status == pywraplp.Solver.OPTIMAL

    def travel_terms(self) -> list[tuple[pywraplp.Variable, float]]:
        """Level 3: each patient moved costs its arc's travel, transfer and purchase weights."""
        return [
            (var, self.prep.arcs[self.pairs_all[p][1]].cost)
            for p, row in self.x.items()
            for var in row
        ]

    def flows(self) -> np.ndarray:
        """Weekly patients per pair of `prep.pairs()`, spread over each period's weeks.

        A hub's patients are spread in proportion to the capacity it has open each week (evenly
        when every week is alike), so that a period within its capacity is within it every week.
        """
        weekly = np.zeros((len(self.pairs_all), self.prep.weeks))
        hubs = self.prep.data.hubs
        for p, row in self.x.items():
            hub = hubs[self.prep.arcs[self.pairs_all[p][1]].hub]
            for k, (first, last) in enumerate(self.periods):
                value = max(0.0, row[k].solution_value())
                open_share = np.array([hub.capacity_factor(w) for w in range(first, last + 1)])
                total = float(open_share.sum())
                if total > 0:
                    weekly[p, first : last + 1] = value * open_share / total
                else:
                    weekly[p, first : last + 1] = value / self.lengths[k]
        return realise_weekly(self.prep, weekly) if self.prep.real_weeks else weekly

    def capacity_duals(self) -> dict[tuple[int, int], float]:
        """Dual value of each capacity row (<= 0: the objective falls as capacity rises)."""
        return {key: ct.dual_value() for key, ct in self.capacity.items()}

    def size(self) -> tuple[int, int]:
        """(variables, constraints)."""
        return self.solver.NumVariables(), self.solver.NumConstraints()


def _fix(var: pywraplp.Variable, value: float, tolerance: float) -> None:
    """Keeps a level at its optimum, within a relative and absolute tolerance."""
    var.SetUb(value + tolerance * max(1.0, abs(value)))


@dataclass
class _Optimum:
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
    deadline: _Deadline,
    *,
    guard: dict[str, TrustMeasures] | None = None,
    last_level: int = 3,
) -> _Optimum:
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
    out = _Optimum(flows=None)
    started = time.perf_counter()
    lp = _PeriodLp(prep, pair_ids, prep.periods, long_waits=True, guard=guard)
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
        _PeriodLp(prep, pair_ids, [(0, prep.weeks - 1)], long_waits=False, guard=guard)
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


# --- From flows to a plan and its figures ----------------------------------------------------


def realise_weekly(prep: Prepared, wanted: np.ndarray) -> np.ndarray:
    """A weekly plan as close to `wanted` as each week's capacity and arrivals allow.

    With real weeks a period's totals can be within the period's capacity and arrivals while
    their spread is not within some week's: a list that has caught up cannot be treated faster
    than its patients join, and a week with a bank holiday has less room. Week by week, each
    pair's wanted patients plus what it carries from earlier weeks are cut to what its list has
    waiting, then to what the hub's resources hold that week; the rest is carried to the next
    week and tried again (what is left at the end of the horizon is not treated). The LP's
    level values stay lower bounds (the period model relaxes the weekly one), so any loss shows
    as a gap between the plan's objective and its bound.

    Returns:
        Weekly patients per pair of `prep.pairs()`, within every week's capacity and arrivals.
    """
    pairs = prep.pairs()
    n = len(pairs)
    stream_of = np.array([s for s, _ in pairs], dtype=int)
    hub_of = np.array([prep.arcs[a].hub for _, a in pairs], dtype=int)
    tfc_of = prep.queue_tfc[[prep.arcs[a].queue for _, a in pairs]] if n else np.zeros(0, int)
    uses = []  # (resource, pair indices, use per case)
    for r, res in enumerate(prep.resources):
        idx = np.flatnonzero(hub_of == res.hub)
        use = res.per_case[tfc_of[idx]] if len(idx) else np.zeros(0)
        keep = use > 0
        if keep.any():
            uses.append((r, idx[keep], use[keep]))
    arrived = np.array(
        [[s.arrived_by(w) for w in range(prep.weeks)] for s in prep.streams]
    ).reshape(len(prep.streams), prep.weeks)
    done = np.zeros(len(prep.streams))
    carry = np.zeros(n)
    out = np.zeros_like(wanted)
    for w in range(prep.weeks):
        want = wanted[:, w] + carry
        by_stream = np.bincount(stream_of, weights=want, minlength=len(prep.streams))
        room = np.maximum(0.0, arrived[:, w] - done)
        scale = np.where(by_stream > room, room / np.maximum(by_stream, 1e-300), 1.0)
        want = want * scale[stream_of]
        hub_scale = np.ones(len(prep.data.hubs))
        for r, idx, use in uses:
            needed = float(want[idx] @ use)
            open_ = float(prep.resources[r].capacity_by_week[w])
            if needed > open_ * (1 + 1e-12):
                hub = prep.resources[r].hub
                hub_scale[hub] = min(hub_scale[hub], open_ / needed)
        placed = want * hub_scale[hub_of]
        out[:, w] = placed
        carry = wanted[:, w] + carry - placed
        done += np.bincount(stream_of, weights=placed, minlength=len(prep.streams))
    return out


@dataclass
class Evaluation:
    """A weekly plan with its figures, computed the way the model counts them."""

    plan: list[PlanRow]
    queues: list[QueueOutcome]
    metrics: PlanMetrics
    hub_use: list[HubUse]
    used: np.ndarray  # resource x week
    treated_by_stream_week: np.ndarray
    spend: list[SpendLine]


def evaluate(prep: Prepared, flows: np.ndarray) -> Evaluation:
    """Turns weekly flows into plan rows (cohorts, longest waiters first) and the level figures."""
    data = prep.data
    settings = data.settings
    weeks = prep.weeks
    pairs = prep.pairs()
    hubs = data.hubs
    pairs_of_stream: list[list[int]] = [[] for _ in prep.streams]
    for i, (s, _) in enumerate(pairs):
        pairs_of_stream[s].append(i)
    treated = np.zeros((len(prep.streams), weeks))
    rows: list[PlanRow] = []
    for s, stream in enumerate(prep.streams):
        ids = pairs_of_stream[s]
        if not ids:
            continue
        weekly = flows[ids]
        treated[s] = weekly.sum(axis=0)
        sizes, start_bands = stream.cohorts(weeks)
        edges = np.concatenate([[0.0], np.cumsum(sizes)])
        queue = prep.queues[stream.queue]
        position = 0.0
        for w in range(weeks):
            for j, p in enumerate(ids):
                amount = weekly[j, w]
                if amount <= 1e-12:
                    continue
                lo, hi = position, position + amount
                position = hi
                first = max(0, int(np.searchsorted(edges, lo, side="right")) - 1)
                last = min(len(sizes) - 1, int(np.searchsorted(edges, hi, side="left")) - 1)
                arc = prep.arcs[pairs[p][1]]
                for c in range(first, max(first, last) + 1):
                    share = min(hi, edges[c + 1]) - max(lo, edges[c])
                    if c == len(sizes) - 1:
                        share = hi - max(lo, edges[c])
                    if share <= 1e-9 or start_bands[c] + w < 0:
                        # A floating-point sliver of a cohort that has not joined yet: keeping
                        # it would write a negative wait band that the stored result refuses.
                        continue
                    rows.append(
                        PlanRow.model_construct(  # fields are correct by construction
                            provider=queue.provider,
                            tfc=queue.tfc,
                            hub=hubs[arc.hub].id,
                            week=w + 1,
                            wait_band_weeks=int(start_bands[c] + w),
                            patients=float(share),
                            priority=stream.priority,
                            transfer=not arc.own_site,
                            travel_minutes=arc.travel_minutes,
                        )
                    )
    cumulative = np.cumsum(treated, axis=1)

    lengths = [last - first + 1 for first, last in prep.periods]
    long_wait_score = 0.0
    overdue = 0.0
    overdue_of_queue = np.zeros(len(prep.queues))
    long_at_end = dict.fromkeys(REPORTED_THRESHOLDS, 0.0)
    for s, stream in enumerate(prep.streams):
        for k, (_, last) in enumerate(prep.periods):
            done = cumulative[s, last]
            for over_weeks, weight in prep.thresholds:
                long_wait_score += (
                    lengths[k] * weight * max(0.0, stream.over(last, over_weeks) - done)
                )
            if stream.priority:
                due = stream.over(last, settings.priority_max_wait_weeks - 1)
                overdue += lengths[k] * max(0.0, due - done)
                overdue_of_queue[stream.queue] += lengths[k] * max(0.0, due - done)
        for over_weeks in REPORTED_THRESHOLDS:
            long_at_end[over_weeks] += max(
                0.0, stream.over(weeks - 1, over_weeks) - cumulative[s, -1]
            )

    queues: list[QueueOutcome] = []
    for q, queue in enumerate(prep.queues):
        ids = prep.streams_of_queue[q]
        start = queue.waiting
        done = float(sum(cumulative[s, -1] for s in ids))
        end = sum(prep.streams[s].arrived_by(weeks - 1) for s in ids) - done
        den = float(prep.pressure_denominator[q])
        demand = queue.weekly_demand
        target = demand * settings.target_wait_weeks / 4.0
        queues.append(
            QueueOutcome(
                provider=queue.provider,
                tfc=queue.tfc,
                weekly_demand=demand,
                waiting_at_start=start,
                treated=done,
                waiting_at_end=max(0.0, end),
                pressure_at_start=start / den,
                pressure_at_end=max(0.0, end) / den,
                target_queue_size=target,
                relief_capacity_per_week=demand + max(0.0, start - target) / weeks,
                long_waiters_at_end={
                    L: sum(
                        max(0.0, prep.streams[s].over(weeks - 1, L) - cumulative[s, -1])
                        for s in ids
                    )
                    for L in REPORTED_THRESHOLDS
                },
                reachable_hubs=[hubs[prep.arcs[a].hub].id for a in prep.arcs_of_queue[q]],
                priority_overdue=float(overdue_of_queue[q]),
            )
        )

    moved = flows.sum(axis=1)
    arcs = [prep.arcs[a] for _, a in pairs]
    travel_score = float(sum(m * arc.cost for m, arc in zip(moved, arcs, strict=True)))
    used = np.zeros((len(prep.resources), weeks))
    for i, arc in enumerate(arcs):
        tfc = prep.queue_tfc[arc.queue]
        for r in prep.resources_of_hub[arc.hub]:
            use = prep.resources[r].per_case[tfc]
            if use > 0:
                used[r] += use * flows[i]
    hub_use = [
        HubUse(
            hub=hubs[res.hub].id,
            resource=res.name,
            unit=res.unit,
            capacity_per_week=res.capacity_per_week,
            used_by_week=[float(v) for v in used[r]],
            capacity_by_week=[float(v) for v in res.capacity_by_week],
        )
        for r, res in enumerate(prep.resources)
    ]
    spend = _spend_lines(prep, moved, arcs)
    worst_q = max(range(len(queues)), key=lambda q: queues[q].pressure_at_end, default=None)
    metrics = PlanMetrics(
        worst_pressure=queues[worst_q].pressure_at_end if worst_q is not None else 0.0,
        worst_queue=prep.queue_label(worst_q) if worst_q is not None else "",
        long_wait_score=long_wait_score,
        travel_score=travel_score,
        priority_overdue=overdue,
        patients_treated=float(moved.sum()),
        waiting_at_end=float(sum(q.waiting_at_end for q in queues)),
        transfers=float(sum(m for m, arc in zip(moved, arcs, strict=True) if not arc.own_site)),
        independent_sector_cases=float(
            sum(m for m, arc in zip(moved, arcs, strict=True) if arc.independent)
        ),
        travel_patient_minutes=float(
            sum(m * arc.travel_minutes for m, arc in zip(moved, arcs, strict=True))
        ),
        long_waiters_at_end=long_at_end,
        independent_sector_spend=float(sum(line.spend or 0.0 for line in spend)),
        unpriced_independent_cases=float(
            sum(line.cases for line in spend if line.price_per_case is None)
        ),
    )
    return Evaluation(rows, queues, metrics, hub_use, used, treated, spend)


def _spend_lines(prep: Prepared, moved: np.ndarray, arcs: Sequence[Arc]) -> list[SpendLine]:
    """Cases bought from each independent provider per treatment function, priced where known."""
    cases: dict[tuple[int, str], float] = {}
    for m, arc in zip(moved, arcs, strict=True):
        if arc.independent and m > 1e-9:
            key = (arc.hub, prep.queues[arc.queue].tfc)
            cases[key] = cases.get(key, 0.0) + float(m)
    lines = []
    hubs = prep.data.hubs
    for (h, tfc), n in sorted(cases.items(), key=lambda item: (hubs[item[0][0]].id, item[0][1])):
        hub = hubs[h]
        price = hub.price_per_case.get(tfc)
        lines.append(
            SpendLine(
                hub=hub.id,
                tfc=tfc,
                cases=n,
                price_per_case=price,
                spend=None if price is None else n * price,
            )
        )
    return lines


# --- What binds ------------------------------------------------------------------------------


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def _resource_words(name: str) -> str:
    """'theatre_minutes' -> 'theatre minutes'; 'cases:C_110' -> 'C_110 cases'."""
    if ":" in name:
        return f"{name.split(':', 1)[1]} cases"
    return {"overnight_bed_days": "overnight bed-days", "day_cases": "day-case places"}.get(
        name, name.replace("_", " ")
    )


def _number(value: float) -> str:
    """12,345 for large figures, three significant digits for small ones."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _clean(value: float) -> float:
    """A shadow price with solver noise (|value| < 1e-9) shown as 0."""
    return 0.0 if abs(value) < 1e-9 else value


def binding_limits(prep: Prepared, ev: Evaluation, optimum: _Optimum) -> list[BindingLimit]:
    """Full resources (runs of weeks, with shadow prices), then lists left above target size."""
    limits: list[BindingLimit] = []
    hubs = prep.data.hubs
    period_of_week = np.zeros(prep.weeks, dtype=int)
    for k, (first, last) in enumerate(prep.periods):
        period_of_week[first : last + 1] = k
    for r, res in enumerate(prep.resources):
        full = ev.used[r] >= res.capacity_by_week * (1 - 1e-6) - 1e-6
        full &= (res.capacity_by_week > 0) | (ev.used[r] > 0)
        w = 0
        while w < prep.weeks:
            if not full[w]:
                w += 1
                continue
            start = w
            while w + 1 < prep.weeks and full[w + 1]:
                w += 1
            periods = sorted(set(period_of_week[start : w + 1]))
            long_wait = _clean(sum(optimum.long_wait_shadow.get((r, int(k)), 0.0) for k in periods))
            pressure = _clean(optimum.pressure_shadow.get(r, 0.0))
            hub = hubs[res.hub]
            used = float(ev.used[r, start : w + 1].mean())
            open_per_week = float(res.capacity_by_week[start : w + 1].mean())
            when = _weeks(start + 1, w + 1)
            limits.append(
                BindingLimit(
                    name=res.name,
                    where=hub.id,
                    when=when,
                    unit=res.unit,
                    hub=hub.id,
                    resource=res.name,
                    first_week=start + 1,
                    last_week=w + 1,
                    capacity_per_week=open_per_week,
                    used_per_week=used,
                    worst_pressure_reduction_per_unit=max(0.0, pressure),
                    long_wait_reduction_per_unit=max(0.0, long_wait),
                    message=(
                        f"{hub.name or hub.id}: {_resource_words(res.name)} full in {when} "
                        f"({_number(used)} of {_number(open_per_week)} a week); one more "
                        f"{res.unit} a week would lower the worst pressure by {pressure:.3g} "
                        f"and the long-wait score by {_number(long_wait)}."
                    ),
                )
            )
            w += 1
    limits.sort(
        key=lambda b: (-b.worst_pressure_reduction_per_unit, -b.long_wait_reduction_per_unit)
    )
    weeks = prep.weeks
    for q, outcome in enumerate(ev.queues):
        label = prep.queue_label(q)
        if q in prep.stranded:
            limits.append(
                BindingLimit(
                    name="no_reachable_hub",
                    where=label,
                    when=f"weeks 1-{weeks}",
                    shortfall=outcome.waiting_at_end,
                    unit="patients",
                    message=(
                        f"{label}: no site treats {outcome.tfc} within "
                        f"{prep.data.settings.max_travel_minutes:g} minutes of {outcome.provider}; "
                        f"{outcome.waiting_at_end:,.0f} patients wait at the end."
                    ),
                )
            )
        elif outcome.waiting_at_end > outcome.target_queue_size + 1e-6:
            excess = outcome.waiting_at_end - outcome.target_queue_size
            limits.append(
                BindingLimit(
                    name="waiting_list_above_target",
                    where=label,
                    when=f"end of week {weeks}",
                    shortfall=excess,
                    unit="patients",
                    message=(
                        f"{label}: {outcome.waiting_at_end:,.0f} waiting at the end, "
                        f"{excess:,.0f} above the target size of {outcome.target_queue_size:,.0f} "
                        f"(pressure {outcome.pressure_at_end:.2f})."
                    ),
                )
            )
    return limits


# --- Entry point -----------------------------------------------------------------------------


def _stranded_constants(prep: Prepared, arc_ids: Sequence[int] | None) -> tuple[float, float]:
    """Worst pressure and long-wait score of the lists that no allowed arc can treat."""
    allowed = set(range(len(prep.arcs))) if arc_ids is None else set(arc_ids)
    worst = 0.0
    long_wait = 0.0
    lengths = [last - first + 1 for first, last in prep.periods]
    for q, stream_ids in enumerate(prep.streams_of_queue):
        if any(a in allowed for a in prep.arcs_of_queue[q]):
            continue
        end = sum(prep.streams[s].arrived_by(prep.weeks - 1) for s in stream_ids)
        worst = max(worst, end / float(prep.pressure_denominator[q]))
        for s in stream_ids:
            for k, (_, last) in enumerate(prep.periods):
                for over_weeks, weight in prep.thresholds:
                    long_wait += lengths[k] * weight * prep.streams[s].over(last, over_weeks)
    return worst, long_wait


def _levels(
    prep: Prepared, optimum: _Optimum, ev: Evaluation | None, arc_ids: Sequence[int] | None
) -> list[LevelResult]:
    worst_const, long_const = _stranded_constants(prep, arc_ids)
    achieved = {
        0: ev.metrics.priority_overdue if ev else None,
        1: ev.metrics.worst_pressure if ev else None,
        2: ev.metrics.long_wait_score if ev else None,
        3: ev.metrics.travel_score if ev else None,
    }
    levels = []
    for level in (0, 1, 2, 3):
        if level == 0 and level not in optimum.levels:
            continue
        name, description = LEVEL_NAMES[level]
        value, proven, seconds = optimum.levels.get(level, (None, False, 0.0))
        bound = None
        if value is not None and proven:
            bound = max(value, worst_const) if level == 1 else value
            if level == 2:
                bound = value + long_const
        objective = achieved[level] if level in optimum.levels or ev is not None else None
        levels.append(
            LevelResult(
                level=level,
                name=name,
                description=description,
                objective=objective,
                bound=bound,
                gap=relative_gap(objective, bound),
                status=Status.OPTIMAL if proven else Status.NO_SOLUTION_IN_TIME,
                seconds=round(seconds, 4),
            )
        )
    return levels


def trust_measures(queues: Sequence[QueueOutcome]) -> dict[str, TrustMeasures]:
    """Each trust's own measures from its lists' outcomes: worst pressure, long waiters, P2."""
    by_trust: dict[str, list[QueueOutcome]] = {}
    for outcome in queues:
        by_trust.setdefault(outcome.provider, []).append(outcome)
    return {
        trust: TrustMeasures(
            worst_pressure=max(o.pressure_at_end for o in lists),
            long_waiters_at_end={
                w: float(sum(o.long_waiters_at_end.get(w, 0.0) for o in lists))
                for w in GUARDED_THRESHOLDS
            },
            priority_overdue=float(sum(o.priority_overdue for o in lists)),
        )
        for trust, lists in sorted(by_trust.items())
    }


def _worse_on(plan: TrustMeasures, alone: TrustMeasures) -> list[str]:
    """The measures on which `plan` is worse than `alone` beyond numerical noise."""

    def worse(mine: float, theirs: float) -> bool:
        return mine > theirs + _WORSE_TOLERANCE * max(1.0, abs(theirs))

    found = []
    if worse(plan.worst_pressure, alone.worst_pressure):
        found.append(MEASURE_WORST)
    for w in GUARDED_THRESHOLDS:
        if worse(plan.long_waiters_at_end[w], alone.long_waiters_at_end[w]):
            found.append(measure_long_waiters(w))
    if worse(plan.priority_overdue, alone.priority_overdue):
        found.append(MEASURE_OVERDUE)
    return found


def trust_outcomes(
    plan: Sequence[QueueOutcome], alone: Sequence[QueueOutcome]
) -> list[TrustOutcome]:
    """Every trust's measures in the plan beside its measures without collaboration."""
    mine, theirs = trust_measures(plan), trust_measures(alone)
    return [
        TrustOutcome(
            provider=trust,
            plan=measures,
            no_collaboration=theirs[trust],
            worse_on=_worse_on(measures, theirs[trust]),
        )
        for trust, measures in mine.items()
        if trust in theirs
    ]


def _measure_value(own: TrustMeasures, measure: str) -> float:
    if measure == MEASURE_WORST:
        return own.worst_pressure
    if measure == MEASURE_OVERDUE:
        return own.priority_overdue
    return next(
        own.long_waiters_at_end[w] for w in GUARDED_THRESHOLDS if measure_long_waiters(w) == measure
    )


def _guard_limits(
    prep: Prepared, guard: dict[str, TrustMeasures], optimum: _Optimum
) -> list[BindingLimit]:
    """The guard's rows that bind, each named by trust and measure; or the guard as impossible."""
    weeks = prep.weeks
    if optimum.guard_infeasible and optimum.flows is None:
        return [
            BindingLimit(
                name="no_trust_worse",
                where="every trust",
                when=f"weeks 1-{weeks}",
                unit="guard",
                message=(
                    "The solver found no plan with every trust no worse than without "
                    "collaboration (the no-collaboration plan meets the guard, so only numerical "
                    "trouble can cause this); the plan returned is the no-collaboration plan."
                ),
            )
        ]
    limits = []
    for trust, measure in sorted(optimum.guard_binding):
        value = _measure_value(guard[trust], measure)
        when = f"weeks 1-{weeks}" if measure == MEASURE_OVERDUE else f"end of week {weeks}"
        limits.append(
            BindingLimit(
                name="no_trust_worse",
                where=trust,
                when=when,
                unit=measure,
                message=(
                    f"{trust}: the no-trust-worse guard holds its {measure} at most "
                    f"{_number(value)}, its figure without collaboration; without the guard "
                    "the collaborative could do better on its own objective."
                ),
            )
        )
    return limits


def _guard_report(
    prep: Prepared,
    options: SolveOptions,
    guard: dict[str, TrustMeasures] | None,
    optimum: _Optimum,
    ev: Evaluation | None,
) -> GuardReport:
    """What the guard held and, when it binds, the figures of a re-solve without it.

    The re-solve is bounded: levels 0-2 only (travel does not enter the cost), within its own
    `time_limit_seconds`; a level it does not finish reports None.
    """
    if not prep.data.settings.no_trust_worse:
        return GuardReport(on=False, applied=False, message="The no-trust-worse guard is off.")
    if guard is None:
        return GuardReport(
            on=True,
            applied=False,
            message="The no-collaboration plan was not solved within the time limit, so no "
            "trust's figures could be guarded.",
        )
    binding = [f"{trust}: {measure}" for trust, measure in sorted(optimum.guard_binding)]
    with_guard = ev.metrics if ev is not None else None
    report: dict[str, Any] = {
        "on": True,
        "applied": True,
        "binding": binding,
        "worst_pressure_with_guard": with_guard.worst_pressure if with_guard else None,
        "priority_overdue_with_guard": with_guard.priority_overdue if with_guard else None,
        "long_wait_score_with_guard": with_guard.long_wait_score if with_guard else None,
    }
    if not binding and not optimum.guard_infeasible:
        return GuardReport(
            **report, message="The guard binds nowhere: it costs the collaborative nothing."
        )
    t = time.perf_counter()
    free = optimise(prep, None, _Deadline(options.time_limit_seconds), last_level=2)
    seconds = round(time.perf_counter() - t, 3)
    if free.flows is None:
        return GuardReport(
            **report,
            seconds_without_guard=seconds,
            message="The guard binds; the re-solve without it did not finish in time.",
        )
    without = evaluate(prep, free.flows).metrics

    def proven(level: int) -> bool:
        return free.levels.get(level, (None, False, 0.0))[1]

    report.update(
        worst_pressure_without_guard=without.worst_pressure if proven(1) else None,
        priority_overdue_without_guard=without.priority_overdue
        if proven(0) or 0 not in free.levels
        else None,
        long_wait_score_without_guard=without.long_wait_score if proven(2) else None,
        seconds_without_guard=seconds,
    )
    worst_with = report["worst_pressure_with_guard"]
    message = f"The guard holds {'; '.join(binding)}."
    if worst_with is not None and proven(1):
        message += (
            f" Worst pressure {worst_with:.4g} with the guard, "
            f"{without.worst_pressure:.4g} without it."
        )
    return GuardReport(**report, message=message)


def solve_rebalance(data: RebalanceInput, options: SolveOptions | None = None) -> RebalanceResult:
    """Plans which patients go where, week by week, minimising the levels in turn.

    With `settings.no_trust_worse` (the default), each trust's plan on its own (no collaboration)
    is solved first and every level is solved with no trust worse than that on its worst pressure,
    P2 patient-weeks overdue and long waiters at the end (`GUARD_TOLERANCE` absorbs noise).

    Returns:
        Status, per-level objective and bound, the plan (cohorts by hub and week), each list's
        outcome, each trust's measures beside its no-collaboration ones, what the guard held and
        cost, the limits that bind with their shadow prices, and the greedy and
        no-collaboration baselines. Never "infeasible": patients who cannot be treated stay on
        the lists and show in the outcomes and binding limits.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    problems = instance_problems(data)
    if problems:
        return RebalanceResult(stats=SolveStats.invalid(options), problems=problems)
    prep = prepare(data)
    settings = data.settings
    alone, alone_flows = (
        _no_collaboration(prep, options)
        if settings.no_trust_worse or settings.include_baselines
        else (None, None)
    )
    guard = trust_measures(alone.queues) if settings.no_trust_worse and alone else None
    deadline = _Deadline(options.time_limit_seconds)
    optimum = optimise(prep, None, deadline, guard=guard)
    fallback = optimum.flows is None and optimum.guard_infeasible and alone_flows is not None
    flows = alone_flows if fallback else optimum.flows
    ev = evaluate(prep, flows) if flows is not None else None
    levels = _levels(prep, optimum, ev, None)
    guard_report = _guard_report(prep, options, guard, optimum, ev)
    all_proven = all(level.status == Status.OPTIMAL for level in levels)
    if ev is None:
        status = Status.NO_SOLUTION_IN_TIME
    else:
        # With real weeks the weekly plan can fall short of the period LP (`realise_weekly`):
        # optimal only when every level's plan meets its bound.
        met = all(
            level.gap is None or level.gap <= OPTIMAL_GAP for level in levels if level.level < 3
        )
        status = Status.OPTIMAL if all_proven and met and not fallback else Status.FEASIBLE
    level1 = next(level for level in levels if level.level == 1)
    wall = time.perf_counter() - started
    stats = SolveStats(
        status=status,
        objective=level1.objective,
        bound=level1.bound,
        gap=0.0
        if status == Status.OPTIMAL and level1.gap is not None and level1.gap < 1e-6
        else level1.gap,
        wall_seconds=round(wall, 3),
        time_limit_seconds=options.time_limit_seconds,
        num_workers=options.num_workers,
        seed=options.seed,
    )
    baselines = []
    if settings.include_baselines:
        baselines.append(_greedy(prep))
        if alone is not None:
            baselines.append(alone)
    limits = binding_limits(prep, ev, optimum) if ev else []
    if guard is not None:
        limits += _guard_limits(prep, guard, optimum)
    return RebalanceResult(
        stats=stats,
        levels=levels,
        metrics=ev.metrics if ev else None,
        plan=ev.plan if ev else [],
        queues=ev.queues if ev else [],
        hub_use=ev.hub_use if ev else [],
        spend=ev.spend if ev else [],
        binding_limits=limits,
        baselines=baselines,
        trusts=trust_outcomes(ev.queues, alone.queues) if ev and alone else [],
        guard=guard_report,
        settings=data.settings,
        lp_algorithm="GLOP (primal-dual simplex), lexicographic levels",
        model_size=optimum.size,
    )


def _greedy(prep: Prepared) -> BaselineResult:
    """The greedy hand plan: nearest site with room first, longest waiters first."""
    t = time.perf_counter()
    ev = evaluate(prep, greedy_flows(prep))
    return BaselineResult(
        name="greedy_nearest_hub",
        description="By hand: each week lists are served by their longest waiter, each "
        "filling the nearest site with room first.",
        seconds=round(time.perf_counter() - t, 3),
        metrics=ev.metrics,
        queues=ev.queues,
        plan=ev.plan,
        spend=ev.spend,
    )


def _no_collaboration(
    prep: Prepared, options: SolveOptions
) -> tuple[BaselineResult | None, np.ndarray | None]:
    """Each trust's own optimum without collaboration, and its weekly flows (None if unsolved)."""
    t = time.perf_counter()
    optimum = optimise(prep, own_site_arcs(prep), _Deadline(options.time_limit_seconds))
    if optimum.flows is None:
        logger.warning("no-collaboration baseline not solved within the time limit")
        return None, None
    ev = evaluate(prep, optimum.flows)
    baseline = BaselineResult(
        name="no_collaboration",
        description="Each trust treats only its own patients at its own sites, optimised "
        "on the same levels.",
        seconds=round(time.perf_counter() - t, 3),
        metrics=ev.metrics,
        queues=ev.queues,
        plan=ev.plan,
        spend=ev.spend,
    )
    return baseline, optimum.flows


__all__ = ["WAIT_BANDS", "evaluate", "optimise", "solve_rebalance"]
