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

The parts: `staff_people` (a person and their leave) and `staff_requests` (their requests);
this module lists the staff, and every public name of the parts is importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from ics_capacity.db.models import Organisation, RotaLeave, RotaRequest, RotaStaff
from ics_capacity.domain.roles import Permission
from ics_capacity.services.scenarios import (
    EDITABLE_STATUSES,
    ConflictError,
    FieldValueError,
    ScenarioError,
    scenario_transaction,
)
from ics_capacity.services.staff_people import (
    FIELD_LABELS,
    FORM,
    LEAVE_KINDS,
    LIMITS,
    MAX_LEAVE_DAYS,
    MAX_LEAVE_ROWS,
    LeaveView,
    add_leave,
    remove_leave,
    remove_person,
    role_label,
    save_person,
)
from ics_capacity.services.staff_requests import (
    MAX_REQUESTS_PER_PERSON,
    REQUEST_DAYS_AFTER,
    REQUEST_DAYS_BEFORE,
    REQUEST_FORM,
    REQUEST_LABELS,
    WEIGHT_RANGE,
    RequestView,
    add_request,
    check_request_rows,
    edit_request,
    merge_requests,
    remove_request,
    request_problems,
    request_shift_choices,
    request_view,
)

__all__ = [
    "ConflictError",
    "FieldValueError",
    "ScenarioError",
    "FIELD_LABELS",
    "FORM",
    "LEAVE_KINDS",
    "LIMITS",
    "LeaveView",
    "MAX_LEAVE_DAYS",
    "MAX_LEAVE_ROWS",
    "MAX_REQUESTS_PER_PERSON",
    "REQUEST_DAYS_AFTER",
    "REQUEST_DAYS_BEFORE",
    "REQUEST_FORM",
    "REQUEST_LABELS",
    "RequestView",
    "StaffList",
    "StaffView",
    "WEIGHT_RANGE",
    "add_leave",
    "add_request",
    "check_request_rows",
    "edit_request",
    "list_staff",
    "merge_requests",
    "remove_leave",
    "remove_person",
    "remove_request",
    "request_problems",
    "request_shift_choices",
    "save_person",
]


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
            requests.setdefault(req.staff_id, []).append(request_view(req))
        people_views = [
            StaffView(
                code=p.code,
                label=p.label,
                trust=trusts.get(p.organisation_id, ""),
                role=p.role,
                role_label=role_label(p.role),
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
