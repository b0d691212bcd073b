"""From weekly flows to a plan (cohorts, longest waiters first) and its figures."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.rebalance.inputs import STAGE_ADMITTED, STAGE_NON_ADMITTED
from solvers.rebalance.schema import (
    Arc,
    HubUse,
    PlanMetrics,
    PlanRow,
    Prepared,
    QueueOutcome,
    SpendLine,
)

logger = logging.getLogger(__name__)

REPORTED_THRESHOLDS = (18, 52, 65, 78)

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
                            stage=queue.stage,
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
                stage=queue.stage,
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
    seen = [prep.queues[arc.queue].stage == STAGE_NON_ADMITTED for arc in arcs]
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
            sum(
                m
                for m, arc, clinic in zip(moved, arcs, seen, strict=True)
                if arc.independent and not clinic
            )
        ),
        travel_patient_minutes=float(
            sum(m * arc.travel_minutes for m, arc in zip(moved, arcs, strict=True))
        ),
        long_waiters_at_end=long_at_end,
        independent_sector_spend=float(sum(line.spend or 0.0 for line in spend)),
        unpriced_independent_cases=float(
            sum(line.cases for line in spend if line.price_per_case is None)
        ),
        non_admitted_seen=float(sum(m for m, clinic in zip(moved, seen, strict=True) if clinic)),
        non_admitted_transfers=float(
            sum(
                m
                for m, arc, clinic in zip(moved, arcs, seen, strict=True)
                if clinic and not arc.own_site
            )
        ),
    )
    return Evaluation(rows, queues, metrics, hub_use, used, treated, spend)


def _spend_lines(prep: Prepared, moved: np.ndarray, arcs: Sequence[Arc]) -> list[SpendLine]:
    """Cases bought from each independent provider per treatment function, priced where known."""
    cases: dict[tuple[int, str], float] = {}
    for m, arc in zip(moved, arcs, strict=True):
        if arc.independent and m > 1e-9 and prep.queues[arc.queue].stage == STAGE_ADMITTED:
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
