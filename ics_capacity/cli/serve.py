"""`ics-capacity serve`: the web app as production runs it, configured by environment variables.

    ics-capacity serve [--workers N] [--port 3000]

Starts `reflex run --env prod` (pages and backend on one port) with N backend worker processes
(`GRANIAN_WORKERS`), each started again if it dies (`cli/web_server.py`). Several workers share
client state and the scenario rooms through Redis, so N > 1 needs `REFLEX_REDIS_URL`. Solves
never run in these processes when a job queue is set (`ICS_JOB_QUEUE`, which defaults to
`REFLEX_REDIS_URL`): run `ics-capacity worker` beside it, on this host or another that reaches
the same database and broker. `make run-prod` starts both.
"""

from __future__ import annotations

import os
import sys
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
    return {**_offline_defaults(environ), "GRANIAN_WORKERS": str(workers)}


def _offline_defaults(environ: dict[str, str]) -> dict[str, str]:
    """What the Makefile exports for Reflex, so `ics-capacity serve` run by hand works the same.

    Without them Reflex looks for bun on the internet and, on these machines, exits after its
    Node.js warning with no message. The bun that `make install` put in `.tools/` comes first on
    the PATH; an operator's own settings win.
    """
    from ics_capacity.settings import REPO_ROOT

    tools = REPO_ROOT / ".tools" / "node_modules" / ".bin"
    result = dict(environ)
    if tools.is_dir() and str(tools) not in result.get("PATH", "").split(os.pathsep):
        result["PATH"] = os.pathsep.join(p for p in (str(tools), result.get("PATH", "")) if p)
    for name, value in (
        ("REFLEX_USE_SYSTEM_BUN", "1"),
        ("REFLEX_TELEMETRY_ENABLED", "false"),
        ("REFLEX_CHECK_LATEST_VERSION", "0"),
        ("PYTHONUNBUFFERED", "1"),
    ):
        result.setdefault(name, value)
    return result


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
    os.chdir(REPO_ROOT)
    command = [sys.executable, "-m", "ics_capacity.cli.web_server", "--port", str(port)]
    os.execvpe(sys.executable, command, environment)
