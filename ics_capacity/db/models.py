"""Database tables of ics-capacity.

Every capacity and demand row belongs to a scenario, so that a collaborative can branch, compare and
approve plans without copying the reference tables (organisations, treatment functions). Rules that
must always hold (non-negative counts, rates between 0 and 1, unique codes, foreign keys) are
database constraints, not only Python checks.

Editable rows carry `version` (SQLAlchemy `version_id_col`): an UPDATE whose version is stale
matches no row and raises `StaleDataError`, which the services layer turns into a message naming
who changed the row and when.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from ics_capacity.db import audit_chain as _audit_chain  # noqa: F401 - registers the listener
from ics_capacity.db.utc import UTCDateTime
from ics_capacity.domain.staff import Employment

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
    utilisation_target: Decimal = Field(
        default=Decimal("0.85"), sa_type=sa.Numeric(4, 3), max_digits=4, decimal_places=3
    )


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
    occupancy_target: Decimal = Field(
        default=Decimal("0.92"), sa_type=sa.Numeric(4, 3), max_digits=4, decimal_places=3
    )


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
    day_case_rate: Decimal = Field(
        default=Decimal("0.85"), sa_type=sa.Numeric(4, 3), max_digits=4, decimal_places=3
    )
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
        sa.CheckConstraint(
            "share_per_year >= 0 AND share_per_year <= 0.5", name="share_per_year_range"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    share_per_year: Decimal = Field(sa_type=sa.Numeric(4, 3), max_digits=4, decimal_places=3)


class IndependentSectorPrice(Audited, table=True):
    """A scenario's price per case of one treatment function bought from independent providers.

    The rebalancing model reports the spend on independent-sector cases from it (per provider and
    specialty); a treatment function without a row has no price, and its bought cases are
    reported as unpriced (docs/rebalance.md, "Independent sector bought at a price").
    """

    __tablename__ = "independent_sector_price"
    __table_args__ = (
        sa.UniqueConstraint("scenario_id", "tfc"),
        sa.CheckConstraint(
            "price_per_case >= 0 AND price_per_case <= 100000", name="price_per_case_range"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True, ondelete="CASCADE")
    tfc: str = Field(foreign_key="treatment_function.code", max_length=6)
    price_per_case: Decimal = Field(sa_type=sa.Numeric(9, 2), max_digits=9, decimal_places=2)


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
    ga_beds_available: Decimal = Field(sa_type=sa.Numeric(9, 1), max_digits=9, decimal_places=1)
    ga_beds_occupied: Decimal = Field(sa_type=sa.Numeric(9, 1), max_digits=9, decimal_places=1)


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
    fte: Decimal = Field(sa_type=sa.Numeric(10, 2), max_digits=10, decimal_places=2)


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
    length_of_stay_days: Decimal = Field(sa_type=sa.Numeric(5, 2), max_digits=5, decimal_places=2)
    day_case_rate: Decimal = Field(sa_type=sa.Numeric(4, 3), max_digits=4, decimal_places=3)
    source: str = Field(default="", max_length=2000)


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


# --- Accounts, roles, collaboration ----------------------------------------------------------


class Role(StrEnum):
    """What a user may do in one collaborative."""

    ADMIN = "admin"
    MANAGER = "manager"
    WORKFORCE_LEAD = "workforce_lead"
    EXECUTIVE = "executive"
    VIEWER = "viewer"


class UserAccount(Audited, table=True):
    """A person who signs in with an email address and a password (argon2id hash)."""

    __tablename__ = "user_account"
    __table_args__ = (sa.UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    display_name: str = Field(max_length=200)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ondelete="SET NULL"
    )
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Set by an administrator's or the operator's reset: the next sign-in leads to a change of
    # password before anything else.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    password_changed_at: dt.datetime = _timestamp()
    # Two-step verification (TOTP, RFC 6238): the base32 secret once the user starts setting it
    # up, `totp_enabled` once they have proved their app shows the right codes, and the last
    # 30-second step whose code was accepted (a code works once).
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    totp_last_step: int | None = Field(default=None)
    # Single sign-on: the OpenID provider and its subject (`sub`) this account is bound to at its
    # first sign-in there. Later sign-ins must present the same subject, so an email address that
    # the provider reassigns to someone else does not open this account.
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255)


class SsoDomainRule(Audited, table=True):
    """An administrator's rule: people of this email domain join the collaborative with this role.

    Applied at a person's first single sign-on, when no account has their email yet; an account
    an administrator added by email is used as it is.
    """

    __tablename__ = "sso_domain_rule"
    __table_args__ = (
        sa.UniqueConstraint("collaborative_id", "domain"),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'workforce_lead', 'executive', 'viewer')",
            name="role_is_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    domain: str = Field(max_length=253)
    role: str = Field(max_length=20)


class Membership(SQLModel, table=True):
    """A user's role in a collaborative; users see only the collaboratives they belong to."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'workforce_lead', 'executive', 'viewer')",
            name="role_is_known",
        ),
    )

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    collaborative_id: int = Field(
        foreign_key="collaborative.id", primary_key=True, ondelete="CASCADE"
    )
    role: str = Field(max_length=20)


class AuthSession(SQLModel, table=True):
    """A signed-in browser: only the SHA-256 of its random token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = _timestamp()
    last_seen_at: dt.datetime = _timestamp()
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Shown to the user in "Your sessions", so they can tell their browsers apart.
    client_address: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    user_agent: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # The SHA-256 of the one-time code with which the browser collects its HttpOnly cookie
    # (`auth.hand_off`), and when that code stops working.
    handoff_sha256: str | None = Field(default=None, max_length=64, unique=True)
    handoff_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account and per client address, shared by every worker.

    `key` is `account:<SHA-256 of the email>` (whether or not the account exists, so throttling
    reveals nothing) or `address:<client address>`. After `auth.THROTTLE_FREE_FAILURES` failures
    each further attempt must wait until `blocked_until`, doubling up to `auth.THROTTLE_MAX_WAIT`.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (*_non_negative("failures"),)

    key: str = Field(primary_key=True, max_length=100)
    failures: int = Field(default=0)
    last_failure_at: dt.datetime = _timestamp(index=True)
    blocked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


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


VERSIONED_TABLES: tuple[type[SQLModel], ...] = (
    Collaborative,
    Organisation,
    Scenario,
    Site,
    TheatreCapacity,
    BedCapacity,
    TrustBeds,
    Workforce,
    CaseMix,
    UserAccount,
    RotaStaff,
)
