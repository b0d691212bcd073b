"""Rebalancing the Black Country demo from the database, through the service and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import DEMO_SITES, ROAD_FACTOR, ROAD_SPEED_KM_PER_HOUR
from ics_capacity.services.rebalance import (
    ScenarioNotFoundError,
    export_instance_as_operator,
    haversine_km,
    rebalance_input_as_operator,
    run_rebalance_as_operator,
)
from ics_capacity.services.results import stored_rebalance
from solvers.common import Status
from solvers.rebalance import check_result
from solvers.rebalance.schema import HubKind, RebalanceInput

DOCS = Path(__file__).resolve().parents[2] / "docs"
runner = CliRunner()


def _scenario_id(url: str) -> int:
    with unit_of_work(url) as session:
        return session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first()


def _schema() -> dict:
    return json.loads((DOCS / "rebalance_instance.schema.json").read_text(encoding="utf-8"))


def test_demo_solves_optimally_and_passes_the_checker(seeded_db_url: str) -> None:
    """The demo is solved to optimality, checked, and beats no collaboration on worst pressure."""
    scenario = _scenario_id(seeded_db_url)
    result = run_rebalance_as_operator(
        scenario, time_limit_seconds=20, num_workers=1, db_url=seeded_db_url
    )
    data = rebalance_input_as_operator(scenario, db_url=seeded_db_url)
    assert result.status == Status.OPTIMAL
    assert check_result(data, result) == []
    assert result.gap == 0.0 and result.bound <= result.objective
    no_collab = result.baseline("no_collaboration").metrics
    assert result.metrics.worst_pressure < no_collab.worst_pressure
    assert result.metrics.long_wait_score <= no_collab.long_wait_score
    assert any(b.hub and b.worst_pressure_reduction_per_unit > 0 for b in result.binding_limits)


def test_instance_reads_lists_hubs_and_independent_capacity(seeded_db_url: str) -> None:
    """The instance holds the four trusts' admitted lists, the six sites and bought capacity."""
    data = rebalance_input_as_operator(_scenario_id(seeded_db_url), db_url=seeded_db_url)
    assert {q.provider for q in data.queues} == {"RBK", "RL4", "RNA", "RXK"}
    assert {h.id for h in data.hubs if h.kind != HubKind.INDEPENDENT_SECTOR} == {
        s.code for s in DEMO_SITES
    }
    independent = [h for h in data.hubs if h.kind == HubKind.INDEPENDENT_SECTOR]
    assert independent and all(h.cases_per_week and h.theatre is None for h in independent)
    rl4_t_and_o = next(q for q in data.queues if (q.provider, q.tfc) == ("RL4", "C_110"))
    assert sum(rl4_t_and_o.waiting_list) == 2541  # RTT Part_2A, April 2026
    assert rl4_t_and_o.weekly_demand > 0
    cannock = data.hub("CANNOCK")
    assert cannock.theatre.minutes_per_week == pytest.approx(30_600)


def test_travel_minutes_come_from_site_coordinates(seeded_db_url: str) -> None:
    """New Cross to Cannock = straight-line km x road factor / speed, to a tenth of a minute."""
    data = rebalance_input_as_operator(_scenario_id(seeded_db_url), db_url=seeded_db_url)
    sites = {s.code: s for s in DEMO_SITES}
    km = haversine_km(
        sites["NEWCROSS"].latitude,
        sites["NEWCROSS"].longitude,
        sites["CANNOCK"].latitude,
        sites["CANNOCK"].longitude,
    )
    expected = km * ROAD_FACTOR / ROAD_SPEED_KM_PER_HOUR * 60
    assert data.travel_minutes["RL4"]["CANNOCK"] == pytest.approx(expected, abs=0.05)
    assert data.travel_minutes["RL4"]["NEWCROSS"] == 0
    assert math.isclose(haversine_km(52.0, -2.0, 53.0, -2.0), 111.2, rel_tol=1e-3)


def test_export_validates_against_the_schema_and_round_trips(seeded_db_url: str) -> None:
    """The exported instance is valid JSON Schema data and reads back to the same instance."""
    scenario = _scenario_id(seeded_db_url)
    exported = export_instance_as_operator(scenario, weeks=26, db_url=seeded_db_url)
    jsonschema.validate(json.loads(json.dumps(exported)), _schema())
    assert RebalanceInput.model_validate(exported) == rebalance_input_as_operator(
        scenario, weeks=26, db_url=seeded_db_url
    )
    assert exported["settings"]["horizon_weeks"] == 26


def test_worked_example_in_docs_is_valid() -> None:
    """docs/examples/rebalance_instance.json validates against the published schema."""
    example = json.loads((DOCS / "examples" / "rebalance_instance.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(_schema())
    jsonschema.validate(example, _schema())
    assert RebalanceInput.model_validate(example).queues


def test_unknown_scenario_is_refused(seeded_db_url: str) -> None:
    """Asking for a scenario that does not exist raises an error naming its id."""
    with pytest.raises(ScenarioNotFoundError, match="Scenario 999999"):
        rebalance_input_as_operator(999_999, db_url=seeded_db_url)


def test_cli_prints_one_json_result(seeded_db_url: str, monkeypatch, tmp_path: Path) -> None:
    """`rebalance SCENARIO --json` prints one object with status, objective, bound and plan."""
    monkeypatch.setenv("REFLEX_DB_URL", seeded_db_url)
    scenario = str(_scenario_id(seeded_db_url))
    out = runner.invoke(
        app, ["rebalance", scenario, "--weeks", "12", "--time-limit", "20", "--json"]
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert {"status", "objective", "bound", "seconds", "plan"} <= set(result)
    assert result["status"] == "optimal" and result["plan"]
    assert result["settings"]["horizon_weeks"] == 12
    assert stored_rebalance(out.stdout).settings.horizon_weeks == 12  # the JSON reads back

    instance = tmp_path / "demo.json"
    out = runner.invoke(app, ["rebalance", scenario, "--export-instance", str(instance)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["rebalance", "--instance", str(instance), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["status"] == "optimal"


def test_cli_refuses_bad_ids_and_files(seeded_db_url: str, monkeypatch, tmp_path: Path) -> None:
    """A bad scenario id or instance file exits with code 1 and names what is wrong."""
    monkeypatch.setenv("REFLEX_DB_URL", seeded_db_url)
    out = runner.invoke(app, ["rebalance", "999999", "--json"])
    assert out.exit_code == 1 and "Scenario 999999 does not exist" in out.output
    bad = tmp_path / "bad.json"
    example = json.loads((DOCS / "examples" / "rebalance_instance.json").read_text("utf-8"))
    example["queues"][0]["weekly_demand"] = -5
    bad.write_text(json.dumps(example))
    out = runner.invoke(app, ["rebalance", "--instance", str(bad), "--json"])
    assert out.exit_code == 1 and "queues.0.weekly_demand" in out.output
    out = runner.invoke(app, ["rebalance", "--instance", str(tmp_path / "missing.json")])
    assert out.exit_code == 1 and "no such file" in out.output
