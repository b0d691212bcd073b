"""The audit log: browse and filter recorded changes, and export them as CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ics_capacity.db.models import AuditEvent, Scenario
from ics_capacity.domain.roles import Permission
from ics_capacity.services.scenarios import audit_download, collaborative_transaction
from ics_capacity.services.spreadsheets import csv_rows

PAGE_SIZE = 200
CSV_COLUMNS = [
    "at",
    "user",
    "action",
    "scenario",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "summary",
]


@dataclass(frozen=True)
class AuditFilter:
    """What to show: all filters optional."""

    collaborative_id: int
    user: str = ""
    action: str = ""
    scenario_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One change as the audit page shows it."""

    at: dt.datetime
    user: str
    action: str
    scenario: str
    entity: str
    entity_id: str
    field: str
    old_value: str
    new_value: str
    summary: str


def audit_events(
    token: str, criteria: AuditFilter, limit: int | None = PAGE_SIZE
) -> list[AuditRow]:
    """The collaborative's recorded changes matching the filter, newest first."""
    with collaborative_transaction(token, criteria.collaborative_id, Permission.VIEW_AUDIT) as (
        session,
        _,
    ):
        return _events(session, criteria, limit)


def _events(session: Session, criteria: AuditFilter, limit: int | None) -> list[AuditRow]:
    """The matching rows, inside a use case that has checked the caller."""
    query = (
        select(AuditEvent, Scenario.name)
        .outerjoin(Scenario, col(Scenario.id) == AuditEvent.scenario_id)
        .where(AuditEvent.collaborative_id == criteria.collaborative_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    if criteria.user.strip():
        query = query.where(col(AuditEvent.user_email).contains(criteria.user.strip().lower()))
    if criteria.action.strip():
        query = query.where(col(AuditEvent.action).startswith(criteria.action.strip()))
    if criteria.scenario_id:
        query = query.where(AuditEvent.scenario_id == criteria.scenario_id)
    if criteria.since:
        query = query.where(AuditEvent.at >= _start_of(criteria.since))
    if criteria.until:
        query = query.where(AuditEvent.at < _start_of(criteria.until + dt.timedelta(days=1)))
    if limit:
        query = query.limit(limit)
    return [
        AuditRow(
            at=e.at,
            user=e.user_email,
            action=e.action,
            scenario=name or "",
            entity=e.entity,
            entity_id=e.entity_id,
            field=e.field,
            old_value=e.old_value,
            new_value=e.new_value,
            summary=e.summary,
        )
        for e, name in session.exec(query).all()
    ]


def audit_csv(token: str, criteria: AuditFilter) -> str:
    """Every matching change as CSV text (UTC timestamps, ISO 8601); the download is audited."""
    with collaborative_transaction(token, criteria.collaborative_id, Permission.VIEW_AUDIT) as (
        session,
        principal,
    ):
        rows = _events(session, criteria, limit=None)
        audit_download(
            session,
            principal,
            collaborative_id=criteria.collaborative_id,
            scenario=None,
            what="audit_log:csv",
            rows=len(rows),
            file_name="audit-log.csv",
        )
    return csv_rows(
        CSV_COLUMNS,
        (
            [
                row.at.isoformat(timespec="seconds"),
                row.user,
                row.action,
                row.scenario,
                row.entity,
                row.entity_id,
                row.field,
                row.old_value,
                row.new_value,
                row.summary,
            ]
            for row in rows
        ),
    )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
