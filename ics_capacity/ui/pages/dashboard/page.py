"""The Dashboard page: the choices of scenario, horizon and trust, then the panels."""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.measures import label
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import scenario_select, select_field
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import panel, working
from ics_capacity.ui.pages.dashboard.components import (
    board_pack_panel,
    capacity_question,
    chart_panel,
    headline_card,
    plan_of_record_note,
    rag_list,
    removal_panel,
    targets_panel,
)
from ics_capacity.ui.pages.dashboard.state import DashboardState
from ics_capacity.ui.pages.dashboard.view import HORIZONS
from ics_capacity.ui.routes import protected_page


@protected_page("/dashboard", "Dashboard", on_load=[DashboardState.load])
def dashboard_page() -> rx.Component:
    """The executive dashboard."""
    return page_shell(
        rx.hstack(
            rx.heading("Dashboard", as_="h1", size="8"),
            rx.spacer(),
            rx.el.a(
                "Board pack",
                href="#board-pack",
                font_weight="600",
                color=theme.NHS_BLUE,
                text_decoration="underline",
                class_name="no-print",
            ),
            align="center",
            width="100%",
        ),
        rx.hstack(
            scenario_select("dash-scenario", DashboardState.choose_scenario),
            select_field(
                "Horizon",
                "dash-horizon",
                [rx.el.option(f"{w} weeks", value=w) for w in HORIZONS],
                DashboardState.horizon_weeks,
                DashboardState.choose_horizon,
            ),
            select_field(
                "Show",
                "dash-unit",
                [
                    rx.el.option("The whole collaborative", value=""),
                    rx.foreach(
                        DashboardState.trusts, lambda t: rx.el.option(t["name"], value=t["id"])
                    ),
                ],
                DashboardState.unit,
                DashboardState.choose_unit,
            ),
            working(DashboardState.busy, "Projecting…"),
            align="end",
            wrap="wrap",  # on a phone the "Show" selector goes to the next line, not off-screen
            spacing="4",
            margin_y="12px",
            class_name="no-print",
        ),
        plan_of_record_note(),
        rx.cond(
            DashboardState.headline.length() > 0,
            rx.fragment(
                rx.text(
                    "Projection of ",
                    rx.text.strong(DashboardState.projected_name),
                    rx.cond(
                        DashboardState.unit_name != "",
                        rx.fragment(" for ", rx.text.strong(DashboardState.unit_name)),
                        ": member trusts",
                    ),
                    ", treating longest waiters first at the scenario's activity; "
                    "bands from 200 seeded simulations of demand and capacity.",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                rx.grid(
                    rx.foreach(DashboardState.headline, headline_card),
                    columns=rx.breakpoints(initial="2", md="3", lg="5"),
                    spacing="4",
                    margin_top="16px",
                ),
                removal_panel(),
                rx.grid(
                    chart_panel(DashboardState.fan_chart, "Projected waiting list"),
                    chart_panel(DashboardState.long_wait_chart, "Projected long waits"),
                    rx.cond(
                        DashboardState.has_plan,
                        chart_panel(
                            DashboardState.plan_chart, "Waiting list with and without the plan"
                        ),
                    ),
                    chart_panel(DashboardState.bands_chart, "Wait-band distribution"),
                    panel(
                        rx.box(
                            vega_chart(DashboardState.rag_chart, label("rag_status")),
                            class_name="wide-only",
                        ),
                        rag_list(),
                        rx.text(
                            DashboardState.rag_note,
                            size="2",
                            color=theme.NHS_SECONDARY_TEXT,
                            margin_top="8px",
                        ),
                    ),
                    rx.cond(
                        DashboardState.has_utilisation,
                        chart_panel(DashboardState.utilisation_chart, label("theatre_utilisation")),
                    ),
                    rx.cond(
                        DashboardState.has_utilisation,
                        chart_panel(DashboardState.beds_chart, label("bed_occupancy")),
                    ),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                targets_panel(),
                capacity_question(),
                board_pack_panel(),
            ),
        ),
    )
