"""The pieces of the pages' tables: caption, head row, body rows and cells, in one NHS style.

A page describes its table as data (a caption, the headings, and what each row's cells are); these
functions draw it, so every table of the app has the same caption sizes, borders and padding.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import Any

import reflex as rx

from ics_capacity.ui import theme

_CAPTION_SIZES = {
    # size: (font size, space below)
    "large": ("20px", "12px"),
    "small": ("18px", "8px"),
}


def table_caption(text: Any, size: str = "large") -> rx.Component:
    """A table's caption: a page's main table is "large", a table within a panel "small"."""
    font_size, space_below = _CAPTION_SIZES[size]
    return rx.el.caption(
        text,
        text_align="left",
        font_size=font_size,
        font_weight="600",
        padding_bottom=space_below,
    )


def column_heading(
    text: Any, padding: str = "8px", text_align: str = "left", **props
) -> rx.Component:
    """One column's heading cell (a column of figures is right-aligned)."""
    return rx.el.th(text, scope="col", text_align=text_align, padding=padding, **props)


def row_heading(*children: Any, padding: str = "8px", **props) -> rx.Component:
    """The cell that names its row (read out by screen readers before each of the row's cells)."""
    return rx.el.th(*children, scope="row", text_align="left", padding=padding, **props)


def cell(*children: Any, padding: str = "8px", **props) -> rx.Component:
    """One data cell."""
    return rx.el.td(*children, padding=padding, **props)


def head_row(
    headings: Sequence[Any] | rx.Var, padding: str = "8px", right_aligned: Container[Any] = ()
) -> rx.Component:
    """A table's head: one column heading per entry of `headings` (a list, or a Var of one).

    The headings in `right_aligned` head columns of figures.
    """
    if isinstance(headings, rx.Var):
        cells: list[Any] = [rx.foreach(headings, lambda h: column_heading(h, padding))]
    else:
        cells = [
            column_heading(h, padding, "right" if h in right_aligned else "left") for h in headings
        ]
    return rx.el.thead(rx.el.tr(*cells, border_bottom=f"2px solid {theme.NHS_TEXT}"))


def body_rows(rows: Any, cells: Callable[[Any], Sequence[rx.Component]]) -> rx.Component:
    """A table's body: one row, ruled off below, per entry of `rows`, drawn by `cells(row)`."""
    return rx.el.tbody(
        rx.foreach(
            rows,
            lambda r: rx.el.tr(*cells(r), border_bottom=f"1px solid {theme.NHS_BORDER}"),
        )
    )


def data_table(
    caption: Any,
    headings: Sequence[Any] | rx.Var,
    rows: Any,
    cells: Callable[[Any], Sequence[rx.Component]],
    *,
    size: str = "large",
    padding: str = "8px",
    right_aligned: Container[Any] = (),
    **props,
) -> rx.Component:
    """A full-width captioned table: `headings` over one row per entry of `rows`."""
    return rx.el.table(
        table_caption(caption, size),
        head_row(headings, padding, right_aligned),
        body_rows(rows, cells),
        width="100%",
        border_collapse="collapse",
        **props,
    )
