"""Other users' round trips while one user imports a national-size RTT zip through the Data page.

    .venv/bin/python scripts/bench_import_responsiveness.py --url http://127.0.0.1:3000 \
        --email bench@example.nhs.uk --password '...' --scenario ID [--tabs 5] [--seconds 20]

Issue 14 asks that "another user's page stays responsive while a large genuine file imports".
The server is the app as `make run` serves it (`reflex run --env prod`, one port), on a database
where the account may edit scenario ID (a draft). N tabs (python-socketio, as in
`scripts/bench_load.py`) send the Overview's `load` every second; phase "idle" runs for
`--seconds`; then a real Chromium, signed in as the same account, uploads the national-size
extract built from the real QUA/QHL subset (`scripts/bench_import.py`: 180,000 rows, 3.3 MB
zipped, 82 MB unzipped, re-zipped on a Mac with `__MACOSX/` members) on the Data page, checks it
for ICS QUA and imports it, while the tabs keep measuring. Prints p50/p95/max per phase and how
long the check and the import took for the importing user. Loopback only; bounded in tabs and
time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import build_national_zip
from bench_load import _names, _phase, _report, signed_in_tabs

from ics_capacity.settings import nhs_data_dir

DATA_DIR = nhs_data_dir()


def mac_zip(source: Path, target: Path) -> Path:
    """The extract as a Mac's Finder zips it: the CSV, its `__MACOSX/._` fork and `.DS_Store`."""
    with zipfile.ZipFile(source) as archive:
        [member] = [m for m in archive.namelist() if m.endswith(".csv")]
        data = archive.read(member)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr(member, data)
        out.writestr(f"__MACOSX/._{member}", b"\x00\x05\x16\x07" + b"\x00" * 78)
        out.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 64)
    return target


def import_in_browser(options: argparse.Namespace, path: Path) -> dict[str, float]:
    """Signs in, uploads and checks the file, imports it; returns the seconds of each step."""
    from playwright.sync_api import expect, sync_playwright

    timings: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{options.url}/login")
        page.get_by_label("Email address").fill(options.email)
        page.get_by_label("Password").fill(options.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
        page.goto(f"{options.url}/data")
        page.locator("#data-scenario").select_option(str(options.scenario))
        page.locator("#data-kind").select_option("rtt")
        page.locator("#data-ics").fill("QUA")
        page.get_by_label("File to import", exact=True).set_input_files(str(path))
        started = time.perf_counter()
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_text("Checking…")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Checking…")).to_have_count(0, timeout=300_000)
        commit = page.get_by_role("button", name="Import into the scenario")
        expect(commit).to_be_visible()
        timings["upload and check s"] = time.perf_counter() - started
        started = time.perf_counter()
        commit.click()
        # The preview (and its button) goes once the import is saved; a toast says what was.
        expect(commit).to_have_count(0, timeout=300_000)
        expect(page.get_by_text("Checking…")).to_have_count(0)
        timings["import s"] = time.perf_counter() - started
        browser.close()
    return timings


async def main_async(options: argparse.Namespace) -> None:
    """Builds the file, signs the tabs in, then measures idle and while the import runs."""
    work = Path(tempfile.mkdtemp(prefix="bench-import-ui-"))
    built = work / "national.zip"
    build_national_zip(DATA_DIR, built)
    path = mac_zip(built, work / "rtt-national-april-2026.zip")
    print(f"File: {path.name}, {path.stat().st_size / 1e6:.1f} MB zipped")
    names = _names()
    tabs = await signed_in_tabs(options, names)
    timings: dict[str, float] = {}

    async def importing() -> None:
        timings.update(await asyncio.to_thread(import_in_browser, options, path))

    _report("one user checks and imports the file", *await _phase(tabs, names["load"], importing))
    for tab in tabs:
        await tab.close()
    print("\nImporting user: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


def main() -> None:
    """Parses the options and runs the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--scenario", type=int, required=True, help="A draft the account edits.")
    parser.add_argument("--tabs", type=int, default=5, choices=range(1, 51), metavar="1..50")
    parser.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
