"""A rota built the week after the last one carries that rota's shifts in (issue 16 §2)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import build_and_wait_for_this_build, open_new_scenario

pytestmark = pytest.mark.browser


def test_the_next_weeks_rota_says_the_last_one_was_carried_in(pages) -> None:
    """Build one week, then the week after: the headline names the history it counted."""
    page = pages.signed_in("workforce_lead")
    open_new_scenario(page, "Rota history test")
    page.get_by_role("link", name="Rota").click()
    page.get_by_label("Scenario", exact=True).select_option(label="Rota history test (draft)")
    page.get_by_role("checkbox", name=re.compile("Cannock")).click()
    page.get_by_label("Weeks (1–12)").fill("1")
    page.get_by_text("Advanced: time limit, rules, demand and bank holidays").click()
    expect(page.get_by_label("Time limit (seconds)")).to_have_value("")
    build_and_wait_for_this_build(page, "Build rota")
    expect(page.get_by_text("no rule broken.")).to_be_visible()
    # The time limit was left empty: it followed the weeks, 10 s for one week.
    expect(page.get_by_text(re.compile(r"s of a 10 s limit"))).to_be_visible()
    page.get_by_label("Time limit (seconds)").fill("5")
    expect(page.get_by_text("History carried in")).to_have_count(0)

    start = page.get_by_label("First day")
    first = dt.date.fromisoformat(start.input_value())
    start.fill((first + dt.timedelta(days=7)).isoformat())
    build_and_wait_for_this_build(page, "Build rota")
    previous = f"{first.isoformat()} to {(first + dt.timedelta(days=6)).isoformat()}"
    expect(
        page.get_by_text(re.compile("History carried in from the previous rota"))
    ).to_contain_text(
        re.compile(rf"\({previous}\): [\d,]+ shifts of \d+ staff in the 7 days before; runs")
    )
    expect(page.get_by_text("no rule broken.")).to_be_visible()
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTIFACTS / f"rota-history-{width}.png", full_page=True)
