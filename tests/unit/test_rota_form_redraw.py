"""The rota settings form is drawn afresh for another scenario, and only its tick boxes are when
the same scenario's sites change, so a colleague's change does not wipe what is being typed."""

from __future__ import annotations

from ics_capacity.ui.pages.rota.state import RotaState


def _choices(*sites: tuple[str, bool]) -> dict:
    return {
        "status": "draft",
        "editable": True,
        "sites": [
            {"code": code, "name": code.title(), "hub": hub, "bank_holiday_lists": False}
            for code, hub in sites
        ],
        "rule_packs": [{"id": "uk_default", "label": "UK default"}],
        "start_date": "2026-12-07",
    }


def test_only_another_scenario_redraws_the_whole_form() -> None:
    state = RotaState(_reflex_internal_init=True)
    state._show_choices(_choices(("CANNOCK", True), ("MANOR", False)), 7)
    assert (state.form_key, state.sites_key) == (1, 0)
    assert state.chosen_sites == ["CANNOCK"]
    # The same choices again (a colleague's build, "Show the newest rota"): nothing redrawn.
    state._show_choices(_choices(("CANNOCK", True), ("MANOR", False)), 7)
    assert (state.form_key, state.sites_key) == (1, 0)
    # A colleague makes MANOR a hub: the tick boxes are drawn again, the rest of the form is not.
    state._show_choices(_choices(("CANNOCK", True), ("MANOR", True)), 7)
    assert (state.form_key, state.sites_key) == (1, 1)
    assert state.sites[1]["name"] == "Manor (elective hub)"
    assert state.chosen_sites == ["CANNOCK"]  # the lead's choice stands
    # Another scenario: the whole form afresh, from that scenario's settings.
    state._show_choices(_choices(("SANDWELL", True)), 8)
    assert (state.form_key, state.sites_key) == (2, 1)
    assert state.chosen_sites == ["SANDWELL"]
