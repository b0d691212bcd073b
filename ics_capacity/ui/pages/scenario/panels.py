"""The scenario page's forms and panels: add a site, approval, branch and rename, comments."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, name_form, text_area
from ics_capacity.ui.components.widgets import button, field_label
from ics_capacity.ui.pages.scenario.state import ScenarioPageState
from ics_capacity.ui.pages.scenario.tables import can, editable
from ics_capacity.ui.state.rooms import ScenarioRoom


def add_site_form() -> rx.Component:
    """Adds a site or elective hub with its theatres and beds (editors of a draft)."""

    def field(label: str, name: str, width: str = "120px", **props) -> rx.Component:
        return labelled_input(
            label,
            f"site-{name}",
            name=name,
            width=width,
            **props,
        )

    return rx.cond(
        can("edit_capacity") & editable,
        rx.box(
            rx.heading("Add a site or elective hub", as_="h2", size="5"),
            rx.form(
                rx.flex(
                    field("Code", "code", required=True, placeholder="e.g. NEWHUB"),
                    field("Name", "name", "260px", required=True),
                    field(
                        "Run by (trust ODS code)", "operator", required=True, placeholder="e.g. RNA"
                    ),
                    field("Theatres", "theatres", "90px", required=True, default_value="4"),
                    field(
                        "Sessions a week per theatre",
                        "sessions",
                        "90px",
                        required=True,
                        default_value="10",
                    ),
                    field("Elective overnight beds", "beds", "90px", default_value="0"),
                    field("Day-case places", "day_case", "90px", default_value="0"),
                    field(
                        "Treatment functions (codes, comma-separated)",
                        "tfcs",
                        "300px",
                        placeholder="C_110, C_130",
                    ),
                    rx.hstack(
                        rx.el.input(
                            type="checkbox", id="site-hub", name="hub", width="20px", height="20px"
                        ),
                        field_label("Elective hub", "site-hub"),
                        align="center",
                    ),
                    button("Add site", type="submit"),
                    gap="16px",
                    wrap="wrap",
                    align="end",
                ),
                on_submit=ScenarioPageState.add_site,
                reset_on_submit=True,
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
        ),
    )


def workflow_panel() -> rx.Component:
    """Submit, archive, and an executive's approve or reject with a note."""
    return rx.box(
        rx.heading("Approval", as_="h2", size="5"),
        rx.cond(ScenarioRoom.status_note != "", rx.text(ScenarioRoom.status_note, margin_y="8px")),
        rx.hstack(
            rx.cond(
                can("submit_scenario") & editable & ~ScenarioRoom.is_baseline,
                button("Submit for approval", on_click=ScenarioPageState.submit_for_approval),
            ),
            rx.cond(
                can("manage_scenarios")
                & ~ScenarioRoom.is_baseline
                & (ScenarioRoom.status != "archived"),
                button("Archive", on_click=ScenarioPageState.archive, kind="secondary"),
            ),
            spacing="3",
            margin_top="8px",
        ),
        rx.cond(
            can("approve_scenario") & (ScenarioRoom.status == "submitted"),
            rx.vstack(
                field_label("Decision note (optional)", "decision-note"),
                text_area(
                    "decision-note",
                    rows="2",
                    width="100%",
                    value=ScenarioPageState.decision_note,
                    on_change=ScenarioPageState.set_decision_note,
                ),
                rx.hstack(
                    button("Approve", on_click=ScenarioPageState.approve),
                    button("Reject", on_click=ScenarioPageState.reject, kind="warning"),
                    spacing="3",
                ),
                spacing="2",
                width="100%",
                margin_top="12px",
            ),
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
    )


def branch_and_rename() -> rx.Component:
    """A new scenario from this one, and renaming this one."""
    return rx.cond(
        can("manage_scenarios"),
        rx.box(
            rx.heading("Change this scenario", as_="h2", size="5"),
            name_form(
                "New scenario from this one",
                "branch-name",
                "Create scenario",
                ScenarioPageState.branch,
                placeholder="e.g. Extra Saturday lists at Cannock",
                reset_on_submit=True,
            ),
            rx.cond(
                ~ScenarioRoom.is_baseline & (ScenarioRoom.status != "archived"),
                name_form(
                    "Rename",
                    "rename",
                    "Rename",
                    ScenarioPageState.rename,
                    kind="secondary",
                    reset_on_submit=True,
                    margin_top="12px",
                ),
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
        ),
    )


def comments() -> rx.Component:
    """The scenario's comments, and a form to add one."""
    return rx.box(
        rx.heading("Comments", as_="h2", size="5"),
        rx.cond(
            ScenarioRoom.comments.length() == 0,
            rx.text("No comments yet.", color=theme.NHS_SECONDARY_TEXT),
        ),
        rx.el.ul(
            rx.foreach(
                ScenarioRoom.comments,
                lambda c: rx.el.li(
                    rx.text(
                        c["author"],
                        " · ",
                        c["at"],
                        font_size="14px",
                        color=theme.NHS_SECONDARY_TEXT,
                    ),
                    rx.text(c["body"], white_space="pre-wrap"),
                    padding_y="8px",
                    border_bottom=f"1px solid {theme.NHS_BORDER}",
                ),
            ),
            list_style="none",
            padding="0",
            aria_label="Comments",
        ),
        rx.cond(
            can("comment"),
            rx.form(
                rx.vstack(
                    field_label("Add a comment", "comment-body"),
                    text_area(
                        "comment-body",
                        name="body",
                        rows="3",
                        width="100%",
                        required=True,
                    ),
                    button("Post comment", type="submit", kind="secondary"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ScenarioPageState.comment,
                reset_on_submit=True,
                margin_top="12px",
            ),
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
    )
