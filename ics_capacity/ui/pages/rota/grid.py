"""The Rota page's grids: the key, the week picker, the staff and hub grids and the lock panel."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.tables import cell, column_heading, row_heading, table_caption
from ics_capacity.ui.components.widgets import button, field_label, panel
from ics_capacity.ui.pages.rota.form import INPUT_STYLE
from ics_capacity.ui.pages.rota.state import RotaState
from ics_capacity.ui.pages.rota.view import CODE_LEGEND, ROLE_FILTERS
from ics_capacity.ui.state.session import SessionState


def legend() -> rx.Component:
    """What the colours and codes of the staff grid mean."""
    return rx.el.details(
        rx.el.summary("Key to the grid: sites and cell codes", font_weight="600", cursor="pointer"),
        rx.flex(
            rx.foreach(
                RotaState.site_legend,
                lambda s: rx.hstack(
                    rx.box(
                        s["code"],
                        background_color=s["colour"],
                        color="#FFFFFF",
                        font_weight="600",
                        font_size="13px",
                        padding="2px 6px",
                        border_radius="3px",
                    ),
                    rx.text(s["name"], font_size="14px"),
                    align="center",
                    spacing="2",
                ),
            ),
            gap="16px",
            wrap="wrap",
            margin_y="8px",
        ),
        rx.el.dl(
            rx.foreach(
                CODE_LEGEND,
                lambda c: rx.flex(
                    rx.el.dt(c["code"], font_weight="700", min_width="72px"),
                    rx.el.dd(c["meaning"], margin="0"),
                    gap="8px",
                ),
            ),
            display="grid",
            grid_template_columns="repeat(auto-fill, minmax(300px, 1fr))",
            gap="4px 24px",
            font_size="14px",
            margin="0",
        ),
        rx.text(
            'A cell shows the site\'s short code and the shift, e.g. "SAN AM"; click a cell '
            "to lock it.",
            font_size="14px",
            color=theme.NHS_SECONDARY_TEXT,
            margin_top="4px",
        ),
        id="rota-legend",
        open=True,
        margin_bottom="8px",
    )


def week_picker() -> rx.Component:
    """The week shown, the role filter and "only people rostered"."""
    return rx.hstack(
        field_label("Week", "rota-week"),
        rx.el.select(
            rx.foreach(
                rx.Var.range(RotaState.week_count),
                lambda i: rx.el.option("Week " + (i + 1).to_string(), value=i.to_string()),
            ),
            id="rota-week",
            value=RotaState.week.to_string(),
            on_change=RotaState.show_week,
            **INPUT_STYLE,
        ),
        rx.cond(
            RotaState.view == "staff",
            rx.hstack(
                field_label("Role", "rota-role"),
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in ROLE_FILTERS],
                    id="rota-role",
                    value=RotaState.role_filter,
                    on_change=RotaState.set_role_filter,
                    **INPUT_STYLE,
                ),
                rx.checkbox(
                    "Only people with shifts this week",
                    checked=RotaState.only_rostered,
                    on_change=RotaState.set_only_rostered,
                    size="3",
                ),
                align="center",
                spacing="3",
            ),
        ),
        rx.spacer(),
        button("Download CSV", kind="secondary", on_click=RotaState.download("csv")),
        button("Download Excel", kind="secondary", on_click=RotaState.download("xlsx")),
        align="center",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def day_header() -> rx.Component:
    """The grid's header row: one column per day of the week shown."""
    return rx.foreach(
        RotaState.day_headers,
        lambda d: rx.el.th(
            d["label"],
            rx.cond(
                d["holiday"] != "",
                rx.text(d["holiday"], font_size="12px", color=theme.NHS_RED, font_weight="600"),
            ),
            scope="col",
            padding="6px 4px",
            font_size="14px",
            min_width="84px",
            background_color=rx.cond(d["weekend"] != "", theme.NHS_PALE_GREY, "#FFFFFF"),
        ),
    )


def _rota_table(caption: str, headings: list[rx.Component], rows, cells, **row_props):
    """A rota grid: `headings` then one column per day, one row per entry of `rows`."""
    return rx.el.table(
        table_caption(caption, "small"),
        rx.el.thead(rx.el.tr(*headings, day_header(), border_bottom=f"2px solid {theme.NHS_TEXT}")),
        rx.el.tbody(rx.foreach(rows, lambda row: rx.el.tr(*cells(row), **row_props))),
        border_collapse="collapse",
        width="100%",
        class_name="figures rota-grid",
    )


def _staff_cell(c) -> rx.Component:
    return rx.el.td(
        rx.el.button(
            c.text,
            aria_label=c.aria,
            on_click=RotaState.pick_cell(c.staff, c.date),
            background_color=c.background,
            color=c.colour,
            border=c.border,
            width="100%",
            min_height="32px",
            font_size="13px",
            font_weight="600",
            cursor="pointer",
            border_radius="3px",
        ),
        padding="2px",
    )


def staff_grid() -> rx.Component:
    """One row per person, one cell per day; a cell opens the lock panel."""
    return _rota_table(
        "Rota by staff: who works where and when (click a cell to lock it)",
        [
            column_heading("Staff", padding="6px 8px"),
            rx.el.th("Trust", scope="col", padding="6px 4px", min_width="160px"),
            rx.el.th("Hours", scope="col", padding="6px 4px"),
        ],
        RotaState.grid,
        lambda row: [
            row_heading(
                rx.text(row.label, font_weight="600", font_size="14px"),
                rx.text(row.role, font_size="13px", color=theme.NHS_SECONDARY_TEXT),
                padding="4px 8px",
            ),
            cell(row.trust, padding="4px", font_size="13px"),
            cell(row.hours, padding="4px", font_size="14px"),
            rx.foreach(row.cells, _staff_cell),
        ],
        border_bottom=f"1px solid {theme.NHS_BORDER}",
    )


def _need_cell(c) -> rx.Component:
    return rx.el.td(
        c.text,
        aria_label=c.aria,
        background_color=c.background,
        color=c.colour,
        text_align="center",
        font_weight="600",
        font_size="14px",
        padding="4px",
        border=f"1px solid {theme.NHS_BORDER}",
    )


def hub_grid() -> rx.Component:
    """One row per site, slot and skill: staffed / wanted each day, short in red."""
    return _rota_table(
        "Rota by hub: staffed / wanted for every session and ward shift (gaps in red)",
        [column_heading("Session and skill", padding="6px 8px")],
        RotaState.needs,
        lambda row: [
            row_heading(row.label, padding="4px 8px", font_size="14px"),
            rx.foreach(row.cells, _need_cell),
        ],
    )


def lock_panel() -> rx.Component:
    """Lock the chosen cell to a shift or a day off, or unlock it."""
    can_run = SessionState.permissions.contains("run_rota")
    return rx.cond(
        RotaState.lock_staff != "",
        panel(
            rx.heading(
                "Lock " + RotaState.lock_label + " on " + RotaState.lock_when,
                as_="h2",
                size="5",
            ),
            rx.text(
                rx.cond(
                    RotaState.lock_locked,
                    "This cell is locked: every build keeps it.",
                    "Lock this cell to keep it in every build; the solver re-plans around it.",
                ),
                color=theme.NHS_SECONDARY_TEXT,
                margin_y="8px",
            ),
            rx.cond(
                can_run,
                rx.hstack(
                    field_label("Lock to", "rota-lock-choice"),
                    rx.el.select(
                        rx.foreach(
                            RotaState.lock_options,
                            lambda o: rx.el.option(o["label"], value=o["value"]),
                        ),
                        id="rota-lock-choice",
                        value=RotaState.lock_choice,
                        on_change=RotaState.set_lock_choice,
                        **INPUT_STYLE,
                    ),
                    button("Lock", on_click=RotaState.lock),
                    rx.cond(
                        RotaState.lock_locked,
                        button("Unlock", kind="warning", on_click=RotaState.unlock),
                    ),
                    button("Close", kind="secondary", on_click=RotaState.close_lock),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                button("Close", kind="secondary", on_click=RotaState.close_lock),
            ),
            margin_top="16px",
            border=f"3px solid {theme.NHS_WARM_YELLOW}",
        ),
    )
