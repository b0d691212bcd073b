"""The scenario's calendar in a real browser: add a week range + a change, see it, remove it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def _add_line(page, kind: str, site: str, first: str, last: str = "", value: str = "") -> None:
    page.get_by_label("Change", exact=True).select_option(kind)
    page.get_by_label("Site", exact=True).select_option(site)
    page.get_by_label("First week").fill(first)
    page.get_by_label("Last week").fill(last)
    page.get_by_label("Value (% or ramp weeks)").fill(value)


def test_a_manager_adds_a_hub_opening_and_a_refurbishment_to_the_calendar(pages) -> None:
    """The lines appear in planners' words, a bad line is refused naming its field, the weekly
    profile is drawn, bank holidays are listed, and a line can be removed."""
    page = pages.signed_in("manager")
    open_new_scenario(page, "Sandwell opens in week 9")
    section = page.locator("div", has=page.get_by_role("heading", name="Calendar: real weeks")).last
    expect(page.get_by_role("heading", name="Calendar: real weeks")).to_be_visible()
    expect(page.get_by_text("No changes yet")).to_be_visible()
    # England's bank holidays of the first year (week 1 starts 1 May 2026: 4 May is one).
    page.get_by_text("Bank holidays in the first year").click()
    expect(page.get_by_text("week 1: May Day (Mon 4 May 2026)")).to_be_visible()
    expect(page.get_by_text("Christmas Day").first).to_be_visible()
    expect(page.get_by_role("figure", name="Capacity open and demand by week")).to_be_visible()

    _add_line(page, "opens", "SANDWELL", "9", value="6")
    page.get_by_label("Note", exact=True).fill("new theatres commissioned")
    page.get_by_role("button", name="Add to calendar").click()
    lines = page.get_by_role("table", name="Calendar lines")
    expect(lines).to_contain_text(
        "SANDWELL opens week 9, ramping up over 6 weeks (new theatres commissioned)"
    )

    # A refurbishment that would remove more than all of Cannock's capacity is refused.
    _add_line(page, "percent", "CANNOCK", "10", "14", "-150")
    page.get_by_role("button", name="Add to calendar").click()
    expect(page.get_by_role("alert")).to_contain_text("value: -150% must be from -100% to +200%")

    _add_line(page, "percent", "CANNOCK", "10", "14", "-25")
    page.get_by_role("button", name="Add to calendar").click()
    expect(lines).to_contain_text("CANNOCK capacity -25% weeks 10-14")
    expect(lines.get_by_role("row")).to_have_count(3)  # heading + two lines
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=ARTIFACTS / "calendar-section.png")

    page.get_by_role("button", name="Remove CANNOCK capacity -25% weeks 10-14").click()
    expect(lines).not_to_contain_text("CANNOCK capacity")
    expect(lines).to_contain_text("SANDWELL opens week 9")
    # Everyone on the scenario is told what changed.
    expect(page.get_by_text("Latest change:")).to_contain_text("calendar")
