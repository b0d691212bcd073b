"""What the cohort projection gives back: weekly measures per level, and how runs vary.

The measures (`METRICS`, `FLOWS`, `UTILISATION`), the levels they are added up to (`LEVELS`),
a deterministic `Projection` and a Monte Carlo run's quantiles (`MonteCarloResult`), each read as
long DataFrames. The engine that fills them is `cohort_engine`; `cohort` is the entry point.
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
        return long_frame(result.keys, result.measures, (*METRICS, *FLOWS), self.input.start_date)

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
        frame = long_frame(keys, self.utilisation, UTILISATION, self.input.start_date)
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
            part = long_frame(keys, per_quantile, labels, self.input.start_date)
            part.insert(len(keys.columns) + (2 if "week_start" in part else 1), "metric", name)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)


def long_frame(
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
