"""Sizes of the Dashboard's chart specs for the demo, and what a trust switch sends.

Usage:
    .venv/bin/python scripts/bench_dashboard_specs.py [--work /tmp/bench-specs] [--horizon 104]

Seeds the demo collaborative into a new SQLite database under `--work`, signs in a manager,
branches a draft "More theatres" from the baseline (14 theatres at Cannock Chase, so the
with-and-without chart is drawn) and projects it as the Dashboard does (`project_scenario`:
200 seeded Monte Carlo runs). Then prints the JSON size of each chart spec
(`dashboard_chart_specs`) for the whole collaborative and for each member trust, and the size
of the Dashboard's vars that change when the page switches from the collaborative to a trust:
the state assigns only the vars whose value differs (`ui/state/changes.py`), so those are what
the answer carries. Then the pickled size of those vars for the collaborative, about what a
tab's Dashboard state costs in the state manager (Reflex pickles states into Redis).

Last, the board pack of the draft (`build_board_pack`, a commentary of the longest length a pack
takes): its HTML and PDF, the row a solver worker stores for it (`projection_views`, kept a day,
the PDF in base64 inside JSON), the pack pickled (what a tab's state held until 5 December
2026) and what a tab's board-pack state holds now (`keep_board_pack`), pickled.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

TRUST_EMAIL = "specs-bench@bcpc.test"
TRUST_PASSWORD = "a long bench password 2026"


def _size(value: Any) -> int:
    """Bytes of the value as compact JSON, as the page's state sends it."""
    return len(json.dumps(value, separators=(",", ":")).encode())


def _seed(work: Path) -> tuple[str, int]:
    """A demo database with one manager; returns its URL and the baseline scenario's id."""
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.auth import create_user
    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    url = f"sqlite:///{work / 'demo.db'}"
    os.environ["REFLEX_DB_URL"] = url
    upgrade("head", url)
    seeded = seed_demo(db_url=url)
    with unit_of_work(url) as session:
        create_user(
            session,
            email=TRUST_EMAIL,
            password=TRUST_PASSWORD,
            display_name="Specs Bench",
            memberships={seeded.collaborative_id: "manager"},
        )
        session.commit()
    return url, seeded.scenario_id


def main() -> None:
    """Seeds, projects, and prints the table of sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--horizon", type=int, default=104)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-specs-"))
    work.mkdir(parents=True, exist_ok=True)
    if (work / "demo.db").exists():
        (work / "demo.db").unlink()
    _, baseline = _seed(work)

    from ics_capacity.services import auth
    from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
    from ics_capacity.services.dashboard import dashboard_targets
    from ics_capacity.services.projections import dashboard_chart_specs, project_scenario
    from ics_capacity.services.scenarios import create_scenario
    from ics_capacity.ui.pages.dashboard import view

    token = auth.sign_in(TRUST_EMAIL, TRUST_PASSWORD)
    draft = create_scenario(token, baseline, "More theatres")
    row = next(r for r in read_site_capacity(token, draft) if r.code == "CANNOCK")
    update_site_capacity(token, draft, row.site_id, "theatres", "14", row.theatre_version)
    started = time.perf_counter()
    projection = project_scenario(token, draft, horizon_weeks=args.horizon)
    projected = time.perf_counter() - started
    targets = dashboard_targets(token, draft, args.horizon)

    units: list[tuple[str, int | None]] = [("collaborative", None)]
    units += [(name, p) for p, name in sorted(projection.names.items(), key=lambda kv: kv[1])]
    started = time.perf_counter()
    specs = {name: dashboard_chart_specs(projection, p) for name, p in units}
    drawn = (time.perf_counter() - started) / len(units)
    charts = list(specs["collaborative"])
    print(f"Projection: {args.horizon} weeks, {projected:.1f} s; specs drawn in {drawn:.2f} s")
    print(f"{'chart':<20}" + "".join(f"{name[:18]:>20}" for name, _ in units))
    for chart in charts:
        print(f"{chart:<20}" + "".join(f"{_size(specs[n][chart]):>20,}" for n, _ in units))
    print(f"{'all charts':<20}" + "".join(f"{_size(specs[n]):>20,}" for n, _ in units))

    whole = view.page_vars(projection, targets, specs["collaborative"], "")
    print("\nA switch from the whole collaborative to a trust sends the vars that differ:")
    for name, provider in units[1:]:
        trust = view.page_vars(projection, targets, specs[name], str(provider))
        changed = sorted(k for k in trust if trust[k] != whole[k])
        charts_sent = [k for k in changed if k in charts]
        print(
            f"  {name}: {_size({k: trust[k] for k in changed}):,} bytes of "
            f"{_size(trust):,} in all; charts sent: {', '.join(charts_sent)}; "
            f"other vars: {', '.join(k for k in changed if k not in charts)}"
        )
    print(f"\nThe collaborative's vars pickled: {len(pickle.dumps(whole)):,} bytes")

    from ics_capacity.services.board_pack import (
        COMMENTARY_MAX_CHARS,
        build_board_pack,
        keep_board_pack,
    )

    commentary = ("The hub adds two theatres at Cannock Chase from April. " * 60)[
        :COMMENTARY_MAX_CHARS
    ]
    started = time.perf_counter()
    pack = build_board_pack(token, draft, args.horizon, commentary)
    built = time.perf_counter() - started
    stored = json.dumps({"html": pack.html, "pdf": base64.b64encode(pack.pdf).decode("ascii")})
    print(f"\nBoard pack ({len(commentary):,} characters of commentary), built in {built:.1f} s:")
    print(f"  HTML {len(pack.html.encode()):,} bytes; PDF {len(pack.pdf):,} bytes")
    print(f"  the worker's stored row payload: {len(stored.encode()):,} bytes")
    print(f"  the pack pickled: {len(pickle.dumps(pack)):,} bytes")
    print(f"  what a tab holds of it, pickled: {len(pickle.dumps(keep_board_pack(pack))):,} bytes")


if __name__ == "__main__":
    main()
