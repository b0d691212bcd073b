"""Reading what a scenario's projection runs on, in one transaction: the snapshot.

The member trusts' waiting lists, RTT activity, case mix, sites, theatres and beds of a scenario
(`read_frames`), its rota's staffed sessions, saved rebalancing plan, calendar and validation
settings (`read_scenario_rows`), and the scenario, the baseline its capacity is calibrated by and
what it is compared with (`read_snapshot`). Turning a snapshot into the projection's input is
`services/projection_input.py`; the use cases are in `services/projections.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    CollaborativeMember,
    Organisation,
    RttActivity,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    ValidationSetting,
    WaitingList,
)
from ics_capacity.domain.weekly_calendar import WeeklyProfiles
from ics_capacity.services.jobs import latest_result
from ics_capacity.services.readiness import projection_reasons, require_ready
from ics_capacity.services.rebalance import (
    staffed_sessions_per_week,
)
from ics_capacity.services.weekly_calendar import operating_days, scenario_profiles

MAX_HORIZON_WEEKS = 104


def read_frames(
    session: Session, scenario_id: int, member_ids: list[int]
) -> dict[str, pd.DataFrame]:
    """The scenario's waiting lists and activity of the member trusts, and its capacity tables."""

    def read(query) -> pd.DataFrame:
        result = session.execute(query)
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))

    wl, act = WaitingList.__table__, RttActivity.__table__
    return {
        "waiting_list": read(
            sa.select(wl).where(
                wl.c.scenario_id == scenario_id, wl.c.organisation_id.in_(member_ids)
            )
        ),
        "rtt_activity": read(
            sa.select(act).where(
                act.c.scenario_id == scenario_id, act.c.organisation_id.in_(member_ids)
            )
        ),
        "case_mix": read(
            sa.select(CaseMix.__table__).where(CaseMix.__table__.c.scenario_id == scenario_id)
        ),
        "sites": read(sa.select(Site.__table__).where(Site.__table__.c.scenario_id == scenario_id)),
        "site_tfc": read(
            sa.select(SiteTreatmentFunction.__table__)
            .join(Site.__table__, Site.__table__.c.id == SiteTreatmentFunction.__table__.c.site_id)
            .where(Site.__table__.c.scenario_id == scenario_id)
        ),
        "theatres": read(
            sa.select(TheatreCapacity.__table__).where(
                TheatreCapacity.__table__.c.scenario_id == scenario_id
            )
        ),
        "beds": read(
            sa.select(BedCapacity.__table__).where(
                BedCapacity.__table__.c.scenario_id == scenario_id
            )
        ),
    }


def member_names(session: Session, collaborative_id: int) -> dict[int, str]:
    """The collaborative's member trusts, id -> name."""
    rows = session.exec(
        select(Organisation.id, Organisation.name)
        .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
        .where(CollaborativeMember.collaborative_id == collaborative_id)
    ).all()
    return dict(rows)


@dataclass
class ScenarioRows:
    """What projecting one scenario reads: its table frames, rota sessions and saved plan."""

    id: int
    name: str
    frames: dict[str, pd.DataFrame]
    staffed: dict[str, float]
    plan: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    profiles: WeeklyProfiles | None = None
    validation: dict[str, float] = field(default_factory=dict)


@dataclass
class Snapshot:
    """A scenario, the baseline its capacity is calibrated against, and what it is compared with."""

    scenario: ScenarioRows
    reference: ScenarioRows
    comparison: ScenarioRows | None
    comparison_wording: str | None
    names: dict[int, str]
    ods: dict[int, str]
    org_names: dict[str, str]
    start_date: dt.date | None = None


def read_scenario_rows(session: Session, scenario: Scenario, member_ids: list[int]) -> ScenarioRows:
    """What projecting `scenario` reads: its frames, staffed sessions, saved plan and calendar."""
    assert scenario.id is not None
    plan = latest_result(session, scenario.id, "rebalance")
    notes = []
    if scenario.is_baseline and plan is not None:
        # The baseline stays the record of published activity; a plan changes a scenario.
        plan = None
        notes.append(
            "The baseline is projected on published activity; a rebalancing plan solved on it "
            "changes the projection once saved as a scenario of its own."
        )
    sites = list(session.exec(select(Site).where(Site.scenario_id == scenario.id)).all())
    return ScenarioRows(
        id=scenario.id,
        name=scenario.name,
        frames=read_frames(session, scenario.id, member_ids),
        staffed=staffed_sessions_per_week(session, scenario.id),
        plan=plan,
        notes=notes,
        profiles=scenario_profiles(session, scenario, operating_days(sites), MAX_HORIZON_WEEKS),
        validation=validation_shares(session, scenario.id),
    )


def validation_shares(session: Session, scenario_id: int) -> dict[str, float]:
    """The scenario's validation share a year per treatment function, where its planners set one."""
    rows = session.exec(
        select(ValidationSetting).where(ValidationSetting.scenario_id == scenario_id)
    ).all()
    return {r.tfc: float(r.share_per_year) for r in rows}


def validation_basis(shares: dict[str, float]) -> str:
    """Where the projection's removals by validation come from, in words."""
    observed = (
        "each list's observed rate of removals without treatment (two consecutive months of its "
        "own history, else 3% of the list a month: docs/projections.md)"
    )
    if not shares:
        return f"Removals by validation are at {observed}."
    own = ", ".join(f"{tfc} {share:.1%}" for tfc, share in sorted(shares.items()))
    return (
        "Removals by validation are the scenario's own setting, a share of the list a year "
        f"({own}); other specialties at {observed}."
    )


def read_snapshot(session: Session, scenario: Scenario) -> Snapshot:
    """Reads a scenario, the baseline it is calibrated by and its parent (or the baseline)."""
    names = member_names(session, scenario.collaborative_id)
    require_ready("projection", projection_reasons(session, scenario))
    member_ids = list(names)
    rows = read_scenario_rows(session, scenario, member_ids)
    baseline = (
        scenario
        if scenario.is_baseline
        else session.exec(
            select(Scenario).where(
                Scenario.collaborative_id == scenario.collaborative_id,
                Scenario.is_baseline.is_(True),
            )
        ).first()
    )
    reference = (
        rows
        if baseline is None or baseline.id == scenario.id
        else read_scenario_rows(session, baseline, member_ids)
    )
    parent = session.get(Scenario, scenario.parent_id) if scenario.parent_id else None
    if parent is not None and parent.collaborative_id != scenario.collaborative_id:
        parent = None
    comparison, wording = None, None
    if parent is not None:
        comparison = (
            reference
            if parent.id == reference.id
            else read_scenario_rows(session, parent, member_ids)
        )
        wording = f"Compared with its parent scenario, '{parent.name}'"
    elif baseline is not None and baseline.id != scenario.id:
        comparison = reference
        wording = f"Compared with the collaborative's baseline, '{baseline.name}'"
    orgs = session.exec(select(Organisation.id, Organisation.ods_code, Organisation.name)).all()
    return Snapshot(
        scenario=rows,
        reference=reference,
        comparison=comparison,
        comparison_wording=wording,
        names=names,
        ods={int(i): code for i, code, _ in orgs if i is not None},
        org_names={code: name for _, code, name in orgs},
        start_date=snapshot_date(scenario.data_period),
    )


def snapshot_date(period: dt.date | None) -> dt.date | None:
    """Week 0 of a projection: the last day of the scenario's RTT month (its snapshot).

    Dating week 0 lets the RAG rate each dated target at its own date and the capacity
    question count its date from the same day.
    """
    if period is None:
        return None
    next_month = (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return next_month - dt.timedelta(days=1)
