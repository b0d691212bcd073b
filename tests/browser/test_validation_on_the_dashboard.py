"""In the browser: a manager sets a validation share on the scenario page; the dashboard shows
removals by validation apart from treatment, and the baseline's beside them; Compare too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import phone_screenshot
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser

HEADING = "Validation (not treatment)"
REMOVED = "Removed by validation, not treated (all pathways, member trusts)"
TREATED = "Treated over the projection (all pathways, member trusts)"


def test_a_validation_share_is_set_and_the_dashboard_keeps_it_apart_from_treatment(pages) -> None:
    """Each specialty shows its observed rate; 40% for trauma and orthopaedics is saved, 60% is
    refused naming the limits; the dashboard shows treated and removed by validation apart, and
    says the C_110 share is the scenario's setting, with the baseline's figures beside them; Compare
    names the extra validation; a viewer sees the shares but no field."""
    page = pages.signed_in("manager")
    url = open_new_scenario(page, "Validation sprint")
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    row = page.locator("#validation-row-C_110")
    expect(row).to_contain_text("Trauma and Orthopaedic")
    expect(row).to_contain_text("(default: 3% a month)")  # one month of RTT data
    field = page.get_by_label("Validation share a year for C_110 (%)")
    field.fill("40")
    page.get_by_role("button", name="Save C_110", exact=True).click()
    expect(page.get_by_text("Validation share for C_110: 40% a year", exact=True)).to_be_visible()
    field.fill("60")
    page.get_by_role("button", name="Save C_110", exact=True).click()
    expect(
        page.get_by_text("Validation share for C_110: '60' is outside 0 to 50% of the list a year.")
    ).to_be_visible()
    section = page.locator("#validation")
    section.scroll_into_view_if_needed()
    section.screenshot(path="/tmp/validation_scenario_page.png")

    page.get_by_role("link", name="Dashboard").click()
    page.locator("#dash-scenario").select_option(label="Validation sprint (draft)")
    removed = page.get_by_role("group", name=REMOVED)
    expect(removed).to_be_visible(timeout=60_000)
    treated = page.get_by_role("group", name=TREATED)
    expect(treated).to_be_visible()
    expect(removed).to_contain_text("of those leaving the list")
    apart = page.locator("#validation-apart")
    expect(apart).to_contain_text("is not counted as treatment")
    expect(apart).to_contain_text("the scenario's own setting")
    expect(apart).to_contain_text("C_110 40.0%", timeout=60_000)
    # Beside it, the comparison's own figures: the plan's extra validation is named as such.
    compared = page.locator("#validation-compared")
    expect(compared).to_contain_text("Without the plan (Baseline April 2026)")
    expect(compared).to_contain_text("observed rate")
    expect(compared).to_contain_text("more patients removed by validation than Baseline")
    apart.scroll_into_view_if_needed()
    apart.screenshot(path="/tmp/validation_dashboard.png")
    phone_screenshot(page, "validation-dashboard")

    # Compare gives both scenarios' removals by validation, apart from treatment.
    page.get_by_role("link", name="Scenarios").click()
    base_href = page.get_by_role("link", name="Baseline April 2026").get_attribute("href") or ""
    base_id, plan_id = base_href.rstrip("/").rsplit("/", 1)[-1], url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{pages.app_url}/compare?ids={base_id},{plan_id}")
    expect(page.locator("#compare-verdict")).to_contain_text(
        "more patients removed by validation (not treated) than", timeout=90_000
    )
    outcomes = page.get_by_role("table", name=re.compile("^Projected outcomes"))
    removed_row = outcomes.get_by_role("row").filter(has_text=REMOVED)
    expect(removed_row).to_have_count(1)
    source = outcomes.get_by_role("row").filter(has_text="Validation rate from")
    expect(source).to_contain_text("observed rates")
    expect(source).to_contain_text("own setting: C_110 40% a year")
    outcomes.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/validation_compare.png", full_page=True)

    viewer = pages.signed_in("viewer")
    viewer.goto(url)
    expect(viewer.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(viewer.locator("#validation-row-C_110")).to_contain_text("40% a year")
    expect(viewer.get_by_role("button", name="Save C_110", exact=True)).to_have_count(0)
