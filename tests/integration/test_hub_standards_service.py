"""Hub readiness through the service: defaults, edits checked and locked, audit, copies."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, FigureProvenance, HubStandardSetting, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, jobs
from ics_capacity.services import scenarios as sc
from ics_capacity.services.hub_standards import hub_readiness, set_hub_standards
from ics_capacity.services.rebalance import scenario_rebalance_input
from ics_capacity.services.scenarios import ConflictError, FieldValueError, ScenarioError
from tests.conftest import TEST_PASSWORD


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return manager, sc.create_scenario(manager, baseline, "Hub standards")


def _save(token: str, scenario: int, version: int, code: str = "CANNOCK", **changes: str):
    values = {
        "operating_days": "6",
        "operating_weeks": "48",
        "utilisation_definition": "capped",
        "day_case_percent": "85",
        "cataracts_per_list": "10",
    } | changes
    return set_hub_standards(token, scenario, code, expected_version=version, **values)


def _hub(token: str, scenario: int, code: str = "CANNOCK"):
    return {h.code: h for h in hub_readiness(token, scenario)}[code]


def test_hubs_start_at_the_standards_and_say_which_utilisation(app_db) -> None:
    """Both demo hubs are listed at the defaults; utilisation says capped; no plan binds yet."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    hubs = hub_readiness(manager, draft)
    assert [h.code for h in hubs] == ["CANNOCK", "SANDWELL"]
    cannock = hubs[0]
    assert cannock.version == 0 and cannock.operating_days == "6"
    assert cannock.day_case_percent == "85" and cannock.utilisation_definition == "capped"
    rows = {r.standard_id: r for r in cannock.rows}
    assert rows["utilisation"].hub == "85% (capped)" and rows["utilisation"].status == "Met"
    assert rows["sessions_per_day"].status == "Met"
    assert rows["cataracts_per_list"].status == "Not applicable"
    assert rows["utilisation"].domain == "Utilisation and productivity"
    assert "No rebalancing plan" in cannock.plan_note


def test_a_manager_edits_a_hub_and_the_status_audit_and_provenance_follow(app_db) -> None:
    """Five operating days: not met, audited, local; a second edit needs the new version."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    saved = _save(manager, draft, 0, operating_days="5", utilisation_definition="uncapped")
    rows = {r.standard_id: r for r in saved.rows}
    assert saved.version == 1 and saved.operating_days == "5"
    assert rows["operating_days"].status == "Not met"
    assert rows["sessions_per_day"].hub.startswith("3 sessions a day")
    assert rows["utilisation"].hub == "85% (uncapped)"
    assert rows["utilisation"].status == "Unknown"
    assert "Uncapped utilisation" in saved.utilisation_words
    again = _save(manager, draft, saved.version, operating_days="6", day_case_percent="80")
    assert again.version == 2 and again.day_case_percent == "80"
    with unit_of_work(url) as session:
        audits = session.execute(
            sa.select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value).where(
                AuditEvent.scenario_id == draft, AuditEvent.action == "hub.standards"
            )
        ).all()
        kinds = dict(
            session.execute(
                sa.select(FigureProvenance.field, FigureProvenance.kind).where(
                    FigureProvenance.scenario_id == draft,
                    FigureProvenance.entity == "hub_standard_setting",
                )
            ).all()
        )
    assert ("operating_days_per_week", "6", "5") in audits
    assert ("utilisation_definition", "capped", "uncapped") in audits
    assert ("day_case_rate", "85%", "80%") in audits
    assert kinds["operating_days_per_week"] == "local"
    # A branch of the draft keeps the hub's own figures.
    copy = sc.create_scenario(manager, draft, "Hub standards copy")
    assert _hub(manager, copy).day_case_percent == "80"


def test_stale_versions_bad_values_non_hubs_and_other_roles_are_refused(app_db) -> None:
    """Nothing changes after any refusal, and each message names the field and its limits."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    saved = _save(manager, draft, 0, operating_days="5")
    with pytest.raises(ConflictError, match="was changed by manager@bcpc.test"):
        _save(manager, draft, 0, operating_days="4")
    with pytest.raises(ConflictError):
        _save(manager, draft, 7, operating_days="4")
    with pytest.raises(ConflictError, match="reset since you opened"):
        _save(manager, draft, 3, code="SANDWELL")
    for field, text, message in [
        ("operating_days", "8", "Operating days a week: 8 is outside 1 to 7"),
        ("operating_weeks", "fifty", "Operating weeks a year: 'fifty' is not a whole number"),
        ("day_case_percent", "101", "outside 0% to 100%"),
        ("cataracts_per_list", "40", "Cataracts a half-day list: 40 is outside 0 to 30"),
        ("utilisation_definition", "touch", "neither 'capped' nor 'uncapped'"),
    ]:
        with pytest.raises(FieldValueError, match=message):
            _save(manager, draft, saved.version, **{field: text})
    with pytest.raises(ScenarioError, match="not an elective hub"):
        _save(manager, draft, 0, code="MANOR")
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert _hub(viewer, draft).operating_days == "5"  # a viewer may read it
    with pytest.raises(auth.PermissionDeniedError):
        _save(viewer, draft, saved.version, operating_days="4")
    with pytest.raises(auth.NotSignedInError):
        _save(None, draft, saved.version, operating_days="4")
    with unit_of_work(url) as session:
        rows = session.execute(
            sa.select(HubStandardSetting.operating_days_per_week).where(
                HubStandardSetting.scenario_id == draft
            )
        ).all()
    assert [tuple(r) for r in rows] == [(5,)]


def test_an_approved_scenario_cannot_be_edited(app_db) -> None:
    """The baseline is approved: its hubs are shown, never changed."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    assert _hub(manager, baseline).version == 0
    with pytest.raises(ScenarioError):
        _save(manager, baseline, 0, operating_days="5")


@pytest.fixture
def queued_only():
    """Jobs stay queued until the test runs them itself."""
    jobs.set_dispatcher(lambda job_id: None)
    yield
    jobs.set_dispatcher(None)


def test_the_standards_that_set_a_full_resource_bind_the_plan(app_db, queued_only) -> None:
    """After a rebalancing run, each hub's full resources mark the standards that set them."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    job_id = jobs.start_job(manager, draft, "rebalance", {"weeks": 4, "time_limit_seconds": 10})
    assert jobs.run_job(job_id).status == "done"
    result = jobs.job_view(manager, job_id, with_result=True).rebalance
    assert result is not None
    full = {(b.hub, b.resource) for b in result.binding_limits if b.hub and b.resource}
    assert full, "the demo's plan fills some hub resource"
    hubs = hub_readiness(manager, draft)
    assert any(r.binds for hub in hubs for r in hub.rows), full
    for hub in hubs:
        assert f"run {job_id}" in hub.plan_note
        binds = {r.standard_id for r in hub.rows if r.binds}
        theatre_full = (hub.code, "theatre_minutes") in full
        beds_full = (hub.code, "overnight_bed_days") in full
        assert ("sessions_per_day" in binds) == theatre_full, hub.code
        assert ("utilisation" in binds) == theatre_full, hub.code
        assert ("day_case_rate" in binds) == beds_full, hub.code
        assert "operating_weeks" not in binds


def test_a_hubs_operating_days_set_its_day_case_places_in_the_rebalance(app_db) -> None:
    """Six days by default (2 patients a place a day x 6); five once the hub sets five."""
    url, emails = app_db
    manager, draft = _draft(url, emails)

    def per_place_per_week() -> float:
        with unit_of_work(url) as session:
            data = scenario_rebalance_input(session, draft, weeks=4, settings=None)
        hub = next(h for h in data.hubs if h.id == "CANNOCK")
        assert hub.day_case is not None
        return hub.day_case.patients_per_place_per_week

    assert per_place_per_week() == 12
    _save(manager, draft, 0, operating_days="5")
    assert per_place_per_week() == 10
