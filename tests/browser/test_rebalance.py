"""A manager runs the rebalancing optimiser in the browser and sees the plan's figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, phone_screenshot
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def test_rebalance_run_shows_before_and_after(pages) -> None:
    """The run finishes in the background and shows the optimum beside the two baselines."""
    page = pages.signed_in("manager")
    page.get_by_role("link", name="Rebalance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    page.get_by_label("Horizon (weeks)").fill("13")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_role("status")).to_contain_text("Finished: optimal", timeout=60_000)
    compare = page.get_by_role("table", name="Optimised plan beside the baselines")
    expect(compare.get_by_role("row")).to_have_count(4)
    expect(compare).to_contain_text("No collaboration")
    expect(page.get_by_text("This plan covers the admitted lists")).to_contain_text("214,023")
    trusts = page.get_by_role("table", name="Each trust: demand, its own capacity and the plan")
    expect(trusts).to_contain_text("The Royal Wolverhampton NHS Trust")
    expect(trusts).to_contain_text(re.compile("(Grows|Shrinks|Holds steady)"))
    expect(page.get_by_text(re.compile(r"^About [\d,]+ patients of .* go to "))).to_be_visible()
    # Every trust's KPIs against the recorded baseline (the published one, recorded on first use).
    expect(
        page.get_by_role("heading", name=re.compile("^Against the recorded baseline"))
    ).to_contain_text("approved")
    recorded = page.get_by_role(
        "table", name="Each trust's figures: the recorded baseline, this plan, the difference"
    )
    expect(recorded).to_contain_text("The Royal Wolverhampton NHS Trust")
    expect(recorded.get_by_role("row").filter(has_text="65+ weeks").first).to_contain_text("same")
    expect(page.get_by_text(re.compile("no-trust-worse guard compares"))).to_be_visible()
    recorded.screenshot(path=str(ARTIFACTS / "rebalance-recorded-baseline.png"))
    moves = page.get_by_role("table", name="Patients moved to another provider's site")
    expect(moves.get_by_role("row").nth(1)).to_contain_text("weeks")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the plan (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("From trust,Treatment function,Treated at,From the week starting in")
    limits = page.get_by_role("table", name="Limits that bind, and what one more unit is worth")
    expect(limits.get_by_role("row").nth(1)).to_contain_text("full in weeks")
    chart = page.get_by_role(
        "figure", name=re.compile("^Pressure \\(2 × mean wait ÷ target wait\\)")
    )
    expect(chart.locator("svg g.mark-rect path").first).to_be_visible()
    # Solver details are folded away until asked for.
    levels = page.get_by_role("table", name="Objective levels (lexicographic)")
    expect(levels).to_be_hidden()
    page.get_by_text("How this was solved").click()
    expect(levels).to_be_visible()
    phone_screenshot(page, "rebalance")


def test_viewer_cannot_run_the_optimiser(pages) -> None:
    """The viewer sees no run button (and the server refuses the event: tests/security)."""
    page = pages.signed_in("viewer")
    page.get_by_role("link", name="Rebalance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    expect(page.get_by_role("button", name="Run the optimiser")).to_have_count(0)


def test_a_finished_solve_reaches_a_colleague_live(pages) -> None:
    """An executive watching the scenario page hears of the manager's finished run at once."""
    manager = pages.signed_in("manager")
    url = open_new_scenario(manager, "Solve watch")
    executive = pages.signed_in("executive")
    executive.goto(url)
    expect(executive.get_by_role("heading", level=1)).to_have_text("Solve watch")

    manager.get_by_role("link", name="Rebalance").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    manager.get_by_label("Scenario", exact=True).select_option(label="Solve watch (draft)")
    manager.get_by_label("Horizon (weeks)").fill("13")
    manager.get_by_role("button", name="Run the optimiser").click()
    expect(manager.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=60_000
    )
    expect(executive.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "finished a rebalancing run (optimal)", timeout=15_000
    )


def test_first_appointments_move_apart_from_treatment(pages) -> None:
    """With the box ticked, first outpatient appointments moved and clinic use show apart."""
    page = pages.signed_in("manager")
    open_new_scenario(page, "Clinic transfers")
    page.get_by_role("link", name="Rebalance").click()
    page.get_by_label("Scenario", exact=True).select_option(label="Clinic transfers (draft)")
    page.get_by_label("Horizon (weeks)").fill("8")
    expect(page.get_by_label("Clinic capacity (× today's first appointments)")).to_have_count(0)
    # A controlled box: it shows ticked once the server has the change (no .check(), which
    # wants the state at once).
    box = page.get_by_label("Move patients before their first outpatient appointment")
    box.click()
    expect(box).to_be_checked()
    page.get_by_label("Clinic capacity (× today's first appointments)").fill("1.1")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=90_000
    )
    moved = page.get_by_role(
        "table", name="First outpatient appointments moved, by trust, clinic site and specialty"
    )
    expect(moved.get_by_role("row").nth(1)).to_contain_text("NHS")
    expect(
        page.get_by_text(re.compile("^Before a decision to admit, the plan gives"))
    ).to_be_visible()
    hubs = page.get_by_role("table", name=re.compile("^Use of hub capacity in the plan"))
    expect(hubs).to_contain_text("First outpatient appointments (clinics)")
    expect(page.get_by_text(re.compile("With them, the non-admitted lists"))).to_be_visible()
    treatment = page.get_by_role("table", name="Patients moved to another provider's site")
    expect(treatment).not_to_contain_text("first outpatient")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#first-appointments").screenshot(
        path=str(ARTIFACTS / "rebalance-first-appointments.png")
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "rebalance-non-admitted.png"))
