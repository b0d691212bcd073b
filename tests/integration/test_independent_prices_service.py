"""Independent-sector prices through the service: set per specialty, checked, and the spend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, IndependentSectorPrice, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.independent_prices import independent_prices, set_independent_price
from ics_capacity.services.rebalance import (
    rebalance_input_as_operator,
    run_rebalance_as_operator,
)
from ics_capacity.services.rebalance_view import describe_plan, spend_note
from ics_capacity.services.scenarios import ConflictError, FieldValueError, ScenarioError
from solvers.rebalance import check_result
from solvers.rebalance.schema import HubKind
from tests.conftest import TEST_PASSWORD


def _draft(url: str, emails: dict[str, str]) -> tuple[str, int]:
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return manager, sc.create_scenario(manager, baseline, "Bought capacity")


def test_a_price_reaches_the_independent_providers_and_the_plans_spend(app_db) -> None:
    """Orthopaedics at £5,000 a case: every independent hub offering it carries the price, the
    plan's spend is cases x £5,000, and the checker agrees; other specialties stay unpriced."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    rows = {r.tfc: r for r in independent_prices(manager, draft)}
    assert "C_110" in rows and rows["C_110"].price == "" and rows["C_110"].version == 0
    saved = set_independent_price(manager, draft, "C_110", "£5,000", expected_version=0)
    assert saved.price == "5000" and saved.version == 1
    data = rebalance_input_as_operator(draft, weeks=4, db_url=url)
    independent = [h for h in data.hubs if h.kind == HubKind.INDEPENDENT_SECTOR]
    assert independent
    for hub in independent:
        assert hub.price_per_case == ({"C_110": 5000.0} if "C_110" in hub.cases_per_week else {})
    result = run_rebalance_as_operator(draft, weeks=4, db_url=url, num_workers=1)
    assert check_result(data, result) == []
    bought = sum(s.cases for s in result.spend if s.tfc == "C_110")
    assert result.metrics.independent_sector_spend == pytest.approx(bought * 5000, rel=1e-6)
    assert result.metrics.unpriced_independent_cases == pytest.approx(
        sum(s.cases for s in result.spend if s.tfc != "C_110")
    )
    view = describe_plan(result, {})
    assert all(r["price"] in ("£5,000", "no price set") for r in view.spend)
    assert "independent-sector providers" in spend_note(result)
    with unit_of_work(url) as session:
        audits = session.execute(
            sa.select(AuditEvent.old_value, AuditEvent.new_value).where(
                AuditEvent.scenario_id == draft, AuditEvent.action == "independent.price"
            )
        ).all()
    assert [tuple(a) for a in audits] == [("no price", "£5,000")]
    copy = sc.create_scenario(manager, draft, "Bought capacity copy")
    assert {r.tfc: r for r in independent_prices(manager, copy)}["C_110"].price == "5000"


def test_bad_prices_stale_versions_unplanned_specialties_and_viewers_are_refused(app_db) -> None:
    """Nothing changes after a refusal; each message names the specialty and the limits."""
    url, emails = app_db
    manager, draft = _draft(url, emails)
    set_independent_price(manager, draft, "C_110", "4200.50", expected_version=0)
    with pytest.raises(ConflictError, match="was changed by manager@bcpc.test"):
        set_independent_price(manager, draft, "C_110", "10", expected_version=0)
    for text, message in [
        ("-5", "outside £0 to £100,000 a case"),
        ("lots", "'lots' is not a number of pounds"),
        ("inf", "outside £0 to £100,000"),
    ]:
        with pytest.raises(FieldValueError, match=message):
            set_independent_price(manager, draft, "C_110", text, expected_version=1)
    with pytest.raises(ScenarioError, match="is not planned"):
        set_independent_price(manager, draft, "C_300", "10", expected_version=0)
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert {r.tfc: r for r in independent_prices(viewer, draft)}["C_110"].price == "4200.50"
    with pytest.raises(auth.PermissionDeniedError):
        set_independent_price(viewer, draft, "C_110", "10", expected_version=1)
    with pytest.raises(auth.NotSignedInError):
        set_independent_price(None, draft, "C_110", "10", expected_version=1)
    removed = set_independent_price(manager, draft, "C_110", "", expected_version=1)
    assert removed.price == "" and removed.version == 0
    with unit_of_work(url) as session:
        assert session.execute(sa.select(IndependentSectorPrice)).all() == []
