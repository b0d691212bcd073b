"""Accounts in Chromium: a reset leads to a forced change of password, and users end sessions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TEMPORARY = "temporary words from the admin"
CHOSEN = "my own chosen passphrase"


@pytest.fixture
def restore_lead_password(pages):
    """Gives the workforce lead the shared test password back: later tests sign in with it."""
    yield
    from sqlmodel import select

    from ics_capacity.db.models import UserAccount
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.auth import _hasher
    from tests.conftest import TEST_PASSWORD

    with unit_of_work() as session:
        user = session.exec(
            select(UserAccount).where(UserAccount.email == pages.accounts["workforce_lead"])
        ).one()
        user.password_hash = _hasher.hash(TEST_PASSWORD)
        user.must_change_password = False
        session.add(user)
        session.commit()


@pytest.mark.usefixtures("restore_lead_password")
def test_a_reset_password_must_be_changed_before_anything_else(pages) -> None:
    """The administrator resets the workforce lead's password; the lead's next sign-in leads to
    the change-password form, every other page leads back there, and the new password works."""
    admin = pages.signed_in("admin")
    admin.get_by_role("link", name="Users").click()
    expect(admin.get_by_role("table", name="Members")).to_contain_text(
        pages.accounts["workforce_lead"]
    )
    admin.locator("#reset-email").fill(pages.accounts["workforce_lead"])
    admin.locator("#reset-password").fill(TEMPORARY)
    admin.get_by_role("button", name="Set new password").click()
    expect(admin.get_by_text("they must change it at sign-in")).to_be_visible()

    lead = pages.new("workforce_lead")
    lead.goto(f"{pages.app_url}/login")
    lead.get_by_label("Email address").fill(pages.accounts["workforce_lead"])
    lead.get_by_label("Password", exact=True).fill(TEMPORARY)
    lead.get_by_role("button", name="Sign in").click()
    expect(lead).to_have_url(re.compile(r"/account"))
    expect(lead.get_by_text("Choose your own before you go on")).to_be_visible()
    lead.goto(f"{pages.app_url}/scenarios")
    expect(lead).to_have_url(re.compile(r"/account"))
    lead.get_by_label("Current password").fill(TEMPORARY)
    lead.get_by_label("New password", exact=True).fill(CHOSEN)
    lead.get_by_label("New password again").fill(CHOSEN)
    lead.get_by_role("button", name="Change password").click()
    expect(lead).not_to_have_url(re.compile(r"/account"))
    expect(lead.get_by_role("button", name="Sign out")).to_be_visible()


def test_users_see_their_sessions_and_end_the_others(pages) -> None:
    """Two browsers of the viewer: the first lists both and ends the other, which must sign in
    again."""
    phone = pages.signed_in("viewer")
    laptop = pages.signed_in("viewer")
    laptop.get_by_role("link", name="Your account").click()
    sessions = laptop.get_by_role("table", name="Your sessions")
    expect(sessions).to_contain_text("This browser")
    expect(sessions.get_by_role("button", name=re.compile("End the session"))).not_to_have_count(0)
    laptop.get_by_role("button", name="End all other sessions").click()
    expect(sessions.get_by_role("button", name=re.compile("End the session"))).to_have_count(0)
    phone.goto(f"{pages.app_url}/scenarios")
    expect(phone).to_have_url(re.compile(r"/login"))
    expect(laptop.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_the_session_cookie_is_httponly_and_sign_out_clears_it(pages) -> None:
    """The browser holds the session only in an HttpOnly, SameSite=Strict session cookie that the
    page's scripts cannot read; signing out removes it and the next page asks to sign in."""
    viewer = pages.signed_in("viewer")
    cookies = {c["name"]: c for c in viewer.context.cookies()}
    session = cookies["ics_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["expires"] == -1, "a session cookie: forgotten when the browser closes"
    assert "ics_session" not in viewer.evaluate("document.cookie")

    viewer.get_by_role("button", name="Sign out").click()
    expect(viewer.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "ics_session" not in {c["name"] for c in viewer.context.cookies()}
    viewer.goto(f"{pages.app_url}/")
    expect(viewer.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_warning_comes_before_the_idle_timeout(pages, monkeypatch) -> None:
    """With a 30-second idle timeout and a 22-second warning (the server in this process reads
    them at each check), the page warns, "Stay signed in" keeps the session, and a page left
    alone is then signed out."""
    monkeypatch.setenv("ICS_IDLE_TIMEOUT_MINUTES", "0.5")
    monkeypatch.setenv("ICS_IDLE_WARNING_SECONDS", "22")
    viewer = pages.signed_in("viewer")
    warning = viewer.get_by_role("alert").filter(has_text="You will be signed out soon")
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning).to_contain_text("signed out in about 1 minute.")
    viewer.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    expect(viewer.get_by_role("button", name="Sign out")).to_be_visible()
    expect(warning).to_be_visible(timeout=15_000)
    viewer.screenshot(path=str(pages_artifact("idle-warning")))
    expect(viewer.get_by_role("heading", name="Sign in")).to_be_visible(timeout=30_000)
    assert "/login?next=" in viewer.url


def pages_artifact(name: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
