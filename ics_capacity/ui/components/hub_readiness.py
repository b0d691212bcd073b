"""The scenario page's "Hub readiness against GIRFT's standards": one table per elective hub.

Each row is a standard under its accreditation element, with its source, the hub's figure in the
scenario, whether it is met, and whether it binds the last rebalancing plan. Utilisation always
says capped or uncapped. Those who may edit capacity in an editable scenario get a small form per
hub, saved through `services.hub_standards.set_hub_standards` (role and version checked there).
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.errors import SERVICE_ERRORS, ServiceError
from ics_capacity.services.hub_standards import (
    HubReadinessView,
    hub_readiness,
    set_hub_standards,
)
from ics_capacity.services.scenarios import ConflictError
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_select, row_input
from ics_capacity.ui.components.widgets import button
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal

_STATUS_COLOURS = {
    "Met": theme.NHS_GREEN,
    "Not met": theme.NHS_RED,
}


def _hub(view: HubReadinessView) -> dict[str, str]:
    return {
        "code": view.code,
        "name": view.name,
        "days": view.operating_days,
        "weeks": view.operating_weeks,
        "definition": view.utilisation_definition,
        "definition_words": view.utilisation_words,
        "day_case": view.day_case_percent,
        "cataracts": view.cataracts_per_list,
        "plan_note": view.plan_note,
        "key": f"{view.code}-{view.version}",
    }


def _rows(view: HubReadinessView) -> list[dict[str, str]]:
    return [
        {
            "hub": view.code,
            "id": f"{view.code}-{r.standard_id}",
            "domain": r.domain,
            "standard": r.standard,
            "target": r.target,
            "citation": r.citation,
            "source": r.source,
            "figure": r.hub,
            "status": r.status,
            "reason": r.reason,
            "binds": r.binds,
        }
        for r in view.rows
    ]


class HubReadinessState(rx.State):
    """The elective hubs of the scenario this browser opened, against GIRFT's standards."""

    _scenario_id: int = 0
    _versions: dict[str, int] = {}
    hubs: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Reads the hubs' readiness of the scenario in the URL, if the user may view it."""
        session = await self.get_state(SessionState)
        self._scenario_id, self.hubs, self.rows, self._versions = 0, [], [], {}
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
            views = hub_readiness(session.token, scenario_id)
        except ValueError:
            return None
        except ServiceError as error:
            return refusal(error)
        self._show(scenario_id, views)
        return None

    def _show(self, scenario_id: int, views: list[HubReadinessView]) -> None:
        self._scenario_id = scenario_id
        self._versions = {v.code: v.version for v in views}
        self.hubs = [_hub(v) for v in views]
        self.rows = [row for v in views for row in _rows(v)]

    @rx.event
    async def save(self, form: dict):
        """Saves one hub's figures; the hub's code comes from the form, its version from here."""
        session = await self.get_state(SessionState)
        code = str(form.get("code", ""))
        try:
            saved = set_hub_standards(
                session.token,
                self._scenario_id,
                code,
                operating_days=str(form.get("days", "")),
                operating_weeks=str(form.get("weeks", "")),
                utilisation_definition=str(form.get("definition", "")),
                day_case_percent=str(form.get("day_case", "")),
                cataracts_per_list=str(form.get("cataracts", "")),
                expected_version=self._versions.get(code, -1),
            )
        except ConflictError as error:
            self._show(self._scenario_id, hub_readiness(session.token, self._scenario_id))
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        room = await self.get_state(ScenarioRoom)
        room._refresh(
            session.token, self._scenario_id, f"{session.user_name} changed {saved.name}'s hub"
        )
        self._show(self._scenario_id, hub_readiness(session.token, self._scenario_id))
        return rx.toast.success(f"Saved {saved.name}'s hub figures")


def _status(row) -> rx.Component:
    return rx.el.td(
        rx.el.strong(
            row["status"],
            color=rx.match(
                row["status"],
                *_STATUS_COLOURS.items(),
                theme.NHS_SECONDARY_TEXT,
            ),
        ),
        rx.cond(
            row["reason"] != "",
            rx.el.div(row["reason"], font_size="14px", color=theme.NHS_TEXT),
        ),
        padding="8px",
        vertical_align="top",
    )


def _binds(row) -> rx.Component:
    return rx.el.td(
        rx.cond(
            row["binds"] != "",
            rx.el.span(
                rx.el.strong("Binds: "),
                row["binds"],
                border_left=f"4px solid {theme.NHS_WARM_YELLOW}",
                padding_left="8px",
                display="inline-block",
            ),
            rx.el.span("No", color=theme.NHS_SECONDARY_TEXT),
        ),
        padding="8px",
        vertical_align="top",
    )


def _row(row) -> rx.Component:
    return rx.el.tr(
        rx.el.td(row["domain"], padding="8px", vertical_align="top"),
        rx.el.th(
            rx.el.div(row["standard"]),
            rx.el.div("Standard: ", row["target"], font_weight="400"),
            rx.el.details(
                rx.el.summary(
                    "Source: ",
                    row["citation"],
                    cursor="pointer",
                    color=theme.NHS_BLUE,
                ),
                rx.el.p(row["source"], word_break="break-word", margin_top="4px"),
                font_size="14px",
                font_weight="400",
            ),
            scope="row",
            text_align="left",
            padding="8px",
            vertical_align="top",
        ),
        rx.el.td(row["figure"], padding="8px", vertical_align="top"),
        _status(row),
        _binds(row),
        border_bottom=f"1px solid {theme.NHS_BORDER}",
        id="readiness-" + row["id"],
    )


def _table(hub) -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.caption(
                hub["name"] + " (" + hub["code"] + ") against GIRFT's hub standards",
                text_align="left",
                font_size="18px",
                font_weight="600",
                padding_bottom="8px",
            ),
            rx.el.thead(
                rx.el.tr(
                    *[
                        rx.el.th(h, scope="col", text_align="left", padding="8px", width=w)
                        for h, w in (
                            ("Accreditation element", "16%"),
                            ("Standard and source", "32%"),
                            ("Hub's figure in this scenario", "20%"),
                            ("Status", "16%"),
                            ("Binds the plan?", "16%"),
                        )
                    ],
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    HubReadinessState.rows,
                    lambda row: rx.cond(row["hub"] == hub["code"], _row(row)),
                )
            ),
            width="100%",
            # Five columns stay readable on a phone: the region scrolls sideways instead.
            min_width="760px",
            # The same columns in every hub's table, so the hubs read side by side.
            table_layout="fixed",
            border_collapse="collapse",
        ),
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
    )


def _input(hub, name: str, label: str, width: str) -> rx.Component:
    return row_input("readiness", hub, name, label, width=width, required=True)


def _form(hub) -> rx.Component:
    definition_id = "readiness-" + hub["code"] + "-definition"
    return rx.form(
        rx.el.input(type="hidden", name="code", value=hub["code"]),
        rx.flex(
            _input(hub, "days", "Operating days a week", "80px"),
            _input(hub, "weeks", "Operating weeks a year", "80px"),
            labelled_select(
                "Utilisation is at " + hub["code"],
                definition_id,
                rx.el.option("capped", value="capped"),
                rx.el.option("uncapped", value="uncapped"),
                name="definition",
                default_value=hub["definition"],
            ),
            _input(hub, "day_case", "Day-case rate, BADS procedures (%)", "80px"),
            _input(hub, "cataracts", "Cataracts a half-day list", "80px"),
            button("Save " + hub["code"] + " hub figures", type="submit"),
            gap="16px",
            wrap="wrap",
            align="end",
        ),
        on_submit=HubReadinessState.save,
        key=hub["key"],
        padding_y="12px",
    )


def _hub_section(hub, can_edit: rx.Var) -> rx.Component:
    return rx.box(
        rx.heading(hub["name"], as_="h3", size="4", margin_top="16px"),
        rx.text(
            "Utilisation in this table is ",
            rx.el.strong(hub["definition"]),
            ". ",
            hub["definition_words"],
        ),
        rx.text(hub["plan_note"], color=theme.NHS_SECONDARY_TEXT, font_size="14px"),
        _table(hub),
        rx.cond(can_edit, _form(hub)),
        border_bottom=f"1px solid {theme.NHS_BORDER}",
        padding_bottom="12px",
    )


def hub_readiness_panel(can_edit: rx.Var) -> rx.Component:
    """Each elective hub against GIRFT's standards; a form per hub for those who may edit."""
    return rx.cond(
        HubReadinessState.hubs.length() > 0,  # type: ignore[attr-defined]
        rx.box(
            rx.heading("Hub readiness against GIRFT's standards", as_="h2", size="5"),
            rx.text(
                "GIRFT's published elective hub principles are each hub's defaults. Sessions a "
                "day are the site's sessions a week per theatre over its operating days; "
                "utilisation is the site's utilisation cap (both set in the capacity table). "
                "The rebalance and the projections read every cap as capped; a hub whose figure "
                "is uncapped plans with more theatre time than its capped figure would give. "
                "The day-case rate is the hub's planned figure for BADS Directory procedures; "
                "the rebalance uses each treatment function's day-case rate from the case mix. "
                "A standard binds the plan when it sets a resource (theatre time, overnight "
                "beds, day-case places) that is full at the hub in the last rebalancing plan. "
                "GIRFT's other accreditation elements (staff and training, clinical governance "
                "and outcomes, facilities and ring-fencing) have no figures here.",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            rx.foreach(HubReadinessState.hubs, lambda hub: _hub_section(hub, can_edit)),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
            id="hub-readiness",
        ),
    )
