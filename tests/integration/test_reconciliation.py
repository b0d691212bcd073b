"""Every figure means one thing: the same measure, scenario and date give the same number on
every page and export that shows it; where populations differ, so do the labels (issue 13, §2).

One scenario (the demo baseline and a copy of it), one date (the April 2026 snapshot, and the
projection's horizon), read through each service a page calls: the Overview, Compare, the
Dashboard's projection at week 0, the board pack, the rebalance page's figures and the capacity
question beside the RAG.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.measures import label, measure
from ics_capacity.services import auth, jobs
from ics_capacity.services.board_pack import board_pack_html
from ics_capacity.services.capacity import compare_scenarios
from ics_capacity.services.dashboard import scenario_projection
from ics_capacity.services.dashboard_questions import capacity_question, default_capacity_question
from ics_capacity.services.overview import load_overview
from ics_capacity.services.projections import dashboard_chart_specs
from ics_capacity.services.rebalance import rebalance_input_as_operator
from ics_capacity.services.rebalance_view import latest_plan
from ics_capacity.services.scenarios import create_scenario
from tests.conftest import TEST_PASSWORD


def _baseline(url: str) -> tuple[int, int]:
    with unit_of_work(url) as session:
        row = session.execute(
            sa.select(Scenario.id, Scenario.collaborative_id).where(Scenario.is_baseline)
        ).first()
    assert row is not None
    return int(row[0]), int(row[1])


def _pack_row(html: str, key: str) -> tuple[str, str]:
    """The (now, projected) cells of the board pack's row labelled with the measure."""
    pattern = (
        re.escape(f">{label(key)}</td>") + r'<td class="n">([^<]*)</td><td class="n">([^<]*)</td>'
    )
    found = re.search(pattern, html.replace("&amp;", "&"))
    assert found, f"the board pack has no row labelled {label(key)!r}"
    return found.group(1), found.group(2)


def test_the_same_measure_is_the_same_number_everywhere(app_db) -> None:
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    base, collaborative = _baseline(url)
    copy = create_scenario(manager, base, "Same as the baseline")

    overview = load_overview(manager, collaborative)
    assert overview is not None and overview.scenario_id == base
    total = overview.total
    compared = {k.scenario_id: k for k in compare_scenarios(manager, [base, copy]).kpis}
    projection = scenario_projection(manager, base, 52)
    week0 = projection.deterministic.frame("total").iloc[0]

    # Waiting list, over 52 weeks and within 18 weeks: member trusts, all pathways, now.
    assert total.waiting_list == 214_023
    for figures in compared.values():
        assert figures.waiting_list == total.waiting_list
        assert figures.over_52_weeks == total.over_52_weeks
        assert figures.within_18_weeks_rate is not None
        assert abs(figures.within_18_weeks_rate - total.within_18_weeks_rate) < 1e-12
    assert round(week0["list_size"]) == total.waiting_list
    assert round(week0["over_52"]) == total.over_52_weeks
    assert abs(week0["pct_within_18"] / 100 - total.within_18_weeks_rate) < 1e-9

    # The board pack prints the Dashboard's figures under the same labels.
    html = board_pack_html(projection, dashboard_chart_specs(projection), "Black Country")
    assert _pack_row(html, "waiting_list")[0] == f"{total.waiting_list:,}"
    assert _pack_row(html, "over_52_weeks")[0] == f"{total.over_52_weeks:,}"
    end = projection.deterministic.frame("total").iloc[-1]
    assert _pack_row(html, "waiting_list")[1] == f"{end['list_size']:,.0f}"

    # Compare's system-wide figure counts more providers: a different number, a different label.
    system = compared[base].waiting_list_all_providers
    assert system == 221_510 and system > total.waiting_list
    assert label("waiting_list_all_providers") != label("waiting_list")
    assert measure("waiting_list_all_providers").providers != measure("waiting_list").providers


def test_rebalance_figures_reconcile_with_its_input_and_say_their_scope(app_db) -> None:
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    base, collaborative = _baseline(url)
    jobs.set_dispatcher(lambda job_id: None)  # the test runs the job itself
    try:
        job = jobs.start_job(manager, base, "rebalance", {"weeks": 8, "time_limit_seconds": 5})
    finally:
        jobs.set_dispatcher(None)
    jobs.run_job(job)
    _, plan = latest_plan(manager, base)
    overview = load_overview(manager, collaborative)
    assert overview is not None

    # Start figures: the admitted lists of the planned specialties the solver was given.
    instance = rebalance_input_as_operator(base, weeks=8, db_url=url)
    given = sum(sum(q.waiting_list) for q in instance.queues)
    assert abs(plan.start_total - given) < 0.5
    assert plan.start_total <= overview.total.admitted_list < overview.total.waiting_list
    # ... and the page says so, with the Overview's own figures.
    assert f"{plan.start_total:,.0f}" in plan.scope
    assert f"{overview.total.admitted_list:,}" in plan.scope
    assert f"{overview.total.waiting_list:,}" in plan.scope
    assert "week 8" in plan.scope

    # Over 52 weeks at the plan's end is another population and date than the Dashboard's.
    plan_over_52, dashboard_over_52 = (
        measure("plan_over_52_end"),
        measure("projected_over_52_weeks"),
    )
    assert plan_over_52.label != dashboard_over_52.label
    assert plan_over_52.pathways != dashboard_over_52.pathways
    assert plan_over_52.when != dashboard_over_52.when
    # The solver's end-of-plan list matches the per-trust rows the page shows.
    shown = sum(int(p["end"].replace(",", "")) for p in plan.providers)
    assert abs(shown - plan.end_total) <= len(plan.providers)


def test_capacity_question_and_rag_agree_on_the_same_target_and_date(app_db) -> None:
    url, emails = app_db
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    base, _ = _baseline(url)
    projection = scenario_projection(viewer, base, 52)
    target, by = default_capacity_question(projection)
    answer = capacity_question(viewer, base, 52, target, by)
    assert answer.by_week == 52
    assert "the same target, date, population and projection" in answer.rag_note
    rag = projection.rag[projection.rag["target"] == "92% within 18 weeks (standard)"]
    rated = dict(zip(rag["provider"], rag["status"], strict=True))
    values = dict(zip(rag["provider"], rag["value"], strict=True))
    for row in answer.rows:
        assert row.status == rated[row.trust], row.trust
        assert row.projected_percent is not None
        assert abs(row.projected_percent - values[row.trust]) < 1e-9
        # A trust the RAG rates below the target lacks treatment in some specialty, even when
        # its total need is below its total treatment (spare capacity in other specialties).
        assert (row.short > 0.5) == (row.status != "Green"), row.trust
        assert abs(row.needed - row.now - (row.short - row.spare)) < 1e-6
