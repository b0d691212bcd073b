"""The shared workforce rota: staff, leave, requests, locks and published rotas."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    Audited,
    _non_negative,
    _timestamp,
)
from ics_capacity.db.utc import UTCDateTime
from ics_capacity.domain.staff import Employment

# --- Shared workforce rota (issue 7) ----------------------------------------------------------


class RotaStaff(Audited, table=True):
    """A person who may be rostered onto the collaborative's hub sessions and wards.

    `sites` lists the site codes the person may work at (their home site and the sites their
    trust's passporting agreements allow); `skills` are extra skills beyond the role (for a
    surgeon, the treatment functions they operate in, e.g. C_110).
    """

    __tablename__ = "rota_staff"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "code"),
        sa.CheckConstraint(
            "role IN ('surgeon', 'anaesthetist', 'scrub_practitioner', 'odp', 'ward_nurse')",
            name="role_is_known",
        ),
        sa.CheckConstraint(
            "contract IN ('agenda_for_change', 'consultant_2003', 'resident_doctor_2016')",
            name="contract_is_known",
        ),
        sa.CheckConstraint("employment IN ('substantive', 'bank')", name="employment_is_known"),
        sa.CheckConstraint(
            "contracted_minutes_per_week > 0 AND contracted_minutes_per_week <= 4800",
            name="contracted_minutes",
        ),
        *_non_negative("hourly_cost_pence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=40)
    label: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    home_site_code: str = Field(max_length=20)
    staff_group: str = Field(max_length=100)
    role: str = Field(max_length=30)
    grade: str = Field(default="", max_length=60)
    contract: str = Field(max_length=30)
    employment: str = Field(default=Employment.SUBSTANTIVE, max_length=20)
    skills: str = Field(default="", max_length=500)
    sites: str = Field(default="", max_length=500)
    contracted_minutes_per_week: int
    hourly_cost_pence: int
    source: str = Field(default="", max_length=2000)


class RotaLeave(SQLModel, table=True):
    """Days a person cannot be rostered (annual or study leave, fixed days off), inclusive."""

    __tablename__ = "rota_leave"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint(
            "kind IN ('annual_leave', 'study_leave', 'fixed_day_off')", name="kind_is_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="rota_staff.id", index=True, ondelete="CASCADE")
    start_date: dt.date
    end_date: dt.date
    kind: str = Field(default="annual_leave", max_length=20)


class RotaRequest(Audited, table=True):
    """A wish to work (`on`) or not to work (`off`) a shift kind on a date, with its weight.

    `shift_kind` is "" for the whole day (`on`: any shift; `off`: a day off) or a kind of shift
    (AM, PM, DAY, LD, N); `note` says why, in the person's words, without patient details.
    """

    __tablename__ = "rota_request"
    __table_args__ = (
        sa.UniqueConstraint("staff_id", "on_date", "shift_kind"),
        sa.CheckConstraint("kind IN ('on', 'off')", name="kind_is_known"),
        sa.CheckConstraint("weight >= 1 AND weight <= 10", name="weight_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="rota_staff.id", index=True, ondelete="CASCADE")
    on_date: dt.date
    shift_kind: str = Field(default="", max_length=10)
    kind: str = Field(max_length=3)
    weight: int = Field(default=1)
    note: str = Field(default="", max_length=200)


class RotaLock(SQLModel, table=True):
    """A rota decision taken by hand: this person works `shift_code` that date, or is off ("")."""

    __tablename__ = "rota_lock"
    __table_args__ = (sa.UniqueConstraint("scenario_id", "staff_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    staff_id: int = Field(foreign_key="rota_staff.id", ondelete="CASCADE")
    on_date: dt.date
    shift_code: str = Field(default="", max_length=40)
    locked_by: str = Field(max_length=255)
    locked_at: dt.datetime = _timestamp()


class PublishedRota(SQLModel, table=True):
    """A rota a workforce lead published for a period: read-only, a snapshot of a build's result.

    One current publication per scenario and period (`superseded_at` is null); a newer one for the
    same period supersedes it, and the old one is kept as history. Nothing here is ever edited
    except `superseded_at` / `superseded_by_id`, set once (docs/rota.md, "Publishing").
    """

    __tablename__ = "published_rota"
    __table_args__ = (
        sa.Index(
            "uq_published_rota_current",
            "scenario_id",
            "first_date",
            "last_date",
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    first_date: dt.date
    last_date: dt.date
    job_id: int | None = Field(default=None, foreign_key="solve_job.id", ondelete="SET NULL")
    published_by: str = Field(max_length=255)
    published_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    published_at: dt.datetime = _timestamp()
    superseded_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_by_id: int | None = Field(default=None)
    outcome: str = Field(sa_type=sa.Text)
