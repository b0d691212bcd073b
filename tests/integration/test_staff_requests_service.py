"""Staff requests (shifts wanted on or off, with weights) are kept one at a time or from a file.

Issue 16 §3: "Staff requests (on and off shifts, with weights) have a screen and an import" and
"The scenario's JSON and Excel export includes the staff list, leave, requests and locks". The
form and a file are checked by the same rules, edits are optimistically locked and audited, a
file is imported whole or not at all, and a file with patient identifiers is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from ics_capacity.db.models import AuditEvent, RotaLock, RotaRequest, RotaStaff, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.importers import rota_requests
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services import staff as st
from ics_capacity.services.auth import NotSignedInError, PermissionDeniedError
from ics_capacity.services.data_exchange import (
    commit_import,
    export_scenario,
    import_scenario_json,
)
from ics_capacity.services.errors import ImportValidationError
from tests.conftest import TEST_PASSWORD

SOON = dt.date.today() + dt.timedelta(days=30)
ROTA_TABLES = ("rota_staff", "rota_leave", "rota_requests", "rota_locks")


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base = session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()
    return lead, sc.create_scenario(lead, base, "Requests")


def _people(lead: str, draft: int) -> tuple[st.StaffView, st.StaffView]:
    """A theatre person (works AM, PM, DAY) and a ward nurse (works LD, N)."""
    people = st.list_staff(lead, draft).people
    theatre = next(p for p in people if p.role == "anaesthetist")
    nurse = next(p for p in people if p.role == "ward_nurse")
    return theatre, nurse


def _person(lead: str, draft: int, code: str) -> st.StaffView:
    return next(p for p in st.list_staff(lead, draft).people if p.code == code)


def _form(**changes: str) -> dict[str, str]:
    return {"date": SOON.isoformat(), "shift": "AM", "request": "off", "weight": "3"} | changes


def test_add_edit_and_remove_requests_audited(app_db) -> None:
    """A workforce lead adds, edits and removes a person's requests; each change is audited."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, nurse = _people(lead, draft)
    st.add_request(lead, draft, theatre.code, _form(note="Daughter's school play"))
    st.add_request(lead, draft, nurse.code.lower(), _form(shift="", request="on", weight=""))
    (request,) = _person(lead, draft, theatre.code).requests
    assert (request.on_date, request.shift_kind, request.kind, request.weight, request.note) == (
        SOON,
        "AM",
        "off",
        3,
        "Daughter's school play",
    )
    assert request.shift_label == "Morning list (AM)"
    (whole,) = _person(lead, draft, nurse.code).requests
    assert (whole.shift_kind, whole.kind, whole.weight, whole.shift_label) == (
        "",
        "on",
        1,
        "Any shift",
    )
    st.edit_request(
        lead, draft, request.id, _form(shift="DAY", weight="9"), expected_version=request.version
    )
    (edited,) = _person(lead, draft, theatre.code).requests
    assert (edited.shift_kind, edited.weight, edited.note, edited.version) == (
        "DAY",
        9,
        "",
        request.version + 1,
    )
    st.remove_request(lead, draft, edited.id, expected_version=edited.version)
    assert _person(lead, draft, theatre.code).requests == ()
    with unit_of_work(url) as session:
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.scenario_id == draft)
        ).all()
    for action in ("staff.request_add", "staff.request_edit", "staff.request_remove"):
        assert action in actions


def test_every_wrong_field_is_named_and_nothing_is_saved(app_db) -> None:
    """Dates, shifts the person does not work, weights and repeated requests are refused."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, nurse = _people(lead, draft)
    far = dt.date.today() + dt.timedelta(days=st.REQUEST_DAYS_AFTER + 1)
    refusals = [
        (_form(date="04/13/2027"), "Date (04/13/2027) is not a date"),
        (_form(date=far.isoformat()), "is outside the dates a rota may cover"),
        (_form(shift="N"), "Shift (N) is not a shift"),
        (_form(weight="0"), "Weight (0) is not a whole number from 1 to 10"),
        (_form(weight="11"), "Weight (11)"),
        (_form(weight="2.5"), "Weight (2.5)"),
        (_form(request="maybe"), "On or off (maybe) is not on or off"),
        (_form(date=""), "Date is blank"),
        (_form(note="x" * 201), "Note has more than 200 characters"),
        (_form(note="Patient 943 476 5919 booked"), "looks like an NHS number"),
    ]
    for fields, message in refusals:
        with pytest.raises(st.FieldValueError, match=re.escape(message)):
            st.add_request(lead, draft, theatre.code, fields)
    with pytest.raises(st.FieldValueError, match="ward nurses work LD, N"):
        st.add_request(lead, draft, nurse.code, _form(shift="AM"))
    with pytest.raises(sc.ScenarioError, match="There is no NOBODY"):
        st.add_request(lead, draft, "NOBODY", _form())
    st.add_request(lead, draft, theatre.code, _form())
    with pytest.raises(sc.ScenarioError, match="already has a request"):
        st.add_request(lead, draft, theatre.code, _form(request="on"))
    assert len(_person(lead, draft, theatre.code).requests) == 1


def test_an_edit_of_a_request_changed_since_is_refused(app_db) -> None:
    """Two editors of one request: the one who read the old version is told and saves nothing."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, _ = _people(lead, draft)
    st.add_request(lead, draft, theatre.code, _form())
    (seen,) = _person(lead, draft, theatre.code).requests
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    st.edit_request(admin, draft, seen.id, _form(weight="7"), expected_version=seen.version)
    with pytest.raises(sc.ConflictError, match="was changed by"):
        st.edit_request(lead, draft, seen.id, _form(weight="2"), expected_version=seen.version)
    with pytest.raises(sc.ConflictError):
        st.remove_request(lead, draft, seen.id, expected_version=seen.version)
    assert _person(lead, draft, theatre.code).requests[0].weight == 7


def test_only_workforce_editors_of_the_collaborative_change_requests(app_db) -> None:
    """Viewers, managers, executives and other collaboratives are refused; nothing changes."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, _ = _people(lead, draft)
    st.add_request(lead, draft, theatre.code, _form())
    (request,) = _person(lead, draft, theatre.code).requests
    for who in ("viewer", "manager", "executive", "outsider"):
        token = auth.sign_in(emails[who], TEST_PASSWORD)
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.add_request(token, draft, theatre.code, _form(shift="PM"))
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.edit_request(token, draft, request.id, _form(weight="9"), expected_version=1)
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.remove_request(token, draft, request.id, expected_version=1)
    with pytest.raises(NotSignedInError):
        st.add_request("", draft, theatre.code, _form(shift="PM"))
    other_draft = sc.create_scenario(lead, draft, "Another draft")
    with pytest.raises(sc.ScenarioError, match="not in this scenario"):
        st.remove_request(lead, other_draft, request.id, expected_version=request.version)
    assert _person(lead, draft, theatre.code).requests == (request,)


def _write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_file_of_requests_imports_whole_and_replaces_by_day_and_shift(
    app_db, tmp_path: Path
) -> None:
    """A CSV adds requests, a second file changes one and keeps the others; .xlsx reads too."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, nurse = _people(lead, draft)
    st.add_request(lead, draft, theatre.code, _form(shift="PM", note="kept"))
    first = _write_csv(
        tmp_path / "requests.csv",
        [
            "Staff code,Date,Shift,Request,Weight,Note",
            f"{theatre.code},{SOON},AM,off,4,Wedding",
            f"{nurse.code},{SOON:%d/%m/%Y},n,on,,",
            f"{nurse.code},{SOON + dt.timedelta(days=1)},,off,10,",
        ],
    )
    outcome = commit_import(lead, draft, "rota_requests", first)
    assert outcome.rows_written == 3
    assert [
        (r.shift_kind, r.weight, r.note) for r in _person(lead, draft, theatre.code).requests
    ] == [
        ("AM", 4, "Wedding"),
        ("PM", 3, "kept"),
    ]
    assert [(r.shift_kind, r.kind) for r in _person(lead, draft, nurse.code).requests] == [
        ("N", "on"),
        ("", "off"),
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["staff id", "DATE", "shift kind", "on or off", "priority"])
    sheet.append([theatre.code, SOON.isoformat(), "AM", "on", 6])
    book.save(tmp_path / "again.xlsx")
    outcome = commit_import(lead, draft, "rota_requests", tmp_path / "again.xlsx")
    assert outcome.rows_written == 1
    am = next(r for r in _person(lead, draft, theatre.code).requests if r.shift_kind == "AM")
    assert (am.kind, am.weight, am.note) == ("on", 6, "")


def test_a_file_with_any_problem_imports_nothing_and_names_file_row_and_column(
    app_db, tmp_path: Path
) -> None:
    """Every problem is listed with file, row and column; nothing is written."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, nurse = _people(lead, draft)
    bad = _write_csv(
        tmp_path / "bad.csv",
        [
            "Staff code,Date,Shift,Request,Weight",
            f"{theatre.code},{SOON},AM,off,4",
            f"NOBODY,{SOON},AM,off,4",
            f"{nurse.code},{SOON},AM,off,4",
            f"{theatre.code},not a date,AM,off,4",
            f"{theatre.code},{SOON},AM,on,40",
            f"{theatre.code},{SOON},AM,on,4",
        ],
    )
    with pytest.raises(ImportValidationError) as refused:
        commit_import(lead, draft, "rota_requests", bad)
    said = [str(p) for p in refused.value.problems]
    assert any("bad.csv row 5, column 'Date': 'not a date' is not a date" in s for s in said)
    assert any("bad.csv row 6, column 'Weight': '40'" in s for s in said)
    assert any("row 7, column 'Staff code'" in s and "in row 2" in s for s in said)
    with pytest.raises(ImportValidationError) as refused:
        commit_import(
            lead, draft, "rota_requests", _write_csv(bad, [*bad.read_text().splitlines()[:4]])
        )
    said = [str(p) for p in refused.value.problems]
    assert any("row 3, column 'Staff code': 'NOBODY' is not one of" in s for s in said)
    assert any("row 4, column 'Shift': 'AM' is not a shift" in s for s in said)
    with unit_of_work(url) as session:
        ids = session.exec(select(RotaStaff.id).where(RotaStaff.scenario_id == draft)).all()
        assert session.exec(select(RotaRequest).where(RotaRequest.staff_id.in_(ids))).all() == []


def test_a_file_with_patient_identifiers_is_refused(app_db, tmp_path: Path) -> None:
    """A column of NHS numbers, or an NHS number in a note, refuses the whole file."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, _ = _people(lead, draft)
    named = _write_csv(
        tmp_path / "named.csv",
        ["Staff code,Date,Request,NHS number", f"{theatre.code},{SOON},off,"],
    )
    with pytest.raises(ImportValidationError, match="column 'NHS number'.*patient identifier"):
        commit_import(lead, draft, "rota_requests", named)
    noted = _write_csv(
        tmp_path / "noted.csv",
        ["Staff code,Date,Request,Note", f"{theatre.code},{SOON},off,cover for 9434765919"],
    )
    with pytest.raises(ImportValidationError) as refused:
        commit_import(lead, draft, "rota_requests", noted)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "Note", None)
    assert "9434765919" not in str(refused.value)
    assert _person(lead, draft, theatre.code).requests == ()


def test_a_file_over_the_row_limit_is_refused(app_db, tmp_path: Path, monkeypatch) -> None:
    """More rows than the limit: refused in one sentence before any row is read."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, _ = _people(lead, draft)
    monkeypatch.setattr(rota_requests, "MAX_ROWS", 2)
    rows = [f"{theatre.code},{SOON + dt.timedelta(days=d)},off" for d in range(3)]
    big = _write_csv(tmp_path / "big.csv", ["Staff code,Date,Request", *rows])
    with pytest.raises(ImportValidationError, match="has 3 rows; at most 2"):
        commit_import(lead, draft, "rota_requests", big)
    for who in ("viewer", "manager", "outsider"):
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            commit_import(auth.sign_in(emails[who], TEST_PASSWORD), draft, "rota_requests", big)


def test_scenario_export_round_trips_staff_leave_requests_and_locks(app_db) -> None:
    """Export as JSON, import as a new scenario: the same staff, leave, requests and locks;
    the Excel export has a sheet for each."""
    url, emails = app_db
    lead, draft = _draft(url, emails)
    theatre, nurse = _people(lead, draft)
    st.add_request(lead, draft, theatre.code, _form(note="Exam"))
    st.add_request(lead, draft, nurse.code, _form(shift="N", request="on", weight="8"))
    with unit_of_work(url) as session:
        staff_id = session.exec(
            select(RotaStaff.id).where(
                RotaStaff.scenario_id == draft, RotaStaff.code == theatre.code
            )
        ).one()
        session.add(
            RotaLock(
                scenario_id=draft,
                staff_id=staff_id,
                on_date=SOON,
                shift_code="SANDWELL-PM",
                locked_by=emails["workforce_lead"],
            )
        )
        session.commit()
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    _, data = export_scenario(manager, draft, "json")
    document = json.loads(data)
    assert {t: len(document["tables"][t]) > 0 for t in ROTA_TABLES} == dict.fromkeys(
        ROTA_TABLES, True
    )
    assert {
        "staff_code": theatre.code,
        "on_date": SOON.isoformat(),
        "shift_kind": "AM",
        "kind": "off",
        "weight": 3,
        "note": "Exam",
    } in document["tables"]["rota_requests"]
    with unit_of_work(url) as session:
        collaborative = session.get(Scenario, draft).collaborative_id
    copy = import_scenario_json(manager, collaborative, data, "Requests copy")
    _, again = export_scenario(manager, copy, "json")
    tables = json.loads(again)["tables"]
    for table in ROTA_TABLES:
        assert tables[table] == document["tables"][table], table
    _, workbook = export_scenario(manager, draft, "xlsx")
    sheets = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True).sheetnames
    assert {"Rota staff", "Rota leave", "Rota requests", "Rota locks"} <= set(sheets)
