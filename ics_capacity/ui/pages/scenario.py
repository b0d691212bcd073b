"""One scenario: its site capacity (edited in place), approval workflow, comments, who is here.

Changes are saved through the services (which check the role and the row version) and then pushed
through the scenario's shared room to everyone viewing it.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.domain.measures import label as measure_label
from ics_capacity.domain.measures import measure
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL
from ics_capacity.services.capacity import (
    EDITABLE_FIELDS,
    FieldValueError,
    update_site_capacity,
)
from ics_capacity.services.dashboard import ImpactRow, scenario_impact
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
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.calendar import calendar_section
from ics_capacity.ui.components.hub_readiness import HubReadinessState, hub_readiness_panel
from ics_capacity.ui.components.hubs import HubsState, hubs_panel, provenance_panel
from ics_capacity.ui.components.independent_prices import (
    IndependentPriceState,
    independent_prices_panel,
)
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import term
from ics_capacity.ui.components.validation import ValidationState, validation_panel
from ics_capacity.ui.components.widgets import button, field_label, status_badge, working
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.rooms import ScenarioRoom, heartbeat_seconds
from ics_capacity.ui.state.session import SessionState, refusal

CAPACITY_COLUMNS: list[tuple[str, str, str]] = [
    # (row key, column heading, "edit" for an editable figure: version key)
    ("theatres", "Theatres", "theatre_version"),
    ("sessions_per_week", "Sessions a week per theatre", "theatre_version"),
    ("session_minutes", "Session minutes", "theatre_version"),
    ("utilisation_target", THEATRE_CAP_LABEL, "theatre_version"),
    ("elective_overnight_beds", "Elective overnight beds", "bed_version"),
    ("day_case_places", "Day-case places", "bed_version"),
    ("occupancy_target", BED_CAP_LABEL, "bed_version"),
]


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
        """Projects the scenario to the next year end (in a thread) against its comparison."""
        async with self:
            session = await self.get_state(SessionState)
            token, scenario_id = session.token, self._scenario_id
            self._impact_request += 1
            request = self._impact_request
            if not scenario_id:
                return
            self.impact_busy = True
        try:
            impact = await asyncio.to_thread(scenario_impact, token, scenario_id)
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
            self.impact_rows = [_impact_row(r) for r in impact.rows]
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


def _impact_row(row: ImpactRow) -> dict[str, str]:
    m = measure(row.measure)
    share = row.measure == "projected_within_18_weeks"
    show = fmt.percent if share else fmt.count
    change = ""
    if row.comparison is not None:
        delta = row.scenario - row.comparison
        better = delta > 0 if share else delta < 0
        if abs(delta) < (0.0005 if share else 0.5):
            change = "no change"
        else:
            amount = f"{abs(delta) * 100:.1f} points" if share else f"{abs(delta):,.0f}"
            change = f"{amount} {'better' if better else 'worse'}"
    return {
        "label": m.label,
        "definition": m.tooltip,
        "scenario": show(row.scenario),
        "comparison": show(row.comparison),
        "change": change,
    }


def _impact_panel() -> rx.Component:
    """The effect of the scenario's capacity at the next year end, refreshed after each edit."""
    cell = {"padding": "6px 8px", "text_align": "right"}
    return rx.box(
        rx.hstack(
            rx.heading("Impact", as_="h2", size="5"),
            working(ScenarioPageState.impact_busy, "Projecting…"),
            align="center",
            spacing="4",
        ),
        rx.cond(
            ScenarioPageState.impact_rows.length() > 0,
            rx.el.table(
                rx.el.caption(
                    ScenarioPageState.impact_caption, text_align="left", font_weight="600"
                ),
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Measure", scope="col", text_align="left", padding="6px 8px"),
                        rx.el.th("This scenario", scope="col", **cell),
                        rx.el.th("Compared with", scope="col", **cell),
                        rx.el.th("Change", scope="col", **cell),
                        border_bottom=f"2px solid {theme.NHS_TEXT}",
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        ScenarioPageState.impact_rows,
                        lambda r: rx.el.tr(
                            rx.el.th(
                                term(r["label"], r["definition"]),
                                scope="row",
                                text_align="left",
                                padding="6px 8px",
                            ),
                            rx.el.td(r["scenario"], **cell),
                            rx.el.td(r["comparison"], **cell),
                            rx.el.td(r["change"], **cell, font_weight="600"),
                            border_bottom=f"1px solid {theme.NHS_BORDER}",
                        ),
                    )
                ),
                width="100%",
                border_collapse="collapse",
                class_name="figures",
                id="scenario-impact",
            ),
        ),
        rx.text(
            ScenarioPageState.impact_note,
            size="2",
            color=theme.NHS_SECONDARY_TEXT,
            margin_top="8px",
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        margin_top="16px",
    )


def _can(permission: str) -> rx.Var:
    return SessionState.permissions.contains(permission)


_editable = ScenarioRoom.editable


def _cell(row, key: str, version_key: str) -> rx.Component:
    label = f"{EDITABLE_FIELDS[key].label} at "
    return rx.el.td(
        rx.cond(
            _can("edit_capacity") & _editable,
            rx.el.input(
                default_value=row[key],
                key=row["site_id"] + key + row[key],
                aria_label=label + row["name"],
                on_blur=lambda value: ScenarioPageState.save_cell(
                    row["site_id"], key, value, row[version_key]
                ),
                width="72px",
                padding="4px 6px",
                text_align="right",
                border=f"2px solid {theme.NHS_SECONDARY_TEXT}",
                border_radius="0",
                font_size="16px",
            ),
            rx.text(row[key]),
        ),
        rx.cond(
            ScenarioPageState.field_error_key == row["site_id"] + "-" + key,
            rx.text(
                ScenarioPageState.field_error,
                color=theme.NHS_RED,
                font_size="14px",
                role="alert",
                max_width="160px",
            ),
        ),
        text_align="right",
        padding="8px",
    )


def _figure_cell(entity: str, row, key: str, label: str) -> rx.Component:
    permission = "edit_workforce" if entity == "workforce" else "edit_capacity"
    described = row["trust"] + " " + row["staff_group"] if entity == "workforce" else row["name"]
    return rx.el.td(
        rx.cond(
            _can(permission) & _editable,
            rx.el.input(
                default_value=row[key],
                key=row["id"] + key + row[key],
                aria_label=label + " for " + described,
                on_blur=lambda value: ScenarioPageState.save_figure(
                    entity, row["id"], key, value, row["version"]
                ),
                width="88px",
                padding="4px 6px",
                text_align="right",
                border=f"2px solid {theme.NHS_SECONDARY_TEXT}",
                border_radius="0",
                font_size="16px",
            ),
            rx.text(row[key]),
        ),
        rx.cond(
            ScenarioPageState.field_error_key == entity + "-" + row["id"] + "-" + key,
            rx.text(
                ScenarioPageState.field_error,
                color=theme.NHS_RED,
                font_size="14px",
                role="alert",
                max_width="200px",
            ),
        ),
        text_align="right",
        padding="6px 8px",
    )


def _simple_table(caption: str, headings: list[tuple[str, bool]], rows, row_fn) -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.caption(
                caption,
                text_align="left",
                font_size="20px",
                font_weight="600",
                padding_bottom="12px",
            ),
            rx.el.thead(
                rx.el.tr(
                    *[
                        rx.el.th(
                            h, scope="col", text_align="right" if numeric else "left", padding="8px"
                        )
                        for h, numeric in headings
                    ],
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(rx.foreach(rows, row_fn)),
            class_name="figures",
            width="100%",
            border_collapse="collapse",
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
        margin_top="16px",
    )


def _case_mix_table() -> rx.Component:
    return _simple_table(
        "Case-mix",
        [
            ("Treatment function", False),
            ("Theatre minutes per case", True),
            ("Length of stay (days)", True),
            ("Day-case rate", True),
            ("Last changed by", False),
        ],
        ScenarioRoom.case_mix,
        lambda r: rx.el.tr(
            rx.el.th(
                r["name"],
                " (",
                r["tfc"],
                ")",
                scope="row",
                text_align="left",
                padding="6px 8px",
                font_weight="600",
            ),
            _figure_cell("case_mix", r, "minutes_per_case", "Theatre minutes per case"),
            _figure_cell("case_mix", r, "length_of_stay_days", "Length of stay"),
            _figure_cell("case_mix", r, "day_case_rate", "Day-case rate"),
            rx.el.td(
                r["updated_by"], font_size="14px", padding="6px 8px", color=theme.NHS_SECONDARY_TEXT
            ),
            border_bottom=f"1px solid {theme.NHS_BORDER}",
        ),
    )


def _workforce_table() -> rx.Component:
    return _simple_table(
        "Workforce: staff in post",
        [
            ("Trust", False),
            ("Staff group", False),
            ("Headcount", True),
            ("Full-time equivalent", True),
            ("Last changed by", False),
        ],
        ScenarioRoom.workforce,
        lambda r: rx.el.tr(
            rx.el.td(r["trust"], padding="6px 8px"),
            rx.el.th(
                r["staff_group"],
                scope="row",
                text_align="left",
                padding="6px 8px",
                font_weight="600",
            ),
            _figure_cell("workforce", r, "headcount", "Headcount"),
            _figure_cell("workforce", r, "fte", "Full-time equivalent"),
            rx.el.td(
                r["updated_by"], font_size="14px", padding="6px 8px", color=theme.NHS_SECONDARY_TEXT
            ),
            border_bottom=f"1px solid {theme.NHS_BORDER}",
        ),
    )


def _add_site_form() -> rx.Component:
    def field(label: str, name: str, width: str = "120px", **props) -> rx.Component:
        return rx.vstack(
            field_label(label, f"site-{name}"),
            rx.el.input(
                id=f"site-{name}",
                name=name,
                width=width,
                border=f"2px solid {theme.NHS_TEXT}",
                padding="6px",
                **props,
            ),
            spacing="1",
        )

    return rx.cond(
        _can("edit_capacity") & _editable,
        rx.box(
            rx.heading("Add a site or elective hub", as_="h2", size="5"),
            rx.form(
                rx.flex(
                    field("Code", "code", required=True, placeholder="e.g. NEWHUB"),
                    field("Name", "name", "260px", required=True),
                    field(
                        "Run by (trust ODS code)", "operator", required=True, placeholder="e.g. RNA"
                    ),
                    field("Theatres", "theatres", "90px", required=True, default_value="4"),
                    field(
                        "Sessions a week per theatre",
                        "sessions",
                        "90px",
                        required=True,
                        default_value="10",
                    ),
                    field("Elective overnight beds", "beds", "90px", default_value="0"),
                    field("Day-case places", "day_case", "90px", default_value="0"),
                    field(
                        "Treatment functions (codes, comma-separated)",
                        "tfcs",
                        "300px",
                        placeholder="C_110, C_130",
                    ),
                    rx.hstack(
                        rx.el.input(
                            type="checkbox", id="site-hub", name="hub", width="20px", height="20px"
                        ),
                        field_label("Elective hub", "site-hub"),
                        align="center",
                    ),
                    button("Add site", type="submit"),
                    gap="16px",
                    wrap="wrap",
                    align="end",
                ),
                on_submit=ScenarioPageState.add_site,
                reset_on_submit=True,
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
        ),
    )


def _capacity_table() -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.caption(
                "Site capacity",
                text_align="left",
                font_size="20px",
                font_weight="600",
                padding_bottom="12px",
            ),
            rx.el.thead(
                rx.el.tr(
                    rx.el.th("Site", scope="col", text_align="left", padding="8px"),
                    *[
                        rx.el.th(heading, scope="col", text_align="right", padding="8px")
                        for _, heading, _ in CAPACITY_COLUMNS
                    ],
                    rx.el.th(
                        measure_label("usable_theatre_hours"),
                        scope="col",
                        text_align="right",
                        padding="8px",
                    ),
                    rx.el.th("Last changed by", scope="col", text_align="left", padding="8px"),
                    rx.el.th(rx.el.span("Actions", class_name="visually-hidden"), scope="col"),
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    ScenarioRoom.rows,
                    lambda row: rx.el.tr(
                        rx.el.th(
                            rx.text(row["name"], font_weight="600"),
                            rx.text(
                                row["role"],
                                " · ",
                                row["operator"],
                                font_size="14px",
                                color=theme.NHS_SECONDARY_TEXT,
                                font_weight="400",
                            ),
                            scope="row",
                            text_align="left",
                            padding="8px",
                        ),
                        *[_cell(row, key, version) for key, _, version in CAPACITY_COLUMNS],
                        rx.el.td(row["theatre_hours"], text_align="right", padding="8px"),
                        rx.el.td(
                            row["updated"],
                            font_size="14px",
                            padding="8px",
                            color=theme.NHS_SECONDARY_TEXT,
                        ),
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                    ),
                )
            ),
            class_name="figures",
            width="100%",
            border_collapse="collapse",
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
        margin_top="16px",
    )


def _workflow_panel() -> rx.Component:
    return rx.box(
        rx.heading("Approval", as_="h2", size="5"),
        rx.cond(ScenarioRoom.status_note != "", rx.text(ScenarioRoom.status_note, margin_y="8px")),
        rx.hstack(
            rx.cond(
                _can("submit_scenario") & _editable & ~ScenarioRoom.is_baseline,
                button("Submit for approval", on_click=ScenarioPageState.submit_for_approval),
            ),
            rx.cond(
                _can("manage_scenarios")
                & ~ScenarioRoom.is_baseline
                & (ScenarioRoom.status != "archived"),
                button("Archive", on_click=ScenarioPageState.archive, kind="secondary"),
            ),
            spacing="3",
            margin_top="8px",
        ),
        rx.cond(
            _can("approve_scenario") & (ScenarioRoom.status == "submitted"),
            rx.vstack(
                field_label("Decision note (optional)", "decision-note"),
                rx.el.textarea(
                    id="decision-note",
                    rows="2",
                    width="100%",
                    value=ScenarioPageState.decision_note,
                    on_change=ScenarioPageState.set_decision_note,
                    border=f"2px solid {theme.NHS_TEXT}",
                    padding="6px",
                ),
                rx.hstack(
                    button("Approve", on_click=ScenarioPageState.approve),
                    button("Reject", on_click=ScenarioPageState.reject, kind="warning"),
                    spacing="3",
                ),
                spacing="2",
                width="100%",
                margin_top="12px",
            ),
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
    )


def _branch_and_rename() -> rx.Component:
    return rx.cond(
        _can("manage_scenarios"),
        rx.box(
            rx.heading("Change this scenario", as_="h2", size="5"),
            rx.form(
                rx.hstack(
                    rx.vstack(
                        field_label("New scenario from this one", "branch-name"),
                        rx.el.input(
                            id="branch-name",
                            name="name",
                            required=True,
                            placeholder="e.g. Extra Saturday lists at Cannock",
                            border=f"2px solid {theme.NHS_TEXT}",
                            padding="6px",
                            width="320px",
                        ),
                        spacing="1",
                    ),
                    button("Create scenario", type="submit"),
                    align="end",
                    spacing="3",
                ),
                on_submit=ScenarioPageState.branch,
                reset_on_submit=True,
            ),
            rx.cond(
                ~ScenarioRoom.is_baseline & (ScenarioRoom.status != "archived"),
                rx.form(
                    rx.hstack(
                        rx.vstack(
                            field_label("Rename", "rename"),
                            rx.el.input(
                                id="rename",
                                name="name",
                                required=True,
                                border=f"2px solid {theme.NHS_TEXT}",
                                padding="6px",
                                width="320px",
                            ),
                            spacing="1",
                        ),
                        button("Rename", type="submit", kind="secondary"),
                        align="end",
                        spacing="3",
                    ),
                    on_submit=ScenarioPageState.rename,
                    reset_on_submit=True,
                    margin_top="12px",
                ),
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
        ),
    )


def _comments() -> rx.Component:
    return rx.box(
        rx.heading("Comments", as_="h2", size="5"),
        rx.cond(
            ScenarioRoom.comments.length() == 0,
            rx.text("No comments yet.", color=theme.NHS_SECONDARY_TEXT),
        ),
        rx.el.ul(
            rx.foreach(
                ScenarioRoom.comments,
                lambda c: rx.el.li(
                    rx.text(
                        c["author"],
                        " · ",
                        c["at"],
                        font_size="14px",
                        color=theme.NHS_SECONDARY_TEXT,
                    ),
                    rx.text(c["body"], white_space="pre-wrap"),
                    padding_y="8px",
                    border_bottom=f"1px solid {theme.NHS_BORDER}",
                ),
            ),
            list_style="none",
            padding="0",
            aria_label="Comments",
        ),
        rx.cond(
            _can("comment"),
            rx.form(
                rx.vstack(
                    field_label("Add a comment", "comment-body"),
                    rx.el.textarea(
                        id="comment-body",
                        name="body",
                        rows="3",
                        width="100%",
                        required=True,
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    button("Post comment", type="submit", kind="secondary"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ScenarioPageState.comment,
                reset_on_submit=True,
                margin_top="12px",
            ),
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
    )


@protected_page(
    "/scenarios/[scenario_id]",
    "Scenario",
    on_load=[
        ScenarioPageState.open,
        ScenarioRoom.join,
        HubsState.load,
        HubReadinessState.load,
        ValidationState.load,
        IndependentPriceState.load,
    ],
)
def scenario_page() -> rx.Component:
    """The scenario page."""
    return page_shell(
        rx.cond(
            ScenarioRoom.scenario_id > 0,
            rx.fragment(
                rx.link("← All scenarios", href="/scenarios", color=theme.NHS_BLUE),
                rx.hstack(
                    rx.heading(ScenarioRoom.name, as_="h1", size="8"),
                    status_badge(ScenarioRoom.status),
                    align="center",
                    spacing="4",
                    margin_top="8px",
                ),
                rx.text(
                    rx.cond(
                        ScenarioRoom.parent_name != "",
                        "Created from " + ScenarioRoom.parent_name + " by ",
                        "Owner: ",
                    ),
                    ScenarioRoom.owner,
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                rx.box(
                    # Everyone else on this scenario (never yourself), by name.
                    rx.cond(
                        ScenarioRoom.present.length() > 1,
                        rx.text(
                            "Also viewing: ",
                            rx.foreach(
                                ScenarioRoom.present,
                                lambda name: rx.cond(
                                    name != SessionState.user_name,
                                    rx.text.strong(name, " · "),
                                ),
                            ),
                        ),
                    ),
                    rx.cond(
                        ScenarioRoom.last_change != "",
                        rx.text("Latest change: ", ScenarioRoom.last_change),
                    ),
                    # Says every few seconds that this tab is still open, so closed tabs
                    # leave "Also viewing" within a minute.
                    rx.moment(
                        interval=round(heartbeat_seconds() * 1000),
                        on_change=ScenarioRoom.heartbeat,
                        display="none",
                    ),
                    role="status",
                    aria_live="polite",
                    background_color="#E8F1F8",
                    border_left=f"4px solid {theme.NHS_BLUE}",
                    padding="8px 12px",
                    margin_top="12px",
                ),
                rx.cond(
                    ScenarioPageState.conflict != "",
                    rx.box(
                        rx.text("Your change was not saved", font_weight="700"),
                        rx.text(ScenarioPageState.conflict),
                        role="alert",
                        border=f"4px solid {theme.NHS_RED}",
                        background_color=theme.NHS_WHITE,
                        padding="12px",
                        margin_top="12px",
                    ),
                ),
                rx.cond(
                    ~_editable,
                    rx.text(
                        "This scenario is ",
                        ScenarioRoom.status,
                        " and cannot be edited; create a scenario from it to make changes.",
                        margin_top="12px",
                        color=theme.NHS_SECONDARY_TEXT,
                    ),
                ),
                rx.cond(
                    (_can("edit_capacity") | _can("edit_workforce")) & _editable,
                    rx.hstack(
                        button(
                            "Undo my last change", kind="secondary", on_click=ScenarioPageState.undo
                        ),
                        margin_top="12px",
                    ),
                ),
                _capacity_table(),
                provenance_panel(),
                hubs_panel(_can("edit_capacity") & _editable),
                hub_readiness_panel(_can("edit_capacity") & _editable),
                validation_panel(_can("edit_capacity") & _editable),
                independent_prices_panel(_can("edit_capacity") & _editable),
                _impact_panel(),
                _add_site_form(),
                calendar_section(
                    _can("edit_capacity") & _editable, ScenarioPageState.refresh_impact
                ),
                _case_mix_table(),
                _workforce_table(),
                rx.grid(
                    _workflow_panel(),
                    _branch_and_rename(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                rx.box(_comments(), margin_top="16px"),
            ),
            rx.text("Opening the scenario…", role="status"),
        ),
    )
