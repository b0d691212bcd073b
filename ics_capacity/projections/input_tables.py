"""Building the projection's input from plain DataFrames shaped like the database tables.

Columns are named as in `ics_capacity.db.models`; the services turn database rows into those
frames. Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.input_model import (
    DEFAULT_VALIDATION_RATE_PER_MONTH,
    ProjectionInput,
    ResourcePools,
    weekly_rate_from_monthly,
)


def waiting_bands_from_table(
    waiting_list: pd.DataFrame, *, provider_column: str = "organisation_id", part: str = "Part_2"
) -> pd.DataFrame:
    """Patients waiting by wait band for each provider x treatment function.

    Args:
        waiting_list: Rows shaped like the `waiting_list` table: the provider column, `tfc`,
            `part` (optional), `wait_band_weeks` (0..104) and `patients`.
        provider_column: Column naming the provider (`organisation_id` or `ods_code`).
        part: RTT part to read; Part_2 is the whole waiting list.

    Returns:
        Index (`provider`, `tfc`) sorted; columns 0..104 (wait band); patients as floats.
    """
    rows = waiting_list
    if "part" in rows.columns:
        rows = rows[rows["part"] == part]
    table = rows.pivot_table(
        index=[provider_column, "tfc"],
        columns="wait_band_weeks",
        values="patients",
        aggfunc="sum",
        fill_value=0,
    )
    table = table.reindex(columns=range(WAIT_BANDS), fill_value=0).astype(float)
    table.index = table.index.set_names(["provider", "tfc"])
    table.columns.name = None
    return table.sort_index()


def weekly_flows_from_activity(
    rtt_activity: pd.DataFrame, *, provider_column: str = "organisation_id", months: int = 3
) -> pd.DataFrame:
    """Weekly demand, treatment capacity and validation rate from monthly RTT activity.

    Counts of the last `months` months are summed and divided by their days, times 7 (the
    `rtt_activity` convention). The validation rate needs two consecutive months of
    `waiting_total`: removals = waiting(t - 1) + new(t) - completed(t) - waiting(t).

    Args:
        rtt_activity: Rows shaped like the `rtt_activity` table: the provider column, `tfc`,
            `period` (first day of the month), `new_clock_starts`, `completed_admitted`,
            `completed_non_admitted` and, for the validation rate, `waiting_total`.
        provider_column: Column naming the provider.
        months: How many of the latest months to average.

    Returns:
        Index (`provider`, `tfc`); columns `demand_per_week`, `capacity_per_week` (patients a
        week), `admitted_share` (admitted / all completed, 0 when none completed) and
        `validation_rate_per_week` (NaN where fewer than two consecutive months are given).
    """
    frame = rtt_activity.copy()
    frame["period"] = pd.to_datetime(frame["period"]).dt.to_period("M").dt.to_timestamp()
    frame = frame.rename(columns={provider_column: "provider"}).sort_values(
        ["provider", "tfc", "period"]
    )
    latest = frame.groupby(["provider", "tfc"])["period"].transform("max")
    window = frame[frame["period"] > latest - pd.DateOffset(months=months)].copy()
    window["days"] = window["period"].dt.days_in_month
    window["completed"] = window["completed_admitted"] + window["completed_non_admitted"]
    sums = window.groupby(["provider", "tfc"])[
        ["new_clock_starts", "completed", "completed_admitted", "days"]
    ].sum()
    result = pd.DataFrame(
        {
            "demand_per_week": sums["new_clock_starts"] / sums["days"] * 7,
            "capacity_per_week": sums["completed"] / sums["days"] * 7,
            "admitted_share": (sums["completed_admitted"] / sums["completed"]).fillna(0.0),
        }
    )
    result["validation_rate_per_week"] = np.nan
    if "waiting_total" in window.columns:
        previous = frame.assign(period=frame["period"] + pd.DateOffset(months=1))[
            ["provider", "tfc", "period", "waiting_total"]
        ].rename(columns={"waiting_total": "waiting_before"})
        pairs = window.merge(previous, on=["provider", "tfc", "period"], how="inner")
        pairs["removed"] = (
            pairs["waiting_before"]
            + pairs["new_clock_starts"]
            - pairs["completed"]
            - pairs["waiting_total"]
        )
        per_series = pairs.groupby(["provider", "tfc"])[["removed", "waiting_before"]].sum()
        monthly = (per_series["removed"] / per_series["waiting_before"]).clip(0.0, 0.5)
        monthly = monthly[per_series["waiting_before"] > 0]
        result.loc[monthly.index, "validation_rate_per_week"] = weekly_rate_from_monthly(
            monthly.to_numpy()
        )
    result.index = result.index.set_names(["provider", "tfc"])
    return result.sort_index()


def resource_pools_from_tables(
    keys: pd.DataFrame,
    *,
    sites: pd.DataFrame,
    site_treatment_functions: pd.DataFrame,
    theatre_capacity: pd.DataFrame,
    bed_capacity: pd.DataFrame,
    operator_column: str = "operator_id",
    name_column: str = "name",
) -> ResourcePools:
    """One pool per site, with each series' admitted work split over its provider's sites.

    A provider x treatment function is done at the sites its provider operates that list the
    treatment function, in proportion to the sites' theatre minutes (equally if none have
    theatres). Elective hubs serving other providers are modelled by passing a different `share`
    (e.g. from a rebalancing plan) to `ResourcePools` directly.

    Args:
        keys: The series, columns `provider` and `tfc`, in the projection's order.
        sites: Rows shaped like `site`: `id`, the operator column and the name column.
        site_treatment_functions: Rows shaped like `site_treatment_function`: `site_id`, `tfc`.
        theatre_capacity: Rows shaped like `theatre_capacity`: `site_id`, `theatres`,
            `sessions_per_week`, `session_minutes`, `utilisation_target`.
        bed_capacity: Rows shaped like `bed_capacity`: `site_id`, `elective_overnight_beds`,
            `occupancy_target`.
        operator_column: Column of `sites` holding the provider key used in `keys`.
        name_column: Column of `sites` to name the pools by.

    Returns:
        The pools, one per site, in the order of `sites`.
    """
    site_ids = sites["id"].to_numpy()
    theatres = theatre_capacity.set_index("site_id").reindex(site_ids)
    beds = bed_capacity.set_index("site_id").reindex(site_ids)
    minutes = (
        theatres["theatres"] * theatres["sessions_per_week"] * theatres["session_minutes"]
    ).fillna(0.0)
    column_of = {site: j for j, site in enumerate(site_ids)}
    operator_of = dict(zip(site_ids, sites[operator_column], strict=True))
    offered = np.zeros((len(keys), len(site_ids)))
    tfc_sites: dict[str, list[int]] = {}
    for site, tfc in site_treatment_functions[["site_id", "tfc"]].itertuples(index=False):
        if site in column_of:
            tfc_sites.setdefault(tfc, []).append(site)
    for i, (provider, tfc) in enumerate(keys[["provider", "tfc"]].itertuples(index=False)):
        for site in tfc_sites.get(tfc, []):
            if operator_of[site] == provider:
                offered[i, column_of[site]] = 1.0
    weights = offered * minutes.to_numpy()[None, :]
    no_theatres = weights.sum(axis=1) == 0
    weights[no_theatres] = offered[no_theatres]
    totals = weights.sum(axis=1, keepdims=True)
    share = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    return ResourcePools(
        names=tuple(str(n) for n in sites[name_column]),
        theatre_minutes_per_week=minutes.to_numpy(dtype=float),
        theatre_utilisation_target=theatres["utilisation_target"]
        .astype(float)
        .fillna(0.0)
        .to_numpy(),
        bed_days_per_week=(
            beds["elective_overnight_beds"].astype(float).fillna(0.0) * 7
        ).to_numpy(),
        bed_occupancy_target=beds["occupancy_target"].astype(float).fillna(0.0).to_numpy(),
        share=share,
    )


def projection_input_from_tables(
    waiting_list: pd.DataFrame,
    rtt_activity: pd.DataFrame,
    *,
    horizon_weeks: int = 104,
    provider_column: str = "organisation_id",
    months: int = 3,
    case_mix: pd.DataFrame | None = None,
    capacity_factor: float = 1.0,
    demand_factor: float = 1.0,
    validation_rate_per_week: float | None = None,
    priority_share: float = 0.0,
    start_date: dt.date | None = None,
) -> ProjectionInput:
    """A projection input from frames shaped like the `waiting_list` and `rtt_activity` tables.

    Every provider x treatment function with a waiting list or activity becomes a series,
    sorted by provider then treatment function. Demand and capacity are held at the recent
    weekly rate (times the factors) for the whole horizon. Add theatres and beds afterwards:
    `dataclasses.replace(inp, pools=resource_pools_from_tables(inp.keys(), ...))`.

    Args:
        waiting_list: See `waiting_bands_from_table`.
        rtt_activity: See `weekly_flows_from_activity`.
        horizon_weeks: Weeks to project.
        provider_column: Column naming the provider in both frames.
        months: Months of activity averaged for demand and capacity.
        case_mix: Rows shaped like `case_mix`: `tfc`, `minutes_per_case`,
            `length_of_stay_days`, `day_case_rate`; treatment functions absent use no theatre.
        capacity_factor: Multiplies the recent capacity (1.1 = 10% more).
        demand_factor: Multiplies the recent demand.
        validation_rate_per_week: Removal rate for every series; None uses each series' own
            history where it has two consecutive months, else `DEFAULT_VALIDATION_RATE_PER_MONTH`.
        priority_share: Share of new patients treated first as clinically urgent.
        start_date: Date of week 0.

    Returns:
        The checked projection input.
    """
    bands = waiting_bands_from_table(waiting_list, provider_column=provider_column)
    flows = weekly_flows_from_activity(rtt_activity, provider_column=provider_column, months=months)
    index = bands.index.union(flows.index).sort_values()
    bands = bands.reindex(index, fill_value=0.0)
    flows = flows.reindex(index)
    if validation_rate_per_week is None:
        default = float(weekly_rate_from_monthly(DEFAULT_VALIDATION_RATE_PER_MONTH))
        validation = flows["validation_rate_per_week"].fillna(default).to_numpy()
    else:
        validation = np.full(len(index), validation_rate_per_week)
    tfcs = index.get_level_values("tfc")
    if case_mix is not None:
        mix = case_mix.set_index("tfc").reindex(tfcs)
        minutes = mix["minutes_per_case"].astype(float).fillna(0.0).to_numpy()
        stay = mix["length_of_stay_days"].astype(float).fillna(0.0).to_numpy()
        day_case = mix["day_case_rate"].astype(float).fillna(0.0).to_numpy()
    else:
        minutes = stay = day_case = np.zeros(len(index))
    return ProjectionInput.create(
        provider=index.get_level_values("provider").to_numpy(),
        tfc=tfcs.to_numpy(),
        waiting=bands.to_numpy(),
        demand_per_week=flows["demand_per_week"].fillna(0.0).to_numpy() * demand_factor,
        capacity_per_week=flows["capacity_per_week"].fillna(0.0).to_numpy() * capacity_factor,
        horizon_weeks=horizon_weeks,
        validation_rate_per_week=validation,
        priority_share=priority_share,
        admitted_share=flows["admitted_share"].fillna(0.0).to_numpy(),
        minutes_per_case=minutes,
        length_of_stay_days=stay,
        day_case_rate=day_case,
        start_date=start_date,
    )
