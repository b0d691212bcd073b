"""A scenario's rota staff, one person at a time: add, edit, remove, and their leave.

The Staff page's use cases. A person's fields are checked by the same parser as a staff-list file
(`importers.rota_staff.parse_staff_record`) and against the scenario as an import is
(`rota_staff.check_staff_rows`), so a form and a file accept and refuse the same things, with
messages naming the field. Every change needs the workforce permission on a draft scenario, is
one transaction, is audited, and an edit or removal of a person changed by someone else since
it was read is refused (`scenarios.optimistic_edit`).

Requests (a wish to work, or not, a kind of shift on a day, with a weight from 1 to 10) are
checked the same way for the form and for a file (`importers.rota_requests.parse_request_record`,
then `check_request_rows` against the person's role and the dates a rota may cover).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import Organisation, RotaLeave, RotaRequest, RotaStaff, Scenario
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.rota_assumptions import WORKFORCE_GROUP
from ics_capacity.domain.staff import StaffRole
from ics_capacity.importers.problems import ImportProblem
from ics_capacity.importers.rota_requests import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    REQUESTS,
    RequestRow,
    parse_request_record,
)
from ics_capacity.importers.rota_staff import StaffRow, parse_staff_record
from ics_capacity.services.rota import (
    KIND_LABELS,
    STAFF_ROLE_LABELS,
    THEATRE_KINDS,
    WARD_KINDS,
    hourly_cost_pence,
)
from ics_capacity.services.rota_staff import check_staff_rows
from ics_capacity.services.scenarios import (
    EDITABLE_STATUSES,
    ConflictError,
    FieldValueError,
    ScenarioError,
    audit,
    optimistic_edit,
    scenario_transaction,
)

FORM = "The staff form"
# How the form's messages name each field (the parser's meanings).
FIELD_LABELS: dict[str, str] = {
    "code": "Staff code",
    "label": "Name or role label",
    "trust": "Trust (ODS code)",
    "home_site": "Home site",
    "role": "Role",
    "grade": "Grade",
    "contract": "Contract",
    "employment": "Employment",
    "skills": "Skills",
    "sites": "Sites they may work at",
    "hours": "Contracted hours per week",
    "hourly_cost": "Hourly cost (£)",
}
# The longest text each column holds (db/models.py).
LIMITS = {"code": 40, "label": 200, "grade": 60, "skills": 500, "sites": 500}
LEAVE_KINDS = {
    "annual_leave": "Annual leave",
    "study_leave": "Study leave",
    "fixed_day_off": "Fixed day off",
}
MAX_LEAVE_DAYS = 366
MAX_LEAVE_ROWS = 200
REQUEST_FORM = "The request form"
REQUEST_LABELS: dict[str, str] = {
    "staff": "Staff code",
    "date": "Date",
    "shift": "Shift",
    "request": "On or off",
    "weight": "Weight",
    "note": "Note",
}
WEIGHT_RANGE = (MIN_WEIGHT, MAX_WEIGHT)
MAX_REQUESTS_PER_PERSON = 400
REQUEST_DAYS_BEFORE = 366
REQUEST_DAYS_AFTER = 2 * 366
"""A request's date is at most a year before today (a rota being rebuilt) and two years after."""


@dataclass(frozen=True)
class LeaveView:
    """One span of a person's leave."""

    id: int
    kind: str
    kind_label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class RequestView:
    """One of a person's requests, with the version its edit must match."""

    id: int
    on_date: dt.date
    shift_kind: str  # "" = the whole day
    shift_label: str
    kind: str  # "on" | "off"
    kind_label: str
    weight: int
    note: str
    version: int


@dataclass(frozen=True)
class StaffView:
    """A person as the Staff page lists them, with the version their edit must match."""

    code: str
    label: str
    trust: str
    role: str
    role_label: str
    grade: str
    contract: str
    employment: str
    hours: float
    home_site: str
    sites: str
    skills: str
    version: int
    leave: tuple[LeaveView, ...]
    requests: tuple[RequestView, ...] = ()


@dataclass(frozen=True)
class StaffList:
    """A scenario's staff, and whether it is a draft whose staff may be changed."""

    editable: bool
    people: list[StaffView]


def list_staff(token: str | None, scenario_id: int) -> StaffList:
    """The scenario's staff, by code, with their leave."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session = use.session
        trusts = dict(session.exec(select(Organisation.id, Organisation.ods_code)).all())
        people = session.exec(
            select(RotaStaff)
            .where(RotaStaff.scenario_id == use.scenario.id)
            .order_by(col(RotaStaff.code))
        ).all()
        leave: dict[int, list[LeaveView]] = {}
        for row in session.exec(
            select(RotaLeave)
            .where(col(RotaLeave.staff_id).in_([p.id for p in people]))
            .order_by(col(RotaLeave.start_date))
        ):
            leave.setdefault(row.staff_id, []).append(
                LeaveView(
                    row.id or 0, row.kind, LEAVE_KINDS[row.kind], row.start_date, row.end_date
                )
            )
        requests: dict[int, list[RequestView]] = {}
        for req in session.exec(
            select(RotaRequest)
            .where(col(RotaRequest.staff_id).in_([p.id for p in people]))
            .order_by(col(RotaRequest.on_date), col(RotaRequest.shift_kind))
        ):
            requests.setdefault(req.staff_id, []).append(_request_view(req))
        people_views = [
            StaffView(
                code=p.code,
                label=p.label,
                trust=trusts.get(p.organisation_id, ""),
                role=p.role,
                role_label=_role_label(p.role),
                grade=p.grade,
                contract=p.contract,
                employment=p.employment,
                hours=p.contracted_minutes_per_week / 60,
                home_site=p.home_site_code,
                sites=";".join(s for s in p.sites.split(",") if s),
                skills=";".join(s for s in p.skills.split(",") if s),
                version=p.version,
                leave=tuple(leave.get(p.id or 0, [])),
                requests=tuple(requests.get(p.id or 0, [])),
            )
            for p in people
        ]
        return StaffList(use.scenario.status in EDITABLE_STATUSES, people_views)


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
        existing = _person(session, scenario, row.code, required=expected_version is not None)
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


def _role_label(role: str) -> str:
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
        f"{_role_label(person.role)}, "
        f"{person.contracted_minutes_per_week / 60:g} h/week, sites {person.sites}"
    )


def _person(
    session: Session, scenario: Scenario, code: str, *, required: bool = True
) -> RotaStaff | None:
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
        person = _person(session, scenario, code)
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
        person = _person(session, scenario, code)
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


# --- Requests: wishes to work, or not, a shift on a day -------------------------------------------


def _request_view(req: RotaRequest) -> RequestView:
    return RequestView(
        id=req.id or 0,
        on_date=req.on_date,
        shift_kind=req.shift_kind,
        shift_label=_shift_label(req.shift_kind, req.kind),
        kind=req.kind,
        kind_label=REQUESTS.get(req.kind, req.kind),
        weight=req.weight,
        note=req.note,
        version=req.version,
    )


def _shift_label(shift_kind: str, kind: str) -> str:
    if shift_kind:
        return f"{KIND_LABELS.get(shift_kind, shift_kind)} ({shift_kind})"
    return "Any shift" if kind == "on" else "Whole day off"


def _kinds_for(role: str) -> tuple[str, ...]:
    return WARD_KINDS if role == StaffRole.WARD_NURSE else THEATRE_KINDS


def request_shift_choices(role: str) -> list[tuple[str, str]]:
    """(value, label) of the shifts a person of this role may ask for; "" is the whole day."""
    return [("", "Whole day")] + [(k, f"{KIND_LABELS[k]} ({k})") for k in _kinds_for(role)]


def request_problems(
    rows: list[RequestRow],
    roles: Mapping[str, str],
    columns: Mapping[str, str],
    file: str,
    today: dt.date | None = None,
) -> list[ImportProblem]:
    """Every way the requests do not fit the scenario: unknown people, shifts, dates.

    Args:
        rows: Requests checked for form.
        roles: Staff code -> role, for the scenario's staff.
        columns: How the problems name each field (the file's column, the form's label).
        file: The file's name or "The request form".
        today: The date the range of allowed dates is counted from (default: today).
    """
    today = today or dt.date.today()
    first = today - dt.timedelta(days=REQUEST_DAYS_BEFORE)
    last = today + dt.timedelta(days=REQUEST_DAYS_AFTER)
    problems = []
    for r in rows:
        row = r.row or None

        def at(meaning: str) -> str:
            return columns.get(meaning, meaning)

        role = roles.get(r.staff_code)
        if role is None:
            problems.append(
                ImportProblem(
                    file, row, at("staff"), r.staff_code, "is not one of this scenario's staff."
                )
            )
        elif r.shift_kind and r.shift_kind not in _kinds_for(role):
            kinds = _kinds_for(role)
            problems.append(
                ImportProblem(
                    file,
                    row,
                    at("shift"),
                    r.shift_kind,
                    f"is not a shift {r.staff_code} works: {_role_label(role).lower()}s work "
                    f"{', '.join(kinds)} (or leave it blank for the whole day).",
                )
            )
        if not first <= r.on_date <= last:
            problems.append(
                ImportProblem(
                    file,
                    row,
                    at("date"),
                    r.on_date.isoformat(),
                    f"is outside the dates a rota may cover ({first:%d %b %Y} to {last:%d %b %Y}).",
                )
            )
    return problems


def _checked_request(
    session: Session, scenario: Scenario, code: str, fields: Mapping[str, str]
) -> tuple[RotaStaff, RequestRow]:
    """The form's request for the person, checked; or every problem, in words."""
    person = _person(session, scenario, code)
    assert person is not None  # required

    def cell(meaning: str) -> str:
        return person.code if meaning == "staff" else str(fields.get(meaning, "")).strip()

    row, problems = parse_request_record(cell, REQUEST_LABELS, REQUEST_FORM, None)
    if row is not None:
        problems = request_problems([row], {person.code: person.role}, REQUEST_LABELS, REQUEST_FORM)
    if row is None or problems:
        raise FieldValueError(_say_request(problems))
    return person, row


def _say_request(problems: list[ImportProblem]) -> str:
    return " ".join(
        f"{p.column or 'The form'}{f' ({p.value})' if p.value else ''} {p.reason}" for p in problems
    )


def _same_request(
    session: Session, person: RotaStaff, row: RequestRow, other_than: int | None = None
) -> RotaRequest | None:
    return session.exec(
        select(RotaRequest).where(
            RotaRequest.staff_id == person.id,
            RotaRequest.on_date == row.on_date,
            RotaRequest.shift_kind == row.shift_kind,
            RotaRequest.id != (other_than or 0),
        )
    ).first()


def _describe_request(code: str, req: RotaRequest | RequestRow) -> str:
    kind = req.kind
    return (
        f"{code} {REQUESTS.get(kind, kind).lower()} {_shift_label(req.shift_kind, kind).lower()} "
        f"on {req.on_date:%a %d %b %Y} (weight {req.weight})"
    )


def add_request(token: str | None, scenario_id: int, code: str, fields: Mapping[str, str]) -> None:
    """Adds a request of a person: `fields` date, shift ("" = whole day), request, weight, note.

    Raises:
        FieldValueError: a field is wrong (every problem, naming its field).
        ScenarioError: unknown person; the person already has a request that day for that shift;
            the scenario is not a draft.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        person, row = _checked_request(session, scenario, code, fields)
        assert person.id is not None  # stored
        if _same_request(session, person, row) is not None:
            raise ScenarioError(
                f"{person.code} already has a request for {row.on_date:%a %d %b %Y} "
                f"({_shift_label(row.shift_kind, row.kind).lower()}); edit that one instead."
            )
        count = session.exec(
            select(sa.func.count())
            .select_from(RotaRequest)
            .where(RotaRequest.staff_id == person.id)
        ).one()
        if count >= MAX_REQUESTS_PER_PERSON:
            raise FieldValueError(
                f"{person.code} already has {MAX_REQUESTS_PER_PERSON} requests; remove some first."
            )
        session.add(_new_request(person.id, row, use.principal.email))
        audit(
            session,
            use.principal,
            scenario,
            "staff.request_add",
            f"Added a request: {_describe_request(person.code, row)}",
            entity="rota_request",
            entity_id=person.code,
            new=row.note,
        )
        try:
            session.flush()  # the unique request per person, day and shift is checked here
        except sa.exc.IntegrityError as error:
            raise ConflictError(
                f"{person.code} was given a request for that day a moment ago; nothing was saved."
            ) from error


def _new_request(staff_id: int, row: RequestRow, user: str) -> RotaRequest:
    return RotaRequest(
        staff_id=staff_id,
        on_date=row.on_date,
        shift_kind=row.shift_kind,
        kind=row.kind,
        weight=row.weight,
        note=row.note,
        updated_by=user,
    )


def _request_of(
    session: Session, scenario: Scenario, request_id: int
) -> tuple[RotaRequest, RotaStaff]:
    found = session.exec(
        select(RotaRequest, RotaStaff)
        .join(RotaStaff, col(RotaStaff.id) == RotaRequest.staff_id)
        .where(RotaRequest.id == request_id, RotaStaff.scenario_id == scenario.id)
    ).first()
    if found is None:
        raise ScenarioError("That request is not in this scenario.")
    return found[0], found[1]


def edit_request(
    token: str | None,
    scenario_id: int,
    request_id: int,
    fields: Mapping[str, str],
    *,
    expected_version: int,
) -> None:
    """Changes one request (date, shift, on or off, weight, note), if nobody changed it meanwhile.

    Raises:
        FieldValueError: a field is wrong.
        ConflictError: the request was changed by someone else since it was read.
        ScenarioError: the request is not in this scenario; the change would repeat another
            request of the person; the scenario is not a draft.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        req, person = _request_of(session, scenario, request_id)
        _, row = _checked_request(session, scenario, person.code, fields)
        if _same_request(session, person, row, other_than=req.id) is not None:
            raise ScenarioError(
                f"{person.code} already has another request for {row.on_date:%a %d %b %Y} "
                f"({_shift_label(row.shift_kind, row.kind).lower()})."
            )
        before = _describe_request(person.code, req)
        with optimistic_edit(session, req, expected_version, f"The request of {person.code}"):
            req.on_date, req.shift_kind, req.kind = row.on_date, row.shift_kind, row.kind
            req.weight, req.note, req.updated_by = row.weight, row.note, use.principal.email
            session.add(req)
            audit(
                session,
                use.principal,
                scenario,
                "staff.request_edit",
                f"Changed a request: {before} → {_describe_request(person.code, row)}",
                entity="rota_request",
                entity_id=person.code,
                new=row.note,
            )
            session.flush()


def remove_request(
    token: str | None, scenario_id: int, request_id: int, *, expected_version: int
) -> None:
    """Removes one request, if nobody changed it since it was read."""
    with scenario_transaction(token, scenario_id, Permission.EDIT_WORKFORCE, editable=True) as use:
        session, scenario = use.session, use.scenario
        req, person = _request_of(session, scenario, request_id)
        with optimistic_edit(session, req, expected_version, f"The request of {person.code}"):
            audit(
                session,
                use.principal,
                scenario,
                "staff.request_remove",
                f"Removed a request: {_describe_request(person.code, req)}",
                entity="rota_request",
                entity_id=person.code,
            )
            session.delete(req)
            session.flush()


def check_request_rows(
    session: Session,
    scenario: Scenario,
    rows: list[RequestRow],
    columns: Mapping[str, str],
    file: str,
) -> list[ImportProblem]:
    """`request_problems` against the scenario's staff (for an import)."""
    roles = dict(
        session.exec(
            select(RotaStaff.code, RotaStaff.role).where(RotaStaff.scenario_id == scenario.id)
        ).all()
    )
    return request_problems(rows, roles, columns, file)


def merge_requests(
    session: Session, scenario: Scenario, rows: list[RequestRow], user: str
) -> tuple[int, int]:
    """Writes a file's requests: each one replaces the person's request for that day and shift.

    Requests the file does not mention are kept. Returns (added, changed).
    """
    people = {
        p.code: p.id
        for p in session.exec(select(RotaStaff).where(RotaStaff.scenario_id == scenario.id)).all()
    }
    existing = {
        (r.staff_id, r.on_date, r.shift_kind): r
        for r in session.exec(
            select(RotaRequest).where(col(RotaRequest.staff_id).in_(list(people.values())))
        ).all()
    }
    added = changed = 0
    for row in rows:
        staff_id = people[row.staff_code]
        assert staff_id is not None  # stored
        current = existing.get((staff_id, row.on_date, row.shift_kind))
        if current is None:
            session.add(_new_request(staff_id, row, user))
            added += 1
        elif (current.kind, current.weight, current.note) != (row.kind, row.weight, row.note):
            current.kind, current.weight, current.note = row.kind, row.weight, row.note
            current.updated_by = user
            session.add(current)
            changed += 1
    session.flush()
    return added, changed
