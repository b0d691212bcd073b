"""What a scenario accumulates.

Calendar changes, recorded baselines, comments, the audit trail and solve jobs.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    _timestamp,
)
from ics_capacity.db.utc import UTCDateTime


class CalendarChangeRow(SQLModel, table=True):
    """One line of a scenario's calendar: a week range and a change (domain.weekly_calendar).

    `site_code` names the site a capacity change applies to (NULL: every site); codes rather
    than site ids, so a branched scenario's calendar still applies to its own copies of the sites.
    """

    __tablename__ = "scenario_calendar_change"
    __table_args__ = (
        sa.CheckConstraint("first_week >= 1 AND first_week <= 104", name="first_week"),
        sa.CheckConstraint("last_week >= first_week AND last_week <= 104", name="last_week"),
        sa.CheckConstraint("target IN ('capacity', 'demand')", name="target_is_known"),
        sa.CheckConstraint(
            "kind IN ('closed', 'percent', 'opens', 'growth')", name="kind_is_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    first_week: int
    last_week: int
    target: str = Field(max_length=10)
    kind: str = Field(max_length=10)
    value: float = Field(default=0.0)
    site_code: str | None = Field(default=None, max_length=20)
    note: str = Field(default="", max_length=200)
    created_by: str = Field(default="system", max_length=255)
    created_at: dt.datetime = _timestamp()


class RecordedBaseline(SQLModel, table=True):
    """One trust's projected figures in one week, recorded when a scenario was approved.

    Written once, in the transaction that approves the scenario (or, for the published baseline,
    the first time a page asks for a recorded baseline: services/recorded_baseline.py), and never
    changed: triggers refuse UPDATE (migration 0014). Every trust of the collaborative has one row
    per week 0..104 of the projection the Dashboard shows, so a page can read the week it needs.
    `approved_at` and `scenario_id` identify the recording; `method` names the projection method.
    `treated_to_week` and `removed_by_validation_to_week` count the patients treated and removed by
    validation in weeks 1 to `week`, kept apart (migration 0021); recordings made before they
    existed hold NULL there, and pages then say the baseline did not record them.
    """

    __tablename__ = "recorded_baseline"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "approved_at", "ods_code", "week"),
        sa.CheckConstraint("week >= 0 AND week <= 104", name="week_in_range"),
        sa.CheckConstraint(
            "within_18_weeks_share >= 0 AND within_18_weeks_share <= 1", name="share_is_rate"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    scenario_name: str = Field(max_length=120)
    approved_at: dt.datetime = Field(sa_type=UTCDateTime)
    approved_by: str = Field(max_length=255)
    recorded_at: dt.datetime = _timestamp()
    method: str = Field(max_length=60)
    ods_code: str = Field(max_length=10)
    trust_name: str = Field(max_length=200)
    week: int
    at_date: dt.date | None = Field(default=None)
    waiting_list: float
    within_18_weeks_share: float
    over_52_weeks: float
    over_65_weeks: float
    over_78_weeks: float
    treated_to_week: float | None = Field(default=None)
    removed_by_validation_to_week: float | None = Field(default=None)


class ScenarioComment(SQLModel, table=True):
    """A comment on a scenario."""

    __tablename__ = "scenario_comment"

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    author: str = Field(max_length=255)
    body: str = Field(max_length=4000)
    created_at: dt.datetime = _timestamp()


class AuditEvent(SQLModel, table=True):
    """One recorded change: who changed what, when, with the old and new values.

    Append-only: triggers refuse UPDATE and DELETE, and each row is linked to the previous one by
    a SHA-256 hash chain (`ics_capacity.db.audit_chain`; `ics-capacity audit verify`).
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _timestamp(index=True)
    user_email: str = Field(max_length=255, index=True)
    collaborative_id: int | None = Field(
        default=None, foreign_key="collaborative.id", index=True, ondelete="SET NULL"
    )
    scenario_id: int | None = Field(default=None, foreign_key="scenario.id", ondelete="SET NULL")
    action: str = Field(max_length=40, index=True)
    entity: str = Field(max_length=40)
    entity_id: str = Field(default="", max_length=40)
    field: str = Field(default="", max_length=60)
    old_value: str = Field(default="", max_length=2000)
    new_value: str = Field(default="", max_length=2000)
    summary: str = Field(default="", max_length=500)
    # The hash chain (db/audit_chain.py): set when the row is flushed, never by a caller.
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)


class SolveJob(SQLModel, table=True):
    """A background optimisation run: the record is the truth, the page is its view."""

    __tablename__ = "solve_job"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
            name="status_is_known",
        ),
        sa.CheckConstraint("kind IN ('rebalance', 'rota')", name="kind_is_known"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_is_percent"),
        # At most one active run of a kind per scenario, even for two requests at one moment.
        sa.Index(
            "uq_solve_job_one_active",
            "scenario_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    status: str = Field(default="queued", max_length=20)
    progress: int = Field(default=0)
    message: str = Field(default="", max_length=500)
    requested_by: str = Field(max_length=255)
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    parameters: str = Field(default="{}", sa_type=sa.Text)
    result: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = _timestamp()
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    runner: str = Field(default="", max_length=300)
    # "Good enough, stop now": who asked the run to stop early and keep its best result so far.
    stop_requested_by: str | None = Field(default=None, max_length=255)


class ProjectionView(SQLModel, table=True):
    """A Dashboard view or a page's answer, computed by a solver worker for the web processes.

    The row is both the request and its answer: a web process adds it `queued` under the hash of
    the view's content key (`services/dashboard.py`), a worker claims it (`running`), computes
    the projection and writes `payload` (JSON) with `done`, or `message` with `failed`, then each
    member trust's charts (`trust_charts`, a Dashboard view only). Not a user's record: old rows
    are pruned.
    """

    __tablename__ = "projection_view"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name="status_is_known"
        ),
        sa.CheckConstraint(
            "kind IN ('dashboard', 'impact', 'capacity', 'targets', 'board_pack')",
            name="kind_is_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    horizon_weeks: int
    # What is asked: the Dashboard's view, or one answer a page asks of a scenario (the scenario
    # page's impact, the capacity question, a member's own target, the board pack), with its
    # checked `params`.
    kind: str = Field(
        default="dashboard", max_length=20, sa_column_kwargs={"server_default": "dashboard"}
    )
    params: str | None = Field(default=None, sa_type=sa.Text)
    status: str = Field(default="queued", max_length=20)
    message: str = Field(default="", max_length=500)
    payload: str | None = Field(default=None, sa_type=sa.Text)
    # Each member trust's charts, written after `payload` so the page shows the collaborative first.
    trust_charts: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = _timestamp()
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
