"""What every table shares.

The constraint naming convention, UTC timestamps, the audit and optimistic-locking columns
(`Audited`), the status enums, and check-constraint helpers.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from ics_capacity.db.utc import UTCDateTime

# Constraint names are predictable, so that migrations can drop and alter them on any backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WAIT_BAND_MAX = 104


def utc_now() -> dt.datetime:
    """The current time, UTC-aware."""
    return dt.datetime.now(dt.UTC)


def _timestamp(**kwargs: Any) -> Any:
    return Field(
        default_factory=utc_now,
        sa_type=UTCDateTime,
        nullable=False,
        **kwargs,
    )


class ScenarioStatus(StrEnum):
    """Where a scenario is in its approval workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class OrganisationKind(StrEnum):
    """What kind of provider an organisation is."""

    NHS_TRUST = "nhs_trust"
    INDEPENDENT_SECTOR = "independent_sector"


class Audited(SQLModel):
    """Audit columns and the optimistic-locking version shared by every editable table."""

    created_at: dt.datetime = _timestamp()
    updated_at: dt.datetime = _timestamp(sa_column_kwargs={"onupdate": utc_now})
    updated_by: str = Field(default="system", max_length=255)
    version: int = Field(default=1, nullable=False)
    # Set by SQLAlchemy on every table subclass (`table=True`); declared here for type checkers.
    __table__: ClassVar[sa.Table]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        """Turns on SQLAlchemy optimistic locking on the `version` column of each table."""
        return {"version_id_col": cls.__table__.c.version}


def _non_negative(*columns: str) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative") for c in columns]


def _rate(*columns: str) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(f"{c} >= 0 AND {c} <= 1", name=f"{c}_is_rate") for c in columns]


def _within(column: str, low: float, high: float) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} >= {low} AND {column} <= {high}", name=f"{column}_range")


def _decimal(max_digits: int, decimal_places: int, **kwargs: Any) -> Any:
    """A NUMERIC(max_digits, decimal_places) column, checked to the same digits before writing."""
    return Field(
        sa_type=sa.Numeric(max_digits, decimal_places),
        max_digits=max_digits,
        decimal_places=decimal_places,
        **kwargs,
    )
