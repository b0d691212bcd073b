"""The period linear programme of the rebalancing model: variables, constraint families, solving."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
from ortools.linear_solver import pywraplp

from solvers.rebalance.evaluate import realise_weekly
from solvers.rebalance.schema import (
    GUARDED_THRESHOLDS,
    Prepared,
    TrustMeasures,
)

logger = logging.getLogger(__name__)

_TOL = 1e-7
# Presolve is off: it is cheap to skip on these sparse models, and keeping the same LP between
# levels lets GLOP start each level from the previous level's optimal basis.
_GLOP_PARAMETERS = "use_preprocessing: false"
GUARD_TOLERANCE = 1e-6
"""Slack of each no-trust-worse row, relative to max(1, |the trust's no-collaboration value|).

The no-collaboration plan meets every row exactly, so the slack only absorbs floating-point
noise: GLOP's feasibility tolerance and flows clipped at zero when the baseline was read back.
"""
_DUAL_NOISE = 1e-9
WORSE_TOLERANCE = 1e-5
"""A trust is reported worse on a measure only beyond this relative noise (as check.py allows)."""
MEASURE_WORST = "worst pressure"
MEASURE_OVERDUE = "P2 patient-weeks overdue"


def measure_long_waiters(over_weeks: int) -> str:
    """'52+ week waiters at the end'."""
    return f"{over_weeks}+ week waiters at the end"


class Deadline:
    """Wall-clock budget shared by the solves of one optimisation."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        """Seconds left (negative once spent)."""
        return self.end - time.perf_counter()


# --- The linear programme --------------------------------------------------------------------


class PeriodLp:
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

    def minimise(self, terms: list[tuple[pywraplp.Variable, float]], deadline: Deadline) -> bool:
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
