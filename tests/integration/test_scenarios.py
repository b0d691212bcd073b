"""Scenarios: branching, the approval workflow, conflicts, comparison and the audit log."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, Scenario, Site, TheatreCapacity, WaitingList
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.audit_log import AuditFilter, audit_csv, audit_events
from ics_capacity.services.capacity import (
    FieldValueError,
    compare_scenarios,
    read_site_capacity,
    update_site_capacity,
)
from ics_capacity.services.errors import InvalidInputError
from tests.conftest import TEST_PASSWORD


def _token(emails, role: str) -> str:
    return auth.sign_in(emails[role], TEST_PASSWORD)


def _baseline(url: str) -> SimpleNamespace:
    """Id, collaborative and version of the demo collaborative's baseline scenario."""
    with unit_of_work(url) as session:
        row = session.execute(
            sa.select(Scenario.id, Scenario.collaborative_id, Scenario.version)
            .where(Scenario.is_baseline)
            .order_by(Scenario.id)
        ).first()
    return SimpleNamespace(id=row.id, collaborative_id=row.collaborative_id, version=row.version)


def _cannock(token: str, scenario_id: int):
    return next(r for r in read_site_capacity(token, scenario_id) if r.code == "CANNOCK")


def test_branch_copies_every_row(app_db) -> None:
    """A new scenario holds the same sites, capacity and waiting list as its source."""
    url, emails = app_db
    manager = _token(emails, "manager")
    base = _baseline(url)
    new_id = sc.create_scenario(manager, base.id, "Plan A")
    with unit_of_work(url) as session:
        for table in (Site, TheatreCapacity, WaitingList):
            counts = [
                session.execute(
                    sa.select(sa.func.count()).select_from(table).where(table.scenario_id == sid)
                ).scalar()
                for sid in (base.id, new_id)
            ]
            assert counts[0] == counts[1] > 0, table
        copy = session.get(Scenario, new_id)
        assert (copy.status, copy.parent_id, copy.owner) == ("draft", base.id, emails["manager"])


def test_approved_baseline_is_read_only(app_db) -> None:
    """Editing the approved baseline is refused with advice to branch it."""
    url, emails = app_db
    manager = _token(emails, "manager")
    base = _baseline(url)
    row = _cannock(manager, base.id)
    with pytest.raises(sc.ScenarioError, match="create a scenario from it"):
        update_site_capacity(manager, base.id, row.site_id, "theatres", "11", row.theatre_version)


def test_edit_saves_audits_and_refuses_a_stale_version(app_db) -> None:
    """A second editor quoting the old version gets a conflict naming the first; nothing is lost."""
    url, emails = app_db
    manager, admin = _token(emails, "manager"), _token(emails, "admin")
    plan = sc.create_scenario(manager, _baseline(url).id, "Plan B")
    seen = _cannock(manager, plan)
    saved = update_site_capacity(
        manager, plan, seen.site_id, "theatres", "12", seen.theatre_version
    )
    assert saved.theatres == 12 and saved.theatre_version == seen.theatre_version + 1
    with pytest.raises(sc.ConflictError, match=emails["manager"]):
        update_site_capacity(admin, plan, seen.site_id, "theatres", "9", seen.theatre_version)
    assert _cannock(manager, plan).theatres == 12
    events = audit_events(manager, AuditFilter(collaborative_id=_collab(url), action="capacity"))
    assert [(e.old_value, e.new_value, e.user) for e in events] == [("10", "12", emails["manager"])]


def _collab(url: str) -> int:
    return _baseline(url).collaborative_id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("theatres", "-1", "out of range"),
        ("theatres", "ten", "not a number"),
        ("theatres", "2.5", "whole number"),
        ("utilisation_target", "150%", "out of range"),
        ("colour", "1", "not an editable"),
    ],
)
def test_bad_values_are_explained(app_db, field: str, value: str, message: str) -> None:
    """Invalid input names the field and what is allowed, and changes nothing."""
    url, emails = app_db
    manager = _token(emails, "manager")
    plan = sc.create_scenario(manager, _baseline(url).id, "Plan C")
    row = _cannock(manager, plan)
    with pytest.raises(FieldValueError, match=message):
        update_site_capacity(manager, plan, row.site_id, field, value, row.theatre_version)
    assert _cannock(manager, plan) == row


def test_submit_approve_workflow_records_who_and_when(app_db) -> None:
    """Manager submits, executive approves; the scenario is then read-only and audited."""
    url, emails = app_db
    manager, executive = _token(emails, "manager"), _token(emails, "executive")
    plan = sc.create_scenario(manager, _baseline(url).id, "Plan D")
    with pytest.raises(auth.PermissionDeniedError):
        sc.decide_scenario(manager, plan, 1, approve=True)
    sc.submit_scenario(manager, plan, sc.scenario_summary(manager, plan).version)
    summary = sc.scenario_summary(executive, plan)
    assert (summary.status, summary.submitted_by) == ("submitted", emails["manager"])
    sc.decide_scenario(executive, plan, summary.version, approve=True, note="Go ahead")
    summary = sc.scenario_summary(manager, plan)
    assert (summary.status, summary.decided_by, summary.decision_note) == (
        "approved",
        emails["executive"],
        "Go ahead",
    )
    actions = [e.action for e in audit_events(executive, AuditFilter(_collab(url)))]
    assert {"scenario.create", "scenario.submit", "scenario.approved"} <= set(actions)


def test_too_long_name_note_and_comment_are_refused_in_words(app_db) -> None:
    """Texts longer than their columns are refused with the limit before the database sees them.

    PostgreSQL would raise a DataError and SQLite would store them; both now refuse the same way,
    write nothing, and accept the longest text that fits (whose audit summary is cut to its own
    column).
    """
    url, emails = app_db
    manager, executive = _token(emails, "manager"), _token(emails, "executive")
    base = _baseline(url)
    too_long_name = r"^A scenario name can have at most 120 characters\.$"
    with pytest.raises(InvalidInputError, match=too_long_name):
        sc.create_scenario(manager, base.id, "P" * 121)
    plan = sc.create_scenario(manager, base.id, "  " + "P" * 120 + "  ")
    version = sc.scenario_summary(manager, plan).version
    with pytest.raises(InvalidInputError, match=too_long_name):
        sc.rename_scenario(manager, plan, "Q" * 121, version)
    with pytest.raises(InvalidInputError, match="A comment can have at most 4,000 characters"):
        sc.add_comment(manager, plan, "c" * 4001)
    sc.submit_scenario(manager, plan, version)
    version = sc.scenario_summary(executive, plan).version
    with pytest.raises(
        InvalidInputError, match="A decision note can have at most 2,000 characters"
    ):
        sc.decide_scenario(executive, plan, version, approve=True, note="n" * 2001)
    summary = sc.scenario_summary(executive, plan)
    assert (summary.name, summary.status, summary.decided_by) == ("P" * 120, "submitted", None)
    with unit_of_work(url) as session:
        names = session.execute(sa.select(Scenario.name).where(Scenario.name.like("Q%"))).all()
        assert names == []

    sc.decide_scenario(executive, plan, version, approve=False, note="n" * 2000)
    assert sc.scenario_summary(executive, plan).decision_note == "n" * 2000
    with unit_of_work(url) as session:
        summary_text = session.execute(
            sa.select(AuditEvent.summary).where(
                AuditEvent.scenario_id == plan, AuditEvent.action == "scenario.rejected"
            )
        ).scalar_one()
    assert len(summary_text) == 500 and summary_text.endswith("n…")


def test_reject_then_rework(app_db) -> None:
    """A rejected scenario can be edited and submitted again."""
    url, emails = app_db
    manager, executive = _token(emails, "manager"), _token(emails, "executive")
    plan = sc.create_scenario(manager, _baseline(url).id, "Plan E")
    sc.submit_scenario(manager, plan, sc.scenario_summary(manager, plan).version)
    sc.decide_scenario(
        executive,
        plan,
        sc.scenario_summary(manager, plan).version,
        approve=False,
        note="Too optimistic",
    )
    row = _cannock(manager, plan)
    update_site_capacity(manager, plan, row.site_id, "theatres", "11", row.theatre_version)
    sc.submit_scenario(manager, plan, sc.scenario_summary(manager, plan).version)
    assert sc.scenario_summary(manager, plan).status == "submitted"


def test_rename_archive_and_duplicate_names(app_db) -> None:
    """Names are unique per collaborative; archive hides nothing but blocks edits."""
    url, emails = app_db
    manager = _token(emails, "manager")
    base = _baseline(url)
    plan = sc.create_scenario(manager, base.id, "Plan F")
    with pytest.raises(sc.ScenarioError, match="already exists"):
        sc.create_scenario(manager, base.id, "plan f")
    sc.rename_scenario(manager, plan, "Plan F (Saturday lists)", 1)
    with pytest.raises(sc.ConflictError):
        sc.rename_scenario(manager, plan, "Stale rename", 1)
    sc.archive_scenario(manager, plan, sc.scenario_summary(manager, plan).version)
    assert sc.scenario_summary(manager, plan).status == "archived"
    with pytest.raises(sc.ScenarioError, match="cannot be archived"):
        sc.archive_scenario(manager, base.id, base.version)


def test_compare_lists_differences_and_kpis(app_db) -> None:
    """Two scenarios differ exactly in the edited figure; KPIs follow it."""
    url, emails = app_db
    manager = _token(emails, "manager")
    base = _baseline(url)
    plan = sc.create_scenario(manager, base.id, "Plan G")
    row = _cannock(manager, plan)
    update_site_capacity(manager, plan, row.site_id, "theatres", "12", row.theatre_version)
    comparison = compare_scenarios(manager, [base.id, plan])
    assert [(d.site, d.field, d.by_scenario) for d in comparison.differences] == [
        ("Cannock Chase Hospital", "Theatres", ["10", "12"])
    ]
    base_kpi, plan_kpi = comparison.kpis
    assert plan_kpi.theatre_hours_per_week > base_kpi.theatre_hours_per_week
    assert plan_kpi.waiting_list == base_kpi.waiting_list > 0


def test_comments_and_csv_export(app_db) -> None:
    """Comments are listed in order and the audit CSV carries old and new values."""
    url, emails = app_db
    manager, executive = _token(emails, "manager"), _token(emails, "executive")
    base = _baseline(url)
    sc.add_comment(executive, base.id, "Please model Saturday lists.")
    sc.add_comment(manager, base.id, "On it.")
    assert [(c.author, c.body) for c in sc.list_comments(manager, base.id)] == [
        (emails["executive"], "Please model Saturday lists."),
        (emails["manager"], "On it."),
    ]
    text = audit_csv(executive, AuditFilter(_collab(url), action="scenario.comment"))
    lines = text.strip().splitlines()
    assert lines[0].startswith("at,user,action")
    assert len(lines) == 3 and "On it." in text


def test_outsider_cannot_see_or_touch_another_collaborative(app_db) -> None:
    """Tenant isolation: another collaborative's scenario is simply not found."""
    url, emails = app_db
    outsider = _token(emails, "outsider")
    base = _baseline(url)
    with pytest.raises(sc.NotFoundError):
        sc.scenario_summary(outsider, base.id)
    with pytest.raises(sc.NotFoundError):
        sc.create_scenario(outsider, base.id, "Mine now")
    with pytest.raises(auth.PermissionDeniedError):
        audit_events(outsider, AuditFilter(base.collaborative_id))
    with unit_of_work(url) as session:
        assert (
            session.execute(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.user_email == emails["outsider"])
            ).scalar()
            == 0
        )
