"""The scenario page's tables: site capacity, case-mix and workforce (edited in place), impact.

`can` and `editable` say whether this user may edit a figure of the scenario shown; the service
checks again when the figure is saved.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.measures import label as measure_label
from ics_capacity.services.capacity import EDITABLE_FIELDS
from ics_capacity.ui import theme
from ics_capacity.ui.components.measures import term
from ics_capacity.ui.components.tables import (
    body_rows,
    cell,
    column_heading,
    data_table,
    row_heading,
    table_caption,
)
from ics_capacity.ui.components.widgets import table_panel, working
from ics_capacity.ui.pages.scenario.state import ScenarioPageState
from ics_capacity.ui.pages.scenario.view import CAPACITY_COLUMNS
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState


def can(permission: str) -> rx.Var:
    """Whether the signed-in user's role has `permission` in this collaborative."""
    return SessionState.permissions.contains(permission)


editable = ScenarioRoom.editable


def impact_panel() -> rx.Component:
    """The effect of the scenario's capacity at the next year end, refreshed after each edit."""
    cell = {"padding": "6px 8px", "text_align": "right"}
    return rx.box(
        rx.hstack(
            rx.heading("Impact", as_="h2", size="5"),
            working(ScenarioPageState.impact_busy, "Projecting…"),
            align="center",
            spacing="4",
        ),
        rx.cond(
            ScenarioPageState.impact_rows.length() > 0,
            rx.el.table(
                rx.el.caption(
                    ScenarioPageState.impact_caption, text_align="left", font_weight="600"
                ),
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Measure", scope="col", text_align="left", padding="6px 8px"),
                        rx.el.th("This scenario", scope="col", **cell),
                        rx.el.th("Compared with", scope="col", **cell),
                        rx.el.th("Change", scope="col", **cell),
                        border_bottom=f"2px solid {theme.NHS_TEXT}",
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        ScenarioPageState.impact_rows,
                        lambda r: rx.el.tr(
                            rx.el.th(
                                term(r["label"], r["definition"]),
                                scope="row",
                                text_align="left",
                                padding="6px 8px",
                            ),
                            rx.el.td(r["scenario"], **cell),
                            rx.el.td(r["comparison"], **cell),
                            rx.el.td(r["change"], **cell, font_weight="600"),
                            border_bottom=f"1px solid {theme.NHS_BORDER}",
                        ),
                    )
                ),
                width="100%",
                border_collapse="collapse",
                class_name="figures",
                id="scenario-impact",
            ),
        ),
        rx.text(
            ScenarioPageState.impact_note,
            size="2",
            color=theme.NHS_SECONDARY_TEXT,
            margin_top="8px",
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        margin_top="16px",
    )


def _cell(row, key: str, version_key: str) -> rx.Component:
    label = f"{EDITABLE_FIELDS[key].label} at "
    return rx.el.td(
        rx.cond(
            can("edit_capacity") & editable,
            rx.el.input(
                default_value=row[key],
                key=row["site_id"] + key + row[key],
                aria_label=label + row["name"],
                on_blur=lambda value: ScenarioPageState.save_cell(
                    row["site_id"], key, value, row[version_key]
                ),
                width="72px",
                padding="4px 6px",
                text_align="right",
                border=f"2px solid {theme.NHS_SECONDARY_TEXT}",
                border_radius="0",
                font_size="16px",
            ),
            rx.text(row[key]),
        ),
        rx.cond(
            ScenarioPageState.field_error_key == row["site_id"] + "-" + key,
            rx.text(
                ScenarioPageState.field_error,
                color=theme.NHS_RED,
                font_size="14px",
                role="alert",
                max_width="160px",
            ),
        ),
        text_align="right",
        padding="8px",
    )


def _figure_cell(entity: str, row, key: str, label: str) -> rx.Component:
    permission = "edit_workforce" if entity == "workforce" else "edit_capacity"
    described = row["trust"] + " " + row["staff_group"] if entity == "workforce" else row["name"]
    return rx.el.td(
        rx.cond(
            can(permission) & editable,
            rx.el.input(
                default_value=row[key],
                key=row["id"] + key + row[key],
                aria_label=label + " for " + described,
                on_blur=lambda value: ScenarioPageState.save_figure(
                    entity, row["id"], key, value, row["version"]
                ),
                width="88px",
                padding="4px 6px",
                text_align="right",
                border=f"2px solid {theme.NHS_SECONDARY_TEXT}",
                border_radius="0",
                font_size="16px",
            ),
            rx.text(row[key]),
        ),
        rx.cond(
            ScenarioPageState.field_error_key == entity + "-" + row["id"] + "-" + key,
            rx.text(
                ScenarioPageState.field_error,
                color=theme.NHS_RED,
                font_size="14px",
                role="alert",
                max_width="200px",
            ),
        ),
        text_align="right",
        padding="6px 8px",
    )


def _figures_table(
    entity: str,
    caption: str,
    names: list[str],
    figures: list[tuple[str, str, str]],
    rows,
    name_cells,
) -> rx.Component:
    """A table of figures edited in place: the row's names, its figures, who changed it last.

    `figures` are (key, column heading, the words an input's accessible name starts with);
    `name_cells(row)` draws the cells under `names`.
    """
    headings = [*names, *[heading for _, heading, _ in figures], "Last changed by"]
    return table_panel(
        data_table(
            caption,
            headings,
            rows,
            lambda r: [
                *name_cells(r),
                *[_figure_cell(entity, r, key, label) for key, _, label in figures],
                cell(
                    r["updated_by"],
                    padding="6px 8px",
                    font_size="14px",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
            ],
            right_aligned={heading for _, heading, _ in figures},
            class_name="figures",
        )
    )


def _name(*text) -> rx.Component:
    return row_heading(*text, padding="6px 8px", font_weight="600")


def case_mix_table() -> rx.Component:
    """The case-mix figures of each treatment function, edited in place."""
    return _figures_table(
        "case_mix",
        "Case-mix",
        ["Treatment function"],
        [
            ("minutes_per_case", "Theatre minutes per case", "Theatre minutes per case"),
            ("length_of_stay_days", "Length of stay (days)", "Length of stay"),
            ("day_case_rate", "Day-case rate", "Day-case rate"),
        ],
        ScenarioRoom.case_mix,
        lambda r: [_name(r["name"], " (", r["tfc"], ")")],
    )


def workforce_table() -> rx.Component:
    """Staff in post by trust and staff group, edited in place."""
    return _figures_table(
        "workforce",
        "Workforce: staff in post",
        ["Trust", "Staff group"],
        [
            ("headcount", "Headcount", "Headcount"),
            ("fte", "Full-time equivalent", "Full-time equivalent"),
        ],
        ScenarioRoom.workforce,
        lambda r: [cell(r["trust"], padding="6px 8px"), _name(r["staff_group"])],
    )


def capacity_table() -> rx.Component:
    """Each site's theatres and beds, edited in place, with who changed them last."""
    return table_panel(
        rx.el.table(
            table_caption("Site capacity"),
            rx.el.thead(
                rx.el.tr(
                    column_heading("Site"),
                    *[
                        column_heading(heading, text_align="right")
                        for heading in [
                            *[heading for _, heading, _ in CAPACITY_COLUMNS],
                            measure_label("usable_theatre_hours"),
                        ]
                    ],
                    column_heading("Last changed by"),
                    rx.el.th(rx.el.span("Actions", class_name="visually-hidden"), scope="col"),
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            body_rows(
                ScenarioRoom.rows,
                lambda row: [
                    row_heading(
                        rx.text(row["name"], font_weight="600"),
                        rx.text(
                            row["role"],
                            " · ",
                            row["operator"],
                            font_size="14px",
                            color=theme.NHS_SECONDARY_TEXT,
                            font_weight="400",
                        ),
                    ),
                    *[_cell(row, key, version) for key, _, version in CAPACITY_COLUMNS],
                    cell(row["theatre_hours"], text_align="right"),
                    cell(row["updated"], font_size="14px", color=theme.NHS_SECONDARY_TEXT),
                ],
            ),
            class_name="figures",
            width="100%",
            border_collapse="collapse",
        )
    )
