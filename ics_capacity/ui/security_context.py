"""Binds who is asking, and from where, to every event the app handles, for the security log.

A Reflex middleware runs before each event's handler, in the same task: it reads the client's
address from the connection (with X-Forwarded-For honoured only through `ICS_TRUSTED_PROXY_HOPS`
trusted proxies) and the signed-in user's email from the tab's session state when it is loaded,
and binds both for `services.security_log` (`asyncio.to_thread` carries them into threads).
"""

from __future__ import annotations

from typing import Any

from reflex.middleware import Middleware

from ics_capacity.services.security_log import bind_request, client_address


def request_identity(router_data: dict[str, Any], user: str = "") -> tuple[str, str]:
    """(user, client address) of a request, from Reflex's router data."""
    headers = router_data.get("headers") or {}
    peer = headers.get("asgi-scope-client") or router_data.get("ip") or ""
    return user, client_address(peer, headers.get("x-forwarded-for", ""))


class SecurityContextMiddleware(Middleware):
    """Binds the user and client address of each event before its handler runs."""

    async def preprocess(self, app, state, event):
        """Binds the identity; never changes the event (returns None)."""
        from ics_capacity.ui.state.session import SessionState

        session = state.substates.get(SessionState.get_name()) if state is not None else None
        user = getattr(session, "user_email", "") or ""
        _, client = request_identity(getattr(state, "router_data", None) or {}, user)
        bind_request(user=user, client=client)
        return None
