"""Backtest the seasonal month indices against a flat rate; prints a table for docs/benchmarks.md.

Usage:
    .venv/bin/python scripts/backtest_seasonality.py [--flows FILE] [--horizon 6]

Rolling origin from the 24th month of the flow history (the first with a 2x12 moving average for
every calendar month): each system's next months of new clock starts per day (demand) and
completed pathways per working day (capacity) are forecast from data up to the origin, flat (the
mean of the last three months) and seasonal (the same three months deseasonalised, times the
target month's index), and scored by MAPE.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ics_capacity.importers.flows import read_flows  # noqa: E402
from ics_capacity.projections.seasonality import (  # noqa: E402
    backtest_seasonality,
    estimate_seasonality,
)
from ics_capacity.settings import nhs_data_dir  # noqa: E402

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def main() -> None:
    """Prints the indices and the backtest as Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--flows",
        type=Path,
        default=nhs_data_dir() / "waiting_list_flow_by_ics_2020-04_2022-09.csv",
    )
    parser.add_argument("--horizon", type=int, default=6)
    args = parser.parse_args()
    flows = read_flows(args.flows)
    index = estimate_seasonality(flows)
    print(f"Method: {index.method}.\n")
    print("| Index | " + " | ".join(MONTHS) + " |")
    print("|---|" + "---|" * 12)
    for name, values in (("Capacity", index.capacity), ("Demand", index.demand)):
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    table = backtest_seasonality(flows, horizon=args.horizon)
    print("\n| Measure | Months ahead | Forecasts | MAPE flat (%) | MAPE seasonal (%) |")
    print("|---|---|---|---|---|")
    wide = table.pivot_table(
        index=["measure", "horizon"], columns="method", values=["mape", "forecasts"]
    )
    for (measure, horizon), row in wide.iterrows():
        print(
            f"| {measure} | {horizon} | {int(row[('forecasts', 'flat')])} | "
            f"{row[('mape', 'flat')]:.2f} | {row[('mape', 'seasonal')]:.2f} |"
        )
    for measure, group in table.groupby("measure"):
        pooled = {
            method: (g["mape"] * g["forecasts"]).sum() / g["forecasts"].sum()
            for method, g in group.groupby("method")
        }
        print(
            f"\nAll horizons, {measure}: flat {pooled['flat']:.2f}%, "
            f"seasonal {pooled['seasonal']:.2f}%"
        )


if __name__ == "__main__":
    main()
