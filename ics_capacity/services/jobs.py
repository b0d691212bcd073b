"""Optimisation runs as jobs: the one way a solve is started, run, watched and cancelled.

A page (or any client) can only *ask*: `start_job(token, scenario_id, kind, parameters)` checks the
caller's right to run that kind on that scenario, validates and bounds the parameters, records the
requester and queues the job. Everything the run needs is then read from the job row, never from
client state: `run_job(job_id)` claims the job atomically (queued -> running, refusing any other
state), reads the scenario into the solver's typed input, runs the pure solver in a child process
(`services/solve_process.py`) and writes the result in one transaction.

A job's state only moves forward: queued -> running -> done | failed | cancelled (a queued job may
also be cancelled or failed). A cancel is seen by the run within `HEARTBEAT_SECONDS` and kills the
solver's process. A running rota build may instead be asked to stop early ("good enough, stop
now", `stop_job_early`): the runner sees `stop_requested_by` within `HEARTBEAT_SECONDS` and sends
the solver's process SIGTERM, which stops the search and keeps the best rota found so far; the job
then finishes as done, its message saying who stopped it. At most one job of a kind is active
per scenario (a partial unique index makes this hold even for two requests at the same moment).
A running job's runner writes a heartbeat; a job whose heartbeat stops for `HEARTBEAT_TIMEOUT`
(its server crashed or was killed) is failed with a message saying so, and at start-up a server
fails at once the jobs of dead processes on its own host, so the scenario can be solved again
straight away.

Who runs a queued job is chosen by `ICS_JOB_QUEUE`. `local` (the default): `LocalJobRunner` runs
it in this process on a small thread pool (each thread supervises one solver process), so the
embedded default needs no server. A Redis or RabbitMQ URL: the id goes on a Dramatiq queue and a
separate worker process (`ics-capacity worker`, `services/job_queue.py`) runs it; such a queued
row belongs to the queue (`runner` is `QUEUE_RUNNER`), waits without a heartbeat, and is failed
only if no worker takes it within `QUEUE_WAIT_TIMEOUT`. `set_dispatcher` replaces both (tests).
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
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from ics_capacity.db.models import Membership, Scenario, SolveJob, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission, role_allows
from ics_capacity.services.auth import signed_in_transaction
from ics_capacity.services.readiness import rebalance_reasons, require_ready, rota_reasons
from ics_capacity.services.results import (
    RebalanceResult,
    RotaOutcome,
    stored_rebalance,
    stored_rota,
)
from ics_capacity.services.scenarios import (
    NotFoundError,
    ScenarioError,
    audit,
    scenario_transaction,
)
from ics_capacity.services.security_log import security_event

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
FORWARD: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "failed", "cancelled"}),
    "running": frozenset({"done", "failed", "cancelled"}),
}
"""The only state changes a job may make; a finished job never changes again."""

HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TIMEOUT = dt.timedelta(seconds=30)
QUEUE_WAIT_TIMEOUT = dt.timedelta(hours=1)
"""How long a job may wait on the broker's queue for a worker before it is failed."""
QUEUE_RUNNER = "queue"
"""The `runner` of a queued job that waits on the broker's queue rather than in a process."""
GRACE_SECONDS = 60.0
"""How long past its own time limit a solve may run (reading, model building, checking) before
the runner stops it as overdue."""


class JobStateError(ScenarioError):
    """The job is not in a state that allows this (e.g. claiming a job that is not queued)."""


# --- Parameters: validated and bounded before a job exists -------------------------------------


class RebalanceJobParameters(BaseModel):
    """What a rebalancing run may be asked for, with the bounds the service enforces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weeks: int = Field(26, ge=1, le=104, description="Horizon")
    time_limit_seconds: float = Field(10.0, ge=1, le=600, description="Time limit")
    target_wait_weeks: float = Field(18.0, ge=1, le=104, description="Target wait")
    max_travel_minutes: float = Field(60.0, ge=5, le=240, description="Longest journey")


class RotaJobParameters(BaseModel):
    """What a rota build may be asked for, with the bounds the service enforces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_date: dt.date = Field(description="Start date")
    weeks: int = Field(ge=1, le=12, description="Weeks")
    site_codes: tuple[str, ...] = Field(min_length=1, max_length=20, description="Sites")
    rule_pack: str = Field("uk_default", max_length=40, description="Rule pack")
    soft_rules: bool = False
    demand: str = Field("timetable", pattern="^(timetable|plan)$", description="Demand")
    time_limit_seconds: float = Field(20.0, ge=1, le=600, description="Time limit")
    num_workers: int = Field(2, ge=1, le=2, description="Workers")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed")
    keep_published: bool = True


def _validated(model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the model normalises them, or one refusal naming every bad field."""
    try:
        return model.model_validate(raw).model_dump(mode="json")
    except ValidationError as error:
        fields = model.model_fields
        problems = []
        for e in error.errors():
            name = str(e["loc"][0]) if e["loc"] else "parameters"
            label = fields[name].description if name in fields else None
            problems.append(f"{label or name.replace('_', ' ')}: {e['msg'].lower()}")
        raise InvalidInputError("; ".join(problems) + ".") from error


# --- What each kind of job reads and solves ----------------------------------------------------


def _rebalance_input(session: Session, scenario: Scenario, params: dict[str, Any]) -> Any:
    from ics_capacity.services.rebalance import scenario_rebalance_input
    from solvers.rebalance.schema import RebalanceSettings

    p = RebalanceJobParameters.model_validate(params)
    settings = RebalanceSettings(
        horizon_weeks=p.weeks,
        target_wait_weeks=p.target_wait_weeks,
        max_travel_minutes=p.max_travel_minutes,
    )
    data = scenario_rebalance_input(session, scenario.id, weeks=p.weeks, settings=settings)
    return data, p.time_limit_seconds, 2


def _rota_input(session: Session, scenario: Scenario, params: dict[str, Any]) -> Any:
    from ics_capacity.services.rota import RotaSettings, rota_problem

    settings = RotaSettings.from_json(params)
    problems = settings.problems()
    if problems:
        raise InvalidInputError("; ".join(problems).capitalize() + ".")
    return rota_problem(session, scenario, settings)


def _rota_done(result: dict[str, Any]) -> str:
    stats = result["stats"]
    return f"{stats['status']} in {stats['wall_seconds']:.1f} s" + _stopped_words(
        stats.get("stopped", ""), stats["status"]
    )


def _stopped_words(stopped: str, status: str) -> str:
    """How the search ended, in words, after the status and time."""
    if status == "optimal":
        return " (proven best: no better rota exists)"
    if stopped == "asked":
        return " (stopped early on request; the best rota found so far is kept)"
    if stopped:
        return f" (the search stopped itself: {stopped})"
    return " (the time limit was reached)" if status == "feasible" else ""


def _rebalance_done(result: dict[str, Any]) -> str:
    stats = result["stats"]
    worst = (result.get("metrics") or {}).get("worst_pressure")
    tail = f"; worst pressure {worst:.2f}" if worst is not None else ""
    return f"{stats['status']} in {stats['wall_seconds']:.1f} s{tail}"


@dataclass(frozen=True)
class JobKind:
    """One kind of optimisation run: who may start it, its parameters, and how it is read."""

    permission: Permission
    parameters: type[BaseModel]
    read_input: Callable[[Session, Scenario, dict[str, Any]], Any]
    done_message: Callable[[dict[str, Any]], str]
    label: str
    missing: Callable[[Session, Scenario, dict[str, Any]], list[str]]
    """What the scenario lacks for this run (services/readiness.py); checked at the start."""


def _rebalance_missing(session: Session, scenario: Scenario, params: dict[str, Any]) -> list[str]:
    return rebalance_reasons(session, scenario)


def _rota_missing(session: Session, scenario: Scenario, params: dict[str, Any]) -> list[str]:
    return rota_reasons(session, scenario, params.get("site_codes") or ())


JOB_KINDS: dict[str, JobKind] = {
    "rebalance": JobKind(
        Permission.RUN_REBALANCE,
        RebalanceJobParameters,
        _rebalance_input,
        _rebalance_done,
        "rebalancing run",
        _rebalance_missing,
    ),
    "rota": JobKind(
        Permission.RUN_ROTA,
        RotaJobParameters,
        _rota_input,
        _rota_done,
        "rota build",
        _rota_missing,
    ),
}


def _kind(kind: str) -> JobKind:
    found = JOB_KINDS.get(kind)
    if found is None:
        raise InvalidInputError(f"'{kind}' is not an optimiser.")
    return found


# --- What pages see ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it.

    A finished job's result, when asked for, is validated back into the model of its kind:
    `rota` for a rota build, `rebalance` for a rebalancing run (the other is None).
    """

    id: int
    scenario_id: int
    kind: str
    status: str
    progress: int
    message: str
    requested_by: str
    parameters: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    requested_by_name: str = ""
    stop_requested_by: str | None = None
    rota: RotaOutcome | None = None
    rebalance: RebalanceResult | None = None

    @property
    def active(self) -> bool:
        """Whether the job is still queued or running."""
        return self.status in ACTIVE


def _view(job: SolveJob, *, with_result: bool = True, session: Session | None = None) -> JobView:
    """The job as pages see it; a stored result that does not match its model is refused.

    Raises:
        StoredResultError: The stored result cannot be read as the result of the job's kind.
    """
    name = job.requested_by
    raw = job.result if with_result and job.result else None
    if session is not None and job.requested_by_id is not None:
        user = session.get(UserAccount, job.requested_by_id)
        name = user.display_name if user is not None else name
    return JobView(
        requested_by_name=name,
        stop_requested_by=job.stop_requested_by,
        id=job.id,
        scenario_id=job.scenario_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        requested_by=job.requested_by,
        parameters=json.loads(job.parameters or "{}"),
        created_at=job.created_at,
        finished_at=job.finished_at,
        rota=stored_rota(raw, job_id=job.id) if raw and job.kind == "rota" else None,
        rebalance=stored_rebalance(raw, job_id=job.id) if raw and job.kind == "rebalance" else None,
    )


# --- Use cases (each checks the caller) ---------------------------------------------------------


def start_job(token: str | None, scenario_id: int, kind: str, parameters: dict[str, Any]) -> int:
    """Queues a run if the caller may run `kind` on the scenario and none is already active.

    Returns:
        The job id. The job is handed to the configured runner once the row is committed.

    Raises:
        InvalidInputError: unknown kind, or parameters out of bounds (each field named).
        ScenarioError: the caller may not run it, or a run of this kind is already active.
    """
    spec = _kind(kind)
    fail_lost_jobs()
    with scenario_transaction(token, scenario_id, spec.permission) as use:
        normalised = _validated(spec.parameters, parameters)
        session = use.session
        require_ready(spec.label, spec.missing(session, use.scenario, normalised))
        running = session.exec(
            select(SolveJob).where(
                SolveJob.scenario_id == use.scenario.id,
                SolveJob.kind == kind,
                SolveJob.status.in_(ACTIVE),
            )
        ).first()
        if running is not None:
            raise ScenarioError(_already_running(running, spec))
        job = SolveJob(
            scenario_id=use.scenario.id,
            kind=kind,
            requested_by=use.principal.email,
            requested_by_id=use.principal.user_id,
            parameters=json.dumps(normalised, sort_keys=True),
            message="Waiting to start",
            heartbeat_at=utc_now(),
        )
        session.add(job)
        try:
            session.flush()
        except sa.exc.IntegrityError as error:  # a second request at the same moment
            raise ScenarioError(
                f"Another {spec.label} was started for this scenario at the same moment; "
                "wait for it or cancel it."
            ) from error
        audit(
            session,
            use.principal,
            use.scenario,
            f"{kind}.start",
            f"Started a {spec.label}",
            entity="solve_job",
            entity_id=job.id,
            new=json.dumps(normalised, sort_keys=True),
        )
        job_id = job.id
    dispatch(job_id)
    return job_id


def _already_running(job: SolveJob, spec: JobKind) -> str:
    return (
        f"A {spec.label} started by {job.requested_by} is still {job.status} for this scenario; "
        "wait for it or cancel it."
    )


def _job_scenario(job_id: int) -> tuple[int, str]:
    """(scenario id, kind) of a job, before the caller's right on that scenario is checked."""
    with unit_of_work() as session:
        row = session.execute(
            sa.select(col(SolveJob.scenario_id), col(SolveJob.kind)).where(
                SolveJob.id == int(job_id)
            )
        ).first()
    if row is None or row.kind not in JOB_KINDS:
        raise NotFoundError("That run was not found.")
    return row.scenario_id, row.kind


def cancel_job(token: str | None, job_id: int) -> JobView:
    """Cancels a queued or running job; its solver stops within a few seconds.

    Returns:
        The job as it now stands (a job that had already finished is left as it was).
    """
    scenario_id, kind_name = _job_scenario(job_id)
    kind = JOB_KINDS[kind_name]
    with scenario_transaction(token, scenario_id, kind.permission) as use:
        moved = use.session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == int(job_id), SolveJob.status.in_(ACTIVE))
            .values(
                status="cancelled",
                finished_at=utc_now(),
                message=f"Cancelled by {use.principal.display_name}",
            )
        )
        if moved.rowcount:
            audit(
                use.session,
                use.principal,
                use.scenario,
                f"{kind_name}.cancel",
                f"Cancelled a {kind.label}",
                entity="solve_job",
                entity_id=int(job_id),
            )
        use.session.flush()
        security_event(
            "job_cancel",
            "success" if moved.rowcount else "already finished",
            user=use.principal.email,
            job_id=int(job_id),
            kind=kind_name,
            scenario_id=scenario_id,
        )
        return _view(use.session.get(SolveJob, int(job_id)), with_result=False)


def stop_job_early(token: str | None, job_id: int) -> JobView:
    """Asks a running rota build to stop now and keep the best rota it has found so far.

    Returns:
        The job as it now stands; the runner passes the request on within a few seconds.

    Raises:
        ScenarioError: the caller may not run rota builds on the scenario, or the job is not a
            running rota build (a queued one is cancelled instead; a finished one has stopped).
    """
    scenario_id, kind_name = _job_scenario(job_id)
    kind = JOB_KINDS[kind_name]
    with scenario_transaction(token, scenario_id, kind.permission) as use:
        if kind_name != "rota":
            raise ScenarioError(f"A {kind.label} cannot be stopped early; cancel it instead.")
        job = use.session.get(SolveJob, int(job_id))
        if job is None or job.status != "running":
            state = "finished" if job is None or job.status in FINISHED else "not started yet"
            advice = "" if state == "finished" else "; cancel it instead"
            raise ScenarioError(f"The rota build is {state}{advice}.")
        moved = use.session.execute(
            sa.update(SolveJob)
            .where(
                SolveJob.id == int(job_id),
                SolveJob.status == "running",
                col(SolveJob.stop_requested_by).is_(None),
            )
            .values(stop_requested_by=use.principal.display_name[:255])
        )
        if moved.rowcount:
            audit(
                use.session,
                use.principal,
                use.scenario,
                "rota.stop_early",
                "Asked a rota build to stop now and keep its best rota",
                entity="solve_job",
                entity_id=int(job_id),
            )
        use.session.flush()
        use.session.refresh(job)
        return _view(job, with_result=False)


def job_view(token: str | None, job_id: int, *, with_result: bool = False) -> JobView:
    """A job of a scenario the caller may view (its result only when asked for)."""
    fail_lost_jobs()
    scenario_id, _ = _job_scenario(job_id)
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.get(SolveJob, int(job_id))
        return _view(job, with_result=with_result, session=use.session)


def latest_job(token: str | None, scenario_id: int, kind: str) -> JobView | None:
    """The scenario's newest job of this kind, for a member who may view it."""
    _kind(kind)
    fail_lost_jobs()
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.exec(
            select(SolveJob)
            .where(SolveJob.scenario_id == use.scenario.id, SolveJob.kind == kind)
            .order_by(SolveJob.id.desc())
        ).first()
        return _view(job, session=use.session) if job else None


MAX_LISTED_JOBS = 200
"""Most jobs `list_jobs` returns at once."""


def list_jobs(
    token: str | None,
    *,
    scenario_id: int | None = None,
    active_only: bool = False,
    limit: int = 50,
) -> list[JobView]:
    """The newest jobs of the scenarios the caller may view (one scenario's if given).

    Raises:
        NotSignedInError: no valid session.
        NotFoundError: `scenario_id` is not a scenario the caller may view.
        InvalidInputError: `limit` is not 1 to `MAX_LISTED_JOBS`.
    """
    if not 1 <= int(limit) <= MAX_LISTED_JOBS:
        raise InvalidInputError(f"limit must be 1 to {MAX_LISTED_JOBS}.")
    fail_lost_jobs()
    if scenario_id is not None:
        with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
            return _listed(
                use.session, [use.scenario.collaborative_id], scenario_id, active_only, limit
            )
    with signed_in_transaction(token) as (session, principal):
        viewable = [c for c in principal.roles if principal.can(Permission.VIEW, c)]
        return _listed(session, viewable, None, active_only, limit)


def _listed(
    session: Session,
    collaborative_ids: list[int],
    scenario_id: int | None,
    active_only: bool,
    limit: int,
) -> list[JobView]:
    query = (
        select(SolveJob)
        .join(Scenario, col(Scenario.id) == SolveJob.scenario_id)
        .where(col(Scenario.collaborative_id).in_(collaborative_ids))
        .where(col(SolveJob.kind).in_(list(JOB_KINDS)))
        .order_by(col(SolveJob.id).desc())
        .limit(int(limit))
    )
    if scenario_id is not None:
        query = query.where(SolveJob.scenario_id == int(scenario_id))
    if active_only:
        query = query.where(col(SolveJob.status).in_(ACTIVE))
    return [_view(job, with_result=False, session=session) for job in session.exec(query)]


def latest_result(session: Session, scenario_id: int, kind: str) -> dict[str, Any] | None:
    """The newest finished result of this kind, inside a use case that has checked the caller."""
    job = session.exec(
        select(SolveJob)
        .where(
            SolveJob.scenario_id == scenario_id,
            SolveJob.kind == kind,
            SolveJob.status == "done",
        )
        .order_by(SolveJob.id.desc())
    ).first()
    return json.loads(job.result) if job is not None and job.result else None


def copy_latest_result(
    session: Session, principal_email: str, source_id: int, target_id: int, kind: str
) -> int | None:
    """Copies the source scenario's newest finished result of `kind` to the target as a done job.

    For use inside a use case that has checked the caller on both scenarios. Returns the new
    job's id, or None when the source has no finished result.
    """
    job = session.exec(
        select(SolveJob)
        .where(
            SolveJob.scenario_id == source_id,
            SolveJob.kind == kind,
            SolveJob.status == "done",
        )
        .order_by(SolveJob.id.desc())
    ).first()
    if job is None:
        return None
    now = utc_now()
    copy = SolveJob(
        scenario_id=target_id,
        kind=kind,
        status="done",
        progress=100,
        message=f"Plan copied from run {job.id}",
        requested_by=principal_email,
        parameters=job.parameters,
        result=job.result,
        started_at=now,
        finished_at=now,
        heartbeat_at=now,
    )
    session.add(copy)
    session.flush()
    return copy.id


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
        return _final(job.id)
    except Exception:
        reference = f"job-{job.id}"
        logger.exception("Job %s failed", reference)
        _finish(
            job.id,
            "failed",
            message=f"The run failed on the server (reference {reference}); start it again.",
        )
        return _final(job.id)
    if outcome is None:  # cancelled while it ran
        return _final(job.id)
    message = spec.done_message(outcome)
    stopper = _stop_requested_by(job.id)
    if stopper:
        message += f"; stopped by {stopper}"
    _finish(job.id, "done", message=message, result=outcome)
    return _final(job.id)


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


def _final(job_id: int) -> JobView:
    with unit_of_work() as session:
        return _view(session.get(SolveJob, job_id), with_result=False)


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
