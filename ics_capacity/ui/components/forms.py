"""Form widgets shared by the pages' add-or-edit forms: labelled controls and the form footer."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.widgets import button, field_label

INPUT_STYLE = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px", "max_width": "100%"}
"""The border and padding of a form's inputs and selects."""


def labelled_control(label: str, control: rx.Component) -> rx.Component:
    """A form control under its label (the control's `id` ties them together)."""
    return rx.vstack(field_label(label, control.id), control, spacing="1")


def save_or_add_buttons(
    editing: Any,
    *,
    save: str,
    add: str,
    new_instead: str,
    on_new: Any,
    kind: str = "primary",
) -> rx.Component:
    """The footer of a form that adds one thing or edits the one chosen.

    Args:
        editing: a Var, true while the form holds a chosen thing to edit.
        save: the submit button's words while editing ("Save changes").
        add: its words otherwise ("Add person").
        new_instead: the words of the button, shown while editing, that empties the form to add
            a new one instead.
        on_new: the event that empties the form.
        kind: the submit button's kind (`widgets.button`).
    """
    return rx.fragment(
        button(rx.cond(editing, save, add), type="submit", kind=kind),
        rx.cond(
            editing,
            button(new_instead, kind="secondary", type="button", on_click=on_new),
        ),
    )
