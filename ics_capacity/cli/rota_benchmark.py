"""`ics-capacity rota-benchmark`: solve a Curtois & Qu shift scheduling instance with the rota core.

    ics-capacity rota-benchmark INSTANCE_FILE --time-limit S --workers N --out ROSTER.csv --json

The instance goes through the benchmark adapter (`solvers.rota.curtois`) into the same solver the
app uses; the rota is written as CSV `employee,day,shift` and re-checked by the independent checker.
With --json, stdout holds exactly one JSON object; messages go to stderr. An unreadable or
malformed instance prints what is wrong and exits with code 1.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Adds the `rota-benchmark` command to the CLI."""
    app.command("rota-benchmark")(rota_benchmark)


def rota_benchmark(
    instance_file: Annotated[
        Path, typer.Argument(help="Instance file in the schedulingbenchmarks.org text format.")
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds for the whole solve.")
    ] = 60.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="CP-SAT worker threads.")] = 2,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rota here as employee,day,shift CSV.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Solves one benchmark INSTANCE_FILE and reports objective, bound, status and seconds."""
    from solvers.common import SolveOptions
    from solvers.rota.check import check_rota
    from solvers.rota.curtois import CurtoisFormatError, read_curtois, write_roster_csv
    from solvers.rota.model import solve_rota

    try:
        data = read_curtois(instance_file)
    except (OSError, CurtoisFormatError) as error:
        _fail(f"{instance_file}: {error}" if isinstance(error, OSError) else str(error), as_json)
    options = SolveOptions(time_limit_seconds=time_limit, num_workers=workers, seed=seed)
    result = solve_rota(data, options)
    stats = result.stats
    check = check_rota(data, result.assignments)
    if out is not None and stats.status.has_solution:
        write_roster_csv(result.assignments, out)
    summary: dict[str, Any] = {
        "instance": instance_file.name,
        "status": str(stats.status),
        "objective": stats.objective,
        "bound": stats.bound,
        "gap": stats.gap,
        "seconds": stats.wall_seconds,
        "time_limit": stats.time_limit_seconds,
        "workers": stats.num_workers,
        "seed": stats.seed,
        "ortools_version": stats.ortools_version,
        "staff": len(data.staff),
        "days": data.horizon_days,
        "shift_types": len(data.shift_types),
        "assignments": len(result.assignments),
        "places_short": result.places_short,
        "places_short_lower_bound": result.places_short_lower_bound,
        "objective_terms": result.objective_terms,
        "checked_objective": check.objective if stats.status.has_solution else None,
        "hard_violations": len(check.violations),
        "roster": str(out) if out is not None and stats.status.has_solution else None,
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(
        f"{summary['instance']}: {summary['status']}, objective {summary['objective']}, "
        f"bound {summary['bound']}, {summary['seconds']} s on {workers} workers"
        + (f"; rota written to {out}" if summary["roster"] else "")
    )


def _fail(message: str, as_json: bool) -> None:
    """Reports a bad instance (as JSON on stdout too, when asked) and exits with code 1."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    if as_json:
        typer.echo(json.dumps({"status": "invalid_input", "error": message}))
    raise typer.Exit(code=1)
