"""In the browser: a manager prices orthopaedics bought from independent providers on the
scenario page, runs the optimiser, and the rebalance page shows the cases and the spend."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def test_a_price_per_case_is_set_and_the_plan_reports_its_spend(pages) -> None:
    """£4,500 for C_110 is saved, a bad price is refused in words, and after a run the rebalance
    page says what the plan buys from the independent sector and what it costs."""
    page = pages.signed_in("manager")
    open_new_scenario(page, "Bought at a price")
    expect(page.get_by_role("heading", name="Independent sector: price per case")).to_be_visible()
    row = page.locator("#price-row-C_110")
    expect(row).to_contain_text("Trauma and Orthopaedic")
    page.get_by_label("Price per case for C_110 (£)").fill("4500")
    page.get_by_role("button", name="Save price C_110", exact=True).click()
    expect(
        page.get_by_text("Independent-sector price for C_110: £4,500 a case", exact=True)
    ).to_be_visible()
    page.get_by_label("Price per case for C_110 (£)").fill("lots")
    page.get_by_role("button", name="Save price C_110", exact=True).click()
    expect(
        page.get_by_text("Independent-sector price for C_110: 'lots' is not a number of pounds")
    ).to_be_visible()
    section = page.locator("#independent-prices")
    section.scroll_into_view_if_needed()
    section.screenshot(path="/tmp/independent_prices.png")

    page.get_by_role("link", name="Rebalance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    page.get_by_label("Scenario", exact=True).select_option(label="Bought at a price (draft)")
    page.get_by_label("Horizon (weeks)").fill("4")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=90_000
    )
    spend = page.locator("#independent-spend")
    expect(
        spend.get_by_role("table", name="Independent sector bought: cases and spend")
    ).to_be_visible()
    # The demo buys orthopaedics from independent providers within four weeks.
    expect(spend).to_contain_text(re.compile(r"The plan buys [\d,]+ cases .* costing £[\d,]+"))
    expect(
        spend.get_by_role("row").filter(has_text="Trauma and Orthopaedics").first
    ).to_contain_text("£4,500")
    expect(spend).to_contain_text("have no price set, so the spend leaves them out")
    spend.scroll_into_view_if_needed()
    spend.screenshot(path="/tmp/independent_spend.png")
