"""The rota staff list CSV: columns by meaning, every problem named by row and column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ics_capacity.domain.staff import Employment, StaffContract, StaffRole
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.rota_staff import read_rota_staff

HEADER = (
    "Staff code,Name,Trust,Home site,Role,Grade,Contract,Employment,Skills,Sites,"
    "Contracted hours per week,Hourly cost GBP,Leave"
)


def _file(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_good_list_is_read_with_lists_hours_cost_and_leave(tmp_path: Path) -> None:
    """Cells become typed rows: roles, contracts, ;-lists, minutes, pence and leave ranges."""
    path = _file(
        tmp_path,
        "rl4-sur-01,Ms A Surgeon,RL4,NEWCROSS,Surgeon,Consultant,consultant 2003,,"
        "C_110;C_100,CANNOCK,40,,2027-01-04..2027-01-10",
        "RXK-NUR-01,Mr B Nurse,rxk,MIDMET,ward nurse,Band 5,agenda_for_change,bank,,"
        "MIDMET;SANDWELL,30,21.50,2027-02-01",
    )
    first, second = read_rota_staff(path)
    assert first.code == "RL4-SUR-01" and first.role is StaffRole.SURGEON
    assert first.contract is StaffContract.CONSULTANT_2003
    assert first.employment is Employment.SUBSTANTIVE  # blank means substantive
    assert first.skills == ("C_110", "C_100")
    assert first.sites == ("NEWCROSS", "CANNOCK")  # the home site is always a site
    assert first.contracted_minutes_per_week == 2400 and first.hourly_cost_pence is None
    assert first.leave == ((dt.date(2027, 1, 4), dt.date(2027, 1, 10)),)
    assert second.trust == "RXK" and second.employment is Employment.BANK
    assert second.hourly_cost_pence == 2150 and second.contracted_minutes_per_week == 1800
    assert second.leave == ((dt.date(2027, 2, 1), dt.date(2027, 2, 1)),)


def test_every_problem_is_named_by_row_and_column(tmp_path: Path) -> None:
    """Blank, unknown, duplicate and out-of-range cells are all reported together."""
    path = _file(
        tmp_path,
        "A1,Person A,RL4,NEWCROSS,plumber,,consultant_2003,,,CANNOCK,40,,",
        "A1,Person B,RL4,NEWCROSS,odp,,agenda_for_change,agency,,CANNOCK,90,-3,2027-13-01",
        ",Person C,RL4,,odp,,agenda_for_change,,,CANNOCK,37.5,,2027-02-10..2027-02-01",
    )
    with pytest.raises(ImportValidationError) as error:
        read_rota_staff(path)
    found = {(p.row, p.column): p.reason for p in error.value.problems}
    assert "is not one of surgeon" in found[2, "Role"]
    assert "already used in row 2" in found[3, "Staff code"]
    assert "is not one of substantive, bank" in found[3, "Employment"]
    assert "at most 80" in found[3, "Contracted hours per week"]
    assert "pounds of 0 or more" in found[3, "Hourly cost GBP"]
    assert "date range" in found[3, "Leave"]
    assert found[4, "Staff code"] == "is blank." and found[4, "Home site"] == "is blank."
    assert "ends before it starts" in found[4, "Leave"]
    assert "staff.csv row 3, column 'Employment': 'agency'" in str(error.value)


def test_a_missing_column_is_named_with_its_aliases(tmp_path: Path) -> None:
    """A header without a required column says which, and what else it may be called."""
    path = _file(tmp_path, "A1,Person,RL4", header="code,name,trust")
    with pytest.raises(ImportValidationError) as error:
        read_rota_staff(path)
    missing = {p.column for p in error.value.problems}
    assert {"home site", "role", "contract", "sites", "contracted hours per week"} <= missing
    assert all(p.row == 1 for p in error.value.problems)
