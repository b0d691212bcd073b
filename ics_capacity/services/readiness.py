"""Whether a scenario's model holds what a solver needs, said before any solver runs.

An empty or half-built model must never come back as "optimal, 0 treated": the rebalance, the
rota and the projection each ask here first, and refuse with `ModelNotReadyError`, whose
`reasons` name what is missing and where to add it. The CLI prints them as the `invalid_input`
status of its JSON; the pages and the job runner show the message.

Each check reads only (inside a use case that has already checked the caller) and returns every
reason, not the first.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    CollaborativeMember,
    RotaStaff,
    RttActivity,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    WaitingList,
)
from ics_capacity.services.scenarios import ScenarioError

ADMITTED_PART = "Part_2A"
WAITING_PART = "Part_2"

ADD_SITES = "add them on the scenario page or from the sites template"
IMPORT_RTT = "import the RTT extract on the Data page or with `ics-capacity onboard`"


class ModelNotReadyError(ScenarioError):
    """The scenario lacks what a solver needs; `reasons` name each missing piece."""

    def __init__(self, what: str, reasons: list[str]) -> None:
        super().__init__(f"The {what} cannot start: " + "; ".join(reasons) + ".")
        self.what = what
        self.reasons = reasons


def _member_ids(session: Session, scenario: Scenario) -> list[int]:
    return [
        int(m.organisation_id)
        for m in session.exec(
            select(CollaborativeMember).where(
                CollaborativeMember.collaborative_id == scenario.collaborative_id
            )
        ).all()
    ]


def _count(session: Session, query: sa.Select) -> int:
    return int(session.execute(query).scalar_one() or 0)


def _theatre_minutes(t: TheatreCapacity | None) -> float:
    if t is None:
        return 0.0
    return float(t.theatres) * float(t.sessions_per_week) * float(t.session_minutes)


def _capacity_by_site(
    session: Session, scenario: Scenario
) -> tuple[dict[int, TheatreCapacity], dict[int, BedCapacity]]:
    """The scenario's theatre and bed capacity rows, each by site id."""
    theatres = session.exec(
        select(TheatreCapacity).where(TheatreCapacity.scenario_id == scenario.id)
    ).all()
    beds = session.exec(select(BedCapacity).where(BedCapacity.scenario_id == scenario.id)).all()
    return {t.site_id: t for t in theatres}, {b.site_id: b for b in beds}


def rebalance_reasons(session: Session, scenario: Scenario) -> list[str]:
    """What the scenario lacks for a rebalance: lists to treat, and sites that can treat them."""
    reasons: list[str] = []
    members = _member_ids(session, scenario)
    if not members:
        reasons.append(
            "the collaborative has no member trusts: add them with `ics-capacity onboard` "
            "or the ODS trusts file on the Data page"
        )
    case_mix = set(session.exec(select(CaseMix.tfc).where(CaseMix.scenario_id == scenario.id)))
    if not case_mix:
        reasons.append(
            "the scenario has no case mix (minutes per case, length of stay, day-case rate): "
            "load the case-mix template on the Data page"
        )
    if members:
        admitted = _count(
            session,
            sa.select(sa.func.count())
            .select_from(WaitingList)
            .where(
                col(WaitingList.scenario_id) == scenario.id,
                col(WaitingList.part) == ADMITTED_PART,
                col(WaitingList.patients) > 0,
                col(WaitingList.organisation_id).in_(members),
                *([col(WaitingList.tfc).in_(case_mix)] if case_mix else []),
            ),
        )
        if not admitted:
            reasons.append(
                "no member trust has patients on an admitted waiting list (RTT Part_2A)"
                + (" in a treatment function with a case mix" if case_mix else "")
                + f": {IMPORT_RTT}"
            )
    reasons += _site_reasons(session, scenario, case_mix)
    return reasons


def _site_reasons(session: Session, scenario: Scenario, case_mix: set[str]) -> list[str]:
    sites = session.exec(select(Site).where(Site.scenario_id == scenario.id)).all()
    if not sites:
        return [
            f"no site of this collaborative has theatre sessions (it has no sites): {ADD_SITES}"
        ]
    theatres, beds = _capacity_by_site(session, scenario)
    tfcs: dict[int, set[str]] = {}
    for row in session.exec(
        select(SiteTreatmentFunction).where(
            col(SiteTreatmentFunction.site_id).in_([s.id for s in sites])
        )
    ).all():
        tfcs.setdefault(row.site_id, set()).add(row.tfc)
    with_sessions = [s for s in sites if _theatre_minutes(theatres.get(int(s.id or 0))) > 0]
    with_tfcs = [s for s in sites if tfcs.get(int(s.id or 0), set()) & case_mix]
    reasons = []
    if not with_sessions:
        reasons.append(f"no site of this collaborative has theatre sessions: {ADD_SITES}")
    if not with_tfcs:
        reasons.append(
            "no site takes a treatment function with a case mix: choose each site's treatment "
            "functions on the scenario page or in the sites template"
        )
    if with_sessions and with_tfcs:
        usable = [
            s
            for s in with_sessions
            if s in with_tfcs
            and (
                s.id not in beds
                or beds[s.id].elective_overnight_beds > 0
                or beds[s.id].day_case_places > 0
            )
        ]
        if not usable:
            reasons.append(
                "no site has theatre sessions, treatment functions and beds or day-case places "
                f"together: {ADD_SITES}"
            )
    return reasons


def rota_reasons(session: Session, scenario: Scenario, site_codes: Collection[str]) -> list[str]:
    """What the scenario lacks for a rota of these sites: something to staff, and staff."""
    reasons: list[str] = []
    if not site_codes:
        hubs = session.exec(
            select(Site.code).where(Site.scenario_id == scenario.id, Site.is_elective_hub)
        ).all()
        if not hubs:
            reasons.append(
                "no site of this scenario is an elective hub: mark one on the scenario page "
                "or choose the sites to staff"
            )
    else:
        sites = session.exec(
            select(Site).where(
                Site.scenario_id == scenario.id,
                col(Site.code).in_(list(site_codes)),
            )
        ).all()
        theatres, beds = _capacity_by_site(session, scenario)
        empty = [
            s.name
            for s in sites
            if _theatre_minutes(theatres.get(int(s.id or 0))) <= 0
            and (s.id not in beds or beds[s.id].elective_overnight_beds <= 0)
        ]
        if sites and len(empty) == len(sites):
            reasons.append(
                f"{', '.join(sorted(empty))} "
                + ("has" if len(empty) == 1 else "have")
                + f" no theatre sessions or elective beds to staff: {ADD_SITES}"
            )
    staff = _count(
        session,
        sa.select(sa.func.count())
        .select_from(RotaStaff)
        .where(col(RotaStaff.scenario_id) == scenario.id),
    )
    if not staff:
        reasons.append(
            "the scenario has no rota staff: import the rota staff list on the Data page "
            "or with `ics-capacity import rota-staff`"
        )
    return reasons


def projection_reasons(session: Session, scenario: Scenario) -> list[str]:
    """What the scenario lacks for a projection: members, their waiting lists and activity."""
    members = _member_ids(session, scenario)
    if not members:
        return [
            "the collaborative has no member trusts: add them with `ics-capacity onboard` "
            "or the ODS trusts file on the Data page"
        ]
    reasons = []
    waiting = _count(
        session,
        sa.select(sa.func.count())
        .select_from(WaitingList)
        .where(
            col(WaitingList.scenario_id) == scenario.id,
            col(WaitingList.part) == WAITING_PART,
            col(WaitingList.organisation_id).in_(members),
        ),
    )
    if not waiting:
        reasons.append(f"no member trust has a waiting list (RTT Part_2): {IMPORT_RTT}")
    activity = _count(
        session,
        sa.select(sa.func.count())
        .select_from(RttActivity)
        .where(
            col(RttActivity.scenario_id) == scenario.id,
            col(RttActivity.organisation_id).in_(members),
        ),
    )
    if not activity:
        reasons.append(
            f"no member trust has RTT activity (clock starts and completions): {IMPORT_RTT}"
        )
    return reasons


def require_ready(what: str, reasons: list[str]) -> None:
    """Refuses with every reason when there is any.

    Raises:
        ModelNotReadyError: If `reasons` is not empty.
    """
    if reasons:
        raise ModelNotReadyError(what, reasons)
