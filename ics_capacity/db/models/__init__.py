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

from sqlmodel import SQLModel

from ics_capacity.db import audit_chain as _audit_chain  # noqa: F401 - registers the listener
from ics_capacity.db.models.accounts import (
    AuthSession,
    Membership,
    Role,
    SignInThrottle,
    SsoDomainRule,
    UserAccount,
)
from ics_capacity.db.models.base import (
    WAIT_BAND_MAX,
    Audited,
    OrganisationKind,
    ScenarioStatus,
    utc_now,
)
from ics_capacity.db.models.capacity import (
    BedCapacity,
    CaseMix,
    HubStandardSetting,
    IndependentSectorPrice,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    TrustBeds,
    ValidationSetting,
    Workforce,
)
from ics_capacity.db.models.demand import (
    FigureProvenance,
    ImportBatch,
    ProvenanceKind,
    RttActivity,
    SystemFlow,
    WaitingList,
)
from ics_capacity.db.models.records import (
    AuditEvent,
    CalendarChangeRow,
    ProjectionView,
    RecordedBaseline,
    ScenarioComment,
    SolveJob,
)
from ics_capacity.db.models.reference import (
    Collaborative,
    CollaborativeMember,
    Organisation,
    Scenario,
    TreatmentFunction,
)
from ics_capacity.db.models.rota import (
    PublishedRota,
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
)

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

__all__ = [
    "AuditEvent",
    "Audited",
    "AuthSession",
    "BedCapacity",
    "CalendarChangeRow",
    "CaseMix",
    "Collaborative",
    "CollaborativeMember",
    "FigureProvenance",
    "HubStandardSetting",
    "ImportBatch",
    "IndependentSectorPrice",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "ProjectionView",
    "ProvenanceKind",
    "PublishedRota",
    "RecordedBaseline",
    "Role",
    "RotaLeave",
    "RotaLock",
    "RotaRequest",
    "RotaStaff",
    "RttActivity",
    "Scenario",
    "ScenarioComment",
    "ScenarioStatus",
    "SignInThrottle",
    "Site",
    "SiteTreatmentFunction",
    "SolveJob",
    "SsoDomainRule",
    "SystemFlow",
    "TheatreCapacity",
    "TreatmentFunction",
    "TrustBeds",
    "UserAccount",
    "ValidationSetting",
    "WAIT_BAND_MAX",
    "WaitingList",
    "Workforce",
    "VERSIONED_TABLES",
    "utc_now",
]
