"""Uploading NHS files: preview with problems, nothing saved, then a clean import; exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser

KH03 = "kh03_qmco_quarterly_trust_2018-19_2024-25.csv"


def _edited_kh03(nhs_dir: Path, tmp_path: Path, value: str, name: str) -> tuple[Path, int]:
    """The real KH03 file with RL4's latest G&A beds replaced; returns the path and the row."""
    lines = (nhs_dir / KH03).read_text().splitlines(keepends=True)
    column = lines[0].split(",").index("kh03_avail_ga_avg_beds")
    for i, line in enumerate(lines):
        if line.startswith("RL4,2024-25 Q4,"):
            cells = line.split(",")
            cells[column] = value
            lines[i] = ",".join(cells)
            row = i + 1
    path = tmp_path / name
    path.write_text("".join(lines))
    return path, row


def test_upload_preview_problems_then_import(pages, nhs_dir: Path, tmp_path: Path) -> None:
    """A bad file lists its problem by row and column and cannot be imported; a good one can."""
    page = pages.signed_in("manager")
    open_new_scenario(page, "Beds update")

    page.get_by_role("link", name="Data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data")
    page.get_by_label("Scenario").select_option(label="Beds update (draft)")
    page.get_by_label("Kind of file").select_option(value="kh03")

    bad, row = _edited_kh03(nhs_dir, tmp_path, "-5", "kh03-bad.csv")
    page.locator("input[type=file]").set_input_files(bad)
    page.get_by_role("button", name="Check the file").click()
    problems = page.get_by_role("table", name="Problems in the file")
    expect(problems).to_contain_text(f"kh03-bad.csv, row {row}, column 'kh03_avail_ga_avg_beds'")
    expect(page.get_by_role("button", name="Import into the scenario")).to_have_count(0)

    good, _ = _edited_kh03(nhs_dir, tmp_path, "830.0", "kh03-new.csv")
    page.locator("input[type=file]").set_input_files(good)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("table", name="Problems in the file")).to_have_count(0)
    page.get_by_role("button", name="Import into the scenario").click()
    expect(page.get_by_text(re.compile(r"kh03: \d+ rows from kh03-new.csv"))).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Whole scenario (JSON)").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert "Beds update" in json.dumps(document)
