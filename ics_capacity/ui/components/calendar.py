"""The scenario's calendar: real weeks of capacity and demand, edited as a week range + a change.

Lines such as "hub X closed weeks 1-2" or "hub opens week 9, ramps up over 6 weeks" are added
and removed through `services.weekly_calendar`, which checks the caller's role and that the
scenario is a draft. The section shows the lines, England's bank holidays in the first year and
the weekly profile (capacity open and demand as % of a usual week) that the rebalancing model and
the projections both use.
"""

from __future__ import annotations

import pandas as pd
import reflex as rx

from ics_capacity.charts.weekly_calendar import weekly_profile
from ics_capacity.services.errors import SERVICE_ERRORS
from ics_capacity.services.scenarios import FieldValueError
from ics_capacity.services.weekly_calendar import (
    CalendarView,
    add_calendar_change,
    delete_calendar_change,
    read_calendar,
)
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, labelled_select
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import button, notice
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal

KINDS: list[tuple[str, str]] = [
    ("closed", "Site closed"),
    ("percent", "Up or down by a percentage (a site's capacity, or demand)"),
    ("opens", "Site opens, ramping up over weeks"),
    ("growth", "Demand grows by a percentage a year"),
]


def _profile_spec(view: CalendarView) -> dict:
    rows = []
    for week, (capacity, demand) in enumerate(
        zip(view.capacity_by_week, view.demand_by_week, strict=True), start=1
    ):
        starts = (pd.Timestamp(view.start_date) + pd.Timedelta(weeks=week - 1)).date().isoformat()
        rows.append(("Capacity open", week, starts, capacity * 100))
        rows.append(("Demand", week, starts, demand * 100))
    frame = pd.DataFrame(rows, columns=["measure", "week", "week_start", "percent"])
    return weekly_profile(frame).to_dict()


class CalendarState(rx.State):
    """This browser's view of the open scenario's calendar."""

    lines: list[dict[str, str]] = []
    sites: list[dict[str, str]] = []
    start_date: str = ""
    bank_holidays: list[str] = []
    seasonal_method: str = ""
    spec: dict = {}
    has_profile: bool = False
    error: str = ""

    async def _scenario(self) -> tuple[str, int]:
        session = await self.get_state(SessionState)
        room = await self.get_state(ScenarioRoom)
        return session.token, room.scenario_id

    def _show(self, view: CalendarView) -> None:
        self.lines = [
            {
                "id": str(line.id),
                "weeks": line.weeks,
                "description": line.description,
                "created_by": line.created_by,
            }
            for line in view.lines
        ]
        self.sites = [{"code": code, "name": name} for code, name in view.sites]
        self.start_date = f"{view.start_date:%-d %B %Y}"
        self.bank_holidays = view.bank_holidays
        self.seasonal_method = view.seasonal_method
        self.spec = _profile_spec(view)
        self.has_profile = bool(view.capacity_by_week)

    @rx.event
    async def load(self):
        """Reads the scenario's calendar and its weekly profile."""
        token, scenario_id = await self._scenario()
        if not scenario_id:
            return None
        try:
            self._show(read_calendar(token, scenario_id))
        except SERVICE_ERRORS as error:
            return refusal(error)
        return None

    async def _changed(self, token: str, scenario_id: int, words: str) -> None:
        self._show(read_calendar(token, scenario_id))
        session = await self.get_state(SessionState)
        room = await self.get_state(ScenarioRoom)
        room._refresh(token, scenario_id, f"{session.user_name} {words}")

    @rx.event
    async def add_change(self, form: dict):
        """Adds a calendar line from the form, or shows every problem with it."""
        token, scenario_id = await self._scenario()
        self.error = ""
        try:
            add_calendar_change(
                token,
                scenario_id,
                first_week=str(form.get("first_week", "")),
                last_week=str(form.get("last_week", "")),
                kind=str(form.get("kind", "")),
                value=str(form.get("value", "")),
                site_code=str(form.get("site", "")),
                note=str(form.get("note", "")),
            )
            await self._changed(token, scenario_id, "changed the calendar")
        except FieldValueError as error:
            self.error = str(error)  # shown beside the form: every problem with the line
            return None
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.toast.success("Added to the calendar")

    @rx.event
    async def remove_change(self, change_id: str):
        """Removes one calendar line."""
        token, scenario_id = await self._scenario()
        try:
            delete_calendar_change(token, scenario_id, int(change_id))
            await self._changed(token, scenario_id, "removed a calendar line")
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.toast.success("Removed from the calendar")


def _field(label: str, name: str, width: str = "90px", **props) -> rx.Component:
    return labelled_input(
        label,
        f"calendar-{name}",
        name=name,
        width=width,
        **props,
    )


def _select(label: str, name: str, *options: rx.Component) -> rx.Component:
    return labelled_select(
        label,
        f"calendar-{name}",
        *options,
        name=name,
    )


def _line_row(line, can_edit: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(line["weeks"], padding="6px 8px"),
        rx.el.td(line["description"], padding="6px 8px"),
        rx.el.td(line["created_by"], padding="6px 8px"),
        rx.el.td(
            rx.cond(
                can_edit,
                button(
                    "Remove",
                    kind="secondary",
                    aria_label="Remove " + line["description"].to(str),
                    on_click=CalendarState.remove_change(line["id"]),  # type: ignore[operator]
                ),
            ),
            padding="6px 8px",
        ),
        border_top=f"1px solid {theme.NHS_BORDER}",
    )


def _add_form(after_change: rx.EventHandler | None) -> rx.Component:
    events = [CalendarState.add_change] + ([after_change] if after_change is not None else [])
    return rx.form(
        rx.flex(
            _select("Change", "kind", *(rx.el.option(text, value=key) for key, text in KINDS)),
            _select(
                "Site",
                "site",
                rx.el.option("— (demand)", value=""),
                rx.foreach(
                    CalendarState.sites,
                    lambda s: rx.el.option(s["name"] + " (" + s["code"] + ")", value=s["code"]),
                ),
            ),
            _field("First week", "first_week", required=True, placeholder="e.g. 9"),
            _field("Last week", "last_week", placeholder="e.g. 14"),
            _field("Value (% or ramp weeks)", "value", "120px", placeholder="e.g. -25"),
            _field("Note", "note", "240px", placeholder="e.g. theatre 3 refurbishment"),
            button("Add to calendar", type="submit"),
            gap="16px",
            wrap="wrap",
            align="end",
        ),
        on_submit=events,
        reset_on_submit=True,
    )


def calendar_section(can_edit: rx.Var, after_change: rx.EventHandler | None = None) -> rx.Component:
    """The calendar of the open scenario; `can_edit` shows the form and the remove buttons.

    Args:
        can_edit: True when the user may edit capacity and the scenario is a draft (the service
            checks again on every change).
        after_change: An event to run after a line is added (e.g. re-projecting the scenario).
    """
    return rx.box(
        rx.heading("Calendar: real weeks", as_="h2", size="5"),
        rx.text(
            "Week 1 starts ",
            rx.text.strong(CalendarState.start_date),
            ". Each site loses England's bank holidays on its operating days (six days a week "
            "at an elective hub, five elsewhere); capacity and demand follow the months' seasonal "
            "indices (" + CalendarState.seasonal_method + "). Add a week range and a change.",
            color=theme.NHS_TEXT,
        ),
        rx.cond(
            CalendarState.bank_holidays.length() > 0,  # type: ignore[attr-defined]
            rx.el.details(
                rx.el.summary("Bank holidays in the first year"),
                rx.el.ul(rx.foreach(CalendarState.bank_holidays, lambda h: rx.el.li(h))),
            ),
        ),
        rx.el.table(
            rx.el.caption("Calendar lines", text_align="left", font_weight="700"),
            rx.el.thead(
                rx.el.tr(
                    *(
                        rx.el.th(h, scope="col", text_align="left", padding="6px 8px")
                        for h in ("Weeks", "Change", "Added by", "")
                    )
                )
            ),
            rx.el.tbody(rx.foreach(CalendarState.lines, lambda line: _line_row(line, can_edit))),
            width="100%",
            margin_top="8px",
        ),
        rx.cond(
            CalendarState.lines.length() == 0,  # type: ignore[attr-defined]
            rx.text("No changes yet: every week is usual but for bank holidays and seasons."),
        ),
        rx.cond(
            can_edit,
            rx.box(
                _add_form(after_change),
                rx.cond(
                    CalendarState.error != "",
                    notice(rx.text(CalendarState.error), tone="warning", role="alert"),
                ),
                margin_top="12px",
            ),
        ),
        rx.cond(
            CalendarState.has_profile,
            vega_chart(CalendarState.spec, "Capacity open and demand by week, % of a usual week"),
        ),
        on_mount=CalendarState.load,
        background_color=theme.NHS_WHITE,
        padding="20px",
        margin_top="16px",
    )
