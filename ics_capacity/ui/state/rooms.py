"""Live collaboration: everyone viewing one scenario is linked to the same shared room.

The room holds only what every viewer of the scenario may see (its capacity rows, status, comments
and who is here). Its handlers check the viewer's session on the server before linking; all
changes come from page handlers after the services have saved them, and are pushed to every linked
client whose user may still view the scenario (checked at each push) within about a second
(Reflex `rx.SharedState`; through Redis when several backend workers run). Tokens of the room
never contain '_' (a Reflex restriction). Only `join`, `join_scenario` and `leave` are events;
reloading the room (`_refresh`) is the server's own method.

Who is here: each linked tab sends `heartbeat` every `heartbeat_seconds()`, and anyone whose
tab has not been heard from for `presence_timeout_seconds()` (a tab closed without `leave`,
a lost connection) is dropped by the next heartbeat of anyone else in the room.
"""

from __future__ import annotations

import os
import time

import reflex as rx

from ics_capacity.services.auth import current_principal
from ics_capacity.services.capacity import SiteCapacityRow, read_site_capacity
from ics_capacity.services.editing import read_case_mix, read_workforce
from ics_capacity.services.errors import NotFoundError, ServiceError
from ics_capacity.services.scenarios import (
    list_comments,
    scenario_summary,
    viewers_still_allowed,
)
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.state.session import SessionState, refusal

PRESENCE_TIMEOUT_SECONDS = 45.0
"""Default: a tab unheard for this long leaves "Also viewing" (so within a minute of closing)."""


def presence_timeout_seconds() -> float:
    """How long a silent tab stays listed (`ICS_PRESENCE_TIMEOUT_SECONDS`, at least 3 s)."""
    try:
        value = float(os.environ.get("ICS_PRESENCE_TIMEOUT_SECONDS", PRESENCE_TIMEOUT_SECONDS))
    except ValueError:
        value = PRESENCE_TIMEOUT_SECONDS
    return max(value, 3.0)


def heartbeat_seconds() -> float:
    """How often a tab says it is still here: three beats within each timeout."""
    return presence_timeout_seconds() / 3


def still_here(present: dict[str, dict], now: float, timeout: float) -> dict[str, dict]:
    """The entries heard from within `timeout` seconds of `now`.

    Entries without a time are kept: they joined before heartbeats were counted.
    """
    return {
        client: person
        for client, person in present.items()
        if isinstance(person, dict) and now - float(person.get("seen", now)) <= timeout
    }


def presence_name(display_name: str) -> str:
    """The name others see: the person's name, never an email address.

    An account without a name, whose display name is its email, shows the part before '@'.
    """
    local, at, _domain = display_name.partition("@")
    if not at:
        return display_name
    words = local.replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(word.capitalize() for word in words) or "A colleague"


def room_token(scenario_id: int) -> str:
    """The shared-state token of a scenario's room."""
    return f"scenario{scenario_id}"


def capacity_view(row: SiteCapacityRow) -> dict[str, str]:
    """A site's capacity as strings for the table, with the versions the edit must quote."""
    return {
        "site_id": str(row.site_id),
        "code": row.code,
        "name": row.name,
        "operator": row.operator,
        "role": "Elective hub" if row.is_elective_hub else "Acute site",
        "theatres": str(row.theatres),
        "sessions_per_week": str(row.sessions_per_week),
        "session_minutes": str(row.session_minutes),
        "utilisation_target": f"{row.utilisation_target:.0%}",
        "elective_overnight_beds": str(row.elective_overnight_beds),
        "day_case_places": str(row.day_case_places),
        "occupancy_target": f"{row.occupancy_target:.0%}",
        "theatre_hours": fmt.count(row.theatre_hours_per_week),
        "theatre_version": str(row.theatre_version),
        "bed_version": str(row.bed_version),
        "updated": f"{row.updated_by} at {row.updated_at:%H:%M} UTC",
    }


class ScenarioRoom(rx.SharedState):
    """What everyone looking at one scenario sees, kept in step across their browsers."""

    scenario_id: int = 0
    name: str = ""
    status: str = ""
    version: int = 0
    parent_name: str = ""
    owner: str = ""
    is_baseline: bool = False
    status_note: str = ""
    rows: list[dict[str, str]] = []
    case_mix: list[dict[str, str]] = []
    workforce: list[dict[str, str]] = []
    comments: list[dict[str, str]] = []
    last_change: str = ""
    revision: int = 0
    present: list[str] = []
    _present_by_client: dict[str, dict] = {}

    def _drop_unauthorised(self, token: str, scenario_id: int) -> None:
        _drop_unauthorised(self, token, scenario_id)

    @rx.var
    def editable(self) -> bool:
        """Whether the scenario's status lets members with the right role change it."""
        return self.status in ("draft", "rejected")

    @rx.event
    async def join(self):
        """Links this browser to the room of the scenario in the URL, if the user may view it."""
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
        except ValueError:
            return refusal(NotFoundError("That scenario was not found."))
        return await self._join(scenario_id)

    @rx.event
    async def join_scenario(self, scenario_id: int):
        """Links this browser to a scenario's room from a page without it in the URL."""
        return await self._join(int(scenario_id))

    async def _join(self, scenario_id: int):
        session = await self.get_state(SessionState)
        try:
            principal = current_principal(session.token)
            token = session.token
            scenario_summary(token, scenario_id)  # raises unless the user may view it
        except ServiceError as error:
            return refusal(error)
        if self._linked_to and self._linked_to != room_token(scenario_id):
            await self._leave()
        room = await self._link_to(room_token(scenario_id))
        room._present_by_client[self.router.session.client_token] = {
            "name": presence_name(principal.display_name),
            "user_id": principal.user_id,
            "seen": time.time(),
        }
        room._refresh(token, scenario_id)
        return None

    @rx.event
    async def heartbeat(self, _tick: str = ""):
        """This tab is still open: keeps its name listed and drops tabs no longer heard from.

        Only a tab that joined (its session was checked then) has an entry to keep; anything
        else changes nothing. Reads and writes no data beyond the room's own presence list.
        """
        if not self._linked_to:
            return
        client = self.router.session.client_token
        person = self._present_by_client.get(client)
        if isinstance(person, dict):
            person["seen"] = time.time()
            self._present_by_client[client] = person
        fresh = still_here(self._present_by_client, time.time(), presence_timeout_seconds())
        if len(fresh) != len(self._present_by_client):
            for gone in set(self._present_by_client) - set(fresh):
                self._present_by_client.pop(gone, None)
            self._show_present()

    @rx.event
    async def leave(self):
        """Leaves the room (the page was closed or left)."""
        await self._leave()

    async def _leave(self) -> None:
        if not self._linked_to:
            return
        self._present_by_client.pop(self.router.session.client_token, None)
        self._show_present()
        await self._unlink()

    def _show_present(self) -> None:
        self.present = sorted({p["name"] for p in self._present_by_client.values()})

    def _refresh(self, token: str, scenario_id: int, change: str = "") -> None:
        """Reloads the scenario into the room with the caller's token; pushes only to members.

        Every linked browser whose user may no longer view the scenario (removed from the
        collaborative, account disabled) is unlinked first, so the push never reaches them.
        """
        summary = scenario_summary(token, scenario_id)
        self._drop_unauthorised(token, scenario_id)
        self.scenario_id = summary.id
        self.name = summary.name
        self.status = summary.status
        self.version = summary.version
        self.parent_name = summary.parent_name
        self.owner = summary.owner
        self.is_baseline = summary.is_baseline
        self.status_note = _status_note(summary)
        self.rows = [capacity_view(r) for r in read_site_capacity(token, scenario_id)]
        self.case_mix = [
            {
                "id": str(c.id),
                "tfc": c.tfc,
                "name": c.name,
                "minutes_per_case": str(c.minutes_per_case),
                "length_of_stay_days": f"{c.length_of_stay_days:g}",
                "day_case_rate": f"{c.day_case_rate:.0%}",
                "version": str(c.version),
                "updated_by": c.updated_by,
            }
            for c in read_case_mix(token, scenario_id)
        ]
        self.workforce = [
            {
                "id": str(w.id),
                "trust": w.trust,
                "staff_group": w.staff_group,
                "headcount": str(w.headcount),
                "fte": f"{w.fte:.2f}",
                "version": str(w.version),
                "updated_by": w.updated_by,
            }
            for w in read_workforce(token, scenario_id)
        ]
        self.comments = [
            {"author": c.author, "body": c.body, "at": fmt.when(c.created_at)}
            for c in list_comments(token, scenario_id)
        ]
        if change:
            self.last_change = change
        self.revision += 1


def _drop_unauthorised(room: ScenarioRoom, token: str, scenario_id: int) -> None:
    present = dict(room._present_by_client)
    allowed = viewers_still_allowed(
        token, scenario_id, {p["user_id"] for p in present.values() if isinstance(p, dict)}
    )
    for client, person in present.items():
        if not isinstance(person, dict) or person.get("user_id") not in allowed:
            room._present_by_client.pop(client, None)
            room._linked_from.discard(client)
    room._show_present()


def _status_note(summary) -> str:
    if summary.status == "submitted" and summary.submitted_by:
        return f"Submitted for approval by {summary.submitted_by}."
    if summary.status in ("approved", "rejected") and summary.decided_by:
        verb = "Approved" if summary.status == "approved" else "Rejected"
        note = f": {summary.decision_note}" if summary.decision_note else "."
        return f"{verb} by {summary.decided_by}{note}"
    return ""
