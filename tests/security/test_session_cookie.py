"""The session cookie (issue 14, "Sign-in and sessions"; ASVS V3.4, V3.2.3).

Each test failed on the code before it: the session token was an `rx.Cookie`, written by the
page's JavaScript (so not HttpOnly), kept for 12 hours after the browser closed, and held in the
tab's client state, which the Redis state manager stores.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import pickle
import re
from typing import Any

import pytest

from ics_capacity.services import auth
from ics_capacity.ui.session_cookie import (
    COOKIE,
    DIGEST_COOKIE,
    SESSION_ROUTE,
    SIGN_OUT_ROUTE,
    rewrite_cookie_header,
    session_cookie,
)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security

ORIGIN = "https://capacity.nhs.example"


class Backend:
    """The app behind `session_cookie`: records the headers of every request it is handed."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        self.seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def request(path: str, **kw) -> tuple[int, list[tuple[str, str]]]:
    """Status and headers of one request through `session_cookie`."""
    return asyncio.run(arequest(path, **kw))


async def arequest(
    path: str,
    *,
    body: str = "",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    backend: Backend | None = None,
) -> tuple[int, list[tuple[str, str]]]:
    """`request`, from a running event loop."""
    answer: dict[str, Any] = {}

    async def receive() -> dict:
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = [(k.decode(), v.decode()) for k, v in message["headers"]]

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "scheme": "http",
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    await session_cookie(backend or Backend())(scope, receive, send)
    return answer["status"], answer["headers"]


def header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k == name), "")


def cookie_token(set_cookie: str) -> str:
    match = re.match(rf"{COOKIE}=([^;]*)", set_cookie)
    assert match, set_cookie
    return match.group(1)


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICS_ALLOWED_ORIGINS", ORIGIN)


def _code(email: str) -> tuple[str, str]:
    token = auth.sign_in(email, TEST_PASSWORD)
    return token, auth.hand_off(token)


def test_the_cookie_is_httponly_strict_and_forgotten_when_the_browser_closes(
    app_db, allowed
) -> None:
    _, emails = app_db
    _, code = _code(emails["viewer"])
    status, headers = request(
        SESSION_ROUTE, body=f"code={code}&next=/dashboard", headers={"origin": ORIGIN}
    )
    assert status == 303
    assert header(headers, "location") == f"{ORIGIN}/dashboard"
    set_cookie = header(headers, "set-cookie")
    attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "SameSite=Strict" in set_cookie
    assert not attributes & {"max-age", "expires"}, "a session cookie: gone on browser close"
    assert "secure" not in attributes, "plain http (a laptop) cannot keep a Secure cookie"
    assert header(headers, "cache-control") == "no-store"


def test_the_cookie_is_secure_over_tls_and_in_production(
    app_db, allowed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, emails = app_db
    monkeypatch.setenv("ICS_TRUSTED_PROXY_HOPS", "1")
    _, code = _code(emails["viewer"])
    headers = {"origin": ORIGIN, "x-forwarded-proto": "https"}
    _, answer = request(SESSION_ROUTE, body=f"code={code}", headers=headers)
    assert "; Secure" in header(answer, "set-cookie")

    monkeypatch.setenv("ICS_ENV", "production")
    _, code = _code(emails["viewer"])
    _, answer = request(SESSION_ROUTE, body=f"code={code}", headers={"origin": ORIGIN})
    assert "; Secure" in header(answer, "set-cookie")


def test_a_code_works_once_within_a_minute_and_the_event_never_holds_the_token(
    app_db, allowed
) -> None:
    _, emails = app_db
    first, code = _code(emails["viewer"])
    _, headers = request(SESSION_ROUTE, body=f"code={code}", headers={"origin": ORIGIN})
    token = cookie_token(header(headers, "set-cookie"))
    assert auth.current_principal(token).email == emails["viewer"]
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(first)  # the token the sign-in event saw is dead

    status, again = request(SESSION_ROUTE, body=f"code={code}", headers={"origin": ORIGIN})
    assert status == 303 and not header(again, "set-cookie")
    assert header(again, "location").startswith(f"{ORIGIN}/login")

    _, late = _code(emails["viewer"])
    assert auth.redeem_hand_off(late, now=auth.utc_now() + dt.timedelta(seconds=61)) is None
    assert auth.redeem_hand_off(late) is not None


def test_another_site_cannot_set_or_clear_the_cookie(app_db, allowed) -> None:
    _, emails = app_db
    _, code = _code(emails["viewer"])
    for origin in ("https://evil.example", "null", ""):
        status, headers = request(SESSION_ROUTE, body=f"code={code}", headers={"origin": origin})
        assert status == 403 and not header(headers, "set-cookie")
        status, _ = request(SIGN_OUT_ROUTE, headers={"origin": origin})
        assert status == 403
    assert request(SESSION_ROUTE, method="GET", headers={"origin": ORIGIN})[0] == 405
    assert auth.redeem_hand_off(code), "the refused posts did not use the code up"


def test_sign_out_route_ends_the_session_and_expires_the_cookie(app_db, allowed) -> None:
    _, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    status, headers = request(
        SIGN_OUT_ROUTE,
        body="next=/login",
        headers={"origin": ORIGIN, "cookie": f"{COOKIE}={token}"},
    )
    assert status == 303 and header(headers, "location") == f"{ORIGIN}/login"
    assert "Max-Age=0" in header(headers, "set-cookie")
    assert "HttpOnly" in header(headers, "set-cookie")
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(token)


def test_reflex_sees_only_the_digest_and_never_a_forged_one() -> None:
    backend = Backend()
    forged = "0" * 64
    request(
        "/_event/",
        method="GET",
        headers={"cookie": f"theme=light; {DIGEST_COOKIE}={forged}; {COOKIE}=secret-token"},
        backend=backend,
    )
    cookie = backend.seen[0]["cookie"]
    assert "secret-token" not in cookie and forged not in cookie
    assert cookie == f"theme=light; {DIGEST_COOKIE}={auth.token_digest('secret-token')}"
    assert rewrite_cookie_header([(b"cookie", f"{DIGEST_COOKIE}={forged}".encode())]) == []


def test_the_tab_state_that_redis_stores_never_holds_the_raw_token(app_db, allowed) -> None:
    """Sign in through the login page's event and the cookie route, load a page, and pickle every
    state of the tab as the Redis state manager does: the token is not in it."""
    from reflex.istate.manager.memory import StateManagerMemory

    from ics_capacity.ui.pages.login import LoginState
    from ics_capacity.ui.state.session import SessionState
    from tests.security.test_every_event import Browser, run_async

    _, emails = app_db

    async def run() -> tuple[str, bytes, bool, str]:
        manager = StateManagerMemory()
        login = Browser(manager, "")
        await login.start()
        form = {"email": emails["viewer"], "password": TEST_PASSWORD}
        await login.send(LoginState, "submit", {"form": form})
        code = re.search(r'code\\*": \\*"([\w-]+)', login.seen_text())
        assert code, login.seen_text()
        body = f"code={code.group(1)}"
        _, headers = await arequest(SESSION_ROUTE, body=body, headers={"origin": ORIGIN})
        token = cookie_token(header(headers, "set-cookie"))
        tab = Browser(manager, token)
        tab.client = login.client  # the same tab, reloaded with its cookie
        await tab.start()
        await tab.send(SessionState, "require_sign_in")
        async with tab._locked(SessionState) as root:
            stored = b"".join(pickle.dumps(s) for s in _all_states(root))
            session = await root.get_state(SessionState)
            return token, stored, session.signed_in, session.user_email

    token, stored, signed_in, email = run_async(run())
    assert signed_in and email == emails["viewer"]
    assert token.encode() not in stored
    assert auth.token_digest(token).encode() in stored, "control: the pickle holds the headers"


def _all_states(root) -> list:
    found, stack = [], [root]
    while stack:
        state = stack.pop()
        found.append(state)
        stack.extend(state.substates.values())
    return found
