"""`ics-capacity rebalance`: plan which patients to move to which hub, week by week.

    ics-capacity rebalance SCENARIO [--weeks N] [--time-limit S] [--workers N] [--json]
        [--non-admitted [--clinic-factor F]]
    ics-capacity rebalance --instance FILE.json [--time-limit S] [--json]
    ics-capacity rebalance SCENARIO --export-instance FILE.json
    ics-capacity rebalance SCENARIO --enqueue --as EMAIL [--weeks N] [--time-limit S] [--json]

With --json, stdout holds exactly one JSON object (the result, or what was exported); messages go
to stderr. A bad scenario id or instance file prints what is wrong and exits with code 1.
--non-admitted adds the stage before the first outpatient appointment (docs/assumptions.md, 11c):
non-admitted lists and the trusts' clinics, at --clinic-factor x today's first appointments.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ics_capacity.cli import jobs
from ics_capacity.cli.jobs import AS_OPTION

if TYPE_CHECKING:
    from ics_capacity.services.readiness import ModelNotReadyError
    from ics_capacity.services.results import RebalanceResult

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Adds the `rebalance` command to the CLI."""
    app.command("rebalance")(rebalance)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def not_ready(error: ModelNotReadyError, scenario: int | None, as_json: bool) -> NoReturn:
    """Reports a model that lacks what the solver needs: status `invalid_input` and the reasons.

    Exits with code 2, as a solve that found no plan does.
    """
    if as_json:
        typer.echo(
            json.dumps({"status": "invalid_input", "scenario": scenario, "reasons": error.reasons})
        )
    else:
        typer.secho(f"Status: invalid_input. {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def rebalance(
    scenario: Annotated[
        int | None, typer.Argument(help="Scenario id (see the overview page or the database).")
    ] = None,
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="Solve this instance file instead of a scenario."),
    ] = None,
    weeks: Annotated[
        int | None, typer.Option("--weeks", min=1, max=104, help="Horizon in weeks (1-104).")
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Seconds for the optimiser.")
    ] = 10.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker threads.")] = 2,
    export: Annotated[
        Path | None,
        typer.Option("--export-instance", help="Write the scenario's instance to this file."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    enqueue: Annotated[
        bool,
        typer.Option("--enqueue", help="Queue it for a worker; print the job id."),
    ] = False,
    as_user: Annotated[str | None, AS_OPTION] = None,
    non_admitted: Annotated[
        bool,
        typer.Option(
            "--non-admitted",
            help="Also move patients before their first outpatient appointment, into clinics.",
        ),
    ] = False,
    clinic_factor: Annotated[
        float,
        typer.Option(
            "--clinic-factor",
            min=0.0,
            max=3.0,
            help="Clinic appointments a week as a multiple of today's (with --non-admitted).",
        ),
    ] = 1.0,
) -> None:
    """Rebalances waiting lists across hubs for a SCENARIO or an --instance file."""
    from ics_capacity.services.readiness import ModelNotReadyError
    from ics_capacity.services.rebalance import (
        InstanceFileError,
        ScenarioNotFoundError,
        export_instance_as_operator,
        load_instance,
        rebalance_input_as_operator,
        solve_instance,
    )
    from ics_capacity.services.rebalance_outpatients import Outpatients

    outpatients = Outpatients(clinic_factor=clinic_factor) if non_admitted else None
    if instance is not None and non_admitted:
        _fail("--non-admitted reads the scenario; an instance file carries its own lists.")

    if (scenario is None) == (instance is None):
        _fail("Give either a SCENARIO id or --instance FILE, not both or neither.")
    if enqueue:
        if scenario is None or export is not None:
            _fail("--enqueue needs a SCENARIO id, and no --instance or --export-instance.")
        parameters: dict[str, object] = {"time_limit_seconds": time_limit}
        if weeks is not None:
            parameters["weeks"] = weeks
        if non_admitted:
            parameters |= {"non_admitted": True, "clinic_factor": clinic_factor}
        jobs.enqueue("rebalance", scenario, parameters, as_user, as_json)
        return
    if export is not None and scenario is None:
        _fail("--export-instance needs a SCENARIO id.")
    try:
        if export is not None:
            assert scenario is not None
            exported = export_instance_as_operator(scenario, weeks=weeks, outpatients=outpatients)
            export.write_text(json.dumps(exported, indent=1) + "\n", encoding="utf-8")
            summary = {
                "exported": str(export),
                "scenario": scenario,
                "providers": len(exported["providers"]),
                "hubs": len(exported["hubs"]),
                "queues": len(exported["queues"]),
            }
            if as_json:
                typer.echo(json.dumps(summary))
            else:
                typer.echo(
                    f"Wrote scenario {scenario}'s instance to {export} ({summary['queues']} "
                    f"waiting lists, {summary['hubs']} hubs)."
                )
            return
        if instance is not None:
            data = load_instance(instance)
            if weeks is not None:
                data = data.model_copy(
                    update={"settings": data.settings.model_copy(update={"horizon_weeks": weeks})}
                )
        else:
            assert scenario is not None
            data = rebalance_input_as_operator(scenario, weeks=weeks, outpatients=outpatients)
    except ModelNotReadyError as error:
        not_ready(error, scenario, as_json)
    except (ScenarioNotFoundError, InstanceFileError) as error:
        _fail(str(error))
    result = solve_instance(data, time_limit_seconds=time_limit, num_workers=workers)
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        typer.echo(_describe(result))
    if not result.status.has_solution:
        raise typer.Exit(code=2)


def _describe(result: RebalanceResult) -> str:
    """A few lines for a terminal."""
    lines = [
        f"Status: {result.status} in {result.seconds:.2f} s "
        f"(time limit {result.stats.time_limit_seconds:g} s, {result.stats.num_workers} workers)."
    ]
    if result.problems:
        lines += [f"  {p}" for p in result.problems]
        return "\n".join(lines)
    for level in result.levels:
        objective = "-" if level.objective is None else f"{level.objective:,.4g}"
        bound = "-" if level.bound is None else f"{level.bound:,.4g}"
        lines.append(f"  level {level.level} {level.name}: {objective} (bound {bound})")
    if result.metrics is not None:
        m = result.metrics
        lines.append(
            f"  worst list {m.worst_queue}; {m.patients_treated:,.0f} treated, "
            f"{m.transfers:,.0f} at another trust's site, "
            f"{m.waiting_at_end:,.0f} waiting at the end"
        )
        if m.non_admitted_seen >= 0.5:
            lines.append(
                f"  before a first appointment: {m.non_admitted_seen:,.0f} seen in clinics, "
                f"{m.non_admitted_transfers:,.0f} of them at another trust's clinic"
            )
        if m.independent_sector_cases >= 0.5:
            unpriced = (
                f" ({m.unpriced_independent_cases:,.0f} cases have no price and are left out)"
                if m.unpriced_independent_cases >= 0.5
                else ""
            )
            lines.append(
                f"  independent sector: {m.independent_sector_cases:,.0f} cases bought, spend "
                f"£{m.independent_sector_spend:,.0f}{unpriced}"
            )
            for line in result.spend:
                spend = "no price" if line.spend is None else f"£{line.spend:,.0f}"
                lines.append(f"    {line.hub} {line.tfc}: {line.cases:,.1f} cases, {spend}")
    for b in result.baselines:
        lines.append(
            f"  baseline {b.name}: worst pressure {b.metrics.worst_pressure:.3f}, "
            f"long-wait score {b.metrics.long_wait_score:,.0f}"
        )
    for limit in result.binding_limits[:5]:
        lines.append(f"  binds: {limit.message}")
    return "\n".join(lines)
