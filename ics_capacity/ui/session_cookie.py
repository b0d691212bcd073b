"""The session cookie: HttpOnly, SameSite=Strict, Secure over TLS, gone when the browser closes.

Reflex's client storage (`rx.Cookie`) is written by the page's JavaScript, so it cannot be
HttpOnly. Instead the sign-in event asks the services for a one-time code (`auth.hand_off`, good
for 60 seconds, once) and the browser posts it, as a top-level form, to the backend route
`/_auth/session`. The route exchanges it for the session's token (`auth.redeem_hand_off` gives
the session a fresh token that only this response carries), sets the cookie and sends the browser
on to the page it asked for. `/_auth/sign-out` clears the cookie the same way. Both routes refuse
a post from an origin outside `ICS_ALLOWED_ORIGINS`, so another site cannot sign a person in or
out.

Every request and websocket handshake passes through `session_cookie`, which takes the raw token
out of the `Cookie` header and puts its SHA-256 in its place (`ics_session_sha256`), dropping any
such cookie a client sent itself. Reflex keeps the handshake's headers in the tab's client state
(stored in Redis with the Redis state manager), so what it keeps is only the digest, which the
database holds anyway and which is no use as a cookie. `SessionState.token` reads it back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from reflex_base.config import get_config

from ics_capacity.services.auth import SessionDigest, redeem_hand_off, sign_out, token_digest
from ics_capacity.settings import allowed_origins, is_production
from ics_capacity.ui.http_security import ASGIApp, Receive, Scope, Send, over_tls

COOKIE = "ics_session"
DIGEST_COOKIE = "ics_session_sha256"
SESSION_ROUTE = "/_auth/session"
SIGN_OUT_ROUTE = "/_auth/sign-out"
MAX_FORM_BYTES = 4096


def session_digest(cookie_header: str) -> SessionDigest | None:
    """The session's digest from a `Cookie` header that `session_cookie` rewrote."""
    value = _cookies(cookie_header).get(DIGEST_COOKIE, "")
    return SessionDigest(value) if len(value) == 64 else None


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in found:
            found[name] = value.strip()
    return found


def rewrite_cookie_header(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request's headers with the raw session token replaced by its SHA-256.

    A `ics_session_sha256` cookie the client sent is dropped: only this function writes it.
    """
    kept: list[tuple[bytes, bytes]] = []
    pairs: list[str] = []
    token = ""
    for name, value in headers:
        if name.lower() != b"cookie":
            kept.append((name, value))
            continue
        for part in value.decode("latin-1").split(";"):
            key, _, raw = part.strip().partition("=")
            if key == COOKIE:
                token = token or raw.strip()
            elif key and key != DIGEST_COOKIE:
                pairs.append(part.strip())
    if token:
        pairs.append(f"{DIGEST_COOKIE}={token_digest(token)}")
    if pairs:
        kept.append((b"cookie", "; ".join(pairs).encode("latin-1")))
    return kept


def session_cookie(app: ASGIApp) -> ASGIApp:
    """Wraps the backend: rewrites the session cookie and answers the two cookie routes."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        scope = {**scope, "headers": rewrite_cookie_header(scope.get("headers") or [])}
        path = scope.get("path", "")
        if scope["type"] == "http" and path in (SESSION_ROUTE, SIGN_OUT_ROUTE):
            await _answer(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped


def origin_allowed(origin: str) -> bool:
    """Whether a post from this origin may set or clear the cookie (`ICS_ALLOWED_ORIGINS`)."""
    allowed = allowed_origins()
    if not origin or origin == "null":
        return False
    return "*" in allowed or origin.rstrip("/") in allowed


def set_cookie_header(token: str, *, secure: bool) -> str:
    """`Set-Cookie` for the session: no Max-Age or Expires, so the browser forgets it on close."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = token
    morsel = cookie[COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    if secure:
        morsel["secure"] = True
    if not token:
        morsel["max-age"] = 0
    return morsel.OutputString()


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    origin = headers.get("origin", "")
    if scope.get("method") != "POST":
        await respond(send, 405, [])
        return
    if not origin_allowed(origin):
        await respond(send, 403, [])
        return
    form = await read_form(receive)
    secure = over_tls(scope) or is_production()
    if scope["path"] == SESSION_ROUTE:
        token = await asyncio.to_thread(redeem_hand_off, form.get("code", ""))
        target = safe_path(form.get("next", "/"))
        if token is None:
            await respond(send, 303, [("location", f"{origin}/login?next={target}")])
            return
        cookie = set_cookie_header(token, secure=secure)
        await respond(send, 303, [("location", origin + target), ("set-cookie", cookie)])
        return
    if digest := session_digest(headers.get("cookie", "")):
        await asyncio.to_thread(sign_out, digest)
    cookie = set_cookie_header("", secure=secure)
    await respond(send, 303, [("location", f"{origin}/login"), ("set-cookie", cookie)])


def safe_path(target: str) -> str:
    """A path of this site (never another host), or "/"."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def read_form(receive: Receive) -> dict[str, str]:
    """The fields of a small url-encoded form post (at most `MAX_FORM_BYTES` are read)."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES or not message.get("more_body"):
            break
    fields = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items()}


async def respond(
    send: Send, status: int, headers: list[tuple[str, str]], body: bytes = b""
) -> None:
    """Sends a whole answer: never cached, with an optional (HTML) body."""
    extra = [(b"content-type", b"text/html; charset=utf-8")] if body else []
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode("latin-1")),
                *extra,
                *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def post_to_backend(route: str, fields: dict[str, str]) -> str:
    """JavaScript that posts `fields` to a backend route as a top-level form (the page leaves).

    The backend's address is worked out as Reflex's own front end does (`getBackendURL`): a
    `localhost` API address means the page's own host, and a page over https reaches the backend
    on the https port through the reverse proxy.
    """
    api_url = get_config().api_url
    return (
        "(() => {"
        f"const u = new URL({json.dumps(route)}, {json.dumps(api_url)});"
        'if (["localhost", "0.0.0.0", "::"].includes(u.hostname)) {'
        "u.hostname = window.location.hostname;"
        'if (window.location.protocol === "https:") { u.protocol = "https:"; u.port = ""; }}'
        'const f = document.createElement("form"); f.method = "post"; f.action = u.href;'
        f"for (const [k, v] of Object.entries({json.dumps(fields)})) {{"
        'const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v;'
        "f.appendChild(i); }"
        "document.body.appendChild(f); f.submit(); })()"
    )
