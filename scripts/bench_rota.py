"""Runs the Curtois & Qu benchmark through `ics-capacity rota-benchmark`; prints a markdown table.

    .venv/bin/python scripts/bench_rota.py [--data DIR] [--time-limit 60] [--workers 2]
        [--instances 1,7,10] [--seed 0]

Every instance file present (Instance1.txt, Instance2.txt, ...) is solved by the CLI command in a
subprocess, exactly as a user would run it; its JSON line is parsed and compared with the
best-known value and the 60-minute Gurobi value from best_known_values.csv. Each roster is written
to a temporary folder and re-checked by the command's independent checker. Progress goes to stderr,
the table to stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rota"


def _instances(folder: Path, wanted: set[int] | None) -> list[Path]:
    found = []
    for path in folder.glob("Instance*.txt"):
        match = re.fullmatch(r"Instance(\d+)\.txt", path.name)
        if match and (wanted is None or int(match.group(1)) in wanted):
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def _reference(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "best_known_values.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


def _run(
    cli: Path, instance: Path, roster: Path, time_limit: float, workers: int, seed: int
) -> dict:
    command = [
        str(cli),
        "rota-benchmark",
        str(instance),
        "--time-limit",
        str(time_limit),
        "--workers",
        str(workers),
        "--seed",
        str(seed),
        "--out",
        str(roster),
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"status": f"error (exit {done.returncode})", "error": done.stderr.strip()}
    return json.loads(done.stdout)


def _fmt(value: object, digits: int = 0) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main() -> int:
    """Runs the benchmark and prints the table; returns 1 if any rota broke a hard rule."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("ICS_ROTA_DATA_DIR", DEFAULT_DATA))
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", help="Comma-separated instance numbers (default: all).")
    parser.add_argument("--seed", type=int, default=0, help="The search's random seed.")
    args = parser.parse_args()
    wanted = {int(n) for n in args.instances.split(",")} if args.instances else None
    cli = Path(sys.executable).with_name("ics-capacity")
    reference = _reference(args.data)
    rows = []
    broken = False
    with tempfile.TemporaryDirectory(prefix="bench_rota_") as folder:
        for instance in _instances(args.data, wanted):
            name = instance.stem
            print(f"{name} ...", file=sys.stderr, flush=True)
            result = _run(
                cli,
                instance,
                Path(folder) / f"{name}.csv",
                args.time_limit,
                args.workers,
                args.seed,
            )
            broken |= bool(result.get("hard_violations"))
            ref = reference.get(name, {})
            gap = result.get("gap")
            rows.append(
                "| "
                + " | ".join(
                    [
                        name,
                        _fmt(ref.get("best_known_ub_wssuite")),
                        _fmt(ref.get("lit60_gurobi")),
                        _fmt(result.get("objective")),
                        _fmt(result.get("bound")),
                        "-" if gap is None else f"{100 * gap:.1f}%",
                        _fmt(result.get("seconds"), 1),
                        str(result.get("status")),
                    ]
                )
                + " |"
            )
            print(f"{name}: {result.get('status')} {result.get('objective')}", file=sys.stderr)
    print(
        "| instance | best known | Gurobi 60 min | our objective | bound | gap | seconds | status |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
