"""Queue measures of a waiting list, as the NHS-R Community's NHSRwaitinglist package defines them.

The package (https://github.com/nhs-r-community/NHSRwaitinglist, files `R/calc_*.R`) treats a
waiting list as a queue in steady state and uses Little's law (queue size = arrival rate x mean
wait):

- queue load = demand / capacity (`calc_queue_load`): above 1 the list grows;
- target mean wait = target wait / factor, factor 4 by default (`calc_target_mean_wait`): a mean
  wait of a quarter to a sixth of the target gives a 1.8% .. 0.2% chance of breaching it;
- target queue size = demand x target wait / factor (`calc_target_queue_size`, Little's law);
- a queue is too big when it is more than twice its target size (`wl_stats`);
- relief capacity = demand + (queue size - target queue size) / time to target
  (`calc_relief_capacity`), the capacity that brings a too-big queue to its target in time;
- target capacity = demand + (cv_demand^2 + cv_capacity^2) / 2 x factor / target wait
  (`calc_target_capacity`, Kingman's formula as the package writes it), the capacity that keeps
  a queue in equilibrium at its target mean wait;
- waiting list pressure = 2 x mean wait / target wait (`calc_waiting_list_pressure`): above 1
  the list will probably miss its target.

Rates are per week and waits in weeks throughout. `capacity_to_meet_target` answers the inverse
question with the cohort model instead of the steady-state formulas: what constant weekly
capacity meets an RTT target (92% within 18 weeks, no one over 52 weeks, ...) by a given week.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort import METRICS, project
from ics_capacity.projections.inputs import ProjectionInput

DEFAULT_FACTOR = 4.0
"""Target wait / target mean wait (NHSRwaitinglist `calc_target_mean_wait`, default 4)."""

DEFAULT_TIME_TO_TARGET_WEEKS = 26.0
"""Weeks to bring a queue to its target size (NHSRwaitinglist `calc_relief_capacity` default)."""

RTT_STANDARD_PERCENT = 92.0
"""Share of the waiting list to be waiting under 18 weeks (NHS Constitution RTT standard)."""

ArrayLike = float | np.ndarray | pd.Series


def queue_load(demand: ArrayLike, capacity: ArrayLike) -> ArrayLike:
    """Patients joining for every patient leaving: demand / capacity (above 1 the list grows).

    Args:
        demand: Patients joining a week.
        capacity: Patients removed (treated) a week.

    Returns:
        The queue load (inf when capacity is 0 and demand is not).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(demand, capacity)


def target_mean_wait(target_wait: ArrayLike, factor: float = DEFAULT_FACTOR) -> ArrayLike:
    """Mean wait that meets a target wait with high probability: target wait / factor.

    Args:
        target_wait: Target wait in weeks (e.g. 18, or 52).
        factor: 4 (1.8% chance of breach) to 6 (0.2%).

    Returns:
        Weeks.
    """
    return np.divide(target_wait, factor)


def target_queue_size(
    demand: ArrayLike, target_wait: ArrayLike, factor: float = DEFAULT_FACTOR
) -> ArrayLike:
    """Queue size at which the mean wait is target wait / factor (Little's law).

    Args:
        demand: Patients joining a week.
        target_wait: Target wait in weeks.
        factor: Target wait / target mean wait.

    Returns:
        Patients: demand x target wait / factor.
    """
    return np.multiply(demand, target_mean_wait(target_wait, factor))


def relief_capacity(
    demand: ArrayLike,
    queue_size: ArrayLike,
    target_queue_size: ArrayLike,
    time_to_target: ArrayLike = DEFAULT_TIME_TO_TARGET_WEEKS,
    num_referrals: float = 0.0,
    cv_demand: float = 0.0,
) -> ArrayLike:
    """Capacity a week that brings the queue to its target size in the time given.

    As in NHSRwaitinglist, when demand is an estimate from `num_referrals` referrals with
    coefficient of variation `cv_demand`, it is first raised by two standard errors.

    Args:
        demand: Patients joining a week.
        queue_size: Patients waiting now.
        target_queue_size: Patients waiting at the target.
        time_to_target: Weeks to get there.
        num_referrals: Referrals the demand was estimated from (0: demand is known).
        cv_demand: Coefficient of variation of demand.

    Returns:
        Patients a week: demand + (queue size - target queue size) / time to target.
    """
    demand = np.asarray(demand, dtype=float)
    if num_referrals > 0:
        inflation = 2 * demand * cv_demand / np.sqrt(num_referrals)
        demand = np.where(inflation < 1, demand / (1 - inflation), demand)
    result = demand + (np.asarray(queue_size) - np.asarray(target_queue_size)) / np.asarray(
        time_to_target
    )
    return result if result.ndim else float(result)


def target_capacity(
    demand: ArrayLike,
    target_wait: ArrayLike,
    factor: float = DEFAULT_FACTOR,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> ArrayLike:
    """Capacity a week that keeps the queue in equilibrium at its target mean wait.

    Args:
        demand: Patients joining a week.
        target_wait: Target wait in weeks.
        factor: Target wait / target mean wait.
        cv_demand: Coefficient of variation of the time between arrivals (1 for random arrivals).
        cv_capacity: Coefficient of variation of the time between removals.

    Returns:
        demand + (cv_demand^2 + cv_capacity^2) / 2 x factor / target wait, as NHSRwaitinglist
        computes it.
    """
    return np.add(demand, (cv_demand**2 + cv_capacity**2) / 2 * np.divide(factor, target_wait))


def waiting_list_pressure(mean_wait: ArrayLike, target_wait: ArrayLike) -> ArrayLike:
    """Pressure on a waiting list: 2 x mean wait / target wait (above 1: likely to miss it).

    Args:
        mean_wait: Mean wait of the patients waiting, weeks.
        target_wait: Target wait, weeks.

    Returns:
        The pressure.
    """
    return np.divide(np.multiply(2.0, mean_wait), target_wait)


def mean_wait_weeks(waiting: np.ndarray) -> np.ndarray:
    """Mean wait so far of the patients on a list, from patients per weekly band.

    Patients in band n (n to n + 1 weeks) count as n + 0.5 weeks; those over 104 weeks as 104.5,
    so the mean is a lower bound when anyone has waited over two years.

    Args:
        waiting: Patients per band, (..., 105).

    Returns:
        Weeks, (...); NaN for an empty list.
    """
    waiting = np.asarray(waiting, dtype=float)
    size = waiting.sum(axis=-1)
    weighted = waiting @ (np.arange(WAIT_BANDS) + 0.5)
    return np.divide(weighted, size, out=np.full_like(size, np.nan), where=size > 0)


def queue_kpis(
    inp: ProjectionInput,
    *,
    level: Literal["series", "provider", "tfc", "total"] = "series",
    target_wait_weeks: float = 18.0,
    factor: float = DEFAULT_FACTOR,
    time_to_target_weeks: float = DEFAULT_TIME_TO_TARGET_WEEKS,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
) -> pd.DataFrame:
    """NHSRwaitinglist's queue measures for each series (or provider, treatment function, total).

    Demand and capacity are the input's weekly means over the horizon; the queue is the list now.

    Args:
        inp: The projection input.
        level: "series", "provider", "tfc" or "total".
        target_wait_weeks: Target wait (18 for the RTT standard, 52 for long waits).
        factor: Target wait / target mean wait.
        time_to_target_weeks: Weeks allowed to bring a too-big queue to its target size.
        cv_demand: Coefficient of variation of arrivals, for target capacity.
        cv_capacity: Coefficient of variation of removals, for target capacity.

    Returns:
        One row per unit: the level's keys, then `demand_per_week`, `capacity_per_week`,
        `queue_size`, `load`, `load_too_big` (load >= 1), `target_queue_size`,
        `queue_too_big` (queue > 2 x target), `mean_wait_weeks`, `pressure`,
        `target_capacity_per_week`, `relief_capacity_per_week`.
    """
    keys = {
        "series": ["provider", "tfc"],
        "provider": ["provider"],
        "tfc": ["tfc"],
        "total": [],
    }[level]
    frame = inp.keys()
    frame["demand_per_week"] = inp.demand_per_week.mean(axis=1)
    frame["capacity_per_week"] = inp.capacity_per_week.mean(axis=1)
    frame["queue_size"] = inp.waiting.sum(axis=1)
    frame["wait_weeks_total"] = inp.waiting @ (np.arange(WAIT_BANDS) + 0.5)
    sums = ["demand_per_week", "capacity_per_week", "queue_size", "wait_weeks_total"]
    if keys:
        frame = frame.groupby(keys, sort=True)[sums].sum().reset_index()
    else:
        frame = frame[sums].sum().to_frame().T
    frame["load"] = queue_load(frame["demand_per_week"], frame["capacity_per_week"])
    frame["load_too_big"] = frame["load"] >= 1
    frame["target_queue_size"] = target_queue_size(
        frame["demand_per_week"], target_wait_weeks, factor
    )
    frame["queue_too_big"] = frame["queue_size"] > 2 * frame["target_queue_size"]
    frame["mean_wait_weeks"] = np.divide(
        frame["wait_weeks_total"].to_numpy(),
        frame["queue_size"].to_numpy(),
        out=np.full(len(frame), np.nan),
        where=frame["queue_size"].to_numpy() > 0,
    )
    frame["pressure"] = waiting_list_pressure(frame["mean_wait_weeks"], target_wait_weeks)
    frame["target_capacity_per_week"] = target_capacity(
        frame["demand_per_week"], target_wait_weeks, factor, cv_demand, cv_capacity
    )
    frame["relief_capacity_per_week"] = relief_capacity(
        frame["demand_per_week"].to_numpy(),
        frame["queue_size"].to_numpy(),
        frame["target_queue_size"].to_numpy(),
        time_to_target_weeks,
    )
    return frame.drop(columns="wait_weeks_total")


TargetMeasure = Literal[
    "pct_within_18",
    "over_52",
    "over_65",
    "over_78",
    "over_104",
    "list_size",
    "median_wait_weeks",
    "p92_wait_weeks",
]


def capacity_to_meet_target(
    inp: ProjectionInput,
    *,
    measure: TargetMeasure = "pct_within_18",
    value: float | np.ndarray = RTT_STANDARD_PERCENT,
    by_week: int,
    iterations: int = 40,
) -> pd.DataFrame:
    """The constant weekly capacity each series needs to meet a target by a given week.

    For every series the cohort model is run with capacity held at c patients a week from now to
    `by_week`, demand and validation as in the input, and c is found by bisection (the target
    measures improve as capacity grows). `pct_within_18` must reach at least `value`; the other
    measures must fall to at most `value`. An empty list meets every target.

    Args:
        inp: The projection input (its capacity is replaced; its demand is kept).
        measure: The measure the target is on (a name from `cohort.METRICS`).
        value: The target: e.g. 92 (percent within 18 weeks) or 0 (patients over 52 weeks);
            an array gives each series its own (e.g. its part of a trust's limit of long
            waiters), shape (S,).
        by_week: Week by which the target must be met (1 .. the input's horizon).
        iterations: Bisection steps; 40 gives capacity to about 1e-12 of its upper bound.

    Returns:
        One row per series: `provider`, `tfc`, `capacity_per_week` (the input's mean capacity up
        to `by_week`), `required_capacity_per_week`, `extra_capacity_per_week` (required minus
        current, negative when current capacity is more than enough) and `met_now` (whether the
        input's own capacity meets the target).

    Raises:
        ValueError: If the measure is unknown or `by_week` is outside the horizon.
    """
    allowed = [m for m in METRICS if m != "within_18"]
    if measure not in allowed:
        raise ValueError(f"'{measure}' is not a target measure; use one of {', '.join(allowed)}.")
    if not 1 <= by_week <= inp.horizon_weeks:
        raise ValueError(f"by_week is {by_week}; it must be between 1 and {inp.horizon_weeks}.")
    short = dataclasses.replace(
        inp,
        demand_per_week=inp.demand_per_week[:, :by_week],
        capacity_per_week=inp.capacity_per_week[:, :by_week],
        validation_rate_per_week=inp.validation_rate_per_week[:, :by_week],
        pools=None,
    )

    def meets(capacity: np.ndarray) -> np.ndarray:
        trial = dataclasses.replace(short, capacity_per_week=capacity)
        result = project(trial, levels=("series",), snapshot_weeks=()).levels["series"]
        size = result.measures["list_size"][:, -1]
        reached = result.measures[measure][:, -1]
        if measure == "pct_within_18":
            ok = reached >= value - 1e-9
        else:
            ok = reached <= value + 1e-9
        return ok | (size <= 1e-9)

    current = short.capacity_per_week.mean(axis=1)
    low = np.zeros(inp.series_count)
    # Enough to treat everyone waiting and everyone joining in the first week.
    high = inp.waiting.sum(axis=1) + short.demand_per_week.sum(axis=1) + 1.0
    for _ in range(iterations):
        middle = (low + high) / 2
        ok = meets(np.repeat(middle[:, None], by_week, axis=1))
        high = np.where(ok, middle, high)
        low = np.where(ok, low, middle)
    frame = inp.keys()
    frame["capacity_per_week"] = current
    frame["required_capacity_per_week"] = high
    frame["extra_capacity_per_week"] = high - current
    frame["met_now"] = meets(short.capacity_per_week)
    return frame


# --- RAG status against the RTT targets -----------------------------------------------------

_ELECTIVE_REFORM_PLAN = (
    "NHS England, 'Reforming elective care for patients' (Elective Reform Plan, January 2025) "
    "and 2025/26 priorities and operational planning guidance, as summarised in a DHSC written "
    "answer of 20 November 2025 (https://parallelparliament.co.uk/question/89686/"
    "medical-treatments) and by the Independent, 2025 (https://www.independent.co.uk/bulletin/"
    "news/nhs-waiting-list-government-labour-b2833310.html)"
)


@dataclasses.dataclass(frozen=True)
class RttTarget:
    """A waiting-time target a projection is rated against.

    Attributes:
        label: How people name it, e.g. "65% within 18 weeks by March 2026".
        measure: "pct_within_18" (percent waiting under 18 weeks; higher is better) or
            "pct_over_52" (percent waiting over 52 weeks; lower is better).
        target: The percentage to reach.
        due: Date by which it applies; None for a standing standard, rated at the end of the
            projection.
        amber_margin: Percentage points short of the target still rated amber (an assumption
            of this tool, not a national rule).
        source: Where the target is published.
    """

    label: str
    measure: Literal["pct_within_18", "pct_over_52"]
    target: float
    due: dt.date | None
    amber_margin: float
    source: str


RTT_TARGETS: tuple[RttTarget, ...] = (
    RttTarget(
        "92% within 18 weeks (standard)",
        "pct_within_18",
        RTT_STANDARD_PERCENT,
        None,
        5.0,
        "NHS Constitution for England: 92% of patients on incomplete pathways waiting under "
        "18 weeks (Handbook to the NHS Constitution, https://www.gov.uk/government/publications/"
        "supplements-to-the-nhs-constitution-for-england)",
    ),
    RttTarget(
        "Under 1% over 52 weeks",
        "pct_over_52",
        1.0,
        None,
        1.0,
        "2025/26 planning guidance: under 1% of the waiting list waiting over 52 weeks by March "
        f"2026, held as a standing target here; {_ELECTIVE_REFORM_PLAN}",
    ),
    RttTarget(
        "65% within 18 weeks by March 2026",
        "pct_within_18",
        65.0,
        dt.date(2026, 3, 31),
        5.0,
        _ELECTIVE_REFORM_PLAN,
    ),
    RttTarget(
        "Under 1% over 52 weeks by March 2026",
        "pct_over_52",
        1.0,
        dt.date(2026, 3, 31),
        1.0,
        _ELECTIVE_REFORM_PLAN,
    ),
    RttTarget(
        "92% within 18 weeks by March 2029",
        "pct_within_18",
        RTT_STANDARD_PERCENT,
        dt.date(2029, 3, 31),
        5.0,
        _ELECTIVE_REFORM_PLAN,
    ),
)
"""The 18-week standard, the interim milestones and the 52-week target, with sources."""

RAG_STATUSES = ("Green", "Amber", "Red", "Not projected")
"""Statuses `rag_status` gives, best first."""


def rag_status(
    frame: pd.DataFrame,
    *,
    targets: Sequence[RttTarget] = RTT_TARGETS,
    unit_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Rates projected waiting lists Green, Amber or Red against each RTT target.

    A dated target is rated at the last projected week that ends on or before its date; one
    due before the projection starts or after it ends is "Not projected". A standing target is
    rated at the last projected week. Green meets the target, Amber misses it by at most the
    target's amber margin (percentage points), Red misses it by more.

    Args:
        frame: A `Projection.frame(level)` result (`week`, `list_size`, `pct_within_18`,
            `over_52`, and `week_start` for dated targets), or a Monte Carlo frame reduced to
            those columns (e.g. its p50).
        targets: The targets to rate against.
        unit_columns: The level's key columns (e.g. ["provider"]); none for the total.

    Returns:
        One row per unit x target: the unit columns, `target` (label), `measure`, `due`
        (date or None), `week` (rated week, or NaN), `value` (percent), `goal` (the target
        percent), `status` (one of `RAG_STATUSES`).
    """
    units = list(unit_columns)
    data = frame.copy()
    data["pct_over_52"] = np.divide(
        100.0 * data["over_52"].to_numpy(dtype=float),
        data["list_size"].to_numpy(dtype=float),
        out=np.full(len(data), np.nan),
        where=data["list_size"].to_numpy(dtype=float) > 0,
    )
    last_week = int(data["week"].max())
    rows = []
    grouped = data.groupby(units, sort=True) if units else [((), data)]
    for key, unit in grouped:
        key = key if isinstance(key, tuple) else (key,)
        by_week = unit.set_index("week")
        for target in targets:
            week = _rated_week(by_week, target, last_week)
            value = np.nan if week is None else float(by_week[target.measure].loc[week])
            if week is None or not np.isfinite(value):
                status = "Not projected"
            else:
                shortfall = (
                    target.target - value
                    if target.measure == "pct_within_18"
                    else value - target.target
                )
                if shortfall <= 1e-9:
                    status = "Green"
                elif shortfall <= target.amber_margin:
                    status = "Amber"
                else:
                    status = "Red"
            rows.append(
                (
                    *key,
                    target.label,
                    target.measure,
                    target.due,
                    np.nan if week is None else week,
                    value,
                    target.target,
                    status,
                )
            )
    return pd.DataFrame(
        rows, columns=[*units, "target", "measure", "due", "week", "value", "goal", "status"]
    )


def _rated_week(by_week: pd.DataFrame, target: RttTarget, last_week: int) -> int | None:
    """The projected week a target is rated at, or None if the projection does not reach it."""
    if target.due is None:
        return last_week
    if "week_start" not in by_week.columns:
        return None
    ends = pd.to_datetime(by_week["week_start"]) + pd.Timedelta(days=7)
    due = pd.Timestamp(target.due) + pd.Timedelta(days=1)
    reached = ends[(ends <= due) & (by_week.index > 0)]
    if reached.empty or ends.max() < due - pd.Timedelta(days=7):
        return None
    return int(reached.index.max())
