"""Your account: password, two-step verification, and the sessions to end if not recognised.

After an administrator's reset this is the only page a user reaches until they have chosen a new
password (`SessionState.require_sign_in` leads every other page here; the services refuse the
rest); likewise when a collaborative requires two-step verification the user has not set up.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.domain.passwords import MIN_PASSWORD_LENGTH
from ics_capacity.services.auth import (
    AuthError,
    NotSignedInError,
    SignInError,
    change_own_password,
    confirm_totp_setup,
    end_my_other_sessions,
    end_my_session,
    my_sessions,
    my_totp_enabled,
    new_totp_secret,
)
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.forms import labelled_control, text_input
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.tables import cell, data_table, row_heading
from ics_capacity.ui.components.widgets import button, field_label, panel
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import (
    ACCOUNT_ROUTE,
    SessionState,
    refusal,
    request_client,
    safe_next,
)


class AccountState(rx.State):
    """The signed-in user's own sessions and the change-password form's message."""

    sessions: list[dict[str, str]] = []
    error: str = ""
    totp_enabled: bool = False
    # While setting up two-step verification: the key for the user's authenticator app (shown
    # to them, and cleared as soon as it is confirmed) and the setup form's message.
    totp_key: str = ""
    totp_uri: str = ""
    totp_error: str = ""
    _totp_user: int = 0  # whose key it is: confirming works only for that account

    @rx.event
    async def load(self):
        """Lists the user's open sessions."""
        return await self._refresh()

    async def _refresh(self):
        session = await self.get_state(SessionState)
        self.error = ""
        if not session.signed_in:
            self.sessions = []
            return None
        try:
            rows = my_sessions(session.token)
            self.totp_enabled = my_totp_enabled(session.token)
        except AuthError as error:
            return refusal(error)
        self.sessions = [
            {
                "id": str(r.session_id),
                "started": fmt.when(r.created_at),
                "last_used": fmt.when(r.last_seen_at),
                "address": r.client_address or "unknown",
                "browser": _browser(r.user_agent),
                "current": "This browser" if r.current else "",
            }
            for r in rows
        ]
        return None

    @rx.event
    async def change_password(self, form: dict):
        """Changes the user's password, given the current one; ends their other sessions."""
        session = await self.get_state(SessionState)
        self.error = ""
        new = str(form.get("new_password", ""))
        if new != str(form.get("confirm_password", "")):
            self.error = "The new password and its confirmation are not the same."
            return None
        address, _ = request_client(self)
        try:
            await asyncio.to_thread(
                change_own_password,
                session.token,
                current=str(form.get("current_password", "")),
                new=new,
                address=address,
            )
        except NotSignedInError as error:
            return refusal(error)
        except AuthError as error:
            self.error = str(error)
            return None
        was_forced = session.must_change_password
        session.must_change_password = False
        if was_forced:
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "/")))
        await self._refresh()
        return rx.toast.success("Your password has been changed; your other sessions ended.")

    @rx.event
    async def start_totp(self):
        """Makes a new key for the user's authenticator app and shows it."""
        session = await self.get_state(SessionState)
        self.totp_error = ""
        try:
            self.totp_key, self.totp_uri, self._totp_user = new_totp_secret(session.token)
        except AuthError as error:
            return refusal(error)
        return None

    @rx.event
    async def confirm_totp(self, form: dict):
        """Turns two-step verification on once the app's code is right (throttled)."""
        session = await self.get_state(SessionState)
        self.totp_error = ""
        address, _ = request_client(self)
        try:
            await asyncio.to_thread(
                confirm_totp_setup,
                session.token,
                self.totp_key,
                str(form.get("code", "")),
                user_id=self._totp_user,
                address=address,
            )
        except SignInError as error:
            self.totp_error = str(error)
            return None
        except AuthError as error:
            return refusal(error)
        self.totp_enabled, self.totp_key, self.totp_uri = True, "", ""
        if session.must_set_up_totp:
            session.must_set_up_totp = False
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "/")))
        return rx.toast.success("Two-step verification is on.")

    @rx.event
    async def end_session(self, form: dict):
        """Ends one of the user's own sessions (the row's form names it)."""
        session = await self.get_state(SessionState)
        try:
            end_my_session(session.token, int(str(form.get("session_id", ""))))
        except (AuthError, ValueError) as error:
            return refusal(error)
        await self._refresh()
        return rx.toast.success("That session has ended.")

    @rx.event
    async def end_other_sessions(self):
        """Ends every session of the user but this one."""
        session = await self.get_state(SessionState)
        try:
            count = end_my_other_sessions(session.token)
        except AuthError as error:
            return refusal(error)
        await self._refresh()
        return rx.toast.success(f"Ended {count} other session{'s' if count != 1 else ''}.")


def _browser(user_agent: str) -> str:
    """A short name for a User-Agent string ("Firefox on Windows")."""
    agent = user_agent or ""
    name = next(
        (n for key, n in _BROWSERS if key in agent),
        "Unknown browser",
    )
    system = next((n for key, n in _SYSTEMS if key in agent), "")
    return f"{name} on {system}" if system else name


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def _password_input(label: str, name: str, autocomplete: str) -> rx.Component:
    return labelled_control(
        label,
        text_input(
            name,
            name=name,
            type="password",
            required=True,
            auto_complete=autocomplete,
            width="100%",
        ),
        width="100%",
    )


def _change_password_form() -> rx.Component:
    return panel(
        rx.heading("Change your password", as_="h2", size="5"),
        rx.cond(
            SessionState.must_change_password,
            rx.text(
                "An administrator has set a new password for you. Choose your own before you go "
                "on.",
                font_weight="600",
                margin_y="8px",
            ),
        ),
        rx.text(
            f"At least {MIN_PASSWORD_LENGTH} characters, and not a common password; three "
            "random words make a good one. Your other sessions end when you change it.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        rx.cond(
            AccountState.error != "",
            rx.text(AccountState.error, color=theme.NHS_RED, font_weight="600", role="alert"),
        ),
        rx.form(
            rx.vstack(
                _password_input("Current password", "current_password", "current-password"),
                _password_input("New password", "new_password", "new-password"),
                _password_input("New password again", "confirm_password", "new-password"),
                button("Change password", type="submit"),
                spacing="3",
                max_width="420px",
            ),
            on_submit=AccountState.change_password,
            reset_on_submit=True,
        ),
    )


def _totp_panel() -> rx.Component:
    return panel(
        rx.heading("Two-step verification", as_="h2", size="5"),
        rx.cond(
            SessionState.must_set_up_totp,
            rx.text(
                "Your collaborative requires two-step verification. Set it up before you go on.",
                font_weight="600",
                margin_y="8px",
            ),
        ),
        rx.cond(
            AccountState.totp_enabled,
            rx.text(
                "On: you sign in with your password and a code from your authenticator app. If "
                "you lose your phone, ask an administrator to reset it.",
                margin_y="8px",
            ),
            rx.cond(
                AccountState.totp_key == "",
                rx.vstack(
                    rx.text(
                        "Off. With it on, you sign in with your password and a 6-digit code from "
                        "an authenticator app on your phone (such as Microsoft Authenticator).",
                        margin_y="8px",
                    ),
                    button("Set up two-step verification", on_click=AccountState.start_totp),
                ),
                rx.vstack(
                    rx.text(
                        "In your authenticator app, add an account with a setup key, and enter "
                        "this key (time based):",
                        margin_top="8px",
                    ),
                    rx.code(
                        AccountState.totp_key,
                        id="totp-key",
                        font_size="18px",
                        letter_spacing="0.1em",
                        color=theme.NHS_TEXT,
                    ),
                    rx.link(
                        "Or open it in an authenticator app on this device",
                        href=AccountState.totp_uri,
                    ),
                    rx.cond(
                        AccountState.totp_error != "",
                        rx.text(
                            AccountState.totp_error,
                            color=theme.NHS_RED,
                            font_weight="600",
                            role="alert",
                        ),
                    ),
                    rx.form(
                        rx.vstack(
                            field_label("Code from the app", "totp-code"),
                            text_input(
                                "totp-code",
                                name="code",
                                required=True,
                                input_mode="numeric",
                                auto_complete="one-time-code",
                                max_width="200px",
                            ),
                            button("Turn on two-step verification", type="submit"),
                            spacing="2",
                        ),
                        on_submit=AccountState.confirm_totp,
                        reset_on_submit=True,
                    ),
                    spacing="3",
                ),
            ),
        ),
        margin_top="16px",
    )


def _sessions_panel() -> rx.Component:
    return panel(
        data_table(
            "Your sessions",
            ("Browser", "Address", "Signed in", "Last used", ""),
            AccountState.sessions,
            lambda s: [
                row_heading(s["browser"]),
                *[cell(s[k]) for k in ("address", "started", "last_used")],
                cell(
                    rx.cond(
                        s["current"] != "",
                        rx.text(s["current"], font_weight="600"),
                        rx.form(
                            rx.el.input(type="hidden", name="session_id", value=s["id"]),
                            button(
                                "End",
                                kind="warning",
                                type="submit",
                                aria_label="End the session of " + s["browser"],
                            ),
                            on_submit=AccountState.end_session,
                            reset_on_submit=False,
                        ),
                    )
                ),
            ],
        ),
        rx.box(
            button(
                "End all other sessions",
                kind="secondary",
                on_click=AccountState.end_other_sessions,
            ),
            margin_top="12px",
        ),
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
        margin_top="16px",
    )


@protected_page(ACCOUNT_ROUTE, "Your account", on_load=[AccountState.load])
def account_page() -> rx.Component:
    """The account page."""
    return page_shell(
        rx.heading("Your account", as_="h1", size="8"),
        rx.text(
            SessionState.user_email,
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        rx.cond(SessionState.must_set_up_totp, rx.fragment(), _change_password_form()),
        rx.cond(SessionState.must_change_password, rx.fragment(), _totp_panel()),
        rx.cond(
            SessionState.must_change_password | SessionState.must_set_up_totp,
            rx.fragment(),
            _sessions_panel(),
        ),
    )
