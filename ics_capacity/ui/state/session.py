"""Who is signed in, and which collaborative they are working in.

The browser keeps only a random session token, in an HttpOnly, SameSite=Strict session cookie that
a backend route sets (`ui/session_cookie.py`); the app sees only its SHA-256, read from the
websocket handshake by `SessionState.token`. Every page's on_load and every handler resolves it on
the server through the services, which check the user's role. Values
here only decide what the page shows. Signing out, or finding the session ended, resets every
state of the app in the tab and leaves the shared scenario room.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets

import reflex as rx
from reflex.state import BaseState

from ics_capacity.domain.roles import ROLE_LABELS, ROLE_PERMISSIONS
from ics_capacity.services.auth import (
    NotSignedInError,
    PasswordChangeRequiredError,
    SecondFactorSetupRequiredError,
    idle_seconds_left,
    keep_session_alive,
    my_collaboratives,
)
from ics_capacity.services.auth import sign_out as end_session
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.security_log import security_event
from ics_capacity.services.uploads import discard_all_uploads
from ics_capacity.settings import idle_warning_seconds
from ics_capacity.ui.http_security import client_address
from ics_capacity.ui.session_cookie import (
    SIGN_OUT_ROUTE,
    post_to_backend,
    safe_path,
    session_digest,
)

logger = logging.getLogger(__name__)

ACCOUNT_ROUTE = "/account"


class SessionState(rx.State):
    """The signed-in user, their collaboratives and the one they have chosen."""

    chosen_code: str = rx.LocalStorage("", name="ics_collaborative")
    user_name: str = ""
    user_email: str = ""
    memberships: list[dict[str, str]] = []
    signed_in: bool = False
    # Set when an administrator's reset obliges the user to choose a new password first: every
    # page then leads to the account page, and the services refuse everything else.
    must_change_password: bool = False
    # Set when a collaborative of the user requires two-step verification they have not set up:
    # as for a forced change of password, every page leads to the account page.
    must_set_up_totp: bool = False
    # The warning shown before the session ends for want of use, with the minutes it has left.
    idle_warning: bool = False
    idle_minutes_left: int = 0

    @property
    def token(self) -> str:
        """The session, as the SHA-256 of the HttpOnly cookie's token ('' when there is none).

        Read from the websocket handshake's headers on every use, never stored in a var: the
        raw token never reaches client state (`ui/session_cookie.session_cookie`).
        """
        return session_digest(self.router.headers.raw_headers.get("cookie", "")) or ""

    @rx.var
    def collaborative_id(self) -> int:
        """The id of the chosen collaborative (the first one if none chosen), or 0."""
        chosen = self._chosen()
        return int(chosen["id"]) if chosen else 0

    @rx.var
    def collaborative_name(self) -> str:
        """The name of the chosen collaborative."""
        chosen = self._chosen()
        return chosen["name"] if chosen else ""

    @rx.var
    def role(self) -> str:
        """The user's role in the chosen collaborative ('' if none)."""
        chosen = self._chosen()
        return chosen["role"] if chosen else ""

    @rx.var
    def role_label(self) -> str:
        """The role as people read it."""
        return ROLE_LABELS.get(self.role, "")

    @rx.var
    def permissions(self) -> list[str]:
        """What the role allows, for showing or hiding controls (the server checks again)."""
        return sorted(p.value for p in ROLE_PERMISSIONS.get(self.role, frozenset()))

    def _chosen(self) -> dict[str, str] | None:
        match = [m for m in self.memberships if m["code"] == self.chosen_code]
        return (match or self.memberships or [None])[0]

    @rx.event
    async def require_sign_in(self):
        """On every protected page: loads the user, or sends them to the sign-in page."""
        path = self.router.url.path or "/"
        try:
            principal, memberships = my_collaboratives(self.token)
        except PasswordChangeRequiredError as error:
            self.must_set_up_totp = isinstance(error, SecondFactorSetupRequiredError)
            self.memberships, self.must_change_password = [], not self.must_set_up_totp
            self.signed_in = path == ACCOUNT_ROUTE
            return None if self.signed_in else rx.redirect(f"{ACCOUNT_ROUTE}?next={path}")
        except NotSignedInError:
            await forget_everything(self)
            return rx.redirect(f"/login?next={path}")
        self.must_change_password = self.must_set_up_totp = False
        self.user_name = principal.display_name
        self.user_email = principal.email
        self.memberships = [
            {"id": str(m.collaborative_id), "code": m.code, "name": m.name, "role": m.role}
            for m in memberships
        ]
        self.signed_in = True
        return self._next_idle_check(idle_seconds_left(self.token))

    def _next_idle_check(self, seconds_left: float) -> rx.event.EventSpec:
        """Shows or hides the idle warning, and sets the page's one timer for the next check.

        The timer fires when the warning is due (`ICS_IDLE_WARNING_SECONDS` before the idle
        timeout) or, once it shows, just after the session would end; each page load and each
        check replaces the timer, so a tab has only one.
        """
        warning = idle_warning_seconds()
        self.idle_warning = 0 < seconds_left <= warning
        self.idle_minutes_left = math.ceil(seconds_left / 60)
        delay = seconds_left - warning if seconds_left > warning else seconds_left + 1
        return rx.call_script(idle_timer_script(delay), callback=SessionState.check_idle)

    @rx.event
    async def check_idle(self, _timer: str = ""):
        """The page's idle timer fired: warns before the session ends, or ends the tab's use.

        Asking does not count as use (`auth.idle_seconds_left`), so an open page left alone
        still reaches the idle timeout.
        """
        left = await asyncio.to_thread(idle_seconds_left, self.token)
        if left <= 0:
            signed_in = self.signed_in
            await forget_everything(self)
            if not signed_in:
                return None
            path = self.router.url.path or "/"
            return rx.redirect(f"/login?next={path}")
        return self._next_idle_check(left)

    @rx.event
    async def stay_signed_in(self):
        """The "Stay signed in" button: counts as use of the session, and hides the warning."""
        try:
            left = await asyncio.to_thread(keep_session_alive, self.token)
        except ServiceError as error:
            await forget_everything(self)
            return refusal(error)
        return self._next_idle_check(left)

    @rx.event
    def choose_collaborative(self, code: str):
        """Switches the collaborative the user works in, and reloads the page's data."""
        if any(m["code"] == code for m in self.memberships):
            self.chosen_code = code
        return rx.redirect(self.router.url.path or "/")

    @rx.event
    async def sign_out(self):
        """Ends the session on the server, leaves every shared room and forgets everything."""
        if self.token:
            discard_all_uploads(self.token)
            end_session(self.token)
        await forget_everything(self)
        # The HttpOnly cookie can be cleared only by the server: the browser posts to the route,
        # which answers with an expired cookie and sends it to the sign-in page.
        return rx.call_script(post_to_backend(SIGN_OUT_ROUTE, {"next": "/login"}))


def idle_timer_script(seconds: float) -> str:
    """JavaScript: a promise that resolves after `seconds`, replacing the page's previous timer.

    The replaced timer's promise never resolves, so only one check is ever pending.
    """
    milliseconds = max(1000, round(seconds * 1000))
    return (
        "new Promise((resolve) => { clearTimeout(window.icsIdleTimer);"
        " window.icsIdleTimer = setTimeout("
        f"() => resolve({json.dumps('due')}), {milliseconds}); }})"
    )


async def forget_everything(state: rx.State) -> None:
    """Leaves the shared scenario room and resets every state of the app in this browser tab.

    Used at sign-out and when a session is found to have ended: nothing of the last user (member
    lists, audit rows, rotas, the room) stays in the tab or in the state manager.
    """
    from ics_capacity.ui.state.rooms import ScenarioRoom

    room = await state.get_state(ScenarioRoom)
    await room._leave()
    for cls in app_state_classes():
        (await state.get_state(cls)).reset()


def request_client(state: rx.State) -> tuple[str, str]:
    """The client address (honouring `ICS_TRUSTED_PROXY_HOPS`) and User-Agent of the tab."""
    router = state.router
    headers = dict(router.headers.raw_headers)
    return client_address(router.session.client_ip, headers), router.headers.user_agent


def safe_next(target: object) -> str:
    """A `next` parameter only if it is a path of this site (never another host)."""
    return safe_path(str(target or "/"))


def app_state_classes() -> list[type[BaseState]]:
    """Every state class this app defines (Reflex's own internal states are left alone)."""
    from reflex.state import State

    found: list[type[BaseState]] = []
    stack: list[type[BaseState]] = list(State.get_substates())
    while stack:
        cls = stack.pop()
        stack.extend(cls.get_substates())
        if cls.__module__.startswith("ics_capacity."):
            found.append(cls)
    return sorted(found, key=lambda c: c.get_full_name())


def refusal(error: Exception) -> rx.event.EventSpec:
    """What the browser is told when the server refuses an action.

    A `ServiceError`'s message is written for people and is shown; anything else is a bug or a
    malformed request, logged with a reference id while the person sees only that reference.
    Every refusal is also a line of the security log (user and client address bound by the
    request's middleware, `ui/security_context.py`).
    """
    if isinstance(error, NotSignedInError):
        security_event("refused", "not signed in", error=type(error).__name__)
        return rx.redirect("/login")
    if isinstance(error, PasswordChangeRequiredError):
        return rx.redirect(ACCOUNT_ROUTE)
    if isinstance(error, ServiceError):
        security_event("refused", "refused", error=type(error).__name__, reason=str(error))
        return rx.toast.error(str(error), duration=8000)
    reference = secrets.token_hex(4)
    security_event("refused", "invalid request", error=type(error).__name__, reference=reference)
    logger.warning("Refused a request (reference %s): %r", reference, error)
    return rx.toast.error(
        f"That could not be done: a value was not valid (reference {reference}).", duration=8000
    )


def scenario_options(
    rows, current: str, *, prefer_editable: bool = False
) -> tuple[list[dict[str, str]], str]:
    """Scenarios for a picker (archived ones left out) and which one stays chosen.

    Args:
        rows: `ScenarioSummary` items, as `list_scenarios` returns them.
        current: The id already chosen, kept if it is still listed.
        prefer_editable: Choose a draft (or rejected) scenario first when `current` is not listed;
            otherwise the plan of record comes first, then the baseline.

    Returns:
        The options as {"id", "name"} and the chosen id ('' when there is none).
    """
    rows = [s for s in rows if s.status != "archived"]
    options = [
        {
            "id": str(s.id),
            "name": f"{s.name} ({'plan of record' if s.is_plan_of_record else s.status})",
        }
        for s in rows
    ]
    if any(o["id"] == current for o in options) or not rows:
        return options, current if rows else ""
    editable = [s for s in rows if s.status in ("draft", "rejected")] if prefer_editable else []
    plan = [s for s in rows if s.is_plan_of_record]
    return options, str((editable or plan or rows)[0].id)
