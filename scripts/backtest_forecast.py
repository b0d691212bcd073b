"""Backtest the waiting-list forecast against the naive forecasts, honestly.

Usage:
    .venv/bin/python scripts/backtest_forecast.py [--flows FILE] [--horizon 12]

Prints Markdown tables (for docs/benchmarks.md):

1. Rolling origin, all systems, default settings: MAE and MAPE by horizon for the forecast,
   "no change" and "last trend", the coverage of the 80% band and its width.
2. Out of time: the settings are chosen on forecasts whose target month is September 2021 or
   earlier (grid of window x damping), then scored on origins from October 2021.
3. Leave one system out: for each system, the settings are chosen on the other 21 systems and
   the system's own forecasts are scored.
4. Single-system files: each system forecast from a file holding only its own rows (its bands
   come from its own past errors alone), as for a system the tool has never seen.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ics_capacity.importers.flows import read_flows
from ics_capacity.projections.forecast import (
    ForecastOptions,
    backtest,
    month_number,
    summarise_backtest,
)
from ics_capacity.settings import nhs_data_dir

TUNING_LAST_TARGET = "2021-09"
GRID_WINDOWS = (3, 4, 6)
GRID_DAMPING = (1.0, 0.9, 0.8)
MAIN_HORIZONS = (1, 2, 3, 4, 5, 6, 9, 12)


def _table(summary: pd.DataFrame, horizons: tuple[int, ...] = MAIN_HORIZONS) -> str:
    rows = summary[summary["horizon"].isin(horizons)]
    lines = [
        "| months ahead | n | MAE forecast | MAE no change | MAE last trend | MAPE forecast "
        "| MAPE no change | MAPE last trend | median APE forecast | 80% band coverage "
        "| band width |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows.itertuples(index=False):
        lines.append(
            f"| {r.horizon} | {r.n} | {r.mae_forecast:,.0f} | {r.mae_no_change:,.0f} "
            f"| {r.mae_last_trend:,.0f} | {r.mape_forecast:.2f}% | {r.mape_no_change:.2f}% "
            f"| {r.mape_last_trend:.2f}% | {r.mdape_forecast:.2f}% | {r.coverage:.1f}% "
            f"| {r.mean_band_width_pct:.1f}% |"
        )
    return "\n".join(lines)


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    summary = summarise_backtest(table)
    ape = 100 * (table["forecast"] - table["actual"]).abs() / table["actual"]
    summary["mdape_forecast"] = ape.groupby(table["horizon"]).median().to_numpy()
    return summary


def _mean_mape(table: pd.DataFrame, horizons: int = 6) -> float:
    rows = table[table["horizon"] <= horizons]
    return float((100 * (rows["forecast"] - rows["actual"]).abs() / rows["actual"]).mean())


def _overall(table: pd.DataFrame, horizons: int = 6) -> str:
    rows = table[table["horizon"] <= horizons]
    mape = {
        name: float((100 * (rows[name] - rows["actual"]).abs() / rows["actual"]).mean())
        for name in ("forecast", "no_change", "last_trend")
    }
    covered = ((rows["actual"] >= rows["p10"]) & (rows["actual"] <= rows["p90"])).mean() * 100
    return (
        f"mean MAPE over horizons 1-{horizons}: forecast {mape['forecast']:.2f}%, "
        f"no change {mape['no_change']:.2f}%, last trend {mape['last_trend']:.2f}%; "
        f"80% band coverage {covered:.1f}% (n = {len(rows)})"
    )


def main() -> None:
    """Runs the backtests and prints the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--flows",
        type=Path,
        default=nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv",
    )
    parser.add_argument("--horizon", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    flows = read_flows(args.flows)
    systems = sorted(flows["org"].unique())
    months = sorted(flows["period"].unique())
    print(
        f"Data: {args.flows.name}: {len(systems)} systems, "
        f"{pd.Timestamp(months[0]):%B %Y} .. {pd.Timestamp(months[-1]):%B %Y}.\n"
    )

    # 1. Main rolling-origin backtest with the default settings.
    default = ForecastOptions()
    main_table = backtest(flows, horizon_months=args.horizon, options=default)
    print(
        f"## 1. Rolling origin, default settings (window {default.window_months} months, "
        f"damping {default.damping})\n"
    )
    print(
        f"Origins {main_table['origin'].min()} .. {main_table['origin'].max()} "
        f"({main_table['origin'].nunique()} origins) x {len(systems)} systems.\n"
    )
    print(_table(_summary(main_table)))
    print(f"\nOverall: {_overall(main_table)}.\n")

    # 2. Out of time: choose settings on targets up to September 2021, score later origins.
    tables: dict[tuple[int, float], pd.DataFrame] = {}
    for window, damping in itertools.product(GRID_WINDOWS, GRID_DAMPING):
        options = ForecastOptions(window_months=window, damping=damping)
        tables[(window, damping)] = backtest(flows, horizon_months=6, options=options)
    last_tuning = month_number(TUNING_LAST_TARGET)

    def tuning_rows(table: pd.DataFrame) -> pd.DataFrame:
        return table[[month_number(p) <= last_tuning for p in table["period"]]]

    def test_rows(table: pd.DataFrame) -> pd.DataFrame:
        return table[[month_number(o) > last_tuning for o in table["origin"]]]

    grid_scores = {key: _mean_mape(tuning_rows(t)) for key, t in tables.items()}
    chosen = min(grid_scores, key=grid_scores.__getitem__)
    print("## 2. Out of time: settings chosen on early targets, scored on later origins\n")
    print(
        f"Tuning set: forecasts whose target month is {TUNING_LAST_TARGET} or earlier. "
        "Mean MAPE (horizons 1-6) on it by window x damping:\n"
    )
    print("| window \\ damping | " + " | ".join(str(d) for d in GRID_DAMPING) + " |")
    print("|---:|" + "---:|" * len(GRID_DAMPING))
    for window in GRID_WINDOWS:
        cells = " | ".join(f"{grid_scores[(window, d)]:.2f}%" for d in GRID_DAMPING)
        print(f"| {window} | {cells} |")
    print(
        f"\nChosen: window {chosen[0]}, damping {chosen[1]}. "
        f"Test set: origins after {TUNING_LAST_TARGET}.\n"
    )
    test_table = test_rows(tables[chosen])
    print(_table(_summary(test_table), (1, 2, 3, 4, 5, 6)))
    print(f"\nOverall (chosen settings, test origins): {_overall(test_table)}.")
    if chosen != (default.window_months, default.damping):
        default_test = test_rows(tables[(default.window_months, default.damping)])
        print(f"Default settings on the same test origins: {_overall(default_test)}.")
    print()

    # 3. Leave one system out: settings chosen on the other systems.
    held_out = []
    choices = {}
    for system in systems:
        scores = {key: _mean_mape(t[t["org"] != system]) for key, t in tables.items()}
        best = min(scores, key=scores.__getitem__)
        choices[system] = best
        table = tables[best]
        held_out.append(table[table["org"] == system])
    loso = pd.concat(held_out, ignore_index=True)
    picked = pd.Series(choices).value_counts()
    print("## 3. Leave one system out\n")
    print(
        "Settings chosen per held-out system on the other "
        f"{len(systems) - 1}: "
        + ", ".join(f"window {w}, damping {d} ({n} systems)" for (w, d), n in picked.items())
        + ".\n"
    )
    print(_table(_summary(loso), (1, 2, 3, 4, 5, 6)))
    print(f"\nOverall (held-out systems): {_overall(loso)}.\n")

    # 4. Single-system files: nothing pooled from other systems.
    single = pd.concat(
        [
            backtest(flows[flows["org"] == system], horizon_months=6, options=default)
            for system in systems
        ],
        ignore_index=True,
    )
    print("## 4. Each system alone (a file with only its rows; bands from its own past)\n")
    print(_table(_summary(single), (1, 2, 3, 4, 5, 6)))
    print(f"\nOverall (single-system files): {_overall(single)}.\n")

    # Where the errors come from: boundary changes and data breaks.
    by_system = (
        main_table[main_table["horizon"] <= 6]
        .assign(ape=lambda t: 100 * (t["forecast"] - t["actual"]).abs() / t["actual"])
        .groupby("org")["ape"]
        .mean()
        .sort_values(ascending=False)
    )
    worst = ", ".join(f"{org} {value:.1f}%" for org, value in by_system.head(4).items())
    print(f"Systems with the largest mean APE (horizons 1-6, default settings): {worst}.")
    print(f"Median over systems: {np.median(by_system):.2f}%.")
    print(f"\nRan in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
