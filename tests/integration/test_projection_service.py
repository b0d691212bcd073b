"""Projecting a scenario from the database, and the board pack built from it."""

from __future__ import annotations

import sqlalchemy as sa

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services.board_pack import board_pack_html
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.projections import dashboard_chart_specs, project_scenario
from ics_capacity.services.scenarios import create_scenario
from tests.conftest import TEST_PASSWORD


def test_projection_starts_from_the_published_list_and_conserves_patients(app_db) -> None:
    """Week 0 is the April 2026 list of the member trusts; each week in - out = change."""
    url, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base = session.execute(sa.select(Scenario.id).where(Scenario.is_baseline)).scalar()
    projection = project_scenario(token, base, horizon_weeks=26, runs=20)
    total = projection.deterministic.frame("total")
    assert round(total["list_size"].iloc[0]) == 214_023
    change = total["list_size"].diff().iloc[1:]
    flows = (total["demand"] - total["treated"] - total["validated"]).iloc[1:]
    assert (change - flows).abs().max() < 1e-6
    assert projection.baseline is None


def test_plan_is_projected_beside_the_baseline_and_packs_into_html(app_db) -> None:
    """A plan with more theatres is compared with the baseline; the pack embeds SVG charts."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base = session.execute(sa.select(Scenario.id).where(Scenario.is_baseline)).scalar()
    plan = create_scenario(manager, base, "Plan")
    row = next(r for r in read_site_capacity(manager, plan) if r.code == "CANNOCK")
    update_site_capacity(manager, plan, row.site_id, "theatres", "14", row.theatre_version)
    projection = project_scenario(manager, plan, horizon_weeks=26, runs=20)
    assert projection.baseline is not None and projection.baseline_name.startswith("Baseline")
    html = board_pack_html(projection, dashboard_chart_specs(projection), "Black Country")
    assert html.count("<svg") >= 4
    assert "214,023" in html and "Theatre utilisation cap (capped)" in html
