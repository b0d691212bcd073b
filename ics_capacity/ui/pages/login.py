"""Sign-in page: the organisation's single sign-on where set up, or email and password."""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.services.auth import SecondFactorNeededError, SignInError, hand_off, sign_in
from ics_capacity.services.sso import MESSAGES as SSO_MESSAGES
from ics_capacity.settings import oidc_configured, oidc_label
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_control, text_input
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.routes import public_page
from ics_capacity.ui.session_cookie import SESSION_ROUTE, post_to_backend
from ics_capacity.ui.single_sign_on import START_ROUTE
from ics_capacity.ui.state.session import request_client, safe_next


class LoginState(rx.State):
    """The sign-in form's message."""

    error: str = ""
    busy: bool = False
    # The password was right and the account uses two-step verification: ask for the code.
    need_code: bool = False
    # Single sign-on through the organisation's identity provider, where the server has one.
    sso_enabled: bool = False
    sso_label: str = ""

    @rx.event
    def load(self):
        """Offers single sign-on if set up; explains a single sign-on that came back refused."""
        self.sso_enabled = oidc_configured()
        self.sso_label = oidc_label()
        code = str(self.router.url.query_parameters.get("sso", ""))
        self.error = SSO_MESSAGES.get(code, "") if code else ""

    @rx.event
    def start_single_sign_on(self):
        """Sends the browser to the organisation's sign-in (through the backend's start route)."""
        if not oidc_configured():
            self.error = SSO_MESSAGES["off"]
            return None
        target = safe_next(self.router.url.query_parameters.get("next", "/"))
        return rx.call_script(post_to_backend(START_ROUTE, {"next": target}))

    @rx.event
    async def submit(self, form: dict):
        """Checks the password on the server and opens a session.

        The argon2 verification runs in a worker thread, so a sign-in never holds up the event
        loop that serves everyone else's pages.
        """
        self.error = ""
        address, user_agent = request_client(self)
        try:
            token = await asyncio.to_thread(
                sign_in,
                str(form.get("email", "")),
                str(form.get("password", "")),
                address=address,
                user_agent=user_agent,
                end_other_sessions=str(form.get("end_others", "")).lower() in ("on", "true", "1"),
                # The code's field is in the form only once asked for (None before).
                code=str(form.get("code") or ""),
            )
        except SecondFactorNeededError:
            self.need_code = True
            return None
        except SignInError as error:
            self.error = str(error)
            return None
        # The browser collects the session as an HttpOnly cookie from a backend route, with a
        # one-time code; the page it then loads opens a websocket that carries the cookie. A
        # user who must change their password is led to the account page by that page's check.
        code = await asyncio.to_thread(hand_off, token)
        target = safe_next(self.router.url.query_parameters.get("next", "/"))
        return rx.call_script(post_to_backend(SESSION_ROUTE, {"code": code, "next": target}))


def _field(label: str, name: str, kind: str, autocomplete: str) -> rx.Component:
    return labelled_control(
        label,
        text_input(  # the sign-in page's larger boxes
            name,
            name=name,
            type=kind,
            required=True,
            auto_complete=autocomplete,
            padding="8px",
            border_radius="0",
            font_size="18px",
            width="100%",
        ),
        width="100%",
    )


def _single_sign_on() -> rx.Component:
    return rx.cond(
        LoginState.sso_enabled,
        rx.vstack(
            rx.el.button(
                "Sign in with your " + LoginState.sso_label,
                type="button",
                on_click=LoginState.start_single_sign_on,
                background_color=theme.NHS_BLUE,
                color=theme.NHS_WHITE,
                font_weight="600",
                font_size="18px",
                padding="10px 20px",
                border_radius="4px",
                box_shadow=f"0 4px 0 {theme.NHS_DARK_BLUE}",
                cursor="pointer",
            ),
            rx.text(
                "Or, if your administrator gave you a password for this app:",
                color=theme.NHS_SECONDARY_TEXT,
                margin_top="16px",
            ),
            spacing="2",
            width="100%",
            margin_bottom="12px",
        ),
    )


@public_page("/login", "Sign in", on_load=[LoginState.load])
def login_page() -> rx.Component:
    """The sign-in page."""
    return page_shell(
        rx.box(
            rx.heading("Sign in", as_="h1", size="8", color=theme.NHS_TEXT),
            rx.text(
                rx.cond(
                    LoginState.sso_enabled,
                    "Sign in with your organisation's account, or with the email address and "
                    "password your collaborative's administrator gave you.",
                    "Use the email address and password your collaborative's administrator "
                    "gave you.",
                ),
                color=theme.NHS_SECONDARY_TEXT,
                margin_y="12px",
            ),
            rx.cond(
                LoginState.error != "",
                rx.box(
                    rx.text("There is a problem", font_weight="700", font_size="20px"),
                    rx.text(LoginState.error, color=theme.NHS_RED, font_weight="600"),
                    role="alert",
                    border=f"4px solid {theme.NHS_RED}",
                    padding="16px",
                    margin_bottom="16px",
                    background_color=theme.NHS_WHITE,
                ),
            ),
            _single_sign_on(),
            rx.form(
                rx.vstack(
                    _field("Email address", "email", "email", "username"),
                    _field("Password", "password", "password", "current-password"),
                    rx.cond(
                        LoginState.need_code,
                        rx.vstack(
                            rx.text(
                                "Your account uses two-step verification. Enter the 6-digit "
                                "code your authenticator app shows now.",
                                role="status",
                            ),
                            _field(
                                "Code from your authenticator app", "code", "text", "one-time-code"
                            ),
                            spacing="2",
                            width="100%",
                        ),
                    ),
                    rx.el.label(
                        rx.el.input(type="checkbox", name="end_others", id="end_others"),
                        " Sign me out everywhere else",
                        html_for="end_others",
                    ),
                    rx.el.button(
                        "Sign in",
                        type="submit",
                        background_color=theme.NHS_GREEN,
                        color=theme.NHS_WHITE,
                        font_weight="600",
                        font_size="18px",
                        padding="10px 20px",
                        border_radius="4px",
                        box_shadow="0 4px 0 #00401e",
                        cursor="pointer",
                        margin_top="8px",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
                # The page is pre-rendered, so the form works as plain HTML until the app has
                # loaded. A click before then would send a GET with the password in the URL
                # (history, logs); as a POST to the static page it sends nothing anywhere.
                method="post",
            ),
            background_color=theme.NHS_WHITE,
            padding="32px",
            max_width="480px",
        ),
        signed_in=False,
    )
