"""Hubs are the user's decision: marking a site as a hub through the service, checked and locked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import FigureProvenance, Scenario, Site, SiteTreatmentFunction
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.hubs import hub_sites, set_hub
from ics_capacity.services.scenarios import ConflictError, FieldValueError
from tests.conftest import TEST_PASSWORD


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return manager, sc.create_scenario(manager, baseline, "Hubs")


def _save(token: str, scenario: int, version: int, **changes: str) -> object:
    values = {
        "is_hub": True,
        "treatment_functions": "C_110, c_100",
        "sessions_per_week": "12",
        "latitude": "52.58",
        "longitude": "-2.0",
    } | changes
    return set_hub(token, scenario, "MANOR", expected_version=version, **values)


def test_a_manager_marks_a_hub_and_the_figures_become_local(app_db) -> None:
    """The site becomes a hub with its functions, sessions and place; provenance says local."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    before = {s.code: s for s in hub_sites(manager, draft)}["MANOR"]
    saved = _save(manager, draft, before.version)
    assert saved.is_hub and saved.treatment_functions == "C_100, C_110"
    assert saved.sessions_per_week == "12" and saved.latitude == "52.58"
    with unit_of_work(url) as session:
        site = session.execute(
            sa.select(Site).where(Site.scenario_id == draft, Site.code == "MANOR")
        ).scalar_one()
        is_hub = site.is_elective_hub
        tfcs = list(
            session.execute(
                sa.select(SiteTreatmentFunction.tfc).where(SiteTreatmentFunction.site_id == site.id)
            ).scalars()
        )
        kinds = dict(
            session.execute(
                sa.select(FigureProvenance.field, FigureProvenance.kind).where(
                    FigureProvenance.scenario_id == draft, FigureProvenance.entity_key == "MANOR"
                )
            ).all()
        )
    assert is_hub and sorted(tfcs) == ["C_100", "C_110"]
    assert kinds["is_elective_hub"] == "local" and kinds["sessions_per_week"] == "local"


def test_a_stale_version_bad_values_and_a_viewer_are_refused(app_db) -> None:
    """An old version, a function without case mix, bad sessions or place, a viewer: no change."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    version = {s.code: s for s in hub_sites(manager, draft)}["MANOR"].version
    _save(manager, draft, version)
    with pytest.raises(ConflictError, match="was changed by manager@bcpc.test"):
        _save(manager, draft, version, sessions_per_week="5")
    fresh = {s.code: s for s in hub_sites(manager, draft)}["MANOR"]
    with pytest.raises(FieldValueError, match="C_999 has no case mix"):
        _save(manager, draft, fresh.version, treatment_functions="C_110, C_999")
    with pytest.raises(FieldValueError, match="Sessions a week per theatre: 30 is outside"):
        _save(manager, draft, fresh.version, sessions_per_week="30")
    with pytest.raises(FieldValueError, match="Location"):
        _save(manager, draft, fresh.version, longitude="")
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with pytest.raises(auth.PermissionDeniedError):
        _save(viewer, draft, fresh.version)
    assert {s.code: s for s in hub_sites(manager, draft)}["MANOR"] == fresh
