"""`ics-capacity jobs ...` and `--enqueue`: solver jobs from the command line, as a named account.

    ics-capacity jobs list --as EMAIL [--scenario ID] [--active] [--limit N] [--json]
    ics-capacity jobs show ID --as EMAIL [--json]
    ics-capacity jobs cancel ID --as EMAIL [--json]
    ics-capacity rebalance SCENARIO --enqueue --as EMAIL [--weeks N] [--time-limit S]
    ics-capacity rota SCENARIO --enqueue --as EMAIL [--weeks N] [--sites A,B] [--start DATE] ...

These act as the account named by `--as` (or `ICS_AS`), through the same use cases as the pages:
a viewer cannot cancel, a member of one collaborative sees none of another's jobs, and each
start and cancel is audited under that person's name (`services.operator`). A queued job is run
by `ics-capacity worker`, so `--enqueue` needs `ICS_JOB_QUEUE` set to a broker; without one,
run the command without `--enqueue` to solve here and now.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from ics_capacity.services.jobs import JobView

jobs_app = typer.Typer(help="Solver jobs: list, show and cancel, as a named account.")

AS_OPTION = typer.Option(
    "--as",
    envvar="ICS_AS",
    help="Act as this account (its email); the same roles and audit as its pages.",
)


def register(app: typer.Typer) -> None:
    """Adds `jobs list|show|cancel` to the CLI."""
    app.add_typer(jobs_app, name="jobs", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


# The job's JSON object: these fields of `JobView`, in this order (not its name or result).
_JSON_FIELDS = "id scenario_id kind status progress message requested_by parameters".split()
_JSON_TIMES = ("created_at", "finished_at")  # ISO 8601, or null


def as_dict(job: JobView) -> dict[str, Any]:
    """A job as one JSON object."""
    times = {name: getattr(job, name) for name in _JSON_TIMES}
    return {name: getattr(job, name) for name in _JSON_FIELDS} | {
        name: when.isoformat() if when else None for name, when in times.items()
    }


def _line(job: JobView) -> str:
    return (
        f"{job.id:>6}  scenario {job.scenario_id:<5} {job.kind:<9} {job.status:<9} "
        f"{job.progress:>3}%  {job.requested_by}  {job.message}"
    )


@contextmanager
def acting(email: str | None) -> Iterator[str]:
    """A session of the named account for the command; any refusal is printed, exit code 1."""
    from ics_capacity.services.errors import ServiceError
    from ics_capacity.services.operator import acting_as

    if not email:
        _fail("Say which account acts: --as EMAIL (or ICS_AS=EMAIL).")
    try:
        with acting_as(email) as token:
            yield token
    except ServiceError as error:
        _fail(str(error))


@jobs_app.command("list")
def list_command(
    as_user: Annotated[str | None, AS_OPTION] = None,
    scenario: Annotated[int | None, typer.Option("--scenario", help="Only this scenario.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only queued or running.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="At most N.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Lists the newest jobs of the scenarios the account may view."""
    from ics_capacity.services.jobs import list_jobs

    with acting(as_user) as token:
        found = list_jobs(token, scenario_id=scenario, active_only=active, limit=limit)
    if as_json:
        typer.echo(json.dumps({"jobs": [as_dict(job) for job in found]}))
    elif not found:
        typer.echo("No jobs.")
    else:
        typer.echo("\n".join(_line(job) for job in found))


@jobs_app.command("show")
def show_command(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    as_user: Annotated[str | None, AS_OPTION] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Shows one job of a scenario the account may view."""
    from ics_capacity.services.jobs import job_view

    with acting(as_user) as token:
        job = job_view(token, job_id)
    typer.echo(json.dumps(as_dict(job)) if as_json else _line(job))


@jobs_app.command("cancel")
def cancel_command(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    as_user: Annotated[str | None, AS_OPTION] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Cancels a queued or running job, if the account may run that kind of job."""
    from ics_capacity.services.jobs import cancel_job

    with acting(as_user) as token:
        job = cancel_job(token, job_id)
    typer.echo(json.dumps(as_dict(job)) if as_json else _line(job))


def enqueue(
    kind: str, scenario: int, parameters: dict[str, Any], as_user: str | None, as_json: bool
) -> None:
    """Queues a job of `kind` for the worker as the named account and prints its id."""
    from ics_capacity.cli.rebalance import not_ready
    from ics_capacity.services.job_queue import uses_queue
    from ics_capacity.services.jobs import start_job
    from ics_capacity.services.readiness import ModelNotReadyError

    if not uses_queue():
        _fail(
            "--enqueue needs a job queue for `ics-capacity worker` to take it from: set "
            "ICS_JOB_QUEUE to a Redis or RabbitMQ URL. Without one, leave out --enqueue to "
            "solve here and now."
        )
    with acting(as_user) as token:
        try:
            job_id = start_job(token, scenario, kind, parameters)
        except ModelNotReadyError as error:  # said as the solve itself says it
            not_ready(error, scenario, as_json)
    if as_json:
        typer.echo(json.dumps({"job_id": job_id, "kind": kind, "scenario_id": scenario}))
    else:
        typer.echo(job_id)
