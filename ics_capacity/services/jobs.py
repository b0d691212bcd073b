"""Optimisation runs as jobs: the one way a solve is started, run, watched and cancelled.

A page (or any client) can only *ask*: `start_job(token, scenario_id, kind, parameters)` checks the
caller's right to run that kind on that scenario, validates and bounds the parameters, records the
requester and queues the job. Everything the run needs is then read from the job row, never from
client state: `run_job(job_id)` claims the job atomically (queued -> running, refusing any other
state), reads the scenario into the solver's typed input, runs the pure solver in a child process
(`services/solve_process.py`) and writes the result in one transaction (`services/job_running.py`).
What a job is, its kinds and its view are in `services/job_kinds.py`; this module holds the use
cases, each of which checks the caller.

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

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import Scenario, SolveJob, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.auth import signed_in_transaction
from ics_capacity.services.job_kinds import (
    ACTIVE,
    FINISHED,
    HEARTBEAT_SECONDS,
    HEARTBEAT_TIMEOUT,
    JOB_KINDS,
    QUEUE_RUNNER,
    QUEUE_WAIT_TIMEOUT,
    JobKind,
    JobStateError,
    JobView,
    RebalanceJobParameters,
    RotaJobParameters,
    _validated,
    kind_of,
    view_of,
)
from ics_capacity.services.job_running import (
    LocalJobRunner,
    dispatch,
    fail_lost_jobs,
    mark_queued_on_broker,
    queued_jobs_to_take,
    queued_jobs_waiting,
    read_job,
    recover_jobs_at_startup,
    run_job,
    runner_name,
    set_dispatcher,
)
from ics_capacity.services.readiness import require_ready
from ics_capacity.services.scenarios import (
    NotFoundError,
    ScenarioError,
    audit,
    scenario_transaction,
)
from ics_capacity.services.security_log import security_event

__all__ = [
    "ACTIVE",
    "FINISHED",
    "HEARTBEAT_SECONDS",
    "HEARTBEAT_TIMEOUT",
    "JOB_KINDS",
    "QUEUE_RUNNER",
    "QUEUE_WAIT_TIMEOUT",
    "JobKind",
    "JobStateError",
    "JobView",
    "LocalJobRunner",
    "RebalanceJobParameters",
    "RotaJobParameters",
    "cancel_job",
    "copy_latest_result",
    "dispatch",
    "fail_lost_jobs",
    "job_view",
    "kind_of",
    "latest_job",
    "latest_result",
    "list_jobs",
    "mark_queued_on_broker",
    "queued_jobs_to_take",
    "queued_jobs_waiting",
    "read_job",
    "recover_jobs_at_startup",
    "run_job",
    "runner_name",
    "set_dispatcher",
    "start_job",
    "stop_job_early",
    "view_of",
]


# --- Use cases (each checks the caller) ---------------------------------------------------------


def start_job(token: str | None, scenario_id: int, kind: str, parameters: dict[str, Any]) -> int:
    """Queues a run if the caller may run `kind` on the scenario and none is already active.

    Returns:
        The job id. The job is handed to the configured runner once the row is committed.

    Raises:
        InvalidInputError: unknown kind, or parameters out of bounds (each field named).
        ScenarioError: the caller may not run it, or a run of this kind is already active.
    """
    spec = kind_of(kind)
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
        return view_of(use.session.get(SolveJob, int(job_id)), with_result=False)


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
        return view_of(job, with_result=False)


def job_view(token: str | None, job_id: int, *, with_result: bool = False) -> JobView:
    """A job of a scenario the caller may view (its result only when asked for)."""
    fail_lost_jobs()
    scenario_id, _ = _job_scenario(job_id)
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.get(SolveJob, int(job_id))
        return view_of(job, with_result=with_result, session=use.session)


def latest_job(token: str | None, scenario_id: int, kind: str) -> JobView | None:
    """The scenario's newest job of this kind, for a member who may view it."""
    kind_of(kind)
    fail_lost_jobs()
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.exec(
            select(SolveJob)
            .where(SolveJob.scenario_id == use.scenario.id, SolveJob.kind == kind)
            .order_by(SolveJob.id.desc())
        ).first()
        return view_of(job, session=use.session) if job else None


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
    return [view_of(job, with_result=False, session=session) for job in session.exec(query)]


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
