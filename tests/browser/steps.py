"""Steps the browser tests share (a module, not a test file: pytest does not collect it)."""

from __future__ import annotations

import re

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


def build_and_wait_for_this_build(page: Page, button: str, *, timeout: float = 90_000) -> None:
    """Clicks `button` and waits until this build, not an earlier one, has finished.

    The page says "Building…" (then "Searching…") while a build runs and "Finished: …" at the
    end. A one-week build can finish in under a second, faster than Playwright polls once its
    expectations back off to 1 s, so "Building" is caught by a MutationObserver installed before
    the click, which records any status that showed it, however briefly.
    """
    page.evaluate(
        """() => {
            window.__buildSeen = false;
            const look = () => {
                for (const s of document.querySelectorAll('[role=status]')) {
                    if (/Building|Searching/.test(s.textContent)) window.__buildSeen = true;
                }
            };
            window.__buildObserver?.disconnect();
            window.__buildObserver = new MutationObserver(look);
            window.__buildObserver.observe(
                document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.get_by_role("button", name=button).click()
    page.wait_for_function("() => window.__buildSeen === true", timeout=30_000)
    status = page.get_by_role("status").filter(has_text=re.compile("Building|Searching|Finished"))
    expect(status).to_contain_text(re.compile("Finished: (optimal|feasible)"), timeout=timeout)


def open_sign_in(page: Page, url: str) -> None:
    """Opens the sign-in page and waits until it is live: its load event has run on the server.

    The test app always offers single sign-on, whose button the page draws only once that event
    has answered. Typing before then can be lost: the load's answer re-draws the form, and a
    click before the page is live submits nothing to the server.
    """
    page.goto(url)
    expect(page.get_by_role("button", name=re.compile("^Sign in with your"))).to_be_visible()
