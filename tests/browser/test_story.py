"""The whole chain a collaborative manager walks, in one browser session.

Edit capacity → the scenario page and the Dashboard show its effect → rebalance → save the plan →
the projection changes again → an executive approves → the Overview and the Dashboard open on it
as the plan of record → Compare says which scenario does better.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser

HEADLINE = "Waiting list (all pathways, member trusts)"


def _projected(page: Page) -> str:
    """The Dashboard's projected waiting list at the horizon, as the headline card shows it."""
    card = page.get_by_role("group", name=HEADLINE)
    expect(card).to_contain_text("projected in 104 weeks", timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="Projecting")).to_have_count(
        0, timeout=60_000
    )
    return card.locator("p").nth(1).inner_text()


def test_a_manager_plans_and_an_executive_approves_the_plan_of_record(pages) -> None:
    expect.set_options(timeout=30_000)  # a busy machine; every step waits for the server
    manager = pages.signed_in("manager")
    picker = manager.get_by_label("Scenario", exact=True)

    # 1. A new scenario with four more theatres at Cannock: the scenario page shows the effect.
    open_new_scenario(manager, "Story: more Cannock theatres")
    impact = manager.locator("#scenario-impact")
    expect(impact).to_contain_text("no change", timeout=60_000)  # a copy of the baseline
    cell = manager.get_by_label("Theatres at Cannock Chase Hospital")
    cell.fill("14")
    cell.press("Tab")
    waiting = impact.get_by_role("row", name=re.compile("Projected waiting list"))
    expect(waiting).to_contain_text("better", timeout=60_000)
    scenario_url = manager.url

    # 2. The Dashboard projects the scenario below the baseline it was made from.
    manager.get_by_role("link", name="Dashboard").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Dashboard")
    picker.select_option(label="Baseline April 2026 (approved)")
    baseline = _projected(manager)
    picker.select_option(label="Story: more Cannock theatres (draft)")
    plan_chart = manager.get_by_role("figure", name="Waiting list with and without the plan")
    expect(plan_chart.locator("svg g.mark-line path")).to_have_count(2, timeout=60_000)
    more_theatres = _projected(manager)
    assert _number(more_theatres) < _number(baseline)
    # Not the plan (another test may have approved one already, or none is approved yet).
    expect(manager.locator("#plan-of-record")).to_contain_text(
        re.compile("not the plan of record|No plan approved yet")
    )
    assert "scenario=" in manager.url  # the view can be shared

    # 3. Rebalance it and save the plan as a scenario of its own.
    manager.get_by_role("link", name="Rebalance").click()
    picker.select_option(label="Story: more Cannock theatres (draft)")
    manager.get_by_label("Horizon (weeks)").fill("13")
    manager.get_by_role("button", name="Run the optimiser").click()
    expect(manager.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=90_000
    )
    manager.get_by_label("Save this plan as a new scenario").fill("Story: rebalanced")
    manager.get_by_role("button", name="Save plan").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Story: rebalanced")
    plan_url = manager.url

    # 4. The saved plan moves the projection again.
    manager.get_by_role("link", name="Dashboard").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Dashboard")
    picker.select_option(label="Story: rebalanced (draft)")
    expect(manager.get_by_text("Projection of Story: rebalanced")).to_be_visible(timeout=60_000)
    rebalanced = _projected(manager)
    assert rebalanced != more_theatres

    # 5. Submitted by the manager, approved by an executive.
    manager.goto(plan_url)
    manager.get_by_role("button", name="Submit for approval").click()
    expect(manager.get_by_text("Submitted", exact=True)).to_be_visible()
    executive = pages.signed_in("executive")
    executive.goto(plan_url)
    executive.get_by_label("Decision note (optional)").fill("The board's plan")
    executive.get_by_role("button", name="Approve").click()
    expect(executive.get_by_text("Approved by executive@bcpc.test")).to_be_visible()

    # 6. The Overview and the Dashboard now open on it, and say so.
    viewer = pages.signed_in("viewer")
    expect(viewer.locator("#plan-of-record")).to_contain_text(
        "Plan of record: 'Story: rebalanced', approved by executive@bcpc.test"
    )
    viewer.get_by_role("link", name="Dashboard").click()
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(viewer.locator("#plan-of-record")).to_contain_text("This is the collaborative's plan")
    expect(viewer.get_by_text("Projection of Story: rebalanced")).to_be_visible(timeout=60_000)
    assert _projected(viewer) == rebalanced

    # 7. Compare says, in one line, which does better.
    scenario_id = scenario_url.rstrip("/").rsplit("/", 1)[-1]
    plan_id = plan_url.rstrip("/").rsplit("/", 1)[-1]
    viewer.goto(f"{pages.app_url}/compare?ids={scenario_id},{plan_id}")
    expect(viewer.locator("#compare-verdict")).to_contain_text("52-week", timeout=90_000)
    outcomes = viewer.get_by_role("table", name=re.compile("^Projected outcomes"))
    expect(outcomes).to_contain_text("Patients moved by the plan")
    # Each trust of each scenario against the baseline recorded when the executive approved.
    expect(
        viewer.get_by_role("heading", name=re.compile("^Against the recorded baseline"))
    ).to_contain_text("'Story: rebalanced', approved")
    recorded = viewer.get_by_role(
        "table", name=re.compile("^Each trust against the recorded baseline")
    )
    expect(recorded.get_by_role("columnheader", name="Story: rebalanced")).to_be_visible()
    wolverhampton = recorded.get_by_role("row").filter(has_text="The Royal Wolverhampton")
    # Five judged measures, then the patients treated and removed by validation, apart.
    expect(wolverhampton).to_have_count(7)
    # The approved scenario is its own record: the same on every trust and measure.
    expect(wolverhampton.filter(has_text="Waiting list")).to_contain_text("none (same)")
    expect(wolverhampton.filter(has_text="Removed by validation, not treated")).to_contain_text(
        "none (not judged)"
    )
    recorded.screenshot(path=str(ARTIFACTS / "compare-recorded-baseline.png"))


def _number(text: str) -> int:
    return int(text.replace(",", ""))
