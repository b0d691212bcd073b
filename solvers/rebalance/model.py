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
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from solvers.common import SolveOptions, SolveStats, Status, relative_gap
from solvers.rebalance.baselines import greedy_flows, own_site_arcs
from solvers.rebalance.evaluate import Evaluation, evaluate
from solvers.rebalance.explain import binding_limits, guard_limits, trust_measures, trust_outcomes
from solvers.rebalance.levels import Optimum, optimise
from solvers.rebalance.lp import Deadline
from solvers.rebalance.schema import (
    WAIT_BANDS,
    BaselineResult,
    GuardReport,
    LevelResult,
    Prepared,
    RebalanceInput,
    RebalanceResult,
    TrustMeasures,
    instance_problems,
    prepare,
)

logger = logging.getLogger(__name__)

LEVEL_NAMES = {
    0: ("priority_overdue", "Clinical-priority (P2) patient-weeks waited beyond the P2 limit."),
    1: ("worst_pressure", "Worst pressure across provider x treatment function at the end."),
    2: ("long_wait_score", "Weighted patient-weeks waited over the long-wait thresholds."),
    3: ("travel_score", "Travel minutes plus weights for transfers and cases bought."),
}

OPTIMAL_GAP = 1e-5
"""Relative gap between a level's plan and its LP bound within which the plan is optimal."""


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
    prep: Prepared, optimum: Optimum, ev: Evaluation | None, arc_ids: Sequence[int] | None
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


def _guard_report(
    prep: Prepared,
    options: SolveOptions,
    guard: dict[str, TrustMeasures] | None,
    optimum: Optimum,
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
    free = optimise(prep, None, Deadline(options.time_limit_seconds), last_level=2)
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
    deadline = Deadline(options.time_limit_seconds)
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
        limits += guard_limits(prep, guard, optimum)
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
    optimum = optimise(prep, own_site_arcs(prep), Deadline(options.time_limit_seconds))
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
