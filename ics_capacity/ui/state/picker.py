"""The scenario a signed-in user is working on, shared by every page with a scenario picker.

The picker holds two things: what the select shows (`chosen`, `options`) and the scenario the
server has accepted for this user (`_scenario_id`, a backend-only var the browser can neither see
nor set). An id reaches `_scenario_id` only after a service has agreed that the user may view that
scenario: listed by `list_scenarios` for them, or confirmed by `scenario_summary`. Page handlers
read `_scenario_id`, never an id the browser sent; every service they call checks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from ics_capacity.services.errors import ServiceError
from ics_capacity.services.scenarios import list_scenarios, scenario_summary
from ics_capacity.ui.state.session import SessionState, refusal, scenario_options


class ScenarioPicker(rx.State):
    """The scenario chosen across the pages, and the scenarios there are to choose from."""

    options: list[dict[str, str]] = []
    chosen: str = ""
    plan_of_record: str = ""
    plan_of_record_name: str = ""
    _scenario_id: int = 0

    async def _list(self, *, prefer_editable: bool = False) -> int:
        """Lists the collaborative's scenarios for the user; keeps or picks an accepted one.

        Raises:
            ServiceError: the user may not list them (the picker is then emptied).
        """
        session = await self.get_state(SessionState)
        try:
            rows = list_scenarios(session.token, session.collaborative_id)
        except Exception:
            self._clear()
            raise
        self.options, chosen = scenario_options(rows, self.chosen, prefer_editable=prefer_editable)
        plan = next((r for r in rows if r.is_plan_of_record), None)
        self.plan_of_record = str(plan.id) if plan else ""
        self.plan_of_record_name = plan.name if plan else ""
        self.chosen, self._scenario_id = chosen, int(chosen) if chosen else 0
        return self._scenario_id

    async def _choose(self, raw_id: str) -> int:
        """Accepts the scenario the user picked, once the service agrees they may view it.

        Raises:
            ServiceError: refused (nothing is stored; the select goes back to the accepted one).
        """
        session = await self.get_state(SessionState)
        try:
            wanted = int(raw_id)
        except (TypeError, ValueError):
            from ics_capacity.services.scenarios import NotFoundError

            raise NotFoundError(f"Scenario '{raw_id}' was not found.") from None
        summary = scenario_summary(session.token, wanted)
        self._scenario_id, self.chosen = summary.id, str(summary.id)
        return summary.id

    def _clear(self) -> None:
        self.options, self.chosen, self._scenario_id = [], "", 0
        self.plan_of_record, self.plan_of_record_name = "", ""


async def show_listed_scenario(
    page: rx.State, clear: Callable[[], None], show: Callable[[int], Awaitable[Any]]
) -> Any:
    """A page's load: lists the scenarios (an editable one chosen first) and shows the chosen one.

    Nothing happens before sign-in; a refusal empties the page (`clear`) and is shown.
    """
    session = await page.get_state(SessionState)
    if not session.signed_in:
        return None
    picker = await page.get_state(ScenarioPicker)
    try:
        scenario_id = await picker._list(prefer_editable=True)
    except ServiceError as error:
        clear()
        return refusal(error)
    return await show(scenario_id)


async def show_chosen_scenario(
    page: rx.State, scenario_id: str, show: Callable[[int], Awaitable[Any]]
) -> Any:
    """A page's choice of scenario: shows it once the server accepts it, or shows the refusal."""
    picker = await page.get_state(ScenarioPicker)
    try:
        accepted = await picker._choose(scenario_id)
    except ServiceError as error:
        return refusal(error)
    return await show(accepted)
