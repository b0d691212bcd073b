"""Month-of-year seasonality of demand and activity, estimated from the monthly flow history.

Method (named so it can be checked): **classical multiplicative decomposition, ratio to a centred
2x12 moving average, pooled by median across systems**, on rates per day:

- demand: new clock starts per calendar day of the month;
- capacity: completed pathways per **working day** (weekdays less England's bank holidays), so
  the index carries what leave does (the August and Christmas dips) and not the bank holidays,
  which the weekly calendar removes day by day (`domain.weekly_calendar`);
- each month's rate is divided by the centred 2x12 moving average of the rates around it (the
  trend, which in 2020-22 was the recovery from the pandemic), the ratios are pooled over every
  system and year by their median per calendar month, and the twelve are scaled to average 1.

`backtest_seasonality` forecasts each system's next months from data up to each origin, with and
without the index, so whether seasonality beats a flat rate is measured, not assumed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ics_capacity.domain.weekly_calendar import SeasonalIndex, england_bank_holidays

METHOD = (
    "classical multiplicative decomposition: ratio to a centred 2x12 moving average of the "
    "rate per day (completions per working day, clock starts per calendar day), median over "
    "systems and years per calendar month, scaled to average 1"
)


def _days(periods: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Calendar days and working days (weekdays less England's bank holidays) of each month."""
    first = periods.min().date()
    last = (periods.max() + pd.offsets.MonthEnd(0)).date()
    closed = set(england_bank_holidays(first, last))
    calendar, working = [], []
    for p in periods:
        start = p.date()
        n = (start + pd.offsets.MonthEnd(0)).day
        days = [start + dt.timedelta(days=i) for i in range(n)]
        calendar.append(n)
        working.append(sum(d.weekday() < 5 and d not in closed for d in days))
    return np.array(calendar, dtype=float), np.array(working, dtype=float)


def daily_rates(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows with `demand_per_day` (new / days), `capacity_per_day` (completed / working days)."""
    out = flows.sort_values(["org", "period"]).reset_index(drop=True).copy()
    calendar, working = _days(out["period"])
    out["demand_per_day"] = out["new"] / calendar
    out["capacity_per_day"] = out["completed"] / working
    return out


def _ratios(series: pd.Series) -> pd.Series:
    """Each value over its centred 2x12 moving average (NaN where the average is not defined)."""
    trend = series.rolling(12, center=True).mean().rolling(2).mean().shift(-1)
    return series / trend


def _month_index(rates: pd.DataFrame, column: str) -> tuple[float, ...]:
    ratios = []
    for _, group in rates.groupby("org"):
        group = group.set_index("period").asfreq("MS")
        r = _ratios(group[column]).dropna()
        months = pd.DatetimeIndex(r.index).month
        ratios.append(pd.DataFrame({"month": months, "ratio": r.to_numpy()}))
    pooled = pd.concat(ratios) if ratios else pd.DataFrame({"month": [], "ratio": []})
    by_month = pooled.groupby("month")["ratio"].median().reindex(range(1, 13))
    if by_month.isna().any():
        return (1.0,) * 12  # fewer than twelve months have a trend: no index can be made
    values = by_month.to_numpy()
    return tuple(float(v) for v in values / values.mean())


def estimate_seasonality(flows: pd.DataFrame) -> SeasonalIndex:
    """Month indices of capacity and demand from monthly flows (`importers.flows.read_flows`).

    Returns:
        A `SeasonalIndex`; flat when the history is too short for a 2x12 moving average to
        reach every calendar month (at least 24 months are needed).
    """
    rates = daily_rates(flows)
    return SeasonalIndex(
        capacity=_month_index(rates, "capacity_per_day"),
        demand=_month_index(rates, "demand_per_day"),
        method=METHOD,
    )


def backtest_seasonality(
    flows: pd.DataFrame, *, first_origin: int = 24, horizon: int = 6, level_months: int = 3
) -> pd.DataFrame:
    """Rolling-origin backtest of next-month rates with the seasonal index against a flat rate.

    At each origin (the `first_origin`-th month onwards, 1-based) the index is estimated from
    the months up to the origin only. Each system's level is the mean rate of its last
    `level_months` months: "flat" forecasts that level; "seasonal" deseasonalises those months,
    averages, and multiplies by the target month's index.

    Returns:
        One row per measure (demand, capacity), method and horizon: MAPE (%) and forecasts.
    """
    rates = daily_rates(flows)
    periods = sorted(rates["period"].unique())
    rows = []
    for origin in range(first_origin, len(periods)):
        cut = periods[origin - 1]
        history = rates[rates["period"] <= cut]
        index = estimate_seasonality(history)
        for measure, column, months in (
            ("demand", "demand_per_day", index.demand),
            ("capacity", "capacity_per_day", index.capacity),
        ):
            for org, group in history.groupby("org"):
                recent = group.tail(level_months)
                flat = float(recent[column].mean())
                seasonal_level = float(
                    (recent[column] / [months[p.month - 1] for p in recent["period"]]).mean()
                )
                future = rates[(rates["org"] == org) & (rates["period"] > cut)].head(horizon)
                for k, (_, row) in enumerate(future.iterrows(), start=1):
                    actual = float(row[column])
                    seasonal = seasonal_level * months[row["period"].month - 1]
                    for method, forecast in (("flat", flat), ("seasonal", seasonal)):
                        rows.append(
                            {
                                "measure": measure,
                                "method": method,
                                "horizon": k,
                                "ape": abs(forecast - actual) / actual * 100 if actual else np.nan,
                            }
                        )
    table = pd.DataFrame(rows)
    return (
        table.groupby(["measure", "method", "horizon"])["ape"]
        .agg(mape="mean", forecasts="count")
        .reset_index()
    )
