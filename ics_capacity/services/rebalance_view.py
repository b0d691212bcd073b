"""The rebalancing plan as the page shows it: plain rows, trust names and the pressure chart.

Pure reading of a finished run's result (a `RebalanceResult`, validated back from the job row),
plus the one use case that fetches the newest plan of a scenario with its trusts' names for a
member.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import col, select

from ics_capacity.charts.rebalance import pressure_chart
from ics_capacity.db.models import Organisation
from ics_capacity.domain.roles import Permission
from ics_capacity.services.jobs import JobView, latest_job
from ics_capacity.services.results import PlanMetrics, RebalanceResult
from ics_capacity.services.scenarios import scenario_transaction


def _count(value: float) -> str:
    return f"{round(value):,}"


@dataclass(frozen=True)
class PlanView:
    """Rows and a chart spec for the rebalance page."""

    levels: list[dict[str, str]] = field(default_factory=list)
    compare: list[dict[str, str]] = field(default_factory=list)
    providers: list[dict[str, str]] = field(default_factory=list)
    flows: list[dict[str, str]] = field(default_factory=list)
    limits: list[dict[str, str]] = field(default_factory=list)
    stats: str = ""
    chart: dict[str, Any] = field(default_factory=dict)


def latest_plan(token: str | None, scenario_id: int) -> tuple[JobView | None, PlanView]:
    """The scenario's newest rebalancing run and, if it has a plan, the plan with trust names."""
    job = latest_job(token, scenario_id, "rebalance")
    if job is None or job.rebalance is None:
        return job, PlanView()
    result = job.rebalance
    codes = {q.provider for q in result.queues} | {row.provider for row in result.plan}
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        names = dict(
            use.session.exec(
                select(Organisation.ods_code, Organisation.name).where(
                    col(Organisation.ods_code).in_(sorted(codes))
                )
            ).all()
        )
    return job, describe_plan(result, names)


def describe_plan(result: RebalanceResult, names: dict[str, str]) -> PlanView:
    """Plain rows for the page from a rebalancing result; trusts by name where known."""
    summary = _summarise(result, names)
    return PlanView(**summary, chart=_pressure_chart(result, names))


def _pressure_chart(result: RebalanceResult, names: dict[str, str]) -> dict[str, Any]:
    rows = []
    base = next((b for b in result.baselines if b.name == "no_collaboration"), None)
    for plan, queues in (
        ("Optimised plan", result.queues),
        ("No collaboration", base.queues if base is not None else []),
    ):
        for q in queues:
            rows.append(
                {
                    "list": f"{names.get(q.provider, q.provider)} {q.tfc}",
                    "plan": plan,
                    "pressure": q.pressure_at_end,
                }
            )
    return pressure_chart(pd.DataFrame(rows)).to_dict() if rows else {}


def _summarise(result: RebalanceResult, names: dict[str, str]) -> dict[str, Any]:
    """Plain rows for the page from a rebalancing result."""
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
            compare.append(
                {
                    "plan": name,
                    "worst": f"{m.worst_pressure:.2f}",
                    "worst_list": m.worst_queue,
                    "over52": _count(m.long_waiters_at_end.get(52, 0)),
                    "treated": _count(m.patients_treated),
                    "transfers": _count(m.transfers),
                }
            )
    by_provider: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for q in result.queues:
        row = by_provider[q.provider]
        row[0] += q.waiting_at_start
        row[1] += q.waiting_at_end
        row[2] = max(row[2], q.pressure_at_start)
        row[3] = max(row[3], q.pressure_at_end)
    providers = [
        {
            "provider": names.get(p, p),
            "start": _count(v[0]),
            "end": _count(v[1]),
            "p_start": f"{v[2]:.2f}",
            "p_end": f"{v[3]:.2f}",
        }
        for p, v in sorted(by_provider.items())
    ]
    flows: dict[tuple[str, str], float] = defaultdict(float)
    for plan_row in result.plan:
        if plan_row.transfer:
            flows[(plan_row.provider, plan_row.hub)] += plan_row.patients
    flow_rows = [
        {"provider": names.get(p, p), "hub": h, "patients": _count(n)}
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
    }


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:,.3f}"
