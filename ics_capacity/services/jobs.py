"""Background optimisation runs: queued, running, done, failed or cancelled, kept in the database.

The page starts a job (after the permission check), a background event runs the solver in a worker
thread and records progress and the result here; any browser showing the scenario reads the job
record, so a reload, another user or another backend worker sees the same state.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import SolveJob, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.roles import Permission
from ics_capacity.services.auth import principal_for
from ics_capacity.services.scenarios import ScenarioError, audit, load_scenario

JOB_PERMISSIONS = {"rebalance": Permission.RUN_REBALANCE, "rota": Permission.RUN_ROTA}
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it."""

    id: int
    scenario_id: int
    kind: str
    status: str
    progress: int
    message: str
    requested_by: str
    parameters: dict[str, Any]
    result: dict[str, Any] | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _view(job: SolveJob) -> JobView:
    return JobView(
        id=job.id,
        scenario_id=job.scenario_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        requested_by=job.requested_by,
        parameters=json.loads(job.parameters or "{}"),
        result=json.loads(job.result) if job.result else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def start_job(token: str, scenario_id: int, kind: str, parameters: dict[str, Any]) -> int:
    """Queues a run for the scenario if the user may run it and none is already running.

    Returns:
        The job id.
    """
    permission = JOB_PERMISSIONS.get(kind)
    if permission is None:
        raise ScenarioError(f"'{kind}' is not an optimiser.")
    with unit_of_work() as session:
        principal = principal_for(session, token)
        scenario = load_scenario(session, principal, scenario_id, permission)
        running = session.exec(
            select(SolveJob).where(
                SolveJob.scenario_id == scenario_id,
                SolveJob.kind == kind,
                SolveJob.status.in_(ACTIVE),
            )
        ).first()
        if running is not None:
            raise ScenarioError(
                f"A {kind} run started by {running.requested_by} is still going for this "
                "scenario; wait for it or cancel it."
            )
        job = SolveJob(
            scenario_id=scenario_id,
            kind=kind,
            requested_by=principal.email,
            parameters=json.dumps(parameters),
            message="Waiting to start",
        )
        session.add(job)
        session.flush()
        audit(
            session,
            principal,
            scenario,
            f"{kind}.start",
            f"Started a {kind} run",
            entity="solve_job",
            entity_id=job.id,
            new=json.dumps(parameters),
        )
        session.commit()
        return job.id


def update_job(
    job_id: int,
    *,
    status: str | None = None,
    progress: int | None = None,
    message: str | None = None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Records progress or the outcome of a job (called by the worker, not by users).

    Returns:
        False if the job was cancelled meanwhile (the worker should stop).
    """
    with unit_of_work() as session:
        job = session.get(SolveJob, job_id)
        if job is None or job.status == "cancelled":
            return False
        if status is not None:
            job.status = status
            if status == "running" and job.started_at is None:
                job.started_at = utc_now()
            if status in ("done", "failed"):
                job.finished_at = utc_now()
        if progress is not None:
            job.progress = max(0, min(100, progress))
        if message is not None:
            job.message = message[:500]
        if result is not None:
            job.result = json.dumps(result)
        session.add(job)
        session.commit()
        return True


def cancel_job(token: str, job_id: int) -> None:
    """Cancels a queued or running job of a scenario the user may run jobs on."""
    with unit_of_work() as session:
        principal = principal_for(session, token)
        job = session.get(SolveJob, job_id)
        if job is None:
            raise ScenarioError("That run was not found.")
        load_scenario(session, principal, job.scenario_id, JOB_PERMISSIONS[job.kind])
        if job.status in ACTIVE:
            job.status, job.finished_at, job.message = (
                "cancelled",
                utc_now(),
                (f"Cancelled by {principal.email}"),
            )
            session.add(job)
            session.commit()


def latest_job(token: str, scenario_id: int, kind: str) -> JobView | None:
    """The scenario's newest job of this kind, for a member who may view it."""
    with unit_of_work() as session:
        principal = principal_for(session, token)
        load_scenario(session, principal, scenario_id, Permission.VIEW)
        job = session.exec(
            select(SolveJob)
            .where(SolveJob.scenario_id == scenario_id, SolveJob.kind == kind)
            .order_by(SolveJob.id.desc())
        ).first()
        return _view(job) if job else None


def latest_result(session: Session, scenario_id: int, kind: str) -> dict[str, Any] | None:
    """The result of the scenario's newest finished job of this kind (in the caller's session)."""
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


def job_parameters(job_id: int) -> dict[str, Any]:
    """The parameters a job was started with (for the worker)."""
    with unit_of_work() as session:
        job = session.get(SolveJob, job_id)
        return json.loads(job.parameters) if job else {}


def fail_stale_jobs(older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Marks jobs left running by a stopped server as failed; returns how many."""
    cutoff = utc_now() - older_than
    with unit_of_work() as session:
        result = session.execute(
            sa.update(SolveJob)
            .where(SolveJob.status.in_(ACTIVE), SolveJob.created_at < cutoff)
            .values(
                status="failed",
                finished_at=utc_now(),
                message="The server stopped before this run finished.",
            )
        )
        session.commit()
        return result.rowcount or 0
