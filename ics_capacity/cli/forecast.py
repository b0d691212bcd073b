"""`ics-capacity forecast`: waiting-list forecasts per system from a monthly flow series file."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

import typer

logger = logging.getLogger(__name__)

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def register(app: typer.Typer) -> None:
    """Adds the `forecast` command to the CLI."""
    app.command("forecast")(forecast)


def forecast(
    flows: Annotated[
        Path,
        typer.Option(
            "--flows", help="Monthly flow series CSV (Year, Month, org code, Completed, ...)."
        ),
    ],
    origin: Annotated[
        str, typer.Option("--origin", help="Last month of data to use, YYYY-MM (e.g. 2022-03).")
    ],
    horizon: Annotated[int, typer.Option("--horizon", help="Months to forecast after the origin.")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write: org,period,forecast,p10,p90.")],
) -> None:
    """Forecasts each system's waiting list for HORIZON months after ORIGIN, with an 80% band.

    Only rows up to and including the origin month are read into the forecast.
    """
    from ics_capacity.importers.flows import read_flows
    from ics_capacity.importers.problems import ImportValidationError
    from ics_capacity.projections.forecast import FORECAST_COLUMNS, forecast_waiting_list

    match = _MONTH.fullmatch(origin.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise typer.BadParameter(f"'{origin}' is not a month; write it as YYYY-MM, e.g. 2022-03.")
    if horizon < 1:
        raise typer.BadParameter(f"horizon is {horizon}; forecast at least 1 month ahead.")
    if not flows.is_file():
        typer.secho(f"{flows}: no such file.", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    try:
        table = read_flows(flows)
    except ImportValidationError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from error
    result = forecast_waiting_list(table, origin=origin.strip(), horizon_months=horizon)
    unseen = sorted(result.loc[result["forecast"].isna(), "org"].unique())
    if unseen:
        message = f"no data up to {origin} for {', '.join(unseen)}; their forecasts are left empty."
        logger.warning(message)
        typer.secho(message, fg=typer.colors.YELLOW, err=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    result[list(FORECAST_COLUMNS)].to_csv(out, index=False, float_format="%.1f")
    typer.echo(
        f"Wrote {len(result):,} rows ({result['org'].nunique()} systems x {horizon} months "
        f"after {origin}) to {out}."
    )
