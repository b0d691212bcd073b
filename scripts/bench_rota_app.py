"""Times the app's rota on the Black Country demo: hubs x weeks, through `ics-capacity rota`.

    .venv/bin/python scripts/bench_rota_app.py [--weeks 1,4,12] [--time-limit 60[,120,...]]
        [--workers 2]

Seeds the demo into a temporary SQLite database, then for each horizon and each time limit runs
the CLI command in a subprocess (as a user would) on both elective hubs, and prints a markdown
table: status, objective and best bound (pence), gap, places of the sessions left to agency of the
places wanted, places of required cover short (`places_short`) beside their proven lower bound
(`places_short_lower_bound`), cost, wall time, the 1-minute load average when the run ended, and
whether the independent checker found any rule broken. Progress goes to stderr, the table to
stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cli() -> Path:
    return Path(sys.executable).with_name("ics-capacity")


def _run(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_cli()), *args], capture_output=True, text=True, check=False, env=env, cwd=ROOT
    )


def main() -> None:
    """Seeds the demo, runs each horizon, prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", default="1,4,12")
    parser.add_argument("--time-limit", default="60", help="Seconds; several, comma-separated.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sites", default="CANNOCK,SANDWELL")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "REFLEX_DB_URL": f"sqlite:///{folder}/bench.db"}
        for step in (["db", "upgrade"], ["seed-demo", "--no-demo-users"]):
            done = _run(env, step)
            if done.returncode != 0:
                sys.exit(f"{' '.join(step)} failed: {done.stderr}")
        print(
            "| weeks | staff | shifts | status | objective (p) | bound (p) | gap | agency places "
            "/ wanted | places short | lower bound | cost (GBP) | seconds | limit | workers "
            "| load | rules broken |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        limits = [float(t) for t in str(options.time_limit).split(",")]
        for weeks in [int(w) for w in options.weeks.split(",")]:
            for limit in limits:
                _row(env, weeks, limit, options.sites, options.workers)


def _row(env: dict[str, str], weeks: int, limit: float, sites: str, workers: int) -> None:
    print(f"rota: {weeks} weeks on {sites}, {limit:g} s...", file=sys.stderr)
    args = ["rota", "1", "--weeks", str(weeks), "--sites", sites]
    args += ["--time-limit", str(limit), "--workers", str(workers), "--json"]
    done = _run(env, args)
    load = os.getloadavg()[0]
    if done.returncode != 0:
        print(f"| {weeks} | error: {done.stderr.strip()[:80]} |")
        return
    r = json.loads(done.stdout)
    gap = "–" if r["gap"] is None else f"{r['gap']:.2%}"
    bound = "none" if r["bound"] is None else f"{r['bound']:,.0f}"
    lower = r["places_short_lower_bound"]
    print(
        f"| {weeks} | {r['staff']} | {r['assignments']:,} | {r['status']} | "
        f"{r['objective']:,.0f} | {bound} | {gap} | {r['gap_places']:,} / "
        f"{r['wanted_places']:,} | {r['places_short']:,} | "
        f"{'none' if lower is None else f'{lower:,}'} | "
        f"{r['cost_pence']['total'] / 100:,.0f} | {r['seconds']} | "
        f"{r['time_limit']:g} | {r['workers']} | {load:.1f} | {r['hard_violations']} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
