"""Steps the browser tests share (a module, not a test file: pytest does not collect it)."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def open_new_scenario(page: Page, name: str) -> str:
    """Branches a draft from the baseline on the Scenarios page; returns the new scenario's URL."""
    page.get_by_role("link", name="Scenarios").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenarios")
    # The list has loaded (a late load re-draws the form and would clear a name typed before).
    expect(page.get_by_role("link", name="Baseline April 2026")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    page.get_by_role("button", name="Create scenario").click()
    # Creating copies every table of the baseline: seconds on a busy machine, not a hang.
    expect(page.get_by_role("heading", level=1)).to_have_text(name, timeout=30_000)
    return page.url
