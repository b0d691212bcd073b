"""The two backend routes of single sign-on (OpenID Connect, authorisation code with PKCE).

1. The sign-in page posts, as a top-level form, to `/_auth/oidc/start` (refused from an origin
   outside `ICS_ALLOWED_ORIGINS`, like the cookie routes). The route makes the flow's `state`,
   `nonce` and PKCE verifier, keeps them with the page's origin and `next` path in a short-lived
   HttpOnly cookie (`SameSite=Lax`, so that it comes back on the provider's redirect, and scoped
   to `/_auth/oidc`), and sends the browser to the provider.
2. The provider sends the browser back to `/_auth/oidc/callback` with a code. The route checks the
   `state` against the cookie (so a code meant for another browser is refused), exchanges the code
   and verifies the ID token (`services/oidc.py`), and asks `services/sso.py` who the person is
   here. On success it sets the same HttpOnly, `SameSite=Strict` session cookie as a password
   sign-in and answers with a page that moves on to `next`: that last step starts from this
   site, so the browser sends the strict cookie with it even though the sign-in began at the
   provider's site.

Any failure sends the browser to `/login?sso=CODE`, where the page explains in plain words
(`sso.MESSAGES`); the provider's own error text goes only to the log, with a reference.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import html
import json
import logging
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote

from ics_capacity.services.oidc import Flow, OidcError, authorization_url, finish
from ics_capacity.services.security_log import security_event
from ics_capacity.services.sso import SingleSignOnRefusedError, sign_in_with_provider
from ics_capacity.settings import (
    allowed_origins,
    is_production,
    oidc_configured,
    oidc_redirect_uri,
)
from ics_capacity.ui.http_security import ASGIApp, Receive, Scope, Send, client_address, over_tls
from ics_capacity.ui.session_cookie import (
    origin_allowed,
    read_form,
    respond,
    safe_path,
    set_cookie_header,
)

START_ROUTE = "/_auth/oidc/start"
CALLBACK_ROUTE = "/_auth/oidc/callback"
FLOW_COOKIE = "ics_oidc_flow"
FLOW_SECONDS = 600
MAX_FLOW_COOKIE = 2048

logger = logging.getLogger(__name__)


def single_sign_on(app: ASGIApp) -> ASGIApp:
    """Wraps the backend: answers the two single sign-on routes, passes everything else on."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope.get("type") == "http" and path == START_ROUTE:
            await _start(scope, receive, send)
        elif scope.get("type") == "http" and path == CALLBACK_ROUTE:
            await _callback(scope, send)
        else:
            await app(scope, receive, send)

    return wrapped


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def callback_url(scope: Scope) -> str:
    """The address the provider sends the browser back to (registered there)."""
    if configured := oidc_redirect_uri():
        return configured
    scheme = "https" if over_tls(scope) else "http"
    host = _headers(scope).get("host", "localhost")
    return f"{scheme}://{host}{CALLBACK_ROUTE}"


def _secure(scope: Scope) -> bool:
    return over_tls(scope) or is_production()


def _flow_cookie(value: str, *, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[FLOW_COOKIE] = value
    morsel = cookie[FLOW_COOKIE]
    morsel["path"] = "/_auth/oidc"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    morsel["max-age"] = FLOW_SECONDS if value else 0
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def _encode(flow: Flow, origin: str, target: str) -> str:
    data = {"s": flow.state, "n": flow.nonce, "v": flow.code_verifier, "o": origin, "t": target}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(cookie_header: str) -> tuple[Flow, str, str] | None:
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except Exception:  # a malformed header is no flow
        return None
    morsel = cookie.get(FLOW_COOKIE)
    if morsel is None or len(morsel.value) > MAX_FLOW_COOKIE:
        return None
    try:
        raw = base64.urlsafe_b64decode(morsel.value + "=" * (-len(morsel.value) % 4))
        data = json.loads(raw)
        flow = Flow(state=str(data["s"]), nonce=str(data["n"]), code_verifier=str(data["v"]))
        return flow, str(data["o"]), safe_path(str(data["t"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None


def _login_url(origin: str, code: str) -> str:
    return f"{origin}/login?sso={quote(code)}"


def _fallback_origin() -> str:
    """Where to send a browser whose flow cookie is gone: the first configured origin, or here."""
    origins = [o for o in allowed_origins() if o != "*"]
    return origins[0] if origins else ""


async def _start(scope: Scope, receive: Receive, send: Send) -> None:
    origin = _headers(scope).get("origin", "")
    if scope.get("method") != "POST":
        await respond(send, 405, [])
        return
    if not origin_allowed(origin):
        await respond(send, 403, [])
        return
    if not oidc_configured():
        await respond(send, 303, [("location", _login_url(origin, "off"))])
        return
    form = await read_form(receive)
    target = safe_path(form.get("next", "/"))
    try:
        url, flow = await asyncio.to_thread(authorization_url, callback_url(scope))
    except OidcError as error:
        await _failed(send, origin, error)
        return
    cookie = _flow_cookie(_encode(flow, origin, target), secure=_secure(scope))
    await respond(send, 303, [("location", url), ("set-cookie", cookie)])


async def _callback(scope: Scope, send: Send) -> None:
    if scope.get("method") != "GET":
        await respond(send, 405, [])
        return
    headers = _headers(scope)
    secure = _secure(scope)
    params = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
    remembered = _decode(headers.get("cookie", ""))
    if remembered is None or not origin_allowed(remembered[1]):
        await _to_login(send, _fallback_origin(), "expired", secure)
        return
    flow, origin, target = remembered
    # An error answer opens nothing, so it is explained whether or not it carries the state
    # (some providers leave it out of a refusal).
    if "error" in params or not params.get("code"):
        reason = params.get("error", "no code")[:64]
        security_event("sign_in", "failure", reason=f"sso: provider said {reason}")
        code = "cancelled" if reason == "access_denied" else "failed"
        await _to_login(send, origin, code, secure)
        return
    if not hmac.compare_digest(params.get("state", ""), flow.state):
        security_event("sign_in", "failure", reason="sso: state does not match")
        await _to_login(send, origin, "expired", secure)
        return
    try:
        issuer, claims = await asyncio.to_thread(finish, params["code"], callback_url(scope), flow)
        peer = (scope.get("client") or ("", 0))[0]
        token = await asyncio.to_thread(
            sign_in_with_provider,
            claims,
            issuer=issuer,
            address=client_address(peer, headers),
            user_agent=headers.get("user-agent", ""),
        )
    except OidcError as error:
        await _failed(send, origin, error, secure)
        return
    except SingleSignOnRefusedError as error:
        await _to_login(send, origin, error.code, secure)
        return
    await _signed_in(send, origin + target, token, secure)


async def _failed(send: Send, origin: str, error: Exception, secure: bool = False) -> None:
    reference = secrets.token_hex(4)
    security_event("sign_in", "failure", reason="sso: exchange failed", reference=reference)
    logger.warning("Single sign-on failed (reference %s): %s", reference, error)
    await _to_login(send, origin, "failed", secure)


async def _to_login(send: Send, origin: str, code: str, secure: bool) -> None:
    cookie = _flow_cookie("", secure=secure)
    await respond(send, 303, [("location", _login_url(origin, code)), ("set-cookie", cookie)])


async def _signed_in(send: Send, destination: str, token: str, secure: bool) -> None:
    """Sets the session cookie; the page moves on from this site, so the strict cookie goes too."""
    escaped = html.escape(destination, quote=True)
    body = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={escaped}">'
        '<link rel="icon" href="data:,">'
        "<title>Signed in · ICS Capacity Planner</title></head>"
        "<body>"
        f'<p>You are signed in. <a href="{escaped}">Continue to ICS Capacity Planner</a>.</p>'
        "</body></html>"
    ).encode()
    await respond(
        send,
        200,
        [
            ("set-cookie", set_cookie_header(token, secure=secure)),
            ("set-cookie", _flow_cookie("", secure=secure)),
        ],
        body,
    )
