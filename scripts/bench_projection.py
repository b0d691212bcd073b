"""Time the cohort projection at national scale and the Monte Carlo for one collaborative.

Usage:
    .venv/bin/python scripts/bench_projection.py [--repeats 7] [--runs 1000]

1. Deterministic, England-sized: 130 providers x 20 treatment functions x 105 wait bands,
   104 weeks. The series are real: provider x treatment function waiting lists, demand and
   completions of the QUA and QHL providers in the April 2026 RTT extract, drawn with
   replacement (seeded) to fill 2,600 series. Timed with every level (total, provider,
   treatment function, series) and with total + provider only.
2. Monte Carlo for the Black Country Provider Collaborative (its 4 trusts, every treatment
   function, 104 weeks, theatres and beds of the demo's sites): 1,000 runs with weekly and
   level variation in demand and capacity.

Each figure is the median (and the fastest) of the repeats, wall-clock, one process.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from ics_capacity.domain.assumptions import CASE_MIX, DEMO_COLLABORATIVE, DEMO_SITES
from ics_capacity.domain.codes import WAIT_BAND_COLUMNS
from ics_capacity.importers.rtt import read_rtt_extract
from ics_capacity.projections.cohort import Variation, project, simulate
from ics_capacity.projections.inputs import (
    ProjectionInput,
    projection_input_from_tables,
    resource_pools_from_tables,
)
from ics_capacity.projections.queue_kpis import capacity_to_meet_target
from ics_capacity.settings import nhs_data_dir

RTT_FILE = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
PROVIDERS, FUNCTIONS, WEEKS = 130, 20, 104


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _time(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()  # warm up (imports, allocations)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def _tables(counts: pd.DataFrame, period: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`waiting_list`- and `rtt_activity`-shaped frames from an extract's counts."""
    waiting = counts[counts["part"] == "Part_2"].melt(
        id_vars=["ods_code", "tfc", "part"],
        value_vars=list(WAIT_BAND_COLUMNS),
        var_name="band",
        value_name="patients",
    )
    waiting["wait_band_weeks"] = waiting["band"].str[1:].astype(int)
    by_part = counts.pivot_table(
        index=["ods_code", "tfc"], columns="part", values="total_all", aggfunc="sum", fill_value=0
    ).reset_index()
    activity = pd.DataFrame(
        {
            "ods_code": by_part["ods_code"],
            "tfc": by_part["tfc"],
            "period": period,
            "new_clock_starts": by_part.get("Part_3", 0),
            "completed_admitted": by_part.get("Part_1A", 0),
            "completed_non_admitted": by_part.get("Part_1B", 0),
            "waiting_total": by_part.get("Part_2", 0),
        }
    )
    return waiting[["ods_code", "tfc", "part", "wait_band_weeks", "patients"]], activity


def _collaborative_input(counts: pd.DataFrame, period: dt.date) -> ProjectionInput:
    members = set(DEMO_COLLABORATIVE.member_trusts)
    waiting, activity = _tables(counts[counts["ods_code"].isin(members)], period)
    case_mix = pd.DataFrame(
        [
            (c.tfc, c.minutes_per_case, c.length_of_stay_days, c.day_case_rate)
            for c in CASE_MIX.values()
        ],
        columns=["tfc", "minutes_per_case", "length_of_stay_days", "day_case_rate"],
    )
    inp = projection_input_from_tables(
        waiting,
        activity,
        horizon_weeks=WEEKS,
        provider_column="ods_code",
        months=1,
        case_mix=case_mix,
        priority_share=0.1,
        start_date=period + dt.timedelta(days=30),
    )
    sites = pd.DataFrame(
        {
            "id": range(len(DEMO_SITES)),
            "name": [s.name for s in DEMO_SITES],
            "operator_id": [s.operator_ods_code for s in DEMO_SITES],
        }
    )
    site_tfcs = pd.DataFrame(
        [(i, tfc) for i, s in enumerate(DEMO_SITES) for tfc in s.treatment_functions],
        columns=["site_id", "tfc"],
    )
    theatres = pd.DataFrame(
        {
            "site_id": range(len(DEMO_SITES)),
            "theatres": [s.theatres for s in DEMO_SITES],
            "sessions_per_week": [s.sessions_per_week for s in DEMO_SITES],
            "session_minutes": [s.session_minutes for s in DEMO_SITES],
            "utilisation_target": [s.utilisation_target for s in DEMO_SITES],
        }
    )
    beds = pd.DataFrame(
        {
            "site_id": range(len(DEMO_SITES)),
            "elective_overnight_beds": [s.elective_overnight_beds for s in DEMO_SITES],
            "occupancy_target": [s.bed_occupancy_target for s in DEMO_SITES],
        }
    )
    pools = resource_pools_from_tables(
        inp.keys(),
        sites=sites,
        site_treatment_functions=site_tfcs,
        theatre_capacity=theatres,
        bed_capacity=beds,
    )
    return dataclasses.replace(inp, pools=pools)


def _national_input(counts: pd.DataFrame, period: dt.date, seed: int = 0) -> ProjectionInput:
    waiting, activity = _tables(counts, period)
    real = projection_input_from_tables(
        waiting, activity, horizon_weeks=WEEKS, provider_column="ods_code", months=1
    )
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, real.series_count, PROVIDERS * FUNCTIONS)
    return ProjectionInput.create(
        provider=np.repeat([f"P{i:03d}" for i in range(PROVIDERS)], FUNCTIONS),
        tfc=np.tile([f"T{j:02d}" for j in range(FUNCTIONS)], PROVIDERS),
        waiting=real.waiting[pick],
        demand_per_week=real.demand_per_week[pick],
        capacity_per_week=real.capacity_per_week[pick],
        horizon_weeks=WEEKS,
        validation_rate_per_week=real.validation_rate_per_week[pick],
        priority_share=0.1,
        admitted_share=real.admitted_share[pick],
    )


def main() -> None:
    """Runs the timings and prints them as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    extract = read_rtt_extract(nhs_data_dir() / RTT_FILE)
    counts, period = extract.counts, extract.period

    national = _national_input(counts, period)
    all_levels = _time(lambda: project(national), args.repeats)
    two_levels = _time(lambda: project(national, levels=("total", "provider")), args.repeats)
    with_frame = _time(lambda: project(national).frame("series"), args.repeats)

    bcpc = _collaborative_input(counts, period)
    variation = Variation(
        demand_cv_weekly=0.1, demand_cv_level=0.05, capacity_cv_weekly=0.1, capacity_cv_level=0.05
    )
    mc_repeats = max(1, min(3, args.repeats))
    monte_carlo = _time(
        lambda: simulate(bcpc, runs=args.runs, rng=np.random.default_rng(42), variation=variation),
        mc_repeats,
    )
    inverse = _time(
        lambda: capacity_to_meet_target(bcpc, measure="over_52", value=0, by_week=52),
        mc_repeats,
    )

    load = os.getloadavg()
    print(
        f"Date: {dt.datetime.now():%Y-%m-%d %H:%M}; machine: {os.cpu_count()} CPUs (nproc), "
        f"{_cpu_model()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}; load average at the end {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f} (the machine is shared).\n"
    )
    size = (
        f"{national.series_count:,} series ({PROVIDERS} providers x {FUNCTIONS} functions) "
        f"x 105 bands x {WEEKS} weeks"
    )
    mc_size = (
        f"BCPC: {bcpc.series_count} series (4 trusts), {len(bcpc.pools.names)} sites, "
        f"{WEEKS} weeks, {args.runs:,} runs"
    )
    rows = [
        ("deterministic, all levels (total, provider, tfc, series)", size, all_levels, 3),
        ("deterministic, total + provider", size, two_levels, 3),
        ("deterministic, all levels + series DataFrame (273,000 rows)", size, with_frame, 3),
        ("Monte Carlo, total + provider, p10/p50/p90", mc_size, monte_carlo, 2),
        (
            "capacity to clear 52-week waits by week 52 (40 bisection steps)",
            f"BCPC: {bcpc.series_count} series",
            inverse,
            2,
        ),
    ]
    print("| what | size | median | fastest |")
    print("|---|---|---:|---:|")
    for what, scale, (median, fastest), digits in rows:
        print(f"| {what} | {scale} | {median:.{digits}f} s | {fastest:.{digits}f} s |")


if __name__ == "__main__":
    main()
