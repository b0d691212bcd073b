"""The typed input of the waiting-list projection, and how to build it from table-shaped frames.

A projection runs over *series*: one provider x RTT treatment function each. For every series it
needs the waiting list now by weekly wait band (the 105 RTT bands), and for every week of the
horizon the demand (new clock starts), the treatment capacity (pathways completed) and the rate
at which patients leave the list without treatment (validation, patients treated elsewhere or
no longer wanting treatment). Theatre and bed use come from the treatment function's case mix and
the share of treatments that are admitted.

The builders read plain DataFrames shaped like the database tables (columns named as in
`ics_capacity.db.models`); the services turn database rows into those frames. Nothing here reads
the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.domain.errors import InvalidInputError

DEFAULT_VALIDATION_RATE_PER_MONTH: float = 0.03
"""Share of the waiting list removed each month for reasons other than treatment.

Estimated from the monthly flow series of 22 systems, April 2020 .. September 2022
(`waiting_list_flow_by_ics_2020-04_2022-09.csv`): the unreported removals
Incomplete(t - 1) + New(t) - Completed(t) - Incomplete(t), divided by Incomplete(t - 1), have a
median of 3.05% a month (interquartile range 1.8% to 4.4%, 601 system-months) once the 37
boundary-change months are set aside (docs/projections.md). Used when a provider's own history
is too short (the RTT extract gives one month).
"""

WEEKS_PER_MONTH: float = 365.25 / 12 / 7
"""Average weeks in a calendar month (4.348), to turn monthly counts and rates into weekly ones."""

WEEKS_PER_YEAR: float = 365.25 / 7
"""Average weeks in a year (52.18), to turn a yearly validation share into a weekly rate."""

MAX_VALIDATION_SHARE_PER_YEAR: float = 0.5
"""The largest yearly share of a list a scenario may say validation removes (docs/assumptions)."""


class ProjectionInputError(InvalidInputError):
    """A projection input is not usable; `problems` lists everything wrong with it."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, eq=False)
class ResourcePools:
    """Theatres and overnight beds (of sites or elective hubs) that series' admitted work uses.

    Attributes:
        names: Pool names (e.g. site or hub names), length G.
        theatre_minutes_per_week: Scheduled theatre session minutes a week (theatres x sessions
            a week x session minutes), shape (G,).
        theatre_utilisation_target: Share of session minutes that can be used for cases, (G,).
        bed_days_per_week: Elective overnight beds x 7, shape (G,).
        bed_occupancy_target: Planned maximum occupancy of those beds, (G,).
        share: Share of each series' admitted work done in each pool, shape (S, G); each row
            sums to 1 (or 0 for a series whose admitted work uses none of these pools).
    """

    names: tuple[str, ...]
    theatre_minutes_per_week: np.ndarray
    theatre_utilisation_target: np.ndarray
    bed_days_per_week: np.ndarray
    bed_occupancy_target: np.ndarray
    share: np.ndarray

    def __post_init__(self) -> None:
        """Checks shapes and ranges, reporting every problem at once."""
        g = len(self.names)
        problems: list[str] = []
        for name in (
            "theatre_minutes_per_week",
            "theatre_utilisation_target",
            "bed_days_per_week",
            "bed_occupancy_target",
        ):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (g,):
                problems.append(f"{name} has shape {values.shape}; expected ({g},), one per pool")
            elif not np.all(np.isfinite(values) & (values >= 0)):
                problems.append(f"{name} must be finite and 0 or more")
        share = np.asarray(self.share, dtype=float)
        object.__setattr__(self, "share", share)
        if share.ndim != 2 or share.shape[1] != g:
            problems.append(f"share has shape {share.shape}; expected (series, {g})")
        elif not np.all(np.isfinite(share) & (share >= 0)) or np.any(share.sum(axis=1) > 1 + 1e-9):
            problems.append(
                "share must be 0 or more, with each series' shares adding up to 1 at most"
            )
        if problems:
            raise ProjectionInputError(problems)


@dataclass(frozen=True, eq=False)
class ProjectionInput:
    """What the projection needs per provider x treatment function (a series), per week.

    Build it with `ProjectionInput.create` (which broadcasts scalars and per-series values over
    the weeks) or with `projection_input_from_tables`. S is the number of series, W the horizon
    in weeks. Values are patients (or patients a week) as floats.

    Attributes:
        provider: Provider of each series (ODS code or organisation id), shape (S,).
        tfc: RTT treatment function code of each series, shape (S,).
        waiting: Patients waiting now by weekly wait band, shape (S, 105): band n holds those
            waiting more than n and up to n + 1 weeks; band 104 all over 104 weeks.
        demand_per_week: New clock starts joining the list each week, shape (S, W).
        capacity_per_week: Pathways that can be completed (treated) each week, shape (S, W).
        validation_rate_per_week: Share of the list removed each week without treatment, (S, W).
        priority_share: Share of each week's new patients who are clinically urgent and are
            treated first, from the shortest waits, before longest waiters, shape (S,).
        admitted_share: Share of completed pathways that are admitted (use theatres and beds), (S,).
        minutes_per_case: Theatre minutes per admitted case, shape (S,); 0 for non-surgical work.
        length_of_stay_days: Mean stay of admitted patients who stay overnight, shape (S,).
        day_case_rate: Share of admitted patients treated as day cases, shape (S,).
        pools: Theatres and beds the series use, for utilisation; None to skip utilisation.
        start_date: Date of week 0 (the waiting-list snapshot), to date the weeks; optional.
    """

    provider: np.ndarray
    tfc: np.ndarray
    waiting: np.ndarray
    demand_per_week: np.ndarray
    capacity_per_week: np.ndarray
    validation_rate_per_week: np.ndarray
    priority_share: np.ndarray
    admitted_share: np.ndarray
    minutes_per_case: np.ndarray
    length_of_stay_days: np.ndarray
    day_case_rate: np.ndarray
    pools: ResourcePools | None = None
    start_date: dt.date | None = None

    def __post_init__(self) -> None:
        """Checks shapes and ranges, reporting every problem at once."""
        problems: list[str] = []
        provider = np.asarray(self.provider)
        tfc = np.asarray(self.tfc)
        object.__setattr__(self, "provider", provider)
        object.__setattr__(self, "tfc", tfc)
        s = provider.shape[0] if provider.ndim == 1 else -1
        if provider.ndim != 1 or tfc.shape != provider.shape:
            problems.append("provider and tfc must be 1-D and the same length (one per series)")
        waiting = np.asarray(self.waiting, dtype=float)
        object.__setattr__(self, "waiting", waiting)
        if waiting.shape != (s, WAIT_BANDS):
            problems.append(f"waiting has shape {waiting.shape}; expected ({s}, {WAIT_BANDS})")
        weekly = np.asarray(self.demand_per_week, dtype=float)
        w = weekly.shape[1] if weekly.ndim == 2 else -1
        if w < 1:
            problems.append("demand_per_week must be (series, weeks) with at least one week")
        for name in ("demand_per_week", "capacity_per_week", "validation_rate_per_week"):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (s, w):
                problems.append(f"{name} has shape {values.shape}; expected ({s}, {w})")
        for name in (
            "priority_share",
            "admitted_share",
            "minutes_per_case",
            "length_of_stay_days",
            "day_case_rate",
        ):
            values = np.asarray(getattr(self, name), dtype=float)
            object.__setattr__(self, name, values)
            if values.shape != (s,):
                problems.append(f"{name} has shape {values.shape}; expected ({s},)")
        if problems:
            raise ProjectionInputError(problems)
        for name in (
            "waiting",
            "demand_per_week",
            "capacity_per_week",
            "minutes_per_case",
            "length_of_stay_days",
        ):
            values = getattr(self, name)
            if not np.all(np.isfinite(values) & (values >= 0)):
                problems.append(f"{name} must be finite and 0 or more")
        for name in (
            "validation_rate_per_week",
            "priority_share",
            "admitted_share",
            "day_case_rate",
        ):
            values = getattr(self, name)
            if not np.all(np.isfinite(values) & (values >= 0) & (values <= 1)):
                problems.append(f"{name} must be a share between 0 and 1")
        if self.pools is not None and self.pools.share.shape[0] != s:
            problems.append(
                f"pools.share has {self.pools.share.shape[0]} rows; expected {s}, one per series"
            )
        if problems:
            raise ProjectionInputError(problems)

    @property
    def series_count(self) -> int:
        """Number of provider x treatment function series (S)."""
        return int(self.provider.shape[0])

    @property
    def horizon_weeks(self) -> int:
        """Number of weeks projected (W)."""
        return int(self.demand_per_week.shape[1])

    @classmethod
    def create(
        cls,
        *,
        provider: Sequence[object] | np.ndarray,
        tfc: Sequence[str] | np.ndarray,
        waiting: np.ndarray,
        demand_per_week: float | np.ndarray,
        capacity_per_week: float | np.ndarray,
        horizon_weeks: int,
        validation_rate_per_week: float | np.ndarray = 0.0,
        priority_share: float | np.ndarray = 0.0,
        admitted_share: float | np.ndarray = 0.0,
        minutes_per_case: float | np.ndarray = 0.0,
        length_of_stay_days: float | np.ndarray = 0.0,
        day_case_rate: float | np.ndarray = 0.0,
        pools: ResourcePools | None = None,
        start_date: dt.date | None = None,
    ) -> ProjectionInput:
        """An input with scalars and per-series values spread over the series and weeks.

        Args:
            provider: Provider of each series.
            tfc: Treatment function of each series.
            waiting: Patients by wait band, (S, 105).
            demand_per_week: Scalar, (S,) or (S, W).
            capacity_per_week: Scalar, (S,) or (S, W).
            horizon_weeks: W, weeks to project.
            validation_rate_per_week: Scalar, (S,) or (S, W).
            priority_share: Scalar or (S,).
            admitted_share: Scalar or (S,).
            minutes_per_case: Scalar or (S,).
            length_of_stay_days: Scalar or (S,).
            day_case_rate: Scalar or (S,).
            pools: Theatres and beds, or None.
            start_date: Date of week 0, or None.

        Returns:
            The checked input.

        Raises:
            ProjectionInputError: If a value has the wrong shape or is out of range.
        """
        provider = np.asarray(provider)
        s = provider.shape[0]

        def weekly(values: float | np.ndarray) -> np.ndarray:
            array = np.asarray(values, dtype=float)
            if array.ndim == 1:
                array = array[:, None]
            return np.array(np.broadcast_to(array, (s, horizon_weeks)))

        def per_series(values: float | np.ndarray) -> np.ndarray:
            return np.array(np.broadcast_to(np.asarray(values, dtype=float), (s,)))

        return cls(
            provider=provider,
            tfc=np.asarray(tfc),
            waiting=np.asarray(waiting, dtype=float),
            demand_per_week=weekly(demand_per_week),
            capacity_per_week=weekly(capacity_per_week),
            validation_rate_per_week=weekly(validation_rate_per_week),
            priority_share=per_series(priority_share),
            admitted_share=per_series(admitted_share),
            minutes_per_case=per_series(minutes_per_case),
            length_of_stay_days=per_series(length_of_stay_days),
            day_case_rate=per_series(day_case_rate),
            pools=pools,
            start_date=start_date,
        )

    def keys(self) -> pd.DataFrame:
        """The series as a frame: `provider`, `tfc`, one row per series in input order."""
        return pd.DataFrame({"provider": self.provider, "tfc": self.tfc})


def weekly_rate_from_monthly(rate_per_month: float | np.ndarray) -> float | np.ndarray:
    """A monthly removal rate as the weekly rate that compounds to it over a month.

    Args:
        rate_per_month: Share removed a month, 0..1.

    Returns:
        Share removed a week: 1 - (1 - rate) ** (1 / 4.348).
    """
    return 1.0 - (1.0 - np.asarray(rate_per_month, dtype=float)) ** (1.0 / WEEKS_PER_MONTH)


def weekly_rate_from_yearly(share_per_year: float | np.ndarray) -> float | np.ndarray:
    """A yearly share removed as the weekly rate that compounds to it over a year.

    Args:
        share_per_year: Share of the list removed over a year, 0..1.

    Returns:
        Share removed a week: 1 - (1 - share) ** (1 / 52.18).
    """
    return 1.0 - (1.0 - np.asarray(share_per_year, dtype=float)) ** (1.0 / WEEKS_PER_YEAR)


def yearly_share_from_weekly(rate_per_week: float | np.ndarray) -> float | np.ndarray:
    """A weekly removal rate as the share of a list it removes over a year (no one joining)."""
    return 1.0 - (1.0 - np.asarray(rate_per_week, dtype=float)) ** WEEKS_PER_YEAR


def with_validation_shares(
    inp: ProjectionInput, share_per_year_by_tfc: Mapping[str, float]
) -> ProjectionInput:
    """The input with each set treatment function's removal rate replaced by its validation share.

    A series whose treatment function has a share loses that share of its list a year to
    validation, spread evenly over the weeks (the weekly rate compounding to it), instead of its
    observed rate of removals without treatment. Other series keep their rate.

    Args:
        inp: The projection input.
        share_per_year_by_tfc: Treatment function code -> share of its list removed a year, 0..0.5.

    Returns:
        A new input (the same object when nothing is set).

    Raises:
        ProjectionInputError: a share outside 0 to `MAX_VALIDATION_SHARE_PER_YEAR`.
    """
    if not share_per_year_by_tfc:
        return inp
    problems = [
        f"validation share for {tfc} is {share!r}; it must be 0 to "
        f"{MAX_VALIDATION_SHARE_PER_YEAR:.0%} of the list a year"
        for tfc, share in share_per_year_by_tfc.items()
        if not (np.isfinite(share) and 0.0 <= share <= MAX_VALIDATION_SHARE_PER_YEAR)
    ]
    if problems:
        raise ProjectionInputError(problems)
    rate = np.array(inp.validation_rate_per_week, dtype=float)
    for i, tfc in enumerate(inp.tfc):
        share = share_per_year_by_tfc.get(str(tfc))
        if share is not None:
            rate[i, :] = weekly_rate_from_yearly(share)
    return replace(inp, validation_rate_per_week=rate)


def observed_validation_by_tfc(inp: ProjectionInput) -> dict[str, float]:
    """Each treatment function's removal rate in week 1 as a yearly share, weighted by list size.

    Returns:
        Treatment function code -> share of its list removed a year at that rate (0..1).
    """
    size = inp.waiting.sum(axis=1)
    rate = inp.validation_rate_per_week[:, 0]
    frame = pd.DataFrame({"tfc": inp.tfc.astype(str), "size": size, "weighted": rate * size})
    frame["rate"] = rate
    result = {}
    for tfc, group in frame.groupby("tfc", sort=True):
        total = float(group["size"].sum())
        if total > 0:
            weekly = float(group["weighted"].sum() / total)
        else:
            weekly = float(group["rate"].mean())
        result[str(tfc)] = float(yearly_share_from_weekly(weekly))
    return result


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
