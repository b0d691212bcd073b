"""Scenarios: branch, rename, archive, the approval workflow, comments and comparison.

Every function takes the session token of the person acting, resolves it to a `Principal` inside
the same transaction and checks their role in the scenario's collaborative before reading or
writing; a scenario of another collaborative is reported as not found (tenant isolation).
Approved, submitted and archived scenarios are read-only: branch them to change anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, col, select

from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    CalendarChangeRow,
    CaseMix,
    Collaborative,
    FigureProvenance,
    HubStandardSetting,
    ImportBatch,
    IndependentSectorPrice,
    Membership,
    RotaLeave,
    RotaRequest,
    RotaStaff,
    RttActivity,
    Scenario,
    ScenarioComment,
    ScenarioStatus,
    Site,
    SiteTreatmentFunction,
    SystemFlow,
    TheatreCapacity,
    TrustBeds,
    UserAccount,
    ValidationSetting,
    WaitingList,
    Workforce,
    utc_now,
)
from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.domain.roles import Permission, role_allows
from ics_capacity.services.auth import PermissionDeniedError, Principal, signed_in_transaction
from ics_capacity.services.security_log import security_event

EDITABLE_STATUSES = {ScenarioStatus.DRAFT, ScenarioStatus.REJECTED}
# The longest texts the tables hold (db/models.py); longer ones are refused in words first.
NAME_MAX = 120
DESCRIPTION_MAX = 2000
DECISION_NOTE_MAX = 2000
COMMENT_MAX = 4000
_AUDIT_SUMMARY_MAX = 500


class ScenarioError(ServiceError):
    """A scenario action that cannot be done, with the reason in planners' words."""


class NotFoundError(ScenarioError):
    """The scenario does not exist or belongs to a collaborative the user is not in."""


class ConflictError(ScenarioError):
    """Someone else changed the row first; nothing was saved."""


class FieldValueError(ScenarioError, InvalidInputError):
    """A value sent for a scenario is missing, not a number, out of range or too long."""


@dataclass(frozen=True)
class ScenarioSummary:
    """A scenario in a list."""

    id: int
    name: str
    status: str
    owner: str
    parent_name: str
    is_baseline: bool
    updated_at: dt.datetime
    updated_by: str
    version: int
    submitted_by: str | None
    decided_by: str | None
    decision_note: str
    decided_at: dt.datetime | None = None
    is_plan_of_record: bool = False


@dataclass(frozen=True)
class CommentView:
    """A comment as shown under a scenario."""

    author: str
    body: str
    created_at: dt.datetime


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
        limit: the column's length (db/models.py).
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


def plan_of_record_id(session: Session, collaborative_id: int) -> int | None:
    """The collaborative's plan of record: its most recently approved scenario, baseline aside.

    Approving a scenario makes it the plan; the published baseline is approved on import and is
    the plan only until an executive approves another. None when nothing but the baseline (or
    nothing at all) is approved.
    """
    return session.exec(
        select(Scenario.id)
        .where(
            Scenario.collaborative_id == collaborative_id,
            Scenario.status == ScenarioStatus.APPROVED,
            Scenario.is_baseline == False,  # noqa: E712 - SQL comparison
        )
        .order_by(col(Scenario.decided_at).desc().nulls_last(), col(Scenario.id).desc())
    ).first()


def list_scenarios(token: str, collaborative_id: int) -> list[ScenarioSummary]:
    """The collaborative's scenarios, newest first, for a member; the plan of record marked."""
    with collaborative_transaction(
        token, collaborative_id, Permission.VIEW, hide_from_outsiders=True
    ) as (session, _):
        parents = dict(session.exec(select(Scenario.id, Scenario.name)).all())
        rows = session.exec(
            select(Scenario)
            .where(Scenario.collaborative_id == collaborative_id)
            .order_by(Scenario.is_baseline.desc(), Scenario.updated_at.desc())
        ).all()
        plan = plan_of_record_id(session, collaborative_id)
        return [_summary(s, parents.get(s.parent_id, ""), plan) for s in rows]


def scenario_summary(token: str, scenario_id: int) -> ScenarioSummary:
    """One scenario's summary for a member of its collaborative."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        scenario = use.scenario
        parent = use.session.get(Scenario, scenario.parent_id) if scenario.parent_id else None
        plan = plan_of_record_id(use.session, scenario.collaborative_id)
        return _summary(scenario, parent.name if parent else "", plan)


def _summary(s: Scenario, parent_name: str, plan_of_record: int | None = None) -> ScenarioSummary:
    return ScenarioSummary(
        id=s.id,
        name=s.name,
        status=s.status,
        owner=s.owner,
        parent_name=parent_name,
        is_baseline=s.is_baseline,
        updated_at=s.updated_at,
        updated_by=s.updated_by,
        version=s.version,
        submitted_by=s.submitted_by,
        decided_by=s.decided_by,
        decision_note=s.decision_note,
        decided_at=s.decided_at,
        is_plan_of_record=s.id == plan_of_record,
    )


# Tables copied when a scenario is branched: the rows of the source, re-pointed at the copy.
_SCENARIO_TABLES: tuple[type[SQLModel], ...] = (
    TheatreCapacity,
    BedCapacity,
    TrustBeds,
    Workforce,
    CaseMix,
    WaitingList,
    RttActivity,
    SystemFlow,
    FigureProvenance,
    CalendarChangeRow,
    HubStandardSetting,
    ValidationSetting,
    IndependentSectorPrice,
)


def create_scenario(token: str, source_id: int, name: str, description: str = "") -> int:
    """Branches a new draft scenario from another, copying all its capacity and demand rows.

    Returns:
        The new scenario's id.
    """
    with scenario_transaction(token, source_id, Permission.MANAGE_SCENARIOS) as use:
        return branch_scenario(use, name, description).id


def branch_scenario(use: ScenarioUse, name: str, description: str = "") -> Scenario:
    """The new draft copy of `use.scenario`, inside the caller's transaction (flushed, audited)."""
    name = scenario_name_checked(name)
    description = checked_text(description, DESCRIPTION_MAX, "A description")
    session, principal, source = use.session, use.principal, use.scenario
    require_unique_name(session, source.collaborative_id, name)
    copy = Scenario(
        collaborative_id=source.collaborative_id,
        name=name,
        description=description,
        owner=principal.email,
        parent_id=source.id,
        status=ScenarioStatus.DRAFT,
        data_period=source.data_period,
        updated_by=principal.email,
    )
    session.add(copy)
    session.flush()
    _copy_rows(session, source.id, copy.id)
    audit(session, principal, copy, "scenario.create", f"Created '{name}' from '{source.name}'")
    return copy


def _copy_rows(session: Session, source_id: int, target_id: int) -> None:
    site_ids: dict[int, int] = {}
    for site in session.exec(select(Site).where(Site.scenario_id == source_id)).all():
        values = site.model_dump(exclude={"id", "scenario_id", "version", "created_at"})
        new_site = Site(**values, scenario_id=target_id)
        session.add(new_site)
        session.flush()
        site_ids[site.id] = new_site.id
    links = session.exec(
        select(SiteTreatmentFunction).where(SiteTreatmentFunction.site_id.in_(list(site_ids)))
    ).all()
    session.add_all(SiteTreatmentFunction(site_id=site_ids[x.site_id], tfc=x.tfc) for x in links)
    for table in _SCENARIO_TABLES:
        columns = [c.name for c in table.__table__.columns if c.name not in {"id", "scenario_id"}]
        rows = [
            dict(r._mapping)
            for r in session.execute(
                sa.select(*[table.__table__.c[c] for c in columns]).where(
                    table.__table__.c.scenario_id == source_id
                )
            )
        ]
        for row in rows:
            row["scenario_id"] = target_id
            if "site_id" in row:
                row["site_id"] = site_ids[row["site_id"]]
        if rows:
            session.execute(sa.insert(table.__table__), rows)
    _copy_rota_staff(session, source_id, target_id)
    batches = session.exec(select(ImportBatch).where(ImportBatch.scenario_id == source_id)).all()
    for batch in batches:
        session.add(
            ImportBatch(**batch.model_dump(exclude={"id", "scenario_id"}), scenario_id=target_id)
        )


def _copy_rota_staff(session: Session, source_id: int, target_id: int) -> None:
    """Copies the rota staff list with each person's leave and wishes (not rota locks)."""
    staff_ids: dict[int, int] = {}
    for person in session.exec(select(RotaStaff).where(RotaStaff.scenario_id == source_id)).all():
        values = person.model_dump(exclude={"id", "scenario_id", "version", "created_at"})
        copy = RotaStaff(**values, scenario_id=target_id)
        session.add(copy)
        session.flush()
        staff_ids[person.id] = copy.id
    if not staff_ids:
        return
    for table in (RotaLeave, RotaRequest):
        rows = session.exec(select(table).where(table.staff_id.in_(list(staff_ids)))).all()
        session.add_all(
            table(**row.model_dump(exclude={"id", "staff_id"}), staff_id=staff_ids[row.staff_id])
            for row in rows
        )


def copy_scenario_rows(session: Session, source_id: int, target_id: int) -> None:
    """Copies a scenario's sites, capacity, demand, provenance and staff into another.

    For a use case that has checked the caller (or the operator's onboarding path).
    """
    _copy_rows(session, source_id, target_id)


def scenario_name_checked(name: str) -> str:
    """A new scenario name, stripped; refused if blank or longer than the table holds."""
    return checked_text(name, NAME_MAX, "A scenario name", required="Give the scenario a name.")


def require_unique_name(session: Session, collaborative_id: int, name: str) -> None:
    """Refuses a name another scenario of the collaborative has (case apart)."""
    taken = session.exec(
        select(Scenario.id).where(
            Scenario.collaborative_id == collaborative_id,
            sa.func.lower(Scenario.name) == name.lower(),
        )
    ).first()
    if taken:
        raise ScenarioError(f"A scenario called '{name}' already exists; choose another name.")


def rename_scenario(token: str, scenario_id: int, name: str, expected_version: int) -> None:
    """Renames a scenario the user may manage; refused if someone changed it meanwhile."""
    name = scenario_name_checked(name)
    _change(
        token,
        scenario_id,
        expected_version,
        Permission.MANAGE_SCENARIOS,
        lambda s, p, session: _rename(s, p, session, name),
    )


def _rename(scenario: Scenario, principal: Principal, session: Session, name: str) -> str:
    if name.lower() != scenario.name.lower():
        require_unique_name(session, scenario.collaborative_id, name)
    old, scenario.name = scenario.name, name
    audit(
        session,
        principal,
        scenario,
        "scenario.rename",
        f"Renamed '{old}' to '{name}'",
        field="name",
        old=old,
        new=name,
    )
    return "renamed"


def archive_scenario(token: str, scenario_id: int, expected_version: int) -> None:
    """Archives a scenario (the baseline cannot be archived)."""

    def archive(scenario: Scenario, principal: Principal, session: Session) -> str:
        if scenario.is_baseline:
            raise ScenarioError("The baseline holds the published data and cannot be archived.")
        old, scenario.status = scenario.status, ScenarioStatus.ARCHIVED
        audit(
            session,
            principal,
            scenario,
            "scenario.archive",
            f"Archived '{scenario.name}'",
            field="status",
            old=old,
            new=scenario.status,
        )
        return "archived"

    _change(token, scenario_id, expected_version, Permission.MANAGE_SCENARIOS, archive)


def submit_scenario(token: str, scenario_id: int, expected_version: int) -> None:
    """Submits a draft (or reworked rejected) scenario for an executive's approval."""

    def submit(scenario: Scenario, principal: Principal, session: Session) -> str:
        require_editable(scenario)
        old, scenario.status = scenario.status, ScenarioStatus.SUBMITTED
        scenario.submitted_by, scenario.submitted_at = principal.email, utc_now()
        scenario.decided_by, scenario.decided_at, scenario.decision_note = None, None, ""
        audit(
            session,
            principal,
            scenario,
            "scenario.submit",
            f"Submitted '{scenario.name}' for approval",
            field="status",
            old=old,
            new=scenario.status,
        )
        return "submitted"

    _change(token, scenario_id, expected_version, Permission.SUBMIT_SCENARIO, submit)


def decide_scenario(
    token: str, scenario_id: int, expected_version: int, *, approve: bool, note: str = ""
) -> None:
    """An executive approves or rejects a submitted scenario, with an optional note.

    Four eyes: the person who submitted a scenario cannot approve it (they may reject it, which
    sends it back to be reworked).
    """
    note = checked_text(note, DECISION_NOTE_MAX, "A decision note")

    def decide(scenario: Scenario, principal: Principal, session: Session) -> str:
        if scenario.status != ScenarioStatus.SUBMITTED:
            raise ScenarioError(
                f"'{scenario.name}' is {scenario.status}; only a submitted scenario can be "
                "approved or rejected."
            )
        if approve and (scenario.submitted_by or "").lower() == principal.email:
            raise PermissionDeniedError(
                f"You submitted '{scenario.name}', so someone else must approve it."
            )
        old = scenario.status
        scenario.status = ScenarioStatus.APPROVED if approve else ScenarioStatus.REJECTED
        scenario.decided_by, scenario.decided_at = principal.email, utc_now()
        scenario.decision_note = note
        if approve:
            # The approved projection becomes the recorded baseline, in this same transaction.
            # Imported here: the recording projects the scenario, and projections import this.
            from ics_capacity.services.recorded_baseline import record_approval

            record_approval(session, principal.email, scenario)
        verb = "Approved" if approve else "Rejected"
        audit(
            session,
            principal,
            scenario,
            f"scenario.{scenario.status}",
            f"{verb} '{scenario.name}'" + (f": {note}" if note else ""),
            field="status",
            old=old,
            new=scenario.status,
        )
        return scenario.status

    _change(token, scenario_id, expected_version, Permission.APPROVE_SCENARIO, decide)


def _change(
    token: str,
    scenario_id: int,
    expected_version: int,
    permission: Permission,
    apply: Callable[[Scenario, Principal, Session], str],
) -> None:
    """Applies a change of the scenario row itself (name, status) under optimistic locking."""
    with scenario_transaction(token, scenario_id, permission) as use:
        scenario, principal, session = use.scenario, use.principal, use.session
        with optimistic_edit(
            session, scenario, expected_version, f"'{scenario.name}'", SCENARIO_EDIT
        ):
            apply(scenario, principal, session)
            scenario.updated_by = principal.email
            session.add(scenario)


def add_comment(token: str, scenario_id: int, body: str) -> None:
    """Adds a comment to a scenario."""
    body = checked_text(body, COMMENT_MAX, "A comment", required="Write a comment first.")
    with scenario_transaction(token, scenario_id, Permission.COMMENT) as use:
        scenario, principal = use.scenario, use.principal
        use.session.add(ScenarioComment(scenario_id=scenario.id, author=principal.email, body=body))
        audit(
            use.session,
            principal,
            scenario,
            "scenario.comment",
            f"Commented on '{scenario.name}'",
            entity="comment",
            new=body[:200],
        )


def viewers_still_allowed(token: str | None, scenario_id: int, user_ids: set[int]) -> set[int]:
    """Which of these users may still view the scenario (for pushing a change to its room).

    The caller must be allowed to view it too; a user whose account is disabled, or who has left
    the scenario's collaborative, is not in the answer.
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        if not user_ids:
            return set()
        rows = use.session.exec(
            select(Membership.user_id, Membership.role)
            .join(UserAccount, UserAccount.id == Membership.user_id)
            .where(
                Membership.collaborative_id == use.scenario.collaborative_id,
                Membership.user_id.in_(list(user_ids)),
                UserAccount.is_active,
            )
        ).all()
        return {user_id for user_id, role in rows if role_allows(role, Permission.VIEW)}


def list_comments(token: str, scenario_id: int) -> list[CommentView]:
    """A scenario's comments, oldest first."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        rows = use.session.exec(
            select(ScenarioComment)
            .where(ScenarioComment.scenario_id == scenario_id)
            .order_by(ScenarioComment.created_at, ScenarioComment.id)
        ).all()
        return [CommentView(c.author, c.body, c.created_at) for c in rows]


def collaborative_name(session: Session, collaborative_id: int) -> str:
    """The collaborative's name."""
    collaborative = session.get(Collaborative, collaborative_id)
    return collaborative.name if collaborative else ""


def _clock(moment: dt.datetime, *, with_date: bool) -> str:
    return f"{moment:%H:%M:%S} UTC" + (f" on {moment:%d %b %Y}" if with_date else "")
