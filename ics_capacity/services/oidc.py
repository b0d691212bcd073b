"""The OpenID Connect authorisation-code exchange with the organisation's identity provider.

Authlib (the OAuth client) builds the authorisation request with PKCE (S256), a `state` and a
`nonce`, and exchanges the code for tokens; joserfc checks the ID token's signature against the
provider's published keys, and authlib's `CodeIDToken` its issuer, audience, expiry, nonce and
`at_hash`. Nothing here trusts the browser: the state, nonce and PKCE verifier come back from the
backend's own cookie (`ui/single_sign_on.py`), and the claims are those the provider signed.

Calls are blocking (httpx): the route runs them in a worker thread. The provider's discovery
document and keys are cached for `METADATA_TTL`; a key id the cache does not know is fetched again
once (the provider rotated its keys).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from ics_capacity.domain.errors import ServiceError
from ics_capacity.settings import oidc_client, oidc_issuer

SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10.0
METADATA_TTL = 3600.0
CLOCK_LEEWAY_SECONDS = 120


class OidcError(ServiceError):
    """The exchange with the identity provider failed (its reason goes to the log, not the user)."""


@dataclass(frozen=True)
class Flow:
    """What one sign-in keeps between sending the browser out and its return (in a cookie)."""

    state: str
    nonce: str
    code_verifier: str


_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
        response.raise_for_status()
        value = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise OidcError(f"Could not read {url}: {error}") from error
    if not isinstance(value, dict):
        raise OidcError(f"{url} did not answer with a JSON object")
    return value


def provider_metadata(*, force: bool = False) -> dict[str, Any]:
    """The provider's discovery document, checked to name the configured issuer."""
    issuer = oidc_issuer()
    if not issuer:
        raise OidcError("Single sign-on is not configured (ICS_OIDC_ISSUER)")
    with _cache_lock:
        cached = _cache.get(issuer)
        if cached and not force and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
    metadata = _get_json(f"{issuer}/.well-known/openid-configuration")
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError(f"The discovery document names issuer {metadata.get('issuer')!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise OidcError(f"The discovery document has no {key}")
    metadata["jwks"] = _get_json(metadata["jwks_uri"])
    with _cache_lock:
        _cache[issuer] = (time.monotonic(), metadata)
    return metadata


def _client(redirect_uri: str) -> OAuth2Client:
    client_id, client_secret = oidc_client()
    return OAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        scope=SCOPES,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_SECONDS,
    )


def authorization_url(redirect_uri: str) -> tuple[str, Flow]:
    """Where to send the browser to sign in, and the flow's secrets to keep until it returns."""
    metadata = provider_metadata()
    flow = Flow(
        state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(48)
    )
    with _client(redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"],
            state=flow.state,
            code_verifier=flow.code_verifier,
            nonce=flow.nonce,
        )
    return url, flow


def finish(code: str, redirect_uri: str, flow: Flow) -> tuple[str, dict[str, Any]]:
    """Exchanges the code for tokens; the issuer and the ID token's verified claims.

    Raises:
        OidcError: the provider refused the code, or the ID token is not valid for this client
            and this flow.
    """
    metadata = provider_metadata()
    try:
        with _client(redirect_uri) as client:
            token = client.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=flow.code_verifier
            )
    except Exception as error:  # authlib raises its own and httpx's errors here
        raise OidcError(f"The token endpoint refused the code: {error}") from error
    if "id_token" not in token:
        raise OidcError("The token response has no ID token")
    return oidc_issuer(), _verified_claims(token, metadata, flow)


def _verified_claims(token: dict[str, Any], metadata: dict[str, Any], flow: Flow) -> dict[str, Any]:
    registry = JWSRegistry(
        algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    )
    try:
        try:
            decoded = jwt.decode(
                token["id_token"], KeySet.import_key_set(metadata["jwks"]), registry=registry
            )
        except InvalidKeyIdError:
            fresh = provider_metadata(force=True)
            decoded = jwt.decode(
                token["id_token"], KeySet.import_key_set(fresh["jwks"]), registry=registry
            )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "values": [metadata["issuer"]]},
                "aud": {"essential": True, "values": [oidc_client()[0]]},
            },
            {
                "nonce": flow.nonce,
                "client_id": oidc_client()[0],
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError) as error:
        raise OidcError(f"The ID token is not valid: {error}") from error
    return dict(claims)
