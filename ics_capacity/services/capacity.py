"""Site capacity of a scenario: read, edit with optimistic locking, and compare scenarios.

An edit names the row's version as the editor saw it; if someone saved the row since, the edit is
refused with a message naming who changed it and when, and nothing is written. Every saved edit is
recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    CollaborativeMember,
    Organisation,
    Scenario,
    Site,
    TheatreCapacity,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL
from ics_capacity.services.auth import signed_in_transaction
from ics_capacity.services.overview import WaitingCounts, waiting_counts
from ics_capacity.services.provenance import mark_local
from ics_capacity.services.scenario_changes import mark_scenario_changed
from ics_capacity.services.scenarios import (
    FieldValueError,
    ScenarioError,
    audit,
    load_scenario,
    optimistic_edit,
    scenario_transaction,
)


@dataclass(frozen=True)
class EditableField:
    """A capacity figure a planner may edit, with the table it lives in and its valid range."""

    key: str
    label: str
    table: type
    column: str
    minimum: float
    maximum: float
    is_rate: bool = False


EDITABLE_FIELDS: dict[str, EditableField] = {
    f.key: f
    for f in (
        EditableField("theatres", "Theatres", TheatreCapacity, "theatres", 0, 100),
        EditableField(
            "sessions_per_week",
            "Sessions a week per theatre",
            TheatreCapacity,
            "sessions_per_week",
            0,
            21,
        ),
        EditableField(
            "session_minutes",
            "Session length (minutes)",
            TheatreCapacity,
            "session_minutes",
            1,
            720,
        ),
        EditableField(
            "utilisation_target",
            THEATRE_CAP_LABEL,
            TheatreCapacity,
            "utilisation_target",
            0,
            1,
            is_rate=True,
        ),
        EditableField(
            "elective_overnight_beds",
            "Elective overnight beds",
            BedCapacity,
            "elective_overnight_beds",
            0,
            2000,
        ),
        EditableField("day_case_places", "Day-case places", BedCapacity, "day_case_places", 0, 500),
        EditableField(
            "occupancy_target",
            BED_CAP_LABEL,
            BedCapacity,
            "occupancy_target",
            0,
            1,
            is_rate=True,
        ),
    )
}


@dataclass(frozen=True)
class SiteCapacityRow:
    """One site's editable capacity, with the versions the editor saw."""

    site_id: int
    code: str
    name: str
    operator: str
    is_elective_hub: bool
    theatres: int
    sessions_per_week: int
    session_minutes: int
    utilisation_target: float
    elective_overnight_beds: int
    day_case_places: int
    occupancy_target: float
    theatre_version: int
    bed_version: int
    updated_by: str
    updated_at: dt.datetime

    @property
    def theatre_hours_per_week(self) -> float:
        """Usable theatre hours a week after the utilisation cap."""
        return (
            self.theatres
            * self.sessions_per_week
            * self.session_minutes
            * self.utilisation_target
            / 60
        )


def site_capacity(session: Session, scenario_id: int) -> list[SiteCapacityRow]:
    """Every site's capacity in the scenario (no permission check: callers check first)."""
    rows = session.exec(
        select(Site, Organisation.name, TheatreCapacity, BedCapacity)
        .join(Organisation, Organisation.id == Site.operator_id)
        .join(TheatreCapacity, TheatreCapacity.site_id == Site.id)
        .join(BedCapacity, BedCapacity.site_id == Site.id)
        .where(Site.scenario_id == scenario_id)
        .order_by(Site.is_elective_hub.desc(), Site.name)
    ).all()
    result = []
    for site, operator, theatre, bed in rows:
        latest = max((theatre, bed), key=lambda r: r.updated_at)
        result.append(
            SiteCapacityRow(
                site_id=site.id,
                code=site.code,
                name=site.name,
                operator=operator,
                is_elective_hub=site.is_elective_hub,
                theatres=theatre.theatres,
                sessions_per_week=theatre.sessions_per_week,
                session_minutes=theatre.session_minutes,
                utilisation_target=float(theatre.utilisation_target),
                elective_overnight_beds=bed.elective_overnight_beds,
                day_case_places=bed.day_case_places,
                occupancy_target=float(bed.occupancy_target),
                theatre_version=theatre.version,
                bed_version=bed.version,
                updated_by=latest.updated_by,
                updated_at=latest.updated_at,
            )
        )
    return result


def read_site_capacity(token: str, scenario_id: int) -> list[SiteCapacityRow]:
    """The scenario's site capacity for a member of its collaborative."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return site_capacity(use.session, use.scenario.id)


def parse_value(field: EditableField, raw: str) -> int | Decimal:
    """The typed value of an edit, or FieldValueError saying what is allowed."""
    text = str(raw).strip().replace(",", "")
    as_percent = field.is_rate and text.endswith("%")
    try:
        number = Decimal(text.removesuffix("%").strip() if as_percent else text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FieldValueError(f"{field.label}: '{raw}' is not a number.")
    if field.is_rate and (as_percent or 1 < number <= 100):
        number = number / 100  # "85" and "85%" both mean 0.85
    if not field.minimum <= number <= field.maximum:
        shown = (
            f"{field.minimum:.0%} to {field.maximum:.0%}"
            if field.is_rate
            else f"{field.minimum:,.0f} to {field.maximum:,.0f}"
        )
        raise FieldValueError(f"{field.label}: '{raw}' is out of range; it must be {shown}.")
    if field.is_rate:
        return number.quantize(Decimal("0.001"))
    if number != number.to_integral_value():
        raise FieldValueError(f"{field.label}: '{raw}' must be a whole number.")
    return int(number)


def update_site_capacity(
    token: str,
    scenario_id: int,
    site_id: int,
    field_key: str,
    raw_value: str,
    expected_version: int,
) -> SiteCapacityRow:
    """Saves one edited capacity figure if the row is unchanged since the editor read it.

    Returns:
        The row as saved.

    Raises:
        ConflictError: the row changed since `expected_version`; names who changed it and when.
        FieldValueError: the value is not valid for the field.
    """
    field = EDITABLE_FIELDS.get(field_key)
    if field is None:
        raise FieldValueError(f"'{field_key}' is not an editable capacity figure.")
    value = parse_value(field, raw_value)
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        site = session.get(Site, site_id)
        if site is None or site.scenario_id != scenario.id:
            raise ScenarioError(f"Site {site_id} is not in '{scenario.name}'.")
        row = session.exec(select(field.table).where(field.table.site_id == site.id)).one()
        with optimistic_edit(session, row, expected_version, site.name):
            old = getattr(row, field.column)
            if Decimal(str(old)) == Decimal(str(value)):
                return _row(session, scenario.id, site_id)
            setattr(row, field.column, value)
            row.updated_by = principal.email
            session.add(row)
            mark_local(
                session,
                scenario.id,
                field.table.__tablename__,
                site.code,
                field.column,
                f"entered on the scenario page by {principal.email}",
                principal.email,
            )
            audit(
                session,
                principal,
                scenario,
                "capacity.edit",
                f"{site.name}: {field.label} {_show(field, old)} → {_show(field, value)}",
                entity=field.table.__tablename__,
                entity_id=site.code,
                field=field.column,
                old=old,
                new=value,
            )
            # The row's UPDATE carries `WHERE version = seen`: a writer who got there first
            # makes it match nothing, and SQLAlchemy raises StaleDataError.
            session.flush()
            mark_scenario_changed(session, scenario.id, principal.email)
        return _row(session, scenario.id, site_id)


def _row(session: Session, scenario_id: int, site_id: int) -> SiteCapacityRow:
    return next(r for r in site_capacity(session, scenario_id) if r.site_id == site_id)


def _show(field: EditableField, value: object) -> str:
    return f"{float(value):.0%}" if field.is_rate else f"{value}"


# --- Comparison ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioKpis:
    """Headline figures of one scenario, for side-by-side comparison."""

    scenario_id: int
    name: str
    status: str
    waiting_list: int
    over_52_weeks: int
    within_18_weeks_rate: float | None
    waiting_list_all_providers: int
    theatre_hours_per_week: float
    elective_overnight_beds: int
    day_case_places: int
    hubs: int


@dataclass(frozen=True)
class InputDifference:
    """A capacity figure that differs between the compared scenarios."""

    site: str
    field: str
    by_scenario: list[str]


@dataclass(frozen=True)
class SiteFigure:
    """One site's capacity in one scenario, for the comparison charts."""

    scenario: str
    site: str
    theatre_hours_per_week: float
    elective_overnight_beds: int
    day_case_places: int


@dataclass(frozen=True)
class Comparison:
    """Two or three scenarios side by side."""

    kpis: list[ScenarioKpis]
    differences: list[InputDifference]
    sites: list[SiteFigure]


def compare_scenarios(token: str, scenario_ids: list[int]) -> Comparison:
    """KPIs of two or three scenarios of one collaborative, and the inputs that differ."""
    ids = list(dict.fromkeys(scenario_ids))
    if not 2 <= len(ids) <= 3:
        raise ScenarioError("Choose two or three scenarios to compare.")
    with signed_in_transaction(token) as (session, principal):
        scenarios = [load_scenario(session, principal, i, Permission.VIEW) for i in ids]
        if len({s.collaborative_id for s in scenarios}) > 1:
            raise ScenarioError("Scenarios of different collaboratives cannot be compared.")
        capacity = {s.id: {r.code: r for r in site_capacity(session, s.id)} for s in scenarios}
        kpis = [_kpis(session, s, list(capacity[s.id].values())) for s in scenarios]
        differences = []
        codes = sorted(set().union(*[set(c) for c in capacity.values()]))
        for code in codes:
            rows = [capacity[s.id].get(code) for s in scenarios]
            site_name = next(r.name for r in rows if r is not None)
            for field in EDITABLE_FIELDS.values():
                values = ["–" if r is None else _show(field, getattr(r, field.key)) for r in rows]
                if len(set(values)) > 1:
                    differences.append(InputDifference(site_name, field.label, values))
        sites = [
            SiteFigure(
                s.name,
                r.name,
                r.theatre_hours_per_week,
                r.elective_overnight_beds,
                r.day_case_places,
            )
            for s in scenarios
            for r in capacity[s.id].values()
        ]
        return Comparison(kpis, differences, sites)


def _kpis(session: Session, scenario: Scenario, rows: list[SiteCapacityRow]) -> ScenarioKpis:
    """The scenario's key figures; the waiting-list ones as the Overview counts them.

    `waiting_list` and `over_52_weeks` are the member trusts' (catalogue measures `waiting_list`,
    `over_52_weeks`), the same population as the Overview and the Dashboard; the system's total
    with its independent-sector providers is `waiting_list_all_providers`, labelled apart.
    """
    assert scenario.id is not None
    members = list(
        session.exec(
            select(CollaborativeMember.organisation_id).where(
                CollaborativeMember.collaborative_id == scenario.collaborative_id
            )
        ).all()
    )
    everyone = waiting_counts(session, scenario.id)
    own = sum((c for org, c in everyone.items() if org in members), WaitingCounts())
    system = sum(everyone.values(), WaitingCounts())
    return ScenarioKpis(
        scenario_id=scenario.id,
        name=scenario.name,
        status=scenario.status,
        waiting_list=own.waiting_list,
        over_52_weeks=own.over_52_weeks,
        within_18_weeks_rate=own.within_18_weeks / own.waiting_list if own.waiting_list else None,
        waiting_list_all_providers=system.waiting_list,
        theatre_hours_per_week=sum(r.theatre_hours_per_week for r in rows),
        elective_overnight_beds=sum(r.elective_overnight_beds for r in rows),
        day_case_places=sum(r.day_case_places for r in rows),
        hubs=sum(1 for r in rows if r.is_elective_hub),
    )
