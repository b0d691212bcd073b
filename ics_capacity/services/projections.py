"""Projections of a scenario for the executive dashboard: DB rows -> cohort model -> figures.

The member trusts' waiting lists, recent RTT activity, case-mix and site capacity of a scenario
are read in one transaction and handed to the pure projection engine (`ics_capacity.projections`).
Treatment a week is today's published completions, moved by the scenario's theatres, beds,
case mix and staffed rota sessions against the collaborative's baseline, and by its saved
rebalancing plan (`ics_capacity.projections.capacity`, docs/projections.md). A scenario is
projected beside its parent (or the baseline), so the dashboard shows the position with and
without the plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.charts import projections as charts
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
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.measures import label
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.weekly_calendar import WeeklyProfiles
from ics_capacity.projections.capacity import (
    capacity_ratio,
    plan_treatment_by_series,
    treatment_capacity,
)
from ics_capacity.projections.cohort import (
    METRICS,
    MonteCarloResult,
    Projection,
    Variation,
    project,
    simulate,
)
from ics_capacity.projections.inputs import (
    ProjectionInput,
    observed_validation_by_tfc,
    projection_input_from_tables,
    resource_pools_from_tables,
    with_validation_shares,
)
from ics_capacity.projections.queue_kpis import capacity_to_meet_target, rag_status
from ics_capacity.services.jobs import latest_result
from ics_capacity.services.readiness import projection_reasons, require_ready
from ics_capacity.services.rebalance import (
    ScenarioNotFoundError,
    sessions_per_theatre,
    staffed_sessions_per_week,
)
from ics_capacity.services.scenarios import ScenarioError, scenario_transaction
from ics_capacity.services.weekly_calendar import operating_days, scenario_profiles

MONTE_CARLO_RUNS = 200
MAX_HORIZON_WEEKS = 104
# Default variation for the uncertainty bands: weekly noise of 10% in demand and capacity and a
# 5% run-to-run level shift (an assumption, docs/projections.md).
DEFAULT_VARIATION = Variation(
    demand_cv_weekly=0.10, demand_cv_level=0.05, capacity_cv_weekly=0.10, capacity_cv_level=0.05
)


@dataclass
class ScenarioProjection:
    """A scenario's projection, and the projection it is compared with ("without the plan").

    The comparison is the scenario's parent when it has one, else the collaborative's baseline;
    `baseline_name` and `baseline` hold it (None for the baseline itself), `comparison` says
    which in words. `notes` say what moved treatment away from today's published activity
    (capacity changes, a rota, a rebalancing plan and capacity it uses beyond the trusts' own).
    """

    scenario_name: str
    baseline_name: str | None
    names: dict[int, str]
    deterministic: Projection
    monte_carlo: MonteCarloResult
    baseline: Projection | None
    rag: pd.DataFrame
    start_date: dt.date
    comparison: str | None = None
    notes: list[str] = field(default_factory=list)
    baseline_monte_carlo: MonteCarloResult | None = None
    validation_basis: str = ""
    baseline_validation_basis: str = ""


def _frames(session: Session, scenario_id: int, member_ids: list[int]) -> dict[str, pd.DataFrame]:
    def read(query) -> pd.DataFrame:  # noqa: ANN001
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


def _input(
    frames: dict[str, pd.DataFrame], horizon_weeks: int, capacity_factor: float = 1.0
) -> ProjectionInput:
    for name in ("case_mix", "theatres", "beds"):
        for column in (
            "length_of_stay_days",
            "day_case_rate",
            "utilisation_target",
            "occupancy_target",
        ):
            if column in frames[name]:
                frames[name][column] = frames[name][column].astype(float)
    inp = projection_input_from_tables(
        frames["waiting_list"],
        frames["rtt_activity"],
        horizon_weeks=horizon_weeks,
        case_mix=frames["case_mix"],
        capacity_factor=capacity_factor,
    )
    if len(frames["sites"]):
        pools = resource_pools_from_tables(
            inp.keys(),
            sites=frames["sites"],
            site_treatment_functions=frames["site_tfc"],
            theatre_capacity=frames["theatres"],
            bed_capacity=frames["beds"],
        )
        inp = dataclasses.replace(inp, pools=pools)
    return inp


def _members(session: Session, collaborative_id: int) -> dict[int, str]:
    rows = session.exec(
        select(Organisation.id, Organisation.name)
        .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
        .where(CollaborativeMember.collaborative_id == collaborative_id)
    ).all()
    return dict(rows)


@dataclass
class _ScenarioRows:
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
class _Snapshot:
    """A scenario, the baseline its capacity is calibrated against, and what it is compared with."""

    scenario: _ScenarioRows
    reference: _ScenarioRows
    comparison: _ScenarioRows | None
    comparison_wording: str | None
    names: dict[int, str]
    ods: dict[int, str]
    org_names: dict[str, str]
    start_date: dt.date | None = None


def _scenario_rows(session: Session, scenario: Scenario, member_ids: list[int]) -> _ScenarioRows:
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
    return _ScenarioRows(
        id=scenario.id,
        name=scenario.name,
        frames=_frames(session, scenario.id, member_ids),
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


def observed_validation_shares(session: Session, scenario: Scenario) -> dict[str, float]:
    """Each treatment function's observed removal rate as a yearly share of its list.

    The rate the projection uses where the scenario sets no validation share: the member trusts'
    own two consecutive months of history, else the default (docs/projections.md). {} when the
    scenario has no waiting list.
    """
    assert scenario.id is not None
    members = list(_members(session, scenario.collaborative_id))
    frames = _frames(session, scenario.id, members)
    if frames["waiting_list"].empty:
        return {}
    return observed_validation_by_tfc(_input(frames, 4))


def _snapshot(session: Session, scenario: Scenario) -> _Snapshot:
    """Reads a scenario, the baseline it is calibrated by and its parent (or the baseline)."""
    names = _members(session, scenario.collaborative_id)
    require_ready("projection", projection_reasons(session, scenario))
    member_ids = list(names)
    rows = _scenario_rows(session, scenario, member_ids)
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
        else _scenario_rows(session, baseline, member_ids)
    )
    parent = session.get(Scenario, scenario.parent_id) if scenario.parent_id else None
    if parent is not None and parent.collaborative_id != scenario.collaborative_id:
        parent = None
    comparison, wording = None, None
    if parent is not None:
        comparison = (
            reference if parent.id == reference.id else _scenario_rows(session, parent, member_ids)
        )
        wording = f"Compared with its parent scenario, '{parent.name}'"
    elif baseline is not None and baseline.id != scenario.id:
        comparison = reference
        wording = f"Compared with the collaborative's baseline, '{baseline.name}'"
    orgs = session.exec(select(Organisation.id, Organisation.ods_code, Organisation.name)).all()
    return _Snapshot(
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


def _site_table(frames: dict[str, pd.DataFrame], staffed: dict[str, float]) -> pd.DataFrame:
    """One row per site code with its theatres, beds and places; sessions capped by the rota."""
    sites = frames["sites"][["id", "code", "name", "is_elective_hub"]]
    theatres = frames["theatres"].reindex(
        columns=[
            "site_id",
            "theatres",
            "sessions_per_week",
            "session_minutes",
            "utilisation_target",
        ]
    )
    beds = frames["beds"].reindex(
        columns=["site_id", "elective_overnight_beds", "day_case_places", "occupancy_target"]
    )
    table = (
        sites.merge(theatres, left_on="id", right_on="site_id", how="left")
        .drop(columns="site_id")
        .merge(beds, left_on="id", right_on="site_id", how="left")
        .drop(columns="site_id")
        .set_index("code")
    )
    numbers = [c for c in table.columns if c not in ("id", "name", "is_elective_hub")]
    table[numbers] = table[numbers].astype(float).fillna(0.0)
    table["sessions_per_theatre_per_week"] = [
        sessions_per_theatre(row.theatres, row.sessions_per_week, staffed.get(str(code)))
        for code, row in table.iterrows()
    ]
    return table


def _scenario_input(
    rows: _ScenarioRows, snapshot: _Snapshot, horizon_weeks: int
) -> tuple[ProjectionInput, list[str]]:
    """The projection input of one scenario with its own capacity and plan, and notes on both."""
    frames = dict(rows.frames)
    sites = _site_table(frames, rows.staffed)
    if len(frames["theatres"]):
        # Utilisation is measured against the sessions the rota staffs, when there is a rota.
        frames["theatres"] = frames["theatres"].assign(
            sessions_per_week=frames["theatres"]["site_id"].map(
                sites.set_index("id")["sessions_per_theatre_per_week"]
            )
        )
    inp = dataclasses.replace(_input(frames, horizon_weeks), start_date=snapshot.start_date)
    notes = rows.notes + _rota_notes(sites)
    reference = snapshot.reference
    ref_frames = reference.frames
    if len(ref_frames["sites"]):
        ref_sites = _site_table(ref_frames, {})  # published activity ran on the timetable
        scenario_sites = sites.reindex(ref_sites.index).fillna(0.0)
        share = resource_pools_from_tables(
            inp.keys(),
            sites=ref_frames["sites"],
            site_treatment_functions=ref_frames["site_tfc"],
            theatre_capacity=ref_frames["theatres"],
            bed_capacity=ref_frames["beds"],
        ).share
        admitted = inp.capacity_per_week[:, 0] * inp.admitted_share
        ratios = capacity_ratio(
            inp.keys(),
            admitted,
            share,
            ref_sites,
            scenario_sites,
            ref_frames["case_mix"],
            frames["case_mix"],
        )
        ratio = ratios["ratio"].to_numpy()
        before, after = float(admitted.sum()), float((admitted * ratio).sum())
        if abs(after - before) >= 0.05:
            notes.append(
                f"The scenario's theatres, beds and case mix change the member trusts' admitted "
                f"treatment from {before:,.0f} to {after:,.0f} patients a week "
                f"({after / before - 1:+.1%}) against the baseline's resources, which today's "
                "published activity ran on; outpatient-only completions are unchanged."
            )
    else:
        ratio = np.ones(inp.series_count)
    extra, plan_notes = _plan_extra(rows, snapshot, inp, ratio, sites)
    # Real weeks scale the trusts' own capacity; a plan's extra treatment is already weekly.
    capacity_factor, demand_factor = _weekly_factors(rows, inp)
    own = inp.capacity_per_week * capacity_factor
    capacity = treatment_capacity(own, inp.admitted_share, ratio, extra)
    # Validation is not treatment: it changes the removal rate, never the capacity.
    inp = with_validation_shares(inp, rows.validation)
    return (
        dataclasses.replace(
            inp, capacity_per_week=capacity, demand_per_week=inp.demand_per_week * demand_factor
        ),
        notes + plan_notes,
    )


def _weekly_factors(rows: _ScenarioRows, inp: ProjectionInput) -> tuple[np.ndarray, np.ndarray]:
    """Real weeks: each series' capacity factor by week and demand's, as the rebalancing uses.

    A trust's factor in a week is the mean of its sites' factors weighted by their usual theatre
    minutes a week (by site count when no site has theatres); a trust with no sites keeps 1.
    """
    weeks = inp.demand_per_week.shape[1]
    series = inp.series_count
    if rows.profiles is None:
        return np.ones((series, weeks)), np.ones(weeks)
    demand = np.asarray(rows.profiles.demand[:weeks], dtype=float)
    sites = rows.frames["sites"]
    theatres = rows.frames["theatres"]
    minutes = {
        int(r.site_id): float(r.theatres) * float(r.sessions_per_week) * float(r.session_minutes)
        for r in theatres.itertuples()
    }
    by_trust: dict[object, tuple[np.ndarray, float]] = {}
    for site in sites.itertuples():
        factors = np.asarray(rows.profiles.capacity.get(str(site.code), [1.0] * weeks))[:weeks]
        weight = minutes.get(int(site.id), 0.0) or 1e-9
        total, weights = by_trust.get(site.operator_id, (np.zeros(weeks), 0.0))
        by_trust[site.operator_id] = (total + factors * weight, weights + weight)
    capacity = np.ones((series, weeks))
    for i, provider in enumerate(inp.provider):
        if provider in by_trust:
            total, weights = by_trust[provider]
            capacity[i] = total / weights
    return capacity, demand


def _rota_notes(sites: pd.DataFrame) -> list[str]:
    capped = sites[sites["sessions_per_theatre_per_week"] < sites["sessions_per_week"] - 1e-9]
    return [
        f"The rota staffs {row.sessions_per_theatre_per_week * row.theatres:,.1f} of "
        f"{row.sessions_per_week * row.theatres:,.0f} theatre sessions a week at {row['name']}; "
        "treatment there is limited to the staffed sessions."
        for _, row in capped.iterrows()
    ]


def _plan_extra(
    rows: _ScenarioRows,
    snapshot: _Snapshot,
    inp: ProjectionInput,
    ratio: np.ndarray,
    sites: pd.DataFrame,
) -> tuple[np.ndarray | None, list[str]]:
    """The plan's admitted treatment a week beyond each trust's own, (S, plan weeks), and notes."""
    plan = rows.plan or {}
    plan_rows = pd.DataFrame(plan.get("plan") or [])
    if plan_rows.empty:
        return None, []
    weeks = int((plan.get("settings") or {}).get("horizon_weeks") or plan_rows["week"].max())
    keys = inp.keys().assign(provider=lambda k: k["provider"].map(snapshot.ods))
    treated = plan_treatment_by_series(keys, plan_rows, weeks)
    alone_rows = next(
        (b.get("plan") for b in plan.get("baselines") or [] if b.get("name") == "no_collaboration"),
        None,
    )
    if alone_rows is not None:
        alone = plan_treatment_by_series(keys, pd.DataFrame(alone_rows), weeks)
        how = "moved by what the plan treats beyond what each trust would treat alone"
    else:
        # No no-collaboration plan to calibrate against: the plan's own figures replace the
        # admitted treatment.
        alone = (
            inp.capacity_per_week[:, :1] * inp.admitted_share[:, None] * ratio[:, None]
        ).repeat(weeks, axis=1)
        how = "the plan's own weekly treatment (it holds no no-collaboration plan to calibrate by)"
    extra = treated - alone
    notes = [
        f"'{rows.name}' holds a rebalancing plan for {weeks} weeks. In weeks 1-{weeks} each "
        f"trust's admitted treatment is {how}: {extra.sum():+,.0f} patients in all "
        f"({extra.sum() / weeks:+,.0f} a week); patients moved to a hub count for their home "
        f"trust's list. After week {weeks} the trusts' own capacity applies."
    ]
    independent = plan_rows[~plan_rows["hub"].isin(sites.index)]
    if not independent.empty:
        names = sorted({snapshot.org_names.get(h, h) for h in independent["hub"]})
        notes.append(
            f"The plan buys {independent['patients'].sum():,.0f} treatments from "
            f"independent-sector providers ({', '.join(names)}), beyond the member trusts' own "
            "capacity."
        )
    own_sites = float(plan_rows.loc[plan_rows["hub"].isin(sites.index), "patients"].sum())
    beyond = own_sites - float(alone.sum())
    if alone_rows is not None and beyond > 0.5:
        notes.append(
            f"At the collaborative's own sites the plan treats {beyond:,.0f} more patients than "
            "the trusts would alone, using hub capacity their own lists leave spare."
        )
    return extra, notes


def _project(
    snapshot: _Snapshot,
    *,
    horizon_weeks: int,
    runs: int,
    seed: int,
    comparison_runs: int = 0,
) -> ScenarioProjection:
    """Projects the snapshot's scenario and its comparison (with Monte Carlo if asked)."""
    rows = snapshot.scenario
    if rows.frames["waiting_list"].empty:
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")
    inp, notes = _scenario_input(rows, snapshot, horizon_weeks)
    deterministic = project(inp, levels=("total", "provider"))
    monte_carlo = simulate(
        inp,
        runs=runs,
        rng=np.random.default_rng(seed),
        variation=DEFAULT_VARIATION,
        levels=("total", "provider"),
    )
    other = snapshot.comparison
    base_projection, base_monte_carlo = None, None
    if other is not None and not other.frames["waiting_list"].empty:
        base_inp, _ = _scenario_input(other, snapshot, horizon_weeks)
        base_projection = project(base_inp, levels=("total", "provider"))
        if comparison_runs:
            base_monte_carlo = simulate(
                base_inp,
                runs=comparison_runs,
                rng=np.random.default_rng(seed),
                variation=DEFAULT_VARIATION,
                levels=("total", "provider"),
            )
    names = snapshot.names
    rag = rag_status(deterministic.frame("provider"), unit_columns=["provider"])
    rag["provider"] = rag["provider"].map(lambda p: names.get(int(p), str(p)))
    return ScenarioProjection(
        scenario_name=rows.name,
        baseline_name=other.name if other is not None else None,
        names=names,
        deterministic=deterministic,
        monte_carlo=monte_carlo,
        baseline=base_projection,
        rag=rag,
        start_date=inp.start_date,
        comparison=snapshot.comparison_wording,
        notes=notes,
        baseline_monte_carlo=base_monte_carlo,
        validation_basis=validation_basis(rows.validation),
        baseline_validation_basis=(
            validation_basis(other.validation)
            if other is not None and base_projection is not None
            else ""
        ),
    )


def project_scenario(
    token: str,
    scenario_id: int,
    *,
    horizon_weeks: int = 104,
    runs: int = MONTE_CARLO_RUNS,
    seed: int = 2026,
) -> ScenarioProjection:
    """Projects a scenario week by week (deterministic and Monte Carlo), with its comparison.

    Treatment follows the scenario's own capacity and saved plan; the comparison ("without the
    plan") is its parent scenario, or the collaborative's baseline when it has none.
    """
    if not 4 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise ScenarioError("The horizon is 4 to 104 weeks.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        snapshot = _snapshot(use.session, use.scenario)
    return _project(snapshot, horizon_weeks=horizon_weeks, runs=runs, seed=seed)


def project_scenario_as_operator(
    scenario_id: int,
    *,
    horizon_weeks: int = 104,
    runs: int = MONTE_CARLO_RUNS,
    seed: int = 2026,
    db_url: str | None = None,
) -> ScenarioProjection:
    """The dashboard's projection of a scenario, run as the server operator (the CLI).

    No caller is checked: only the operator's command line calls this. The comparison gets its
    own Monte Carlo run too (`baseline_monte_carlo`), for its 80% band.

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
        ScenarioError: If the horizon is not 4 to 104 weeks or there is nothing to project.
    """
    if not 4 <= horizon_weeks <= 104:
        raise ScenarioError("The horizon is 4 to 104 weeks.")
    with unit_of_work(db_url) as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioNotFoundError(scenario_id)
        snapshot = _snapshot(session, scenario)
    return _project(
        snapshot, horizon_weeks=horizon_weeks, runs=runs, seed=seed, comparison_runs=runs
    )


PROJECTION_METHOD = "deterministic cohort projection v1 (docs/projections.md)"
"""The method a recorded baseline's figures were made by; change it when the projection changes."""


@dataclass(frozen=True)
class TrustWeekFigures:
    """One member trust's projected figures in one week of a scenario's deterministic projection."""

    ods_code: str
    trust_name: str
    week: int
    at_date: dt.date | None
    waiting_list: float
    within_18_weeks_share: float
    over_52_weeks: float
    over_65_weeks: float
    over_78_weeks: float
    treated_to_week: float = 0.0
    removed_by_validation_to_week: float = 0.0


def trust_week_figures(session: Session, scenario: Scenario) -> list[TrustWeekFigures]:
    """Each member trust's figures in weeks 0..104 of the Dashboard's projection of `scenario`.

    The same deterministic projection the Dashboard and Compare read (`project_scenario`, its
    own capacity, calendar and saved plan; published activity for the baseline), made inside the
    caller's transaction, so an approval records exactly the rows it approves.

    Raises:
        ScenarioError: no member trusts, or no waiting list to project.
    """
    inp, snapshot = _checked_input(session, scenario, MAX_HORIZON_WEEKS)
    frame = project(inp, levels=("provider",)).frame("provider")
    frame = with_flows_to_week(frame)
    start = snapshot.start_date
    figures = []
    for row in frame.itertuples():
        provider = int(row.provider)
        code = snapshot.ods.get(provider, str(provider))
        week = int(row.week)
        figures.append(
            TrustWeekFigures(
                ods_code=code,
                trust_name=snapshot.names.get(provider, code),
                week=week,
                at_date=start + dt.timedelta(weeks=week) if start else None,
                waiting_list=float(row.list_size),
                within_18_weeks_share=min(1.0, max(0.0, float(row.pct_within_18) / 100)),
                over_52_weeks=float(row.over_52),
                over_65_weeks=float(row.over_65),
                over_78_weeks=float(row.over_78),
                treated_to_week=float(row.treated_to_week),
                removed_by_validation_to_week=float(row.validated_to_week),
            )
        )
    return figures


def with_flows_to_week(frame: pd.DataFrame) -> pd.DataFrame:
    """A provider frame with `treated_to_week` and `validated_to_week`: weeks 1 to each row's week.

    Week 0 is the starting list (nothing has left it yet), so its counts are 0; treatment and
    removal by validation are summed apart and never added together.
    """
    ordered = frame.sort_values(["provider", "week"]).copy()
    moving = ordered["week"] > 0
    for flow, total in (("treated", "treated_to_week"), ("validated", "validated_to_week")):
        ordered[total] = ordered[flow].where(moving, 0.0).groupby(ordered["provider"]).cumsum()
    return ordered


def scenario_projection_input(
    session: Session, scenario: Scenario, horizon_weeks: int
) -> tuple[ProjectionInput, dict[int, str]]:
    """The input the Dashboard's projection of `scenario` runs on, and the trusts' ODS codes.

    Its own capacity, calendar, rota and saved plan, made inside the caller's transaction.

    Raises:
        ScenarioError: no member trusts, or no waiting list to project.
    """
    inp, snapshot = _checked_input(session, scenario, horizon_weeks)
    return inp, snapshot.ods


def _checked_input(
    session: Session, scenario: Scenario, horizon_weeks: int
) -> tuple[ProjectionInput, _Snapshot]:
    snapshot = _snapshot(session, scenario)
    if snapshot.scenario.frames["waiting_list"].empty:
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")
    inp, _ = _scenario_input(snapshot.scenario, snapshot, horizon_weeks)
    return inp, snapshot


HEADLINE_MEASURES: dict[str, str] = {
    "waiting_list": "list_size",
    "within_18_weeks": "pct_within_18",
    "over_52_weeks": "over_52",
    "over_65_weeks": "over_65",
    "over_78_weeks": "over_78",
}
"""The headline figures at the horizon, by JSON key, and the projection measure each reads."""


def _headline_figures(
    deterministic: Projection, monte_carlo: MonteCarloResult | None
) -> dict[str, dict[str, float | None]]:
    total = deterministic.frame("total")
    end = total.iloc[-1]
    bands = monte_carlo.frame("total") if monte_carlo is not None else None
    figures: dict[str, dict[str, float | None]] = {}
    for key, metric in HEADLINE_MEASURES.items():
        scale = 0.01 if metric == "pct_within_18" else 1.0  # a percent as a share 0-1
        p10 = p90 = None
        if bands is not None:
            row = bands[(bands["metric"] == metric) & (bands["week"] == end["week"])].iloc[0]
            p10, p90 = float(row["p10"]) * scale, float(row["p90"]) * scale
        figures[key] = {"median": float(end[metric]) * scale, "p10": p10, "p90": p90}
    return figures


@dataclass(frozen=True)
class RemovalFigures:
    """Patients leaving the list over a projection, treatment and validation kept apart."""

    weeks: int
    joined: float
    treated: float
    removed_by_validation: float
    basis: str

    @property
    def validation_share(self) -> float:
        """Removals by validation as a share of all who left the list (0 when none left)."""
        total = self.treated + self.removed_by_validation
        return self.removed_by_validation / total if total > 0 else 0.0


def removal_figures(
    projection: ScenarioProjection, provider: int | None = None, up_to_week: int | None = None
) -> RemovalFigures:
    """Patients joining, treated and removed by validation over the projection's horizon.

    Read from the deterministic projection (weeks 1 to the horizon, or to `up_to_week`), for the
    collaborative or one member trust. Validation is never counted as treatment.
    """
    return _removals(projection.deterministic, projection.validation_basis, provider, up_to_week)


def comparison_removal_figures(
    projection: ScenarioProjection, provider: int | None = None, up_to_week: int | None = None
) -> RemovalFigures | None:
    """The same figures for the projection's comparison ("without the plan"), None without one.

    Shown beside the scenario's so that a plan which shortens the list only by assuming more
    validation is seen as such (issue 15 §4).
    """
    if projection.baseline is None:
        return None
    return _removals(
        projection.baseline, projection.baseline_validation_basis, provider, up_to_week
    )


def _removals(
    projected: Projection, basis: str, provider: int | None, up_to_week: int | None
) -> RemovalFigures:
    if provider is None:
        frame = projected.frame("total")
    else:
        frame = projected.frame("provider")
        frame = frame[frame["provider"] == provider]
    if up_to_week is not None:
        frame = frame[frame["week"] <= up_to_week]
    weeks = frame[frame["week"] > 0]
    return RemovalFigures(
        weeks=int(frame["week"].max()),
        joined=float(weeks["demand"].sum()),
        treated=float(weeks["treated"].sum()),
        removed_by_validation=float(weeks["validated"].sum()),
        basis=basis,
    )


def projection_headline(projection: ScenarioProjection) -> dict[str, Any]:
    """The dashboard's headline at the horizon, with and without the plan, JSON-ready.

    `median` is the deterministic projection (the figure the dashboard's headline cards show);
    `p10` and `p90` are the Monte Carlo run's 80% band at the same week. `within_18_weeks` is a
    share 0-1.
    """
    total = projection.deterministic.frame("total")
    weeks = int(total["week"].iloc[-1])
    without = None
    compared = comparison_removal_figures(projection)
    if projection.baseline is not None and compared is not None:
        without = {
            "scenario": projection.baseline_name,
            **_headline_figures(projection.baseline, projection.baseline_monte_carlo),
            "treated": round(compared.treated, 1),
            "removed_by_validation": round(compared.removed_by_validation, 1),
            "validation_basis": projection.baseline_validation_basis,
        }
    return {
        "scenario": projection.scenario_name,
        "horizon_weeks": weeks,
        "start_date": projection.start_date.isoformat() if projection.start_date else None,
        "at_date": (projection.start_date + dt.timedelta(weeks=weeks)).isoformat()
        if projection.start_date
        else None,
        **_headline_figures(projection.deterministic, projection.monte_carlo),
        "treated": round(removal_figures(projection).treated, 1),
        "removed_by_validation": round(removal_figures(projection).removed_by_validation, 1),
        "validation_basis": projection.validation_basis,
        "comparison": projection.comparison,
        "without_plan": without,
        "notes": list(projection.notes),
    }


def capacity_needed(
    token: str, scenario_id: int, *, measure: str, value: float, by_week: int
) -> pd.DataFrame:
    """Each list's treatment capacity a week now and what reaches a target by a week.

    "Now" is the treatment the scenario's projection (and so its RAG) runs on: published
    activity moved by the scenario's capacity, rota and saved plan, as `project_scenario` has it.
    E.g. measure "pct_within_18", value 65, by_week 45: capacity x 1.12 reaches 65% within 18
    weeks in week 45.

    Raises:
        InvalidInputError: an unknown measure, a target that is not a number, or a week outside
            the 1 to 104 weeks a projection covers.
    """
    measures = [m for m in METRICS if m != "within_18"]
    if measure not in measures:
        raise InvalidInputError(f"'{measure}' is not a target; use one of {', '.join(measures)}.")
    if not math.isfinite(value):
        raise InvalidInputError(f"Target: '{value}' is not a number.")
    if not 1 <= by_week <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(f"By: week {by_week} is not within 1 to {MAX_HORIZON_WEEKS} weeks.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        snapshot = _snapshot(use.session, use.scenario)
    # The same input as the scenario's projection and its RAG: its own capacity and saved plan,
    # not today's published activity alone.
    inp, _ = _scenario_input(snapshot.scenario, snapshot, max(by_week, 4))
    return capacity_to_meet_target(inp, measure=measure, value=value, by_week=by_week)


def _unit_frame(frame: pd.DataFrame, provider: int | None) -> pd.DataFrame:
    return frame if provider is None else frame[frame["provider"] == provider]


def dashboard_chart_specs(
    projection: ScenarioProjection, provider: int | None = None
) -> dict[str, dict]:
    """The dashboard's Vega-Lite specs for the collaborative, or for one member trust.

    Returns:
        Chart name -> spec; {} where there is nothing to draw.
    """
    level = "total" if provider is None else "provider"
    who = "" if provider is None else f" — {projection.names.get(provider, provider)}"
    det = projection.deterministic
    mc = _unit_frame(projection.monte_carlo.frame(level), provider)
    specs = {
        "fan_chart": charts.waiting_list_fan_chart(
            mc, title=f"Waiting list: projected median and 80% band{who}"
        ).to_dict(),
        "long_wait_chart": charts.long_waits_fan_chart(
            mc, title=f"Patients waiting over 52, 65 and 78 weeks{who}"
        ).to_dict(),
        "bands_chart": charts.wait_band_chart(
            _unit_frame(det.bands_frame(level), provider)
        ).to_dict(),
        "rag_chart": charts.rag_status_chart(
            projection.rag[projection.rag["status"] != "Not projected"], unit_column="provider"
        ).to_dict(),
        "utilisation_chart": {},
        "beds_chart": {},
        "plan_chart": {},
    }
    utilisation = det.utilisation_frame()
    if not utilisation.empty:
        specs["utilisation_chart"] = charts.utilisation_heatmap(
            utilisation, title=f"{label('theatre_utilisation')} by site and week"
        ).to_dict()
        specs["beds_chart"] = charts.utilisation_heatmap(
            utilisation,
            measure="bed_occupancy",
            target=0.92,
            title=f"{label('bed_occupancy')} by site and week",
        ).to_dict()
    if projection.baseline is not None:
        specs["plan_chart"] = charts.plan_comparison_chart(
            {
                f"Without the plan ({projection.baseline_name})": _unit_frame(
                    projection.baseline.frame(level), provider
                ),
                f"With the plan ({projection.scenario_name})": _unit_frame(
                    det.frame(level), provider
                ),
            },
            metric="list_size",
            title=f"Waiting list with and without the plan{who}",
        ).to_dict()
    return specs
