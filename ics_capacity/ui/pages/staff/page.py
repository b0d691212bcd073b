"""The Staff page: the scenario's staff table, leave, requests, the request import and the forms."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, scenario_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    drop_zone,
    field_label,
    panel,
)
from ics_capacity.ui.pages.staff.forms import leave_panel, person_form, request_form, table_head
from ics_capacity.ui.pages.staff.state import StaffState
from ics_capacity.ui.pages.staff.view import REQUESTS_FILE_INPUT_ID, REQUESTS_UPLOAD_ID
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState


def requests_panel() -> rx.Component:
    """The chosen person's requests, each editable, and the request form."""
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return panel(
        rx.heading("Requests of " + StaffState.requests_of, as_="h2", size="5"),
        rx.text(
            "Shifts this person asks to work or to have off. The rota meets them where it can; "
            "a higher weight (1 to 10) counts for more when not every request can be met.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        rx.el.table(
            rx.el.caption("Requests", text_align="left", font_weight="600"),
            table_head("Date", "Shift", "Request", "Weight", "Note", ""),
            rx.el.tbody(
                rx.foreach(
                    StaffState.request_rows,
                    lambda r: rx.el.tr(
                        rx.el.td(r["date"], padding="8px"),
                        rx.el.td(r["shift"], padding="8px"),
                        rx.el.td(r["request"], padding="8px"),
                        rx.el.td(r["weight"], padding="8px"),
                        rx.el.td(r["note"], padding="8px"),
                        rx.el.td(
                            rx.cond(
                                can_edit,
                                _edit_and_remove(
                                    StaffState.choose_request(r["key"]),
                                    StaffState.remove_request(r["key"]),
                                    "request of " + r["date"],
                                ),
                            ),
                            padding="8px",
                        ),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    ),
                )
            ),
            width="100%",
            border_collapse="collapse",
        ),
        rx.cond(can_edit, request_form()),
        margin_top="16px",
    )


def import_requests_panel() -> rx.Component:
    """The upload of a file of requests, and its problems when it imports nothing."""
    return panel(
        rx.heading("Import requests", as_="h2", size="5"),
        rx.text(
            "A CSV or Excel file with one request a row: staff code, date, shift (blank for the "
            "whole day), request (on or off), weight (1 to 10) and note (docs/rota.md, "
            "'Requests'). The whole file is checked first; a file with any problem, or with "
            "patient details, imports nothing. Each row replaces that person's request for the "
            "same day and shift; other requests are kept.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        field_label("File of requests", REQUESTS_FILE_INPUT_ID),
        drop_zone(
            REQUESTS_UPLOAD_ID,
            REQUESTS_FILE_INPUT_ID,
            "Drag a file here, or choose one",
            "File of requests: drop zone",
            padding="16px",
        ),
        rx.hstack(
            button(
                "Import requests",
                on_click=StaffState.import_requests(rx.upload_files(upload_id=REQUESTS_UPLOAD_ID)),
            ),
            rx.cond(
                StaffState.importing,
                rx.hstack(rx.spinner(), rx.text("Importing…"), role="status"),
            ),
            margin_top="12px",
            align="center",
            spacing="3",
        ),
        rx.cond(
            StaffState.import_problems,
            rx.box(
                rx.text(
                    "Problems in the file: nothing was imported.",
                    font_weight="700",
                    color=theme.NHS_RED,
                ),
                rx.el.ul(rx.foreach(StaffState.import_problems, lambda p: rx.el.li(p))),
                role="alert",
                border=f"4px solid {theme.NHS_RED}",
                padding="12px",
                margin_top="12px",
            ),
        ),
        margin_top="16px",
    )


def row_actions(p: dict) -> rx.Component:
    """A staff row's buttons: leave, requests, and edit and remove for those who may."""
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return rx.hstack(
        button(
            "Leave",
            kind="secondary",
            on_click=StaffState.show_leave(p["code"]),
            aria_label="Leave of " + p["code"],
        ),
        button(
            "Requests",
            kind="secondary",
            on_click=StaffState.show_requests(p["code"]),
            aria_label="Requests of " + p["code"],
        ),
        rx.cond(
            can_edit,
            _edit_and_remove(StaffState.edit(p["code"]), StaffState.remove(p["code"]), p["code"]),
        ),
        spacing="2",
    )


@protected_page("/staff", "Staff", on_load=[StaffState.load])
def staff_page() -> rx.Component:
    """The Staff page."""
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return page_shell(
        rx.heading("Staff", as_="h1", size="8"),
        rx.text(
            "The people the rota may place in this scenario: role, contract, hours, the sites "
            "they may work at, and their leave. Workforce leads change them on a draft scenario; "
            "each change is checked, audited and refused if someone else changed the person "
            "first.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            rx.flex(
                scenario_select("staff-scenario", StaffState.choose_scenario),
                labelled_input(
                    "Find",
                    "staff-filter",
                    type="search",
                    value=StaffState.filter_text,
                    on_change=StaffState.set_filter,
                    placeholder="code, role or site",
                ),
                gap="16px",
                wrap="wrap",
            ),
            rx.cond(
                ~StaffState.editable,
                rx.text(
                    "This scenario is not a draft: its staff are shown, not changed. Create a "
                    "scenario from it to make changes.",
                    margin_top="8px",
                ),
            ),
        ),
        panel(
            rx.box(
                rx.el.table(
                    rx.el.caption(
                        "Staff (" + StaffState.shown.length().to_string() + ")",
                        text_align="left",
                        font_size="20px",
                        font_weight="600",
                        padding_bottom="12px",
                    ),
                    table_head(
                        "Code",
                        "Label",
                        "Trust",
                        "Role",
                        "Contract",
                        "Hours a week",
                        "Sites",
                        "Leave",
                        "Requests",
                        "",
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            StaffState.shown,
                            lambda p: rx.el.tr(
                                rx.el.th(p["code"], scope="row", text_align="left", padding="8px"),
                                rx.el.td(p["label"], padding="8px"),
                                rx.el.td(p["trust"], padding="8px"),
                                rx.el.td(p["role_label"], padding="8px"),
                                rx.el.td(p["contract_label"], padding="8px"),
                                rx.el.td(p["hours"], padding="8px"),
                                rx.el.td(p["sites"], padding="8px"),
                                rx.el.td(p["leave"], padding="8px"),
                                rx.el.td(p["requests"], padding="8px"),
                                rx.el.td(row_actions(p), padding="8px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                ),
                overflow_x="auto",
                max_height="60vh",
                overflow_y="auto",
                tab_index=0,
            ),
            margin_top="16px",
        ),
        rx.cond(StaffState.leave_of != "", leave_panel()),
        rx.cond(StaffState.requests_of != "", requests_panel()),
        rx.cond(can_edit, import_requests_panel()),
        rx.cond(can_edit, person_form()),
    )


def _edit_and_remove(on_edit: Any, on_remove: Any, what: Any) -> rx.Component:
    """The row's Edit and Remove buttons, each named with what it acts on for screen readers."""
    return rx.hstack(
        button("Edit", kind="secondary", on_click=on_edit, aria_label="Edit " + what),
        button("Remove", kind="warning", on_click=on_remove, aria_label="Remove " + what),
        spacing="2",
    )
