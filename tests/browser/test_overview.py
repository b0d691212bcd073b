"""The overview page, in Chromium, shows the real Black Country figures."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_overview_shows_the_published_waiting_lists(page: Page, app_url: str) -> None:
    """Each trust's waiting list appears as NHS England published it, with thousands separators."""
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Black Country Provider Collaborative"
    )
    trusts = page.get_by_role("table", name="Member trusts")
    for name, figure in [
        ("The Royal Wolverhampton NHS Trust", "73,776"),
        ("Sandwell and West Birmingham Hospitals NHS Trust", "65,630"),
        ("The Dudley Group NHS Foundation Trust", "46,643"),
        ("Walsall Healthcare NHS Trust", "27,974"),
    ]:
        row = trusts.get_by_role("row", name=re.compile(re.escape(name)))
        expect(row).to_contain_text(figure)
    expect(trusts.get_by_role("row", name=re.compile("Collaborative total"))).to_contain_text(
        "214,023"
    )
    expect(page.get_by_role("group", name="Waiting list")).to_contain_text("214,023")


def test_overview_lists_the_elective_hubs(page: Page, app_url: str) -> None:
    """Both orthopaedic elective hubs are listed with the trust that runs them."""
    page.goto(app_url)
    sites = page.get_by_role("table", name="Sites and elective hubs")
    expect(sites.get_by_role("row", name=re.compile("Cannock Chase"))).to_contain_text(
        "The Royal Wolverhampton NHS Trust"
    )
    expect(sites.get_by_role("row", name=re.compile("Elective hub"))).to_have_count(2)
    expect(page.get_by_role("group", name="Elective hubs")).to_contain_text("2")
