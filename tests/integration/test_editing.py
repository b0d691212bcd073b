"""Editing case-mix, workforce and sites; undoing one's own last change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import editing as ed
from ics_capacity.services import scenarios as sc
from ics_capacity.services.capacity import (
    FieldValueError,
    read_site_capacity,
    update_site_capacity,
)
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def draft(app_db):
    """A draft scenario branched from the baseline by the manager, with sign-ins by role."""
    url, emails = app_db
    tokens = {role: auth.sign_in(email, TEST_PASSWORD) for role, email in emails.items()}
    with unit_of_work(url) as session:
        base = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return url, tokens, sc.create_scenario(tokens["manager"], base, "Editing")


def test_case_mix_edit_and_conflict(draft) -> None:
    """A manager changes minutes per case; a second editor with the old version is refused."""
    _, tokens, plan = draft
    row = next(r for r in ed.read_case_mix(tokens["manager"], plan) if r.tfc == "C_110")
    ed.update_field(
        tokens["manager"], plan, "case_mix", row.id, "minutes_per_case", "150", row.version
    )
    with pytest.raises(sc.ConflictError, match="manager@bcpc.test"):
        ed.update_field(
            tokens["admin"], plan, "case_mix", row.id, "day_case_rate", "50%", row.version
        )
    after = next(r for r in ed.read_case_mix(tokens["viewer"], plan) if r.tfc == "C_110")
    assert (after.minutes_per_case, after.day_case_rate) == (150, row.day_case_rate)


def test_workforce_is_edited_by_the_workforce_lead_only(draft) -> None:
    """FTE edits need the workforce lead's role; a manager is refused."""
    _, tokens, plan = draft
    row = ed.read_workforce(tokens["viewer"], plan)[0]
    with pytest.raises(auth.PermissionDeniedError):
        ed.update_field(tokens["manager"], plan, "workforce", row.id, "fte", "1", row.version)
    ed.update_field(
        tokens["workforce_lead"], plan, "workforce", row.id, "fte", "1234.5", row.version
    )
    assert ed.read_workforce(tokens["viewer"], plan)[0].fte == 1234.5


@pytest.mark.parametrize(
    ("field", "value"), [("fte", "-3"), ("fte", "lots"), ("length_of_stay_days", "400")]
)
def test_bad_figures_are_refused(draft, field: str, value: str) -> None:
    """Out-of-range or non-numeric figures name the field and change nothing."""
    _, tokens, plan = draft
    entity = "workforce" if field == "fte" else "case_mix"
    rows = (ed.read_workforce if entity == "workforce" else ed.read_case_mix)(tokens["admin"], plan)
    with pytest.raises(FieldValueError):
        ed.update_field(tokens["admin"], plan, entity, rows[0].id, field, value, rows[0].version)


def test_add_and_delete_a_hub(draft) -> None:
    """A new hub appears with its capacity and can be deleted again; both are audited."""
    url, tokens, plan = draft
    site_id = ed.add_site(
        tokens["manager"],
        plan,
        code="newhub",
        name="Dudley Elective Hub",
        operator_ods_code="RNA",
        is_elective_hub=True,
        theatres="4",
        sessions_per_week="10",
        elective_overnight_beds="20",
        day_case_places="12",
        treatment_functions=["C_110"],
    )
    rows = {r.code: r for r in read_site_capacity(tokens["manager"], plan)}
    assert rows["NEWHUB"].is_elective_hub and rows["NEWHUB"].theatres == 4
    with pytest.raises(FieldValueError, match="already used"):
        ed.add_site(
            tokens["manager"],
            plan,
            code="NEWHUB",
            name="Again",
            operator_ods_code="RNA",
            is_elective_hub=False,
            theatres="1",
            sessions_per_week="1",
            elective_overnight_beds="0",
            day_case_places="0",
            treatment_functions=[],
        )
    ed.delete_site(tokens["manager"], plan, site_id, rows["NEWHUB"].theatre_version)
    assert "NEWHUB" not in {r.code for r in read_site_capacity(tokens["manager"], plan)}
    with unit_of_work(url) as session:
        actions = (
            session.execute(sa.select(AuditEvent.action).where(AuditEvent.scenario_id == plan))
            .scalars()
            .all()
        )
    assert {"site.add", "site.delete"} <= set(actions)


def test_undo_reverts_own_last_change_unless_someone_changed_it_since(draft) -> None:
    """Undo restores the old value; if another user changed the figure since, it refuses."""
    _, tokens, plan = draft

    def cannock():
        return next(r for r in read_site_capacity(tokens["manager"], plan) if r.code == "CANNOCK")

    update_site_capacity(
        tokens["manager"], plan, cannock().site_id, "theatres", "12", cannock().theatre_version
    )
    assert "Theatres 10 → 12" in ed.undo_last_change(tokens["manager"], plan)
    assert cannock().theatres == 10
    with pytest.raises(sc.ScenarioError, match="no change"):
        ed.undo_last_change(tokens["manager"], plan)

    update_site_capacity(
        tokens["manager"], plan, cannock().site_id, "theatres", "13", cannock().theatre_version
    )
    update_site_capacity(
        tokens["admin"], plan, cannock().site_id, "theatres", "14", cannock().theatre_version
    )
    with pytest.raises(sc.ConflictError, match="admin@bcpc.test"):
        ed.undo_last_change(tokens["manager"], plan)
    assert cannock().theatres == 14
