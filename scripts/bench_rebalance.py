"""Benchmark the rebalancing optimiser; prints a markdown table for docs/benchmarks.md.

    .venv/bin/python scripts/bench_rebalance.py [--time-limit 60] [--workers 2] [--check]

Instances: the Black Country demo (docs/examples/rebalance_instance.json, exported from the demo
database by `ics-capacity rebalance SCENARIO --export-instance`) with 4-week and weekly periods,
and a generated England-scale instance (130 providers, 400 hubs of which 40 independent, 20
treatment functions, 52 weeks, seed 7) with one, two and four periods; and the same instance with
realistic calendars (`england_with_calendars`: weeks from Monday 5 April 2027, England's bank
holidays, the seasonal month indices estimated from the flow history, one elective hub in ten
opening in week 9 and ramping up over 6 weeks, one in ten losing a quarter of its theatres in
weeks 10-14 for refurbishment, one in twenty closed weeks 1-2, demand growing 3% a year).
`--only england-non-admitted` solves the England-scale instance with the non-admitted stage
(a non-admitted list per admitted one and outpatient clinics); it is not in the default run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ics_capacity.domain.weekly_calendar import (  # noqa: E402
    CalendarChange,
    ChangeKind,
    ChangeTarget,
    weekly_profiles,
)
from ics_capacity.importers.flows import read_flows  # noqa: E402
from ics_capacity.projections.seasonality import estimate_seasonality  # noqa: E402
from ics_capacity.settings import nhs_data_dir  # noqa: E402
from solvers.common import SolveOptions  # noqa: E402
from solvers.rebalance import check_result, solve_rebalance, synthetic_instance  # noqa: E402
from solvers.rebalance.schema import HubKind, RebalanceInput, RebalanceSettings  # noqa: E402

DEMO = REPO / "docs" / "examples" / "rebalance_instance.json"


def england(period_weeks: int, *, non_admitted: bool = False) -> RebalanceInput:
    """The generated England-scale instance (deterministic); optionally with clinics too."""
    return synthetic_instance(
        7,
        providers=130,
        hubs=400,
        treatment_functions=20,
        weeks=52,
        independent=40,
        region_km=360.0,
        hub_tfc_share=0.4,
        settings=RebalanceSettings(
            horizon_weeks=52, period_weeks=period_weeks, max_travel_minutes=60.0
        ),
        non_admitted=non_admitted,
    )


CALENDAR_START = dt.date(2027, 4, 5)


def england_with_calendars(period_weeks: int) -> RebalanceInput:
    """The England-scale instance with real weeks: bank holidays, seasons, openings, closures."""
    data = england(period_weeks)
    weeks = data.settings.horizon_weeks
    hubs = [h.id for h in data.hubs if h.kind == HubKind.ELECTIVE_HUB]
    changes = [CalendarChange(1, weeks, ChangeTarget.DEMAND, ChangeKind.GROWTH, 3.0)]
    changes += [
        CalendarChange(9, 9, ChangeTarget.CAPACITY, ChangeKind.OPENS, 6, site=h) for h in hubs[::10]
    ]
    changes += [
        CalendarChange(10, 14, ChangeTarget.CAPACITY, ChangeKind.PERCENT, -25, site=h)
        for h in hubs[5::10]
    ]
    changes += [
        CalendarChange(1, 2, ChangeTarget.CAPACITY, ChangeKind.CLOSED, site=h) for h in hubs[3::20]
    ]
    days = {h.id: 6 if h.kind == HubKind.ELECTIVE_HUB else 5 for h in data.hubs}
    flows = read_flows(nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv")
    profiles = weekly_profiles(CALENDAR_START, weeks, days, changes, estimate_seasonality(flows))
    return data.model_copy(
        update={
            "hubs": [
                h.model_copy(update={"capacity_factor_by_week": profiles.capacity[h.id]})
                for h in data.hubs
            ],
            "demand_factor_by_week": profiles.demand,
        }
    )


def demo(period_weeks: int) -> RebalanceInput:
    """The Black Country demo instance with the given period length."""
    data = RebalanceInput.model_validate(json.loads(DEMO.read_text(encoding="utf-8")))
    settings = data.settings.model_copy(update={"period_weeks": period_weeks})
    return data.model_copy(update={"settings": settings})


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _worst(baselines: dict, name: str) -> str:
    return f"{baselines[name].metrics.worst_pressure:.3f}" if name in baselines else "-"


def main() -> None:
    """Solves each instance and prints one table row per solve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only",
        choices=["demo", "england", "england-calendars", "england-non-admitted"],
        default=None,
    )
    parser.add_argument("--check", action="store_true", help="Run the checker on each result.")
    args = parser.parse_args()
    options = SolveOptions(time_limit_seconds=args.time_limit, num_workers=args.workers)
    cases = []
    if args.only in (None, "demo"):
        cases += [("Black Country demo", 4, demo(4)), ("Black Country demo", 1, demo(1))]
    if args.only in (None, "england"):
        cases += [("England-scale (generated)", p, england(p)) for p in (52, 26, 13)]
    if args.only == "england-non-admitted":  # not in the default set: figures stay comparable
        cases += [
            ("England-scale with non-admitted lists", p, england(p, non_admitted=True))
            for p in (52, 13)
        ]
    if args.only in (None, "england-calendars"):
        cases += [("England-scale with calendars", p, england_with_calendars(p)) for p in (52, 26)]
    print(
        f"Measured {dt.date.today():%d %B %Y} on {os.cpu_count()} cores ({_cpu()}), "
        f"OR-Tools GLOP, time limit {args.time_limit:g} s, {args.workers} workers.\n"
    )
    print(
        "| Instance | Lists x hubs (arcs) | Period (weeks) | LP vars / rows | Status | "
        "Worst pressure (bound, gap) | Level-2 gap | Optimiser s | No collab. / greedy worst "
        "pressure | Baselines s | Checker | Optimiser CPU s | Load (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, period, data in cases:
        cpu = time.process_time()
        result = solve_rebalance(data, options)
        cpu = time.process_time() - cpu
        load = os.getloadavg()[0]
        level2 = next((lv for lv in result.levels if lv.level == 2), None)
        l2_gap = "-" if level2 is None or level2.gap is None else f"{level2.gap:.1e}"
        if level2 is not None and level2.bound is None:
            l2_gap = "not reached"
        base = {b.name: b for b in result.baselines}
        base_s = sum(b.seconds for b in result.baselines)
        checked = "-"
        if args.check:
            checked = "pass" if not check_result(data, result) else "FAIL"
        size = result.model_size
        objective = "-" if result.objective is None else f"{result.objective:.4f}"
        bound = "-" if result.bound is None else f"{result.bound:.4f}"
        gap = "-" if result.gap is None else f"{result.gap:.1e}"
        print(
            f"| {name} | {len(data.queues)} x {len(data.hubs)} ({size.arcs}) | {period} | "
            f"{size.variables:,} / {size.constraints:,} | {result.status} | "
            f"{objective} ({bound}, {gap}) | {l2_gap} | {result.seconds:.2f} | "
            f"{_worst(base, 'no_collaboration')} / {_worst(base, 'greedy_nearest_hub')} | "
            f"{base_s:.1f} | "
            f"{checked} | {cpu:.1f} | {load:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
