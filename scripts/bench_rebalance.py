"""Benchmark the rebalancing optimiser; prints a markdown table for docs/benchmarks.md.

    .venv/bin/python scripts/bench_rebalance.py [--time-limit 60] [--workers 2] [--check]

Instances: the Black Country demo (docs/examples/rebalance_instance.json, exported from the demo
database by `ics-capacity rebalance SCENARIO --export-instance`) with 4-week and weekly periods,
and a generated England-scale instance (130 providers, 400 hubs of which 40 independent, 20
treatment functions, 52 weeks, seed 7) with one, two and four periods.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from solvers.common import SolveOptions  # noqa: E402
from solvers.rebalance import check_result, solve_rebalance, synthetic_instance  # noqa: E402
from solvers.rebalance.schema import RebalanceInput, RebalanceSettings  # noqa: E402

DEMO = REPO / "docs" / "examples" / "rebalance_instance.json"


def england(period_weeks: int) -> RebalanceInput:
    """The generated England-scale instance (deterministic)."""
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
    parser.add_argument("--only", choices=["demo", "england"], default=None)
    parser.add_argument("--check", action="store_true", help="Run the checker on each result.")
    args = parser.parse_args()
    options = SolveOptions(time_limit_seconds=args.time_limit, num_workers=args.workers)
    cases = []
    if args.only in (None, "demo"):
        cases += [("Black Country demo", 4, demo(4)), ("Black Country demo", 1, demo(1))]
    if args.only in (None, "england"):
        cases += [("England-scale (generated)", p, england(p)) for p in (52, 26, 13)]
    print(
        f"Measured {dt.date.today():%d %B %Y} on {os.cpu_count()} cores ({_cpu()}), "
        f"OR-Tools GLOP, time limit {args.time_limit:g} s, {args.workers} workers.\n"
    )
    print(
        "| Instance | Lists x hubs (arcs) | Period (weeks) | LP vars / rows | Status | "
        "Worst pressure (bound, gap) | Level-2 gap | Optimiser s | No collab. / greedy worst "
        "pressure | Baselines s | Checker |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, period, data in cases:
        result = solve_rebalance(data, options)
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
            f"{checked} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
