"""The cohort projection's engine: one weekly step over tail sums, for many runs side by side.

See `ics_capacity.projections.cohort` for the model; this module holds the band measures
(list size, waits over n weeks, percentile waits) read from tail sums, how series are added up
into each level's units, the Monte Carlo multipliers, and the weekly loop (`run_series`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort_results import (
    FLOWS,
    LEVELS,
    LONG_WAIT_WEEKS,
    METRICS,
    RTT_STANDARD_WEEKS,
)
from ics_capacity.projections.inputs import ProjectionInput


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
class LevelPlan:
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
    def build(cls, inp: ProjectionInput, levels: Sequence[str]) -> LevelPlan:
        """The plan for adding the input's series up into each of `levels`."""
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
class RunResult:
    """The weekly measures of one chunk of runs, per level, and the pools' utilisation."""

    measures: dict[str, dict[str, np.ndarray]]  # level -> measure -> (runs, units, weeks + 1)
    bands: dict[str, dict[int, np.ndarray]]  # level -> week -> (runs, units, 105)
    utilisation: dict[str, np.ndarray]  # measure -> (runs, pools, weeks + 1)


def gamma_multipliers(
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


def pool_names(inp: ProjectionInput) -> tuple[str, ...]:
    """The input's resource pools, in the order the utilisation arrays hold them."""
    return inp.pools.names if inp.pools is not None else ()


def run_series(
    inp: ProjectionInput,
    demand: np.ndarray,
    capacity: np.ndarray,
    plan: LevelPlan,
    snapshots: Sequence[int],
    *,
    per_run: int,
) -> RunResult:
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
    return RunResult(
        measures={
            name: {m: by_run(a) for m, a in measures.items()} for name, measures in values.items()
        },
        bands=kept_bands,
        utilisation={k: by_run(a) for k, a in utilisation.items()},
    )
