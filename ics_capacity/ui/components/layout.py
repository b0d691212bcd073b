"""The app shell: NHS header, navigation, main content and footer."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.widgets import button
from ics_capacity.ui.state.session import SessionState

# (label, route, permission needed to see the link; "" = every member)
NAV_ITEMS: list[tuple[str, str, str]] = [
    ("Overview", "/", ""),
    ("Dashboard", "/dashboard", ""),
    ("Scenarios", "/scenarios", ""),
    ("Rebalance", "/rebalance", ""),
    ("Rota", "/rota", ""),
    ("Staff", "/staff", ""),
    ("Data", "/data", ""),
    ("Audit log", "/audit", "view_audit"),
    ("Users", "/users", "manage_users"),
    ("Onboarding", "/onboarding", "manage_users"),
]


def _nav_link(label: str, href: str, permission: str) -> rx.Component:
    active = rx.State.router.page.path == href
    link = rx.link(
        label,
        href=href,
        color=theme.NHS_WHITE,
        font_weight="600",
        padding_y="12px",
        border_bottom=rx.cond(active, f"4px solid {theme.NHS_WHITE}", "4px solid transparent"),
        aria_current=rx.cond(active, "page", ""),
        underline="none",
    )
    return rx.cond(SessionState.permissions.contains(permission), link) if permission else link


def _collaborative_picker() -> rx.Component:
    return rx.hstack(
        rx.el.label(
            "Collaborative",
            html_for="collaborative-picker",
            color=theme.NHS_WHITE,
            font_size="14px",
        ),
        rx.el.select(
            rx.foreach(
                SessionState.memberships,
                lambda m: rx.el.option(m["name"], value=m["code"]),
            ),
            id="collaborative-picker",
            value=rx.cond(
                SessionState.chosen_code != "",
                SessionState.chosen_code,
                SessionState.memberships[0]["code"],
            ),
            on_change=SessionState.choose_collaborative,
            padding="6px 8px",
            border_radius="4px",
            border=f"2px solid {theme.NHS_WHITE}",
            background_color=theme.NHS_WHITE,
            color=theme.NHS_TEXT,
            font_size="16px",
            max_width="min(320px, 70vw)",
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def _user_menu() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(
                SessionState.user_name, color=theme.NHS_WHITE, font_weight="600", font_size="14px"
            ),
            rx.text(SessionState.role_label, color=theme.NHS_WHITE, font_size="13px"),
            spacing="0",
            align="end",
        ),
        rx.link(
            "Your account",
            href="/account",
            color=theme.NHS_WHITE,
            font_weight="600",
            font_size="14px",
            text_decoration="underline",
        ),
        rx.el.button(
            "Sign out",
            on_click=SessionState.sign_out,
            color=theme.NHS_BLUE,
            background_color=theme.NHS_WHITE,
            border_radius="4px",
            padding="6px 12px",
            font_weight="600",
            cursor="pointer",
        ),
        align="center",
        spacing="3",
    )


def header(signed_in: bool = True) -> rx.Component:
    """The blue NHS header with the product name and the page navigation."""
    return rx.el.header(
        rx.el.a("Skip to main content", href="#main", class_name="skip-link"),
        rx.box(
            rx.hstack(
                rx.hstack(
                    rx.box(
                        "NHS",
                        background_color=theme.NHS_WHITE,
                        color=theme.NHS_BLUE,
                        font_weight="700",
                        font_size="20px",
                        padding_x="8px",
                        line_height="32px",
                        font_style="italic",
                        aria_hidden="true",
                    ),
                    rx.text(
                        "ICS Capacity Planner",
                        color=theme.NHS_WHITE,
                        font_size="20px",
                        font_weight="600",
                    ),
                    align="center",
                    spacing="3",
                ),
                rx.spacer(),
                rx.cond(
                    SessionState.signed_in,
                    rx.flex(
                        _collaborative_picker(),
                        _user_menu(),
                        gap="12px 24px",
                        align="center",
                        wrap="wrap",
                    ),
                )
                if signed_in
                else rx.fragment(),
                align="center",
                width="100%",
                wrap="wrap",
                gap="12px",
            ),
            rx.cond(
                SessionState.signed_in,
                rx.el.nav(
                    rx.flex(*[_nav_link(*item) for item in NAV_ITEMS], gap="0 24px", wrap="wrap"),
                    aria_label="Main",
                    margin_top="12px",
                ),
                rx.box(height="16px"),
            )
            if signed_in
            else rx.box(height="16px"),
            max_width="1200px",
            margin_x="auto",
            padding_x="24px",
            padding_top="16px",
        ),
        background_color=theme.NHS_BLUE,
    )


def footer() -> rx.Component:
    """Sources of the data, as every NHS statistics page names them."""
    return rx.el.footer(
        rx.box(
            rx.text(
                "Data: NHS England Referral to Treatment waiting times, KH03 bed availability and "
                "occupancy, NHS workforce statistics and ODS, under the Open Government Licence "
                "v3.0. Capacity assumptions and their sources: docs/assumptions.md.",
                size="2",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            max_width="1200px",
            margin_x="auto",
            padding="24px",
        ),
        border_top=f"4px solid {theme.NHS_BLUE}",
        background_color=theme.NHS_WHITE,
        margin_top="48px",
    )


def idle_warning() -> rx.Component:
    """The warning before the session ends for want of use, with a button that keeps it open.

    Fixed at the foot of the window so it shows whatever the page is scrolled to; a live region,
    so screen readers announce it when it appears.
    """
    return rx.cond(
        SessionState.idle_warning,
        rx.box(
            rx.text("You will be signed out soon", font_weight="700", font_size="19px"),
            rx.text(
                "You have not used the app for a while. To protect the data, you will be signed "
                "out in about ",
                SessionState.idle_minutes_left,
                rx.cond(SessionState.idle_minutes_left == 1, " minute.", " minutes."),
            ),
            button("Stay signed in", on_click=SessionState.stay_signed_in, margin_top="12px"),
            role="alert",
            position="fixed",
            bottom="16px",
            left="50%",
            transform="translateX(-50%)",
            width="min(560px, calc(100vw - 32px))",
            z_index="1000",
            background_color=theme.NHS_WHITE,
            color=theme.NHS_TEXT,
            border=f"4px solid {theme.NHS_TEXT}",
            border_left=f"10px solid {theme.NHS_WARM_YELLOW}",
            padding="16px 20px",
            box_shadow="0 4px 16px rgba(0, 0, 0, 0.3)",
        ),
    )


def page_shell(*children: rx.Component, signed_in: bool = True, **props) -> rx.Component:
    """A page: header, main content in a readable column, footer.

    Pages for signed-in users show nothing of their content until the server has confirmed the
    session (their on_load redirects others to the sign-in page).
    """
    content = (
        rx.cond(
            SessionState.signed_in,
            rx.fragment(*children),
            rx.text("Checking your sign-in…", role="status"),
        )
        if signed_in
        else rx.fragment(*children)
    )
    return rx.box(
        header(signed_in),
        rx.el.main(
            rx.box(
                content,
                max_width="1200px",
                margin_x="auto",
                padding=rx.breakpoints(initial="16px", sm="24px"),
                overflow_x="auto",
                tab_index=0,  # a scrolling region keyboard users can reach
            ),
            id="main",
        ),
        footer(),
        idle_warning() if signed_in else rx.fragment(),
        min_height="100vh",
        background_color=theme.NHS_PALE_GREY,
        font_family=theme.FONT_STACK,
        color=theme.NHS_TEXT,
        **props,
    )
