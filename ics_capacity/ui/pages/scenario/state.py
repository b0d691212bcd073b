"""The scenario page's state: the scenario this browser opened, its messages and its impact.

Every handler calls the services only (`services/capacity.py`, `services/editing.py`,
`services/scenarios.py`, `services/dashboard.py`), which check the role and the row version; the
scenario it acts on is a backend var. Changes are pushed through the scenario's shared room.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.capacity import (
    EDITABLE_FIELDS,
    FieldValueError,
    update_site_capacity,
)
from ics_capacity.services.dashboard import impact_answer
from ics_capacity.services.editing import (
    CASE_MIX_FIELDS,
    WORKFORCE_FIELDS,
    add_site,
    delete_site,
    undo_last_change,
    update_field,
)
from ics_capacity.services.errors import SERVICE_ERRORS
from ics_capacity.services.scenarios import (
    ConflictError,
    add_comment,
    archive_scenario,
    create_scenario,
    decide_scenario,
    rename_scenario,
    scenario_summary,
    submit_scenario,
)
from ics_capacity.ui.components.hub_readiness import HubReadinessState
from ics_capacity.ui.pages.scenario.view import impact_row
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal
from ics_capacity.ui.state.worker_answer import worker_answer


class ScenarioPageState(rx.State):
    """This browser's part of the scenario page: the scenario it opened and its messages."""

    _scenario_id: int = 0
    conflict: str = ""
    field_error: str = ""
    field_error_key: str = ""
    decision_note: str = ""
    impact_rows: list[dict[str, str]] = []
    impact_caption: str = ""
    impact_note: str = ""
    impact_busy: bool = False
    _impact_request: int = 0

    @rx.event(background=True)
    async def refresh_impact(self):
        """Projects the scenario to the next year end against its comparison.

        In a thread here, or by a solver worker with a job queue (polled, holding no thread).
        """
        async with self:
            session = await self.get_state(SessionState)
            token, scenario_id = session.token, self._scenario_id
            self._impact_request += 1
            request = self._impact_request
            if not scenario_id:
                return
            self.impact_busy = True
        try:
            impact = await worker_answer(impact_answer, token, scenario_id)
        except SERVICE_ERRORS as error:
            async with self:
                if request == self._impact_request:
                    self.impact_busy, self.impact_rows = False, []
                    self.impact_note = f"The projection could not be made: {error}"
            return
        async with self:
            if request != self._impact_request:  # a newer edit is being projected
                return
            self.impact_busy = False
            self.impact_rows = [impact_row(r) for r in impact.rows]
            self.impact_caption = (
                f"Effect by {impact.at_date:%d %B %Y} (week {impact.at_week}, the next year end)"
            )
            self.impact_note = (
                (impact.comparison or "The baseline itself: nothing to compare with")
                + ". Deterministic projection of the member trusts' incomplete pathways, "
                "treating longest waiters first; the Dashboard shows the weeks and the bands."
            )

    @rx.event
    async def open(self):
        """Remembers the scenario of the URL after the server confirms the user may view it."""
        session = await self.get_state(SessionState)
        self.conflict, self.field_error, self.field_error_key = "", "", ""
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
            scenario_summary(session.token, scenario_id)
        except ValueError:
            return rx.toast.error("That is not a scenario number.")
        except SERVICE_ERRORS as error:
            self._scenario_id = 0
            return refusal(error)
        self._scenario_id = scenario_id
        return ScenarioPageState.refresh_impact

    async def _token(self) -> str:
        return (await self.get_state(SessionState)).token

    async def _push(self, token: str, change: str) -> None:
        room = await self.get_state(ScenarioRoom)
        room._refresh(token, self._scenario_id, change)

    @rx.event
    async def save_cell(self, site_id: str, field: str, value: str, version: str):
        """Saves one edited capacity figure, or explains why it was refused."""
        token = await self._token()
        self.field_error, self.field_error_key, self.conflict = "", "", ""
        room = await self.get_state(ScenarioRoom)
        shown = next((r.get(field) for r in room.rows if r["site_id"] == site_id), None)
        if shown is not None and shown == str(value).strip():
            return None  # left the cell without changing it
        try:
            row = update_site_capacity(
                token, self._scenario_id, int(site_id), field, value, int(version)
            )
        except ConflictError as error:
            self.conflict = str(error)
            await self._push(token, "")
            return rx.toast.error(str(error), duration=10000)
        except FieldValueError as error:
            self.field_error, self.field_error_key = str(error), f"{site_id}-{field}"
            return None
        except SERVICE_ERRORS as error:
            return refusal(error)
        label = EDITABLE_FIELDS[field].label
        await self._push(token, f"{row.updated_by} changed {label.lower()} at {row.name}")
        # Sessions and utilisation are hub figures too: the readiness table reads them again.
        return [ScenarioPageState.refresh_impact, HubReadinessState.load]

    async def _run(self, action, success: str, *args, **kwargs):
        token = await self._token()
        self.conflict = ""
        try:
            action(token, self._scenario_id, *args, **kwargs)
        except ConflictError as error:
            self.conflict = str(error)
            await self._push(token, "")
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        session = await self.get_state(SessionState)
        await self._push(token, f"{session.user_name}: {success.lower()}")
        return [rx.toast.success(success), ScenarioPageState.refresh_impact]

    @rx.event
    async def submit_for_approval(self):
        """Submits the scenario for an executive's approval."""
        room = await self.get_state(ScenarioRoom)
        return await self._run(submit_scenario, "Submitted for approval", room.version)

    @rx.event
    async def save_figure(self, entity: str, row_id: str, field: str, value: str, version: str):
        """Saves one edited case-mix or workforce figure, or explains why it was refused."""
        token = await self._token()
        self.field_error, self.field_error_key, self.conflict = "", "", ""
        room = await self.get_state(ScenarioRoom)
        rows = room.case_mix if entity == "case_mix" else room.workforce
        shown = next((r.get(field) for r in rows if r["id"] == row_id), None)
        if shown is not None and shown == str(value).strip():
            return None
        try:
            update_field(token, self._scenario_id, entity, int(row_id), field, value, int(version))
        except ConflictError as error:
            self.conflict = str(error)
            await self._push(token, "")
            return rx.toast.error(str(error), duration=10000)
        except FieldValueError as error:
            self.field_error, self.field_error_key = str(error), f"{entity}-{row_id}-{field}"
            return None
        except SERVICE_ERRORS as error:
            return refusal(error)
        session = await self.get_state(SessionState)
        label = (CASE_MIX_FIELDS | WORKFORCE_FIELDS)[field].label.lower()
        await self._push(token, f"{session.user_name} changed {label}")
        return ScenarioPageState.refresh_impact

    @rx.event
    async def undo(self):
        """Reverts this user's last figure edit in the scenario."""
        token = await self._token()
        self.conflict = ""
        try:
            summary = undo_last_change(token, self._scenario_id)
        except ConflictError as error:
            self.conflict = str(error)
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        session = await self.get_state(SessionState)
        await self._push(token, f"{session.user_name}: {summary}")
        return [
            rx.toast.success(summary),
            ScenarioPageState.refresh_impact,
            HubReadinessState.load,
        ]

    @rx.event
    async def add_site(self, form: dict):
        """Adds a site or elective hub with its theatres and beds."""
        token = await self._token()
        try:
            add_site(
                token,
                self._scenario_id,
                code=str(form.get("code", "")),
                name=str(form.get("name", "")),
                operator_ods_code=str(form.get("operator", "")),
                is_elective_hub=form.get("hub") in ("on", True, "true"),
                theatres=str(form.get("theatres", "0")),
                sessions_per_week=str(form.get("sessions", "0")),
                elective_overnight_beds=str(form.get("beds", "0")),
                day_case_places=str(form.get("day_case", "0")),
                treatment_functions=[
                    t.strip().upper() for t in str(form.get("tfcs", "")).split(",") if t.strip()
                ],
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        session = await self.get_state(SessionState)
        await self._push(token, f"{session.user_name} added {form.get('name', 'a site')}")
        return [
            rx.toast.success(f"Added {form.get('name', 'the site')}"),
            ScenarioPageState.refresh_impact,
            HubReadinessState.load,
        ]

    @rx.event
    async def remove_site(self, site_id: str, version: str):
        """Deletes a site from the draft scenario."""
        token = await self._token()
        try:
            delete_site(token, self._scenario_id, int(site_id), int(version))
        except ConflictError as error:
            self.conflict = str(error)
            await self._push(token, "")
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        session = await self.get_state(SessionState)
        await self._push(token, f"{session.user_name} deleted a site")
        return [
            rx.toast.success("Site deleted"),
            ScenarioPageState.refresh_impact,
            HubReadinessState.load,
        ]

    @rx.event
    def set_decision_note(self, note: str):
        """Keeps the executive's note as they type it."""
        self.decision_note = note

    @rx.event
    async def approve(self):
        """Approves the submitted scenario (executives)."""
        return await self._decide(approve=True)

    @rx.event
    async def reject(self):
        """Rejects the submitted scenario (executives)."""
        return await self._decide(approve=False)

    async def _decide(self, *, approve: bool):
        room = await self.get_state(ScenarioRoom)
        result = await self._run(
            decide_scenario,
            "Scenario approved" if approve else "Scenario rejected",
            room.version,
            approve=approve,
            note=self.decision_note,
        )
        if not self.conflict:
            self.decision_note = ""
        return result

    @rx.event
    async def rename(self, form: dict):
        """Renames the scenario."""
        room = await self.get_state(ScenarioRoom)
        return await self._run(
            rename_scenario, "Scenario renamed", str(form.get("name", "")), room.version
        )

    @rx.event
    async def archive(self):
        """Archives the scenario."""
        room = await self.get_state(ScenarioRoom)
        return await self._run(archive_scenario, "Scenario archived", room.version)

    @rx.event
    async def comment(self, form: dict):
        """Adds a comment."""
        return await self._run(add_comment, "Comment added", str(form.get("body", "")))

    @rx.event
    async def branch(self, form: dict):
        """Creates a new draft scenario from this one and opens it."""
        token = await self._token()
        try:
            new_id = create_scenario(token, self._scenario_id, str(form.get("name", "")))
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.redirect(f"/scenarios/{new_id}")
