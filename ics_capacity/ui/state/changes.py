"""Assigning a state's vars only where the value changed.

Reflex sends the browser every var assigned in an event, equal or not, and writes every state
touched back to the state manager (Redis with several web workers). A page that reloads the
same figures every few seconds (the Overview, the Dashboard between trusts) would otherwise send
and store all of them each time.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def assign_changed(state: rx.State, values: dict[str, Any]) -> list[str]:
    """Sets each var of `state` named in `values` whose value differs; returns the names set."""
    changed = [name for name, value in values.items() if getattr(state, name) != value]
    for name in changed:
        setattr(state, name, values[name])
    return changed
