"""Waiting-list forecasts from monthly flows: calibration, damped-growth forecast, honest bands.

Input is the monthly flow series (`importers.flows.read_flows`): per system and month, new clock
starts, completed pathways and the waiting list (incomplete pathways) at the month's end.

Calibration (`estimate_flow_rates`) splits each month's change in the list into demand (new),
completions and the removals the file does not report:
removed(t) = waiting(t - 1) + new(t) - completed(t) - waiting(t), as a share of waiting(t - 1).

Forecast (`forecast_waiting_list`): the list grows by its recent monthly growth rate, damped:
waiting(t + k) = waiting(t) x prod_{j=1..k} (1 + damping^j x g), where g is the mean monthly
growth (= new - completed - removed, as shares of the list) over the last `window_months`
months. Months whose growth differs from the system's median growth of the past year by more
than `break_threshold` are boundary changes or data breaks (e.g. QUA losing West Birmingham in
July 2022) and are left out of g; the forecast starts from the latest level whatever happened.
Damping a trend (Gardner & McKenzie, "Forecasting trends in time series", Management Science
31(10), 1985) keeps a recent surge from being extrapolated for ever.

Bands (`p10`, `p90`): empirical quantiles of the method's own past errors. At the origin the
method is re-run at every earlier month of every system in the input (using only data up to
that month), and the log errors log(actual / forecast) of each horizon k whose actual is known
by the origin are pooled across systems. A horizon with too few past errors takes the widest
horizon that has enough, widened in proportion to k; with none at all, the spread of monthly
growth rates times k. Nothing after the origin is used, so a backtest of these bands is honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ics_capacity.projections.inputs import WEEKS_PER_MONTH, weekly_rate_from_monthly

FORECAST_COLUMNS = ("org", "period", "forecast", "p10", "p90")
"""Columns of `forecast_waiting_list`'s result (and of the `forecast` CLI's file)."""


@dataclass(frozen=True)
class ForecastOptions:
    """Settings of the waiting-list forecast; the defaults are the ones docs/benchmarks.md tests.

    Attributes:
        window_months: Months of growth averaged for the trend.
        damping: Each further month's growth is this share of the month before's (1: none).
        break_threshold: A month whose growth differs from the past year's median growth by
            more than this (a share of the list, 0.05 = 5 points) is a break, left out.
        coverage: Probability the band (p10..p90) should hold the actual value, e.g. 0.8.
        min_error_samples: Past errors a horizon needs before its own quantiles are used.
        min_history_months: Months of data a past forecast needs to count towards the bands.
        fallback_growth_sd: Least spread of monthly growth assumed when the input has fewer
            than 12 growth values and no past errors to go on (3 points a month: the typical
            month-to-month spread of the 22 systems of 2020-22 is 1.0 to 3.1 points, median 1.9).
    """

    window_months: int = 6
    damping: float = 0.9
    break_threshold: float = 0.05
    coverage: float = 0.8
    min_error_samples: int = 30
    min_history_months: int = 4
    fallback_growth_sd: float = 0.03

    def __post_init__(self) -> None:
        """Refuses settings that make no sense."""
        problems = []
        if self.window_months < 1:
            problems.append(f"window_months is {self.window_months}; it must be 1 or more")
        if not 0 < self.damping <= 1:
            problems.append(f"damping is {self.damping}; it must be more than 0 and at most 1")
        if not self.break_threshold > 0:
            problems.append(f"break_threshold is {self.break_threshold}; it must be positive")
        if not 0 < self.coverage < 1:
            problems.append(f"coverage is {self.coverage}; it must be between 0 and 1")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True, eq=False)
class _Panel:
    """Flows as month x system arrays over every month from the first to the origin."""

    orgs: tuple[str, ...]
    first_month: int  # months since year 0 of row 0
    waiting: np.ndarray  # (months, orgs), NaN where missing
    new: np.ndarray
    completed: np.ndarray


def month_number(period: str | pd.Timestamp) -> int:
    """Months since January of year 0 for a month written 'YYYY-MM' or as a date."""
    stamp = pd.Timestamp(period)
    return stamp.year * 12 + stamp.month - 1


def month_label(number: int) -> str:
    """'YYYY-MM' for a month number from `month_number`."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def forecast_waiting_list(
    flows: pd.DataFrame,
    *,
    origin: str | pd.Timestamp,
    horizon_months: int,
    options: ForecastOptions | None = None,
) -> pd.DataFrame:
    """Forecasts each system's waiting list for the months after the origin, with an 80% band.

    Only rows up to and including the origin month are used. A system whose latest month before
    the origin is earlier than the origin is forecast from that month (further ahead); a system
    with no data up to the origin gets empty (NaN) forecasts.

    Args:
        flows: Monthly flows: `org`, `period` (a date in the month), `new`, `completed`,
            `incomplete` (as `importers.flows.read_flows` returns).
        origin: Last month whose data may be used, e.g. "2022-03".
        horizon_months: K, months to forecast after the origin.
        options: Forecast settings; the defaults when None.

    Returns:
        One row per system (every `org` in `flows`, sorted) x month origin+1 .. origin+K:
        `org`, `period` ('YYYY-MM'), `forecast` (waiting list at the end of the month),
        `p10`, `p90` (the band's lower and upper bounds; 10th and 90th percentiles at the
        default 80% coverage).

    Raises:
        ValueError: If `horizon_months` is less than 1.
    """
    if horizon_months < 1:
        raise ValueError(f"horizon is {horizon_months} months; it must be 1 or more.")
    options = options or ForecastOptions()
    origin_month = month_number(origin)
    all_orgs = tuple(sorted(flows["org"].astype(str).unique()))
    panel = _panel(flows, origin_month, all_orgs)
    months, orgs = panel.waiting.shape
    # Each system's base: its latest month with a waiting list, up to the origin.
    has_value = np.isfinite(panel.waiting)
    base = np.where(has_value.any(axis=0), months - 1 - np.argmax(has_value[::-1], axis=0), -1)
    lead = (months - 1) - base  # months between a system's base and the origin
    steps = horizon_months + int(lead.max(initial=0)) if months else horizon_months
    growth = _trend_growth(panel, options)
    paths = _paths(growth, options.damping, steps)  # (months, steps, orgs) growth factors
    low_q, high_q = _error_quantiles(panel, paths, steps, options)

    rows = []
    for j, org in enumerate(panel.orgs):
        b = int(base[j])
        for k in range(1, horizon_months + 1):
            period = month_label(origin_month + k)
            if b < 0:
                rows.append((org, period, np.nan, np.nan, np.nan))
                continue
            h = int(lead[j]) + k
            point = panel.waiting[b, j] * paths[b, h - 1, j]
            rows.append(
                (
                    org,
                    period,
                    point,
                    point * np.exp(low_q[h - 1]),
                    point * np.exp(high_q[h - 1]),
                )
            )
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))


def naive_forecasts(
    flows: pd.DataFrame, *, origin: str | pd.Timestamp, horizon_months: int
) -> pd.DataFrame:
    """The naive benchmarks: no change, and the last month's change carried on.

    Args:
        flows: Monthly flows as for `forecast_waiting_list`.
        origin: Last month whose data may be used.
        horizon_months: Months to forecast.

    Returns:
        `org`, `period` ('YYYY-MM'), `no_change` (the latest list), `last_trend` (latest list
        + k x its latest monthly change, at least 0; no change when the month before is missing).
    """
    origin_month = month_number(origin)
    orgs = tuple(sorted(flows["org"].astype(str).unique()))
    panel = _panel(flows, origin_month, orgs)
    rows = []
    for j, org in enumerate(orgs):
        column = panel.waiting[:, j]
        known = np.flatnonzero(np.isfinite(column))
        for k in range(1, horizon_months + 1):
            period = month_label(origin_month + k)
            if known.size == 0:
                rows.append((org, period, np.nan, np.nan))
                continue
            b = known[-1]
            h = len(column) - 1 - b + k
            level = column[b]
            change = column[b] - column[b - 1] if b > 0 and np.isfinite(column[b - 1]) else 0.0
            rows.append((org, period, level, max(level + h * change, 0.0)))
    return pd.DataFrame(rows, columns=["org", "period", "no_change", "last_trend"])


def estimate_flow_rates(
    flows: pd.DataFrame,
    *,
    origin: str | pd.Timestamp,
    window_months: int = 6,
    break_threshold: float = 0.05,
) -> pd.DataFrame:
    """Each system's recent demand, completions and unreported removals, monthly and weekly.

    Break months (as in the forecast) are left out of the removal rate.

    Args:
        flows: Monthly flows as for `forecast_waiting_list`.
        origin: Last month whose data may be used.
        window_months: Months averaged.
        break_threshold: See `ForecastOptions.break_threshold`.

    Returns:
        One row per system: `org`, `waiting` (latest list), `new_per_month`,
        `completed_per_month`, `removal_rate_per_month` (share of the list removed a month
        without a reported completion), `growth_per_month` (mean monthly growth of the list),
        and the weekly figures a cohort projection takes: `demand_per_week`,
        `capacity_per_week`, `validation_rate_per_week`.
    """
    origin_month = month_number(origin)
    orgs = tuple(sorted(flows["org"].astype(str).unique()))
    panel = _panel(flows, origin_month, orgs)
    options = ForecastOptions(window_months=window_months, break_threshold=break_threshold)
    growth, is_break = _growth_and_breaks(panel.waiting, break_threshold)
    previous = np.vstack([np.full((1, len(orgs)), np.nan), panel.waiting[:-1]])
    removed = previous + panel.new - panel.completed - panel.waiting
    removal_rate = np.where(is_break, np.nan, removed / previous)
    window = slice(max(0, len(panel.waiting) - window_months), None)

    def recent_mean(values: np.ndarray) -> np.ndarray:
        chunk = values[window]
        counts = np.isfinite(chunk).sum(axis=0)
        return np.divide(
            np.nansum(chunk, axis=0), counts, out=np.full(len(orgs), np.nan), where=counts > 0
        )

    latest = np.array(
        [
            col[np.flatnonzero(np.isfinite(col))[-1]] if np.isfinite(col).any() else np.nan
            for col in panel.waiting.T
        ]
    )
    frame = pd.DataFrame(
        {
            "org": list(orgs),
            "waiting": latest,
            "new_per_month": recent_mean(panel.new),
            "completed_per_month": recent_mean(panel.completed),
            "removal_rate_per_month": recent_mean(removal_rate),
            "growth_per_month": _trend_growth(panel, options)[-1] if len(panel.waiting) else np.nan,
        }
    )
    frame["demand_per_week"] = frame["new_per_month"] / WEEKS_PER_MONTH
    frame["capacity_per_week"] = frame["completed_per_month"] / WEEKS_PER_MONTH
    frame["validation_rate_per_week"] = weekly_rate_from_monthly(
        frame["removal_rate_per_month"].clip(lower=0.0).to_numpy()
    )
    return frame


def backtest(
    flows: pd.DataFrame,
    *,
    origins: Sequence[str] | None = None,
    horizon_months: int = 6,
    options: ForecastOptions | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest: forecasts from each origin with only the data up to it.

    Args:
        flows: Monthly flows as for `forecast_waiting_list`.
        origins: Months to forecast from ('YYYY-MM'); default every month from the fourth to
            the one before the last.
        horizon_months: Months ahead to forecast from each origin.
        options: Forecast settings.

    Returns:
        One row per origin x system x horizon whose actual is known: `org`, `origin`,
        `horizon` (months ahead), `period`, `actual`, `forecast`, `p10`, `p90`,
        `no_change`, `last_trend`.
    """
    months = sorted({month_number(p) for p in flows["period"]})
    if origins is None:
        origins = [month_label(m) for m in months[3:-1]]
    actual = flows.assign(period=[month_label(month_number(p)) for p in flows["period"]])[
        ["org", "period", "incomplete"]
    ].rename(columns={"incomplete": "actual"})
    parts = []
    for origin in origins:
        origin_month = month_number(origin)
        seen = flows[[month_number(p) <= origin_month for p in flows["period"]]]
        if seen.empty:
            continue
        result = forecast_waiting_list(
            seen, origin=origin, horizon_months=horizon_months, options=options
        ).merge(naive_forecasts(seen, origin=origin, horizon_months=horizon_months))
        result["origin"] = month_label(origin_month)
        result["horizon"] = [month_number(p) - origin_month for p in result["period"]]
        parts.append(result)
    table = pd.concat(parts, ignore_index=True).merge(actual, on=["org", "period"], how="inner")
    table = table.dropna(subset=["forecast", "actual"])
    columns = [
        "org",
        "origin",
        "horizon",
        "period",
        "actual",
        "forecast",
        "p10",
        "p90",
        "no_change",
        "last_trend",
    ]
    return table[columns].sort_values(["origin", "org", "horizon"]).reset_index(drop=True)


def summarise_backtest(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy by horizon: MAE and MAPE of the forecast and the naive benchmarks, and coverage.

    Args:
        table: A `backtest` result (or a subset of its rows).

    Returns:
        One row per horizon: `horizon`, `n` (forecasts), `mae_forecast`, `mae_no_change`,
        `mae_last_trend` (patients), `mape_forecast`, `mape_no_change`, `mape_last_trend`
        (percent), `coverage` (share of actuals within p10..p90, percent) and
        `mean_band_width_pct` ((p90 - p10) / forecast, percent).
    """
    frame = table.copy()
    methods = {"forecast": "forecast", "no_change": "no_change", "last_trend": "last_trend"}
    for name, column in methods.items():
        error = (frame[column] - frame["actual"]).abs()
        frame[f"ae_{name}"] = error
        frame[f"ape_{name}"] = 100 * error / frame["actual"]
    frame["covered"] = 100 * ((frame["actual"] >= frame["p10"]) & (frame["actual"] <= frame["p90"]))
    frame["width"] = 100 * (frame["p90"] - frame["p10"]) / frame["forecast"]
    grouped = frame.groupby("horizon")
    summary = pd.DataFrame({"n": grouped.size()})
    for name in methods:
        summary[f"mae_{name}"] = grouped[f"ae_{name}"].mean()
    for name in methods:
        summary[f"mape_{name}"] = grouped[f"ape_{name}"].mean()
    summary["coverage"] = grouped["covered"].mean()
    summary["mean_band_width_pct"] = grouped["width"].mean()
    return summary.reset_index()


# --- internals ------------------------------------------------------------------------------


def _panel(flows: pd.DataFrame, origin_month: int, orgs: tuple[str, ...]) -> _Panel:
    """Rows up to the origin as month x system arrays; months with no row are NaN."""
    numbers = np.array([month_number(p) for p in flows["period"]], dtype=int)
    keep = numbers <= origin_month
    rows = flows[keep]
    numbers = numbers[keep]
    if rows.empty:
        empty = np.empty((0, len(orgs)))
        return _Panel(orgs, origin_month, empty, empty, empty)
    first = int(numbers.min())
    shape = (origin_month - first + 1, len(orgs))
    column_of = {org: j for j, org in enumerate(orgs)}
    columns = np.array([column_of[str(o)] for o in rows["org"]])
    arrays = {}
    for name in ("incomplete", "new", "completed"):
        array = np.full(shape, np.nan)
        array[numbers - first, columns] = rows[name].to_numpy(dtype=float)
        arrays[name] = array
    return _Panel(orgs, first, arrays["incomplete"], arrays["new"], arrays["completed"])


def _growth_and_breaks(waiting: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Monthly growth of each list, and whether each month is a break.

    A break is a month whose growth is more than `threshold` away from the median growth of the
    twelve months up to and including it (NaN-aware; with fewer than three growth values in
    that year, more than `threshold` away from 0 is a break only if above 3 x threshold).
    """
    months = waiting.shape[0]
    growth = np.full(waiting.shape, np.nan)
    if months > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            growth[1:] = waiting[1:] / waiting[:-1] - 1.0
        growth[~np.isfinite(growth)] = np.nan
    is_break = np.zeros(waiting.shape, dtype=bool)
    for t in range(1, months):
        recent = growth[max(0, t - 11) : t + 1]
        counts = np.isfinite(recent).sum(axis=0)
        enough = counts >= 3
        median = np.zeros(waiting.shape[1])
        if enough.any():
            median[enough] = np.nanmedian(recent[:, enough], axis=0)
        distance = np.abs(growth[t] - median)
        limit = np.where(enough, threshold, 3 * threshold)
        is_break[t] = np.isfinite(growth[t]) & (distance > limit)
    return growth, is_break


def _trend_growth(panel: _Panel, options: ForecastOptions) -> np.ndarray:
    """For every month as a base: mean growth of the last `window_months`, breaks left out."""
    growth, is_break = _growth_and_breaks(panel.waiting, options.break_threshold)
    usable = np.where(is_break, np.nan, growth)
    months, orgs = usable.shape
    trend = np.zeros((months, orgs))
    finite = np.isfinite(usable)
    sums = np.cumsum(np.where(finite, usable, 0.0), axis=0)
    counts = np.cumsum(finite, axis=0)
    w = options.window_months
    for t in range(months):
        start = t - w
        window_sum = sums[t] - (sums[start] if start >= 0 else 0.0)
        window_count = counts[t] - (counts[start] if start >= 0 else 0)
        trend[t] = np.divide(window_sum, window_count, out=np.zeros(orgs), where=window_count > 0)
    return trend


def _paths(growth: np.ndarray, damping: float, steps: int) -> np.ndarray:
    """Growth factors prod_{j<=h} (1 + damping^j g), h = 1..steps, as (months, steps, orgs)."""
    weights = damping ** np.arange(1, steps + 1)
    factors = 1.0 + weights[None, :, None] * growth[:, None, :]
    return np.cumprod(np.maximum(factors, 0.0), axis=1)


def _error_quantiles(
    panel: _Panel, paths: np.ndarray, steps: int, options: ForecastOptions
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper log-error quantiles for horizons 1..steps, from past forecasts only."""
    waiting = panel.waiting
    months = waiting.shape[0]
    tail = (1 - options.coverage) / 2
    z = NormalDist().inv_cdf(1 - tail)
    history = np.cumsum(np.isfinite(waiting), axis=0)  # months of data up to each base
    errors: list[np.ndarray] = []
    for h in range(1, steps + 1):
        if months - h <= 0:
            errors.append(np.empty(0))
            continue
        base = waiting[: months - h]
        actual = waiting[h:]
        forecast = base * paths[: months - h, h - 1, :]
        valid = (
            np.isfinite(actual)
            & np.isfinite(forecast)
            & (actual > 0)
            & (forecast > 0)
            & (history[: months - h] >= options.min_history_months)
        )
        errors.append(np.log(actual[valid] / forecast[valid]))
    low = np.full(steps, np.nan)
    high = np.full(steps, np.nan)
    for h, sample in enumerate(errors, start=1):
        if sample.size >= options.min_error_samples:
            low[h - 1], high[h - 1] = np.quantile(sample, [tail, 1 - tail])
    growth, is_break = _growth_and_breaks(waiting, options.break_threshold)
    spread = growth[np.isfinite(growth) & ~is_break]
    # Fewer than a year of growth values says little about their spread: never assume less
    # than the fallback then.
    sd = float(np.std(spread, ddof=1)) if spread.size >= 2 else 0.0
    if spread.size < 12:
        sd = max(sd, options.fallback_growth_sd)
    for h in range(1, steps + 1):
        if np.isfinite(low[h - 1]):
            continue
        known = np.flatnonzero(np.isfinite(low[: h - 1]))
        if known.size:
            h0 = int(known[-1]) + 1
            low[h - 1] = low[h0 - 1] * h / h0
            high[h - 1] = high[h0 - 1] * h / h0
        else:
            low[h - 1], high[h - 1] = -z * sd * h, z * sd * h
    # The band always holds the forecast and never narrows further ahead.
    low = np.minimum.accumulate(np.minimum(low, 0.0))
    high = np.maximum.accumulate(np.maximum(high, 0.0))
    return low, high
