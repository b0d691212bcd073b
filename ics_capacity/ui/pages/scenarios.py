"""Scenarios of the chosen collaborative: list, create, pick two or three to compare.

The comparison itself (`/compare`) is `compare.py`.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.errors import SERVICE_ERRORS
from ics_capacity.services.scenarios import create_scenario, list_scenarios
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.forms import labelled_input, labelled_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    panel,
    status_badge,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal


class ScenariosState(rx.State):
    """The collaborative's scenarios and the ones ticked for comparison."""

    scenarios: list[dict[str, str]] = []
    selected: list[str] = []

    @rx.event
    async def load(self):
        """Lists the scenarios of the chosen collaborative."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        try:
            rows = list_scenarios(session.token, session.collaborative_id)
        except SERVICE_ERRORS as error:
            self.reset()  # a refused load shows nothing of what it would have
            return refusal(error)
        self.scenarios = [
            {
                "id": str(s.id),
                "name": s.name,
                "status": s.status,
                "parent": s.parent_name or "–",
                "owner": s.owner,
                "updated": f"{fmt.when(s.updated_at)} by {s.updated_by}",
            }
            for s in rows
        ]
        self.selected = [i for i in self.selected if any(s["id"] == i for s in self.scenarios)]
        return None

    @rx.event
    def toggle(self, scenario_id: str):
        """Ticks or unticks a scenario for comparison (at most three)."""
        if scenario_id in self.selected:
            self.selected.remove(scenario_id)
        elif len(self.selected) >= 3:
            return rx.toast.info("Compare at most three scenarios at a time.")
        else:
            self.selected.append(scenario_id)
        return None

    @rx.event
    def compare(self):
        """Opens the comparison of the ticked scenarios."""
        if not 2 <= len(self.selected) <= 3:
            return rx.toast.info("Tick two or three scenarios to compare.")
        return rx.redirect(f"/compare?ids={','.join(self.selected)}")

    @rx.event
    async def create(self, form: dict):
        """Creates a draft scenario from the chosen one and opens it."""
        session = await self.get_state(SessionState)
        try:
            new_id = create_scenario(
                session.token, int(form.get("source", "0") or 0), str(form.get("name", ""))
            )
        except ValueError:
            return rx.toast.error("Choose the scenario to start from.")
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.redirect(f"/scenarios/{new_id}")


def _row(s: dict) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.input(
                type="checkbox",
                checked=ScenariosState.selected.contains(s["id"]),
                on_change=lambda _: ScenariosState.toggle(s["id"]),
                aria_label="Compare " + s["name"],
                width="20px",
                height="20px",
            ),
            padding="8px",
        ),
        rx.el.th(
            rx.link(s["name"], href="/scenarios/" + s["id"], color=theme.NHS_BLUE),
            scope="row",
            text_align="left",
            padding="8px",
        ),
        rx.el.td(status_badge(s["status"]), padding="8px"),
        rx.el.td(s["parent"], padding="8px"),
        rx.el.td(s["owner"], padding="8px"),
        rx.el.td(s["updated"], padding="8px"),
        border_bottom=f"1px solid {theme.NHS_BORDER}",
    )


@protected_page("/scenarios", "Scenarios", on_load=[ScenariosState.load])
def scenarios_page() -> rx.Component:
    """The scenarios page."""
    return page_shell(
        rx.heading("Scenarios", as_="h1", size="8"),
        rx.text(
            "Each scenario is a version of the collaborative's capacity. The baseline holds the "
            "published data; create a scenario from it to plan changes, then submit it for "
            "approval.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            rx.el.table(
                rx.el.caption(
                    "Scenarios of " + SessionState.collaborative_name,
                    text_align="left",
                    font_size="20px",
                    font_weight="600",
                    padding_bottom="12px",
                ),
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col", text_align="left", padding="8px")
                            for h in (
                                "Compare",
                                "Scenario",
                                "Status",
                                "Created from",
                                "Owner",
                                "Last changed",
                            )
                        ],
                        border_bottom=f"2px solid {theme.NHS_TEXT}",
                    )
                ),
                rx.el.tbody(rx.foreach(ScenariosState.scenarios, _row)),
                width="100%",
                border_collapse="collapse",
            ),
            button(
                "Compare ticked scenarios",
                kind="secondary",
                on_click=ScenariosState.compare,
                margin_top="16px",
            ),
            overflow_x="auto",
            tab_index=0,  # a scrolling region keyboard users can reach
        ),
        rx.cond(
            SessionState.permissions.contains("manage_scenarios"),
            panel(
                rx.heading("New scenario", as_="h2", size="5"),
                rx.form(
                    rx.hstack(
                        labelled_input(
                            "Name",
                            "new-name",
                            name="name",
                            required=True,
                            width="320px",
                        ),
                        labelled_select(
                            "Start from",
                            "new-source",
                            rx.foreach(
                                ScenariosState.scenarios,
                                lambda s: rx.el.option(s["name"], value=s["id"]),
                            ),
                            name="source",
                        ),
                        button("Create scenario", type="submit"),
                        align="end",
                        spacing="4",
                        wrap="wrap",
                    ),
                    on_submit=ScenariosState.create,
                    reset_on_submit=True,
                ),
                margin_top="16px",
            ),
        ),
    )
