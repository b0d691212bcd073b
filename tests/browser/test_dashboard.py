"""The executive dashboard projects the scenario and draws its charts in the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import phone_screenshot
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def test_dashboard_projects_and_draws_charts(pages) -> None:
    """An executive sees projected figures, a fan chart with its band, and the RAG table."""
    page = pages.signed_in("executive")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    waiting = page.get_by_role("group", name="Waiting list (all pathways, member trusts)")
    # The projection runs in the background (about a second; longer on a busy machine).
    expect(waiting).to_contain_text("now 214,023", timeout=30_000)
    fan = page.get_by_role("figure", name="Projected waiting list")
    expect(fan.locator("svg g.mark-area path")).to_have_count(1)
    expect(fan.locator("svg g.mark-line path").first).to_be_visible()
    rag = page.get_by_role(
        "figure", name="RAG against the RTT targets (all pathways, member trusts)"
    )
    expect(rag.locator("svg g.mark-rect path").first).to_be_visible()
    expect(page.get_by_text("Rated on the projection of all pathways")).to_be_visible()

    page.get_by_label("Show").select_option(label="Walsall Healthcare NHS Trust")
    expect(fan).to_contain_text("Walsall Healthcare NHS Trust", timeout=15_000)
    page.get_by_label("Show").select_option(label="The whole collaborative")
    expect(fan).not_to_contain_text("Walsall Healthcare NHS Trust")
    expect(page).not_to_have_url(re.compile(r"trust="))
    # The second time the trust's view is kept by the server and shown within the event.
    page.get_by_label("Show").select_option(label="Walsall Healthcare NHS Trust")
    expect(fan).to_contain_text("Walsall Healthcare NHS Trust")
    expect(page).to_have_url(re.compile(r"trust=\d+"))
    page.get_by_label("Show").select_option(label="The whole collaborative")
    expect(fan).not_to_contain_text("Walsall Healthcare NHS Trust")

    # The question opens on the RAG's standard: 92% within 18 weeks at the horizon.
    expect(page.get_by_label("Share within 18 weeks (%)")).to_have_value("92")
    page.get_by_role("button", name="Work it out").click()
    table = page.get_by_role("table", name="Treatments a week needed")
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table).to_contain_text("The Royal Wolverhampton NHS Trust")
    expect(page.get_by_text("This is the question the RAG's")).to_be_visible()
    page.get_by_label("Share within 18 weeks (%)").fill("65")
    page.get_by_label("By", exact=True).fill("2027-03-31")
    page.get_by_role("button", name="Work it out").click()
    expect(page.get_by_text("so the two can differ")).to_be_visible()
    phone_screenshot(page, "dashboard")


def test_switching_scenario_changes_the_projection(pages) -> None:
    """A plan with more theatres shows the with-and-without chart and a different projection."""
    manager = pages.signed_in("manager")
    open_new_scenario(manager, "More theatres")
    cell = manager.get_by_label("Theatres at Cannock Chase Hospital")
    cell.fill("14")
    cell.press("Tab")
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "theatres"
    )
    manager.get_by_role("link", name="Dashboard").click()
    before = manager.get_by_role("group", name="Waiting list (all pathways, member trusts)")
    expect(before).to_contain_text("now 214,023", timeout=30_000)
    manager.get_by_label("Scenario").select_option(label="More theatres (draft)")
    plan = manager.get_by_role("figure", name="Waiting list with and without the plan")
    expect(plan.locator("svg g.mark-line path")).to_have_count(2, timeout=30_000)
