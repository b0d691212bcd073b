"""Event handlers that keep what a person types into a page's form in the tab's state.

A page's solve settings are checked by the service that starts the job, not as they are typed, so
each field's handler only stores the value (as text, or as a tick box's true or false). One handler
per field keeps the browser able to set only the fields a page offers; this makes them from a
table instead of a dozen copies of the same four lines.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_setter(field: str, doc: str, kind: type[str] | type[bool] = str) -> Any:
    """The event handler `set_<field>` that stores the value it is sent in `field` as `kind`.

    Args:
        field: the state var the form field shows.
        doc: what setting it means, in the planner's words (the handler's docstring).
        kind: `str` for a text box or select, `bool` for a tick box.
    """

    def setter(self: rx.State, value: Any) -> None:
        setattr(self, field, kind(value))

    # Reflex names the event after the function and checks the trigger's argument type against
    # the annotation, so both are set as a hand-written handler would have them.
    setter.__name__ = setter.__qualname__ = f"set_{field}"
    setter.__annotations__ = {"value": kind, "return": None}
    setter.__doc__ = doc
    return rx.event(setter)
