"""Each trust's KPIs against the recorded baseline: baseline, plan, difference, better or worse."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.widgets import figures_table, panel

_COLUMNS = (
    ("trust", "Trust"),
    ("measure", "Measure"),
    ("baseline", "Recorded baseline"),
    ("plan", "This plan"),
    ("difference", "Difference"),
    ("verdict", "Better or worse"),
)


def _cell(key: str, value: rx.Var) -> rx.Component:
    """A cell; the verdict in words, bold, and green or red too (the word carries it)."""
    if key != "verdict":
        return rx.el.td(value, padding="6px 8px")
    return rx.el.td(
        value,
        padding="6px 8px",
        font_weight=rx.cond(
            (value == "better") | (value == "worse") | (value == "only by validation"), "700", "400"
        ),
        color=rx.match(
            value, ("better", theme.NHS_GREEN), ("worse", theme.NHS_RED), theme.NHS_TEXT
        ),
    )


def baseline_table(
    heading: str | rx.Var, message: str | rx.Var, rows: list[dict[str, str]] | rx.Var
) -> rx.Component:
    """A panel: which baseline, when approved, and each trust's figures against it.

    With no baseline recorded, `rows` is empty and `message` says so plainly.
    """
    return panel(
        rx.heading(heading, as_="h2", size="5"),
        rx.text(message, margin_top="8px"),
        rx.cond(
            rows.length() > 0,  # type: ignore[union-attr]
            figures_table(
                "Each trust's figures: the recorded baseline, this plan, the difference",
                [h for _, h in _COLUMNS],
                rows,
                [k for k, _ in _COLUMNS],
                cell=_cell,
            ),
        ),
        margin_top="16px",
    )
