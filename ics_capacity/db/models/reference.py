"""Reference data shared by all scenarios.

Collaboratives, organisations, treatment functions, and the scenarios themselves.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    Audited,
    OrganisationKind,
    ScenarioStatus,
)
from ics_capacity.db.utc import UTCDateTime

# --- Reference data, shared by all scenarios -------------------------------------------------


class Collaborative(Audited, table=True):
    """A provider collaborative: the trusts of one system planning together."""

    __tablename__ = "collaborative"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    icb_code: str = Field(max_length=5, index=True)
    # Set by the collaborative's administrator: every member signing in with a password must
    # use two-step verification.
    require_totp: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class Organisation(Audited, table=True):
    """An NHS trust or independent-sector provider, identified by its ODS code."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('nhs_trust', 'independent_sector')", name="kind_is_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(max_length=10, unique=True)
    name: str = Field(max_length=200)
    icb_code: str | None = Field(default=None, max_length=5, index=True)
    kind: str = Field(default=OrganisationKind.NHS_TRUST, max_length=20)
    postcode: str | None = Field(default=None, max_length=10)


class CollaborativeMember(SQLModel, table=True):
    """An organisation taking part in a collaborative."""

    __tablename__ = "collaborative_member"

    collaborative_id: int = Field(
        foreign_key="collaborative.id", primary_key=True, ondelete="CASCADE"
    )
    organisation_id: int = Field(
        foreign_key="organisation.id", primary_key=True, ondelete="RESTRICT"
    )


class TreatmentFunction(SQLModel, table=True):
    """An RTT treatment function (C_100 .. C_502, X02 .. X06)."""

    __tablename__ = "treatment_function"

    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=100)
    is_surgical: bool = Field(default=False)


class Scenario(Audited, table=True):
    """A named version of a collaborative's capacity and demand, with its approval status."""

    __tablename__ = "scenario"
    __table_args__ = (
        sa.UniqueConstraint("collaborative_id", "name"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected', 'archived')",
            name="status_is_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    owner: str = Field(default="system", max_length=255)
    parent_id: int | None = Field(default=None, foreign_key="scenario.id", ondelete="SET NULL")
    status: str = Field(default=ScenarioStatus.DRAFT, max_length=20)
    is_baseline: bool = Field(default=False)
    data_period: dt.date | None = Field(default=None)
    submitted_by: str | None = Field(default=None, max_length=255)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=255)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str = Field(default="", max_length=2000)
