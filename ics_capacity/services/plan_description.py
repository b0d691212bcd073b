"""A rebalancing plan described for the page: rows, sentences, spend, hub use and the chart.

Pure: reads a finished run's result (a `RebalanceResult`) with the names from `PlanNames`;
labels come from the catalogue of measures (`ics_capacity.domain.measures`).
`services/rebalance_view.py` fetches the plan and calls `describe_plan`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ics_capacity.charts.rebalance import pressure_chart
from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.services.plan_moves import (
    MOVES_SHOWN,
    PlanNames,
    first_appointments,
    first_appointments_note,
    moves_sentence,
    who_moves_where,
)
from ics_capacity.services.results import PlanMetrics, RebalanceResult


def _count(value: float) -> str:
    return f"{round(value):,}"


@dataclass(frozen=True)
class PlanView:
    """Rows, sentences and a chart spec for the rebalance page."""

    levels: list[dict[str, str]] = field(default_factory=list)
    compare: list[dict[str, str]] = field(default_factory=list)
    providers: list[dict[str, str]] = field(default_factory=list)
    flows: list[dict[str, str]] = field(default_factory=list)
    limits: list[dict[str, str]] = field(default_factory=list)
    stats: str = ""
    chart: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    pressure_note: str = ""
    moves: list[dict[str, str]] = field(default_factory=list)
    moves_sentence: str = ""
    moves_note: str = ""
    hub_use: list[dict[str, str]] = field(default_factory=list)
    spend: list[dict[str, str]] = field(default_factory=list)
    spend_note: str = ""
    first_appointments: list[dict[str, str]] = field(default_factory=list)
    first_appointments_note: str = ""
    start_total: float = 0.0
    end_total: float = 0.0
    baseline_heading: str = ""
    baseline_message: str = ""
    baseline_rows: list[dict[str, str]] = field(default_factory=list)


def describe_plan(result: RebalanceResult, names: PlanNames | dict[str, str]) -> PlanView:
    """Plain rows for the page from a rebalancing result; trusts and sites by name."""
    if isinstance(names, dict):
        names = PlanNames(trusts=names)
    summary = _summarise(result, names)
    moves = who_moves_where(result, names, moved_only=True, stage="admitted")
    shown = moves.sort_values("patients", ascending=False, kind="stable").head(MOVES_SHOWN)
    weeks = result.settings.horizon_weeks if result.settings else None
    target = result.settings.target_wait_weeks if result.settings else 18.0
    return PlanView(
        **summary,
        chart=_pressure_chart(result, names.trusts),
        scope=_scope(result, names, weeks),
        pressure_note=(
            f"Pressure is 2 × a list's mean wait ÷ the target wait of {target:g} weeks, the mean "
            "wait being the list's size ÷ the patients joining it a week: 1 means its patients "
            "wait about as long as the target allows, 2 twice as long. The optimiser first makes "
            "the worst list's pressure as low as it can."
        ),
        moves=[
            {
                **{str(k): str(v) for k, v in row.items()},
                "month": f"{row['month']:%B %Y}",
                "patients": _count(row["patients"]),
            }
            for row in shown.to_dict("records")
        ],
        moves_note=(
            f"The {len(shown)} largest of {len(moves)} moved cohorts, largest first. The "
            "download holds the whole plan at this grain, patients treated at their own trust's "
            "sites included."
            if len(moves) > len(shown)
            else "The download holds the whole plan at this grain, patients treated at their "
            "own trust's sites included."
        ),
        moves_sentence=moves_sentence(moves),
        hub_use=_hub_use(result, names),
        first_appointments=first_appointments(result, names),
        first_appointments_note=first_appointments_note(result),
        spend=_spend_rows(result, names),
        spend_note=spend_note(result),
    )


def _money(value: float | None) -> str:
    return "–" if value is None else f"£{value:,.0f}"


def _spend_rows(result: RebalanceResult, names: PlanNames) -> list[dict[str, str]]:
    """Cases bought from each independent provider per specialty, with price and spend."""
    return [
        {
            "provider": names.sites.get(line.hub, names.trusts.get(line.hub, line.hub)),
            "specialty": SHORT_NAMES.get(line.tfc, line.tfc),
            "cases": _count(line.cases),
            "price": "no price set" if line.price_per_case is None else _money(line.price_per_case),
            "spend": "unpriced" if line.spend is None else _money(line.spend),
        }
        for line in result.spend
        if line.cases >= 0.5
    ]


def spend_note(result: RebalanceResult) -> str:
    """The plan's spend on the independent sector in a sentence (empty when it buys nothing)."""
    m = result.metrics
    if m is None or m.independent_sector_cases < 0.5:
        return "The plan buys no cases from independent-sector providers."
    weeks = result.settings.horizon_weeks if result.settings else None
    over = f" over {weeks} weeks" if weeks else ""
    text = (
        f"The plan buys {m.independent_sector_cases:,.0f} cases from independent-sector "
        f"providers{over}, costing {_money(m.independent_sector_spend)} at the scenario's prices"
    )
    if m.unpriced_independent_cases >= 0.5:
        text += (
            f"; {m.unpriced_independent_cases:,.0f} of them have no price set, so the spend "
            "leaves them out. Set a price per case on the scenario page"
        )
    return text + "."


def _scope(result: RebalanceResult, names: PlanNames, weeks: int | None) -> str:
    start = sum(q.waiting_at_start for q in result.queues if q.stage == "admitted")
    before = sum(q.waiting_at_start for q in result.queues if q.stage == "non_admitted")
    trusts = len({q.provider for q in result.queues})
    specialties = len({q.tfc for q in result.queues})
    text = (
        f"This plan covers the admitted lists (patients with a decision to admit, RTT Part_2A) "
        f"of {trusts} member trusts in the {specialties} treatment functions with a case mix: "
        f"{start:,.0f} patients at the start"
    )
    members = names.members
    if members.admitted_list:
        text += (
            f", of {members.admitted_list:,} on the member trusts' whole admitted list. The "
            f"Overview's waiting list, {members.waiting_list:,}, counts every incomplete "
            "pathway, most of which end without an operation, so the lists here are smaller"
        )
    if before:
        text += (
            f". With them, the non-admitted lists (RTT Part_2 − Part_2A, waiting without a "
            f"decision to admit): {before:,.0f} patients at the start, seen in outpatient clinics"
        )
    horizon = f"week {weeks}" if weeks else "the end of the plan"
    return (
        text + f". Figures 'at the end' are these lists at {horizon}, not the Dashboard's "
        "all-pathway figures at its horizon."
    )


def _hub_use(result: RebalanceResult, names: PlanNames) -> list[dict[str, str]]:
    """Each site's use of each resource in the plan, as a share of its capped capacity.

    Each week's use is over that week's capacity (the usual capacity x the hub's calendar), so
    the share is capped: the plan never uses more than a week has, and 100% is full to the cap.
    `capacity` is the usual week's. An independent provider's per-treatment-function case
    limits are added up into one row, and so are its clinics' first appointments.
    """
    resources = {
        "theatre_minutes": "Theatre minutes",
        "overnight_bed_days": "Overnight bed-days",
        "day_cases": "Day-case patients (places × patients a place)",
    }
    totals: dict[tuple[str, str], list[Any]] = {}
    for use in result.hub_use:
        resource = "Cases bought" if use.resource.startswith("cases") else use.resource
        if use.resource.startswith("outpatient:"):
            resource = "First outpatient appointments (clinics)"
        key = (use.hub, resources.get(resource, resource.replace("_", " ")))
        weeks = len(use.used_by_week)
        capacity, used, open_by_week = totals.setdefault(key, [0.0, [0.0] * weeks, [0.0] * weeks])
        week_capacity = use.capacity_by_week or [use.capacity_per_week] * weeks
        totals[key][0] = capacity + use.capacity_per_week
        totals[key][1] = [a + b for a, b in zip(used, use.used_by_week, strict=False)]
        totals[key][2] = [a + b for a, b in zip(open_by_week, week_capacity, strict=False)]
    rows = []
    for (hub, resource), (capacity, used, open_by_week) in totals.items():
        if capacity < 0.5 or not used:
            continue
        # A closed week (no capacity, so no use) is empty, not full.
        shares = [u / c if c > 1e-9 else 0.0 for u, c in zip(used, open_by_week, strict=False)]
        rows.append(
            {
                "site": names.sites.get(hub, hub),
                "resource": resource,
                "capacity": f"{capacity:,.0f}",
                "mean": f"{sum(shares) / len(shares):.0%}",
                "peak": f"{max(shares):.0%}",
                "full_weeks": f"{sum(1 for x in shares if x >= 0.995)} of {len(shares)}",
            }
        )
    return rows


def _pressure_chart(result: RebalanceResult, names: dict[str, str]) -> dict[str, Any]:
    rows = []
    base = next((b for b in result.baselines if b.name == "no_collaboration"), None)
    for plan, queues in (
        ("Optimised plan", result.queues),
        ("No collaboration", base.queues if base is not None else []),
    ):
        for q in queues:
            before = " (before first appointment)" if q.stage == "non_admitted" else ""
            rows.append(
                {
                    "list": f"{names.get(q.provider, q.provider)}: "
                    f"{SHORT_NAMES.get(q.tfc, q.tfc)}{before}",
                    "plan": plan,
                    "pressure": q.pressure_at_end,
                }
            )
    return pressure_chart(pd.DataFrame(rows)).to_dict() if rows else {}


def _summarise(result: RebalanceResult, names: PlanNames) -> dict[str, Any]:
    """Plain rows for the page from a rebalancing result."""
    trusts = names.trusts
    weeks = float(result.settings.horizon_weeks) if result.settings else 1.0
    levels = [
        {
            "level": str(lv.level),
            "name": lv.description or lv.name,
            "objective": _num(lv.objective),
            "bound": _num(lv.bound),
            "gap": "–" if lv.gap is None else f"{lv.gap:.2%}",
            "status": str(lv.status),
        }
        for lv in result.levels
    ]
    compare = []
    plans: list[tuple[str, PlanMetrics | None]] = [("Optimised plan", result.metrics)] + [
        (b.name.replace("_", " ").capitalize(), b.metrics) for b in result.baselines
    ]
    for name, m in plans:
        if m is not None:
            provider, _, tfc = m.worst_queue.partition(" ")
            tfc, _, stage = tfc.partition(" ")
            stage = " (before first appointment)" if stage else ""
            compare.append(
                {
                    "plan": name,
                    "worst": f"{m.worst_pressure:.2f}",
                    "worst_list": f"{trusts.get(provider, provider)}: "
                    f"{SHORT_NAMES.get(tfc, tfc)}{stage}"
                    if tfc
                    else m.worst_queue,
                    "over52": _count(m.long_waiters_at_end.get(52, 0)),
                    # Admitted patients, as the measures say; first appointments apart.
                    "treated": _count(m.patients_treated - m.non_admitted_seen),
                    "transfers": _count(m.transfers - m.non_admitted_transfers),
                }
            )
    alone = next((b for b in result.baselines if b.name == "no_collaboration"), None)
    own: dict[str, float] = defaultdict(float)
    # Treatment only: first outpatient appointments have their own table (plan_moves.py).
    for q in alone.queues if alone is not None else []:
        own[q.provider] += q.treated if q.stage == "admitted" else 0.0
    by_provider: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)
    for q in (q for q in result.queues if q.stage == "admitted"):
        row = by_provider[q.provider]
        row[0] += q.waiting_at_start
        row[1] += q.waiting_at_end
        row[2] = max(row[2], q.pressure_at_start)
        row[3] = max(row[3], q.pressure_at_end)
        row[4] += q.weekly_demand
        row[5] += q.treated
    providers = []
    for p, v in sorted(by_provider.items(), key=lambda kv: trusts.get(kv[0], kv[0])):
        demand, treated = v[4], v[5] / weeks
        alone_week = own[p] / weeks if alone is not None else None
        change = v[1] - v[0]
        if change > 0.5:
            why = (
                f"Grows by {change:,.0f}: {demand:,.0f} join a week and the plan treats "
                f"{treated:,.0f} a week"
            )
            if alone_week is not None:
                why += f" (its own sites alone would treat {alone_week:,.0f})"
        elif change < -0.5:
            why = (
                f"Shrinks by {-change:,.0f}: the plan treats {treated:,.0f} a week, more than the "
                f"{demand:,.0f} who join"
            )
        else:
            why = "Holds steady: treatment a week matches demand"
        providers.append(
            {
                "provider": trusts.get(p, p),
                "start": _count(v[0]),
                "end": _count(v[1]),
                "p_start": f"{v[2]:.2f}",
                "p_end": f"{v[3]:.2f}",
                "demand": _count(demand),
                "own": "–" if alone_week is None else _count(alone_week),
                "treated": _count(treated),
                "why": why + ".",
            }
        )
    flows: dict[tuple[str, str], float] = defaultdict(float)
    for plan_row in result.plan:
        if plan_row.transfer and plan_row.stage == "admitted":
            flows[(plan_row.provider, plan_row.hub)] += plan_row.patients
    flow_rows = [
        {
            "provider": trusts.get(p, p),
            "hub": names.sites.get(h, h),
            "patients": _count(n),
        }
        for (p, h), n in sorted(flows.items(), key=lambda kv: -kv[1])
        if n >= 0.5
    ]
    limits = [
        {
            "message": b.message,
            "pressure": f"{b.worst_pressure_reduction_per_unit:.4f}",
            "long": f"{b.long_wait_reduction_per_unit:.2f}",
            "unit": b.unit,
        }
        for b in result.binding_limits[:25]
    ]
    stats = result.stats
    return {
        "levels": levels,
        "compare": compare,
        "providers": providers,
        "flows": flow_rows,
        "limits": limits,
        "stats": f"Status {stats.status}; {stats.wall_seconds:.1f} s "
        f"of a {stats.time_limit_seconds} s limit "
        f"on {stats.num_workers} workers; LP solver "
        f"{result.lp_algorithm}.",
        "start_total": sum(q.waiting_at_start for q in result.queues if q.stage == "admitted"),
        "end_total": sum(q.waiting_at_end for q in result.queues if q.stage == "admitted"),
    }


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.3f}"
