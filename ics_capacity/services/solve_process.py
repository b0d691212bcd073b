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

The solve runs at a lower CPU priority than the web server (`ICS_SOLVER_NICE`,
`settings.solver_niceness`): a worker process already runs at it; a solve started beside the web
server (`ICS_JOB_QUEUE=local`) lowers itself to it. On a shared host the pages come first.

"Good enough, stop now": SIGTERM or SIGINT asks the solve to stop and keep its best result
(`solvers.common.STOP`, which stops the CP-SAT solves under way with `stop_search()`); the result
is then written as usual. The solve runs on a worker thread so that the main thread, which is
where Python runs signal handlers, is always free to take the signal at once. A cancel still
kills the process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from typing import Any

from ics_capacity.settings import solver_niceness


def solve(kind: str, payload: Any) -> dict[str, Any]:
    """Solves one job's input and returns the result as JSON-ready data."""
    if kind == "rota":
        from ics_capacity.services.rota import solve_problem

        if _ASKED.is_set():  # asked before the solvers were imported
            _request_stop()
        return solve_problem(payload).model_dump(mode="json")
    if kind == "rebalance":
        from ics_capacity.services.rebalance import solve_instance

        data, time_limit_seconds, num_workers = payload
        result = solve_instance(
            data, time_limit_seconds=time_limit_seconds, num_workers=num_workers
        )
        return result.model_dump(mode="json")
    raise ValueError(f"unknown job kind {kind!r}")


PARENT_GONE_EXIT = 3
"""The exit status of a solve that ended because its runner died (`_exit_with_parent`)."""


def _exit_with_parent(interval_seconds: float = 1.0) -> None:
    """Ends this process when its parent (the runner) dies, so no orphaned solve goes on."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_seconds)
            if os.getppid() != parent:
                os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


_ASKED = threading.Event()
"""A stop was asked for (set by the signal handler, even before the solver was imported)."""


def _request_stop() -> None:
    """Passes the stop on to the solvers, once they are imported (else `solve` does it)."""
    common = sys.modules.get("solvers.common")
    stop = getattr(common, "STOP", None)
    if stop is not None:
        stop.request()


def _stop_on_signals() -> None:
    """SIGTERM and SIGINT ask the solve to stop now and keep its best result.

    Installed first thing, before the solvers are imported, so that an early request is not the
    default action (the end of the process) but a stop the solve sees as soon as it starts.
    """

    def stop(_signum: int, _frame: object) -> None:
        _ASKED.set()
        _request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main() -> None:
    """Reads (kind, input) from stdin and writes the pickled result, or the error, to stdout."""
    _exit_with_parent()
    _stop_on_signals()
    os.nice(max(0, solver_niceness() - os.nice(0)))  # a worker may have lowered it already
    kind, payload = pickle.load(sys.stdin.buffer)
    box: dict[str, tuple[str, Any]] = {}

    def run() -> None:
        try:
            box["outcome"] = ("ok", solve(kind, payload))
        except Exception as error:
            box["outcome"] = ("error", f"{type(error).__name__}: {error}")

    worker = threading.Thread(target=run, name="solve")
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.2)  # the main thread stays free to run signal handlers
    outcome = box.get("outcome", ("error", "the solve ended without a result"))
    pickle.dump(outcome, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
