"""Approving a scenario makes it the plan of record; Compare shows outcomes and a verdict."""

from __future__ import annotations

import datetime as dt

import pytest

from ics_capacity.services import auth
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.comparison import ScenarioOutcome, compare_outcomes, verdict
from ics_capacity.services.dashboard import next_year_end, scenario_impact
from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.overview import load_overview
from ics_capacity.services.scenarios import (
    create_scenario,
    decide_scenario,
    list_scenarios,
    scenario_summary,
    submit_scenario,
)
from ics_capacity.ui.state.session import scenario_options
from tests.conftest import TEST_PASSWORD


def _approve(manager: str, executive: str, scenario_id: int) -> None:
    submit_scenario(manager, scenario_id, scenario_summary(manager, scenario_id).version)
    version = scenario_summary(executive, scenario_id).version
    decide_scenario(executive, scenario_id, version, approve=True, note="Board 3 Dec")


def test_the_last_approved_scenario_is_the_plan_the_pages_open_on(demo) -> None:
    _url, _emails, manager, executive, baseline, collaborative = demo
    # Before any approval: no plan; the Overview shows the published baseline and says so.
    overview = load_overview(manager, collaborative)
    assert overview is not None and overview.scenario_id == baseline
    assert not overview.plan_of_record
    assert not any(s.is_plan_of_record for s in list_scenarios(manager, collaborative))

    first = create_scenario(manager, baseline, "Hubs phase 1")
    second = create_scenario(manager, baseline, "Hubs phase 2")
    _approve(manager, executive, first)
    _approve(manager, executive, second)

    rows = list_scenarios(manager, collaborative)
    assert [s.id for s in rows if s.is_plan_of_record] == [second]
    overview = load_overview(manager, collaborative)
    assert overview is not None
    assert (overview.scenario_id, overview.plan_of_record) == (second, True)
    assert overview.approved_by == _emails["executive"].lower()
    # A picker with nothing chosen yet opens on the plan; one with a choice keeps it.
    options, chosen = scenario_options(rows, "")
    assert chosen == str(second)
    assert "Hubs phase 2 (plan of record)" in [o["name"] for o in options]
    assert scenario_options(rows, str(first))[1] == str(first)
    # Editing pages still prefer an editable scenario over the plan.
    draft = create_scenario(manager, baseline, "Still a draft")
    _, editable = scenario_options(list_scenarios(manager, collaborative), "", prefer_editable=True)
    assert editable == str(draft)


def test_an_outsider_learns_nothing_of_the_plan(demo) -> None:
    _url, emails, manager, executive, baseline, collaborative = demo
    plan = create_scenario(manager, baseline, "Secret plan")
    _approve(manager, executive, plan)
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        list_scenarios(outsider, collaborative)
    with pytest.raises(ServiceError):
        load_overview(outsider, collaborative)
    with pytest.raises(ServiceError):
        compare_outcomes(outsider, [baseline, plan], 52)


def test_compare_reads_outcomes_from_the_dashboards_projection(demo) -> None:
    """More sessions at Cannock: fewer projected waiters than the baseline at the same week."""
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    more = create_scenario(manager, baseline, "More Cannock sessions")
    row = next(r for r in read_site_capacity(manager, more) if r.code == "CANNOCK")
    update_site_capacity(manager, more, row.site_id, "sessions_per_week", "21", row.theatre_version)

    result = compare_outcomes(manager, [baseline, more], 52)
    base, better = result.outcomes
    assert (base.scenario_id, better.scenario_id) == (baseline, more)
    assert base.at_week == better.at_week == 52
    assert better.waiting_list < base.waiting_list
    assert better.over_52_weeks <= base.over_52_weeks
    assert base.patients_moved is None  # the baseline never carries a plan
    assert "'More Cannock sessions'" in result.verdict and "'Baseline April 2026'" in result.verdict
    with pytest.raises(InvalidInputError, match="Compare at"):
        compare_outcomes(manager, [baseline, more], 51)
    with pytest.raises(InvalidInputError, match="two or three"):
        compare_outcomes(manager, [baseline], 52)


def _outcome(name: str, cleared: int | None, over_52: float, cost: int | None) -> ScenarioOutcome:
    return ScenarioOutcome(
        scenario_id=hash(name) % 1000,
        name=name,
        at_week=52,
        at_date=dt.date(2027, 4, 29),
        waiting_list=200_000,
        within_18_weeks=0.6,
        over_52_weeks=over_52,
        over_65_weeks=0,
        over_52_cleared_week=cleared,
        over_65_cleared_week=None,
        horizon_weeks=104,
        rota_cost_pence=cost,
        places_short=None,
        patients_moved=None,
        independent_sector_cases=None,
    )


def test_the_verdict_says_who_clears_long_waits_sooner_and_for_what() -> None:
    a = _outcome("A", 40, 10, 100_000_000)
    b = _outcome("B", 31, 0, 140_000_000)
    assert verdict([a, b]) == (
        "'B' clears 52-week waits 9 weeks sooner than 'A' (week 31, not week 40), "
        "for £0.4m more on the rota."
    )
    never = _outcome("A", None, 900, None)
    assert verdict([never, b]) == (
        "'B' clears 52-week waits by week 31, which 'A' does not do within 104 weeks."
    )
    assert verdict([b, a]).startswith("'B' clears 52-week waits soonest (week 31)")
    c = _outcome("C", None, 400, None)
    assert verdict([never, c]) == (
        "Neither clears 52-week waits within 104 weeks; 'C' leaves 500 fewer 52-week waiters "
        "than 'A' at week 52."
    )


def test_the_scenario_page_impact_moves_with_capacity(demo) -> None:
    """More Cannock sessions: fewer waiting at the next year end than the parent baseline."""
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    more = create_scenario(manager, baseline, "Impact check")
    before = scenario_impact(manager, more)
    assert before.at_date == dt.date(2027, 3, 31)  # data of April 2026: the next 31 March
    assert before.at_week == (dt.date(2027, 3, 31) - dt.date(2026, 4, 30)).days // 7
    assert all(r.comparison == pytest.approx(r.scenario) for r in before.rows)  # a copy
    row = next(r for r in read_site_capacity(manager, more) if r.code == "CANNOCK")
    update_site_capacity(manager, more, row.site_id, "sessions_per_week", "21", row.theatre_version)
    after = {r.measure: r for r in scenario_impact(manager, more).rows}
    assert after["projected_waiting_list"].scenario < after["projected_waiting_list"].comparison
    assert (
        after["projected_within_18_weeks"].scenario > after["projected_within_18_weeks"].comparison
    )


def test_the_next_year_end_is_at_least_four_weeks_away() -> None:
    assert next_year_end(dt.date(2026, 4, 30)) == (47, dt.date(2027, 3, 31))
    assert next_year_end(dt.date(2027, 3, 10))[1] == dt.date(2028, 3, 31)
    assert next_year_end(dt.date(2027, 1, 31))[1] == dt.date(2027, 3, 31)
