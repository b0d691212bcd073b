"""The Dashboard's components: headline cards, panels, forms and the board pack.

Each reads `DashboardState` or `BoardPackState`; `page.py` lays them out.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.measures import label
from ics_capacity.services.board_pack import COMMENTARY_MAX_CHARS
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import labelled_input, text_area
from ics_capacity.ui.components.measures import heading, term
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import (
    button,
    field_label,
    figures_table,
    notice,
    panel,
    secondary_buttons,
    working,
)
from ics_capacity.ui.pages.dashboard.state import BoardPackState, DashboardState
from ics_capacity.ui.pages.dashboard.view import TARGET_KEYS
from ics_capacity.ui.state.picker import ScenarioPicker


def headline_card(item: dict) -> rx.Component:
    """One headline figure: projected at the horizon, with now and the trend."""
    colour = rx.match(
        item["trend"],
        ("better", theme.NHS_GREEN),
        ("worse", theme.NHS_RED),
        theme.NHS_SECONDARY_TEXT,
    )
    return rx.box(
        rx.text(
            term(item["label"], item["definition"]),
            size="2",
            font_weight="600",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.text(item["then"], font_size="28px", font_weight="700", line_height="1.2"),
        rx.text("projected ", item["when"], size="2", color=theme.NHS_SECONDARY_TEXT),
        rx.text(
            "now ", item["now"], " · ", item["trend"], size="2", color=colour, font_weight="600"
        ),
        background_color=theme.NHS_WHITE,
        border_top=f"4px solid {theme.NHS_BLUE}",
        padding="16px",
        role="group",
        aria_label=item["label"],
    )


_RAG_TEXT = {"Green": theme.NHS_GREEN, "Red": theme.NHS_RED, "Amber": theme.NHS_TEXT}


def removal_panel() -> rx.Component:
    """Treated and removed by validation side by side, never added together."""
    removal = DashboardState.removal

    def figure(key: str, extra: rx.Component | str = "") -> rx.Component:
        return rx.box(
            rx.text(
                term(removal[f"{key}_label"], removal[f"{key}_definition"]),
                size="2",
                font_weight="600",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            rx.text(removal[key], font_size="28px", font_weight="700", line_height="1.2"),
            rx.text(removal["weeks"], extra, size="2", color=theme.NHS_SECONDARY_TEXT),
            role="group",
            aria_label=removal[f"{key}_label"],
        )

    return rx.box(
        rx.heading("Leaving the list: treatment and validation", as_="h2", size="4"),
        rx.grid(
            figure("treated"),
            figure(
                "validated",
                rx.fragment(" · ", removal["validated_share"], " of those leaving the list"),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            margin_y="8px",
        ),
        rx.text(
            "Validation removes patients who no longer need treatment; it uses no theatre, bed "
            "or clinic capacity and is not counted as treatment. ",
            removal["basis"],
            " Set the share per specialty on the scenario page.",
            size="2",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.cond(
            removal["compared_name"] != "",
            rx.box(
                rx.text(
                    rx.text.strong(removal["compared_name"], ": "),
                    removal["compared"],
                    size="2",
                ),
                rx.text(removal["compared_basis"], size="2", color=theme.NHS_SECONDARY_TEXT),
                rx.cond(
                    removal["compared_more"] != "",
                    rx.text(removal["compared_more"], size="2", font_weight="600"),
                ),
                border_top=f"1px solid {theme.NHS_BORDER}",
                padding_top="8px",
                margin_top="8px",
                id="validation-compared",
            ),
        ),
        background_color=theme.NHS_WHITE,
        border_top=f"4px solid {theme.NHS_BLUE}",
        padding="16px",
        margin_top="16px",
        id="validation-apart",
    )


def rag_list() -> rx.Component:
    """The RAG as a list that wraps on a phone, where the chart's grid cannot fit 390 px."""
    return rx.box(
        rx.heading(label("rag_status"), as_="h2", size="4"),
        rx.el.ul(
            rx.foreach(
                DashboardState.rag_rows,
                lambda r: rx.el.li(
                    rx.text.strong(r["trust"]),
                    rx.text(
                        r["target"],
                        ": ",
                        rx.el.span(
                            r["status"],
                            font_weight="700",
                            color=rx.match(r["status"], *_RAG_TEXT.items(), theme.NHS_TEXT),
                        ),
                        ", ",
                        r["value"],
                    ),
                    border_left=rx.match(
                        r["status"],
                        ("Green", f"6px solid {theme.NHS_GREEN}"),
                        ("Amber", "6px solid #FFB81C"),
                        f"6px solid {theme.NHS_RED}",
                    ),
                    padding="4px 8px",
                    margin_bottom="6px",
                    list_style="none",
                ),
            ),
            padding="0",
            margin="8px 0 0",
        ),
        class_name="narrow-only",
        id="rag-list",
    )


def chart_panel(spec: rx.Var, label: str) -> rx.Component:
    """A chart in a panel, named for screen readers by `label`."""
    return panel(vega_chart(spec, label))


def capacity_question() -> rx.Component:
    """The capacity question: how much more treatment a week reaches a share by a date."""
    return panel(
        rx.heading("What capacity do we need?", as_="h2", size="5"),
        rx.form(
            rx.hstack(
                labelled_input(
                    "Share within 18 weeks (%)",
                    "cap-target",
                    name="target",
                    default_value=DashboardState.capacity_target,
                    width="100px",
                ),
                labelled_input(
                    "By",
                    "cap-by",
                    name="by",
                    type="date",
                    default_value=DashboardState.capacity_by,
                ),
                button("Work it out", type="submit"),
                align="end",
                spacing="4",
                wrap="wrap",
            ),
            on_submit=DashboardState.ask_capacity,
        ),
        rx.cond(
            DashboardState.capacity_rows.length() > 0,
            rx.box(
                rx.text(DashboardState.capacity_note, margin_top="12px"),
                rx.text(
                    DashboardState.capacity_rag_note,
                    color=theme.NHS_SECONDARY_TEXT,
                    margin_bottom="12px",
                ),
                rx.el.table(
                    rx.el.caption("Treatments a week needed", text_align="left", font_weight="600"),
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(
                                    h,
                                    scope="col",
                                    text_align="left" if i == 0 else "right",
                                    padding="6px 8px",
                                )
                                for i, h in enumerate(
                                    (
                                        "Trust",
                                        term(*heading("treatments_now")),
                                        term(*heading("treatments_needed")),
                                        "Extra in specialties short of it",
                                        "Spare in the others",
                                        term(*heading("projected_within_18_weeks")),
                                        "Status",
                                    )
                                )
                            ],
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            DashboardState.capacity_rows,
                            lambda r: rx.el.tr(
                                rx.el.th(
                                    r["trust"], scope="row", text_align="left", padding="6px 8px"
                                ),
                                rx.el.td(r["now"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["needed"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["extra"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["spare"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["projected"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["status"], text_align="right", padding="6px 8px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                    class_name="figures",
                ),
            ),
        ),
        margin_top="16px",
    )


def target_form() -> rx.Component:
    """Another dated target to check beside the defaults: what, how many, which wait, by when."""

    def field(text: str, html_id: str, control: rx.Component) -> rx.Component:
        return rx.vstack(field_label(text, html_id), control, spacing="1")

    boxed = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px"}
    return rx.form(
        rx.hstack(
            field(
                "Kind of target",
                "target-kind",
                rx.el.select(
                    rx.el.option("At most this many long waiters", value="max_long_waiters"),
                    rx.el.option("At least this share within 18 weeks", value="min_within_18"),
                    id="target-kind",
                    name="kind",
                    **boxed,
                ),
            ),
            field(
                "Patients, or %",
                "target-value",
                rx.el.input(
                    id="target-value", name="value", default_value="0", width="90px", **boxed
                ),
            ),
            field(
                "Waiting over (weeks)",
                "target-over",
                rx.el.select(
                    *[rx.el.option(w, value=w) for w in ("52", "65", "78", "104")],
                    id="target-over",
                    name="over",
                    default_value="52",
                    **boxed,
                ),
            ),
            field(
                "Target date",
                "target-due",
                rx.el.input(id="target-due", name="due", type="date", **boxed),
            ),
            button("Check this target", type="submit"),
            align="end",
            spacing="4",
            wrap="wrap",
            margin_top="12px",
        ),
        on_submit=DashboardState.check_target,
        class_name="no-print",
    )


def targets_panel() -> rx.Component:
    """Each trust against the dated targets, with the shortfall and what would close it."""
    return rx.box(
        panel(
            rx.heading("Targets by date", as_="h2", size="5"),
            rx.text(DashboardState.target_note, color=theme.NHS_SECONDARY_TEXT, size="2"),
            target_form(),
        ),
        figures_table(
            "Each member trust against the dated targets (modelled)",
            [
                "Trust",
                "Target",
                heading("target_projected"),
                "Without the plan",
                "Status",
                heading("target_shortfall"),
                heading("target_extra_treatments"),
                heading("target_extra_sessions"),
            ],
            DashboardState.target_rows,
            list(TARGET_KEYS),
        ),
        margin_top="16px",
        id="dated-targets",
    )


def plan_of_record_note() -> rx.Component:
    """Says whether the scenario shown is the collaborative's plan of record."""
    return rx.cond(
        ScenarioPicker.plan_of_record == "",
        notice(
            "No plan approved yet: approving a scenario on the Scenarios page makes it the "
            "collaborative's plan of record, and the Dashboard then opens on it.",
            id="plan-of-record",
        ),
        rx.cond(
            ScenarioPicker.chosen == ScenarioPicker.plan_of_record,
            notice(
                "This is the collaborative's plan of record (the scenario last approved).",
                tone="success",
                id="plan-of-record",
            ),
            notice(
                rx.hstack(
                    rx.text(
                        "This is not the plan of record. The collaborative's plan is '",
                        ScenarioPicker.plan_of_record_name,
                        "'.",
                    ),
                    button(
                        "Show the plan",
                        kind="secondary",
                        on_click=DashboardState.show_plan_of_record,
                    ),
                    align="center",
                    wrap="wrap",
                    spacing="3",
                ),
                id="plan-of-record",
            ),
        ),
    )


def board_pack_panel() -> rx.Component:
    """Commentary for the board, then the pack as an A4 PDF and as HTML."""
    return panel(
        rx.heading("Board pack", as_="h2", size="5", id="board-pack"),
        rx.text(
            "An A4 PDF (and the same pages as HTML) of this scenario against the projection it "
            "is compared with: your commentary, the key figures, the RAG, the charts, the method "
            "and the assumptions with their sources.",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.form(
            rx.vstack(
                field_label("Commentary for the board", "pack-commentary"),
                rx.text(
                    f"Plain text, up to {COMMENTARY_MAX_CHARS:,} characters; printed on the "
                    "first page.",
                    size="2",
                    color=theme.NHS_SECONDARY_TEXT,
                    id="pack-commentary-hint",
                ),
                text_area(
                    "pack-commentary",
                    name="commentary",
                    rows=5,
                    max_length=COMMENTARY_MAX_CHARS,
                    aria_describedby="pack-commentary-hint",
                    width="100%",
                ),
                rx.hstack(
                    button("Generate the board pack", type="submit", disabled=BoardPackState.busy),
                    working(BoardPackState.busy, BoardPackState.step + "…"),
                    align="center",
                    wrap="wrap",
                    spacing="4",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=BoardPackState.generate,
        ),
        rx.cond(
            BoardPackState.ready,
            rx.hstack(
                rx.text("Board pack of ", rx.text.strong(BoardPackState.scenario_name), " ready:"),
                *secondary_buttons(
                    [
                        ("Download the board pack (PDF)", BoardPackState.download("pdf")),
                        ("Download the board pack (HTML)", BoardPackState.download("html")),
                    ]
                ),
                align="center",
                wrap="wrap",
                spacing="3",
                margin_top="12px",
                role="status",
            ),
        ),
        margin_top="16px",
        class_name="no-print",
    )
