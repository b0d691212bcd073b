"""Times how fast, and in how little memory, the importers refuse bombs, against a genuine import.

Each case runs in a fresh Python process (so memory figures do not mix) that reports its wall
time, its tracemalloc peak (Python allocations, numpy and pandas included) and its peak resident
memory (`VmHWM`, everything: interpreter, libraries, zlib, openpyxl). The files are built
from the real RTT subset and the theatres template in `docs/examples`, deterministically:

- `rtt-bomb-1row`: one QUA row of the April 2026 RTT subset repeated to 100 MB in a zip (issue 14's
  bomb: about 0.46 MB, 228:1), imported for ICS QUA as the service does (`read_rtt_for_system`);
- `rtt-bomb-2rows`: two rows repeated (148:1, 0.7 MB);
- `rtt-bomb-2rows-ratio-off`: the same with `ICS_MAX_ZIP_RATIO=100000`, so only the streaming
  cap on rows kept for one system stops it;
- `xlsx-declared`: the theatres template with its sheet's dimension set to A1:P1048576;
- `xlsx-styled`: the template plus 1,000,000 styled empty rows without row numbers or dimension;
- `xlsx-styled-numbered`: 300,000 numbered styled empty rows, no dimension;
- `national-mac-zip`: a genuine national-size extract (180,000 rows, built as
  `scripts/bench_import.py` builds it) zipped on a "Mac" (`__MACOSX/._` and `.DS_Store`), read
  for QUA; the QUA waiting list must equal the plain subset's.

`--code DIR` runs the cases against another checkout's `ics_capacity` (e.g. main, for the
figures before this change); a case there may fail or be killed at `--timeout`.

Usage:
    .venv/bin/python scripts/bench_import_bombs.py [--repeat 3] [--work DIR] [--code DIR]
        [--cases a,b,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SUBSET = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
TEMPLATE = REPO_ROOT / "docs" / "examples" / "theatres_template.csv"
MB = 1024 * 1024

CHILD = r"""
import json, os, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, sys.argv[1])
kind, path = sys.argv[2], Path(sys.argv[3])
from ics_capacity.importers.problems import ImportValidationError
if kind == "rtt":
    from ics_capacity.importers.national_rtt import read_rtt_for_system as read
    call = lambda: read(path, ics="QUA")
else:
    from ics_capacity.importers.templates import read_template
    call = lambda: read_template(path, known_ods_codes={"RBK", "RL4", "RNA", "RXK"})
tracemalloc.start()
start = time.perf_counter()
outcome, detail = "read", ""
try:
    result = call()
    if kind == "rtt":
        counts = result.counts[result.counts["part"] == "Part_2"]
        totals = counts.groupby("ods_code")["total_all"].sum()
        detail = json.dumps({k: int(v) for k, v in totals.items() if k in ("RL4", "RBK")})
except ImportValidationError as error:
    outcome, detail = "refused", error.problems[0].reason[:90]
except Exception as error:
    outcome, detail = "error", f"{type(error).__name__}: {str(error)[:80]}"
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "tracemalloc_mb": peak / 2**20, "maxrss_mb": hwm / 1024,
                  "outcome": outcome, "detail": detail}))
"""


def _rtt_bomb(data_dir: Path, target: Path, rows: int) -> Path:
    header, *lines = (data_dir / SUBSET).read_bytes().splitlines(keepends=True)
    block = b"".join([line for line in lines if b",QUA," in line[:60]][:rows])
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("rtt.csv", "w", force_zip64=True) as member,
    ):
        member.write(header)
        for _ in range(100 * MB // len(block)):
            member.write(block)
    return target


def _workbook(target: Path, edit: str) -> Path:
    import pandas as pd

    plain = target.with_suffix(".plain.xlsx")
    pd.read_csv(TEMPLATE, dtype=str, keep_default_na=False).to_excel(plain, index=False)
    with zipfile.ZipFile(plain) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                start = data.index(b"<dimension ref=")
                end = data.index(b"/>", start) + 2
                if edit == "declared":
                    data = data[:start] + b'<dimension ref="A1:P1048576"/>' + data[end:]
                else:
                    data = data[:start] + data[end:]
                    if edit == "styled":
                        rows = b'<row s="1" customFormat="1" spans="1:16"/>' * 1_000_000
                    else:
                        rows = b"".join(
                            b'<row r="%d" s="1" customFormat="1" spans="1:16"/>' % r
                            for r in range(50, 300_050)
                        )
                    data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            new.writestr(item.filename, data)
    return target


def _national_mac_zip(data_dir: Path, target: Path) -> Path:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from bench_import import MEMBER_NAME, build_national_zip

    plain = target.with_name("national-plain.zip")
    build_national_zip(data_dir, plain)
    with zipfile.ZipFile(plain) as source:
        data = source.read(MEMBER_NAME)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER_NAME, data)
        archive.writestr(f"__MACOSX/._{MEMBER_NAME}", b"\x00\x05\x16\x07" + b"\x00" * 78)
        archive.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 100)
    plain.unlink()
    return target


def _run(code: Path, kind: str, path: Path, env: dict[str, str], timeout: float) -> dict:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(code), kind, str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": f"killed after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"outcome": f"exit {done.returncode}", "detail": done.stderr[-200:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Builds the files, runs each case `--repeat` times, prints a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--code", type=Path, default=REPO_ROOT)
    parser.add_argument("--cases", default="")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT))
    from ics_capacity.settings import nhs_data_dir

    data_dir = nhs_data_dir()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-bombs-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = {
        "rtt-bomb-1row": ("rtt", lambda p: _rtt_bomb(data_dir, p, 1), {}),
        "rtt-bomb-2rows": ("rtt", lambda p: _rtt_bomb(data_dir, p, 2), {}),
        "rtt-bomb-2rows-ratio-off": (
            "rtt",
            lambda p: _rtt_bomb(data_dir, p, 2),
            {"ICS_MAX_ZIP_RATIO": "100000"},
        ),
        "xlsx-declared": ("xlsx", lambda p: _workbook(p, "declared"), {}),
        "xlsx-styled": ("xlsx", lambda p: _workbook(p, "styled"), {}),
        "xlsx-styled-numbered": ("xlsx", lambda p: _workbook(p, "numbered"), {}),
        "national-mac-zip": ("rtt", lambda p: _national_mac_zip(data_dir, p), {}),
    }
    chosen = [c for c in args.cases.split(",") if c] or list(cases)
    print(f"code: {args.code}; {dt.date.today()}; {platform.processor() or platform.machine()}, ")
    print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}; repeats {args.repeat}\n")
    print("| case | file | unzipped | outcome | wall s (median) | tracemalloc MB | peak RSS MB |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for name in chosen:
        kind, build, env = cases[name]
        path = work / f"{name}.{'zip' if kind == 'rtt' else 'xlsx'}"
        if not path.exists():
            build(path)
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(i.file_size for i in archive.infolist())
        runs = [_run(args.code, kind, path, env, args.timeout) for _ in range(args.repeat)]
        ok = [r for r in runs if "seconds" in r]
        if not ok:
            print(f"| {name} | | | {runs[0]} | | | |")
            continue
        print(
            f"| {name} | {path.stat().st_size / MB:.2f} MB | {unzipped / MB:,.0f} MB | "
            f"{ok[0]['outcome']}: {ok[0]['detail'][:70]} | "
            f"{statistics.median(r['seconds'] for r in ok):.3f} | "
            f"{max(r['tracemalloc_mb'] for r in ok):.1f} | {max(r['maxrss_mb'] for r in ok):.0f} |"
        )


if __name__ == "__main__":
    main()
