"""Recognising a file's kind from its header, and bed figures that contradict each other."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from ics_capacity.importers.kh03 import read_kh03
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.recognise import header_of, recognise
from ics_capacity.settings import REPO_ROOT

NHS_DIR = REPO_ROOT.parent / "shared" / "data" / "nhs"
EXAMPLES = REPO_ROOT / "docs" / "examples"
KH03 = NHS_DIR / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (NHS_DIR / "rtt_full_extract_2026-04_QUA_QHL_subset.csv", "rtt"),
        (KH03, "kh03"),
        (NHS_DIR / "workforce_staff_group_org_Nov-25.csv", "workforce"),
        (NHS_DIR / "waiting_list_flow_by_ics_2020-04_2022-09.csv", "flows"),
        (EXAMPLES / "theatres_template.csv", "template"),
        (EXAMPLES / "case_mix_template.csv", "template"),
        (NHS_DIR / "etr_2026.csv", None),  # no header row: never recognised
    ],
)
def test_each_published_file_is_recognised_by_its_header(path: Path, kind: str | None) -> None:
    header = header_of(path)
    assert header, f"{path.name} has a header row"
    assert recognise(header) == kind


def test_header_of_a_zip_and_a_workbook(tmp_path: Path) -> None:
    """The header is read from the one CSV in a zip (skipping Mac resource forks) and from a
    workbook's first sheet."""
    archive = tmp_path / "kh03.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(KH03, "kh03.csv")
        out.writestr("__MACOSX/._kh03.csv", b"\x00\x05\x16\x07")
    assert recognise(header_of(archive) or []) == "kh03"
    workbook = tmp_path / "theatres.xlsx"
    pd.read_csv(EXAMPLES / "theatres_template.csv", dtype=str).to_excel(workbook, index=False)
    assert recognise(header_of(workbook) or []) == "template"


def test_a_header_of_other_columns_is_not_recognised() -> None:
    assert recognise(["Date", "Amount", "Reference"]) is None
    assert header_of(Path("/nonexistent.csv")) is None


def _kh03_with(tmp_path: Path, column: str, value: str) -> tuple[Path, int]:
    """KH03 with one RL4 cell changed; returns the file and the spreadsheet row changed."""
    with KH03.open(newline="") as source:
        rows = list(csv.reader(source))
    header = rows[0]
    row = next(
        i for i, r in enumerate(rows) if r[0] == "RL4" and r[header.index("period")] == "2024-25 Q4"
    )
    rows[row][header.index(column)] = value
    path = tmp_path / "kh03.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows(rows)
    return path, row + 1


def test_occupied_beds_above_available_are_refused_with_row_and_column(tmp_path: Path) -> None:
    path, row = _kh03_with(tmp_path, "kh03_occ_ga_avg_beds", "9000")
    with pytest.raises(ImportValidationError) as error:
        read_kh03(path, providers=["RL4"])
    [problem] = error.value.problems
    assert (problem.row, problem.column, problem.value) == (row, "kh03_occ_ga_avg_beds", "9000")
    assert "more than 'kh03_avail_ga_avg_beds'" in problem.reason


def test_ga_beds_above_acute_beds_are_refused(tmp_path: Path) -> None:
    path, row = _kh03_with(tmp_path, "kh03_avail_acute_avg_beds", "10")
    with pytest.raises(ImportValidationError) as error:
        read_kh03(path, providers=["RL4"])
    problems = {(p.row, p.column) for p in error.value.problems}
    assert (row, "kh03_avail_ga_avg_beds") in problems
    assert (row, "kh03_occ_acute_avg_beds") in problems  # occupied acute > 10 available too
