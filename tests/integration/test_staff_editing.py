"""Workforce leads add, edit and remove staff and their leave, one person at a time (issue 16 §3).

Checked as a staff-list file is, optimistically locked, audited, and only by a role that edits
the workforce on a draft of its own collaborative. Each test failed before: staff could only be
replaced as a whole file.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from ics_capacity.db.models import AuditEvent, RotaLeave, RotaStaff, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services import staff as st
from ics_capacity.services.auth import NotSignedInError, PermissionDeniedError
from tests.conftest import TEST_PASSWORD

NEW = {
    "code": "rbk-ana-99",
    "label": "Anaesthetist 99 (Walsall)",
    "trust": "RBK",
    "home_site": "MANOR",
    "role": "Anaesthetist",
    "grade": "Consultant",
    "contract": "consultant_2003",
    "employment": "substantive",
    "skills": "",
    "sites": "MANOR;CANNOCK",
    "hours": "37.5",
}


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base = session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()
    return lead, sc.create_scenario(lead, base, "Staff edits")


def test_add_edit_and_remove_a_person_with_leave_audited(app_db) -> None:
    url, emails = app_db
    lead, draft = _draft(url, emails)
    before = len(st.list_staff(lead, draft).people)
    assert st.save_person(lead, draft, NEW, expected_version=None) == "RBK-ANA-99"
    person = next(p for p in st.list_staff(lead, draft).people if p.code == "RBK-ANA-99")
    assert (person.role_label, person.hours, person.sites) == (
        "Anaesthetist",
        37.5,
        "MANOR;CANNOCK",
    )
    assert len(st.list_staff(lead, draft).people) == before + 1
    st.save_person(lead, draft, {**NEW, "hours": "30"}, expected_version=person.version)
    edited = next(p for p in st.list_staff(lead, draft).people if p.code == "RBK-ANA-99")
    assert edited.hours == 30 and edited.version == person.version + 1
    st.add_leave(
        lead, draft, "RBK-ANA-99", kind="study_leave", start="2027-01-04", end="2027-01-06"
    )
    st.add_leave(lead, draft, "rbk-ana-99", kind="fixed_day_off", start="2027-01-08", end="")
    leave = next(p for p in st.list_staff(lead, draft).people if p.code == "RBK-ANA-99").leave
    assert [(x.kind, x.start.isoformat(), x.end.isoformat()) for x in leave] == [
        ("study_leave", "2027-01-04", "2027-01-06"),
        ("fixed_day_off", "2027-01-08", "2027-01-08"),
    ]
    st.remove_leave(lead, draft, leave[0].id)
    st.remove_person(lead, draft, "RBK-ANA-99", edited.version)
    assert len(st.list_staff(lead, draft).people) == before
    with unit_of_work(url) as session:
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.scenario_id == draft)
        ).all()
        assert session.exec(select(RotaLeave).where(RotaLeave.id == leave[1].id)).first() is None
    for action in ("staff.add", "staff.edit", "staff.leave_add", "staff.leave_remove"):
        assert action in actions
    assert "staff.remove" in actions


def test_every_wrong_field_is_named_and_nothing_is_saved(app_db) -> None:
    url, emails = app_db
    lead, draft = _draft(url, emails)
    before = st.list_staff(lead, draft).people
    wrong = {**NEW, "trust": "RXX", "home_site": "NOWHERE", "hours": "90", "role": "pilot"}
    with pytest.raises(st.FieldValueError) as refused:
        st.save_person(lead, draft, wrong, expected_version=None)
    message = str(refused.value)
    assert "Contracted hours per week (90)" in message and "Role (pilot)" in message
    with pytest.raises(st.FieldValueError) as refused:
        st.save_person(lead, draft, {**NEW, "trust": "RXX"}, expected_version=None)
    assert "Trust (ODS code) (RXX) is not a member trust" in str(refused.value)
    with pytest.raises(st.FieldValueError, match="at most 200 characters"):
        st.save_person(lead, draft, {**NEW, "label": "x" * 201}, expected_version=None)
    existing = before[0]
    with pytest.raises(sc.ScenarioError, match="already used"):
        st.save_person(lead, draft, {**NEW, "code": existing.code}, expected_version=None)
    with pytest.raises(st.FieldValueError, match="before its first day"):
        st.add_leave(
            lead, draft, existing.code, kind="annual_leave", start="2027-02-02", end="2027-02-01"
        )
    with pytest.raises(st.FieldValueError, match="Kind of leave"):
        st.add_leave(lead, draft, existing.code, kind="sabbatical", start="2027-02-02", end="")
    assert st.list_staff(lead, draft).people == before


def test_an_edit_of_a_person_changed_since_is_refused(app_db) -> None:
    url, emails = app_db
    lead, draft = _draft(url, emails)
    st.save_person(lead, draft, NEW, expected_version=None)
    seen = next(p for p in st.list_staff(lead, draft).people if p.code == "RBK-ANA-99")
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    st.save_person(admin, draft, {**NEW, "hours": "20"}, expected_version=seen.version)
    with pytest.raises(sc.ConflictError, match="was changed by"):
        st.save_person(lead, draft, {**NEW, "hours": "45"}, expected_version=seen.version)
    with pytest.raises(sc.ConflictError):
        st.remove_person(lead, draft, "RBK-ANA-99", seen.version)
    assert next(p for p in st.list_staff(lead, draft).people if p.code == "RBK-ANA-99").hours == 20


def test_only_workforce_editors_of_the_collaborative_change_staff_of_a_draft(app_db) -> None:
    url, emails = app_db
    lead, draft = _draft(url, emails)
    person = st.list_staff(lead, draft).people[0]
    with unit_of_work(url) as session:
        count = len(session.exec(select(RotaStaff)).all())
    for who in ("viewer", "manager", "executive", "outsider"):
        token = auth.sign_in(emails[who], TEST_PASSWORD)
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.save_person(token, draft, NEW, expected_version=None)
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.remove_person(token, draft, person.code, person.version)
        with pytest.raises((PermissionDeniedError, sc.NotFoundError)):
            st.add_leave(token, draft, person.code, kind="annual_leave", start="2027-01-04", end="")
    with pytest.raises(sc.NotFoundError):
        st.list_staff(auth.sign_in(emails["outsider"], TEST_PASSWORD), draft)
    with pytest.raises(NotSignedInError):
        st.save_person("", draft, NEW, expected_version=None)
    with unit_of_work(url) as session:
        baseline = session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()
        assert len(session.exec(select(RotaStaff)).all()) == count
    with pytest.raises(sc.ScenarioError, match="cannot be changed"):
        st.save_person(lead, baseline, NEW, expected_version=None)
