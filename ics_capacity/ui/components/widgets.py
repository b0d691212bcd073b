"""Small shared pieces: NHS-style buttons, labels, status badges, message boxes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components import tables
from ics_capacity.ui.components.measures import term

_BUTTONS = {
    # kind: (background, text, shadow)
    "primary": (theme.NHS_GREEN, theme.NHS_WHITE, "#00401e"),
    "secondary": (theme.NHS_SECONDARY_TEXT, theme.NHS_WHITE, "#263139"),
    "warning": (theme.NHS_RED, theme.NHS_WHITE, "#6B140E"),
}

STATUS_COLOURS = {
    "draft": ("#E8EDEE", theme.NHS_TEXT),
    "submitted": ("#FFF9C4", theme.NHS_TEXT),
    "approved": ("#CCE8D8", "#00401E"),
    "rejected": ("#F7D4D1", "#6B140E"),
    "archived": ("#D8DDE0", theme.NHS_SECONDARY_TEXT),
}


def button(label: str, kind: str = "primary", **props) -> rx.Component:
    """An NHS-style button (green primary, grey secondary, red warning)."""
    background, colour, shadow = _BUTTONS[kind]
    return rx.el.button(
        label,
        background_color=background,
        color=colour,
        font_weight="600",
        font_size="16px",
        padding="8px 16px",
        border_radius="4px",
        border="none",
        box_shadow=f"0 4px 0 {shadow}",
        cursor="pointer",
        **props,
    )


def field_label(text: str, html_for: str) -> rx.Component:
    """A form label tied to its input."""
    return rx.el.label(text, html_for=html_for, font_weight="600")


def status_badge(status: rx.Var | str) -> rx.Component:
    """A scenario's status as a coloured tag."""
    return rx.match(
        status,
        *[
            (
                name,
                rx.text(
                    name.capitalize(),
                    background_color=background,
                    color=colour,
                    font_weight="600",
                    padding="2px 10px",
                    border_radius="2px",
                    font_size="14px",
                    as_="span",
                ),
            )
            for name, (background, colour) in STATUS_COLOURS.items()
        ],
        rx.text(status, as_="span"),
    )


def panel(*children: rx.Component, **props) -> rx.Component:
    """A white content panel."""
    return rx.box(*children, background_color=theme.NHS_WHITE, padding="20px", **props)


def figures_table(
    caption: str,
    headings: Sequence[str | tuple[str, str]],
    rows: rx.Var | list[dict[str, str]],
    keys: list[str],
    *,
    cell: Callable[[str, rx.Var], rx.Component] | None = None,
) -> rx.Component:
    """A captioned table of figures in a panel: one row per dict of `rows`, columns by `keys`.

    A heading given as (label, definition) is a measure of the catalogue: its definition shows
    on hover and focus. `cell(key, value)`, when given, draws each cell instead of plain text.
    """

    def draw(key: str, value: rx.Var) -> rx.Component:
        return cell(key, value) if cell is not None else tables.cell(value, padding="6px 8px")

    def title(heading: str | tuple[str, str]) -> str | rx.Component:
        return term(*heading) if isinstance(heading, tuple) else heading

    return table_panel(
        tables.data_table(
            caption,
            [title(h) for h in headings],
            rows,
            lambda r: [draw(k, r[k]) for k in keys],
            size="small",
            padding="6px 8px",
            class_name="figures",
        )
    )


def table_panel(table: rx.Component) -> rx.Component:
    """A table in a panel that scrolls sideways when the table is wider than the screen."""
    return panel(
        table,
        margin_top="16px",
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
    )


def working(busy: rx.Var | bool, text: str) -> rx.Component:
    """A spinner and a message, announced to screen readers, while `busy` is true."""
    return rx.cond(
        busy,
        rx.hstack(rx.spinner(), rx.text(text), role="status", align="center"),
    )


_NOTICE_BORDERS = {"info": theme.NHS_BLUE, "success": theme.NHS_GREEN, "warning": "#FFB81C"}


def notice(*children: rx.Component | str | rx.Var, tone: str | rx.Var = "info", **props):
    """An NHS "inset text" box: text in the NHS text colour beside a coloured bar.

    Radix's callout tints its text to the accent colour, which fell below WCAG's 4.5:1 contrast;
    this keeps the text #212B32 on white (15.4:1) and carries the tone in the bar alone.
    """
    if isinstance(tone, str):
        colour: rx.Var | str = _NOTICE_BORDERS[tone]
    else:
        colour = rx.match(tone, *_NOTICE_BORDERS.items(), theme.NHS_BLUE)
    return rx.box(
        *children,
        color=theme.NHS_TEXT,
        background_color=theme.NHS_WHITE,
        border_left_width="8px",
        border_left_style="solid",
        border_left_color=colour,
        padding="12px 16px",
        margin_top="16px",
        **props,
    )


def labelled_upload(upload: rx.Component, input_id: str) -> rx.Component:
    """Gives the drop zone's own file input an id, so the visible label names it (WCAG 1.3.1).

    Reflex's `rx.upload` draws `<input type="file">` with no props of its own; it is the first
    child of the zone.
    """
    zone = upload.children[0]
    file_input = zone.children[0]
    assert getattr(file_input, "type", None) is not None, "rx.upload's file input moved"
    file_input.id = input_id  # type: ignore[attr-defined]
    return upload


def drop_zone(
    upload_id: str,
    input_id: str,
    prompt: str,
    aria_label: str,
    *,
    multiple: bool = False,
    padding: str = "24px",
) -> rx.Component:
    """A dashed box to drop files on (or click to choose them) that lists the files chosen.

    Its file input gets `input_id`, so the visible label with that `html_for` names it.
    """
    return labelled_upload(
        rx.upload(
            rx.vstack(
                rx.text(prompt, font_weight="600"),
                rx.text(rx.selected_files(upload_id).join(", "), color=theme.NHS_SECONDARY_TEXT),
                align="center",
            ),
            id=upload_id,
            multiple=multiple,
            border=f"2px dashed {theme.NHS_BLUE}",
            padding=padding,
            margin_top="4px",
            aria_label=aria_label,
        ),
        input_id,
    )


def secondary_buttons(choices: Sequence[tuple[str, object]]) -> list[rx.Component]:
    """A grey button per (words, event), e.g. the formats a file can be downloaded in."""
    return [button(label, kind="secondary", on_click=event) for label, event in choices]


def job_progress(status_text: Any, running: Any, progress: Any, label: str) -> rx.Component:
    """A solve's status line (announced), with a spinner and a bar named `label` while it runs."""
    return rx.cond(
        status_text != "",
        rx.vstack(
            rx.hstack(rx.cond(running, rx.spinner()), rx.text(status_text), align="center"),
            rx.cond(
                running,
                rx.progress(value=progress, max=100, width="100%", aria_label=label),
            ),
            role="status",
            margin_top="12px",
            width="100%",
        ),
    )
