"""A scenario's snapshot turned into the projection engine's input, with notes on what moved it.

Treatment a week is today's published completions, moved by the scenario's theatres, beds,
case mix and staffed rota sessions against the collaborative's baseline, by its real weeks
(calendar), and by its saved rebalancing plan (`ics_capacity.projections.capacity`,
docs/projections.md). Nothing here opens a transaction: the caller's session reads the snapshot
(`services/projection_snapshot.py`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sqlmodel import Session

from ics_capacity.db.models import (
    Scenario,
)
from ics_capacity.projections.capacity import (
    capacity_ratio,
    plan_treatment_by_series,
    treatment_capacity,
)
from ics_capacity.projections.inputs import (
    ProjectionInput,
    observed_validation_by_tfc,
    projection_input_from_tables,
    resource_pools_from_tables,
    with_validation_shares,
)
from ics_capacity.services.projection_snapshot import (
    ScenarioRows,
    Snapshot,
    member_names,
    read_frames,
)
from ics_capacity.services.rebalance import (
    sessions_per_theatre,
)


def tables_input(
    frames: dict[str, pd.DataFrame], horizon_weeks: int, capacity_factor: float = 1.0
) -> ProjectionInput:
    """The projection input of a scenario's tables: published activity, case mix and pools."""
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


def scenario_input(
    rows: ScenarioRows, snapshot: Snapshot, horizon_weeks: int
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
    inp = dataclasses.replace(tables_input(frames, horizon_weeks), start_date=snapshot.start_date)
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


def _weekly_factors(rows: ScenarioRows, inp: ProjectionInput) -> tuple[np.ndarray, np.ndarray]:
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
    rows: ScenarioRows,
    snapshot: Snapshot,
    inp: ProjectionInput,
    ratio: np.ndarray,
    sites: pd.DataFrame,
) -> tuple[np.ndarray | None, list[str]]:
    """The plan's admitted treatment a week beyond each trust's own, (S, plan weeks), and notes."""
    plan = rows.plan or {}
    plan_rows = pd.DataFrame(plan.get("plan") or [])
    if "stage" in plan_rows:  # first outpatient appointments are not treatment
        plan_rows = plan_rows[plan_rows["stage"] != "non_admitted"]
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


def observed_validation_shares(session: Session, scenario: Scenario) -> dict[str, float]:
    """Each treatment function's observed removal rate as a yearly share of its list.

    The rate the projection uses where the scenario sets no validation share: the member trusts'
    own two consecutive months of history, else the default (docs/projections.md). {} when the
    scenario has no waiting list.
    """
    assert scenario.id is not None
    members = list(member_names(session, scenario.collaborative_id))
    frames = read_frames(session, scenario.id, members)
    if frames["waiting_list"].empty:
        return {}
    return observed_validation_by_tfc(tables_input(frames, 4))
