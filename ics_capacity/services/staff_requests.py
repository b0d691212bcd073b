"""A person's requests: a wish to work, or not, a kind of shift on a day, weighted 1 to 10.

Checked the same way for the Staff page's form and for a file
(`importers.rota_requests.parse_request_record`, then `check_request_rows` against the person's
role and the dates a rota may cover); `merge_requests` is what an imported file writes. Every
change needs the workforce permission on a draft scenario and is one audited transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import RotaRequest, RotaStaff, Scenario
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.staff import StaffRole
from ics_capacity.importers.problems import ImportProblem
from ics_capacity.importers.rota_requests import (
    MAX_WEIGHT,
    MIN_WEIGHT,
    REQUESTS,
    RequestRow,
    parse_request_record,
)
from ics_capacity.services.rota import (
    KIND_LABELS,
    THEATRE_KINDS,
    WARD_KINDS,
)
from ics_capacity.services.scenarios import (
    ConflictError,
    FieldValueError,
    ScenarioError,
    audit,
    optimistic_edit,
    scenario_transaction,
)
from ics_capacity.services.staff_people import find_person, role_label

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


# --- Requests: wishes to work, or not, a shift on a day -------------------------------------------


def request_view(req: RotaRequest) -> RequestView:
    """A stored request as the Staff page lists it."""
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
                    f"is not a shift {r.staff_code} works: {role_label(role).lower()}s work "
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
    person = find_person(session, scenario, code)
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
