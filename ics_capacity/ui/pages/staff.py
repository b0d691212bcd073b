"""Staff: the people a scenario's rota may place, edited one at a time, with their leave.

Workforce leads (and administrators) add, edit and remove people and their leave on a draft
scenario; everyone else in the collaborative sees the list. The services (`services/staff.py`)
check every change; the page keeps the versions the edits must match in backend vars.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.errors import ServiceError
from ics_capacity.services.staff import FIELD_LABELS, LEAVE_KINDS, StaffView, list_staff
from ics_capacity.services.staff import add_leave as add_leave_service
from ics_capacity.services.staff import remove_leave as remove_leave_service
from ics_capacity.services.staff import remove_person as remove_person_service
from ics_capacity.services.staff import save_person as save_person_service
from ics_capacity.ui import theme
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import button, field_label, panel, select_field
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
    }


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

    async def _show(self, scenario_id: int):
        session = await self.get_state(SessionState)
        keep_editing, keep_leave = self.editing, self.leave_of
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
        return None

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
    def set_filter(self, value: str):
        """Filters the list shown by code, name, role or site."""
        self.filter_text = str(value)[:60]

    async def _act(self, action, success: str, *args, **kwargs):
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            action(session.token, picker._scenario_id, *args, **kwargs)
        except (ServiceError, ValueError) as error:
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
            rx.el.thead(
                rx.el.tr(
                    *[
                        rx.el.th(h, scope="col", text_align="left", padding="8px")
                        for h in ("Kind", "First day", "Last day", "")
                    ],
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
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


def _actions(p: dict) -> rx.Component:
    can_edit = StaffState.editable & SessionState.permissions.contains("edit_workforce")
    return rx.hstack(
        button(
            "Leave",
            kind="secondary",
            on_click=StaffState.show_leave(p["code"]),
            aria_label="Leave of " + p["code"],
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
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col", text_align="left", padding="8px")
                                for h in (
                                    "Code",
                                    "Label",
                                    "Trust",
                                    "Role",
                                    "Contract",
                                    "Hours a week",
                                    "Sites",
                                    "Leave",
                                    "",
                                )
                            ],
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                        )
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
        rx.cond(can_edit, _person_form()),
    )
