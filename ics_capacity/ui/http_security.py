"""Security headers on every HTTP response of the app (OWASP ASVS 14.4).

The app's pages need inline styles and scripts from the compiled React front end, and Vega
compiles chart expressions at run time, so the policy allows those; what it forbids is what an
attacker would use: framing by another site, loading scripts or sending data to other origins,
plugins, and changing the base URL. `Strict-Transport-Security` is sent only on requests that
arrived over TLS (directly, or through a reverse proxy that says so with `X-Forwarded-Proto`,
trusted only when `ICS_TRUSTED_PROXY_HOPS` is 1 or more).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from ics_capacity.settings import oidc_issuer, trusted_proxy_hops

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_POLICY = (
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
)


def content_security_policy(issuer: str | None = None) -> str:
    """The policy, with forms sent only to this site and, with single sign-on, the provider.

    The sign-in page's single sign-on form posts to this site, which redirects the browser to the
    OpenID provider; browsers apply `form-action` to every redirect a form submission follows,
    so the provider's origin (of `ICS_OIDC_ISSUER`) must be allowed too, and no other.
    """
    issuer = oidc_issuer() if issuer is None else issuer
    parts = urlsplit(issuer)
    provider = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return "; ".join([*_POLICY, f"form-action 'self'{provider}"])


CONTENT_SECURITY_POLICY = content_security_policy("")
"""The policy without single sign-on."""

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def over_tls(scope: Scope) -> bool:
    """Whether the request came over TLS (directly, or through a trusted proxy that says so)."""
    if scope.get("scheme") == "https":
        return True
    if trusted_proxy_hops() < 1:
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
        policy = (b"content-security-policy", content_security_policy().encode())
        extra = [policy, *HEADERS] + ([HSTS] if over_tls(scope) else [])

        async def send_with_headers(message: Message) -> None:
            if message.get("type") == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in extra if name not in present
                ]
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def client_address(peer: str, headers: Mapping[str, str], hops: int | None = None) -> str:
    """The address of the person's browser, as far as the trusted proxies tell it.

    With no trusted proxy (`ICS_TRUSTED_PROXY_HOPS` 0) it is the connection's own address: a
    client could write anything into `X-Forwarded-For`. With N trusted proxies it is the address
    N entries from the right of `X-Forwarded-For` (each proxy appends the address it saw), or
    the leftmost when there are fewer. Anything that is not an IP address gives the peer.
    """
    hops = trusted_proxy_hops() if hops is None else hops
    if hops < 1:
        return peer
    forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
    entries = [e.strip() for e in forwarded.split(",") if e.strip()]
    if not entries:
        return peer
    candidate = entries[-hops] if len(entries) >= hops else entries[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
