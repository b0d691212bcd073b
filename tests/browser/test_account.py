"""Accounts in Chromium: a reset leads to a forced change of password, and users end sessions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_in_process_app
from tests.browser.steps import open_sign_in

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
    open_sign_in(lead, f"{pages.app_url}/login")
    lead.get_by_label("Email address").fill(pages.accounts["workforce_lead"])
    lead.get_by_label("Password", exact=True).fill(TEMPORARY)
    lead.get_by_role("button", name="Sign in", exact=True).click()
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


@needs_in_process_app
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

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


@pytest.fixture
def restore_executive_two_step(pages):
    """Turns the executive's two-step verification off again: later tests sign in without it."""
    yield
    _set_executive_totp(pages, totp_secret=None, totp_enabled=False, totp_last_step=None)


def _set_executive_totp(pages, **values) -> None:
    import sqlalchemy as sa

    from ics_capacity.db.models import UserAccount
    from ics_capacity.db.session import unit_of_work

    with unit_of_work() as session:
        session.execute(
            sa.update(UserAccount)
            .where(UserAccount.email == pages.accounts["executive"])
            .values(**values)
        )
        session.commit()


@pytest.mark.usefixtures("restore_executive_two_step")
def test_two_step_verification_is_set_up_and_then_asked_at_sign_in(pages) -> None:
    import pyotp

    from tests.conftest import TEST_PASSWORD

    executive = pages.signed_in("executive")
    executive.goto(f"{pages.app_url}/account")
    executive.get_by_role("button", name="Set up two-step verification").click()
    key = executive.locator("#totp-key").inner_text()
    executive.get_by_label("Code from the app").fill(
        "000000" if pyotp.TOTP(key).now() != "000000" else "111111"
    )
    executive.get_by_role("button", name="Turn on two-step verification").click()
    expect(executive.get_by_role("alert")).to_contain_text("That code is not right")
    executive.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    executive.get_by_role("button", name="Turn on two-step verification").click()
    expect(executive.get_by_text("On: you sign in with your password")).to_be_visible()
    executive.screenshot(path=str(pages_artifact("two-step-on")))

    executive.get_by_role("button", name="Sign out").click()
    executive.get_by_label("Email address").fill(pages.accounts["executive"])
    executive.get_by_label("Password").fill(TEST_PASSWORD)
    executive.get_by_role("button", name="Sign in", exact=True).click()
    code_field = executive.get_by_label("Code from your authenticator app")
    expect(code_field).to_be_visible()
    executive.screenshot(path=str(pages_artifact("two-step-sign-in")))
    _set_executive_totp(pages, totp_last_step=None)  # as if the next 30 seconds had come
    code_field.fill(pyotp.TOTP(key).now())
    executive.get_by_role("button", name="Sign in", exact=True).click()
    expect(executive.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def restore_two_step_policy(pages):
    """Stops requiring two-step verification and turns it off for everyone afterwards."""
    yield
    import sqlalchemy as sa

    from ics_capacity.db.models import Collaborative, UserAccount
    from ics_capacity.db.session import unit_of_work

    with unit_of_work() as session:
        session.execute(sa.update(Collaborative).values(require_totp=False))
        session.execute(
            sa.update(UserAccount).values(totp_secret=None, totp_enabled=False, totp_last_step=None)
        )
        session.commit()


@pytest.mark.usefixtures("restore_two_step_policy")
def test_an_administrator_requires_two_step_and_resets_it(pages) -> None:
    """The administrator (with it on already) requires it; the viewer's next sign-in leads to
    setting it up before anything else; the administrator resets it for a lost phone."""
    import pyotp

    admin_key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    import sqlalchemy as sa

    from ics_capacity.db.models import UserAccount
    from ics_capacity.db.session import unit_of_work
    from tests.conftest import TEST_PASSWORD

    admin = pages.signed_in("admin")
    with unit_of_work() as session:  # the administrator set it up earlier
        session.execute(
            sa.update(UserAccount)
            .where(UserAccount.email == pages.accounts["admin"])
            .values(totp_secret=admin_key, totp_enabled=True)
        )
        session.commit()
    admin.goto(f"{pages.app_url}/users")
    admin.get_by_label("Require two-step verification of every member").click()
    expect(admin.get_by_text("now required of every member")).to_be_visible()
    expect(admin.get_by_label("Require two-step verification of every member")).to_be_checked()

    viewer = pages.new("viewer")
    open_sign_in(viewer, f"{pages.app_url}/login")
    viewer.get_by_label("Email address").fill(pages.accounts["viewer"])
    viewer.get_by_label("Password").fill(TEST_PASSWORD)
    viewer.get_by_role("button", name="Sign in", exact=True).click()
    expect(viewer.get_by_text("Your collaborative requires two-step verification")).to_be_visible()
    assert "/account" in viewer.url
    viewer.get_by_role("button", name="Set up two-step verification").click()
    key = viewer.locator("#totp-key").inner_text()
    viewer.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    viewer.get_by_role("button", name="Turn on two-step verification").click()
    expect(
        viewer.get_by_role("heading", name="Black Country Provider Collaborative")
    ).to_be_visible()

    admin.reload()
    admin.get_by_role(
        "button", name="Reset the two-step verification of " + pages.accounts["viewer"]
    ).click()
    expect(admin.get_by_text("they set it up again at sign-in")).to_be_visible()
    viewer.reload()
    expect(viewer.get_by_role("heading", name="Sign in")).to_be_visible()
