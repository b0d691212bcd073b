"""Capacity, per scenario.

Sites, theatres, beds, hub standards, levers (validation, independent sector prices), trust beds,
workforce and case mix.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    Audited,
    _decimal,
    _non_negative,
    _rate,
    _within,
)

# --- Capacity, per scenario ------------------------------------------------------------------


class Site(Audited, table=True):
    """A hospital site or elective hub, run by one trust."""

    __tablename__ = "site"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "code"),
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="lat"),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="lon"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    operator_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    is_elective_hub: bool = Field(default=False)
    # Theatre lists on England's bank holidays: off unless the hub opts in (docs/rota.md).
    bank_holiday_lists: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    postcode: str | None = Field(default=None, max_length=10)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    source: str = Field(default="", max_length=2000)


class SiteTreatmentFunction(SQLModel, table=True):
    """A treatment function a site can treat."""

    __tablename__ = "site_treatment_function"

    site_id: int = Field(foreign_key="site.id", primary_key=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", primary_key=True, max_length=6)


class TheatreCapacity(Audited, table=True):
    """Elective theatres at a site, and how many sessions of how many minutes each runs a week.

    Usable theatre minutes a week = theatres x sessions_per_week x session_minutes x
    utilisation_target.
    """

    __tablename__ = "theatre_capacity"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "site_id"),
        *_non_negative("theatres", "sessions_per_week"),
        sa.CheckConstraint(
            "session_minutes > 0 AND session_minutes <= 720", name="session_minutes"
        ),
        *_rate("utilisation_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    theatres: int
    sessions_per_week: int
    session_minutes: int = 240
    utilisation_target: Decimal = _decimal(4, 3, default=Decimal("0.85"))


class BedCapacity(Audited, table=True):
    """Elective overnight beds and day-case places at a site."""

    __tablename__ = "bed_capacity"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "site_id"),
        *_non_negative("elective_overnight_beds", "day_case_places"),
        *_rate("occupancy_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    elective_overnight_beds: int
    day_case_places: int
    occupancy_target: Decimal = _decimal(4, 3, default=Decimal("0.92"))


class HubStandardSetting(Audited, table=True):
    """An elective hub's own figures against GIRFT's hub standards (domain/hub_standards.py).

    A hub without a row has the standards' defaults; the first edit writes the row. Sessions and
    utilisation are the site's theatre capacity, not repeated here; this row says which
    utilisation definition (capped or uncapped) that figure is.
    """

    __tablename__ = "hub_standard_setting"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "site_id"),
        sa.CheckConstraint(
            "operating_days_per_week >= 1 AND operating_days_per_week <= 7", name="operating_days"
        ),
        sa.CheckConstraint(
            "operating_weeks_per_year >= 1 AND operating_weeks_per_year <= 52",
            name="operating_weeks",
        ),
        sa.CheckConstraint(
            "utilisation_definition IN ('capped', 'uncapped')", name="utilisation_definition"
        ),
        *_rate("day_case_rate"),
        sa.CheckConstraint(
            "cataracts_per_list >= 0 AND cataracts_per_list <= 30", name="cataracts_per_list"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    operating_days_per_week: int = 6
    operating_weeks_per_year: int = 48
    utilisation_definition: str = Field(default="capped", max_length=10)
    day_case_rate: Decimal = _decimal(4, 3, default=Decimal("0.85"))
    cataracts_per_list: int = 10


class ValidationSetting(Audited, table=True):
    """A scenario's share of one treatment function's waiting list removed by validation a year.

    Validation (checking that patients still need treatment) removes patients without treating
    them; the projection uses this share instead of the observed removal rate for the treatment
    function, and keeps it apart from treatment in every figure (docs/projections.md). A
    treatment function without a row keeps the observed rate.
    """

    __tablename__ = "validation_setting"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "tfc"),
        _within("share_per_year", 0, 0.5),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    share_per_year: Decimal = _decimal(4, 3)


class IndependentSectorPrice(Audited, table=True):
    """A scenario's price per case of one treatment function bought from independent providers.

    The rebalancing model reports the spend on independent-sector cases from it (per provider and
    specialty); a treatment function without a row has no price, and its bought cases are
    reported as unpriced (docs/rebalance.md, "Independent sector bought at a price").
    """

    __tablename__ = "independent_sector_price"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "tfc"),
        _within("price_per_case", 0, 100000),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    price_per_case: Decimal = _decimal(9, 2)


class TrustBeds(Audited, table=True):
    """A trust's average general and acute beds, available and occupied, from KH03."""

    __tablename__ = "trust_beds"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "organisation_id"),
        *_non_negative("ga_beds_available", "ga_beds_occupied"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    period: str = Field(max_length=12)
    ga_beds_available: Decimal = _decimal(9, 1)
    ga_beds_occupied: Decimal = _decimal(9, 1)


class Workforce(Audited, table=True):
    """Staff in post at a trust by staff group: headcount and full-time equivalent."""

    __tablename__ = "workforce"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "organisation_id", "staff_group"),
        *_non_negative("headcount", "fte"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="RESTRICT")
    staff_group: str = Field(max_length=100)
    period: str = Field(max_length=30)
    headcount: int
    fte: Decimal = _decimal(10, 2)


class CaseMix(Audited, table=True):
    """What a case of one treatment function needs: theatre minutes, stay, day-case rate."""

    __tablename__ = "case_mix"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "tfc"),
        *_non_negative("minutes_per_case", "length_of_stay_days"),
        *_rate("day_case_rate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    minutes_per_case: int
    length_of_stay_days: Decimal = _decimal(5, 2)
    day_case_rate: Decimal = _decimal(4, 3)
    source: str = Field(default="", max_length=2000)
