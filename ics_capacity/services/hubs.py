"""Hubs are the collaborative's decision: mark sites as elective hubs, and set their work.

A site's treatment functions, sessions a week per theatre and place on the map are set with it.

One use case per site, like site capacity (services/capacity.py): the editor quotes the site's
row version, a stale version is refused naming who changed it, every change is audited with its
old and new values, and the figures changed become local in the scenario's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    CaseMix,
    Organisation,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.services.provenance import mark_local
from ics_capacity.services.scenario_changes import mark_scenario_changed
from ics_capacity.services.scenarios import (
    FieldValueError,
    ScenarioError,
    audit,
    optimistic_edit,
    scenario_transaction,
)

MAX_SESSIONS_PER_THEATRE = 21  # three sessions a day, seven days a week


@dataclass(frozen=True)
class HubSiteView:
    """A site as the hub form shows it; numbers as text for the form's fields."""

    code: str
    name: str
    operator: str
    is_hub: bool
    treatment_functions: str
    sessions_per_week: str
    latitude: str
    longitude: str
    version: int


def _view(session: Session, site: Site) -> HubSiteView:
    tfcs = session.exec(
        select(SiteTreatmentFunction.tfc)
        .where(SiteTreatmentFunction.site_id == site.id)
        .order_by(SiteTreatmentFunction.tfc)
    ).all()
    theatre = session.exec(
        select(TheatreCapacity).where(TheatreCapacity.site_id == site.id)
    ).first()
    operator = session.get(Organisation, site.operator_id)
    return HubSiteView(
        code=site.code,
        name=site.name,
        operator=operator.ods_code if operator else "",
        is_hub=bool(site.is_elective_hub),
        treatment_functions=", ".join(tfcs),
        sessions_per_week=str(theatre.sessions_per_week) if theatre else "0",
        latitude="" if site.latitude is None else f"{site.latitude:g}",
        longitude="" if site.longitude is None else f"{site.longitude:g}",
        version=site.version,
    )


def hub_sites(token: str | None, scenario_id: int) -> list[HubSiteView]:
    """The scenario's sites as the hub form shows them, for anyone who may view it."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        sites = use.session.exec(
            select(Site).where(Site.scenario_id == use.scenario.id).order_by(Site.code)
        ).all()
        return [_view(use.session, s) for s in sites]


def _codes(session: Session, scenario: Scenario, text: str) -> list[str]:
    """The treatment functions asked for, each checked to have a case mix in the scenario."""
    asked = sorted({c.strip().upper() for c in text.replace(";", ",").split(",") if c.strip()})
    known = set(session.exec(select(CaseMix.tfc).where(CaseMix.scenario_id == scenario.id)))
    unknown = [c for c in asked if c not in known]
    if unknown:
        raise FieldValueError(
            f"Treatment functions: {', '.join(unknown)} "
            + ("has" if len(unknown) == 1 else "have")
            + f" no case mix in '{scenario.name}'; use one of {', '.join(sorted(known))}."
        )
    return asked


def _sessions(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise FieldValueError(
            f"Sessions a week per theatre: '{text}' is not a whole number."
        ) from None
    if not 0 <= value <= MAX_SESSIONS_PER_THEATRE:
        raise FieldValueError(
            f"Sessions a week per theatre: {value} is outside 0 to {MAX_SESSIONS_PER_THEATRE}."
        )
    return value


def _place(latitude: str, longitude: str) -> tuple[float | None, float | None]:
    if not latitude.strip() and not longitude.strip():
        return None, None
    try:
        lat, lon = float(latitude), float(longitude)
    except ValueError:
        raise FieldValueError(
            "Location: give both latitude and longitude in degrees (e.g. 52.45 and -1.93), "
            "or neither."
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FieldValueError("Location: latitude is -90 to 90 and longitude -180 to 180.")
    return lat, lon


def set_hub(
    token: str | None,
    scenario_id: int,
    site_code: str,
    *,
    is_hub: bool,
    treatment_functions: str,
    sessions_per_week: str,
    latitude: str,
    longitude: str,
    expected_version: int,
) -> HubSiteView:
    """Saves a site's hub choice, treatment functions, sessions and location.

    Returns:
        The site as saved.

    Raises:
        FieldValueError: a value is not valid (the field is named).
        ConflictError: the site changed since `expected_version`.
        ScenarioError: no such site, or the caller may not edit this scenario's capacity.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        site = session.exec(
            select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
        ).first()
        if site is None:
            raise ScenarioError(f"Site {site_code} is not in '{scenario.name}'.")
        tfcs = _codes(session, scenario, treatment_functions)
        sessions = _sessions(sessions_per_week)
        lat, lon = _place(latitude, longitude)
        before = _view(session, site)
        theatre = session.exec(
            select(TheatreCapacity).where(TheatreCapacity.site_id == site.id)
        ).first()
        if theatre is None and sessions:
            raise FieldValueError(
                f"Sessions a week per theatre: {site.name} has no theatres; add them in the "
                "site capacity table or the sites template first."
            )
        with optimistic_edit(session, site, expected_version, site.name):
            site.is_elective_hub = is_hub
            site.latitude, site.longitude = lat, lon
            site.updated_by = principal.email
            session.add(site)
            session.execute(
                sa.delete(SiteTreatmentFunction).where(
                    col(SiteTreatmentFunction.site_id) == site.id
                )
            )
            session.add_all(SiteTreatmentFunction(site_id=int(site.id or 0), tfc=t) for t in tfcs)
            if theatre is not None and theatre.sessions_per_week != sessions:
                theatre.sessions_per_week = sessions
                theatre.updated_by = principal.email
                session.add(theatre)
            after = HubSiteView(
                code=site.code,
                name=site.name,
                operator=before.operator,
                is_hub=is_hub,
                treatment_functions=", ".join(tfcs),
                sessions_per_week=str(sessions),
                latitude="" if lat is None else f"{lat:g}",
                longitude="" if lon is None else f"{lon:g}",
                version=site.version,
            )
            _audit_changes(session, principal, scenario, site, before, after)
            session.flush()
            mark_scenario_changed(session, scenario.id, principal.email)
        return _view(session, site)


_FIELDS = (
    ("is_hub", "elective hub", "site", "is_elective_hub"),
    ("treatment_functions", "treatment functions", "site", "treatment_functions"),
    ("sessions_per_week", "sessions a week per theatre", "theatre_capacity", "sessions_per_week"),
    ("latitude", "latitude", "site", "location"),
    ("longitude", "longitude", "site", "location"),
)


def _audit_changes(
    session: Session,
    principal,
    scenario: Scenario,
    site: Site,
    before: HubSiteView,
    after: HubSiteView,
) -> None:
    for attribute, label, entity, field in _FIELDS:
        old, new = getattr(before, attribute), getattr(after, attribute)
        if old == new:
            continue
        audit(
            session,
            principal,
            scenario,
            "hub.edit",
            f"{site.name}: {label} {old if old != '' else '(none)'} → "
            f"{new if new != '' else '(none)'}",
            entity=entity,
            entity_id=site.code,
            field=field,
            old=old,
            new=new,
        )
        mark_local(
            session,
            int(scenario.id or 0),
            entity,
            site.code,
            field,
            f"set on the scenario page by {principal.email}",
            principal.email,
        )
