"""Pieces of the rebalance page: run fields, who moves where, and first appointments moved.

Each takes the page's state class, so that this module needs no import of the page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input
from ics_capacity.ui.components.widgets import figures_table, panel, secondary_buttons


def number_field(label: str, html_id: str, value, on_change) -> rx.Component:
    """A labelled number box of the run settings."""
    return labelled_input(label, html_id, value=value, on_change=on_change, width="90px")


def moves_panel(state: Any) -> rx.Component:
    """Who moves where: a sentence, the largest moved cohorts and the plan as a file."""
    columns = [
        ("trust", "From trust"),
        ("specialty", "Treatment function"),
        ("site", "Treated at"),
        ("month", "From the week starting in"),
        ("wait_band", "Waited when treated"),
        ("travel_minutes", "Travel (minutes)"),
        ("patients", "Patients"),
    ]
    return panel(
        rx.heading("Who moves where", as_="h2", size="5"),
        rx.cond(
            state.moves_sentence != "",
            rx.text(state.moves_sentence, font_weight="600", margin_top="8px"),
            rx.text("In this plan every trust treats its own patients.", margin_top="8px"),
        ),
        rx.text(state.moves_note, color=theme.NHS_SECONDARY_TEXT, margin_y="8px"),
        rx.hstack(
            *secondary_buttons(
                [
                    ("Download the plan (CSV)", state.download_moves("csv")),
                    ("Download the plan (Excel)", state.download_moves("xlsx")),
                ]
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.box(
            rx.el.table(
                rx.el.caption(
                    "Patients moved to another provider's site, largest cohorts first",
                    text_align="left",
                    font_weight="600",
                    padding_y="8px",
                ),
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col", text_align="left", padding="6px 8px")
                            for _, h in columns
                        ],
                        border_bottom=f"2px solid {theme.NHS_TEXT}",
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        state.moves,
                        lambda r: rx.el.tr(
                            *[rx.el.td(r[k], padding="6px 8px") for k, _ in columns],
                            border_bottom=f"1px solid {theme.NHS_BORDER}",
                        ),
                    )
                ),
                width="100%",
                border_collapse="collapse",
                class_name="figures",
            ),
            max_height="420px",
            overflow="auto",
            tab_index=0,
            role="region",
            aria_label="Patients moved, largest cohorts first",
            margin_top="8px",
        ),
        margin_top="16px",
    )


def stage_fields(state: Any) -> rx.Component:
    """The box that adds the stage before the first outpatient appointment, and its factor."""
    return rx.hstack(
        # The box and its label stay on one line; the label wraps beside the box on a phone.
        rx.hstack(
            rx.el.input(
                id="rb-non-admitted",
                type="checkbox",
                checked=state.non_admitted,
                on_change=state.set_non_admitted,
                width="20px",
                height="20px",
                flex_shrink="0",
            ),
            rx.el.label(
                "Move patients before their first outpatient appointment",
                html_for="rb-non-admitted",
                font_weight="600",
            ),
            align="center",
            spacing="3",
        ),
        rx.cond(
            state.non_admitted,
            number_field(
                "Clinic capacity (× today's first appointments)",
                "rb-clinic",
                state.clinic_factor,
                state.set_clinic_factor,
            ),
        ),
        align="end",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def first_appointments_panel(state: Any) -> rx.Component:
    """Patients moved before their first outpatient appointment, apart from treatment moves."""
    return rx.box(
        figures_table(
            "First outpatient appointments moved, by trust, clinic site and specialty",
            ["From trust", "Clinic at", "Specialty", "Patients", "Travel (minutes)"],
            state.first_appointments,
            ["trust", "site", "specialty", "patients", "travel_minutes"],
        ),
        rx.text(
            state.first_appointments_note,
            color=theme.NHS_SECONDARY_TEXT,
            margin_top="8px",
        ),
        id="first-appointments",
    )
