"""Labelled form widgets: a label above its control, in the NHS input style, for every form.

The label is tied to its control by `html_id`, so a screen reader names the control and a click
on the label focuses it. `BOXED` is the input style (a 2 px border in the text colour); a form
control outside these widgets uses it too, so there is one copy of the style.
`widgets.py` re-exports `field_label` and `select_field` for the pages that import them from there.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme

BOXED: dict[str, str] = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px"}


def field_label(text: str, html_for: str) -> rx.Component:
    """A form label tied to its input."""
    return rx.el.label(text, html_for=html_for, font_weight="600")


def labelled(text: str, html_id: str, control: rx.Component) -> rx.Component:
    """A label above a control whose id is `html_id`."""
    return rx.vstack(field_label(text, html_id), control, spacing="1")


def text_input(text: str, html_id: str, name: str, **props) -> rx.Component:
    """A labelled input of a form, sent as `name`; `props` (type, width…) go to the input."""
    return labelled(text, html_id, rx.el.input(id=html_id, name=name, **BOXED, **props))


def form_select(text: str, html_id: str, name: str, *options, **props) -> rx.Component:
    """A labelled select of a form, sent as `name`: `options` are rx.el.option or an rx.foreach."""
    return labelled(text, html_id, rx.el.select(*options, id=html_id, name=name, **BOXED, **props))


def select_field(label: str, html_id: str, options, value, on_change, **props) -> rx.Component:
    """A labelled select acting on change: `options` are rx.el.option or an rx.foreach of them."""
    return rx.vstack(
        field_label(label, html_id),
        rx.el.select(
            *(options if isinstance(options, list | tuple) else [options]),
            id=html_id,
            value=value,
            on_change=on_change,
            **BOXED,
            max_width="100%",  # a long option is cut on a phone, not pushed off-screen
            **props,
        ),
        spacing="1",
        min_width="0",
        max_width="100%",
    )
