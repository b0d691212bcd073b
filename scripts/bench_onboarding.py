"""Times onboarding a system from an empty database: onboard, rebalance, projection.

The RTT file is the national-size zip `scripts/bench_import.py` builds from the real April 2026
QUA and QHL rows (about 180,000 rows, every other ICB's rows being renamed copies), so the
onboarding reads a file of the national size; KH03, workforce, ODS and MAR are the shared files.
Steps, each timed, in one process on a new SQLite database (or `--db-url`, emptied first):

1. `onboard_as_operator(ICS, files)`: collaborative, files, starting model, draft (one transaction);
2. `run_rebalance_as_operator(draft, weeks=26, time limit 10 s, 2 workers)`;
3. `project_scenario_as_operator(draft, horizon 104 weeks, 200 Monte Carlo runs)`: the CLI's
   `ics-capacity project`.

It checks the done-when figures on the way (Part_2 totals per trust on the Overview, patients
treated and binding limits) and prints one JSON object.

Usage:
    .venv/bin/python scripts/bench_onboarding.py [--ics QHL] [--work DIR] [--db-url URL]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_import import build_national_zip


def main() -> None:
    """Runs the benchmark and prints the timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ics", default="QHL")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()

    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.onboarding import OnboardingFiles, onboard_as_operator
    from ics_capacity.services.overview import collaborative_overview
    from ics_capacity.services.projections import (
        project_scenario_as_operator,
        projection_headline,
    )
    from ics_capacity.services.rebalance import run_rebalance_as_operator
    from ics_capacity.services.schema import downgrade, upgrade
    from ics_capacity.settings import nhs_data_dir

    data = nhs_data_dir()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-onboarding-"))
    work.mkdir(parents=True, exist_ok=True)
    rtt = work / "rtt-national-2026-04.zip"
    if not rtt.exists():
        build_national_zip(data, rtt)
    url = args.db_url or f"sqlite:///{work / 'onboarding.db'}"
    if args.db_url:
        downgrade("base", url)
    else:
        (work / "onboarding.db").unlink(missing_ok=True)
    upgrade("head", url)
    files = OnboardingFiles(
        rtt=rtt,
        kh03=data / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv",
        workforce=data / "workforce_staff_group_org_Nov-25.csv",
        etr=data / "etr_2026.csv",
        mar=data / "mar_2026-02_QUA_QHL_trusts_subset.csv",
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    report = onboard_as_operator(args.ics, files, db_url=url)
    timings["onboard_s"] = time.perf_counter() - started
    with unit_of_work(url) as session:
        overview = collaborative_overview(session, report.collaborative_id, report.scenario_id)
        lists = {t.ods_code: t.waiting_list for t in overview.trusts} if overview else {}
    mark = time.perf_counter()
    result = run_rebalance_as_operator(
        report.scenario_id, weeks=26, time_limit_seconds=10, num_workers=2, db_url=url
    )
    timings["rebalance_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    projection = project_scenario_as_operator(report.scenario_id, horizon_weeks=104, db_url=url)
    timings["projection_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    print(
        json.dumps(
            {
                "ics": args.ics,
                "rtt_zip_mib": round(rtt.stat().st_size / 2**20, 1),
                "database": url.split(":", 1)[0],
                "trusts": report.trusts,
                "overview_waiting_lists": lists,
                "rebalance_status": str(result.status),
                "patients_treated": round(result.metrics.patients_treated) if result.metrics else 0,
                "binding_limits": len(result.binding_limits),
                "projection_headline": projection_headline(projection)["waiting_list"],
                **{k: round(v, 2) for k, v in timings.items()},
                "python": platform.python_version(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
