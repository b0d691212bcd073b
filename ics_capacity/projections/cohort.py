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

The parts: `cohort_results` (the measures and the result types) and `cohort_engine` (the
weekly step and the band measures); their public names are importable from here as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort_engine import (
    LevelPlan,
    RunResult,
    gamma_multipliers,
    list_measures,
    pool_names,
    run_series,
    tail_sums,
    wait_band_counts,
    wait_percentile_weeks,
)
from ics_capacity.projections.cohort_results import (
    FLOWS,
    LEVELS,
    LONG_WAIT_WEEKS,
    METRICS,
    RTT_STANDARD_WEEKS,
    UTILISATION,
    LevelResult,
    MonteCarloResult,
    Projection,
    Variation,
)
from ics_capacity.projections.inputs import ProjectionInput

__all__ = [
    "FLOWS",
    "LEVELS",
    "LONG_WAIT_WEEKS",
    "METRICS",
    "RTT_STANDARD_WEEKS",
    "UTILISATION",
    "LevelResult",
    "MonteCarloResult",
    "Projection",
    "Variation",
    "list_measures",
    "project",
    "simulate",
    "tail_sums",
    "wait_band_counts",
    "wait_percentile_weeks",
]

# Tail sums (bands x series x runs) per Monte Carlo chunk: small enough to stay in cache.
_MC_CHUNK_VALUES = 1_200_000


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
    plan = LevelPlan.build(inp, levels)
    weeks = inp.horizon_weeks
    snapshots = sorted(set(snapshot_weeks if snapshot_weeks is not None else (0, weeks)))
    run = run_series(
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
        pools=pool_names(inp),
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
    plan = LevelPlan.build(inp, levels)
    series, weeks = inp.series_count, inp.horizon_weeks
    per_chunk = max(1, min(runs, _MC_CHUNK_VALUES // max(1, series * WAIT_BANDS)))
    collected: list[RunResult] = []
    for start in range(0, runs, per_chunk):
        count = min(per_chunk, runs - start)
        demand = inp.demand_per_week[None] * gamma_multipliers(
            rng, variation.demand_cv_level, variation.demand_cv_weekly, count, series, weeks
        )
        capacity = inp.capacity_per_week[None] * gamma_multipliers(
            rng, variation.capacity_cv_level, variation.capacity_cv_weekly, count, series, weeks
        )
        collected.append(run_series(inp, demand, capacity, plan, [], per_run=count))
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
        pools=pool_names(inp),
        utilisation={k: summarise([c.utilisation[k] for c in collected]) for k in UTILISATION},
    )
