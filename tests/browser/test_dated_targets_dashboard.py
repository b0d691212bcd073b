"""On the dashboard: each member trust against the dated targets, with what would close a miss."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import phone_screenshot

pytestmark = pytest.mark.browser

TABLE = "Each member trust against the dated targets (modelled)"


def test_an_executive_sees_each_trust_against_the_dated_targets(pages) -> None:
    """Four trusts x two targets; Sandwell and West Birmingham misses 65% by March 2027 and is
    shown the extra treatments and theatre sessions a week that would close it; a met target
    shows none; the note says the figures are modelled."""
    page = pages.signed_in("executive")
    page.get_by_role("link", name="Dashboard").click()
    waiting = page.get_by_role("group", name="Waiting list (all pathways, member trusts)")
    expect(waiting).to_contain_text("now 214,023", timeout=30_000)
    table = page.get_by_role("table", name=TABLE)
    expect(table).to_be_visible(timeout=30_000)
    expect(table.get_by_role("row")).to_have_count(9)  # the heading row and 4 x 2
    expect(table.get_by_role("columnheader", name="Extra theatre sessions a week")).to_contain_text(
        "(capped)"
    )
    rows = table.get_by_role("row")
    missed = rows.filter(has_text="Sandwell and West Birmingham").filter(has_text="65% within")
    expect(missed).to_contain_text("65% within 18 weeks by 31 March 2027")
    expect(missed).to_contain_text("Missed")
    expect(missed).to_contain_text("points")
    cells = missed.get_by_role("cell")
    expect(cells.nth(6)).not_to_have_text("–")  # extra treatments a week
    expect(cells.nth(7)).not_to_have_text("–")  # extra theatre sessions a week
    met = rows.filter(has_text="Walsall Healthcare").filter(has_text="65-week")
    expect(met).to_contain_text("No 65-week waiters by 30 September 2026")
    expect(met).to_contain_text("Met")
    expect(met.get_by_role("cell").nth(6)).to_have_text("–")
    # A target of the executive's own: no 52-week waiters by the end of 2026.
    page.get_by_label("Kind of target").select_option(label="At most this many long waiters")
    page.get_by_label("Patients, or %").fill("0")
    page.get_by_label("Waiting over (weeks)").select_option("52")
    page.get_by_label("Target date").fill("2026-12-31")
    page.get_by_role("button", name="Check this target").click()
    expect(table.get_by_role("row")).to_have_count(13, timeout=30_000)
    own = rows.filter(has_text="No 52-week waiters by 31 December 2026")
    expect(own).to_have_count(4)
    page.get_by_label("Target date").fill("")
    page.get_by_role("button", name="Check this target").click()
    expect(page.get_by_text("By: '' is not a date.")).to_be_visible()
    section = page.locator("#dated-targets")
    expect(section).to_contain_text("Modelled")
    # Earlier browser tests may leave a planned scenario on the dashboard; either way the note
    # says what 'Without the plan' is, in a sentence.
    expect(section).to_contain_text(
        re.compile(
            r"This is the baseline: there is no plan to compare it with\."
            r"|'Without the plan' is compared with "
            r"(its parent scenario|the collaborative's baseline), '"
        )
    )
    section.scroll_into_view_if_needed()
    section.screenshot(path="/tmp/targets_dashboard_panel.png")
    phone_screenshot(page, "dated_targets")
