"""Single sign-on in Chromium, against a real OpenID provider on loopback (issue 14).

An administrator lets a trust's email domain join as workforce leads; a person of that trust
signs in with their organisation's account (the provider's own authorisation form, on another
site) and lands on the app signed in with that role; a person of a domain the server does not
allow comes back to the sign-in page with a plain message.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

BUTTON = "Sign in with your NHS.net or Microsoft account"


def _person(provider: str, sub: str, **claims: object) -> None:
    response = httpx.put(f"{provider}/users/{quote(sub)}", json=claims, timeout=10)
    assert response.status_code == 204


def _through_the_provider(page, app_url: str, sub: str) -> None:
    page.goto(f"{app_url}/login")
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_url(re.compile(r"localhost:\d+/oauth2/authorize"))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_a_domain_rule_then_single_sign_on_with_the_organisations_account(
    pages, oidc_provider: str
) -> None:
    admin = pages.signed_in("admin")
    admin.get_by_role("link", name="Users").click()
    panel = admin.get_by_role("heading", name="Single sign-on")
    expect(panel).to_be_visible()
    admin.locator("#sso-domain").fill("@DGH.nhs.uk")
    admin.locator("#sso-role").select_option("workforce_lead")
    admin.get_by_role("button", name="Add rule").click()
    rules = admin.get_by_role("table", name="Domain rules")
    expect(rules).to_contain_text("@dgh.nhs.uk")
    expect(rules).to_contain_text("Workforce lead")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=ARTIFACTS / "sso-domain-rule.png", full_page=True)

    _person(
        oidc_provider,
        "ada-subject",
        email="ada.lovelace@dgh.nhs.uk",
        email_verified=True,
        name="Ada Lovelace",
    )
    lead = pages.new("sso-lead")
    lead.goto(f"{pages.app_url}/login")
    expect(lead.get_by_role("button", name=BUTTON)).to_be_visible()
    lead.screenshot(path=ARTIFACTS / "sso-sign-in-page.png", full_page=True)
    _through_the_provider(lead, pages.app_url, "ada-subject")
    expect(lead.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    expect(lead.get_by_text("Ada Lovelace").first).to_be_visible()
    lead.get_by_role("link", name="Rota").first.click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("rota", ignore_case=True)

    admin.reload()
    expect(admin.get_by_role("table", name="Members")).to_contain_text("ada.lovelace@dgh.nhs.uk")


def test_a_person_the_server_does_not_allow_is_told_whom_to_ask(pages, oidc_provider: str) -> None:
    _person(oidc_provider, "stranger", email="someone@gmail.com", email_verified=True)
    page = pages.new("sso-refused")
    _through_the_provider(page, pages.app_url, "stranger")
    # The production build serves the page as /login/ (a folder), the development server as /login.
    expect(page).to_have_url(re.compile(r"/login/?\?sso=not-set-up"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("not set up for ICS Capacity Planner")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "sso-refused.png", full_page=True)
