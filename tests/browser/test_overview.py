"""The overview page, in Chromium, shows the real Black Country figures to signed-in members."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import phone_screenshot
from tests.browser.steps import open_sign_in

pytestmark = pytest.mark.browser


def test_signed_out_visitors_are_sent_to_sign_in(page: Page, app_url: str) -> None:
    """Without a session the overview redirects to the sign-in page and shows no figures."""
    page.goto(app_url)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("73,776")).to_have_count(0)


def test_wrong_password_is_explained(page: Page, app_url: str, accounts) -> None:
    """A wrong password shows an error summary and keeps the visitor on the sign-in page."""
    open_sign_in(page, f"{app_url}/login")
    page.get_by_label("Email address").fill(accounts["viewer"])
    page.get_by_label("Password").fill("not the right one")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("email address or password is not right")


def test_overview_shows_the_published_waiting_lists(pages) -> None:
    """Each trust's waiting list appears as NHS England published it, with thousands separators."""
    page = pages.signed_in("viewer")
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
    card = page.get_by_role("group", name="Waiting list (all pathways, member trusts)")
    expect(card).to_contain_text("214,023")
    expect(
        trusts.get_by_role("columnheader", name="Admitted waiting list (member trusts)")
    ).to_be_visible()
    # The label's definition opens on keyboard focus (WCAG 2.2 SC 1.4.13: Escape dismisses it).
    card.locator(".measure-term").focus()
    tip = page.get_by_role("tooltip")
    expect(tip).to_contain_text("incomplete referral-to-treatment pathway")
    expect(tip).to_contain_text("member trusts")
    page.keyboard.press("Escape")
    expect(tip).to_have_count(0)
    phone_screenshot(page, "overview")


def test_overview_lists_the_elective_hubs(pages) -> None:
    """Both orthopaedic elective hubs are listed with the trust that runs them."""
    page = pages.signed_in("viewer")
    sites = page.get_by_role("table", name="Sites and elective hubs")
    expect(sites.get_by_role("row", name=re.compile("Cannock Chase"))).to_contain_text(
        "The Royal Wolverhampton NHS Trust"
    )
    expect(sites.get_by_role("row", name=re.compile("Elective hub"))).to_have_count(2)
    expect(page.get_by_role("group", name="Elective hubs", exact=True)).to_contain_text("2")


def test_outsider_sees_only_their_own_collaborative(pages) -> None:
    """A Birmingham and Solihull manager sees their system, never the Black Country's."""
    page = pages.signed_in("outsider")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Birmingham and Solihull")
    expect(page.get_by_label("Collaborative")).not_to_contain_text("Black Country")
    expect(page.get_by_text("73,776")).to_have_count(0)
