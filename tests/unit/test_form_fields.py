"""The form-field event handlers made from a table (ui/state/form_fields.py)."""

from __future__ import annotations

from types import SimpleNamespace

import ics_capacity.ics_capacity  # noqa: F401  (registers every page's state)
from ics_capacity.ui.pages.rebalance import RebalanceState


def test_a_field_setter_is_named_after_its_field_and_stores_its_kind() -> None:
    """Each handler is `set_<field>`; a text box's keeps text and a tick box's true or false."""
    assert RebalanceState.set_non_admitted.fn.__name__ == "set_non_admitted"
    assert "first outpatient appointment" in (RebalanceState.set_non_admitted.fn.__doc__ or "")
    tab = SimpleNamespace(weeks="", non_admitted=False)
    RebalanceState.set_weeks.fn(tab, "12")
    RebalanceState.set_non_admitted.fn(tab, 1)
    assert (tab.weeks, tab.non_admitted) == ("12", True)
    RebalanceState.set_non_admitted.fn(tab, "")
    assert tab.non_admitted is False
