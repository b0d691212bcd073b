"""Weekly cohort projection of RTT waiting lists by provider x treatment function x wait band.

Each week, for every series (provider x treatment function):

1. everyone waiting gets a week older (band n moves to n + 1; band 104, "over 104 weeks",
   keeps its patients and takes band 103's);
2. the week's new clock starts join band 0;
3. a share of every band leaves without treatment (validation removals);
4. treatment capacity is used in turn: first the clinically urgent (`priority_share` of the
   week's new patients), taken from the shortest waits, then the longest waiters first.

The state is held as *tail sums*: T[b] = patients waiting b weeks or more (T[0] = list size).
In that form each step is one vectorised operation over all series and bands: ageing moves a
window one band along a ring buffer (copying one row, the list size), validation scales T,
treating the longest waiters first is T <- max(T - capacity, 0) and treating the shortest waits
first is T <- min(T, size - treated). Counts over 52, 65 and 78 weeks are single columns, and the
median and 92nd percentile waits interpolate within the band where the tail crosses the share.

Monte Carlo runs are stacked beside the series, in chunks, and reuse the same step, so with no
variation every run equals the deterministic projection (to rounding, about 1e-15 relative).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.inputs import ProjectionInput

RTT_STANDARD_WEEKS = 18
"""The RTT standard: patients should start treatment within 18 weeks of referral."""

LONG_WAIT_WEEKS = (52, 65, 78, 104)
"""Long-wait thresholds counted each week (more than n weeks)."""

METRICS: tuple[str, ...] = (
    "list_size",
    "within_18",
    "pct_within_18",
    "over_52",
    "over_65",
    "over_78",
    "over_104",
    "median_wait_weeks",
    "p92_wait_weeks",
)
"""Measures of the waiting list at the end of each week."""

FLOWS: tuple[str, ...] = ("demand", "treated", "validated")
"""Patients joining, treated and removed without treatment during each week."""

UTILISATION: tuple[str, ...] = (
    "theatre_minutes_used",
    "theatre_utilisation",
    "bed_days_used",
    "bed_occupancy",
)
"""Theatre and bed use of each pool during each week."""

LEVELS: dict[str, tuple[str, ...]] = {
    "total": (),
    "provider": ("provider",),
    "tfc": ("tfc",),
    "series": ("provider", "tfc"),
}
"""Levels results can be reported at, and the key columns of each."""

# Tail sums (bands x series x runs) per Monte Carlo chunk: small enough to stay in cache.
_MC_CHUNK_VALUES = 1_200_000


@dataclass(frozen=True)
class Variation:
    """How demand and capacity vary between Monte Carlo runs (coefficients of variation).

    Multipliers are gamma-distributed with mean 1 and the given coefficient of variation
    (exactly 1 when it is 0). Level multipliers are drawn once per run and shared by every
    series and week (a system-wide surge or shortfall lasting the whole horizon); weekly
    multipliers are drawn for every series and week independently.

    Attributes:
        demand_cv_weekly: Week-to-week variation of each series' demand.
        demand_cv_level: Run-to-run variation of the level of demand.
        capacity_cv_weekly: Week-to-week variation of each series' capacity.
        capacity_cv_level: Run-to-run variation of the level of capacity.
    """

    demand_cv_weekly: float = 0.0
    demand_cv_level: float = 0.0
    capacity_cv_weekly: float = 0.0
    capacity_cv_level: float = 0.0

    def __post_init__(self) -> None:
        """Refuses negative or non-finite coefficients."""
        for name, value in vars(self).items():
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"{name} is {value}; a coefficient of variation must be 0 or more."
                )


@dataclass(frozen=True, eq=False)
class LevelResult:
    """Weekly measures at one level (total, provider, treatment function or series).

    Attributes:
        keys: One row per unit, columns as `LEVELS[level]` (none for the total).
        measures: Measure name -> array (units, weeks + 1); week 0 is the starting snapshot
            (flows are NaN there). For Monte Carlo results the arrays are
            (quantiles, units, weeks + 1).
        bands: Week -> patients by wait band, (units, 105), for the snapshot weeks kept.
    """

    keys: pd.DataFrame
    measures: dict[str, np.ndarray]
    bands: dict[int, np.ndarray]


@dataclass(frozen=True, eq=False)
class Projection:
    """A deterministic projection: weekly measures per level, and pool utilisation.

    Attributes:
        input: The input projected.
        levels: Level name -> its weekly measures.
        pools: Pool names (empty without pools).
        utilisation: Measure name (`UTILISATION`) -> array (pools, weeks + 1), NaN at week 0.
    """

    input: ProjectionInput
    levels: dict[str, LevelResult]
    pools: tuple[str, ...]
    utilisation: dict[str, np.ndarray]

    def frame(self, level: str = "total") -> pd.DataFrame:
        """Weekly measures at one level as a long-by-week table.

        Args:
            level: "total", "provider", "tfc" or "series".

        Returns:
            One row per unit x week: the level's key columns, `week` (0 = now), `week_start`
            (date, when the input has a start date), then `list_size`, `within_18`,
            `pct_within_18` (percent, 0..100), `over_52`, `over_65`, `over_78`, `over_104`,
            `median_wait_weeks`, `p92_wait_weeks` (patients, percent or weeks at the end of
            the week) and `demand`, `treated`, `validated` (patients during the week).
        """
        result = self._level(level)
        return _long_frame(result.keys, result.measures, (*METRICS, *FLOWS), self.input.start_date)

    def bands_frame(self, level: str = "total") -> pd.DataFrame:
        """Patients by wait band at the snapshot weeks (now and the end, unless asked otherwise).

        Args:
            level: "total", "provider", "tfc" or "series".

        Returns:
            Columns: the level's keys, `week`, `wait_band_weeks` (0..104), `patients`.
        """
        result = self._level(level)
        parts = []
        for week, counts in sorted(result.bands.items()):
            units, bands = np.meshgrid(
                np.arange(counts.shape[0]), np.arange(WAIT_BANDS), indexing="ij"
            )
            part = result.keys.iloc[units.ravel()].reset_index(drop=True)
            part["week"] = week
            part["wait_band_weeks"] = bands.ravel()
            part["patients"] = counts.ravel()
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def utilisation_frame(self) -> pd.DataFrame:
        """Theatre and bed use per pool and week.

        Returns:
            Columns `pool`, `week` (1..W), `week_start` (with a start date), `theatre_minutes_used`,
            `theatre_utilisation` (used / scheduled session minutes), `bed_days_used`,
            `bed_occupancy` (bed-days used / bed-days available), plus the pools' targets
            `theatre_utilisation_target` and `bed_occupancy_target`.
        """
        keys = pd.DataFrame({"pool": list(self.pools)})
        frame = _long_frame(keys, self.utilisation, UTILISATION, self.input.start_date)
        frame = frame[frame["week"] > 0].reset_index(drop=True)
        if self.input.pools is not None:
            targets = pd.DataFrame(
                {
                    "pool": list(self.pools),
                    "theatre_utilisation_target": self.input.pools.theatre_utilisation_target,
                    "bed_occupancy_target": self.input.pools.bed_occupancy_target,
                }
            )
            frame = frame.merge(targets, on="pool", how="left")
        return frame

    def _level(self, level: str) -> LevelResult:
        if level not in self.levels:
            raise KeyError(
                f"level '{level}' was not projected; projected: {', '.join(self.levels)}"
            )
        return self.levels[level]


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Quantiles over Monte Carlo runs of the weekly measures and the pool utilisation.

    Attributes:
        input: The input simulated.
        runs: Number of runs.
        quantiles: Quantiles kept, e.g. (0.1, 0.5, 0.9).
        variation: The variation simulated.
        levels: Level name -> measures as (quantiles, units, weeks + 1) arrays.
        pools: Pool names.
        utilisation: Measure name -> (quantiles, pools, weeks + 1) arrays.
    """

    input: ProjectionInput
    runs: int
    quantiles: tuple[float, ...]
    variation: Variation
    levels: dict[str, LevelResult]
    pools: tuple[str, ...]
    utilisation: dict[str, np.ndarray]

    def frame(self, level: str = "total") -> pd.DataFrame:
        """Quantiles of each weekly measure at one level.

        Args:
            level: One of the levels simulated.

        Returns:
            One row per unit x week x measure: the level's keys, `week`, `week_start` (with a
            start date), `metric` (a name from `METRICS` or `FLOWS`), then one column per
            quantile named `p10`, `p50`, `p90` (for quantiles 0.1, 0.5, 0.9).
        """
        if level not in self.levels:
            raise KeyError(
                f"level '{level}' was not simulated; simulated: {', '.join(self.levels)}"
            )
        result = self.levels[level]
        return self._quantile_frame(result.keys, result.measures, (*METRICS, *FLOWS))

    def utilisation_frame(self) -> pd.DataFrame:
        """Quantiles of theatre and bed use per pool and week (weeks 1..W).

        Returns:
            Columns `pool`, `week`, `week_start` (with a start date), `metric` (from
            `UTILISATION`), `p10`, `p50`, `p90`.
        """
        keys = pd.DataFrame({"pool": list(self.pools)})
        frame = self._quantile_frame(keys, self.utilisation, UTILISATION)
        return frame[frame["week"] > 0].reset_index(drop=True)

    def _quantile_frame(
        self, keys: pd.DataFrame, values: dict[str, np.ndarray], names: Sequence[str]
    ) -> pd.DataFrame:
        labels = [f"p{round(q * 100):02d}" for q in self.quantiles]
        parts = []
        for name in names:
            per_quantile = {label: values[name][i] for i, label in enumerate(labels)}
            part = _long_frame(keys, per_quantile, labels, self.input.start_date)
            part.insert(len(keys.columns) + (2 if "week_start" in part else 1), "metric", name)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)


def project(
    inp: ProjectionInput,
    *,
    levels: Sequence[str] = ("total", "provider", "tfc", "series"),
    snapshot_weeks: Sequence[int] | None = None,
) -> Projection:
    """Projects every series week by week with the input's demand and capacity.

    Args:
        inp: The projection input.
        levels: Levels to report ("total", "provider", "tfc", "series").
        snapshot_weeks: Weeks whose wait-band distribution is kept (default: 0 and the last).

    Returns:
        The weekly measures per level and the utilisation of the input's pools.
    """
    plan = _LevelPlan.build(inp, levels)
    weeks = inp.horizon_weeks
    snapshots = sorted(set(snapshot_weeks if snapshot_weeks is not None else (0, weeks)))
    run = _run(
        inp, inp.demand_per_week[None], inp.capacity_per_week[None], plan, snapshots, per_run=1
    )
    return Projection(
        input=inp,
        levels={
            name: LevelResult(
                keys=plan.keys[name],
                measures={k: v[0] for k, v in run.measures[name].items()},
                bands={w: b[0] for w, b in run.bands[name].items()},
            )
            for name in plan.names
        },
        pools=_pool_names(inp),
        utilisation={k: v[0] for k, v in run.utilisation.items()},
    )


def simulate(
    inp: ProjectionInput,
    *,
    runs: int,
    rng: np.random.Generator,
    variation: Variation,
    levels: Sequence[str] = ("total", "provider"),
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
) -> MonteCarloResult:
    """Monte Carlo projection: quantiles over runs with demand and capacity varied.

    Args:
        inp: The projection input (the expected demand and capacity).
        runs: Number of runs.
        rng: Random generator; the same seed and input give the same result.
        variation: How much demand and capacity vary.
        levels: Levels to report; "series" is allowed but needs runs x series x weeks memory.
        quantiles: Quantiles to keep, e.g. (0.1, 0.5, 0.9) for a p10-p90 band and the median.

    Returns:
        Quantiles of the weekly measures per level, and of the pools' utilisation.

    Raises:
        ValueError: If `runs` is less than 1 or a quantile is outside 0..1.
    """
    if runs < 1:
        raise ValueError(f"runs is {runs}; at least one run is needed.")
    if not all(0 <= q <= 1 for q in quantiles):
        raise ValueError(f"quantiles {list(quantiles)} must be between 0 and 1.")
    plan = _LevelPlan.build(inp, levels)
    series, weeks = inp.series_count, inp.horizon_weeks
    per_chunk = max(1, min(runs, _MC_CHUNK_VALUES // max(1, series * WAIT_BANDS)))
    collected: list[_RunResult] = []
    for start in range(0, runs, per_chunk):
        count = min(per_chunk, runs - start)
        demand = inp.demand_per_week[None] * _multipliers(
            rng, variation.demand_cv_level, variation.demand_cv_weekly, count, series, weeks
        )
        capacity = inp.capacity_per_week[None] * _multipliers(
            rng, variation.capacity_cv_level, variation.capacity_cv_weekly, count, series, weeks
        )
        collected.append(_run(inp, demand, capacity, plan, [], per_run=count))
    q = np.asarray(quantiles, dtype=float)

    def summarise(arrays: list[np.ndarray]) -> np.ndarray:
        stacked = np.concatenate(arrays, axis=0)
        if stacked.size == 0:
            return np.full((len(q), *stacked.shape[1:]), np.nan)
        all_nan = np.isnan(stacked).all(axis=0)
        filled = np.where(all_nan[None], 0.0, stacked)
        result = np.nanquantile(filled, q, axis=0)
        result[:, all_nan] = np.nan
        return result

    return MonteCarloResult(
        input=inp,
        runs=runs,
        quantiles=tuple(float(x) for x in quantiles),
        variation=variation,
        levels={
            name: LevelResult(
                keys=plan.keys[name],
                measures={
                    k: summarise([c.measures[name][k] for c in collected])
                    for k in (*METRICS, *FLOWS)
                },
                bands={},
            )
            for name in plan.names
        },
        pools=_pool_names(inp),
        utilisation={k: summarise([c.utilisation[k] for c in collected]) for k in UTILISATION},
    )


def wait_band_counts(tail: np.ndarray) -> np.ndarray:
    """Patients per wait band from tail sums (patients waiting at least n weeks).

    Args:
        tail: Tail sums, (..., 105).

    Returns:
        Patients in each band, same shape: T[b] - T[b + 1], the last band T[104].
    """
    counts = np.empty_like(tail)
    counts[..., :-1] = tail[..., :-1] - tail[..., 1:]
    counts[..., -1] = tail[..., -1]
    return counts


def tail_sums(waiting: np.ndarray) -> np.ndarray:
    """Patients waiting at least n weeks, n = 0..104, from patients per wait band.

    Args:
        waiting: Patients per band, (..., 105).

    Returns:
        Tail sums, same shape; column 0 is the list size.
    """
    return np.cumsum(waiting[..., ::-1], axis=-1)[..., ::-1]


def wait_percentile_weeks(tail: np.ndarray, share: float) -> np.ndarray:
    """The wait within which a share of the list has waited, interpolated within the band.

    Args:
        tail: Tail sums, (units, 105).
        share: E.g. 0.5 for the median wait, 0.92 for the 92nd percentile.

    Returns:
        Weeks, (units,): NaN for an empty list; 104 when the percentile falls in the open
        "over 104 weeks" band.
    """
    return _percentile_weeks(np.ascontiguousarray(np.asarray(tail, dtype=float).T), share)


def list_measures(tail: np.ndarray) -> dict[str, np.ndarray]:
    """Measures of waiting lists from their tail sums.

    Args:
        tail: Tail sums, (units, 105).

    Returns:
        Name (as in `METRICS`) -> (units,) array; `pct_within_18` in percent.
    """
    return _measures(np.ascontiguousarray(np.asarray(tail, dtype=float).T))


# --- internals ------------------------------------------------------------------------------
# Inside the engine arrays are band-major: tail sums are (105, series, runs), so every step works
# on contiguous rows of series x runs and each series' own values broadcast along the bands.

_SEARCH_STEPS = int(np.ceil(np.log2(WAIT_BANDS)))
_MATRIX_MIN_RUNS = 8  # from this many runs side by side, add series up by matrix product


def _percentile_weeks(tail: np.ndarray, share: float) -> np.ndarray:
    """`wait_percentile_weeks` on band-major tail sums (105, units)."""
    return _percentiles_weeks(tail, (share,))[0]


def _percentiles_weeks(tail: np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """Wait percentiles of band-major tail sums (105, units), as (shares, units) weeks.

    A branchless binary search per unit: the percentile lies in band k, where k counts the bands
    b >= 1 whose tail still holds more than (1 - share) of the list (tails never rise with b).
    """
    bands, units = tail.shape
    flat = tail.reshape(-1)
    size = np.tile(tail[0], len(shares))
    threshold = np.repeat(1.0 - np.asarray(shares, dtype=float), units) * size
    column = np.tile(np.arange(units), len(shares))
    band = np.zeros(column.shape, dtype=np.intp)
    last = bands - 1
    for step in 2 ** np.arange(_SEARCH_STEPS - 1, -1, -1):
        candidate = band + step
        inside = candidate <= last
        value = flat[np.minimum(candidate, last) * units + column]
        band += step * (inside & (value > threshold))
    upper = flat[band * units + column]
    below = np.where(band < last, flat[np.minimum(band + 1, last) * units + column], 0.0)
    in_band = upper - below
    fraction = np.divide(upper - threshold, in_band, out=np.zeros_like(in_band), where=in_band > 0)
    weeks = np.where(band >= last, float(last), band + np.clip(fraction, 0.0, 1.0))
    return np.where(size > 0, weeks, np.nan).reshape(len(shares), units)


def _measures(tail: np.ndarray) -> dict[str, np.ndarray]:
    """`list_measures` on band-major tail sums (105, units)."""
    size = tail[0]
    within = size - tail[RTT_STANDARD_WEEKS]
    measures = {
        "list_size": size.copy(),
        "within_18": within,
        "pct_within_18": np.divide(
            100.0 * within, size, out=np.full_like(size, np.nan), where=size > 0
        ),
    }
    for weeks in LONG_WAIT_WEEKS:
        measures[f"over_{weeks}"] = tail[weeks].copy()
    median, p92 = _percentiles_weeks(np.ascontiguousarray(tail), (0.5, 0.92))
    measures["median_wait_weeks"] = median
    measures["p92_wait_weeks"] = p92
    return measures


@dataclass(frozen=True, eq=False)
class _LevelPlan:
    """How to add series up into each level's units.

    One run (the deterministic projection) adds with `np.add.reduceat` over series sorted by
    unit; many runs side by side multiply by a 0/1 series x unit matrix (one BLAS call). The two
    agree to rounding (about 1e-15 relative), not bit for bit.
    """

    names: tuple[str, ...]
    keys: dict[str, pd.DataFrame]
    order: dict[str, np.ndarray | None]
    starts: dict[str, np.ndarray | None]
    indicator: dict[str, np.ndarray | None]

    @classmethod
    def build(cls, inp: ProjectionInput, levels: Sequence[str]) -> _LevelPlan:
        unknown = [name for name in levels if name not in LEVELS]
        if unknown:
            raise ValueError(f"unknown level(s) {unknown}; use {', '.join(LEVELS)}.")
        series = inp.keys()
        count = len(series)
        keys: dict[str, pd.DataFrame] = {}
        order: dict[str, np.ndarray | None] = {}
        starts: dict[str, np.ndarray | None] = {}
        indicator: dict[str, np.ndarray | None] = {}
        for name in dict.fromkeys(levels):
            columns = list(LEVELS[name])
            if name == "series":
                keys[name], order[name], starts[name], indicator[name] = series, None, None, None
                continue
            if columns:
                codes = series.groupby(columns, sort=True).ngroup().to_numpy()
            else:
                codes = np.zeros(count, dtype=np.intp)
            sort = np.argsort(codes, kind="stable")
            sorted_codes = codes[sort]
            boundaries = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
            keys[name] = (
                series.iloc[sort[boundaries]][columns].reset_index(drop=True)
                if columns
                else pd.DataFrame(index=range(1))
            )
            is_identity = bool(np.array_equal(sort, np.arange(count)))
            order[name] = None if is_identity else sort
            starts[name] = boundaries
            matrix = np.zeros((count, len(boundaries)))
            matrix[np.arange(count), codes] = 1.0
            indicator[name] = matrix
        return cls(tuple(keys), keys, order, starts, indicator)

    def add_up(self, name: str, values: np.ndarray) -> np.ndarray:
        """Sums (..., runs, series) values over the series into (..., runs, units)."""
        starts = self.starts[name]
        if starts is None:
            return values
        runs = values.shape[-2]
        if runs >= _MATRIX_MIN_RUNS:
            return values @ self.indicator[name]
        order = self.order[name]
        ordered = values if order is None else np.take(values, order, axis=-1)
        return np.add.reduceat(ordered, starts, axis=-1)


@dataclass(frozen=True, eq=False)
class _RunResult:
    measures: dict[str, dict[str, np.ndarray]]  # level -> measure -> (runs, units, weeks + 1)
    bands: dict[str, dict[int, np.ndarray]]  # level -> week -> (runs, units, 105)
    utilisation: dict[str, np.ndarray]  # measure -> (runs, pools, weeks + 1)


def _multipliers(
    rng: np.random.Generator,
    cv_level: float,
    cv_weekly: float,
    runs: int,
    series: int,
    weeks: int,
) -> np.ndarray:
    """Gamma multipliers with mean 1: one level per run times one per series and week."""
    result = np.ones((runs, 1, 1))
    if cv_level > 0:
        shape = 1.0 / cv_level**2
        result = rng.gamma(shape, 1.0 / shape, size=(runs, 1, 1))
    if cv_weekly > 0:
        shape = 1.0 / cv_weekly**2
        result = result * rng.gamma(shape, 1.0 / shape, size=(runs, series, weeks))
    return result


def _pool_names(inp: ProjectionInput) -> tuple[str, ...]:
    return inp.pools.names if inp.pools is not None else ()


def _run(
    inp: ProjectionInput,
    demand: np.ndarray,
    capacity: np.ndarray,
    plan: _LevelPlan,
    snapshots: Sequence[int],
    *,
    per_run: int,
) -> _RunResult:
    """Projects `per_run` copies of the series with their own demand and capacity (runs, S, W)."""
    series, weeks, bands = inp.series_count, inp.horizon_weeks, WAIT_BANDS
    runs = per_run
    # Week-major, then runs, then series: each week's slice is a contiguous (runs, S) block.
    demand = np.ascontiguousarray(np.broadcast_to(demand, (runs, series, weeks)).transpose(2, 0, 1))
    capacity = np.ascontiguousarray(
        np.broadcast_to(capacity, (runs, series, weeks)).transpose(2, 0, 1)
    )
    kept = np.ascontiguousarray((1.0 - inp.validation_rate_per_week).T)  # (W, S)
    priority = inp.priority_share
    # Theatre minutes and overnight bed-days one treated patient of each series needs.
    minutes = inp.admitted_share * inp.minutes_per_case
    bed_days = inp.admitted_share * (1 - inp.day_case_rate) * inp.length_of_stay_days

    # Ring buffer over the band axis: at week w the tail sums are rows [weeks - w, + 105).
    buffer = np.empty((bands + weeks, runs, series))
    buffer[weeks:] = tail_sums(inp.waiting).T[:, None, :]

    values = {
        name: {
            m: np.full((weeks + 1, runs, len(plan.keys[name])), np.nan) for m in (*METRICS, *FLOWS)
        }
        for name in plan.names
    }
    kept_bands: dict[str, dict[int, np.ndarray]] = {name: {} for name in plan.names}
    pools = inp.pools
    pool_count = len(pools.names) if pools is not None else 0
    theatre_used = np.full((weeks + 1, runs, pool_count), np.nan)
    beds_used = np.full((weeks + 1, runs, pool_count), np.nan)
    snapshot_set = set(snapshots)

    def record(week: int, tail: np.ndarray, flows: dict[str, np.ndarray] | None) -> None:
        grouped = {name: plan.add_up(name, tail) for name in plan.names}
        # All levels' units side by side, so each measure is one vectorised call per week.
        widths = [runs * grouped[name].shape[-1] for name in plan.names]
        side_by_side = np.concatenate(
            [
                grouped[name].reshape(bands, width)
                for name, width in zip(plan.names, widths, strict=True)
            ],
            axis=1,
        )
        measures = _measures(side_by_side)
        edges = np.cumsum([0, *widths])
        for i, name in enumerate(plan.names):
            units = grouped[name].shape[-1]
            for metric, array in measures.items():
                values[name][metric][week] = array[edges[i] : edges[i + 1]].reshape(runs, units)
            if flows is not None:
                for flow, array in flows.items():
                    values[name][flow][week] = plan.add_up(name, array)
            if week in snapshot_set:
                kept_bands[name][week] = wait_band_counts(grouped[name].transpose(1, 2, 0))

    record(0, buffer[weeks:], None)
    for week in range(weeks):
        top = weeks - week - 1
        buffer[top] = buffer[top + 1]  # ageing: the whole list is now waiting 0 weeks or more
        tail = buffer[top : top + bands]
        joining = demand[week]
        tail[0] += joining
        before = tail[0].copy()
        tail *= kept[week]
        size = tail[0].copy()
        validated = before - size
        # Clinically urgent patients first, from the shortest waits: T <- min(T, size - urgent).
        # Then the longest waiters with the capacity left: T <- max(T - routine, 0). Together:
        # T <- max(min(T - routine, size - urgent - routine), 0).
        urgent = np.minimum(np.minimum(priority * joining, capacity[week]), size)
        routine = capacity[week] - urgent
        tail -= routine
        np.minimum(tail, np.maximum(size - urgent - routine, 0.0), out=tail)
        np.maximum(tail, 0.0, out=tail)
        treated = size - tail[0]
        record(week + 1, tail, {"demand": joining, "treated": treated, "validated": validated})
        if pools is not None:
            theatre_used[week + 1] = (treated * minutes) @ pools.share
            beds_used[week + 1] = (treated * bed_days) @ pools.share

    def by_run(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array.transpose(1, 2, 0))  # (runs, units, weeks + 1)

    utilisation = {"theatre_minutes_used": theatre_used, "bed_days_used": beds_used}
    for name, used, available in (
        ("theatre_utilisation", theatre_used, pools.theatre_minutes_per_week if pools else None),
        ("bed_occupancy", beds_used, pools.bed_days_per_week if pools else None),
    ):
        if available is None:
            utilisation[name] = used.copy()
        else:
            utilisation[name] = np.divide(
                used, available, out=np.full_like(used, np.nan), where=available > 0
            )
    return _RunResult(
        measures={
            name: {m: by_run(a) for m, a in measures.items()} for name, measures in values.items()
        },
        bands=kept_bands,
        utilisation={k: by_run(a) for k, a in utilisation.items()},
    )


def _long_frame(
    keys: pd.DataFrame,
    values: dict[str, np.ndarray],
    names: Sequence[str],
    start_date: dt.date | None,
) -> pd.DataFrame:
    """(units, weeks + 1) arrays as rows of unit x week, with the unit's keys."""
    first = values[names[0]]
    units, weeks = first.shape
    frame = keys.iloc[np.repeat(np.arange(units), weeks)].reset_index(drop=True)
    frame["week"] = np.tile(np.arange(weeks), units)
    if start_date is not None:
        frame["week_start"] = pd.Timestamp(start_date) + pd.to_timedelta(frame["week"] * 7, "D")
    for name in names:
        frame[name] = values[name].ravel()
    return frame
