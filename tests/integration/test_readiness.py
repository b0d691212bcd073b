"""Empty is never "optimal": every solver entry point refuses a model that lacks what it needs.

The Birmingham and Solihull collaborative of the test database holds only what `import rtt` gives
(waiting lists and activity, no sites, theatres or case mix): exactly the half-built model a new
system starts with. Each entry point (the CLI's rebalance, rota and project with --json, the page's
`start_job`, the Dashboard's projection, and the job runner) must answer `invalid_input` with the
reasons, never a plan of zeros.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import (
    Collaborative,
    RotaStaff,
    RttActivity,
    Scenario,
    Site,
    TheatreCapacity,
    WaitingList,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, jobs
from ics_capacity.services import scenarios as sc
from ics_capacity.services.dashboard import scenario_projection
from ics_capacity.services.readiness import ModelNotReadyError, rebalance_reasons
from tests.conftest import TEST_PASSWORD

runner = CliRunner()
NO_THEATRES = (
    "no site of this collaborative has theatre sessions: add them on the scenario page or from "
    "the sites template"
)


@pytest.fixture
def queued_only():
    """Jobs stay queued until a test runs them itself."""
    jobs.set_dispatcher(lambda job_id: None)
    yield
    jobs.set_dispatcher(None)


def _scenario_of(url: str, code: str) -> int:
    with unit_of_work(url) as session:
        return session.execute(
            sa.select(Scenario.id)
            .join(Collaborative, Collaborative.id == Scenario.collaborative_id)
            .where(Collaborative.code == code, Scenario.is_baseline)
        ).scalar_one()


def _json(args: list[str]) -> tuple[int, dict]:
    result = runner.invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def test_cli_rebalance_of_a_system_with_only_waiting_lists_is_invalid_input(app_db) -> None:
    """`rebalance SCENARIO --json` on an RTT-only system says invalid_input and what is missing."""
    url, _ = app_db
    code, body = _json(["rebalance", str(_scenario_of(url, "QHL")), "--json"])
    assert code == 2
    assert body["status"] == "invalid_input"
    assert body["reasons"][1] == NO_THEATRES.replace(": ", " (it has no sites): ")
    assert any(r.startswith("the scenario has no case mix") for r in body["reasons"])
    assert "optimal" not in json.dumps(body)


def test_cli_rota_of_a_system_without_hubs_or_staff_is_invalid_input(app_db) -> None:
    """`rota SCENARIO --json` with no hub and no rota staff names both."""
    url, _ = app_db
    code, body = _json(["rota", str(_scenario_of(url, "QHL")), "--json"])
    assert code == 2
    assert body["status"] == "invalid_input"
    assert [r.split(":")[0] for r in body["reasons"]] == [
        "no site of this scenario is an elective hub",
        "the scenario has no rota staff",
    ]


def test_cli_project_of_a_system_without_waiting_lists_is_invalid_input(app_db) -> None:
    """`project SCENARIO --json` without waiting lists or activity names both."""
    url, _ = app_db
    scenario = _scenario_of(url, "QHL")
    with unit_of_work(url) as session:
        session.execute(sa.delete(WaitingList).where(WaitingList.scenario_id == scenario))
        session.execute(sa.delete(RttActivity).where(RttActivity.scenario_id == scenario))
        session.commit()
    code, body = _json(["project", str(scenario), "--json"])
    assert code == 2
    assert body["status"] == "invalid_input"
    assert len(body["reasons"]) == 2
    assert body["reasons"][0].startswith("no member trust has a waiting list (RTT Part_2)")


def test_page_start_of_a_rebalance_or_rota_is_refused_with_reasons(app_db, queued_only) -> None:
    """The pages' `start_job` refuses before queueing anything, naming what is missing."""
    url, emails = app_db
    token = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    scenario = _scenario_of(url, "QHL")
    with pytest.raises(ModelNotReadyError) as refused:
        jobs.start_job(token, scenario, "rebalance", {})
    assert "no site of this collaborative has theatre sessions" in str(refused.value)
    assert str(refused.value).startswith("The rebalancing run cannot start: ")
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    draft = sc.create_scenario(lead, _scenario_of(url, "BCPC"), "No rota staff")
    with unit_of_work(url) as session:
        session.execute(sa.delete(RotaStaff).where(RotaStaff.scenario_id == draft))
        hub = session.execute(
            sa.select(Site.code).where(Site.scenario_id == draft, Site.is_elective_hub)
        ).scalar()
        session.commit()
    with pytest.raises(ModelNotReadyError) as refused:
        jobs.start_job(
            lead, draft, "rota", {"start_date": "2027-01-04", "weeks": 1, "site_codes": [hub]}
        )
    assert [r.split(":")[0] for r in refused.value.reasons] == ["the scenario has no rota staff"]
    with unit_of_work(url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(jobs.SolveJob)).scalar() == 0


def test_dashboard_projection_is_refused_with_reasons(app_db) -> None:
    """The Dashboard's projection service refuses a scenario with no waiting lists."""
    url, emails = app_db
    token = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    scenario = _scenario_of(url, "QHL")
    with unit_of_work(url) as session:
        session.execute(sa.delete(WaitingList).where(WaitingList.scenario_id == scenario))
        session.commit()
    with pytest.raises(ModelNotReadyError, match="no member trust has a waiting list"):
        scenario_projection(token, scenario, 52)


def test_job_runner_fails_a_run_whose_model_was_emptied_after_it_was_queued(
    app_db, queued_only
) -> None:
    """A queued rebalance whose sites lose their theatres fails with the reason, not 'optimal'."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    draft = sc.create_scenario(manager, _scenario_of(url, "BCPC"), "Readiness")
    job_id = jobs.start_job(manager, draft, "rebalance", {"time_limit_seconds": 5})
    with unit_of_work(url) as session:
        session.execute(
            sa.update(TheatreCapacity)
            .where(TheatreCapacity.scenario_id == draft)
            .values(sessions_per_week=0)
        )
        session.commit()
    view = jobs.run_job(job_id)
    assert view.status == "failed"
    assert NO_THEATRES in view.message
    assert view.rebalance is None


def test_the_demo_is_ready_and_a_site_without_theatres_is_not_enough(app_db) -> None:
    """The demo's model passes; a system with one site but no theatre row is refused."""
    url, _ = app_db
    with unit_of_work(url) as session:
        demo = session.get(Scenario, _scenario_of(url, "BCPC"))
        assert rebalance_reasons(session, demo) == []
        qhl = session.get(Scenario, _scenario_of(url, "QHL"))
        operator = session.execute(
            sa.select(WaitingList.organisation_id).where(WaitingList.scenario_id == qhl.id)
        ).scalar()
        session.add(Site(scenario_id=qhl.id, code="X1", name="Main", operator_id=operator))
        session.flush()
        reasons = rebalance_reasons(session, qhl)
    assert NO_THEATRES in reasons
    assert not any("it has no sites" in r for r in reasons)
