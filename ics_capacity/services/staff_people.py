"""A scenario's rota staff, one person at a time: add, edit, remove, and their leave.

A person's fields are checked by the same parser as a staff-list file
(`importers.rota_staff.parse_staff_record`) and against the scenario as an import is
(`rota_staff.check_staff_rows`), so a form and a file accept and refuse the same things, with
messages naming the field. Every change needs the workforce permission on a draft scenario, is
one transaction, is audited, and an edit or removal of a person changed by someone else since
it was read is refused (`scenarios.optimistic_edit`). `services/staff.py` gathers these with the
requests (`services/staff_requests.py`) and the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import Organisation, RotaLeave, RotaStaff, Scenario
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.rota_assumptions import WORKFORCE_GROUP
from ics_capacity.domain.staff import StaffRole
from ics_capacity.importers.problems import ImportProblem
from ics_capacity.importers.rota_staff import StaffRow, parse_staff_record
from ics_capacity.services.rota import (
    STAFF_ROLE_LABELS,
    hourly_cost_pence,
)
from ics_capacity.services.rota_staff import check_staff_rows
from ics_capacity.services.scenarios import (
    FieldValueError,
    ScenarioError,
    audit,
    optimistic_edit,
    scenario_transaction,
)

FORM = "The staff form"


@dataclass(frozen=True)
class FormField:
    """One field of the staff form: how its messages name it, and the longest text it takes."""

    label: str
    max_chars: int | None = None  # the column's length (db/models/); None: the parser bounds it


# The form's fields by the parser's meanings.
FORM_FIELDS: dict[str, FormField] = {
    "code": FormField("Staff code", max_chars=40),
    "label": FormField("Name or role label", max_chars=200),
    "trust": FormField("Trust (ODS code)"),
    "home_site": FormField("Home site"),
    "role": FormField("Role"),
    "grade": FormField("Grade", max_chars=60),
    "contract": FormField("Contract"),
    "employment": FormField("Employment"),
    "skills": FormField("Skills", max_chars=500),
    "sites": FormField("Sites they may work at", max_chars=500),
    "hours": FormField("Contracted hours per week"),
    "hourly_cost": FormField("Hourly cost (£)"),
}
FIELD_LABELS = {meaning: field.label for meaning, field in FORM_FIELDS.items()}
LIMITS = {m: field.max_chars for m, field in FORM_FIELDS.items() if field.max_chars is not None}
LEAVE_KINDS = {
    "annual_leave": "Annual leave",
    "study_leave": "Study leave",
    "fixed_day_off": "Fixed day off",
}
MAX_LEAVE_DAYS = 366
MAX_LEAVE_ROWS = 200


@dataclass(frozen=True)
class LeaveView:
    """One span of a person's leave."""

    id: int
    kind: str
    kind_label: str
    start: dt.date
    end: dt.date


def _checked_row(session: Session, scenario: Scenario, fields: Mapping[str, str]) -> StaffRow:
    """The form's person, checked for form and against the scenario; or every problem, in words."""
    for meaning, limit in LIMITS.items():
        if len(str(fields.get(meaning, "")).strip()) > limit:
            raise FieldValueError(f"{FIELD_LABELS[meaning]} can have at most {limit} characters.")

    def cell(meaning: str) -> str:
        return str(fields.get(meaning, "") if meaning != "leave" else "").strip()

    person, problems = parse_staff_record(cell, FIELD_LABELS, FORM, None)
    if person is not None:
        problems = check_staff_rows(session, scenario, [person], FORM)
    if person is None or problems:
        raise FieldValueError(_say(problems))
    return person


# The scenario checks (`check_staff_rows`) name the file's columns; the form names its fields.
_CHECKED_FIELDS = {
    "trust": FIELD_LABELS["trust"],
    "home site": FIELD_LABELS["home_site"],
    "sites": FIELD_LABELS["sites"],
    "skills": FIELD_LABELS["skills"],
}


def _say(problems: list[ImportProblem]) -> str:
    return " ".join(
        f"{_CHECKED_FIELDS.get(p.column or '', p.column or 'The form')}"
        f"{f' ({p.value})' if p.value else ''} {p.reason}"
        for p in problems
    )


def save_person(
    token: str | None,
    scenario_id: int,
    fields: Mapping[str, str],
    *,
    expected_version: int | None,
) -> str:
    """Adds a person (`expected_version` None: the code must be new) or edits one by code.

    Returns:
        The person's code.

    Raises:
        FieldValueError: a field is wrong (every problem, naming its field).
        ConflictError: the person was changed by someone else since the form was filled.
        ScenarioError: the code is taken (adding) or unknown (editing); the scenario is not a draft.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        row = _checked_row(session, scenario, fields)
        existing = find_person(session, scenario, row.code, required=expected_version is not None)
        if expected_version is None and existing is not None:
            raise ScenarioError(f"Staff code {row.code} is already used; choose another.")
        org = session.exec(select(Organisation.id).where(Organisation.ods_code == row.trust)).one()
        assert org is not None and scenario.id is not None  # stored rows
        if existing is None:
            session.add(_new_person(scenario.id, row, org, use.principal.email))
            audit(
                session,
                use.principal,
                scenario,
                "staff.add",
                f"Added {row.code} ({row.label}) to the rota staff",
                entity="rota_staff",
                entity_id=row.code,
            )
            return row.code
        with optimistic_edit(session, existing, expected_version, f"{row.code} ({existing.label})"):
            before = _summary(existing)
            _apply(existing, row, org, use.principal.email)
            session.add(existing)
            audit(
                session,
                use.principal,
                scenario,
                "staff.edit",
                f"Changed {row.code}: {before} → {_summary(existing)}",
                entity="rota_staff",
                entity_id=row.code,
            )
        return row.code


def role_label(role: str) -> str:
    """A staff role as the page names it; an unknown role as it is."""
    return STAFF_ROLE_LABELS.get(StaffRole(role), role) if role in set(StaffRole) else role


def _new_person(scenario_id: int, row: StaffRow, organisation_id: int, user: str) -> RotaStaff:
    person = RotaStaff(
        scenario_id=scenario_id,
        code=row.code,
        label=row.label,
        organisation_id=organisation_id,
        home_site_code=row.home_site,
        staff_group=WORKFORCE_GROUP[row.role],
        role=row.role,
        contract=row.contract,
        contracted_minutes_per_week=row.contracted_minutes_per_week,
        hourly_cost_pence=0,
        source="Added on the Staff page",
    )
    _apply(person, row, organisation_id, user)
    return person


def _apply(person: RotaStaff, row: StaffRow, organisation_id: int, user: str) -> None:
    person.label, person.organisation_id = row.label, organisation_id
    person.home_site_code, person.role, person.grade = row.home_site, row.role, row.grade
    person.contract, person.employment = row.contract, row.employment
    person.staff_group = WORKFORCE_GROUP[row.role]
    person.skills, person.sites = ",".join(row.skills), ",".join(row.sites)
    person.contracted_minutes_per_week = row.contracted_minutes_per_week
    person.hourly_cost_pence = (
        row.hourly_cost_pence
        if row.hourly_cost_pence is not None
        else hourly_cost_pence(row.role, row.contract, row.employment)
    )
    person.updated_by = user


def _summary(person: RotaStaff) -> str:
    return (
        f"{role_label(person.role)}, "
        f"{person.contracted_minutes_per_week / 60:g} h/week, sites {person.sites}"
    )


def find_person(
    session: Session, scenario: Scenario, code: str, *, required: bool = True
) -> RotaStaff | None:
    """The scenario's person with this code (any case); None, or refused when `required`."""
    person = session.exec(
        select(RotaStaff).where(
            RotaStaff.scenario_id == scenario.id, RotaStaff.code == code.strip().upper()
        )
    ).first()
    if person is None and required:
        raise ScenarioError(f"There is no {code.strip()[:40]} among this scenario's staff.")
    return person


def remove_person(token: str | None, scenario_id: int, code: str, expected_version: int) -> None:
    """Removes a person from the scenario's staff (with their leave, requests and locks)."""
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        person = find_person(session, scenario, code)
        assert person is not None  # required
        with optimistic_edit(session, person, expected_version, f"{person.code} ({person.label})"):
            session.delete(person)
            audit(
                session,
                use.principal,
                scenario,
                "staff.remove",
                f"Removed {person.code} ({person.label}) from the rota staff",
                entity="rota_staff",
                entity_id=person.code,
            )


def add_leave(
    token: str | None, scenario_id: int, code: str, *, kind: str, start: str, end: str
) -> None:
    """Gives a person leave (or a fixed day off) from `start` to `end`, inclusive (ISO dates)."""
    if kind not in LEAVE_KINDS:
        raise FieldValueError("Kind of leave must be " + ", ".join(LEAVE_KINDS.values()) + ".")
    try:
        first = dt.date.fromisoformat(start.strip())
        last = dt.date.fromisoformat((end.strip() or start).strip())
    except ValueError as error:
        raise FieldValueError("First and last day must be dates, such as 2027-01-04.") from error
    if last < first:
        raise FieldValueError("The last day of leave is before its first day.")
    if (last - first).days + 1 > MAX_LEAVE_DAYS:
        raise FieldValueError(f"One span of leave can be at most {MAX_LEAVE_DAYS} days.")
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        person = find_person(session, scenario, code)
        assert person is not None and person.id is not None
        count = session.exec(
            select(sa.func.count()).select_from(RotaLeave).where(RotaLeave.staff_id == person.id)
        ).one()
        if count >= MAX_LEAVE_ROWS:
            raise FieldValueError(f"{person.code} already has {MAX_LEAVE_ROWS} spans of leave.")
        session.add(RotaLeave(staff_id=person.id, start_date=first, end_date=last, kind=kind))
        audit(
            session,
            use.principal,
            scenario,
            "staff.leave_add",
            f"{LEAVE_KINDS[kind]} for {person.code}: {first:%d %b %Y} to {last:%d %b %Y}",
            entity="rota_staff",
            entity_id=person.code,
        )


def remove_leave(token: str | None, scenario_id: int, leave_id: int) -> None:
    """Removes one span of leave of one of the scenario's staff."""
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        found = session.exec(
            select(RotaLeave, RotaStaff)
            .join(RotaStaff, col(RotaStaff.id) == RotaLeave.staff_id)
            .where(RotaLeave.id == leave_id, RotaStaff.scenario_id == scenario.id)
        ).first()
        if found is None:
            raise ScenarioError("That leave is not in this scenario.")
        leave, person = found
        session.delete(leave)
        audit(
            session,
            use.principal,
            scenario,
            "staff.leave_remove",
            f"Removed {LEAVE_KINDS[leave.kind].lower()} of {person.code}: "
            f"{leave.start_date:%d %b %Y} to {leave.end_date:%d %b %Y}",
            entity="rota_staff",
            entity_id=person.code,
        )
