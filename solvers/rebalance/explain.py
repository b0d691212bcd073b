"""What binds: full resources with shadow prices, lists above target, and the guard's rows.

Also each trust's measures beside its no-collaboration ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from solvers.rebalance.evaluate import Evaluation
from solvers.rebalance.inputs import RESOURCE_OUTPATIENT, STAGE_ADMITTED
from solvers.rebalance.levels import Optimum
from solvers.rebalance.lp import (
    MEASURE_OVERDUE,
    MEASURE_WORST,
    WORSE_TOLERANCE,
    measure_long_waiters,
)
from solvers.rebalance.schema import (
    GUARDED_THRESHOLDS,
    BindingLimit,
    Prepared,
    QueueOutcome,
    TrustMeasures,
    TrustOutcome,
)

logger = logging.getLogger(__name__)

# --- What binds ------------------------------------------------------------------------------


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def _resource_words(name: str) -> str:
    """'theatre_minutes' -> 'theatre minutes'; 'cases:C_110' -> 'C_110 cases'.

    'outpatient:C_110' -> 'C_110 first outpatient appointments (non-admitted)'.
    """
    if name.startswith(f"{RESOURCE_OUTPATIENT}:"):
        return f"{name.split(':', 1)[1]} first outpatient appointments (non-admitted)"
    if ":" in name:
        return f"{name.split(':', 1)[1]} cases"
    return {"overnight_bed_days": "overnight bed-days", "day_cases": "day-case places"}.get(
        name, name.replace("_", " ")
    )


def _site_words(outcome: QueueOutcome) -> str:
    """What a list needs from a site, in words: a clinic before a decision, else treatment."""
    return "site treats" if outcome.stage == STAGE_ADMITTED else "clinic sees"


def _number(value: float) -> str:
    """12,345 for large figures, three significant digits for small ones."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _clean(value: float) -> float:
    """A shadow price with solver noise (|value| < 1e-9) shown as 0."""
    return 0.0 if abs(value) < 1e-9 else value


def binding_limits(prep: Prepared, ev: Evaluation, optimum: Optimum) -> list[BindingLimit]:
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
                        f"{label}: no {_site_words(outcome)} {outcome.tfc} within "
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
        return mine > theirs + WORSE_TOLERANCE * max(1.0, abs(theirs))

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


def guard_limits(
    prep: Prepared, guard: dict[str, TrustMeasures], optimum: Optimum
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
