"""Single sign-on over OpenID Connect (issue 14, "Single sign-on"; ASVS V2.1, V3.5, V51 OAuth).

Against a real OpenID provider on loopback (`oidc-provider-mock`, which signs real RS256 ID tokens
with authlib): the browser's round trip is played through the backend's two routes, the
provider's authorisation form is posted as a person would, and the session that comes back is
checked with the same service every page uses. Each test failed on the code before it: there was
no single sign-on at all.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from sqlmodel import select

from ics_capacity.db.models import AuditEvent, Collaborative, Membership, UserAccount
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, sso
from ics_capacity.services import users as us
from ics_capacity.ui.session_cookie import COOKIE
from ics_capacity.ui.single_sign_on import (
    CALLBACK_ROUTE,
    FLOW_COOKIE,
    START_ROUTE,
    single_sign_on,
)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security

ORIGIN = "https://capacity.nhs.example"
CLIENT_ID = "ics-capacity-test"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def configured(provider: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ICS_ALLOWED_ORIGINS", ORIGIN)
    monkeypatch.setenv("ICS_OIDC_ISSUER", provider)
    monkeypatch.setenv("ICS_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ICS_OIDC_CLIENT_SECRET", "a client secret")
    monkeypatch.setenv("ICS_OIDC_ALLOWED_DOMAINS", "bcpc.test,dgh.nhs.uk")
    return provider


class NotSso:
    """The app behind the routes: any request that reaches it was not single sign-on's."""

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    path: str, *, method: str, headers: dict[str, str], body: str = "", query: str = ""
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of one request through the single sign-on routes."""
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict:
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = [(k.decode(), v.decode()) for k, v in message["headers"]]
        else:
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "scheme": "http",
        "query_string": query.encode(),
        "client": ("127.0.0.1", 50000),
        "headers": [(k.encode(), v.encode()) for k, v in {"host": "app.test", **headers}.items()],
    }
    asyncio.run(single_sign_on(NotSso())(scope, receive, send))
    return answer["status"], answer["headers"], answer["body"]


def header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k == name), "")


def cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name == "set-cookie":
            key, _, rest = value.partition("=")
            found[key] = rest.split(";")[0]
    return found


def person(provider: str, sub: str, **claims: object) -> None:
    """Tells the provider who `sub` is (what its ID token will say)."""
    response = httpx.put(f"{provider}/users/{quote(sub)}", json=claims, timeout=10)
    assert response.status_code == 204


def round_trip(sub: str, *, next_path: str = "/rota", deny: bool = False) -> tuple[str, str]:
    """One whole sign-in: the start route, the provider's form, the callback.

    Returns:
        (where the browser goes at the end, the session token set, or "").
    """
    status, headers, _ = call(
        START_ROUTE, method="POST", headers={"origin": ORIGIN}, body=f"next={quote(next_path)}"
    )
    assert status == 303, status
    authorise = header(headers, "location")
    flow = cookies(headers)[FLOW_COOKIE]
    form = {"action": "deny"} if deny else {"sub": sub}
    answer = httpx.post(authorise, data=form, timeout=10, follow_redirects=False)
    back = urlsplit(answer.headers["location"])
    assert back.path == CALLBACK_ROUTE, back
    status, headers, body = call(
        CALLBACK_ROUTE, method="GET", headers={"cookie": f"{FLOW_COOKIE}={flow}"}, query=back.query
    )
    token = cookies(headers).get(COOKIE, "")
    if status == 200:
        match = re.search(rb'url=([^"]+)"', body)
        assert match, body
        return match.group(1).decode(), token
    assert status == 303
    cleared = [v for k, v in headers if k == "set-cookie" and v.startswith(FLOW_COOKIE)]
    assert cleared and "Max-Age=0" in cleared[0], "the flow cookie is cleared on every answer"
    return header(headers, "location"), token


def test_a_member_added_by_email_signs_in_and_is_bound_to_the_subject(app_db, configured) -> None:
    _, emails = app_db
    email = emails["viewer"]
    person(configured, "viewer-subject-1", email=email, email_verified=True, name="Vi Ewer")
    destination, token = round_trip("viewer-subject-1", next_path="/rota")
    assert destination == ORIGIN + "/rota"
    assert auth.current_principal(token).email == email
    with unit_of_work() as session:
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).one()
        assert (user.oidc_issuer, user.oidc_subject) == (configured, "viewer-subject-1")
    with pytest.raises(auth.SignInError) as refused:
        auth.sign_in(email, TEST_PASSWORD)
    assert str(refused.value) == auth.REFUSED_MESSAGE, "a bound account has no password"
    _, again = round_trip("viewer-subject-1")
    assert auth.current_principal(again).email == email


def test_the_same_email_from_another_subject_is_refused(app_db, configured) -> None:
    _, emails = app_db
    email = emails["manager"]
    person(configured, "manager-subject-1", email=email)
    round_trip("manager-subject-1")
    person(configured, "someone-else", email=email)
    destination, token = round_trip("someone-else")
    assert (destination, token) == (f"{ORIGIN}/login?sso=subject", "")


def test_a_domain_rule_lets_a_new_person_join_with_its_role_and_audits_it(
    app_db, configured
) -> None:
    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    with unit_of_work() as session:
        bcpc = session.exec(select(Collaborative.id).where(Collaborative.code == "BCPC")).one()
    person(configured, "new-1", email="New.Person@DGH.nhs.uk", email_verified=True, name="New P")
    assert round_trip("new-1") == (f"{ORIGIN}/login?sso=not-set-up", "")
    sso.add_domain_rule(admin, bcpc, domain="@DGH.nhs.uk", role="executive")
    assert [(r.domain, r.role) for r in sso.list_domain_rules(admin, bcpc)] == [
        ("dgh.nhs.uk", "executive")
    ]
    _, token = round_trip("new-1")
    principal = auth.current_principal(token)
    assert principal.email == "new.person@dgh.nhs.uk"
    assert principal.roles == {bcpc: "executive"}
    with unit_of_work() as session:
        audit = session.exec(
            select(AuditEvent.summary).where(
                AuditEvent.action == "user.add", AuditEvent.collaborative_id == bcpc
            )
        ).all()
    assert any("first single sign-on" in s and "@dgh.nhs.uk" in s for s in audit)


def test_unverified_emails_other_domains_and_disabled_accounts_are_refused(
    app_db, configured
) -> None:
    _, emails = app_db
    person(configured, "unverified", email=emails["executive"], email_verified=False)
    assert round_trip("unverified") == (f"{ORIGIN}/login?sso=no-email", "")
    person(configured, "gmail", email="someone@gmail.com", email_verified=True)
    assert round_trip("gmail") == (f"{ORIGIN}/login?sso=not-set-up", "")
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    with unit_of_work() as session:
        bcpc = session.exec(select(Collaborative.id).where(Collaborative.code == "BCPC")).one()
    us.set_account_active(admin, bcpc, email=emails["workforce_lead"], active=False)
    person(configured, "wl", email=emails["workforce_lead"])
    assert round_trip("wl") == (f"{ORIGIN}/login?sso=not-set-up", "")
    assert round_trip("wl", deny=True) == (f"{ORIGIN}/login?sso=cancelled", "")
    with unit_of_work() as session:
        made = session.exec(select(UserAccount).where(UserAccount.email == "someone@gmail.com"))
        assert made.first() is None


def test_a_code_from_another_browser_or_for_another_client_opens_nothing(
    app_db, configured, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, emails = app_db
    person(configured, "viewer-2", email=emails["viewer"])
    status, headers, _ = call(START_ROUTE, method="POST", headers={"origin": ORIGIN}, body="")
    answer = httpx.post(header(headers, "location"), data={"sub": "viewer-2"}, timeout=10)
    query = urlsplit(answer.headers["location"]).query
    # The attacker's own browser has a flow cookie of its own (another state), or none.
    _, mine, _ = call(START_ROUTE, method="POST", headers={"origin": ORIGIN}, body="")
    other = cookies(mine)[FLOW_COOKIE]
    status, headers, _ = call(
        CALLBACK_ROUTE, method="GET", headers={"cookie": f"{FLOW_COOKIE}={other}"}, query=query
    )
    assert (status, header(headers, "location")) == (303, f"{ORIGIN}/login?sso=expired")
    assert COOKIE not in cookies(headers)
    # An ID token is checked for this client: one issued to another client id is refused.
    status, headers, _ = call(START_ROUTE, method="POST", headers={"origin": ORIGIN}, body="")
    flow = cookies(headers)[FLOW_COOKIE]
    answer = httpx.post(header(headers, "location"), data={"sub": "viewer-2"}, timeout=10)
    monkeypatch.setenv("ICS_OIDC_CLIENT_ID", "another-client")
    status, headers, _ = call(
        CALLBACK_ROUTE,
        method="GET",
        headers={"cookie": f"{FLOW_COOKIE}={flow}"},
        query=urlsplit(answer.headers["location"]).query,
    )
    assert (status, header(headers, "location")) == (303, f"{ORIGIN}/login?sso=failed")


def test_the_start_route_refuses_other_sites_and_plain_gets(app_db, configured) -> None:
    assert call(START_ROUTE, method="POST", headers={"origin": "https://evil.example"})[0] == 403
    assert call(START_ROUTE, method="GET", headers={"origin": ORIGIN})[0] == 405
    status, headers, _ = call(
        START_ROUTE, method="POST", headers={"origin": ORIGIN}, body="next=//evil.example/x"
    )
    flow_cookie = next(v for k, v in headers if k == "set-cookie")
    assert "HttpOnly" in flow_cookie and "SameSite=Lax" in flow_cookie
    assert "Path=/_auth/oidc" in flow_cookie and "Max-Age=600" in flow_cookie
    location = urlsplit(header(headers, "location"))
    assert "code_challenge_method=S256" in location.query and "nonce=" in location.query
    assert call("/anything-else", method="GET", headers={})[0] == 418


def test_only_an_administrator_of_the_collaborative_manages_domain_rules(
    app_db, configured
) -> None:
    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    with unit_of_work() as session:
        ids = dict(session.exec(select(Collaborative.code, Collaborative.id)).all())
        before = session.exec(select(Membership)).all()
    bcpc = ids["BCPC"]
    for role in ("viewer", "manager"):
        token = auth.sign_in(emails[role], TEST_PASSWORD)
        with pytest.raises(auth.PermissionDeniedError):
            sso.add_domain_rule(token, bcpc, domain="dgh.nhs.uk", role="viewer")
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(auth.PermissionDeniedError):
        sso.list_domain_rules(outsider, bcpc)
    with pytest.raises(sso.InvalidInputError, match="Administrators are added by name"):
        sso.add_domain_rule(admin, bcpc, domain="dgh.nhs.uk", role="admin")
    with pytest.raises(sso.InvalidInputError, match="only these domains"):
        sso.add_domain_rule(admin, bcpc, domain="gmail.com", role="viewer")
    with pytest.raises(sso.InvalidInputError, match="not an email domain"):
        sso.add_domain_rule(admin, bcpc, domain="not a domain", role="viewer")
    sso.add_domain_rule(admin, bcpc, domain="dgh.nhs.uk", role="viewer")
    rule = sso.list_domain_rules(admin, bcpc)[0]
    with pytest.raises(auth.PermissionDeniedError):
        sso.remove_domain_rule(outsider, ids["QHL"], rule_id=rule.id)
    assert sso.list_domain_rules(admin, bcpc) == [rule]
    sso.remove_domain_rule(admin, bcpc, rule_id=rule.id)
    assert sso.list_domain_rules(admin, bcpc) == []
    with unit_of_work() as session:
        assert len(session.exec(select(Membership)).all()) == len(before)


def test_a_password_reset_makes_a_bound_account_a_password_account_again(
    app_db, configured
) -> None:
    _, emails = app_db
    email = emails["executive"]
    person(configured, "exec-1", email=email)
    round_trip("exec-1")
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    us.admin_reset_password(admin, email=email, new_password="a brand new passphrase 7")
    token = auth.sign_in(email, "a brand new passphrase 7")
    with pytest.raises(auth.PasswordChangeRequiredError):
        auth.current_principal(token)
    with unit_of_work() as session:
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).one()
        assert user.oidc_subject is None
