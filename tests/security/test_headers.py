"""Every HTTP response carries the security headers; HSTS only over TLS."""

from __future__ import annotations

import asyncio

import pytest

from ics_capacity.ui.http_security import security_headers

pytestmark = pytest.mark.security


def _respond(scope: dict) -> dict[bytes, bytes]:
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    asyncio.run(security_headers(app)(scope, receive, send))
    return dict(sent[0]["headers"])


def test_headers_on_a_plain_http_response(monkeypatch) -> None:
    monkeypatch.delenv("ICS_TRUSTED_PROXY_HOPS", raising=False)
    headers = _respond({"type": "http", "scheme": "http", "headers": []})
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert b"object-src 'none'" in headers[b"content-security-policy"]
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"referrer-policy"] == b"strict-origin-when-cross-origin"
    assert b"strict-transport-security" not in headers


def test_hsts_over_tls_and_behind_a_trusted_proxy_only(monkeypatch) -> None:
    assert b"strict-transport-security" in _respond({"type": "http", "scheme": "https"})
    forwarded = {"type": "http", "scheme": "http", "headers": [(b"x-forwarded-proto", b"https")]}
    monkeypatch.delenv("ICS_TRUSTED_PROXY_HOPS", raising=False)
    assert b"strict-transport-security" not in _respond(forwarded)
    monkeypatch.setenv("ICS_TRUSTED_PROXY_HOPS", "1")
    assert b"strict-transport-security" in _respond(forwarded)


def test_forms_go_to_this_site_and_only_to_the_single_sign_on_provider(monkeypatch) -> None:
    """The single sign-on form posts here and is redirected to the provider: browsers check
    `form-action` on that redirect too (the production browser run found it blocked)."""
    monkeypatch.delenv("ICS_OIDC_ISSUER", raising=False)
    policy = _respond({"type": "http", "scheme": "http", "headers": []})[b"content-security-policy"]
    assert b"form-action 'self';" in policy + b";"
    monkeypatch.setenv("ICS_OIDC_ISSUER", "https://login.microsoftonline.com/tenant-id/v2.0/")
    policy = _respond({"type": "http", "scheme": "http", "headers": []})[b"content-security-policy"]
    directive = next(d.strip() for d in policy.split(b";") if d.strip().startswith(b"form-action"))
    assert directive == b"form-action 'self' https://login.microsoftonline.com"
