"""In the browser: each elective hub against GIRFT's standards, edited by a manager, read by a
viewer."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import phone_screenshot
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


HEADING = "Hub readiness against GIRFT's standards"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CANNOCK = "Cannock Chase Hospital (CANNOCK) against GIRFT's hub standards"


def _row(page: Page, hub: str, standard: str):
    return page.locator(f"#readiness-{hub}-{standard}")


def _wcag_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 A and AA violations inside the readiness section."""
    results = Axe().run(
        page,
        context="#hub-readiness",
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]


def _shot(page: Page, name: str) -> None:
    section = page.locator("#hub-readiness")
    section.scroll_into_view_if_needed()
    section.screenshot(path=f"/tmp/hubstd_{name}.png")


def test_a_manager_sees_the_standards_edits_a_hub_and_the_status_changes(pages) -> None:
    """Defaults are the standards, met; five days and uncapped utilisation change the status;
    a bad value is refused naming its limits; a viewer sees the table but no form."""
    page = pages.signed_in("manager")
    url = open_new_scenario(page, "Hub readiness")
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    table = page.get_by_role(
        "table", name="Cannock Chase Hospital (CANNOCK) against GIRFT's hub standards"
    )
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="Binds the plan?")).to_be_visible()
    days = _row(page, "CANNOCK", "operating_days")
    expect(days).to_contain_text("Utilisation and productivity")
    expect(days).to_contain_text("Six-day operating")
    expect(days).to_contain_text("Standard: 6 days a week")
    expect(days).to_contain_text("6 days a week")
    expect(days.get_by_role("cell").nth(2)).to_have_text("Met")
    expect(days).to_contain_text("Source: GIRFT elective hub principles (2022)")
    days.get_by_text("Source: GIRFT elective hub principles").click()
    expect(days.get_by_text("nhsproviders.org", exact=False)).to_be_visible()
    utilisation = _row(page, "CANNOCK", "utilisation")
    expect(utilisation).to_contain_text("Standard: 85% (capped)")
    expect(utilisation).to_contain_text("85% (capped)")
    expect(_row(page, "CANNOCK", "sessions_per_day")).to_contain_text("2.5 sessions a day")
    expect(_row(page, "CANNOCK", "cataracts_per_list")).to_contain_text("Not applicable")
    expect(_row(page, "CANNOCK", "day_case_rate")).to_contain_text("The patient pathway")
    expect(
        page.get_by_text("No rebalancing plan has been run for this scenario").first
    ).to_be_visible()
    _shot(page, "defaults")

    page.get_by_label("Operating days a week at CANNOCK").fill("5")
    page.get_by_label("Utilisation is at CANNOCK").select_option("uncapped")
    page.get_by_role("button", name="Save CANNOCK hub figures").click()
    expect(page.get_by_text("Saved Cannock Chase Hospital's hub figures")).to_be_visible()
    expect(days.get_by_role("cell").nth(2)).to_have_text("Not met")
    expect(days).to_contain_text("5 days a week")
    expect(_row(page, "CANNOCK", "sessions_per_day")).to_contain_text(
        "3 sessions a day (15 a week per theatre ÷ 5 days)"
    )
    expect(utilisation).to_contain_text("85% (uncapped)")
    expect(utilisation).to_contain_text("Unknown")
    expect(
        page.get_by_text("Uncapped utilisation: all use, overruns included").first
    ).to_be_visible()
    # Sandwell is untouched.
    expect(_row(page, "SANDWELL", "operating_days").get_by_role("cell").nth(2)).to_have_text("Met")
    _shot(page, "edited")
    assert _wcag_violations(page) == []

    page.get_by_label("Operating days a week at CANNOCK").fill("9")
    page.get_by_role("button", name="Save CANNOCK hub figures").click()
    expect(page.get_by_text("Operating days a week: 9 is outside 1 to 7.")).to_be_visible()
    expect(days).to_contain_text("5 days a week")

    # A site marked as a hub joins the table at once, with the defaults.
    page.get_by_label("Elective hub: MANOR").check()
    page.get_by_role("button", name="Save MANOR").click()
    manor = page.get_by_role("table", name=re.compile(r"\(MANOR\) against GIRFT"))
    expect(manor).to_be_visible()
    expect(_row(page, "MANOR", "sessions_per_day")).to_contain_text("Not met")
    expect(_row(page, "MANOR", "cataracts_per_list").get_by_role("cell").nth(2)).to_have_text("Met")

    viewer = pages.signed_in("viewer")
    viewer.goto(url)
    expect(viewer.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(_row(viewer, "CANNOCK", "operating_days")).to_contain_text("Not met")
    expect(viewer.get_by_role("button", name="Save CANNOCK hub figures")).to_have_count(0)
    _shot(viewer, "viewer")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    phone_screenshot(page, "hub-readiness")


def test_after_a_rebalancing_run_the_standards_that_set_a_full_resource_bind(pages) -> None:
    """A run of the optimiser fills hub resources; the readiness table marks what binds."""
    page = pages.signed_in("manager")
    url = open_new_scenario(page, "Readiness after a plan")
    page.get_by_role("link", name="Rebalance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    page.get_by_label("Scenario", exact=True).select_option(label="Readiness after a plan (draft)")
    page.get_by_label("Horizon (weeks)").fill("4")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=60_000
    )
    page.goto(url)
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(
        page.get_by_text("What binds is read from the last rebalancing plan").first
    ).to_be_visible()
    section = page.locator("#hub-readiness")
    expect(section.get_by_text("Binds:").first).to_be_visible()
    expect(section).to_contain_text(re.compile(r"full in weeks? \d"))
    _shot(page, "binds")
    assert _wcag_violations(page) == []
