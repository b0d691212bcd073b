"""`ics-capacity worker`: a solver worker that runs jobs from the configured job queue."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from ics_capacity import settings


def register(app: typer.Typer) -> None:
    """Adds the `worker` command to the CLI."""
    app.command("worker")(worker)


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs run at once (one solver process each).")
    ] = 1,
    kinds: Annotated[
        str,
        typer.Option(
            help=(
                "Comma-separated kinds to take, e.g. rota,rebalance (all); 'projection' "
                "computes the Dashboard's projections, the scenario page's impact, the "
                "capacity question, members' targets and board packs."
            )
        ),
    ] = "",
) -> None:
    """Runs optimiser jobs from the queue in ICS_JOB_QUEUE until stopped (SIGTERM/Ctrl-C).

    Run one or more on any host that reaches the database (REFLEX_DB_URL) and the queue
    (ICS_JOB_QUEUE: a redis:// or amqp:// URL, or `database` for the job table itself, which
    `make run` uses). A stop lets running jobs finish first. It also computes the Dashboard's
    projections, and the pages' other answers that take projections, that the web processes ask
    for (kind `projection`).
    """
    from ics_capacity.services import job_queue

    if not job_queue.uses_queue():
        typer.secho(
            "ICS_JOB_QUEUE is not set (or 'local'): jobs run beside the web server. Set it to "
            "'database' (the job table is the queue) or to a broker's URL, e.g. "
            "amqp://guest:guest@127.0.0.1:5672/%2F or redis://127.0.0.1:6379/0.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2)
    try:
        niceness = settings.solver_niceness()  # a mistyped value stops the worker now
    except ValueError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from error
    # Solves (in child processes, which inherit it) and Dashboard projections (a thread here)
    # are work the pages should not wait behind on a host they share.
    os.nice(max(0, niceness - os.nice(0)))
    logging.getLogger("ics_capacity").setLevel(logging.INFO)
    chosen = [k.strip() for k in kinds.split(",") if k.strip()] or None
    try:
        job_queue.run_worker(concurrency=concurrency, kinds=chosen)
    except ValueError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from error
