"""Staff: the people a scenario's rota may place, edited one at a time, with leave and requests.

Workforce leads (and administrators) add, edit and remove people, their leave and their requests
(shifts wanted on or off, with a weight) on a draft scenario, and import requests from a file;
everyone else in the collaborative sees the list. The services (`services/staff.py`) check every
change; the page keeps the versions the edits must match, and the requests' ids, in backend vars.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.domain.errors import ServiceError
from ics_capacity.services.data_exchange import commit_import
from ics_capacity.services.errors import SERVICE_ERRORS, ImportValidationError
from ics_capacity.services.staff import (
    FIELD_LABELS,
    LEAVE_KINDS,
    REQUEST_LABELS,
    WEIGHT_RANGE,
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
from ics_capacity.ui import theme
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    field_label,
    labelled_upload,
    panel,
    select_field,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.session import SessionState, refusal

ROLES = ("surgeon", "anaesthetist", "scrub_practitioner", "odp", "ward_nurse")
CONTRACTS = {
    "agenda_for_change": "Agenda for Change",
    "consultant_2003": "Consultant 2003",
    "resident_doctor_2016": "Resident doctor 2016",
}
EMPLOYMENT = {"substantive": "Substantive", "bank": "Bank"}
TEXT_FIELDS = ("code", "label", "trust", "home_site", "grade", "sites", "skills", "hours")
_INPUT = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px", "max_width": "100%"}
REQUESTS_UPLOAD_ID = "requests-upload"
REQUESTS_FILE_INPUT_ID = "requests-file"
UPLOAD_CHUNK_BYTES = 1024 * 1024
MAX_PROBLEMS_SHOWN = 50


def _row(p: StaffView) -> dict[str, str]:
    return {
        "code": p.code,
        "label": p.label,
        "trust": p.trust,
        "role": p.role,
        "role_label": p.role_label,
        "grade": p.grade,
        "contract": p.contract,
        "contract_label": CONTRACTS.get(p.contract, p.contract),
        "employment": p.employment,
        "hours": f"{p.hours:g}",
        "home_site": p.home_site,
        "sites": p.sites,
        "skills": p.skills,
        "leave": str(len(p.leave)),
        "requests": str(len(p.requests)),
    }


def _request_row(key: int, r: RequestView) -> dict[str, str]:
    return {
        "key": str(key),  # its place in the person's list: the id stays on the server
        "date": f"{r.on_date:%a %d %b %Y}",
        "iso_date": r.on_date.isoformat(),
        "shift": r.shift_label,
        "shift_kind": r.shift_kind,
        "request": r.kind_label,
        "kind": r.kind,
        "weight": str(r.weight),
        "note": r.note,
    }


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

    @rx.event
    async def load(self):
        """Lists the scenarios and the chosen one's staff."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        picker = await self.get_state(ScenarioPicker)
        try:
            scenario_id = await picker._list(prefer_editable=True)
        except ServiceError as error:
            self._clear()
            return refusal(error)
        return await self._show(scenario_id)

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's staff, once the server accepts the choice."""
        picker = await self.get_state(ScenarioPicker)
        try:
            accepted = await picker._choose(scenario_id)
        except ServiceError as error:
            return refusal(error)
        return await self._show(accepted)

    def _clear(self) -> None:
        self.staff, self._views, self.leave_rows = [], {}, []
        self.editing, self.leave_of, self.editable = "", "", False
        self.form_values = {}
        self.form_key += 1
        self.requests_of, self.request_rows, self.shift_choices = "", [], []
        self._fill_request("")

    async def _show(self, scenario_id: int):
        session = await self.get_state(SessionState)
        keep_editing, keep_leave, keep_requests = self.editing, self.leave_of, self.requests_of
        self._clear()
        if not scenario_id:
            return None
        try:
            listed = list_staff(session.token, scenario_id)
        except ServiceError as error:
            return refusal(error)
        self._views = {p.code: p for p in listed.people}
        self.staff = [_row(p) for p in listed.people]
        self.editable = listed.editable
        if keep_editing in self._views:
            self._fill(keep_editing)
        if keep_leave in self._views:
            self._leave(keep_leave)
        if keep_requests in self._views:
            self._requests(keep_requests)
        return None

    def _requests(self, code: str) -> None:
        view = self._views.get(code)
        self.requests_of = code if view else ""
        self.request_rows = [
            _request_row(i, r) for i, r in enumerate(view.requests if view else ())
        ]
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
        self.form_values = _row(view) if view else {}
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
        """Fills the form with a person of the list already in the tab."""
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


def _head(*headings: str) -> rx.Component:
    """A table's head row: one column heading per name."""
    return rx.el.thead(
        rx.el.tr(
            *[rx.el.th(h, scope="col", text_align="left", padding="8px") for h in headings],
            border_bottom=f"2px solid {theme.NHS_TEXT}",
        )
    )


def _text(meaning: str, kind: str = "text") -> rx.Component:
    html_id = f"staff-{meaning}"
    # A person's code is what locks, requests and rotas know them by: an edit keeps it.
    fixed = {"read_only": StaffState.editing != ""} if meaning == "code" else {}
    return rx.vstack(
        field_label(FIELD_LABELS[meaning], html_id),
        rx.el.input(
            id=html_id,
            name=meaning,
            type=kind,
            step="any" if kind == "number" else None,
            default_value=StaffState.form_values.get(meaning, ""),
            **fixed,
            **_INPUT,
        ),
        spacing="1",
        min_width="0",
    )


def _choice(meaning: str, options: dict[str, str], default: str) -> rx.Component:
    html_id = f"staff-{meaning}"
    return rx.vstack(
        field_label(FIELD_LABELS[meaning], html_id),
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in options.items()],
            id=html_id,
            name=meaning,
            default_value=StaffState.form_values.get(meaning, default),
            **_INPUT,
        ),
        spacing="1",
        min_width="0",
    )


def _person_form() -> rx.Component:
    roles = {r: r.replace("_", " ").capitalize().replace("Odp", "ODP") for r in ROLES}
    return panel(
        rx.heading(
            rx.cond(StaffState.editing != "", "Edit " + StaffState.editing, "Add a person"),
            as_="h2",
            size="5",
        ),
        rx.text(
            "Use a staff code and a role label, not a name: the app keeps no personal details. "
            "List sites as codes separated by ';' (the home site is added). Surgeons list the "
            "treatment functions they operate in as skills (e.g. C_110).",
            margin_y="8px",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.form(
            rx.grid(
                _text("code"),
                _text("label"),
                _text("trust"),
                _text("home_site"),
                _choice("role", roles, "anaesthetist"),
                _text("grade"),
                _choice("contract", CONTRACTS, "agenda_for_change"),
                _choice("employment", EMPLOYMENT, "substantive"),
                _text("hours", "number"),
                _text("sites"),
                _text("skills"),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                button(
                    rx.cond(StaffState.editing != "", "Save changes", "Add person"), type="submit"
                ),
                rx.cond(
                    StaffState.editing != "",
                    button(
                        "Add a new person instead",
                        kind="secondary",
                        type="button",
                        on_click=StaffState.new_person,
                    ),
                ),
                spacing="3",
                margin_top="12px",
            ),
            key=StaffState.form_key,
            on_submit=StaffState.save,
            reset_on_submit=False,
        ),
        margin_top="16px",
    )


def _leave_panel() -> rx.Component:
    return panel(
        rx.heading("Leave of " + StaffState.leave_of, as_="h2", size="5"),
        rx.el.table(
            rx.el.caption("Leave and fixed days off", text_align="left", font_weight="600"),
            _head("Kind", "First day", "Last day", ""),
            rx.el.tbody(
                rx.foreach(
                    StaffState.leave_rows,
                    lambda x: rx.el.tr(
                        rx.el.td(x["kind"], padding="8px"),
                        rx.el.td(x["start"], padding="8px"),
                        rx.el.td(x["end"], padding="8px"),
                        rx.el.td(
                            rx.cond(
                                StaffState.editable,
                                button(
                                    "Remove",
                                    kind="warning",
                                    on_click=StaffState.remove_leave(x["id"]),
                                    aria_label="Remove leave from " + x["start"],
                                ),
                            ),
                            padding="8px",
                        ),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    ),
                )
            ),
            width="100%",
            border_collapse="collapse",
        ),
        rx.cond(
            StaffState.editable & SessionState.permissions.contains("edit_workforce"),
            rx.form(
                rx.flex(
                    rx.vstack(
                        field_label("Kind of leave", "leave-kind"),
                        rx.el.select(
                            *[rx.el.option(v, value=k) for k, v in LEAVE_KINDS.items()],
                            id="leave-kind",
                            name="kind",
                            default_value="annual_leave",
                            **_INPUT,
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        field_label("First day", "leave-start"),
                        rx.el.input(
                            id="leave-start", name="start", type="date", required=True, **_INPUT
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        field_label("Last day", "leave-end"),
                        rx.el.input(id="leave-end", name="end", type="date", **_INPUT),
                        spacing="1",
                    ),
                    button("Add leave", type="submit", kind="secondary"),
                    gap="12px",
                    align="end",
                    wrap="wrap",
                ),
                on_submit=StaffState.add_leave,
                reset_on_submit=True,
                margin_top="12px",
            ),
        ),
        margin_top="16px",
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    """A form control under its label (the control's `id` ties them together)."""
    return rx.vstack(field_label(label, control.id), control, spacing="1")


def _request_control(
    tag, meaning: str, *children, value_key: str = "", default: str = "", **props
) -> rx.Component:
    """One field of the request form, filled with the chosen request's value."""
    shown = StaffState.request_values.get(value_key or meaning, default)
    return tag(
        *children, id=f"request-{meaning}", name=meaning, default_value=shown, **props, **_INPUT
    )


def _request_form() -> rx.Component:
    low, high = WEIGHT_RANGE
    return rx.form(
        rx.heading(
            rx.cond(
                StaffState.editing_request != "",
                "Edit the request of " + StaffState.request_values.get("date", ""),
                "Add a request",
            ),
            as_="h3",
            size="4",
            margin_top="12px",
        ),
        rx.flex(
            _labelled(
                REQUEST_LABELS["date"],
                _request_control(
                    rx.el.input, "date", type="date", required=True, value_key="iso_date"
                ),
            ),
            _labelled(
                REQUEST_LABELS["shift"],
                _request_control(
                    rx.el.select,
                    "shift",
                    rx.foreach(StaffState.shift_choices, lambda c: rx.el.option(c[1], value=c[0])),
                    value_key="shift_kind",
                ),
            ),
            _labelled(
                REQUEST_LABELS["request"],
                _request_control(
                    rx.el.select,
                    "request",
                    rx.el.option("Wants off", value="off"),
                    rx.el.option("Wants to work", value="on"),
                    default="off",
                    value_key="kind",
                ),
            ),
            _labelled(
                f"{REQUEST_LABELS['weight']} ({low} to {high})",
                _request_control(
                    rx.el.input,
                    "weight",
                    type="number",
                    min=low,
                    max=high,
                    step=1,
                    default="1",
                    width="90px",
                ),
            ),
            _labelled(
                REQUEST_LABELS["note"], _request_control(rx.el.input, "note", max_length=200)
            ),
            button(
                rx.cond(StaffState.editing_request != "", "Save request", "Add request"),
                type="submit",
                kind="secondary",
            ),
            rx.cond(
                StaffState.editing_request != "",
                button(
                    "Add a new request instead",
                    kind="secondary",
                    type="button",
                    on_click=StaffState.new_request,
                ),
            ),
            gap="12px",
            align="end",
            wrap="wrap",
        ),
        key=StaffState.request_form_key,
        on_submit=StaffState.save_request,
        reset_on_submit=False,
        margin_top="12px",
    )


def _requests_panel() -> rx.Component:
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return panel(
        rx.heading("Requests of " + StaffState.requests_of, as_="h2", size="5"),
        rx.text(
            "Shifts this person asks to work or to have off. The rota meets them where it can; "
            "a higher weight (1 to 10) counts for more when not every request can be met.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        rx.el.table(
            rx.el.caption("Requests", text_align="left", font_weight="600"),
            _head("Date", "Shift", "Request", "Weight", "Note", ""),
            rx.el.tbody(
                rx.foreach(
                    StaffState.request_rows,
                    lambda r: rx.el.tr(
                        rx.el.td(r["date"], padding="8px"),
                        rx.el.td(r["shift"], padding="8px"),
                        rx.el.td(r["request"], padding="8px"),
                        rx.el.td(r["weight"], padding="8px"),
                        rx.el.td(r["note"], padding="8px"),
                        rx.el.td(
                            rx.cond(
                                can_edit,
                                rx.hstack(
                                    button(
                                        "Edit",
                                        kind="secondary",
                                        on_click=StaffState.choose_request(r["key"]),
                                        aria_label="Edit request of " + r["date"],
                                    ),
                                    button(
                                        "Remove",
                                        kind="warning",
                                        on_click=StaffState.remove_request(r["key"]),
                                        aria_label="Remove request of " + r["date"],
                                    ),
                                    spacing="2",
                                ),
                            ),
                            padding="8px",
                        ),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    ),
                )
            ),
            width="100%",
            border_collapse="collapse",
        ),
        rx.cond(can_edit, _request_form()),
        margin_top="16px",
    )


def _import_requests_panel() -> rx.Component:
    return panel(
        rx.heading("Import requests", as_="h2", size="5"),
        rx.text(
            "A CSV or Excel file with one request a row: staff code, date, shift (blank for the "
            "whole day), request (on or off), weight (1 to 10) and note (docs/rota.md, "
            "'Requests'). The whole file is checked first; a file with any problem, or with "
            "patient details, imports nothing. Each row replaces that person's request for the "
            "same day and shift; other requests are kept.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        field_label("File of requests", REQUESTS_FILE_INPUT_ID),
        labelled_upload(
            rx.upload(
                rx.vstack(
                    rx.text("Drag a file here, or choose one", font_weight="600"),
                    rx.text(
                        rx.selected_files(REQUESTS_UPLOAD_ID).join(", "),
                        color=theme.NHS_SECONDARY_TEXT,
                    ),
                    align="center",
                ),
                id=REQUESTS_UPLOAD_ID,
                multiple=False,
                border=f"2px dashed {theme.NHS_BLUE}",
                padding="16px",
                margin_top="4px",
                aria_label="File of requests: drop zone",
            ),
            REQUESTS_FILE_INPUT_ID,
        ),
        rx.hstack(
            button(
                "Import requests",
                on_click=StaffState.import_requests(rx.upload_files(upload_id=REQUESTS_UPLOAD_ID)),
            ),
            rx.cond(
                StaffState.importing,
                rx.hstack(rx.spinner(), rx.text("Importing…"), role="status"),
            ),
            margin_top="12px",
            align="center",
            spacing="3",
        ),
        rx.cond(
            StaffState.import_problems,
            rx.box(
                rx.text(
                    "Problems in the file: nothing was imported.",
                    font_weight="700",
                    color=theme.NHS_RED,
                ),
                rx.el.ul(rx.foreach(StaffState.import_problems, lambda p: rx.el.li(p))),
                role="alert",
                border=f"4px solid {theme.NHS_RED}",
                padding="12px",
                margin_top="12px",
            ),
        ),
        margin_top="16px",
    )


def _actions(p: dict) -> rx.Component:
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return rx.hstack(
        button(
            "Leave",
            kind="secondary",
            on_click=StaffState.show_leave(p["code"]),
            aria_label="Leave of " + p["code"],
        ),
        button(
            "Requests",
            kind="secondary",
            on_click=StaffState.show_requests(p["code"]),
            aria_label="Requests of " + p["code"],
        ),
        rx.cond(
            can_edit,
            rx.hstack(
                button(
                    "Edit",
                    kind="secondary",
                    on_click=StaffState.edit(p["code"]),
                    aria_label="Edit " + p["code"],
                ),
                button(
                    "Remove",
                    kind="warning",
                    on_click=StaffState.remove(p["code"]),
                    aria_label="Remove " + p["code"],
                ),
                spacing="2",
            ),
        ),
        spacing="2",
    )


@protected_page("/staff", "Staff", on_load=[StaffState.load])
def staff_page() -> rx.Component:
    """The Staff page."""
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return page_shell(
        rx.heading("Staff", as_="h1", size="8"),
        rx.text(
            "The people the rota may place in this scenario: role, contract, hours, the sites "
            "they may work at, and their leave. Workforce leads change them on a draft scenario; "
            "each change is checked, audited and refused if someone else changed the person "
            "first.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            rx.flex(
                select_field(
                    "Scenario",
                    "staff-scenario",
                    rx.foreach(
                        ScenarioPicker.options, lambda s: rx.el.option(s["name"], value=s["id"])
                    ),
                    ScenarioPicker.chosen,
                    StaffState.choose_scenario,
                ),
                rx.vstack(
                    field_label("Find", "staff-filter"),
                    rx.el.input(
                        id="staff-filter",
                        type="search",
                        value=StaffState.filter_text,
                        on_change=StaffState.set_filter,
                        placeholder="code, role or site",
                        **_INPUT,
                    ),
                    spacing="1",
                ),
                gap="16px",
                wrap="wrap",
            ),
            rx.cond(
                ~StaffState.editable,
                rx.text(
                    "This scenario is not a draft: its staff are shown, not changed. Create a "
                    "scenario from it to make changes.",
                    margin_top="8px",
                ),
            ),
        ),
        panel(
            rx.box(
                rx.el.table(
                    rx.el.caption(
                        "Staff (" + StaffState.shown.length().to_string() + ")",
                        text_align="left",
                        font_size="20px",
                        font_weight="600",
                        padding_bottom="12px",
                    ),
                    _head(
                        "Code",
                        "Label",
                        "Trust",
                        "Role",
                        "Contract",
                        "Hours a week",
                        "Sites",
                        "Leave",
                        "Requests",
                        "",
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            StaffState.shown,
                            lambda p: rx.el.tr(
                                rx.el.th(p["code"], scope="row", text_align="left", padding="8px"),
                                rx.el.td(p["label"], padding="8px"),
                                rx.el.td(p["trust"], padding="8px"),
                                rx.el.td(p["role_label"], padding="8px"),
                                rx.el.td(p["contract_label"], padding="8px"),
                                rx.el.td(p["hours"], padding="8px"),
                                rx.el.td(p["sites"], padding="8px"),
                                rx.el.td(p["leave"], padding="8px"),
                                rx.el.td(p["requests"], padding="8px"),
                                rx.el.td(_actions(p), padding="8px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                ),
                overflow_x="auto",
                max_height="60vh",
                overflow_y="auto",
                tab_index=0,
            ),
            margin_top="16px",
        ),
        rx.cond(StaffState.leave_of != "", _leave_panel()),
        rx.cond(StaffState.requests_of != "", _requests_panel()),
        rx.cond(can_edit, _import_requests_panel()),
        rx.cond(can_edit, _person_form()),
    )
