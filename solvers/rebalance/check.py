"""An independent checker of rebalancing plans, written from the issue and docs/rebalance.md.

It imports only the schema, re-derives every figure from the instance and the plan rows, and
returns the rules a plan breaks: a capacity exceeded, patients invented or lost, a cohort treated
before an older one of the same list, a hub out of reach or not treating the function, and any
reported figure (pressure, long-wait score, travel score) that does not match its recomputation.

Counting rules (docs/rebalance.md): weeks are 1-based; at the end of week e a patient who was in
wait band b at the start is in band b + e and one who joined during week s is in band e - s. So a
cohort is identified by key = band - week: b for the backlog, -s for those joining in week s, and
its band at the end of week e is key + e. A list is served longest waiters first (largest key
first). Long waiters are counted at the end of each period and weighted by its number of weeks.

Real weeks: a hub's capacity in week w is its usual capacity times `capacity_factor_by_week[w]`,
and each list's arrivals in week w are its usual `weekly_demand` times `demand_factor_by_week[w]`;
every week's capacity is checked on its own.

No trust made worse (the guard, `settings.no_trust_worse`): each trust's worst pressure, its P2
patient-weeks overdue and its patients waiting 52, 65 and 78 weeks or more at the end of the
horizon, recomputed here from the plan rows, are no worse than the same figures recomputed from
the no-collaboration plan.

Two stages (docs/rebalance.md, "Before the first appointment"): a list is admitted (treated in
theatres, beds and day-case places) or non-admitted (seen in a hub's outpatient clinic, which
nothing else uses); each is its own first-come-first-served list with its own arrivals, and
every week's clinic appointments are checked against the hub's `outpatient_per_week`.

Spend on the independent sector: the cases bought from each independent-sector provider per
treatment function, recomputed from the plan rows, times the hub's `price_per_case`, must match
every reported spend line and the plan's total; cases with no price must be reported unpriced.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from solvers.rebalance.check_rules import (
    ABS_TOL,
    TRUST_THRESHOLDS,
    WORSE_TOL,
    Violation,
)
from solvers.rebalance.check_rules import band_at_end as _band_at_end
from solvers.rebalance.check_rules import close as _close
from solvers.rebalance.check_rules import over as _over
from solvers.rebalance.check_spend import check_spend as _check_spend
from solvers.rebalance.check_spend import independent_spend
from solvers.rebalance.schema import (
    STAGE_NON_ADMITTED,
    HubKind,
    PlanMetrics,
    PlanRow,
    QueueOutcome,
    RebalanceInput,
    RebalanceResult,
    SpendLine,
)


@dataclass
class _Figures:
    """What the checker recomputed from a plan, per list ("provider tfc" key) and in total."""

    worst_pressure: float = 0.0
    priority_overdue: float = 0.0
    pressure: dict[tuple[str, str, str], float] = field(default_factory=dict)
    overdue: dict[tuple[str, str, str], float] = field(default_factory=dict)
    long_at_end: dict[tuple[str, str, str], dict[int, float]] = field(default_factory=dict)


def _label(key: tuple[str, str, str]) -> str:
    """'RL4 C_110', or 'RL4 C_110 non-admitted' for a non-admitted list."""
    return f"{key[0]} {key[1]}" + (" non-admitted" if key[2] == STAGE_NON_ADMITTED else "")


@dataclass(frozen=True)
class TrustFigures:
    """One trust's own measures, recomputed from a plan."""

    worst_pressure: float
    long_waiters_at_end: dict[int, float]
    priority_overdue: float


def check_plan(
    data: RebalanceInput,
    plan: list[PlanRow],
    metrics: PlanMetrics | None = None,
    queues: list[QueueOutcome] | None = None,
    *,
    label: str = "plan",
    spend: list[SpendLine] | None = None,
) -> list[Violation]:
    """Every rule `plan` breaks on `data`; with `metrics`/`queues`, also every misreported figure.

    With `spend`, also every spend line that does not match the plan's cases and the prices.

    Returns:
        The violations, empty when the plan is sound.
    """
    found = _check_and_measure(data, plan, metrics, queues, label=label)[0]
    return found + _check_spend(data, plan, metrics, spend, label=label)


def trust_figures(data: RebalanceInput, plan: list[PlanRow]) -> dict[str, TrustFigures]:
    """Each trust's worst pressure, long waiters at the end (52/65/78) and P2 overdue."""
    figures = _check_and_measure(data, plan, None, None, label="plan")[1]
    by_trust: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key in figures.pressure:
        by_trust[key[0]].append(key)
    return {
        trust: TrustFigures(
            worst_pressure=max(figures.pressure[k] for k in keys),
            long_waiters_at_end={
                w: sum(figures.long_at_end[k].get(w, 0.0) for k in keys) for w in TRUST_THRESHOLDS
            },
            priority_overdue=sum(figures.overdue.get(k, 0.0) for k in keys),
        )
        for trust, keys in sorted(by_trust.items())
    }


def _check_and_measure(
    data: RebalanceInput,
    plan: list[PlanRow],
    metrics: PlanMetrics | None,
    queues: list[QueueOutcome] | None,
    *,
    label: str,
) -> tuple[list[Violation], _Figures]:
    s = data.settings
    weeks = s.horizon_weeks
    hubs = {h.id: h for h in data.hubs}
    cases = {c.tfc: c for c in data.case_mix}
    queue_of = {(q.provider, q.tfc, q.stage): q for q in data.queues}
    found: list[Violation] = []

    def bad(rule: str, where: str, detail: str) -> None:
        found.append(Violation(rule, f"{label}: {where}", detail))

    # 1. Each row is a real, reachable, allowed move.
    use: dict[tuple[str, str, int], float] = defaultdict(float)
    treated: dict[tuple[str, str, str, bool], dict[int, dict[int, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )  # stream -> start band -> week -> patients
    for i, row in enumerate(plan):
        where = f"row {i} ({row.provider} {row.tfc} -> {row.hub}, week {row.week})"
        hub = hubs.get(row.hub)
        queue = queue_of.get((row.provider, row.tfc, row.stage))
        if hub is None or queue is None or row.tfc not in cases:
            bad("unknown_reference", where, "provider, list or hub is not in the instance")
            continue
        if not 1 <= row.week <= weeks:
            bad("week_outside_horizon", where, f"week must be 1..{weeks}")
            continue
        if row.patients < -ABS_TOL:
            bad("negative_patients", where, f"{row.patients}")
        clinic = row.stage == STAGE_NON_ADMITTED
        if clinic and hub.outpatient_per_week.get(row.tfc, 0.0) <= 0:
            bad("hub_has_no_clinic", where, f"{row.hub} has no {row.tfc} outpatient clinic")
        if not clinic and row.tfc not in hub.treatment_functions:
            bad("hub_does_not_treat", where, f"{row.hub} does not treat {row.tfc}")
        own = hub.operator == row.provider
        minutes = data.travel_minutes.get(row.provider, {}).get(row.hub)
        if not own and (minutes is None or minutes > s.max_travel_minutes + 1e-9):
            bad(
                "travel_limit",
                where,
                f"{minutes} minutes is over the {s.max_travel_minutes:g}-minute limit",
            )
        if row.transfer == own:
            bad("transfer_flag", where, f"transfer={row.transfer} but operator={hub.operator}")
        c = cases[row.tfc]
        if clinic:  # a first outpatient appointment uses the clinic, nothing else
            use[(row.hub, f"outpatient:{row.tfc}", row.week)] += row.patients
        else:
            use[(row.hub, "theatre", row.week)] += row.patients * c.minutes_per_case
            use[(row.hub, "beds", row.week)] += (
                row.patients * (1 - c.day_case_rate) * c.length_of_stay_days
            )
            use[(row.hub, "day_cases", row.week)] += row.patients * c.day_case_rate
            use[(row.hub, f"cases:{row.tfc}", row.week)] += row.patients
        key = row.wait_band_weeks - row.week
        treated[(row.provider, row.tfc, row.stage, row.priority)][key][row.week] += row.patients

    # 2. No hub does more in any week than its theatres, beds, places or caps open that week.
    for h in data.hubs:
        limits = {}
        if h.theatre is not None:
            t = h.theatre
            limits["theatre"] = (
                t.theatres * t.sessions_per_theatre_per_week * t.session_minutes * t.utilisation_cap
            )
        if h.beds is not None:
            limits["beds"] = h.beds.overnight_beds * 7 * h.beds.occupancy_cap
        if h.day_case is not None:
            limits["day_cases"] = h.day_case.places * h.day_case.patients_per_place_per_week
        for t, cap in h.cases_per_week.items():
            limits[f"cases:{t}"] = cap
        for t, cap in h.outpatient_per_week.items():
            limits[f"outpatient:{t}"] = cap
        for resource, usual in limits.items():
            for w in range(1, weeks + 1):
                # Real weeks: the hub's calendar opens this share of its usual capacity.
                factor = h.capacity_factor_by_week[w - 1] if h.capacity_factor_by_week else 1.0
                limit = usual * factor
                used = use.get((h.id, resource, w), 0.0)
                if _over(limit, used, max(1.0, usual)):
                    bad(
                        "capacity_exceeded",
                        f"{h.id} {resource} week {w}",
                        f"uses {used:.6f}, has {limit:.6f}",
                    )

    # 3. Patients are conserved and each list is served longest waiters first.
    end_waiting: dict[tuple[str, str, str], float] = {}
    treated_total: dict[tuple[str, str, str], float] = {}
    long_wait = 0.0
    overdue = 0.0
    long_at_end: dict[int, float] = defaultdict(float)
    figures = _Figures()
    periods = [  # 1-based first and last week of each period
        (first, min(first + s.period_weeks - 1, weeks))
        for first in range(1, weeks + 1, s.period_weeks)
    ]
    thresholds = [(w.over_weeks, w.weight) for w in s.long_wait_weights if w.weight > 0]
    demand_factor = list(data.demand_factor_by_week) or [1.0] * weeks
    for q in data.queues:
        key = (q.provider, q.tfc, q.stage)
        end_waiting[key] = 0.0
        treated_total[key] = 0.0
        for priority in (False, True):
            share = s.priority_share if priority else 1 - s.priority_share
            if priority and share == 0:
                continue
            # Cohorts by key: b >= 0 in the backlog, -s for those joining in week s.
            size: dict[int, float] = {}
            if not priority:
                for b, n in enumerate(q.waiting_list):
                    size[b] = float(n)
            for week in range(1, weeks + 1):
                size[-week] = q.weekly_demand * share * demand_factor[week - 1]
            done = treated.get((q.provider, q.tfc, q.stage, priority), {})
            where = f"{_label(key)}{' P2' if priority else ''}"
            for band in done:
                if band not in size:
                    bad("unknown_cohort", where, f"cohort key {band} is not a cohort of the list")
            order = sorted(size, reverse=True)  # oldest first
            cumulative = {b: 0.0 for b in order}
            for week in range(1, weeks + 1):
                touched = None
                for b in order:
                    n = done.get(b, {}).get(week, 0.0)
                    if n > ABS_TOL:
                        touched = b
                        if b < 0 and -b > week:
                            bad("treated_before_joining", where, f"week {week}, cohort {b}")
                    cumulative[b] += n
                for b in order:
                    if _over(size[b], cumulative[b], max(1.0, size[b])):
                        bad(
                            "patients_not_conserved",
                            where,
                            f"cohort {b}: {cumulative[b]:.6f} treated of {size[b]:.6f}",
                        )
                        cumulative[b] = size[b]
                if touched is not None:
                    for b in order:
                        if b <= touched:
                            break
                        if size[b] - cumulative[b] > 1e-5 * max(1.0, size[b]):
                            bad(
                                "cohort_order",
                                where,
                                f"week {week}: band {touched + week} treated while "
                                f"{size[b] - cumulative[b]:.4f} from older band "
                                f"{b + week} still wait",
                            )
                            break
                for first, last in periods:
                    if week != last:
                        continue
                    joined = {b: n for b, n in size.items() if b >= 0 or -b <= week}
                    left = {b: max(0.0, joined[b] - cumulative[b]) for b in joined}
                    for over_weeks, weight in thresholds:
                        over = sum(
                            n for b, n in left.items() if _band_at_end(b, week) >= over_weeks
                        )
                        long_wait += (last - first + 1) * weight * over
                    if priority:
                        over = sum(
                            n
                            for b, n in left.items()
                            if _band_at_end(b, week) >= s.priority_max_wait_weeks - 1
                        )
                        overdue += (last - first + 1) * over
                        figures.overdue[key] = figures.overdue.get(key, 0.0) + (
                            (last - first + 1) * over
                        )
            joined_total = sum(size.values())
            done_total = sum(cumulative.values())
            end_waiting[key] += joined_total - done_total
            treated_total[key] += done_total
            left = {b: max(0.0, size[b] - cumulative[b]) for b in size}
            for over_weeks in (18, 52, 65, 78):
                n_over = sum(n for b, n in left.items() if _band_at_end(b, weeks) >= over_weeks)
                long_at_end[over_weeks] += n_over
                mine = figures.long_at_end.setdefault(key, {})
                mine[over_weeks] = mine.get(over_weeks, 0.0) + n_over

    # 4. Reported figures match their recomputation.
    def pressure(q_key: tuple[str, str, str]) -> float:
        q = queue_of[q_key]
        demand = max(q.weekly_demand, s.demand_floor_per_week)
        return 2 * (end_waiting[q_key] / demand) / s.target_wait_weeks

    active = [k for k, q in queue_of.items() if q.waiting > 0 or q.weekly_demand > 0]
    worst = max((pressure(k) for k in active), default=0.0)
    figures.worst_pressure = worst
    figures.priority_overdue = overdue
    figures.pressure = {k: pressure(k) for k in active}
    travel = 0.0
    seen = sum(r.patients for r in plan if r.stage == STAGE_NON_ADMITTED)
    seen_elsewhere = sum(r.patients for r in plan if r.stage == STAGE_NON_ADMITTED and r.transfer)
    for row in plan:
        hub = hubs.get(row.hub)
        if hub is None:
            continue
        own = hub.operator == row.provider
        minutes = data.travel_minutes.get(row.provider, {}).get(row.hub, 0.0)
        travel += row.patients * (
            s.travel_weight_per_minute * minutes
            + (0.0 if own else s.transfer_weight)
            + (s.independent_sector_weight if hub.kind == HubKind.INDEPENDENT_SECTOR else 0.0)
        )
    if metrics is not None:
        for name, mine, theirs in (
            ("worst_pressure", worst, metrics.worst_pressure),
            ("long_wait_score", long_wait, metrics.long_wait_score),
            ("travel_score", travel, metrics.travel_score),
            ("priority_overdue", overdue, metrics.priority_overdue),
            ("patients_treated", sum(treated_total.values()), metrics.patients_treated),
            ("waiting_at_end", sum(end_waiting.values()), metrics.waiting_at_end),
            ("non_admitted_seen", seen, metrics.non_admitted_seen),
            ("non_admitted_transfers", seen_elsewhere, metrics.non_admitted_transfers),
        ):
            if not _close(mine, theirs, rel=1e-5, abs_=1e-4):
                bad("misreported_" + name, "metrics", f"reported {theirs}, recomputed {mine}")
        for over_weeks, n in long_at_end.items():
            theirs = metrics.long_waiters_at_end.get(over_weeks)
            if theirs is not None and not _close(n, theirs, rel=1e-5, abs_=1e-4):
                bad("misreported_long_waiters", f"over {over_weeks}", f"{theirs} vs {n}")
    if queues is not None:
        reported = {(o.provider, o.tfc, o.stage): o for o in queues}
        for key in active:
            o = reported.get(key)
            if o is None:
                bad("missing_queue_outcome", _label(key), "list has no outcome")
                continue
            q = queue_of[key]
            arrivals = q.weekly_demand * sum(demand_factor[:weeks])
            expected_end = q.waiting + arrivals - treated_total[key]
            if not _close(o.waiting_at_end, expected_end, rel=1e-5, abs_=1e-4):
                bad(
                    "patients_not_conserved",
                    _label(key),
                    f"waiting at end reported {o.waiting_at_end}, start + joined - treated = "
                    f"{expected_end}",
                )
            if not _close(o.pressure_at_end, pressure(key), rel=1e-5, abs_=1e-6):
                bad("misreported_pressure", _label(key), f"{o.pressure_at_end}")
    return found, figures


def _worse(mine: float, theirs: float) -> bool:
    return mine > theirs + WORSE_TOL * max(1.0, abs(theirs)) + ABS_TOL


def _trusts_made_worse(
    plan: dict[str, TrustFigures], alone: dict[str, TrustFigures]
) -> list[tuple[str, str, float, float]]:
    """(trust, measure, in the plan, without collaboration) for every measure made worse."""
    worse = []
    for trust, mine in plan.items():
        theirs = alone.get(trust)
        if theirs is None:
            continue
        pairs = [("worst pressure", mine.worst_pressure, theirs.worst_pressure)]
        pairs += [
            (
                f"{w}+ week waiters at the end",
                mine.long_waiters_at_end[w],
                theirs.long_waiters_at_end[w],
            )
            for w in TRUST_THRESHOLDS
        ]
        pairs.append(("P2 patient-weeks overdue", mine.priority_overdue, theirs.priority_overdue))
        worse += [(trust, m, a, b) for m, a, b in pairs if _worse(a, b)]
    return worse


def _check_trust_outcomes(
    result: RebalanceResult, plan: dict[str, TrustFigures], alone: dict[str, TrustFigures]
) -> list[Violation]:
    """The reported per-trust figures match their recomputation, plan and no collaboration."""
    found = []
    reported = {t.provider: t for t in result.trusts}
    for trust in plan:
        if trust not in reported:
            found.append(Violation("missing_trust_outcome", trust, "trust has no outcome"))
    for trust, outcome in reported.items():
        for which, mine, theirs in (
            ("plan", outcome.plan, plan.get(trust)),
            ("no_collaboration", outcome.no_collaboration, alone.get(trust)),
        ):
            if theirs is None:
                found.append(Violation("unknown_trust", trust, f"{which}: not a trust with lists"))
                continue
            pairs = [("worst_pressure", mine.worst_pressure, theirs.worst_pressure)]
            pairs += [
                (f"long_waiters_at_end[{w}]", mine.long_waiters_at_end.get(w, math.nan), n)
                for w, n in theirs.long_waiters_at_end.items()
            ]
            pairs.append(("priority_overdue", mine.priority_overdue, theirs.priority_overdue))
            for name, reported_value, recomputed in pairs:
                if not _close(reported_value, recomputed, rel=1e-5, abs_=1e-4):
                    found.append(
                        Violation(
                            "misreported_trust_" + name,
                            f"{trust} {which}",
                            f"reported {reported_value}, recomputed {recomputed}",
                        )
                    )
    return found


def _lexicographically_worse(metrics: PlanMetrics, baseline: PlanMetrics) -> str | None:
    """Why `metrics` is lexicographically worse than `baseline` (P2 overdue, then worst)."""
    if _worse(metrics.priority_overdue, baseline.priority_overdue):
        return f"P2 overdue {metrics.priority_overdue} > {baseline.priority_overdue}"
    p2_better = metrics.priority_overdue < baseline.priority_overdue - WORSE_TOL * max(
        1.0, baseline.priority_overdue
    )
    if not p2_better and _worse(metrics.worst_pressure, baseline.worst_pressure):
        return (
            f"worst pressure {metrics.worst_pressure} > {baseline.worst_pressure} "
            f"with no fewer P2 patient-weeks overdue"
        )
    return None


def check_result(data: RebalanceInput, result: RebalanceResult) -> list[Violation]:
    """Checks the optimum and every baseline, and that the optimum is never worse than them.

    Never worse means: lexicographically (P2 patient-weeks overdue first, then worst pressure)
    against every baseline the optimum could have chosen. With the no-trust-worse guard on and
    applied, every trust's own measures are no worse than without collaboration, and the
    optimum is compared only with baselines that meet the guard too.
    """
    found: list[Violation] = []
    guarded = data.settings.no_trust_worse and result.guard is not None and result.guard.applied
    if result.status.has_solution:
        if result.metrics is None:
            found.append(Violation("missing_metrics", "result", "a plan needs its metrics"))
        found += check_plan(
            data, result.plan, result.metrics, result.queues, label="optimum", spend=result.spend
        )
        if result.objective is not None and result.bound is not None:
            if result.bound > result.objective + 1e-6 * max(1.0, abs(result.objective)):
                found.append(
                    Violation(
                        "bound_above_objective", "result", f"{result.bound} > {result.objective}"
                    )
                )
    alone_plan = next((b for b in result.baselines if b.name == "no_collaboration"), None)
    plan_trusts = trust_figures(data, result.plan) if result.status.has_solution else {}
    alone_trusts = trust_figures(data, alone_plan.plan) if alone_plan is not None else {}
    if guarded and result.status.has_solution:
        if alone_plan is None:
            found.append(
                Violation(
                    "guard_unverifiable",
                    "no_collaboration",
                    "the guard is reported applied but the no-collaboration plan is missing",
                )
            )
        for trust, measure, mine, theirs in _trusts_made_worse(plan_trusts, alone_trusts):
            found.append(
                Violation(
                    "trust_made_worse",
                    trust,
                    f"{measure}: {mine} with collaboration, {theirs} without",
                )
            )
    if result.trusts and alone_plan is not None:
        found += _check_trust_outcomes(result, plan_trusts, alone_trusts)
    for baseline in result.baselines:
        found += check_plan(
            data,
            baseline.plan,
            baseline.metrics,
            baseline.queues,
            label=baseline.name,
            spend=baseline.spend,
        )
        if result.metrics is None:
            continue
        if guarded and baseline is not alone_plan:
            # The guarded optimum need only beat plans that meet the guard too.
            if _trusts_made_worse(trust_figures(data, baseline.plan), alone_trusts):
                continue
        why = _lexicographically_worse(result.metrics, baseline.metrics)
        if guarded and baseline is alone_plan and why is None:
            if _worse(result.metrics.worst_pressure, baseline.metrics.worst_pressure):
                why = (
                    f"worst pressure {result.metrics.worst_pressure} > "
                    f"{baseline.metrics.worst_pressure}"
                )
        if why is not None:
            found.append(Violation("worse_than_baseline", baseline.name, why))
    return found


__all__ = [
    "TrustFigures",
    "Violation",
    "check_plan",
    "check_result",
    "independent_spend",
    "trust_figures",
]
