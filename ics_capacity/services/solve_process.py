"""The child process that runs one pure solve for a job, apart from the web server.

`services/jobs.py` reads the scenario into a solver's typed input inside a transaction, then runs
this module as `python -m ics_capacity.services.solve_process`: the input arrives pickled on
stdin, the result leaves as JSON-ready data (the result model's JSON dump, which the job row keeps
and `services.results` validates back), pickled on stdout. Running the solver in its own process
means a cancel really stops it (the process is killed, whatever the solver is doing), a crash of
the solver cannot take the web server down, and the solver's own Python threads do not compete
with the server's event loop for the interpreter lock.

Nothing here reads the database or the caller's state: the input is all there is. The process
ends by itself if the runner that started it dies, so a killed server leaves no solve running.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
from typing import Any


def solve(kind: str, payload: Any) -> dict[str, Any]:
    """Solves one job's input and returns the result as JSON-ready data."""
    if kind == "rota":
        from ics_capacity.services.rota import solve_problem

        return solve_problem(payload).model_dump(mode="json")
    if kind == "rebalance":
        from ics_capacity.services.rebalance import solve_instance

        data, time_limit_seconds, num_workers = payload
        result = solve_instance(
            data, time_limit_seconds=time_limit_seconds, num_workers=num_workers
        )
        return result.model_dump(mode="json")
    raise ValueError(f"unknown job kind {kind!r}")


def _exit_with_parent(interval_seconds: float = 1.0) -> None:
    """Ends this process when its parent (the runner) dies, so no orphaned solve goes on."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_seconds)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def main() -> None:
    """Reads (kind, input) from stdin and writes the pickled result, or the error, to stdout."""
    _exit_with_parent()
    kind, payload = pickle.load(sys.stdin.buffer)
    try:
        outcome: tuple[str, Any] = ("ok", solve(kind, payload))
    except Exception as error:
        outcome = ("error", f"{type(error).__name__}: {error}")
    pickle.dump(outcome, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
