"""The collaborative overview: per trust and in total, computed from the database.

Definitions (`ics_capacity.domain.measures`, docs/assumptions.md "Derived figures"): the waiting
list is all incomplete RTT pathways (Part_2) of the member trusts, summed over the week bands (the
published Part_2 bands add up to its "Total All"); the admitted list is Part_2A the same way; the
18-week percentage is those waiting up to 18 weeks over those with a known clock start, as NHS
England computes it; 52+ week waits are bands "Gt 52 To 53 Weeks" and over; G&A occupancy is
average occupied over average available general and acute beds (KH03).

`waiting_counts` is the one place these counts are taken from the database: the Overview, Compare
and the reconciliation test read it, and the projection starts from the same rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    BedCapacity,
    Collaborative,
    CollaborativeMember,
    Organisation,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    TrustBeds,
    WaitingList,
    Workforce,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.services.content_cache import ContentCache, collaborative_content_key
from ics_capacity.services.scenarios import collaborative_transaction, plan_of_record_id

WITHIN_WEEKS = 18
LONG_WAIT_WEEKS = 52
_OVERVIEWS: ContentCache[CollaborativeOverview | None] = ContentCache(size=64)


@dataclass(frozen=True)
class CollaborativeSummary:
    """A collaborative a user can pick."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ProviderFigures:
    """Headline figures for one trust, or for the collaborative in total."""

    ods_code: str
    name: str
    hubs: int
    waiting_list: int
    within_18_weeks: int
    known_clock_start: int
    over_52_weeks: int
    admitted_list: int
    ga_beds_available: float | None
    ga_beds_occupied: float | None
    fte: float | None

    @property
    def within_18_weeks_rate(self) -> float | None:
        """Share of patients with a known clock start waiting 18 weeks or less."""
        return self.within_18_weeks / self.known_clock_start if self.known_clock_start else None

    @property
    def ga_occupancy_rate(self) -> float | None:
        """Average G&A beds occupied over available."""
        if not self.ga_beds_available or self.ga_beds_occupied is None:
            return None
        return self.ga_beds_occupied / self.ga_beds_available


@dataclass(frozen=True)
class SiteFigures:
    """A site's elective capacity as the scenario holds it."""

    code: str
    name: str
    operator: str
    is_elective_hub: bool
    theatres: int
    sessions_per_week: int
    theatre_minutes_per_week: int
    elective_overnight_beds: int
    day_case_places: int
    treatment_functions: tuple[str, ...]


@dataclass(frozen=True)
class CollaborativeOverview:
    """Everything the overview page shows for one scenario of a collaborative."""

    collaborative: CollaborativeSummary
    icb_code: str
    scenario_id: int
    scenario_name: str
    data_period: dt.date | None
    beds_period: str | None
    workforce_period: str | None
    trusts: list[ProviderFigures]
    total: ProviderFigures
    sites: list[SiteFigures] = field(default_factory=list)
    plan_of_record: bool = False
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


def list_collaboratives(session: Session) -> list[CollaborativeSummary]:
    """All collaboratives, by name."""
    rows = session.exec(select(Collaborative).order_by(Collaborative.name)).all()
    return [CollaborativeSummary(c.id, c.code, c.name) for c in rows]


def baseline_scenario_id(session: Session, collaborative_id: int) -> int | None:
    """The collaborative's baseline scenario, or its newest one when it has no baseline."""
    return session.exec(
        select(Scenario.id)
        .where(Scenario.collaborative_id == collaborative_id)
        .order_by(Scenario.is_baseline.desc(), Scenario.id.desc())
    ).first()


def collaborative_overview(
    session: Session, collaborative_id: int, scenario_id: int | None = None
) -> CollaborativeOverview | None:
    """Headline figures per member trust and in total, or None if the collaborative is unknown."""
    collaborative = session.get(Collaborative, collaborative_id)
    if collaborative is None:
        return None
    scenario_id = scenario_id or baseline_scenario_id(session, collaborative_id)
    scenario = session.get(Scenario, scenario_id) if scenario_id else None
    if scenario is None or scenario.collaborative_id != collaborative_id:
        return None

    members = session.exec(
        select(Organisation)
        .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
        .where(CollaborativeMember.collaborative_id == collaborative_id)
        .order_by(Organisation.name)
    ).all()
    ids = [m.id for m in members]

    counts = waiting_counts(session, scenario.id, ids)
    fte = _sum_by_org(
        session,
        Workforce.fte,
        Workforce.scenario_id == scenario.id,
        org_column=Workforce.organisation_id,
    )
    beds = {
        b.organisation_id: b
        for b in session.exec(select(TrustBeds).where(TrustBeds.scenario_id == scenario.id)).all()
    }
    sites = _sites(session, scenario.id)
    hubs_by_operator: dict[str, int] = {}
    for s in sites:
        if s.is_elective_hub:
            hubs_by_operator[s.operator] = hubs_by_operator.get(s.operator, 0) + 1

    trusts = [
        ProviderFigures(
            ods_code=m.ods_code,
            name=m.name,
            hubs=hubs_by_operator.get(m.name, 0),
            waiting_list=counts.get(m.id, WaitingCounts()).waiting_list,
            within_18_weeks=counts.get(m.id, WaitingCounts()).within_18_weeks,
            known_clock_start=counts.get(m.id, WaitingCounts()).waiting_list,
            over_52_weeks=counts.get(m.id, WaitingCounts()).over_52_weeks,
            admitted_list=counts.get(m.id, WaitingCounts()).admitted_list,
            ga_beds_available=_float(beds[m.id].ga_beds_available) if m.id in beds else None,
            ga_beds_occupied=_float(beds[m.id].ga_beds_occupied) if m.id in beds else None,
            fte=_float(fte[m.id]) if m.id in fte else None,
        )
        for m in members
    ]
    return CollaborativeOverview(
        collaborative=CollaborativeSummary(
            collaborative.id, collaborative.code, collaborative.name
        ),
        icb_code=collaborative.icb_code,
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        data_period=scenario.data_period,
        beds_period=next((b.period for b in beds.values()), None),
        workforce_period=_workforce_month(
            session.exec(
                select(Workforce.period).where(Workforce.scenario_id == scenario.id)
            ).first()
        ),
        trusts=trusts,
        total=_total(trusts, hubs=sum(1 for s in sites if s.is_elective_hub)),
        sites=sites,
        plan_of_record=scenario.id == plan_of_record_id(session, collaborative_id),
        approved_by=scenario.decided_by,
        approved_at=scenario.decided_at,
    )


@dataclass(frozen=True)
class WaitingCounts:
    """One provider's waiting-list counts at the scenario's snapshot.

    Catalogue measures `waiting_list`, `within_18_weeks` (its numerator), `over_52_weeks` and
    `admitted_list`.
    """

    waiting_list: int = 0
    within_18_weeks: int = 0
    over_52_weeks: int = 0
    admitted_list: int = 0

    def __add__(self, other: WaitingCounts) -> WaitingCounts:
        return WaitingCounts(
            self.waiting_list + other.waiting_list,
            self.within_18_weeks + other.within_18_weeks,
            self.over_52_weeks + other.over_52_weeks,
            self.admitted_list + other.admitted_list,
        )


def waiting_counts(
    session: Session, scenario_id: int, organisation_ids: list[int] | None = None
) -> dict[int, WaitingCounts]:
    """Waiting-list counts per provider of a scenario, from its week bands.

    Args:
        session: An open session inside a use case that has checked the caller.
        scenario_id: The scenario.
        organisation_ids: The providers to count (e.g. the member trusts); None for every
            provider of the scenario's RTT extract (the system).
    """
    band, part = WaitingList.wait_band_weeks, WaitingList.part

    def when(condition) -> sa.ColumnElement:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, WaitingList.patients), else_=0)), 0)

    query = sa.select(
        col(WaitingList.organisation_id),
        when(part == "Part_2"),
        when(sa.and_(part == "Part_2", band < WITHIN_WEEKS)),
        when(sa.and_(part == "Part_2", band >= LONG_WAIT_WEEKS)),
        when(part == "Part_2A"),
    ).where(WaitingList.scenario_id == scenario_id)
    if organisation_ids is not None:
        query = query.where(col(WaitingList.organisation_id).in_(organisation_ids))
    rows = session.execute(query.group_by(col(WaitingList.organisation_id))).all()
    return {
        int(org): WaitingCounts(int(total), int(within), int(over_52), int(admitted))
        for org, total, within, over_52, admitted in rows
    }


def _sum_by_org(session: Session, column, *where, org_column=None) -> dict[int, float]:
    org_column = org_column if org_column is not None else WaitingList.organisation_id
    rows = session.exec(
        select(org_column, sa.func.sum(column)).where(*where).group_by(org_column)
    ).all()
    return {org_id: total for org_id, total in rows if total is not None}


def _workforce_month(period: str | None) -> str | None:
    """'202510 to 202511' (the workforce file's period) -> 'November 2025'."""
    match = re.search(r"(\d{4})(\d{2})\s*$", period or "")
    if not match:
        return period
    return f"{dt.date(int(match[1]), int(match[2]), 1):%B %Y}"


def _float(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def _total(trusts: list[ProviderFigures], *, hubs: int) -> ProviderFigures:
    def total(attr: str) -> float | None:
        values = [getattr(t, attr) for t in trusts if getattr(t, attr) is not None]
        return sum(values) if values else None

    return ProviderFigures(
        ods_code="",
        name="Collaborative total",
        hubs=hubs,
        waiting_list=sum(t.waiting_list for t in trusts),
        within_18_weeks=sum(t.within_18_weeks for t in trusts),
        known_clock_start=sum(t.known_clock_start for t in trusts),
        over_52_weeks=sum(t.over_52_weeks for t in trusts),
        admitted_list=sum(t.admitted_list for t in trusts),
        ga_beds_available=total("ga_beds_available"),
        ga_beds_occupied=total("ga_beds_occupied"),
        fte=total("fte"),
    )


def _sites(session: Session, scenario_id: int) -> list[SiteFigures]:
    rows = session.exec(
        select(Site, Organisation.name, TheatreCapacity, BedCapacity)
        .join(Organisation, Organisation.id == Site.operator_id)
        .outerjoin(TheatreCapacity, TheatreCapacity.site_id == Site.id)
        .outerjoin(BedCapacity, BedCapacity.site_id == Site.id)
        .where(Site.scenario_id == scenario_id)
        .order_by(Site.is_elective_hub.desc(), Site.name)
    ).all()
    tfcs: dict[int, list[str]] = {}
    for site_id, tfc in session.exec(
        select(SiteTreatmentFunction.site_id, SiteTreatmentFunction.tfc)
        .join(Site, Site.id == SiteTreatmentFunction.site_id)
        .where(Site.scenario_id == scenario_id)
        .order_by(SiteTreatmentFunction.tfc)
    ).all():
        tfcs.setdefault(site_id, []).append(tfc)
    figures = []
    for site, operator, theatre, bed in rows:
        minutes = 0
        if theatre is not None:
            minutes = int(
                theatre.theatres
                * theatre.sessions_per_week
                * theatre.session_minutes
                * theatre.utilisation_target
            )
        figures.append(
            SiteFigures(
                code=site.code,
                name=site.name,
                operator=operator,
                is_elective_hub=site.is_elective_hub,
                theatres=theatre.theatres if theatre else 0,
                sessions_per_week=theatre.sessions_per_week if theatre else 0,
                theatre_minutes_per_week=minutes,
                elective_overnight_beds=bed.elective_overnight_beds if bed else 0,
                day_case_places=bed.day_case_places if bed else 0,
                treatment_functions=tuple(tfcs.get(site.id, ())),
            )
        )
    return figures


def load_overview(token: str, collaborative_id: int) -> CollaborativeOverview | None:
    """The overview of a collaborative the signed-in user belongs to, on its plan of record.

    The plan of record is the scenario executives last approved; before any is approved, the
    published baseline. The caller is checked on every call; the figures then come from the
    process's cache while the collaborative's content is unchanged (`services/content_cache.py`):
    a hundred open Overviews read the database once per change, not once per load.
    """
    with collaborative_transaction(token, collaborative_id, Permission.VIEW) as (session, _):
        plan = plan_of_record_id(session, collaborative_id)
        key = ("overview", plan, *collaborative_content_key(session, collaborative_id))
        return _OVERVIEWS.get(key, lambda: collaborative_overview(session, collaborative_id, plan))
