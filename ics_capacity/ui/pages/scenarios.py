"""Scenarios of the chosen collaborative: list, create, pick two or three to compare."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import reflex as rx

from ics_capacity.charts.scenarios import capacity_by_site
from ics_capacity.domain.measures import label, measure
from ics_capacity.services.capacity import compare_scenarios
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.scenarios import create_scenario, list_scenarios
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import term
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import button, field_label, panel, status_badge
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal

ERRORS = (ServiceError, ValueError)


def _when(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return f"{moment:%d %b %Y %H:%M}"


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
        except ERRORS as error:
            self.reset()  # a refused load shows nothing of what it would have
            return refusal(error)
        self.scenarios = [
            {
                "id": str(s.id),
                "name": s.name,
                "status": s.status,
                "parent": s.parent_name or "–",
                "owner": s.owner,
                "updated": f"{_when(s.updated_at)} by {s.updated_by}",
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
        except ERRORS as error:
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
        ),
        rx.cond(
            SessionState.permissions.contains("manage_scenarios"),
            panel(
                rx.heading("New scenario", as_="h2", size="5"),
                rx.form(
                    rx.hstack(
                        rx.vstack(
                            field_label("Name", "new-name"),
                            rx.el.input(
                                id="new-name",
                                name="name",
                                required=True,
                                border=f"2px solid {theme.NHS_TEXT}",
                                padding="6px",
                                width="320px",
                            ),
                            spacing="1",
                        ),
                        rx.vstack(
                            field_label("Start from", "new-source"),
                            rx.el.select(
                                rx.foreach(
                                    ScenariosState.scenarios,
                                    lambda s: rx.el.option(s["name"], value=s["id"]),
                                ),
                                id="new-source",
                                name="source",
                                border=f"2px solid {theme.NHS_TEXT}",
                                padding="6px",
                            ),
                            spacing="1",
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


class CompareState(rx.State):
    """Two or three scenarios side by side."""

    names: list[str] = []
    kpi_rows: list[list[str]] = []
    differences: list[list[str]] = []
    theatre_chart: dict = {}
    beds_chart: dict = {}
    error: str = ""

    @rx.var
    def kpi_headings(self) -> list[str]:
        """Headings of the key-figures table."""
        return ["Figure", *self.names]

    @rx.var
    def difference_headings(self) -> list[str]:
        """Headings of the differences table."""
        return ["Site", "Figure", *self.names]

    @rx.event
    async def load(self):
        """Reads the scenarios named in the URL (?ids=1,2,3) and compares them."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        self.error = ""
        try:
            ids = [int(x) for x in self.router.url.query_parameters.get("ids", "").split(",") if x]
            comparison = compare_scenarios(session.token, ids)
        except ValueError:
            self.error = "The link does not name scenarios to compare."
            return None
        except ERRORS as error:
            self.error = str(error)
            return refusal(error)
        kpis = comparison.kpis
        self.names = [k.name for k in kpis]

        def row(key: str, values: list[str]) -> list[str]:
            m = measure(key)
            return [m.label, m.tooltip, *values]

        self.kpi_rows = [
            ["Status", "", *[k.status.capitalize() for k in kpis]],
            row("waiting_list", [fmt.count(k.waiting_list) for k in kpis]),
            row("within_18_weeks", [fmt.percent(k.within_18_weeks_rate) for k in kpis]),
            row("over_52_weeks", [fmt.count(k.over_52_weeks) for k in kpis]),
            row(
                "waiting_list_all_providers",
                [fmt.count(k.waiting_list_all_providers) for k in kpis],
            ),
            row("usable_theatre_hours", [fmt.count(k.theatre_hours_per_week) for k in kpis]),
            row("elective_overnight_beds", [fmt.count(k.elective_overnight_beds) for k in kpis]),
            row("day_case_places", [fmt.count(k.day_case_places) for k in kpis]),
            row("elective_hubs", [fmt.count(k.hubs) for k in kpis]),
        ]
        self.differences = [[d.site, d.field, *d.by_scenario] for d in comparison.differences]
        frame = pd.DataFrame([dataclasses.asdict(f) for f in comparison.sites])
        self.theatre_chart = capacity_by_site(
            frame, value="theatre_hours_per_week", title=label("usable_theatre_hours")
        ).to_dict()
        self.beds_chart = capacity_by_site(
            frame, value="elective_overnight_beds", title=label("elective_overnight_beds")
        ).to_dict()
        return None


def _grid_table(caption: str, headings, rows) -> rx.Component:  # noqa: ANN001
    return panel(
        rx.el.table(
            rx.el.caption(
                caption,
                text_align="left",
                font_size="20px",
                font_weight="600",
                padding_bottom="12px",
            ),
            rx.el.thead(
                rx.el.tr(
                    rx.foreach(
                        headings,
                        lambda h: rx.el.th(h, scope="col", text_align="left", padding="8px"),
                    ),
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    rows,
                    lambda row: rx.el.tr(
                        rx.foreach(row, lambda cell: rx.el.td(cell, padding="8px")),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    ),
                )
            ),
            width="100%",
            border_collapse="collapse",
            class_name="figures",
        ),
        margin_top="16px",
        overflow_x="auto",
    )


def _kpi_table(headings, rows) -> rx.Component:  # noqa: ANN001
    """Key figures: each row's label (with its definition on hover and focus), then values."""

    def body(row) -> rx.Component:  # noqa: ANN001
        return rx.el.tr(
            rx.el.th(
                rx.cond(row[1] != "", term(row[0], row[1]), row[0]),
                scope="row",
                text_align="left",
                padding="8px",
                font_weight="600",
            ),
            rx.foreach(row[2:], lambda cell: rx.el.td(cell, padding="8px")),
            border_bottom=f"1px solid {theme.NHS_BORDER}",
        )

    return panel(
        rx.el.table(
            rx.el.caption(
                "Key figures",
                text_align="left",
                font_size="20px",
                font_weight="600",
                padding_bottom="12px",
            ),
            rx.el.thead(
                rx.el.tr(
                    rx.foreach(
                        headings,
                        lambda h: rx.el.th(h, scope="col", text_align="left", padding="8px"),
                    ),
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(rx.foreach(rows, body)),
            width="100%",
            border_collapse="collapse",
            class_name="figures",
        ),
        margin_top="16px",
        overflow_x="auto",
    )


@protected_page("/compare", "Compare scenarios", on_load=[CompareState.load])
def compare_page() -> rx.Component:
    """The comparison page."""
    return page_shell(
        rx.link("← All scenarios", href="/scenarios", color=theme.NHS_BLUE),
        rx.heading("Compare scenarios", as_="h1", size="8", margin_top="8px"),
        rx.cond(
            CompareState.error != "",
            rx.text(CompareState.error, role="alert", color=theme.NHS_RED),
            rx.fragment(
                _kpi_table(CompareState.kpi_headings, CompareState.kpi_rows),
                rx.grid(
                    panel(
                        vega_chart(
                            CompareState.theatre_chart,
                            "Usable theatre hours a week by site and scenario",
                        )
                    ),
                    panel(
                        vega_chart(
                            CompareState.beds_chart, "Elective overnight beds by site and scenario"
                        )
                    ),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                rx.cond(
                    CompareState.differences.length() > 0,
                    _grid_table(
                        "Inputs that differ",
                        CompareState.difference_headings,
                        CompareState.differences,
                    ),
                    panel(rx.text("The scenarios have the same site capacity."), margin_top="16px"),
                ),
            ),
        ),
    )
