"""The production web server: Reflex's own `reflex run --env prod`, with web workers that respawn.

    python -m ics_capacity.cli.web_server --port 3000

`ics-capacity serve` starts this. Reflex 0.10 builds its Granian server without
`respawn_failed_workers`, so when one of several web workers dies (killed by the kernel's
out-of-memory killer, a segfault in a native library, an operator's `kill -9`) Granian stops the
whole app: "Unexpected exit from worker-2", then "Reflex app stopped" (seen on this project's
machines with `--workers 2`). Here Granian's own option is switched on before Reflex builds the
server: a worker that dies is started again within Granian's `respawn_interval`, and the other
workers go on serving meanwhile. Client state lives in Redis (`REFLEX_REDIS_URL`), so a browser
whose socket was on the dead worker reconnects to another one and finds its state there
(`tests/integration/test_web_worker_killed.py`).

Only the server's construction changes; Reflex still compiles, builds and mounts the frontend.
"""

from __future__ import annotations

import sys
from typing import Any

import granian.server

RESPAWN_INTERVAL_SECONDS = 1.0
"""How long Granian waits before starting a worker again (its default is 3.5 s)."""


_GranianServer: Any = granian.server.Server  # the platform's server class (MPServer on Linux)


class RespawningServer(_GranianServer):
    """Granian's server with failed workers respawned, whatever its caller passed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["respawn_failed_workers"] = True
        kwargs.setdefault("respawn_interval", RESPAWN_INTERVAL_SECONDS)
        super().__init__(*args, **kwargs)


def main(port: int) -> None:
    """Runs `reflex run --env prod` on one port with respawning web workers."""
    # Reflex imports `granian.server.Server` when it starts the backend, so it gets this one.
    granian.server.Server = RespawningServer
    from reflex.reflex import cli

    cli(
        ["run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
        prog_name="reflex",
    )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(int(arguments[arguments.index("--port") + 1]) if "--port" in arguments else 3000)
