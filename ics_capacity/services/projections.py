"""Projections of a scenario for the executive dashboard: DB rows -> cohort model -> figures.

The member trusts' waiting lists, recent RTT activity, case-mix and site capacity of a scenario
are read in one transaction and handed to the pure projection engine (`ics_capacity.projections`).
A scenario branched from another is projected beside the baseline, so the dashboard shows the
position with and without the plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

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
    WaitingList,
)
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
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
    projection_input_from_tables,
    resource_pools_from_tables,
)
from ics_capacity.projections.queue_kpis import capacity_to_meet_target, rag_status
from ics_capacity.services.scenarios import ScenarioError, scenario_transaction

MONTE_CARLO_RUNS = 200
MAX_HORIZON_WEEKS = 104
# Default variation for the uncertainty bands: weekly noise of 10% in demand and capacity and a
# 5% run-to-run level shift (an assumption, docs/projections.md).
DEFAULT_VARIATION = Variation(
    demand_cv_weekly=0.10, demand_cv_level=0.05, capacity_cv_weekly=0.10, capacity_cv_level=0.05
)


@dataclass
class ScenarioProjection:
    """A scenario's projection, and the baseline's when the scenario is a plan."""

    scenario_name: str
    baseline_name: str | None
    names: dict[int, str]
    deterministic: Projection
    monte_carlo: MonteCarloResult
    baseline: Projection | None
    rag: pd.DataFrame
    start_date: dt.date


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


def project_scenario(
    token: str,
    scenario_id: int,
    *,
    horizon_weeks: int = 104,
    runs: int = MONTE_CARLO_RUNS,
    seed: int = 2026,
) -> ScenarioProjection:
    """Projects a scenario week by week (deterministic and Monte Carlo), with its baseline."""
    if not 4 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise ScenarioError("The horizon is 4 to 104 weeks.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session, scenario = use.session, use.scenario
        names = _members(session, scenario.collaborative_id)
        if not names:
            raise ScenarioError("The collaborative has no member trusts to project.")
        frames = _frames(session, scenario.id, list(names))
        baseline = None
        if not scenario.is_baseline:
            baseline = session.exec(
                select(Scenario).where(
                    Scenario.collaborative_id == scenario.collaborative_id,
                    Scenario.is_baseline.is_(True),
                )
            ).first()
        baseline_frames = _frames(session, baseline.id, list(names)) if baseline else None
        scenario_name, baseline_name = scenario.name, baseline.name if baseline else None
    if frames["waiting_list"].empty:
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")
    inp = _input(frames, horizon_weeks)
    deterministic = project(inp, levels=("total", "provider"))
    monte_carlo = simulate(
        inp,
        runs=runs,
        rng=np.random.default_rng(seed),
        variation=DEFAULT_VARIATION,
        levels=("total", "provider"),
    )
    base_projection = (
        project(_input(baseline_frames, horizon_weeks), levels=("total", "provider"))
        if baseline_frames is not None and not baseline_frames["waiting_list"].empty
        else None
    )
    rag = rag_status(deterministic.frame("provider"), unit_columns=["provider"])
    rag["provider"] = rag["provider"].map(lambda p: names.get(int(p), str(p)))
    return ScenarioProjection(
        scenario_name=scenario_name,
        baseline_name=baseline_name,
        names=names,
        deterministic=deterministic,
        monte_carlo=monte_carlo,
        baseline=base_projection,
        rag=rag,
        start_date=inp.start_date,
    )


def capacity_needed(
    token: str, scenario_id: int, *, measure: str, value: float, by_week: int
) -> pd.DataFrame:
    """Each list's treatment capacity a week now and what reaches a target by a week.

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
        names = _members(use.session, use.scenario.collaborative_id)
        frames = _frames(use.session, use.scenario.id, list(names))
    inp = _input(frames, max(by_week, 4))
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
        specs["utilisation_chart"] = charts.utilisation_heatmap(utilisation).to_dict()
        specs["beds_chart"] = charts.utilisation_heatmap(
            utilisation,
            measure="bed_occupancy",
            target=0.92,
            title="Elective bed occupancy by site and week",
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
