"""Security headers on every HTTP response of the app (OWASP ASVS 14.4).

The app's pages need inline styles and scripts from the compiled React front end, and Vega
compiles chart expressions at run time, so the policy allows those; what it forbids is what an
attacker would use: framing by another site, loading scripts or sending data to other origins,
plugins, and changing the base URL. `Strict-Transport-Security` is sent only on requests that
arrived over TLS (directly, or through a reverse proxy that says so with `X-Forwarded-Proto`,
trusted only when `ICS_TRUSTED_PROXY_HOPS` is 1 or more).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def _over_tls(scope: Scope) -> bool:
    if scope.get("scheme") == "https":
        return True
    if int(os.environ.get("ICS_TRUSTED_PROXY_HOPS", "0") or 0) < 1:
        return False
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-proto", b"").decode("latin-1")
    return forwarded.split(",")[-1].strip().lower() == "https"


def security_headers(app: ASGIApp) -> ASGIApp:
    """Wraps the app so that every HTTP response carries the security headers."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        extra = list(HEADERS) + ([HSTS] if _over_tls(scope) else [])

        async def send_with_headers(message: Message) -> None:
            if message.get("type") == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in extra if name not in present
                ]
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
