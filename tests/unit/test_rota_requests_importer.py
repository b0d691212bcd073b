"""The staff requests file is read by meaning, checked for form, refused with patient details."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ics_capacity.importers.identifiers import holds_nhs_number, is_nhs_number
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.recognise import recognise
from ics_capacity.importers.rota_requests import read_rota_requests


def test_nhs_numbers_are_recognised_by_their_check_digit() -> None:
    """9434765919 is the NHS Data Dictionary's worked example; a changed last digit is not one."""
    assert is_nhs_number("9434765919")
    assert not is_nhs_number("9434765918")
    assert holds_nhs_number("cover for 943 476 5919, thanks")
    assert not holds_nhs_number("phone 0121 507 4000")  # a phone number fails the check digit
    assert not holds_nhs_number("94347659190")  # eleven digits are not an NHS number


def test_columns_are_found_by_meaning_in_any_order(tmp_path: Path) -> None:
    """Other spellings of the columns, UK dates, blank weights and shifts all read."""
    path = tmp_path / "wishes.csv"
    path.write_text(
        "Note,Priority,On or off,Shift type,Day,Staff ID\n"
        "Exam,,OFF,,04/01/2027,rbk-ana-01\n"
        ",10,on,am,2027-01-05,RBK-ANA-01\n",
        encoding="utf-8",
    )
    rows, columns = read_rota_requests(path)
    assert [
        (r.row, r.staff_code, r.on_date, r.shift_kind, r.kind, r.weight, r.note) for r in rows
    ] == [
        (2, "RBK-ANA-01", dt.date(2027, 1, 4), "", "off", 1, "Exam"),
        (3, "RBK-ANA-01", dt.date(2027, 1, 5), "AM", "on", 10, ""),
    ]
    assert columns["staff"] == "Staff ID"
    assert recognise(["Staff code", "Date", "Request"]) == "rota_requests"


def test_a_patient_details_column_is_refused_without_reading_rows(tmp_path: Path) -> None:
    """A header naming a patient identifier refuses the file at row 1."""
    path = tmp_path / "requests.csv"
    path.write_text("Staff code,Date,Request,Patient name\nA,2027-01-04,off,\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as refused:
        read_rota_requests(path)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (1, "Patient name")
    assert "patient identifier" in problem.reason
