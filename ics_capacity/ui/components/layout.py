"""The app shell: NHS header, navigation, main content and footer."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme

NAV_ITEMS: list[tuple[str, str]] = [("Overview", "/")]


def _nav_link(label: str, href: str) -> rx.Component:
    active = rx.State.router.page.path == href
    return rx.link(
        label,
        href=href,
        color=theme.NHS_WHITE,
        font_weight="600",
        padding_y="12px",
        border_bottom=rx.cond(active, f"4px solid {theme.NHS_WHITE}", "4px solid transparent"),
        aria_current=rx.cond(active, "page", ""),
        underline="none",
    )


def header(right: rx.Component | None = None) -> rx.Component:
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
                right or rx.fragment(),
                align="center",
                width="100%",
            ),
            rx.el.nav(
                rx.hstack(*[_nav_link(label, href) for label, href in NAV_ITEMS], spacing="6"),
                aria_label="Main",
                margin_top="12px",
            ),
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


def page_shell(*children: rx.Component, header_right: rx.Component | None = None) -> rx.Component:
    """A page: header, main content in a readable column, footer."""
    return rx.box(
        header(header_right),
        rx.el.main(
            rx.box(*children, max_width="1200px", margin_x="auto", padding="24px"),
            id="main",
        ),
        footer(),
        min_height="100vh",
        background_color=theme.NHS_PALE_GREY,
        font_family=theme.FONT_STACK,
        color=theme.NHS_TEXT,
    )
