"""Dated targets on the demo collaborative: each trust met or short, and what would close it."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.targets import DEFAULT_TARGETS, DatedTarget, TargetKind
from ics_capacity.services.dashboard import scenario_projection
from ics_capacity.services.dashboard_questions import check_target
from ics_capacity.services.scenarios import create_scenario
from ics_capacity.services.targets import scenario_targets


def test_each_trust_is_rated_and_a_missed_target_has_the_capacity_that_closes_it(demo) -> None:
    """Both default targets, every member trust; a missed one has extra treatment and sessions
    a week, a met one has none, and an impossible date is 'not projected'."""
    _url, _emails, _manager, executive, baseline, _collaborative = demo
    projection = scenario_projection(executive, baseline, 104)
    started = time.perf_counter()
    report = scenario_targets(executive, baseline, projection)
    elapsed = time.perf_counter() - started
    trusts = set(projection.names.values())
    assert {r.trust for r in report.rows} == trusts
    assert len(report.rows) == len(trusts) * len(DEFAULT_TARGETS)
    assert "Modelled" in report.caveat and "capped" in report.caveat
    for row in report.rows:
        assert row.status in ("Met", "Missed")
        if row.met:
            assert row.shortfall == 0 and row.extra_treatments_per_week is None
        else:
            assert row.shortfall and row.shortfall > 0
            assert row.extra_treatments_per_week is not None
            assert row.extra_treatments_per_week > 0
            assert row.extra_sessions_per_week is not None and row.extra_sessions_per_week >= 0
    # The baseline is its own comparison: nothing to compare it with.
    assert all(r.without_plan is None for r in report.rows)
    assert elapsed < 60, elapsed
    # On the April 2026 demo list, Sandwell and West Birmingham misses 65% by March 2027.
    sandwell = next(r for r in report.rows if r.ods_code == "RXK" and r.kind == "min_within_18")
    assert sandwell.status == "Missed"


def test_a_missed_long_wait_target_in_a_child_scenario_has_its_comparison(demo) -> None:
    """No 52-week waiters six weeks after the data is missed by every trust with long waiters;
    an unchanged child scenario's comparison (the baseline) has the same figures; the extra
    treatment a week that closes it is positive, and the closing sessions follow from it."""
    _url, _emails, manager, executive, baseline, _collaborative = demo
    child = create_scenario(manager, baseline, "Targets")
    projection = scenario_projection(executive, child, 26)
    soon = projection.start_date + dt.timedelta(weeks=6)
    no_52 = DatedTarget(TargetKind.MAX_LONG_WAITERS, 0, soon, over_weeks=52)
    report = scenario_targets(executive, child, projection, (no_52,))
    assert report.comparison
    missed = [r for r in report.rows if r.status == "Missed"]
    assert missed, "the demo trusts have 52-week waiters"
    for row in missed:
        assert row.week == 6 and row.unit == "patients"
        assert row.without_plan == pytest.approx(row.with_plan)
        assert row.met_without_plan is False
        assert row.shortfall == pytest.approx(row.with_plan)
        assert row.extra_treatments_per_week and row.extra_treatments_per_week > 0
    as_json = report.as_json()
    assert as_json["modelled"] is True and len(as_json["rows"]) == len(report.rows)


def test_a_target_beyond_the_horizon_is_not_projected(demo) -> None:
    _url, _emails, _manager, executive, baseline, _collaborative = demo
    projection = scenario_projection(executive, baseline, 26)
    far = DatedTarget(TargetKind.MIN_WITHIN_18, 92, dt.date(2029, 3, 31))
    report = scenario_targets(executive, baseline, projection, (far,))
    assert {r.status for r in report.rows} == {"Not projected"}
    assert all(r.extra_treatments_per_week is None for r in report.rows)


def test_the_project_command_reports_the_targets_in_its_json(demo) -> None:
    """`project SCENARIO --json` has every trust against the dated targets, labelled modelled;
    the text output names the missed one."""
    _url, _emails, _manager, _executive, baseline, _collaborative = demo
    runner = CliRunner()
    result = runner.invoke(app, ["project", str(baseline), "--json"])
    assert result.exit_code == 0, result.output
    targets = json.loads(result.stdout)["targets"]
    assert targets["modelled"] is True and "Modelled" in targets["caveat"]
    assert len(targets["rows"]) == 8
    missed = [r for r in targets["rows"] if r["status"] == "Missed"]
    assert [r["ods_code"] for r in missed] == ["RXK"]
    assert missed[0]["extra_treatments_per_week"] > 0
    assert missed[0]["extra_theatre_sessions_per_week"] > 0
    text = runner.invoke(app, ["project", str(baseline)])
    assert "Targets by date (modelled):" in text.stdout
    assert "Missed by" in text.stdout and "theatre sessions, capped" in text.stdout


def test_a_target_set_on_the_dashboard_joins_the_defaults_and_a_bad_one_is_refused(demo) -> None:
    _url, _emails, _manager, executive, baseline, _collaborative = demo
    report = check_target(
        executive, baseline, 52, kind="min_within_18", value="70%", over_weeks="", due="2027-03-31"
    )
    assert {r.target for r in report.rows} == {t.label for t in DEFAULT_TARGETS} | {
        "70% within 18 weeks by 31 March 2027"
    }
    with pytest.raises(InvalidInputError, match="not a date"):
        check_target(
            executive, baseline, 52, kind="min_within_18", value="70", over_weeks="", due="soon"
        )
