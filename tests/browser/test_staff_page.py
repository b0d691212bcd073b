"""The Staff page in Chromium: a workforce lead adds a person to a draft, gives them leave, edits
them; a wrong field is named; a viewer sees the list and no form (issue 16 §3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, phone_screenshot
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def test_a_workforce_lead_adds_a_person_gives_leave_and_edits_them(pages) -> None:
    lead = pages.signed_in("workforce_lead")
    open_new_scenario(lead, "Staff page draft")
    lead.get_by_role("link", name="Staff", exact=True).click()
    expect(lead.get_by_role("heading", name="Staff", level=1, exact=True)).to_be_visible()
    lead.locator("#staff-scenario").select_option(label="Staff page draft (draft)")
    table = lead.get_by_role("table", name="Staff")
    expect(table).to_contain_text("Anaesthetist")
    expect(lead.get_by_role("heading", name="Add a person")).to_be_visible()

    lead.locator("#staff-code").fill("RBK-ANA-77")
    lead.locator("#staff-label").fill("Anaesthetist 77 (Walsall)")
    lead.locator("#staff-trust").fill("RBK")
    lead.locator("#staff-home_site").fill("MANOR")
    lead.locator("#staff-role").select_option("anaesthetist")
    lead.locator("#staff-contract").select_option("consultant_2003")
    lead.locator("#staff-sites").fill("MANOR;CANNOCK")
    lead.locator("#staff-hours").fill("90")
    lead.get_by_role("button", name="Add person").click()
    expect(lead.get_by_text("Contracted hours per week (90)")).to_be_visible(timeout=20_000)
    lead.locator("#staff-hours").fill("37.5")
    lead.get_by_role("button", name="Add person").click()
    expect(lead.get_by_role("heading", name="Edit RBK-ANA-77")).to_be_visible(timeout=20_000)
    expect(table).to_contain_text("RBK-ANA-77")

    lead.get_by_label("Find").fill("RBK-ANA-77")
    expect(table.locator("tbody tr")).to_have_count(1)
    lead.get_by_role("button", name="Leave of RBK-ANA-77").click()
    lead.get_by_label("Kind of leave").select_option("study_leave")
    lead.get_by_label("First day").fill("2027-03-01")
    lead.get_by_label("Last day").fill("2027-03-03")
    lead.get_by_role("button", name="Add leave").click()
    leave = lead.get_by_role("table", name="Leave and fixed days off")
    expect(leave).to_contain_text("Study leave", timeout=20_000)
    expect(leave).to_contain_text("Mon 01 Mar 2027")

    lead.get_by_role("button", name="Edit RBK-ANA-77").click()
    expect(lead.get_by_role("heading", name="Edit RBK-ANA-77")).to_be_visible()
    expect(lead.locator("#staff-hours")).to_have_value("37.5")
    lead.locator("#staff-hours").fill("30")
    lead.get_by_role("button", name="Save changes").click()
    expect(table.locator("tbody tr").first).to_contain_text("30", timeout=20_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lead.screenshot(path=ARTIFACTS / "staff-page.png", full_page=True)
    phone_screenshot(lead, "staff-page")


def test_a_viewer_sees_the_staff_and_no_form(pages) -> None:
    viewer = pages.signed_in("viewer")
    viewer.goto(f"{pages.app_url}/staff")
    expect(viewer.get_by_role("table", name="Staff")).to_contain_text("Anaesthetist")
    expect(viewer.get_by_role("heading", name="Add a person")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Remove").first).to_have_count(0)
