"""Form widgets shared by the pages' add-or-edit forms: labelled controls and the form footer."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.widgets import button, field_label
from ics_capacity.ui.state.picker import ScenarioPicker

INPUT_STYLE = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px", "max_width": "100%"}
"""The border and padding of a form's inputs and selects."""


def labelled_control(
    label: str, control: rx.Component, *after: rx.Component, **props
) -> rx.Component:
    """A form control under its label (the control's `id` ties them together), then `after`."""
    return rx.vstack(field_label(label, control.id), control, *after, spacing="1", **props)


def text_input(html_id: str, **props) -> rx.Component:
    """An input in the forms' style; `props` add to the style or override it (e.g. a width)."""
    return rx.el.input(id=html_id, **{**INPUT_STYLE, **props})


def labelled_input(label: str, html_id: str, **props) -> rx.Component:
    """An input in the forms' style under its label."""
    return labelled_control(label, text_input(html_id, **props))


def text_area(html_id: str, **props) -> rx.Component:
    """A box of several lines in the forms' style; `props` add to the style or override it."""
    return rx.el.textarea(id=html_id, **{**INPUT_STYLE, **props})


def row_input(prefix: str, row: Any, name: str, label: str, **props) -> rx.Component:
    """An input of one figure of a row with a `code` (a site, a hub), named after the row."""
    return labelled_input(
        label + " at " + row["code"],
        prefix + "-" + row["code"] + "-" + name,
        name=name,
        default_value=row[name],
        **props,
    )


def labelled_textarea(label: str, html_id: str, **props) -> rx.Component:
    """A box of several lines in the forms' style under its label."""
    return labelled_control(label, text_area(html_id, **props))


def labelled_select(label: str, html_id: str, *options: Any, **props) -> rx.Component:
    """A select in the forms' style under its label.

    `options` are rx.el.option components or an rx.foreach of them.
    """
    return labelled_control(label, rx.el.select(*options, id=html_id, **{**INPUT_STYLE, **props}))


def select_field(label: str, html_id: str, options, value, on_change, **props) -> rx.Component:
    """A labelled select: `options` are rx.el.option components or an rx.foreach of them."""
    return labelled_control(
        label,
        rx.el.select(
            *(options if isinstance(options, list | tuple) else [options]),
            id=html_id,
            value=value,
            on_change=on_change,
            **{**INPUT_STYLE, **props},  # a long option is cut on a phone, not pushed off-screen
        ),
        min_width="0",  # lets a flex item shrink below its widest option on a phone
        max_width="100%",
    )


def scenario_select(html_id: str, on_change: Any, **props) -> rx.Component:
    """A page's choice of scenario: the member's scenarios, the one the picker holds chosen."""
    return select_field(
        "Scenario",
        html_id,
        rx.foreach(ScenarioPicker.options, lambda s: rx.el.option(s["name"], value=s["id"])),
        ScenarioPicker.chosen,
        on_change,
        **props,
    )


def name_form(
    label: str,
    html_id: str,
    submit: str,
    on_submit: Any,
    *,
    kind: str = "primary",
    placeholder: str | None = None,
    **props,
) -> rx.Component:
    """A one-field form: a name (required) beside the button that submits it as `name`."""
    example = {"placeholder": placeholder} if placeholder else {}
    return rx.form(
        rx.hstack(
            labelled_input(label, html_id, name="name", required=True, width="320px", **example),
            button(submit, type="submit", kind=kind),
            align="end",
            spacing="3",
        ),
        on_submit=on_submit,
        **props,
    )


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
