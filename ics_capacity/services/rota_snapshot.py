"""What a rota reads from the database, read at once into a frozen snapshot.

`read_snapshot` does every read a rota problem needs (sites, capacity, treatment functions, the
admitted waiting list or the rebalancing plan, staff, leave, locks, wishes, the previous rota and
the current publications); `rota_problem.problem_from_snapshot` turns it into the solver's input
without the database, so the translation is unit-tested with hand-built snapshots
(`tests/unit/test_rota_problem.py`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    Organisation,
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    WaitingList,
)
from ics_capacity.domain.assumptions import CASE_MIX
from ics_capacity.services.jobs import latest_result
from ics_capacity.services.results import PublishedUsed, RotaOutcome, stored_rebalance
from ics_capacity.services.rota_history import previous_rota
from ics_capacity.services.rota_published import published_days
from ics_capacity.services.rota_settings import ADMITTED_PART, RotaSettings
from solvers.rota.schema import PublishedAssignment


@dataclass(frozen=True)
class RotaSnapshot:
    """A scenario's rows that a rota of these settings and dates depends on, read once."""

    sites: dict[str, Site]
    """Every site of the scenario, by code."""
    theatres: dict[int, TheatreCapacity]
    beds: dict[int, BedCapacity]
    site_tfcs: dict[int, tuple[str, ...]]
    """The treatment functions each site (by id) runs lists for."""
    waiting: dict[str, int]
    plan: dict[tuple[str, int], dict[str, float]] | None
    """Theatre minutes per (site, week) and treatment function of the latest rebalancing plan;
    read only when the demand is the plan, None when there is none."""
    organisations: dict[int, tuple[str, str]]
    """ODS code and name of each organisation, by id."""
    staff: tuple[RotaStaff, ...]
    """The scenario's rota staff list, by code."""
    leave: tuple[RotaLeave, ...] = ()
    locks: tuple[RotaLock, ...] = ()
    requests: tuple[RotaRequest, ...] = ()
    previous: RotaOutcome | None = None
    """The scenario's rota that ends the day before this one starts (when no history is given)."""
    published: tuple[PublishedAssignment, ...] = ()
    published_used: PublishedUsed | None = None


def read_snapshot(
    session: Session,
    scenario_id: int,
    settings: RotaSettings,
    dates: list[dt.date],
    *,
    with_previous: bool,
) -> RotaSnapshot:
    """Every row a rota of these settings and dates reads (reads only)."""
    sites = {
        s.code: s for s in session.exec(select(Site).where(Site.scenario_id == scenario_id)).all()
    }
    theatres, beds = site_capacity(session, scenario_id)
    site_tfcs: dict[int, list[str]] = defaultdict(list)
    for row in session.exec(
        select(SiteTreatmentFunction).where(
            SiteTreatmentFunction.site_id.in_([s.id for s in sites.values()])  # type: ignore[union-attr]
        )
    ).all():
        site_tfcs[row.site_id].append(row.tfc)
    staff = tuple(
        session.exec(
            select(RotaStaff).where(RotaStaff.scenario_id == scenario_id).order_by(RotaStaff.code)
        ).all()
    )
    staff_ids = [r.id for r in staff]
    first, last = (dates[0], dates[-1]) if dates else (dt.date.min, dt.date.min)
    leave = session.exec(
        select(RotaLeave).where(
            RotaLeave.staff_id.in_(staff_ids),  # type: ignore[union-attr]
            RotaLeave.end_date >= first,
            RotaLeave.start_date <= last,
        )
    ).all()
    locks = session.exec(
        select(RotaLock).where(
            RotaLock.scenario_id == scenario_id,
            RotaLock.on_date >= first,
            RotaLock.on_date <= last,
        )
    ).all()
    requests = session.exec(
        select(RotaRequest).where(
            RotaRequest.staff_id.in_(staff_ids),  # type: ignore[union-attr]
            RotaRequest.on_date >= first,
            RotaRequest.on_date <= last,
        )
    ).all()
    published: list[PublishedAssignment] = []
    used: PublishedUsed | None = None
    if settings.keep_published:
        published, used = published_days(session, scenario_id, dates)
    return RotaSnapshot(
        sites=sites,
        theatres=theatres,
        beds=beds,
        site_tfcs={k: tuple(v) for k, v in site_tfcs.items()},
        waiting=admitted_waiting_by_tfc(session, scenario_id),
        plan=_plan_minutes(session, scenario_id) if settings.demand == "plan" else None,
        organisations={
            o.id: (o.ods_code, o.name)
            for o in session.exec(select(Organisation)).all()
            if o.id is not None
        },
        staff=staff,
        leave=tuple(leave),
        locks=tuple(locks),
        requests=tuple(requests),
        previous=previous_rota(session, scenario_id, settings.start_date)
        if with_previous
        else None,
        published=tuple(published),
        published_used=used,
    )


def site_capacity(
    session: Session, scenario_id: int
) -> tuple[dict[int, TheatreCapacity], dict[int, BedCapacity]]:
    """The scenario's theatre and bed rows, each keyed by site id."""
    theatres = session.exec(
        select(TheatreCapacity).where(TheatreCapacity.scenario_id == scenario_id)
    ).all()
    beds = session.exec(select(BedCapacity).where(BedCapacity.scenario_id == scenario_id)).all()
    return {t.site_id: t for t in theatres}, {b.site_id: b for b in beds}


def admitted_waiting_by_tfc(session: Session, scenario_id: int) -> dict[str, int]:
    """Patients on the admitted waiting lists (RTT Part_2A) by treatment function."""
    return dict(
        session.exec(
            select(WaitingList.tfc, sa.func.sum(WaitingList.patients))
            .where(WaitingList.scenario_id == scenario_id, WaitingList.part == ADMITTED_PART)
            .group_by(WaitingList.tfc)
        ).all()
    )


def _plan_minutes(
    session: Session, scenario_id: int
) -> dict[tuple[str, int], dict[str, float]] | None:
    """Theatre minutes per (site, week) and treatment function in the latest rebalancing plan."""
    raw = latest_result(session, scenario_id, "rebalance")
    if raw is None:
        return None
    result = stored_rebalance(raw)
    minutes: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in result.plan:
        if row.stage != "admitted":  # a first outpatient appointment uses no theatre
            continue
        case = CASE_MIX.get(row.tfc)
        per_case = case.minutes_per_case if case else 60
        minutes[row.hub, row.week][row.tfc] += row.patients * per_case
    return {k: dict(v) for k, v in minutes.items()}
