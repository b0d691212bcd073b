"""`ics-capacity rota`, run as the people who run the database would, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services.rota import EXPORT_COLUMNS

runner = CliRunner()
LIMIT_SECONDS = 4  # a one-week rota solve runs to its limit: the tests need no more
ONE_WEEK = [
    "--weeks",
    "1",
    "--sites",
    "SANDWELL",
    "--time-limit",
    str(LIMIT_SECONDS),
    "--workers",
    "1",
]


@pytest.fixture
def scenario(seeded_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo baseline's id, with the seeded database made the CLI's database."""
    monkeypatch.setenv("REFLEX_DB_URL", seeded_db_url)
    with unit_of_work(seeded_db_url) as session:
        return str(session.exec(select(Scenario.id).where(Scenario.is_baseline.is_(True))).first())


def test_json_prints_one_result_and_out_writes_the_csv(scenario: str, tmp_path: Path) -> None:
    """`--json` prints one object with the solve's figures; `--out x.csv` writes the rota."""
    target = tmp_path / "x.csv"
    out = runner.invoke(app, ["rota", scenario, *ONE_WEEK, "--json", "--out", str(target)])
    assert out.exit_code == 0, out.output
    (line,) = out.stdout.strip().splitlines()
    result = json.loads(line)
    assert {"status", "objective", "bound", "gap", "seconds", "time_limit", "workers"} <= set(
        result
    )
    assert result["status"] in ("optimal", "feasible")
    assert (result["time_limit"], result["workers"]) == (LIMIT_SECONDS, 1)
    assert result["bound"] <= result["objective"]
    assert result["gap"] >= 0
    assert 0 < result["seconds"] <= LIMIT_SECONDS + 4  # the limit plus building and describing
    assert result["checked_objective"] == result["objective"]
    assert result["hard_violations"] == 0
    assert result["settings"]["site_codes"] == ["SANDWELL"]
    assert result["settings"]["weeks"] == 1
    assert result["staffed_sessions_per_week"]["SANDWELL"] > 0
    # Places short, and the proven lower bound on it beside it (no rota leaves fewer).
    assert result["places_short"] == (
        result["gap_places"] + result["bank_pool_places"] + result["agency_pool_places"]
    )
    assert result["places_unfilled"] == result["gap_places"]
    assert result["pools"]["checked"] is True
    use = result["pools"]["use"]
    assert {u["kind"] for u in use} == {"bank", "agency"}
    assert all(u["busiest"] <= u["cap"] == 10 and u["period"] == "week" for u in use)
    assert all(u["hourly_pence"] <= 8156 for u in use)  # agency at most the consultant cap
    assert 0 <= result["places_short_lower_bound"] <= result["places_short"]
    # Fairness per WTE by staff group and kind, as the independent checker counts it.
    fairness = {(f["group"], f["kind"]): f for f in result["fairness"]}
    nurses = fairness["ward_nurse", "nights"]
    assert 0 <= nurses["fewest"] <= nurses["most"] and nurses["band_percent"] == 25
    spread = sum(
        (f["most"] - f["fewest"]) // 100 for f in result["fairness"] if f["kind"] == "nights"
    )
    assert result["objective_terms"].get("fairness:nights", 0) == spread * 5000

    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == result["assignments"] > 0
    assert {r["site"] for r in rows} == {"SANDWELL"}


def test_a_bad_start_date_exits_1_naming_the_option(scenario: str) -> None:
    """A start that is not a date exits with code 1 and names `--start`."""
    out = runner.invoke(app, ["rota", scenario, *ONE_WEEK, "--start", "2027-13-01"])
    assert out.exit_code == 1
    assert "--start: '2027-13-01' is not a date" in out.output
    assert out.stdout == ""


def test_an_unknown_site_exits_1_naming_it(scenario: str) -> None:
    """A site code the scenario lacks exits with code 1 and a `sites:` message naming it."""
    out = runner.invoke(app, ["rota", scenario, "--sites", "SANDWELL,NOWHERE", "--json"])
    assert out.exit_code == 1
    assert "sites: NOWHERE are not sites of this scenario" in out.output
    assert out.stdout == ""


def test_an_unknown_scenario_exits_1_naming_it(scenario: str) -> None:
    """A scenario id that does not exist exits with code 1 and names the id."""
    out = runner.invoke(app, ["rota", "999999", "--weeks", "1", "--json"])
    assert out.exit_code == 1
    assert "Scenario 999999 does not exist" in out.output


def test_settings_out_of_range_exit_1_naming_the_field(scenario: str) -> None:
    """An unknown rule pack or demand source exits with code 1 and names both fields."""
    out = runner.invoke(
        app, ["rota", scenario, *ONE_WEEK, "--rule-pack", "eu_only", "--demand", "wishes"]
    )
    assert out.exit_code == 1
    assert "rule pack: 'eu_only' is not one of" in out.output
    assert "demand: 'timetable' or 'plan'" in out.output


def test_pool_options_reach_the_settings_and_the_agency_price_is_capped(scenario: str) -> None:
    """--bank-cap 0 --agency-cap 3 --agency-uplift 90 caps the pools and pays the NHS price cap."""
    out = runner.invoke(
        app,
        [
            "rota",
            scenario,
            *ONE_WEEK,
            "--json",
            "--pool-scope",
            "collaborative",
            "--pool-period",
            "rota",
            "--bank-cap",
            "0",
            "--agency-cap",
            "3",
            "--agency-uplift",
            "90",
        ],
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    settings = result["settings"]
    assert (settings["pool_scope"], settings["pool_period"]) == ("collaborative", "rota")
    assert (settings["bank_pool_shifts"], settings["agency_pool_shifts"]) == (0, 3)
    use = result["pools"]["use"]
    assert {u["site"] for u in use} == {"collaborative"}
    agency = [u for u in use if u["kind"] == "agency"]
    assert agency and all(u["capped"] and u["shifts"] <= 3 for u in agency)
    assert result["bank_pool_places"] == 0 and result["pools"]["checked"] is True


def test_a_pool_setting_out_of_range_exits_1_naming_it(scenario: str) -> None:
    """An unknown pool scope and a negative cap are refused, each named."""
    out = runner.invoke(
        app, ["rota", scenario, *ONE_WEEK, "--pool-scope", "region", "--bank-cap", "-1"]
    )
    assert out.exit_code == 1
    assert "pool scope: 'site' (per site and role) or 'collaborative'" in out.output
    assert "bank pool cap: -1 is outside 0 to" in out.output
