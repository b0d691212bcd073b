"""Running jobs: the service layer's own path, which no client reaches.

`run_job(job_id)` claims a queued job atomically (queued -> running, refusing any other state),
reads the scenario into the solver's typed input, runs the pure solver in a child process
(`services/solve_process.py`) and writes the result in one transaction. A cancel is seen within
`HEARTBEAT_SECONDS` and kills the solver's process; a stop-early request sends it SIGTERM, which
keeps the best rota found so far. A running job's runner writes a heartbeat; a job whose heartbeat
stops for `HEARTBEAT_TIMEOUT` is failed (`fail_lost_jobs`), and at start-up a server fails at once
the jobs of dead processes on its own host (`recover_jobs_at_startup`).

Who runs a queued job (`dispatch`) is chosen by `ICS_JOB_QUEUE`: `local` (the default) runs it on
`LocalJobRunner`'s small thread pool in this process (each thread supervises one solver process);
a broker URL puts the id on the Dramatiq queue for `ics-capacity worker`
(`services/job_queue.py`). `set_dispatcher` replaces both (tests).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import Membership, Scenario, SolveJob, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.roles import role_allows
from ics_capacity.services.job_kinds import (
    ACTIVE,
    FORWARD,
    GRACE_SECONDS,
    HEARTBEAT_SECONDS,
    HEARTBEAT_TIMEOUT,
    JOB_KINDS,
    QUEUE_RUNNER,
    QUEUE_WAIT_TIMEOUT,
    JobKind,
    JobStateError,
    JobView,
    view_of,
)
from ics_capacity.services.scenarios import (
    NotFoundError,
    ScenarioError,
)

logger = logging.getLogger(__name__)


# --- Running (the service layer's own path; no client reaches these) ----------------------------


def runner_name() -> str:
    """This process as a runner: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job_id: int, progress: Callable[[int, str], None] | None = None) -> JobView:
    """Claims a queued job, runs it from what its row says, and records the outcome.

    Args:
        job_id: The job to run; it must be queued.
        progress: Called with (percent, message) as the run goes on.

    Returns:
        The job as it ended (done, failed or cancelled).

    Raises:
        JobStateError: the job is not queued (running elsewhere, finished or cancelled).
    """
    job = _claim(job_id)
    spec = JOB_KINDS[job.kind]
    params = json.loads(job.parameters)
    try:
        _report(job.id, 2, "Reading the scenario", progress)
        with unit_of_work() as session:
            scenario = session.get(Scenario, job.scenario_id)
            if scenario is None:
                raise NotFoundError("The scenario of this run no longer exists.")
            _require_requester_still_allowed(session, job, scenario, spec)
            payload = spec.read_input(session, scenario, params)
        limit = float(params.get("time_limit_seconds", 10))
        outcome = _solve_in_child(job.id, job.kind, payload, limit, progress)
    except ScenarioError as error:
        _finish(job.id, "failed", message=str(error))
        return read_job(job.id)
    except Exception:
        reference = f"job-{job.id}"
        logger.exception("Job %s failed", reference)
        _finish(
            job.id,
            "failed",
            message=f"The run failed on the server (reference {reference}); start it again.",
        )
        return read_job(job.id)
    if outcome is None:  # cancelled while it ran
        return read_job(job.id)
    message = spec.done_message(outcome)
    stopper = _stop_requested_by(job.id)
    if stopper:
        message += f"; stopped by {stopper}"
    _finish(job.id, "done", message=message, result=outcome)
    return read_job(job.id)


@dataclass(frozen=True)
class _Claimed:
    """What a run needs of its job row, read when the job was claimed."""

    id: int
    kind: str
    scenario_id: int
    parameters: str
    requested_by: str
    requested_by_id: int | None


def _claim(job_id: int) -> _Claimed:
    now = utc_now()
    with unit_of_work() as session:
        claimed = session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == int(job_id), SolveJob.status == "queued")
            .values(
                status="running",
                started_at=now,
                heartbeat_at=now,
                runner=runner_name(),
                message="Starting",
            )
        )
        session.commit()
        job = session.get(SolveJob, int(job_id))
        if not claimed.rowcount or job is None:
            state = job.status if job is not None else "missing"
            raise JobStateError(f"Run {job_id} cannot start: it is {state}, not queued.")
        return _Claimed(
            job.id,
            job.kind,
            job.scenario_id,
            job.parameters,
            job.requested_by,
            job.requested_by_id,
        )


def _require_requester_still_allowed(
    session: Session, job: _Claimed, scenario: Scenario, spec: JobKind
) -> None:
    """The requester's right is checked again when the run starts (it may have been removed)."""
    role = session.exec(
        select(Membership.role)
        .join(UserAccount, UserAccount.id == Membership.user_id)
        .where(
            UserAccount.id == job.requested_by_id,
            UserAccount.is_active,
            Membership.collaborative_id == scenario.collaborative_id,
        )
    ).first()
    if job.requested_by_id is not None and not role_allows(role, spec.permission):
        raise ScenarioError(
            f"{job.requested_by} may no longer start a {spec.label} on this scenario."
        )


def _stop_requested_by(job_id: int) -> str | None:
    """Who asked the running job to stop early (None: nobody)."""
    with unit_of_work() as session:
        return session.execute(
            sa.select(col(SolveJob.stop_requested_by)).where(SolveJob.id == job_id)
        ).scalar()


def _report(job_id: int, percent: int, message: str, progress: Callable | None) -> bool:
    """Records progress and a heartbeat; False when the job has been cancelled meanwhile."""
    with unit_of_work() as session:
        moved = session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == job_id, SolveJob.status == "running")
            .values(
                progress=max(0, min(100, int(percent))),
                message=message[:500],
                heartbeat_at=utc_now(),
            )
        )
        session.commit()
    if progress is not None:
        progress(percent, message)
    return bool(moved.rowcount)


def _solve_in_child(
    job_id: int,
    kind: str,
    payload: Any,
    limit: float,
    progress: Callable | None,
) -> dict[str, Any] | None:
    """Runs the pure solve in a child process, heartbeating; None if the job was cancelled."""
    command = [sys.executable, "-m", "ics_capacity.services.solve_process"]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    collected: dict[str, bytes] = {}

    def talk() -> None:
        out, err = child.communicate(pickle.dumps((kind, payload)))
        collected["out"], collected["err"] = out, err

    talker = threading.Thread(target=talk, daemon=True)
    talker.start()
    started = time.monotonic()
    stopping: str | None = None
    try:
        while talker.is_alive():
            talker.join(timeout=HEARTBEAT_SECONDS)
            if not talker.is_alive():
                break
            elapsed = time.monotonic() - started
            share = min(0.97, elapsed / limit)
            message = f"Searching: {elapsed:.0f} s of {limit:g} s"
            if stopping is None:
                stopping = _stop_requested_by(job_id)
                if stopping is not None:
                    # Stop the search, not the process: it keeps and returns its best rota.
                    child.send_signal(signal.SIGTERM)
            if stopping is not None:
                message = f"Stopping at the best rota found so far (asked by {stopping})"
            if not _report(job_id, 5 + round(90 * share), message, progress):
                child.kill()
                return None
            if elapsed > limit + GRACE_SECONDS:
                child.kill()
                raise ScenarioError(
                    f"The run was stopped: it took more than {limit + GRACE_SECONDS:g} s."
                )
    finally:
        if child.poll() is None:
            child.kill()
        talker.join(timeout=5)
    out = collected.get("out", b"")
    if child.returncode != 0 or not out:
        logger.error(
            "Solver process of job %s ended with %s: %s",
            job_id,
            child.returncode,
            collected.get("err", b"")[-2000:].decode(errors="replace"),
        )
        raise RuntimeError(f"the solver process ended with code {child.returncode}")
    status, value = pickle.loads(out)
    if status != "ok":
        logger.error("Solver of job %s failed: %s", job_id, value)
        raise RuntimeError(value)
    return value


def _finish(job_id: int, status: str, *, message: str, result: dict | None = None) -> bool:
    """Moves a running (or queued) job forward to a finished state, with its result, at once."""
    allowed = [s for s, nexts in FORWARD.items() if status in nexts]
    values: dict[str, Any] = {
        "status": status,
        "finished_at": utc_now(),
        "message": message[:500],
        "heartbeat_at": utc_now(),
    }
    if status == "done":
        values["progress"] = 100
    if result is not None:
        values["result"] = json.dumps(result)
    with unit_of_work() as session:
        moved = session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == job_id, SolveJob.status.in_(allowed))
            .values(**values)
        )
        session.commit()
        return bool(moved.rowcount)


def read_job(job_id: int) -> JobView:
    """The job as it stands, without its result and without a caller check (runners, operators)."""
    with unit_of_work() as session:
        return view_of(session.get(SolveJob, job_id), with_result=False)


# --- Lost jobs ----------------------------------------------------------------------------------


def fail_lost_jobs(now: dt.datetime | None = None) -> int:
    """Fails active jobs whose runner stopped heartbeating; returns how many.

    A job waiting on the broker's queue has no runner to heartbeat it: it is failed only when no
    worker has taken it within `QUEUE_WAIT_TIMEOUT`.
    """
    now = now or utc_now()
    cutoff = now - HEARTBEAT_TIMEOUT
    seconds = int(HEARTBEAT_TIMEOUT.total_seconds())
    on_queue = sa.and_(SolveJob.status == "queued", SolveJob.runner == QUEUE_RUNNER)
    with unit_of_work() as session:
        moved = session.execute(
            sa.update(SolveJob)
            .where(
                SolveJob.status.in_(ACTIVE),
                col(SolveJob.heartbeat_at) < cutoff,
                sa.not_(on_queue),
            )
            .values(
                status="failed",
                finished_at=now,
                message=(
                    f"The server running this job stopped answering for {seconds} s, so the run "
                    "was ended; start it again."
                ),
            )
        )
        waited = session.execute(
            sa.update(SolveJob)
            .where(on_queue, col(SolveJob.created_at) < now - QUEUE_WAIT_TIMEOUT)
            .values(
                status="failed",
                finished_at=now,
                message=(
                    f"No solver worker took this run within {_minutes(QUEUE_WAIT_TIMEOUT)}; "
                    "check that the workers are running, then start it again."
                ),
            )
        )
        session.commit()
        return (moved.rowcount or 0) + (waited.rowcount or 0)


def _minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} minutes"


def mark_queued_on_broker(job_id: int) -> str | None:
    """Makes a committed, queued job the broker queue's; returns its kind (None if not queued)."""
    with unit_of_work() as session:
        moved = session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == int(job_id), SolveJob.status == "queued")
            .values(runner=QUEUE_RUNNER, heartbeat_at=utc_now(), message="Waiting for a worker")
        )
        session.commit()
        if not moved.rowcount:
            return None
        return session.execute(
            sa.select(col(SolveJob.kind)).where(SolveJob.id == int(job_id))
        ).scalar_one()


def queued_jobs_waiting(seconds: float) -> list[tuple[int, str]]:
    """(id, kind) of jobs on the broker's queue not taken for `seconds`, marked as sent again."""
    now = utc_now()
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(col(SolveJob.id), col(SolveJob.kind)).where(
                SolveJob.status == "queued",
                SolveJob.runner == QUEUE_RUNNER,
                col(SolveJob.heartbeat_at) < now - dt.timedelta(seconds=seconds),
            )
        ).all()
        if rows:
            session.execute(
                sa.update(SolveJob)
                .where(
                    SolveJob.id.in_([job_id for job_id, _ in rows]),
                    SolveJob.status == "queued",
                )
                .values(heartbeat_at=now)
            )
        session.commit()
    return [(job_id, kind) for job_id, kind in rows]


def queued_jobs_to_take(kinds: list[str], limit: int) -> list[int]:
    """Ids of the oldest jobs waiting on the database queue, of `kinds`, at most `limit`.

    Only a reading: the worker that runs one takes it with `run_job`'s atomic claim, which
    refuses a job another worker took first, so two workers polling at once never both run it.
    """
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(col(SolveJob.id))
            .where(
                SolveJob.status == "queued",
                SolveJob.runner == QUEUE_RUNNER,
                col(SolveJob.kind).in_(kinds),
            )
            .order_by(col(SolveJob.id))
            .limit(limit)
        ).all()
    return [int(job_id) for (job_id,) in rows]


def recover_jobs_at_startup() -> int:
    """Fails the active jobs of dead processes on this host, then any lost elsewhere.

    Returns:
        How many jobs were failed.
    """
    host = socket.gethostname()
    failed = 0
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(col(SolveJob.id), col(SolveJob.runner)).where(
                col(SolveJob.status).in_(ACTIVE)
            )
        ).all()
        dead = [
            job_id
            for job_id, runner in rows
            if runner and runner.rsplit(":", 1)[0] == host and not _alive(runner)
        ]
        if dead:
            moved = session.execute(
                sa.update(SolveJob)
                .where(SolveJob.id.in_(dead), SolveJob.status.in_(ACTIVE))
                .values(
                    status="failed",
                    finished_at=utc_now(),
                    message="The server restarted while this run was going; start it again.",
                )
            )
            failed = moved.rowcount or 0
        session.commit()
    return failed + fail_lost_jobs()


def _alive(runner: str) -> bool:
    try:
        pid = int(runner.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Runners ------------------------------------------------------------------------------------


class LocalJobRunner:
    """Runs queued jobs in this process, a few at a time, heartbeating the ones that wait."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._waiting: set[int] = set()
        self._lock = threading.Lock()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True, name="job-heartbeat")
        self._beat.start()

    def submit(self, job_id: int) -> None:
        """Takes a queued job; it runs when a worker thread is free."""
        with self._lock:
            self._waiting.add(job_id)
        _mark_runner(job_id)
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: int) -> None:
        with self._lock:
            self._waiting.discard(job_id)
        try:
            run_job(job_id)
        except JobStateError as error:
            logger.info("%s", error)
        except Exception:
            logger.exception("Runner failed on job %s", job_id)

    def _heartbeat(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS * 2)
            with self._lock:
                waiting = list(self._waiting)
            try:
                if waiting:
                    with unit_of_work() as session:
                        session.execute(
                            sa.update(SolveJob)
                            .where(SolveJob.id.in_(waiting), SolveJob.status == "queued")
                            .values(heartbeat_at=utc_now())
                        )
                        session.commit()
                fail_lost_jobs()
            except Exception:
                logger.exception("Job heartbeat failed")


def _mark_runner(job_id: int) -> None:
    with unit_of_work() as session:
        session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == job_id, SolveJob.status == "queued")
            .values(runner=runner_name(), heartbeat_at=utc_now())
        )
        session.commit()


_runner: LocalJobRunner | None = None
_runner_lock = threading.Lock()
_dispatcher: Callable[[int], None] | None = None


def set_dispatcher(dispatcher: Callable[[int], None] | None) -> None:
    """Chooses who runs queued jobs (None: this process's `LocalJobRunner`)."""
    global _dispatcher
    _dispatcher = dispatcher


def dispatch(job_id: int) -> None:
    """Hands a committed, queued job to the configured runner.

    Raises:
        ScenarioError: the job queue did not take the job (the job is failed, not left queued).
    """
    if _dispatcher is not None:
        _dispatcher(job_id)
        return
    from ics_capacity.services import job_queue

    if job_queue.uses_queue():
        try:
            job_queue.enqueue(job_id)
        except Exception as error:
            logger.exception("Could not put job %s on the job queue", job_id)
            message = "The job queue is not answering, so the run was not started; try again."
            _finish(job_id, "failed", message=message)
            raise ScenarioError(message) from error
        return
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = LocalJobRunner(int(os.environ.get("ICS_JOB_WORKERS", "1")))
    _runner.submit(job_id)
