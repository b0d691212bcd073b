"""The record of shifts worked before a rota (CSV): columns by meaning, problems by row/column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ics_capacity.importers import rota_history
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.rota_history import HistoryRow, read_rota_history


def _file(tmp_path: Path, *lines: str, header: str = "Staff code,Date,Shift code") -> Path:
    path = tmp_path / "history.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_rows_are_read_with_codes_upper_cased_and_days_off_skipped(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "rxk-nur-01,2027-01-03,sandwell-n",
        "RXK-NUR-01,2027-01-02,OFF",
        "RXK-NUR-02,2027-01-02,",
        "",
        "RXK-NUR-02,2027-01-01,SANDWELL-LD",
    )
    assert read_rota_history(path) == [
        HistoryRow(
            row=2, staff_code="RXK-NUR-01", date=dt.date(2027, 1, 3), shift_code="SANDWELL-N"
        ),
        HistoryRow(
            row=6, staff_code="RXK-NUR-02", date=dt.date(2027, 1, 1), shift_code="SANDWELL-LD"
        ),
    ]


def test_columns_are_found_by_meaning_in_any_order(tmp_path: Path) -> None:
    path = _file(tmp_path, "SANDWELL-AM,2027-01-03,P1", header="Shift,Day,Pseudonym")
    assert read_rota_history(path)[0].staff_code == "P1"


def test_every_bad_row_is_named_with_its_column(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "P1,03/01/2027,SANDWELL-AM",
        ",2027-01-03,SANDWELL-AM",
        "P2,2027-01-03,SANDWELL-AM",
        "P2,2027-01-03,SANDWELL-PM",
    )
    with pytest.raises(ImportValidationError) as raised:
        read_rota_history(path)
    text = str(raised.value)
    assert "history.csv row 2, column 'Date': '03/01/2027' is not a date like 2027-01-04" in text
    assert "row 3, column 'Staff code': is blank" in text
    assert "row 5, column 'Date': '2027-01-03' P2 already has a shift that day in row 4" in text


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match="(?i)shift"):
        read_rota_history(_file(tmp_path, "P1,2027-01-03", header="Staff code,Date"))


def test_too_many_rows_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rota_history, "MAX_ROWS", 2)
    path = _file(tmp_path, *(f"P{k},2027-01-03,SANDWELL-AM" for k in range(3)))
    with pytest.raises(ImportValidationError, match="has 3 rows; at most 2"):
        read_rota_history(path)
