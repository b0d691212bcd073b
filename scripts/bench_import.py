"""Times the import of a national-size RTT Full CSV extract for one ICS against a bare pandas read.

We have no copy of the national file on this machine (no internet), so the benchmark builds one of
the same size and shape from the real Black Country (QUA) and Birmingham and Solihull (QHL) subset
in the shared data folder: the subset's rows are written again under the other ICB codes NHS
England publishes (`icb_codes_names_from_rtt_2026-04.csv`), each copy with its own provider codes,
until the file has about 180,000 rows (about 80 MB unzipped). The original QUA and QHL rows stay
as published, so the ICS imported (QUA by default) has its real figures. The build is
deterministic: the same subset gives the same zip.

The contenders read the same zip in the same run, in this order, each in a fresh process so that
one's memory does not count against the other:

1. bare: `pandas.read_csv(zip)`, the baseline the issue names;
2. import: `ics-capacity import rtt ZIP --ics QUA` as the service runs it: stream the zip,
   keep the ICS's lines, validate every kept row (numbers, codes, band and C_999 totals), write
   organisations, collaborative, baseline scenario, waiting list and activity rows to a new
   database (SQLite, or `--db-url`, whose tables are dropped before each run) in one transaction;
3. parse-all, for comparison: the importer alone reading the zip in chunks with every cell
   parsed as text, as it does without the line shortcut of `services.data_exchange.loaders`.

Each reports wall time and peak resident memory (`ru_maxrss` of the child process).

Usage:
    .venv/bin/python scripts/bench_import.py [--ics QUA] [--rows 180000] [--repeat 3]
        [--work DIR] [--db-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ics_capacity.settings import nhs_data_dir  # noqa: E402

SUBSET = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
ICB_NAMES = "icb_codes_names_from_rtt_2026-04.csv"
TARGET_ROWS = 180_000
MEMBER_NAME = "20260401-RTT-April-2026-full-extract.csv"


def build_national_zip(data_dir: Path, target: Path, rows: int = TARGET_ROWS) -> dict[str, int]:
    """Writes a national-size RTT extract zip built from the real subset; returns its sizes.

    Copy 0 is the subset as published. Copy k (k >= 1) puts the subset's QUA rows under the k-th
    other ICB code and its QHL rows under the next, with provider codes suffixed by the copy
    number (RBK -> RBK01) so that every provider is distinct. ICB codes run out after 17 copies;
    later copies use made-up codes `Z01`, `Z02`, ... so the row count can reach `rows`.
    """
    subset = pd.read_csv(data_dir / SUBSET, dtype=str, keep_default_na=False)
    names = pd.read_csv(data_dir / ICB_NAMES, dtype=str, keep_default_na=False)
    others = [
        (code, name)
        for code, name in zip(names["code"], names["name"], strict=True)
        if code not in {"QUA", "QHL"}
    ]
    parent, parent_name = "Provider Parent Org Code", "Provider Parent Name"
    provider, provider_name = "Provider Org Code", "Provider Org Name"
    copies = [subset]
    copy = 0
    while sum(len(c) for c in copies) < rows:
        copy += 1
        frame = subset.copy()
        for offset, original in enumerate(("QUA", "QHL")):
            slot = 2 * (copy - 1) + offset
            code, name = (
                others[slot] if slot < len(others) else (f"Z{slot:02d}", f"NHS MADE-UP ICB {slot}")
            )
            mask = subset[parent] == original
            frame.loc[mask, parent] = code
            frame.loc[mask, parent_name] = name
        frame[provider] = subset[provider] + f"{copy:02d}"
        frame[provider_name] = subset[provider_name] + f" (COPY {copy})"
        copies.append(frame)
    national = pd.concat(copies, ignore_index=True).iloc[:rows]
    # Keep whole provider x commissioner x part groups: a cut inside one would break its C_999
    # totals, so the last copy stops at a provider boundary.
    last = national[provider].iloc[-1]
    if copy and (national[provider] == last).sum() < (copies[-1][provider] == last).sum():
        national = national[national[provider] != last]
    text = national.to_csv(index=False, lineterminator="\r\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER_NAME, text)
    size = target.stat().st_size
    return {"rows": len(national), "csv_bytes": len(text.encode()), "zip_bytes": size}


def _child_bare(zip_path: Path) -> dict[str, float]:
    start = time.perf_counter()
    frame = pd.read_csv(zip_path)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(frame)}


def _child_parse_all(zip_path: Path, ics: str) -> dict[str, float]:
    from ics_capacity.importers.rtt import read_rtt_extract

    start = time.perf_counter()
    extract = read_rtt_extract(zip_path, ics=ics)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(extract.counts)}


def _child_import(zip_path: Path, ics: str, db_url: str) -> dict[str, float]:
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.data_exchange.loaders import import_rtt_extract
    from ics_capacity.services.schema import upgrade

    upgrade("head", db_url)
    start = time.perf_counter()
    with unit_of_work(db_url) as session:
        outcomes = import_rtt_extract(session, zip_path, ics=ics, user="bench")
        session.commit()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": sum(o.rows_written for o in outcomes)}


def _run_child(args: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> None:
    kind, zip_path = argv[0], Path(argv[1])
    if kind == "bare":
        result = _child_bare(zip_path)
    elif kind == "parse-all":
        result = _child_parse_all(zip_path, argv[2])
    else:
        result = _child_import(zip_path, argv[2], argv[3])
    result["peak_mib"] = _peak_mib()
    print(json.dumps(result))


def _peak_mib() -> float:
    """Peak resident memory of this process in MiB.

    `VmHWM` is per address space, so unlike `ru_maxrss` it does not inherit the parent's peak
    across `exec` (the parent holds the whole 80 MB CSV while building the zip).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _empty_database(url: str) -> None:
    """Drops every table of a (PostgreSQL) benchmark database, so each run starts empty."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    """Builds the zip, times both contenders `--repeat` times and prints a Markdown table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ics", default="QUA")
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="Folder for the zip and database.")
    parser.add_argument("--db-url", default=None, help="Database (default: new SQLite file).")
    options = parser.parse_args()

    work = options.work or Path(tempfile.mkdtemp(prefix="bench-import-"))
    zip_path = work / "rtt-national-size.zip"
    sizes = build_national_zip(nhs_data_dir(), zip_path, options.rows)
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "import": [], "parse-all": []}
    for attempt in range(options.repeat):
        runs["bare"].append(_run_child(["bare", str(zip_path)]))
        db_url = options.db_url or f"sqlite:///{work / f'bench-{attempt}.db'}"
        if options.db_url:
            _empty_database(options.db_url)
        runs["import"].append(_run_child(["import", str(zip_path), options.ics, db_url]))
        runs["parse-all"].append(_run_child(["parse-all", str(zip_path), options.ics]))

    def best(kind: str, key: str) -> float:
        return min(r[key] for r in runs[kind])

    def worst(kind: str, key: str) -> float:
        return max(r[key] for r in runs[kind])

    out = io.StringIO()
    out.write(
        f"{dt.date.today():%Y-%m-%d}, {_cpu_model()}, {subprocess.getoutput('nproc')} cores, "
        f"Python {platform.python_version()}, pandas {pd.__version__}\n\n"
        f"Zip: {sizes['rows']:,} rows, {sizes['csv_bytes'] / 1e6:.1f} MB CSV, "
        f"{sizes['zip_bytes'] / 1e6:.1f} MB zipped; ICS {options.ics}; {options.repeat} runs "
        "each, alternating.\n\n"
        "| | best s | worst s | peak memory MiB (worst) |\n|---|---:|---:|---:|\n"
    )
    contenders = (
        ("bare", "bare `pandas.read_csv(zip)`"),
        ("import", "import, one ICS (validation and database writes)"),
        ("parse-all", "for comparison: importer alone, every row parsed as text"),
    )
    for kind, label in contenders:
        out.write(
            f"| {label} | {best(kind, 'seconds'):.2f} | {worst(kind, 'seconds'):.2f} | "
            f"{worst(kind, 'peak_mib'):.0f} |\n"
        )
    ratio = best("import", "seconds") / best("bare", "seconds")
    out.write(f"\nImport / bare (best of each): {ratio:.2f}x\n")
    print(out.getvalue())
    print(json.dumps({"sizes": sizes, "runs": runs}))


if __name__ == "__main__":
    main()
