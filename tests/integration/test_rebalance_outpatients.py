"""The stage before the first outpatient appointment, on the demo database: service and CLI."""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Organisation, RttActivity, Scenario, WaitingList
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.services.job_kinds import RebalanceJobParameters
from ics_capacity.services.rebalance import rebalance_input_as_operator, solve_instance
from ics_capacity.services.rebalance_outpatients import Outpatients
from ics_capacity.services.rebalance_view import PlanNames, describe_plan, who_moves_where
from solvers.common import Status
from solvers.rebalance import check_result
from solvers.rebalance.schema import STAGE_ADMITTED, STAGE_NON_ADMITTED, HubKind

runner = CliRunner()


def _scenario_id(url: str) -> int:
    with unit_of_work(url) as session:
        return session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()


def _rtt(url: str, scenario: int, ods: str, tfc: str) -> tuple[list[float], float]:
    """(Part_2 - Part_2A by band, Part_1B a week) of one trust's list, from the rows."""
    with unit_of_work(url) as session:
        org = session.exec(select(Organisation).where(Organisation.ods_code == ods)).one()
        bands = [0.0] * 105
        for row in session.exec(
            select(WaitingList).where(
                WaitingList.scenario_id == scenario,
                WaitingList.organisation_id == org.id,
                WaitingList.tfc == tfc,
            )
        ).all():
            sign = {"Part_2": 1.0, "Part_2A": -1.0}.get(row.part, 0.0)
            bands[row.wait_band_weeks] += sign * row.patients
        flows = session.exec(
            select(RttActivity).where(
                RttActivity.scenario_id == scenario,
                RttActivity.organisation_id == org.id,
                RttActivity.tfc == tfc,
            )
        ).all()
        latest = max(flows, key=lambda r: r.period)
        days = calendar.monthrange(latest.period.year, latest.period.month)[1]
        return [max(0.0, b) for b in bands], latest.completed_non_admitted * 7 / days


@pytest.fixture(scope="module")
def instances(seeded_db_url: str):
    scenario = _scenario_id(seeded_db_url)
    off = rebalance_input_as_operator(scenario, weeks=12, db_url=seeded_db_url)
    on = rebalance_input_as_operator(
        scenario, weeks=12, outpatients=Outpatients(clinic_factor=1.1), db_url=seeded_db_url
    )
    return scenario, off, on


def test_the_stage_is_off_unless_asked_for(instances) -> None:
    """Without it the instance is admitted-only; with it the admitted part is unchanged."""
    _, off, on = instances
    assert all(q.stage == STAGE_ADMITTED for q in off.queues)
    assert not any(h.outpatient_per_week for h in off.hubs)
    assert [q for q in on.queues if q.stage == STAGE_ADMITTED] == off.queues
    assert RebalanceJobParameters().non_admitted is False


def test_non_admitted_lists_and_clinics_come_from_the_rtt_rows(
    seeded_db_url: str, instances
) -> None:
    """List = Part_2 - Part_2A by band; demand = Part_1B a week; clinics = factor x Part_1B."""
    scenario, _, on = instances
    queue = next(
        q
        for q in on.queues
        if q.stage == STAGE_NON_ADMITTED and q.provider == "RL4" and q.tfc == "C_110"
    )
    bands, weekly = _rtt(seeded_db_url, scenario, "RL4", "C_110")
    assert queue.waiting_list == pytest.approx(bands[: len(queue.waiting_list)])
    assert sum(bands[len(queue.waiting_list) :]) == 0
    assert queue.weekly_demand == pytest.approx(weekly, abs=1e-3)
    clinics = [h for h in on.hubs if h.outpatient_per_week]
    assert {h.kind for h in clinics} == {HubKind.MAIN_SITE}
    rl4 = next(h for h in clinics if h.operator == "RL4")
    assert rl4.outpatient_per_week["C_110"] == pytest.approx(1.1 * weekly, abs=1e-3)


def test_the_demo_with_the_stage_solves_and_passes_the_checker(instances) -> None:
    """Optimal in seconds, checked, with patients moved to another trust's clinic."""
    _, _, on = instances
    result = solve_instance(on, time_limit_seconds=30, num_workers=1)
    assert result.status == Status.OPTIMAL
    assert result.seconds < 20
    assert check_result(on, result) == []
    assert result.metrics.non_admitted_transfers > 0
    moved = [r for r in result.plan if r.stage == STAGE_NON_ADMITTED and r.transfer]
    assert moved and all(r.hub in {h.id for h in on.hubs if h.outpatient_per_week} for r in moved)
    assert any(u.resource.startswith("outpatient:") for u in result.hub_use)
    assert all(not t.made_worse for t in result.trusts)


def test_the_page_view_shows_first_appointments_apart(instances) -> None:
    """The page lists first appointments moved and clinic use apart from treatment moves."""
    _, _, on = instances
    result = solve_instance(on, time_limit_seconds=30, num_workers=1)
    names = PlanNames(trusts={"RL4": "Royal Wolverhampton"})
    view = describe_plan(result, names)
    assert view.first_appointments and view.first_appointments[0]["patients"] != "0"
    assert "first outpatient" in view.first_appointments_note
    assert any(u["resource"] == "First outpatient appointments (clinics)" for u in view.hub_use)
    assert {m["stage"] for m in view.moves} == {"treatment"}
    moves = who_moves_where(result, names, moved_only=True)
    assert set(moves["stage"]) == {"treatment", "first outpatient appointment"}
    seen = sum(r.patients for r in result.plan if r.stage == STAGE_NON_ADMITTED and r.transfer)
    assert moves.loc[moves["stage"] == "first outpatient appointment", "patients"].sum() == (
        pytest.approx(seen, rel=1e-3, abs=1.0)
    )


def test_clinic_factor_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="Clinic capacity factor"):
        Outpatients(clinic_factor=7)


def test_cli_json_shows_first_appointments_moved(seeded_db_url: str, monkeypatch) -> None:
    """`rebalance SCENARIO --non-admitted --json` names the stage of every row and clinic use."""
    monkeypatch.setenv("REFLEX_DB_URL", seeded_db_url)
    scenario = str(_scenario_id(seeded_db_url))
    out = runner.invoke(
        app,
        [
            "rebalance",
            scenario,
            "--weeks",
            "8",
            "--non-admitted",
            "--clinic-factor",
            "1.1",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["status"] == "optimal"
    stages = {row["stage"] for row in result["plan"]}
    assert stages == {STAGE_ADMITTED, STAGE_NON_ADMITTED}
    assert result["metrics"]["non_admitted_transfers"] > 0
    assert any(u["resource"].startswith("outpatient:") for u in result["hub_use"])
    assert any(q["stage"] == STAGE_NON_ADMITTED for q in result["queues"])

    out = runner.invoke(app, ["rebalance", scenario, "--weeks", "8", "--json"])
    assert {row["stage"] for row in json.loads(out.stdout)["plan"]} == {STAGE_ADMITTED}


def test_cli_refuses_the_stage_with_an_instance_file(tmp_path: Path) -> None:
    out = runner.invoke(
        app, ["rebalance", "--instance", str(tmp_path / "x.json"), "--non-admitted"]
    )
    assert out.exit_code == 1 and "--non-admitted reads the scenario" in out.output
