"""Demand, per scenario.

Waiting lists, RTT activity, system flows, import batches and the provenance of each figure.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    WAIT_BAND_MAX,
    _non_negative,
    _timestamp,
)

# --- Demand, per scenario --------------------------------------------------------------------


class WaitingList(SQLModel, table=True):
    """Patients waiting (RTT incomplete pathways) by provider, treatment function and week band.

    `wait_band_weeks` = n holds those waiting more than n and up to n + 1 weeks; 104 holds all over
    104 weeks. `part` is Part_2 (all incomplete pathways) or Part_2A (with a decision to admit).
    """

    __tablename__ = "waiting_list"
    __table_args__ = (
        sa.PrimaryKeyConstraint("scenario_id", "organisation_id", "tfc", "part", "wait_band_weeks"),
        sa.CheckConstraint("part IN ('Part_2', 'Part_2A')", name="part_is_incomplete"),
        sa.CheckConstraint(
            f"wait_band_weeks >= 0 AND wait_band_weeks <= {WAIT_BAND_MAX}", name="band_in_range"
        ),
        *_non_negative("patients"),
    )

    scenario_id: int = Field(foreign_key="scenario.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    part: str = Field(max_length=8)
    wait_band_weeks: int = Field(sa_type=sa.SmallInteger)
    patients: int


class RttActivity(SQLModel, table=True):
    """One month's RTT flows and totals for a provider and treatment function.

    Counts are for the calendar month `period` (first day of the month); weekly rates are
    count x 7 / days in the month.
    """

    __tablename__ = "rtt_activity"
    __table_args__ = (
        sa.PrimaryKeyConstraint("scenario_id", "organisation_id", "tfc", "period"),
        *_non_negative(
            "new_clock_starts",
            "completed_admitted",
            "completed_non_admitted",
            "waiting_total",
            "waiting_unknown_clock_start",
            "waiting_admitted_total",
        ),
    )

    scenario_id: int = Field(foreign_key="scenario.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    period: dt.date
    new_clock_starts: int = 0
    completed_admitted: int = 0
    completed_non_admitted: int = 0
    waiting_total: int = 0
    waiting_unknown_clock_start: int = 0
    waiting_admitted_total: int = 0


class SystemFlow(SQLModel, table=True):
    """One month's RTT flows of a whole system (ICB): the monthly flow series format."""

    __tablename__ = "system_flow"
    __table_args__ = (
        sa.PrimaryKeyConstraint("scenario_id", "icb_code", "period"),
        *_non_negative("new_clock_starts", "completed", "waiting_total"),
    )

    scenario_id: int = Field(foreign_key="scenario.id", ondelete="CASCADE")
    icb_code: str = Field(max_length=10)
    period: dt.date
    new_clock_starts: int
    completed: int
    waiting_total: int


class ImportBatch(SQLModel, table=True):
    """One file loaded into a scenario; its hash makes re-importing the same file a no-op."""

    __tablename__ = "import_batch"
    __table_args__ = (sa.UniqueConstraint("scenario_id", "kind", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    file_name: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    rows_written: int = 0
    imported_at: dt.datetime = _timestamp()
    imported_by: str = Field(default="system", max_length=255)


class ProvenanceKind(StrEnum):
    """Where a figure of a scenario's capacity model came from."""

    PUBLISHED = "published"  # read from an NHS England / NHS Digital file
    ESTIMATED = "estimated"  # derived from published data by a cited rule
    LOCAL = "local"  # entered on a page or uploaded in a template by the collaborative


class FigureProvenance(SQLModel, table=True):
    """Where one figure of a scenario came from: published, estimated (with its rule) or local.

    `entity` names the table the figure lives in (site, theatre_capacity, bed_capacity,
    case_mix, trust_beds), `entity_key` the row by its domain code (site code, treatment
    function, ODS code), `field` the column.
    """

    __tablename__ = "figure_provenance"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "entity", "entity_key", "field"),
        sa.CheckConstraint("kind IN ('published', 'estimated', 'local')", name="kind_is_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    entity: str = Field(max_length=40)
    entity_key: str = Field(max_length=20)
    field: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    rule: str = Field(default="", max_length=2000)
    recorded_at: dt.datetime = _timestamp()
    recorded_by: str = Field(default="system", max_length=255)
