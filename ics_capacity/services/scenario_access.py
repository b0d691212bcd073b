"""Access to a scenario: the transaction that checks the caller, the edit lock, the audit rows.

Every scenario use case starts with `scenario_transaction` (or `collaborative_transaction` for
one on a collaborative): the session token is resolved to a `Principal` inside the same
transaction and their role in the scenario's collaborative is checked before anything is read or
written; a scenario of another collaborative is reported as not found (tenant isolation).
`optimistic_edit` is the one optimistic-lock edit; `audit` and `audit_download` write the audit
rows in the transaction of the change. `scenarios.py` re-exports these names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ics_capacity.db.models import AuditEvent, Scenario, ScenarioStatus
from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.auth import Principal, signed_in_transaction
from ics_capacity.services.security_log import security_event

EDITABLE_STATUSES = {ScenarioStatus.DRAFT, ScenarioStatus.REJECTED}
_AUDIT_SUMMARY_MAX = 500


class ScenarioError(ServiceError):
    """A scenario action that cannot be done, with the reason in planners' words."""


class NotFoundError(ScenarioError):
    """The scenario does not exist or belongs to a collaborative the user is not in."""


class ConflictError(ScenarioError):
    """Someone else changed the row first; nothing was saved."""


class FieldValueError(ScenarioError, InvalidInputError):
    """A value sent for a scenario is missing, not a number, out of range or too long."""


def load_scenario(
    session: Session, principal: Principal, scenario_id: int, permission: Permission
) -> Scenario:
    """The scenario, if the user may do `permission` in its collaborative.

    Raises:
        NotFoundError: unknown scenario, or one of a collaborative the user does not belong to.
        PermissionDeniedError: a member whose role does not allow the permission.
    """
    scenario = session.get(Scenario, scenario_id)
    if scenario is None or principal.role_in(scenario.collaborative_id) is None:
        raise NotFoundError(f"Scenario {scenario_id} was not found.")
    principal.require(permission, scenario.collaborative_id)
    return scenario


@dataclass(frozen=True)
class ScenarioUse:
    """What a use case on one scenario works with: the open session, the caller, the scenario."""

    session: Session
    principal: Principal
    scenario: Scenario


@contextmanager
def scenario_transaction(
    token: str | None, scenario_id: int, permission: Permission, *, editable: bool = False
) -> Iterator[ScenarioUse]:
    """One transaction on a scenario the caller may act on; commits when the block ends cleanly.

    The one prologue of every use case that reads or changes a scenario: the session token is
    resolved to a principal inside the transaction, the scenario is loaded only if the caller's
    role in its collaborative allows `permission` (and, with `editable`, only while it is a draft
    or rejected), and the work is committed only if the block raises nothing.

    Raises:
        NotSignedInError: no valid session.
        NotFoundError: no such scenario, or one of a collaborative the caller is not in.
        PermissionDeniedError: the caller's role does not allow `permission`.
        ScenarioError: `editable` was asked and the scenario is submitted, approved or archived.
    """
    with signed_in_transaction(token) as (session, principal):
        scenario = load_scenario(session, principal, int(scenario_id), permission)
        if editable:
            require_editable(scenario)
        yield ScenarioUse(session, principal, scenario)


@contextmanager
def collaborative_transaction(
    token: str | None,
    collaborative_id: int,
    permission: Permission,
    *,
    hide_from_outsiders: bool = False,
) -> Iterator[tuple[Session, Principal]]:
    """One transaction on a collaborative the caller may act on; commits if the block ends cleanly.

    The prologue of the use cases on a collaborative rather than one scenario (members, audit log,
    overview, scenario list, a scenario imported from a file).

    Args:
        token: the caller's session token, resolved to a principal inside the transaction.
        collaborative_id: the collaborative acted on.
        permission: what the caller's role there must allow.
        hide_from_outsiders: a caller who is not a member is told the collaborative was not found
            (as a scenario of another collaborative is) instead of being refused permission.

    Raises:
        NotSignedInError: no valid session.
        NotFoundError: `hide_from_outsiders` and the caller is not a member.
        PermissionDeniedError: the caller's role there does not allow `permission`.
    """
    with signed_in_transaction(token) as (session, principal):
        if hide_from_outsiders and principal.role_in(collaborative_id) is None:
            raise NotFoundError("Collaborative not found.")
        principal.require(permission, collaborative_id)
        yield session, principal


class _Versioned(Protocol):
    """A row under optimistic locking (`Audited`): its version and who changed it last, when."""

    version: int
    updated_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class EditWording:
    """How a refused optimistic-lock edit is told: what the person had, and what they see now."""

    since: str = "after you opened it"
    not_saved: str = "your edit was not saved"
    now_shown: str = " The table now shows their values."
    with_date: bool = False


FIGURE_EDIT = EditWording()
SCENARIO_EDIT = EditWording(
    "while you were looking at it", "nothing was saved", " The page now shows their version.", True
)


@contextmanager
def optimistic_edit(
    session: Session,
    row: _Versioned,
    expected_version: int | None,
    what: str,
    wording: EditWording = FIGURE_EDIT,
) -> Iterator[None]:
    """The one optimistic-lock edit: compare the version, apply (the block), commit.

    A row whose version is no longer `expected_version` (the one the editor saw) is refused
    before the block runs, naming who changed it and when. The block applies the change; then
    the session commits, and a writer who got there in between (SQLAlchemy's `StaleDataError`
    from the row's `WHERE version = seen`, in the block's flush or at the commit) is refused too.
    Nothing is saved in either case. `expected_version=None` skips the first comparison, for a
    caller that checked the row another way (undo compares the value itself).

    Raises:
        ConflictError: the row changed since the editor read it, or at the same moment.
    """
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(
            f"{what} was changed by {row.updated_by} at "
            f"{_clock(row.updated_at, with_date=wording.with_date)} {wording.since}; "
            f"{wording.not_saved}.{wording.now_shown}"
        )
    try:
        yield
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise ConflictError(
            f"{what} was changed by someone else at the same moment; {wording.not_saved}."
        ) from error


def checked_text(value: str, limit: int, what: str, *, required: str = "") -> str:
    """`value` stripped, refused in words if longer than its column holds (or blank if required).

    Args:
        value: the text as sent.
        limit: the column's length (db/models/).
        what: how the message names the text, e.g. "A scenario name".
        required: the message for a blank value; blank is allowed when empty.

    Raises:
        FieldValueError: blank though required, or longer than `limit` characters.
    """
    text = value.strip()
    if required and not text:
        raise FieldValueError(required)
    if len(text) > limit:
        raise FieldValueError(f"{what} can have at most {limit:,} characters.")
    return text


def require_editable(scenario: Scenario) -> None:
    """Raises ScenarioError unless the scenario is a draft (or rejected and being reworked)."""
    if scenario.status not in EDITABLE_STATUSES:
        raise ScenarioError(
            f"'{scenario.name}' is {scenario.status} and cannot be changed; "
            "create a scenario from it to make changes."
        )


def audit(
    session: Session,
    principal: Principal,
    scenario: Scenario,
    action: str,
    summary: str,
    *,
    entity: str = "scenario",
    entity_id: object = "",
    field: str = "",
    old: object = "",
    new: object = "",
) -> None:
    """Records a change in the same transaction as the change itself.

    A summary longer than its column (it may quote a note or a name) is cut to fit, ending "…".
    """
    if len(summary) > _AUDIT_SUMMARY_MAX:
        summary = summary[: _AUDIT_SUMMARY_MAX - 1] + "…"
    session.add(
        AuditEvent(
            user_email=principal.email,
            collaborative_id=scenario.collaborative_id,
            scenario_id=scenario.id,
            action=action,
            entity=entity,
            entity_id=str(entity_id or scenario.id),
            field=field,
            old_value="" if old is None else str(old),
            new_value="" if new is None else str(new),
            summary=summary,
        )
    )


def audit_collaborative(
    session: Session,
    user_email: str,
    collaborative_id: int,
    action: str,
    summary: str,
    *,
    entity: str,
    entity_id: object,
    field: str = "",
    old: object = "",
    new: object = "",
) -> None:
    """Records a change to a collaborative's people or settings, in the change's transaction."""
    session.add(
        AuditEvent(
            user_email=user_email,
            collaborative_id=collaborative_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            field=field,
            old_value=str(old),
            new_value=str(new),
            summary=summary,
        )
    )


def audit_download(
    session: Session,
    principal: Principal,
    *,
    collaborative_id: int | None,
    scenario: Scenario | None,
    what: str,
    rows: int,
    file_name: str,
) -> None:
    """Records a download in the audit log (who, what, how many rows) and the security log.

    Called by every service that produces a file, in the transaction that read the data; `what`
    names the kind of file, e.g. "table:waiting_list" (at most 40 characters).
    """
    summary = f"Downloaded {file_name} ({rows:,} rows)"
    if len(summary) > _AUDIT_SUMMARY_MAX:
        summary = summary[: _AUDIT_SUMMARY_MAX - 1] + "…"
    session.add(
        AuditEvent(
            user_email=principal.email,
            collaborative_id=collaborative_id,
            scenario_id=scenario.id if scenario is not None else None,
            action="data.download",
            entity="download",
            entity_id=what[:40],
            field="rows",
            new_value=str(rows),
            summary=summary,
        )
    )
    security_event(
        "download",
        "success",
        user=principal.email,
        what=what,
        file=file_name,
        rows=rows,
        collaborative_id=collaborative_id,
        scenario_id=scenario.id if scenario is not None else None,
    )


def _clock(moment: dt.datetime, *, with_date: bool) -> str:
    return f"{moment:%H:%M:%S} UTC" + (f" on {moment:%d %b %Y}" if with_date else "")
