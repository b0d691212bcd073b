"""The solver processes a test's runner starts, seen through /proc (Linux), so that fault tests
wait for the state they need instead of sleeping a fixed time that a loaded machine may outrun."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, whichever of its threads started them."""
    found = []
    for task in Path("/proc").glob("[0-9]*"):
        try:
            stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            found.append(int(task.name))
    return found


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie has ended: only its exit status is left)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_solving(parent_pid: int, seconds: float) -> list[int]:
    """The parent's solver processes (`solve_process`) once one is solving (OR-Tools loaded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for pid in children(parent_pid):
            with contextlib.suppress(OSError):
                solver = b"solve_process" in Path(f"/proc/{pid}/cmdline").read_bytes()
                if solver and b"ortools" in Path(f"/proc/{pid}/maps").read_bytes():
                    return children(parent_pid)
        time.sleep(0.1)
    raise AssertionError(f"process {parent_pid} had no solver solving within {seconds} s")


def still_alive_after(pids: list[int], seconds: float) -> list[int]:
    """The processes of `pids` still running once they all ended or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while (running := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def wait_until_input_handed_over(writer: int, reader: int, seconds: float) -> None:
    """Waits until `writer` has written all of `reader`'s standard input and closed its end.

    What is written stays in the pipe for the reader even if the writer then dies, so a test may
    kill the writer without cutting the reader's input short (the reader would fail reading it,
    not by the fault the test means). OR-Tools loads while the solver is still unpickling its
    input, and the runner's heartbeats start before it has written it all.
    """
    stdin = Path(f"/proc/{reader}/fd/0").readlink()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        holding = False
        for fd in Path(f"/proc/{writer}/fd").iterdir():
            with contextlib.suppress(OSError):
                holding = holding or fd.readlink() == stdin
        if not holding:
            return
        time.sleep(0.1)
    raise AssertionError(f"process {writer} did not hand over {reader}'s input within {seconds} s")
