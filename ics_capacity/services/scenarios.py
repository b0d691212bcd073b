"""Scenarios: branch, rename, archive, the approval workflow, comments and comparison.

Every function takes the session token of the person acting, resolves it to a `Principal` inside
the same transaction and checks their role in the scenario's collaborative before reading or
writing; a scenario of another collaborative is reported as not found (tenant isolation).
Approved, submitted and archived scenarios are read-only: branch them to change anything.

The transactions that check the caller, the optimistic-lock edit and the audit rows are
`scenario_access.py`; they are re-exported here, where the use cases import them from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from ics_capacity.db.models import (
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
from ics_capacity.domain.roles import Permission, role_allows
from ics_capacity.services.auth import PermissionDeniedError, Principal
from ics_capacity.services.scenario_access import (
    EDITABLE_STATUSES,
    FIGURE_EDIT,
    SCENARIO_EDIT,
    ConflictError,
    EditWording,
    FieldValueError,
    NotFoundError,
    ScenarioError,
    ScenarioUse,
    audit,
    audit_collaborative,
    audit_download,
    checked_text,
    collaborative_transaction,
    load_scenario,
    optimistic_edit,
    require_editable,
    scenario_transaction,
)

__all__ = [
    "COMMENT_MAX",
    "DECISION_NOTE_MAX",
    "DESCRIPTION_MAX",
    "EDITABLE_STATUSES",
    "FIGURE_EDIT",
    "NAME_MAX",
    "SCENARIO_EDIT",
    "CommentView",
    "ConflictError",
    "EditWording",
    "FieldValueError",
    "NotFoundError",
    "ScenarioError",
    "ScenarioSummary",
    "ScenarioUse",
    "add_comment",
    "archive_scenario",
    "audit",
    "audit_collaborative",
    "audit_download",
    "branch_scenario",
    "checked_text",
    "collaborative_name",
    "collaborative_transaction",
    "copy_scenario_rows",
    "create_scenario",
    "decide_scenario",
    "list_comments",
    "list_scenarios",
    "load_scenario",
    "optimistic_edit",
    "plan_of_record_id",
    "rename_scenario",
    "require_editable",
    "require_unique_name",
    "scenario_name_checked",
    "scenario_summary",
    "scenario_transaction",
    "submit_scenario",
    "viewers_still_allowed",
]

# The longest texts the tables hold (db/models/); longer ones are refused in words first.
NAME_MAX = 120
DESCRIPTION_MAX = 2000
DECISION_NOTE_MAX = 2000
COMMENT_MAX = 4000


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
        _audit_status(session, principal, scenario, old, "archive", f"Archived '{scenario.name}'")
        return "archived"

    _change(token, scenario_id, expected_version, Permission.MANAGE_SCENARIOS, archive)


def submit_scenario(token: str, scenario_id: int, expected_version: int) -> None:
    """Submits a draft (or reworked rejected) scenario for an executive's approval."""

    def submit(scenario: Scenario, principal: Principal, session: Session) -> str:
        require_editable(scenario)
        old, scenario.status = scenario.status, ScenarioStatus.SUBMITTED
        scenario.submitted_by, scenario.submitted_at = principal.email, utc_now()
        scenario.decided_by, scenario.decided_at, scenario.decision_note = None, None, ""
        summary = f"Submitted '{scenario.name}' for approval"
        _audit_status(session, principal, scenario, old, "submit", summary)
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
        summary = f"{verb} '{scenario.name}'" + (f": {note}" if note else "")
        _audit_status(session, principal, scenario, old, scenario.status, summary)
        return scenario.status

    _change(token, scenario_id, expected_version, Permission.APPROVE_SCENARIO, decide)


def _audit_status(
    session: Session, principal: Principal, scenario: Scenario, old: str, verb: str, summary: str
) -> None:
    """Audits the scenario's move from status `old` to its status now, as `scenario.<verb>`."""
    audit(
        session,
        principal,
        scenario,
        f"scenario.{verb}",
        summary,
        field="status",
        old=old,
        new=scenario.status,
    )


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
