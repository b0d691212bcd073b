"""Publish a rota and re-solve with minimal change, in Chromium (issue 16 §3).

A workforce lead adds a person with leave on the Staff page, builds a one-week rota, publishes
it, gives someone who works in it leave, rebuilds keeping the published rota where possible, and
sees every change listed, the leave among the reasons.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from ics_capacity.services.rota import next_monday
from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import build_and_wait_for_this_build, open_new_scenario

pytestmark = pytest.mark.browser

SCENARIO = "Publish test"


def _staff_page(page: Page) -> None:
    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", name="Staff", level=1, exact=True)).to_be_visible()
    page.locator("#staff-scenario").select_option(label=f"{SCENARIO} (draft)")
    expect(page.get_by_role("table", name="Staff")).to_contain_text("Anaesthetist")


def _leave(page: Page, find: str, on: dt.date) -> None:
    """Gives the one person the filter finds annual leave on one day."""
    table = page.get_by_role("table", name="Staff")
    page.get_by_label("Find").fill(find)
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(find)  # not the last search's row
    opener = table.get_by_role("button", name=re.compile("^Leave of "))
    name = opener.get_attribute("aria-label") or ""
    opener.click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    page.get_by_label("Kind of leave").select_option("annual_leave")
    page.get_by_label("First day").fill(on.isoformat())
    page.get_by_label("Last day").fill(on.isoformat())
    page.get_by_role("button", name="Add leave").click()
    expect(page.get_by_text(f"Leave added for {name.removeprefix('Leave of ')}")).to_be_visible()
    leave = page.get_by_role("table", name="Leave and fixed days off")
    added = leave.get_by_role("row").filter(has_text="Annual leave")
    expect(added.filter(has_text=f"{on:%a %d %b %Y}")).to_have_count(1)


def _rota_page(page: Page) -> None:
    page.get_by_role("link", name="Rota").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared workforce rota")
    page.get_by_label("Scenario", exact=True).select_option(label=f"{SCENARIO} (draft)")


def _build(page: Page) -> None:
    """Builds one week at Sandwell in a few seconds and waits for this build to finish."""
    cannock = page.get_by_role("checkbox", name=re.compile("Cannock"))
    if cannock.is_checked():
        cannock.click()
    expect(cannock).not_to_be_checked()
    page.get_by_label("Weeks (1–12)").fill("1")
    limit = page.get_by_label("Time limit (seconds)")
    if not limit.is_visible():
        page.get_by_text("Advanced: time limit, rules, demand and bank holidays").click()
    limit.fill("5")
    expect(page.get_by_role("checkbox", name=re.compile("Keep the published rota"))).to_be_checked()
    build_and_wait_for_this_build(page, "Build rota")
    expect(page.get_by_text("no rule broken.")).to_be_visible()


def test_publish_then_re_solve_with_minimal_change_lists_the_changes(pages) -> None:
    lead = pages.signed_in("workforce_lead")
    open_new_scenario(lead, SCENARIO)
    start = next_monday()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # A new member of staff with leave on the rota's third day.
    _staff_page(lead)
    expect(lead.get_by_role("heading", name="Add a person")).to_be_visible()
    # A late load of the draft re-draws the form and clears it: fill until the values stay.
    for _ in range(5):
        lead.locator("#staff-code").fill("RXK-ANA-88")
        lead.locator("#staff-label").fill("Anaesthetist 88 (Sandwell)")
        lead.locator("#staff-trust").fill("RXK")
        lead.locator("#staff-home_site").fill("SANDWELL")
        lead.locator("#staff-role").select_option("anaesthetist")
        lead.locator("#staff-contract").select_option("consultant_2003")
        lead.locator("#staff-sites").fill("SANDWELL")
        lead.locator("#staff-hours").fill("37.5")
        lead.wait_for_timeout(1_000)
        filled = (lead.locator(f"#staff-{f}").input_value() for f in ("code", "hours"))
        if list(filled) == ["RXK-ANA-88", "37.5"]:
            break
    lead.get_by_role("button", name="Add person").click()
    expect(lead.get_by_role("table", name="Staff")).to_contain_text("RXK-ANA-88")
    _leave(lead, "RXK-ANA-88", start + dt.timedelta(days=2))

    # Build the week and publish it.
    _rota_page(lead)
    expect(lead.locator("#start_date")).to_have_value(start.isoformat())
    _build(lead)
    expect(lead.get_by_text("No rota of this scenario has been published yet.")).to_be_visible()
    lead.get_by_role("button", name="Publish this rota").click()
    expect(lead.get_by_text(re.compile(r"Published on .* by .* \(this rota\)"))).to_be_visible()
    publications = lead.locator("#rota-publications")
    expect(publications).to_contain_text("Current")
    lead.screenshot(path=ARTIFACTS / "rota-published.png", full_page=True)

    # Someone who works a list in the published rota goes on leave that day.
    grid = lead.get_by_role("table", name=re.compile("Rota by staff"))
    worked = grid.get_by_role("button", name=re.compile(r"Sandwell.*list$")).first
    label = worked.get_attribute("aria-label")
    assert label is not None
    person, when = label.split(", ")[0], label.split(", ")[1].split(":")[0]
    day = next(
        start + dt.timedelta(days=d)
        for d in range(7)
        if f"{start + dt.timedelta(days=d):%a %d %b}" == when
    )
    _staff_page(lead)
    _leave(lead, person, day)
    lead.screenshot(path=ARTIFACTS / "rota-publish-leave-given.png", full_page=True)

    # Rebuild keeping the published rota where possible: every change is listed, with why.
    _rota_page(lead)
    _build(lead)
    note = lead.locator("#rota-changes-note")
    expect(note).to_contain_text(
        re.compile(r"Kept the rota published on .* \d+ published days? changed")
    )
    changes = lead.get_by_role("table", name="Each published day this build changed")
    row = changes.get_by_role("row").filter(has_text=person).filter(has_text=f"{day:%a %d %b}")
    expect(row).to_contain_text("leave or a day off")
    expect(row).to_contain_text("Off")
    lead.locator("#rota-changes").scroll_into_view_if_needed()
    lead.screenshot(path=ARTIFACTS / "rota-minimal-change.png", full_page=True)
    expect(lead.get_by_text(re.compile("The rota shown is a later build"))).to_be_visible()
    lead.locator("#rota-changes").screenshot(path=ARTIFACTS / "rota-minimal-change-panel.png")
    lead.set_viewport_size({"width": 390, "height": 844})
    lead.locator("#rota-changes").screenshot(path=ARTIFACTS / "rota-minimal-change-phone.png")

    # The publication stays downloadable, read-only, by anyone in the collaborative.
    lead.set_viewport_size({"width": 1366, "height": 900})
    with lead.expect_download() as download:
        publications.get_by_role("button", name=re.compile("as CSV$")).first.click()
    header = download.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("date,staff,name,role,trust,employment,site,shift")
