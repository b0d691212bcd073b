"""The server operator's upkeep: verify the audit chain, and clean up what is kept only a while.

Both are command-line use cases (`ics-capacity audit verify`, `ics-capacity cleanup`), run as the
operator without a role check. Clean-up never touches the audit log: `audit_event` is append-only
(its triggers would refuse it anyway).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from ics_capacity.db.audit_chain import ChainReport, verify_chain
from ics_capacity.db.models import AuthSession, SolveJob, utc_now
from ics_capacity.db.session import engine_for, get_engine, unit_of_work
from ics_capacity.services.auth import idle_timeout
from ics_capacity.services.jobs import ACTIVE
from ics_capacity.services.uploads import sweep_uploads
from ics_capacity.settings import keep_jobs_days, keep_sessions_days, keep_uploads_hours


def verify_audit_chain_as_operator(url: str | None = None) -> ChainReport:
    """Walks the whole audit log and reports the first row whose link or hash is wrong."""
    engine = engine_for(url) if url else get_engine()
    with engine.connect() as connection:
        return verify_chain(connection)


@dataclass(frozen=True)
class CleanupReport:
    """What `cleanup_as_operator` deleted (or, in a dry run, would delete)."""

    sessions: int
    jobs: int
    uploads: int
    dry_run: bool

    def describe(self) -> str:
        """One line a person reads."""
        verb = "Would delete" if self.dry_run else "Deleted"
        return (
            f"{verb} {self.sessions} ended session(s), {self.jobs} finished optimiser run(s) "
            f"and {self.uploads} temporary upload(s); the audit log is never cleaned up."
        )


def cleanup_as_operator(*, dry_run: bool = False, now: dt.datetime | None = None) -> CleanupReport:
    """Applies the retention settings (see `ics_capacity.settings`).

    `ICS_KEEP_SESSIONS_DAYS`, `ICS_KEEP_JOBS_DAYS` and `ICS_KEEP_UPLOADS_HOURS` say how long:

    - Sign-in sessions that ended (signed out, expired or idle) more than the kept days ago.
    - Finished optimiser runs (done, failed, cancelled) that finished more than the kept days
      ago, except each scenario's newest successful run of each kind: its result is what the
      scenario's pages and downloads show.
    - Uploaded files waiting for import, older than the kept hours.
    """
    now = now or utc_now()
    sessions_before = now - dt.timedelta(days=keep_sessions_days())
    jobs_before = now - dt.timedelta(days=keep_jobs_days())
    ended = sa.or_(
        col(AuthSession.revoked_at) <= sessions_before,
        col(AuthSession.expires_at) <= sessions_before,
        col(AuthSession.last_seen_at) <= sessions_before - idle_timeout(),
    )
    newest_done = (
        select(sa.func.max(SolveJob.id))
        .where(SolveJob.status == "done")
        .group_by(col(SolveJob.scenario_id), col(SolveJob.kind))
    )
    old_jobs = sa.and_(
        col(SolveJob.status).not_in(ACTIVE),
        col(SolveJob.finished_at) <= jobs_before,
        col(SolveJob.id).not_in(newest_done),
    )
    with unit_of_work() as session:
        sessions = session.exec(select(sa.func.count()).select_from(AuthSession).where(ended)).one()
        jobs = session.exec(select(sa.func.count()).select_from(SolveJob).where(old_jobs)).one()
        if not dry_run:
            session.execute(sa.delete(AuthSession).where(ended))
            session.execute(sa.delete(SolveJob).where(old_jobs))
            session.commit()
    uploads = sweep_uploads(dt.timedelta(hours=keep_uploads_hours()), dry_run=dry_run)
    return CleanupReport(int(sessions), int(jobs), uploads, dry_run)
