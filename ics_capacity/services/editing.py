"""Editing a scenario's case-mix, workforce and sites, and undoing one's last change.

Case-mix and workforce figures are edited like site capacity (services/capacity.py): the editor
quotes the row version they saw, a stale version is refused naming who changed the row, and each
saved change is audited with its old and new value. Undo reverts the user's own last audited edit
in the scenario, and only if nobody has changed that figure since.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    CaseMix,
    HubStandardSetting,
    Organisation,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    TreatmentFunction,
    Workforce,
)
from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.domain.roles import Permission
from ics_capacity.services.capacity import (
    EDITABLE_FIELDS,
    EditableField,
    parse_value,
)
from ics_capacity.services.scenarios import (
    ConflictError,
    FieldValueError,
    ScenarioError,
    audit,
    checked_text,
    optimistic_edit,
    scenario_transaction,
)

# The longest site code and name the site table holds (db/models/capacity.py).
SITE_CODE_MAX = 20
SITE_NAME_MAX = 200

CASE_MIX_FIELDS: dict[str, EditableField] = {
    f.key: f
    for f in (
        EditableField(
            "minutes_per_case", "Theatre minutes per case", CaseMix, "minutes_per_case", 1, 1440
        ),
        EditableField(
            "length_of_stay_days",
            "Length of stay (days)",
            CaseMix,
            "length_of_stay_days",
            0,
            365,
            is_rate=False,
        ),
        EditableField(
            "day_case_rate", "Day-case rate", CaseMix, "day_case_rate", 0, 1, is_rate=True
        ),
    )
}
WORKFORCE_FIELDS: dict[str, EditableField] = {
    f.key: f
    for f in (
        EditableField("fte", "Full-time equivalent", Workforce, "fte", 0, 100_000),
        EditableField("headcount", "Headcount", Workforce, "headcount", 0, 100_000),
    )
}
# entity -> (fields, permission, audit action)
ENTITIES: dict[str, tuple[dict[str, EditableField], Permission, str]] = {
    "case_mix": (CASE_MIX_FIELDS, Permission.EDIT_CAPACITY, "casemix.edit"),
    "workforce": (WORKFORCE_FIELDS, Permission.EDIT_WORKFORCE, "workforce.edit"),
}
DECIMAL_FIELDS = {"length_of_stay_days": Decimal("0.01"), "fte": Decimal("0.01")}


@dataclass(frozen=True)
class CaseMixRow:
    """One treatment function's case-mix in a scenario."""

    id: int
    tfc: str
    name: str
    minutes_per_case: int
    length_of_stay_days: float
    day_case_rate: float
    version: int
    updated_by: str


@dataclass(frozen=True)
class WorkforceRow:
    """Staff in post at one trust in one staff group."""

    id: int
    trust: str
    staff_group: str
    headcount: int
    fte: float
    version: int
    updated_by: str


def read_case_mix(token: str, scenario_id: int) -> list[CaseMixRow]:
    """The scenario's case-mix, by treatment function code."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        rows = use.session.exec(
            select(CaseMix).where(CaseMix.scenario_id == use.scenario.id).order_by(CaseMix.tfc)
        ).all()
        return [
            CaseMixRow(
                r.id,
                r.tfc,
                SHORT_NAMES.get(r.tfc, r.tfc),
                r.minutes_per_case,
                float(r.length_of_stay_days),
                float(r.day_case_rate),
                r.version,
                r.updated_by,
            )
            for r in rows
        ]


def read_workforce(token: str, scenario_id: int) -> list[WorkforceRow]:
    """The scenario's staff in post, by trust and staff group."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        rows = use.session.exec(
            select(Workforce, Organisation.name)
            .join(Organisation, Organisation.id == Workforce.organisation_id)
            .where(Workforce.scenario_id == use.scenario.id)
            .order_by(Organisation.name, Workforce.staff_group)
        ).all()
        return [
            WorkforceRow(
                w.id, name, w.staff_group, w.headcount, float(w.fte), w.version, w.updated_by
            )
            for w, name in rows
        ]


def _parse(field: EditableField, raw: str) -> int | Decimal:
    if field.key in DECIMAL_FIELDS:
        text = str(raw).strip().replace(",", "")
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            raise FieldValueError(f"{field.label}: '{raw}' is not a number.")
        if not field.minimum <= number <= field.maximum:
            raise FieldValueError(
                f"{field.label}: '{raw}' is out of range; it must be "
                f"{field.minimum:,.0f} to {field.maximum:,.0f}."
            )
        return number.quantize(DECIMAL_FIELDS[field.key])
    return parse_value(field, raw)


def update_field(
    token: str,
    scenario_id: int,
    entity: str,
    row_id: int,
    field_key: str,
    raw_value: str,
    expected_version: int,
) -> None:
    """Saves one edited case-mix or workforce figure under optimistic locking, audited."""
    if entity not in ENTITIES:
        raise FieldValueError(f"'{entity}' cannot be edited here.")
    fields, permission, action = ENTITIES[entity]
    field = fields.get(field_key)
    if field is None:
        raise FieldValueError(f"'{field_key}' is not an editable figure.")
    value = _parse(field, raw_value)
    with scenario_transaction(token, scenario_id, permission, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        row = session.get(field.table, row_id)
        if row is None or row.scenario_id != scenario.id:
            raise ScenarioError(f"That row is not in '{scenario.name}'.")
        what = _describe(session, entity, row)
        with optimistic_edit(session, row, expected_version, what):
            old = getattr(row, field.column)
            if Decimal(str(old)) == Decimal(str(value)):
                return
            setattr(row, field.column, value)
            row.updated_by = principal.email
            session.add(row)
            audit(
                session,
                principal,
                scenario,
                action,
                f"{what}: {field.label} {_show(field, old)} → {_show(field, value)}",
                entity=field.table.__tablename__,
                entity_id=row.id,
                field=field.column,
                old=old,
                new=value,
            )


def _describe(session: Session, entity: str, row: SQLModel) -> str:
    if entity == "case_mix":
        return f"Case-mix of {SHORT_NAMES.get(row.tfc, row.tfc)}"
    org = session.get(Organisation, row.organisation_id)
    return f"{row.staff_group} at {org.name if org else 'the trust'}"


# --- Sites -------------------------------------------------------------------------------------


def add_site(
    token: str,
    scenario_id: int,
    *,
    code: str,
    name: str,
    operator_ods_code: str,
    is_elective_hub: bool,
    theatres: str,
    sessions_per_week: str,
    elective_overnight_beds: str,
    day_case_places: str,
    treatment_functions: list[str],
) -> int:
    """Adds a site (e.g. a new elective hub) with its theatres and beds; returns its id."""
    code = code.strip().upper()
    name = name.strip()
    if not code or not name:
        raise FieldValueError("A site needs a short code and a name.")
    checked_text(code, SITE_CODE_MAX, "A site code")
    checked_text(name, SITE_NAME_MAX, "A site name")
    numbers = {
        key: parse_value(EDITABLE_FIELDS[key], raw)
        for key, raw in (
            ("theatres", theatres),
            ("sessions_per_week", sessions_per_week),
            ("elective_overnight_beds", elective_overnight_beds),
            ("day_case_places", day_case_places),
        )
    }
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        if session.exec(
            select(Site.id).where(Site.scenario_id == scenario.id, Site.code == code)
        ).first():
            raise FieldValueError(f"Site code {code} is already used in '{scenario.name}'.")
        operator = session.exec(
            select(Organisation).where(Organisation.ods_code == operator_ods_code.strip().upper())
        ).first()
        if operator is None:
            raise FieldValueError(f"'{operator_ods_code}' is not a known trust ODS code.")
        known = set(session.exec(select(TreatmentFunction.code)).all())
        unknown = [t for t in treatment_functions if t not in known]
        if unknown:
            raise FieldValueError(f"Unknown treatment function codes: {', '.join(unknown)}.")
        site = Site(
            scenario_id=scenario.id,
            code=code,
            name=name,
            operator_id=operator.id,
            is_elective_hub=is_elective_hub,
            source=f"Added by {principal.email}",
            updated_by=principal.email,
        )
        session.add(site)
        session.flush()
        session.add_all(
            SiteTreatmentFunction(site_id=site.id, tfc=t)
            for t in dict.fromkeys(treatment_functions)
        )
        session.add(
            TheatreCapacity(
                scenario_id=scenario.id,
                site_id=site.id,
                theatres=numbers["theatres"],
                sessions_per_week=numbers["sessions_per_week"],
                updated_by=principal.email,
            )
        )
        session.add(
            BedCapacity(
                scenario_id=scenario.id,
                site_id=site.id,
                elective_overnight_beds=numbers["elective_overnight_beds"],
                day_case_places=numbers["day_case_places"],
                updated_by=principal.email,
            )
        )
        audit(
            session,
            principal,
            scenario,
            "site.add",
            f"Added {'elective hub' if is_elective_hub else 'site'} {name} ({code})",
            entity="site",
            entity_id=code,
        )
        return site.id


def delete_site(token: str, scenario_id: int, site_id: int, expected_version: int) -> None:
    """Removes a site and its capacity from a draft scenario."""
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        site = session.get(Site, site_id)
        if site is None or site.scenario_id != scenario.id:
            raise ScenarioError("That site is not in this scenario.")
        theatre = session.exec(
            select(TheatreCapacity).where(TheatreCapacity.site_id == site.id)
        ).first()
        if theatre is not None and theatre.version != expected_version:
            raise ConflictError(
                f"{site.name} was changed by {theatre.updated_by} after you opened it; it was "
                "not deleted."
            )
        name, code = site.name, site.code
        for table in (SiteTreatmentFunction, TheatreCapacity, BedCapacity, HubStandardSetting):
            session.execute(sa.delete(table).where(table.site_id == site.id))
        session.delete(site)
        audit(
            session,
            principal,
            scenario,
            "site.delete",
            f"Deleted site {name} ({code})",
            entity="site",
            entity_id=code,
        )


# --- Undo ---------------------------------------------------------------------------------------

_UNDOABLE = {
    "capacity.edit": {"theatre_capacity": TheatreCapacity, "bed_capacity": BedCapacity},
    "casemix.edit": {"case_mix": CaseMix},
    "workforce.edit": {"workforce": Workforce},
}


def undo_last_change(token: str, scenario_id: int) -> str:
    """Reverts the user's own last figure edit in the scenario.

    Returns:
        A sentence saying what was undone.

    Raises:
        ScenarioError: nothing to undo.
        ConflictError: someone changed that figure since; nothing was reverted.
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        event = session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.scenario_id == scenario.id,
                AuditEvent.user_email == principal.email,
                AuditEvent.action.in_(list(_UNDOABLE) + ["undo"]),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        ).first()
        if event is None or event.action == "undo":
            raise ScenarioError("You have no change in this scenario to undo.")
        table = _UNDOABLE[event.action][event.entity]
        permission = Permission.EDIT_WORKFORCE if table is Workforce else Permission.EDIT_CAPACITY
        principal.require(permission, scenario.collaborative_id)
        if table in (TheatreCapacity, BedCapacity):
            row = session.exec(
                select(table)
                .join(Site, Site.id == table.site_id)
                .where(Site.scenario_id == scenario.id, Site.code == event.entity_id)
            ).first()
        else:
            row = session.get(table, int(event.entity_id))
        if row is None:
            raise ScenarioError("The row you changed no longer exists; nothing to undo.")
        current = getattr(row, event.field)
        if Decimal(str(current)) != Decimal(event.new_value):
            raise ConflictError(
                f"{row.updated_by} changed that figure after you; undoing would overwrite "
                "their change, so nothing was reverted."
            )
        old_value = Decimal(event.old_value)
        summary = f"Undid: {event.summary}"
        # The value was compared above, so no version is quoted; a writer at the same moment is.
        with optimistic_edit(session, row, None, "That figure"):
            setattr(
                row,
                event.field,
                int(old_value)
                if old_value == old_value.to_integral_value()
                and event.field not in DECIMAL_FIELDS
                and event.field not in ("utilisation_target", "occupancy_target", "day_case_rate")
                else old_value,
            )
            row.updated_by = principal.email
            session.add(row)
            audit(
                session,
                principal,
                scenario,
                "undo",
                summary,
                entity=event.entity,
                entity_id=event.entity_id,
                field=event.field,
                old=current,
                new=event.old_value,
            )
        return summary


def _show(field: EditableField, value: object) -> str:
    return f"{float(value):.0%}" if field.is_rate else f"{value}"


def scenario_name(session: Session, scenario_id: int) -> str:
    """The scenario's name."""
    scenario = session.get(Scenario, scenario_id)
    return scenario.name if scenario else ""
