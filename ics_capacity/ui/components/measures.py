"""A figure's label from the catalogue of measures, with its definition on hover and focus.

The label is a keyboard-focusable term; hovering it or tabbing to it opens a Radix tooltip
(dismissed with Escape, kept open while hovered: WCAG 2.2 SC 1.4.13) that holds the measure's
definition, scope and source, and is tied to the term by `aria-describedby` while open.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.measures import measure
from ics_capacity.ui import theme


def term(label: str | rx.Var, definition: str | rx.Var) -> rx.Component:
    """A label with its definition on hover and focus."""
    return rx.tooltip(
        rx.el.span(
            label,
            tab_index=0,
            class_name="measure-term",
            border_bottom=f"1px dotted {theme.NHS_SECONDARY_TEXT}",
            cursor="help",
        ),
        content=definition,
    )


def measure_term(key: str) -> rx.Component:
    """The catalogue label of measure `key`, with its definition on hover and focus."""
    m = measure(key)
    return term(m.label, m.tooltip)


def heading(key: str) -> tuple[str, str]:
    """(label, definition) of a measure, for tables that take headings with definitions."""
    m = measure(key)
    return m.label, m.tooltip
