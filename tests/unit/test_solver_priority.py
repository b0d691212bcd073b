"""Solves run at a lower CPU priority than the process that starts them (`ICS_SOLVER_NICE`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ics_capacity import settings


def _niceness(pid: int) -> int:
    # Field 19 of /proc/PID/stat, counted after the command name's closing parenthesis.
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rpartition(")")[2].split()[16])


def test_default_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ICS_SOLVER_NICE", raising=False)
    assert settings.solver_niceness() == 10
    monkeypatch.setenv("ICS_SOLVER_NICE", "0")
    assert settings.solver_niceness() == 0
    for wrong in ("20", "-1", "2.5", "low"):
        monkeypatch.setenv("ICS_SOLVER_NICE", wrong)
        with pytest.raises(ValueError, match="ICS_SOLVER_NICE"):
            settings.solver_niceness()


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_the_solver_process_lowers_its_own_priority() -> None:
    """The child the job runner starts drops its priority to the setting before it reads its
    input (from a web process at 0; a worker already runs at it)."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    child = subprocess.Popen(
        [sys.executable, "-m", "ics_capacity.services.solve_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ICS_SOLVER_NICE": "7"},
    )
    try:
        deadline = time.monotonic() + 30
        seen = _niceness(child.pid)
        while seen != max(base, 7) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
            seen = _niceness(child.pid)
        assert seen == max(base, 7)
    finally:
        child.kill()
        child.wait()
