"""`ics-capacity serve`: the web app as production runs it, configured by environment variables.

    ics-capacity serve [--workers N] [--port 3000]

Starts `reflex run --env prod` (pages and backend on one port) with N backend worker processes
(`GRANIAN_WORKERS`). Several workers share client state and the scenario rooms through Redis, so
N > 1 needs `REFLEX_REDIS_URL`. Solves never run in these processes when a job queue is set
(`ICS_JOB_QUEUE`, which defaults to `REFLEX_REDIS_URL`): run `ics-capacity worker` beside it, on
this host or another that reaches the same database and broker. `make run-prod` starts both.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Adds the `serve` command to the CLI."""
    app.command("serve")(serve)


def serve_environment(workers: int, environ: dict[str, str]) -> dict[str, str]:
    """The environment of the web server: `environ` plus the worker count, checked.

    Raises:
        ValueError: several workers without Redis to share their state.
    """
    if workers > 1 and not environ.get("REFLEX_REDIS_URL"):
        raise ValueError(
            f"--workers {workers} needs REFLEX_REDIS_URL (e.g. redis://127.0.0.1:6379/0): "
            "several web workers share sign-ins and scenario rooms through Redis."
        )
    return {**environ, "GRANIAN_WORKERS": str(workers)}


def serve(
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=32, help="Web worker processes.")
    ] = 1,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 3000,
) -> None:
    """Serves the app in production mode (build, then serve) until stopped."""
    from ics_capacity.services.job_queue import queue_url, uses_queue
    from ics_capacity.settings import REPO_ROOT

    try:
        environment = serve_environment(workers, dict(os.environ))
    except ValueError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from error
    where = f"the queue at {queue_url().split('@')[-1]}" if uses_queue() else "this web process"
    typer.echo(f"Serving on port {port} with {workers} web worker(s); solves run from {where}.")
    reflex = str(REPO_ROOT / ".venv" / "bin" / "reflex")
    if not os.path.exists(reflex):
        reflex = "reflex"
    os.chdir(REPO_ROOT)
    command = ["reflex", "run", "--env", "prod", "--frontend-port", str(port)]
    os.execvpe(reflex, [*command, "--backend-port", str(port)], environment)
