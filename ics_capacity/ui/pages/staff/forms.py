"""The Staff page's forms: a person, their leave, and a request (add or edit, one footer)."""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.staff import FIELD_LABELS, LEAVE_KINDS, REQUEST_LABELS, WEIGHT_RANGE
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import INPUT_STYLE, labelled_control, save_or_add_buttons
from ics_capacity.ui.components.widgets import button, field_label, panel
from ics_capacity.ui.pages.staff.state import StaffState
from ics_capacity.ui.pages.staff.view import CONTRACTS, EMPLOYMENT, ROLES
from ics_capacity.ui.state.session import SessionState


def table_head(*headings: str) -> rx.Component:
    """A table's head row: one column heading per name."""
    return rx.el.thead(
        rx.el.tr(
            *[rx.el.th(h, scope="col", text_align="left", padding="8px") for h in headings],
            border_bottom=f"2px solid {theme.NHS_TEXT}",
        )
    )


def _text(meaning: str, kind: str = "text") -> rx.Component:
    html_id = f"staff-{meaning}"
    # A person's code is what locks, requests and rotas know them by: an edit keeps it.
    fixed = {"read_only": StaffState.editing != ""} if meaning == "code" else {}
    return rx.vstack(
        field_label(FIELD_LABELS[meaning], html_id),
        rx.el.input(
            id=html_id,
            name=meaning,
            type=kind,
            step="any" if kind == "number" else None,
            default_value=StaffState.form_values.get(meaning, ""),
            **fixed,
            **INPUT_STYLE,
        ),
        spacing="1",
        min_width="0",
    )


def _choice(meaning: str, options: dict[str, str], default: str) -> rx.Component:
    html_id = f"staff-{meaning}"
    return rx.vstack(
        field_label(FIELD_LABELS[meaning], html_id),
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in options.items()],
            id=html_id,
            name=meaning,
            default_value=StaffState.form_values.get(meaning, default),
            **INPUT_STYLE,
        ),
        spacing="1",
        min_width="0",
    )


def person_form() -> rx.Component:
    """The form that adds a person or edits the one chosen (their code stays)."""
    roles = {r: r.replace("_", " ").capitalize().replace("Odp", "ODP") for r in ROLES}
    return panel(
        rx.heading(
            rx.cond(StaffState.editing != "", "Edit " + StaffState.editing, "Add a person"),
            as_="h2",
            size="5",
        ),
        rx.text(
            "Use a staff code and a role label, not a name: the app keeps no personal details. "
            "List sites as codes separated by ';' (the home site is added). Surgeons list the "
            "treatment functions they operate in as skills (e.g. C_110).",
            margin_y="8px",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.form(
            rx.grid(
                _text("code"),
                _text("label"),
                _text("trust"),
                _text("home_site"),
                _choice("role", roles, "anaesthetist"),
                _text("grade"),
                _choice("contract", CONTRACTS, "agenda_for_change"),
                _choice("employment", EMPLOYMENT, "substantive"),
                _text("hours", "number"),
                _text("sites"),
                _text("skills"),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                save_or_add_buttons(
                    StaffState.editing != "",
                    save="Save changes",
                    add="Add person",
                    new_instead="Add a new person instead",
                    on_new=StaffState.new_person,
                ),
                spacing="3",
                margin_top="12px",
            ),
            key=StaffState.form_key,
            on_submit=StaffState.save,
            reset_on_submit=False,
        ),
        margin_top="16px",
    )


def leave_panel() -> rx.Component:
    """The chosen person's leave and fixed days off, with a form to add more."""
    return panel(
        rx.heading("Leave of " + StaffState.leave_of, as_="h2", size="5"),
        rx.el.table(
            rx.el.caption("Leave and fixed days off", text_align="left", font_weight="600"),
            table_head("Kind", "First day", "Last day", ""),
            rx.el.tbody(
                rx.foreach(
                    StaffState.leave_rows,
                    lambda x: rx.el.tr(
                        rx.el.td(x["kind"], padding="8px"),
                        rx.el.td(x["start"], padding="8px"),
                        rx.el.td(x["end"], padding="8px"),
                        rx.el.td(
                            rx.cond(
                                StaffState.editable,
                                button(
                                    "Remove",
                                    kind="warning",
                                    on_click=StaffState.remove_leave(x["id"]),
                                    aria_label="Remove leave from " + x["start"],
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
        rx.cond(
            StaffState.editable & SessionState.permissions.contains("edit_workforce"),
            rx.form(
                rx.flex(
                    rx.vstack(
                        field_label("Kind of leave", "leave-kind"),
                        rx.el.select(
                            *[rx.el.option(v, value=k) for k, v in LEAVE_KINDS.items()],
                            id="leave-kind",
                            name="kind",
                            default_value="annual_leave",
                            **INPUT_STYLE,
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        field_label("First day", "leave-start"),
                        rx.el.input(
                            id="leave-start",
                            name="start",
                            type="date",
                            required=True,
                            **INPUT_STYLE,
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        field_label("Last day", "leave-end"),
                        rx.el.input(id="leave-end", name="end", type="date", **INPUT_STYLE),
                        spacing="1",
                    ),
                    button("Add leave", type="submit", kind="secondary"),
                    gap="12px",
                    align="end",
                    wrap="wrap",
                ),
                on_submit=StaffState.add_leave,
                reset_on_submit=True,
                margin_top="12px",
            ),
        ),
        margin_top="16px",
    )


def _request_control(
    tag, meaning: str, *children, value_key: str = "", default: str = "", **props
) -> rx.Component:
    """One field of the request form, filled with the chosen request's value."""
    shown = StaffState.request_values.get(value_key or meaning, default)
    return tag(
        *children,
        id=f"request-{meaning}",
        name=meaning,
        default_value=shown,
        **props,
        **INPUT_STYLE,
    )


def request_form() -> rx.Component:
    """The form that adds a request of the chosen person or edits the one chosen."""
    low, high = WEIGHT_RANGE
    return rx.form(
        rx.heading(
            rx.cond(
                StaffState.editing_request != "",
                "Edit the request of " + StaffState.request_values.get("date", ""),
                "Add a request",
            ),
            as_="h3",
            size="4",
            margin_top="12px",
        ),
        rx.flex(
            labelled_control(
                REQUEST_LABELS["date"],
                _request_control(
                    rx.el.input, "date", type="date", required=True, value_key="iso_date"
                ),
            ),
            labelled_control(
                REQUEST_LABELS["shift"],
                _request_control(
                    rx.el.select,
                    "shift",
                    rx.foreach(StaffState.shift_choices, lambda c: rx.el.option(c[1], value=c[0])),
                    value_key="shift_kind",
                ),
            ),
            labelled_control(
                REQUEST_LABELS["request"],
                _request_control(
                    rx.el.select,
                    "request",
                    rx.el.option("Wants off", value="off"),
                    rx.el.option("Wants to work", value="on"),
                    default="off",
                    value_key="kind",
                ),
            ),
            labelled_control(
                f"{REQUEST_LABELS['weight']} ({low} to {high})",
                _request_control(
                    rx.el.input,
                    "weight",
                    type="number",
                    min=low,
                    max=high,
                    step=1,
                    default="1",
                    width="90px",
                ),
            ),
            labelled_control(
                REQUEST_LABELS["note"], _request_control(rx.el.input, "note", max_length=200)
            ),
            save_or_add_buttons(
                StaffState.editing_request != "",
                save="Save request",
                add="Add request",
                new_instead="Add a new request instead",
                on_new=StaffState.new_request,
                kind="secondary",
            ),
            gap="12px",
            align="end",
            wrap="wrap",
        ),
        key=StaffState.request_form_key,
        on_submit=StaffState.save_request,
        reset_on_submit=False,
        margin_top="12px",
    )
