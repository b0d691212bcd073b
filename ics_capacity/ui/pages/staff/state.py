"""The Staff page's state: the chosen scenario's staff, the person edited, leave and requests.

Handlers call `services/staff.py` only; the versions the edits must match and the requests' ids
stay in backend vars.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.domain.errors import ServiceError
from ics_capacity.services.data_exchange import commit_import
from ics_capacity.services.errors import SERVICE_ERRORS, ImportValidationError
from ics_capacity.services.staff import (
    RequestView,
    StaffView,
    list_staff,
    request_shift_choices,
)
from ics_capacity.services.staff import add_leave as add_leave_service
from ics_capacity.services.staff import add_request as add_request_service
from ics_capacity.services.staff import edit_request as edit_request_service
from ics_capacity.services.staff import remove_leave as remove_leave_service
from ics_capacity.services.staff import remove_person as remove_person_service
from ics_capacity.services.staff import remove_request as remove_request_service
from ics_capacity.services.staff import save_person as save_person_service
from ics_capacity.services.uploads import discard_upload, open_upload, staged_path, user_slot
from ics_capacity.ui.pages.staff.view import (
    MAX_PROBLEMS_SHOWN,
    TEXT_FIELDS,
    UPLOAD_CHUNK_BYTES,
    request_row,
    staff_row,
)
from ics_capacity.ui.state.picker import ScenarioPicker, show_chosen_scenario, show_listed_scenario
from ics_capacity.ui.state.session import SessionState, refusal


def _import_in_slot(token: str, scenario_id: int, kept: str):
    with user_slot(token):
        return commit_import(token, scenario_id, "rota_requests", staged_path(token, kept))


class StaffState(rx.State):
    """The chosen scenario's staff, the person being edited and the person whose leave is shown."""

    staff: list[dict[str, str]] = []
    filter_text: str = ""
    editable: bool = False
    editing: str = ""  # the code of the person in the form; "" adds a new person
    form_values: dict[str, str] = {}
    form_key: int = 0  # a new key re-draws the form with the values of the person chosen
    leave_of: str = ""
    leave_rows: list[dict[str, str]] = []
    requests_of: str = ""
    request_rows: list[dict[str, str]] = []
    shift_choices: list[list[str]] = []
    editing_request: str = ""  # the key of the request in the form; "" adds one
    request_values: dict[str, str] = {}
    request_form_key: int = 0
    importing: bool = False
    import_problems: list[str] = []
    _views: dict[str, StaffView] = {}
    _shown_id: int = 0  # the scenario whose staff are listed

    @rx.event
    async def load(self):
        """Lists the scenarios and the chosen one's staff."""
        return await show_listed_scenario(self, self._clear, self._show)

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's staff, once the server accepts the choice."""
        return await show_chosen_scenario(self, scenario_id, self._show)

    def _clear(self) -> None:
        self.staff, self._views, self.leave_rows = [], {}, []
        self.editing, self.leave_of, self.editable = "", "", False
        self.form_values = {}
        self.form_key += 1
        self.requests_of, self.request_rows, self.shift_choices = "", [], []
        self._fill_request("")

    async def _show(self, scenario_id: int):
        """Lists a scenario's staff; showing the same scenario again keeps what is being typed.

        A refresh of the list shown (after a save, or the same scenario chosen again) must not
        re-draw an "Add a person" form someone is filling in: only another scenario, or a
        person who is no longer there, clears it.
        """
        session = await self.get_state(SessionState)
        keep_editing, keep_leave, keep_requests = self.editing, self.leave_of, self.requests_of
        same = bool(scenario_id) and scenario_id == self._shown_id
        if not same:
            self._clear()
        self._shown_id = scenario_id or 0
        if not scenario_id:
            return None
        try:
            listed = list_staff(session.token, scenario_id)
        except ServiceError as error:
            self._clear()
            return refusal(error)
        self._views = {p.code: p for p in listed.people}
        self.staff = [staff_row(p) for p in listed.people]
        self.editable = listed.editable
        if keep_editing in self._views or (same and keep_editing):
            self._fill(keep_editing)  # the saved values, or "" when the person has gone
        for code, show in ((keep_leave, self._leave), (keep_requests, self._requests)):
            if code in self._views or (same and code):
                show(code)
        return None

    def _requests(self, code: str) -> None:
        view = self._views.get(code)
        self.requests_of = code if view else ""
        self.request_rows = [request_row(i, r) for i, r in enumerate(view.requests if view else ())]
        self.shift_choices = [list(c) for c in request_shift_choices(view.role)] if view else []
        self._fill_request("")

    def _fill_request(self, key: str) -> None:
        chosen = next((r for r in self.request_rows if r["key"] == key), None)
        self.editing_request = key if chosen else ""
        self.request_values = chosen or {"kind": "off", "weight": "1"}
        self.request_form_key += 1

    def _chosen_request(self, key: str) -> RequestView | None:
        view = self._views.get(self.requests_of)
        try:
            number = int(key)
        except ValueError:
            return None
        if view is None or not 0 <= number < len(view.requests):
            return None
        return view.requests[number]

    def _fill(self, code: str) -> None:
        view = self._views.get(code)
        self.editing = code if view else ""
        self.form_values = staff_row(view) if view else {}
        self.form_key += 1

    def _leave(self, code: str) -> None:
        view = self._views.get(code)
        self.leave_of = code if view else ""
        self.leave_rows = [
            {
                "id": str(x.id),
                "kind": x.kind_label,
                "start": f"{x.start:%a %d %b %Y}",
                "end": f"{x.end:%a %d %b %Y}",
            }
            for x in (view.leave if view else ())
        ]

    @rx.event
    def edit(self, code: str):
        """Fills the form with a person of the list already in the tab.

        The person already in the form stays as typed: re-drawing it would throw away what was
        typed since (a second click, or typing before this answer came back).
        """
        if str(code) != self.editing:
            self._fill(str(code))

    @rx.event
    def new_person(self):
        """Empties the form to add a person."""
        self._fill("")

    @rx.event
    def show_leave(self, code: str):
        """Shows the leave of a person of the list already in the tab."""
        self._leave(str(code))

    @rx.event
    def show_requests(self, code: str):
        """Shows the requests of a person of the list already in the tab."""
        self._requests(str(code))

    @rx.event
    def choose_request(self, key: str):
        """Fills the request form with one of the shown person's requests, to edit it."""
        self._fill_request(str(key))

    @rx.event
    def new_request(self):
        """Empties the request form to add a request."""
        self._fill_request("")

    @rx.event
    async def save_request(self, form: dict):
        """Adds the form's request for the shown person, or saves the edit of the one chosen."""
        fields = {
            k: str(form.get(k, ""))[:400] for k in ("date", "shift", "request", "weight", "note")
        }
        chosen = self._chosen_request(self.editing_request) if self.editing_request else None
        if chosen is not None:
            return await self._act(
                edit_request_service,
                f"Request of {self.requests_of} saved",
                chosen.id,
                fields,
                expected_version=chosen.version,
            )
        return await self._act(
            add_request_service, f"Request added for {self.requests_of}", self.requests_of, fields
        )

    @rx.event
    async def remove_request(self, key: str):
        """Removes one of the shown person's requests."""
        chosen = self._chosen_request(str(key))
        if chosen is None:
            return refusal(ValueError("not a request of this list"))
        return await self._act(
            remove_request_service,
            f"Request of {self.requests_of} removed",
            chosen.id,
            expected_version=chosen.version,
        )

    @rx.event
    async def import_requests(self, files: list[rx.UploadFile]):
        """Imports a file of requests into the scenario: all of it in one transaction, or none.

        The right to import is checked before the first byte is kept; the file is kept in the
        user's own upload folder only while it is read, and every problem is listed.
        """
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        token, scenario_id = session.token, picker._scenario_id
        self.import_problems = []
        if not files:
            yield rx.toast.error("Choose a file first.")
            return
        upload, writer = files[0], None
        try:
            writer = await asyncio.to_thread(
                open_upload, token, scenario_id, "rota_requests", str(upload.name or "upload")
            )
            self.importing = True
            yield
            while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
                await asyncio.to_thread(writer.write, chunk)
            staged = await asyncio.to_thread(writer.close)
        except SERVICE_ERRORS as error:
            if writer is not None:
                writer.discard()
            self.importing = False
            yield refusal(error)
            return
        try:
            outcome = await asyncio.to_thread(_import_in_slot, token, scenario_id, str(staged.path))
        except ImportValidationError as error:
            self.import_problems = [str(p) for p in error.problems[:MAX_PROBLEMS_SHOWN]]
            yield rx.toast.error("The file has problems; nothing was imported.")
        except SERVICE_ERRORS as error:
            yield refusal(error)
        else:
            await self._show(scenario_id)
            yield rx.toast.success(
                f"{staged.name}: already imported; nothing changed."
                if outcome.skipped_as_duplicate
                else f"{staged.name}: {outcome.rows_written:,} request(s) added or changed."
            )
        finally:
            await asyncio.to_thread(discard_upload, token, str(staged.path))
            self.importing = False

    @rx.event
    def set_filter(self, value: str):
        """Filters the list shown by code, name, role or site."""
        self.filter_text = str(value)[:60]

    async def _act(self, action, success: str, *args, **kwargs):
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            action(session.token, picker._scenario_id, *args, **kwargs)
        except SERVICE_ERRORS as error:
            return refusal(error)
        await self._show(picker._scenario_id)
        return rx.toast.success(success)

    @rx.event
    async def save(self, form: dict):
        """Adds the person in the form, or saves the edit of the person chosen."""
        fields = {k: str(form.get(k, "")) for k in (*TEXT_FIELDS, "role", "contract", "employment")}
        view = self._views.get(self.editing)
        code = fields["code"].strip().upper()
        if view is not None:
            fields["code"] = view.code  # an edit keeps the person's code
        result = await self._act(
            save_person_service,
            f"Saved {view.code if view else code}",
            fields,
            expected_version=view.version if view else None,
        )
        if view is None and code in self._views:
            self._fill(code)
        return result

    @rx.event
    async def remove(self, code: str):
        """Removes a person (their leave, requests and locks go with them)."""
        view = self._views.get(str(code))
        if view is None:
            return refusal(ValueError("not a person of this list"))
        return await self._act(
            remove_person_service, f"Removed {view.code}", view.code, view.version
        )

    @rx.event
    async def add_leave(self, form: dict):
        """Gives the person whose leave is shown a span of leave or a fixed day off."""
        return await self._act(
            add_leave_service,
            f"Leave added for {self.leave_of}",
            self.leave_of,
            kind=str(form.get("kind", "")),
            start=str(form.get("start", "")),
            end=str(form.get("end", "")),
        )

    @rx.event
    async def remove_leave(self, leave_id: str):
        """Removes one span of the shown person's leave."""
        try:
            number = int(leave_id)
        except ValueError:
            return refusal(ValueError("not a span of leave"))
        return await self._act(remove_leave_service, "Leave removed", number)

    @rx.var
    def shown(self) -> list[dict[str, str]]:
        """The list, filtered."""
        needle = self.filter_text.strip().lower()
        if not needle:
            return self.staff
        return [
            r
            for r in self.staff
            if any(needle in r[k].lower() for k in ("code", "label", "role_label", "sites"))
        ]
