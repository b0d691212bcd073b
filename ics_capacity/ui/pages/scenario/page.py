"""The scenario page: who is here, the conflict message, then the tables and panels."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.calendar import calendar_section
from ics_capacity.ui.components.hub_readiness import HubReadinessState, hub_readiness_panel
from ics_capacity.ui.components.hubs import HubsState, hubs_panel, provenance_panel
from ics_capacity.ui.components.independent_prices import (
    IndependentPriceState,
    independent_prices_panel,
)
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.validation import ValidationState, validation_panel
from ics_capacity.ui.components.widgets import button, status_badge
from ics_capacity.ui.pages.scenario.panels import (
    add_site_form,
    branch_and_rename,
    comments,
    workflow_panel,
)
from ics_capacity.ui.pages.scenario.state import ScenarioPageState
from ics_capacity.ui.pages.scenario.tables import (
    can,
    capacity_table,
    case_mix_table,
    editable,
    impact_panel,
    workforce_table,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.rooms import ScenarioRoom, heartbeat_seconds
from ics_capacity.ui.state.session import SessionState


@protected_page(
    "/scenarios/[scenario_id]",
    "Scenario",
    on_load=[
        ScenarioPageState.open,
        ScenarioRoom.join,
        HubsState.load,
        HubReadinessState.load,
        ValidationState.load,
        IndependentPriceState.load,
    ],
)
def scenario_page() -> rx.Component:
    """The scenario page."""
    return page_shell(
        rx.cond(
            ScenarioRoom.scenario_id > 0,
            rx.fragment(
                rx.link("← All scenarios", href="/scenarios", color=theme.NHS_BLUE),
                rx.hstack(
                    rx.heading(ScenarioRoom.name, as_="h1", size="8"),
                    status_badge(ScenarioRoom.status),
                    align="center",
                    spacing="4",
                    margin_top="8px",
                ),
                rx.text(
                    rx.cond(
                        ScenarioRoom.parent_name != "",
                        "Created from " + ScenarioRoom.parent_name + " by ",
                        "Owner: ",
                    ),
                    ScenarioRoom.owner,
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                rx.box(
                    # Everyone else on this scenario (never yourself), by name.
                    rx.cond(
                        ScenarioRoom.present.length() > 1,
                        rx.text(
                            "Also viewing: ",
                            rx.foreach(
                                ScenarioRoom.present,
                                lambda name: rx.cond(
                                    name != SessionState.user_name,
                                    rx.text.strong(name, " · "),
                                ),
                            ),
                        ),
                    ),
                    rx.cond(
                        ScenarioRoom.last_change != "",
                        rx.text("Latest change: ", ScenarioRoom.last_change),
                    ),
                    # Says every few seconds that this tab is still open, so closed tabs
                    # leave "Also viewing" within a minute.
                    rx.moment(
                        interval=round(heartbeat_seconds() * 1000),
                        on_change=ScenarioRoom.heartbeat,
                        display="none",
                    ),
                    role="status",
                    aria_live="polite",
                    background_color="#E8F1F8",
                    border_left=f"4px solid {theme.NHS_BLUE}",
                    padding="8px 12px",
                    margin_top="12px",
                ),
                rx.cond(
                    ScenarioPageState.conflict != "",
                    rx.box(
                        rx.text("Your change was not saved", font_weight="700"),
                        rx.text(ScenarioPageState.conflict),
                        role="alert",
                        border=f"4px solid {theme.NHS_RED}",
                        background_color=theme.NHS_WHITE,
                        padding="12px",
                        margin_top="12px",
                    ),
                ),
                rx.cond(
                    ~editable,
                    rx.text(
                        "This scenario is ",
                        ScenarioRoom.status,
                        " and cannot be edited; create a scenario from it to make changes.",
                        margin_top="12px",
                        color=theme.NHS_SECONDARY_TEXT,
                    ),
                ),
                rx.cond(
                    (can("edit_capacity") | can("edit_workforce")) & editable,
                    rx.hstack(
                        button(
                            "Undo my last change", kind="secondary", on_click=ScenarioPageState.undo
                        ),
                        margin_top="12px",
                    ),
                ),
                capacity_table(),
                provenance_panel(),
                hubs_panel(can("edit_capacity") & editable),
                hub_readiness_panel(can("edit_capacity") & editable),
                validation_panel(can("edit_capacity") & editable),
                independent_prices_panel(can("edit_capacity") & editable),
                impact_panel(),
                add_site_form(),
                calendar_section(can("edit_capacity") & editable, ScenarioPageState.refresh_impact),
                case_mix_table(),
                workforce_table(),
                rx.grid(
                    workflow_panel(),
                    branch_and_rename(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                rx.box(comments(), margin_top="16px"),
            ),
            rx.text("Opening the scenario…", role="status"),
        ),
    )
