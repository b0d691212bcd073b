"""Rebalance: which hub should treat which trust's patients, week by week, to equalise pressure.

The run is a background job (the page stays usable); its result is kept on the job record, so a
reload or a colleague sees the same plan. The plan can be saved as a new scenario.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ics_capacity.domain.measures import label as measure_label
from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.jobs import start_job
from ics_capacity.services.rebalance import save_plan_as_scenario
from ics_capacity.services.rebalance_view import PlanView, latest_plan, plan_moves_file
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import name_form, scenario_select
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import heading
from ics_capacity.ui.components.recorded_baseline import baseline_table
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import button, figures_table, job_progress, panel
from ics_capacity.ui.pages.rebalance_parts import (
    first_appointments_panel,
    moves_panel,
    number_field,
    stage_fields,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.form_fields import field_setter
from ics_capacity.ui.state.job_watch import JobWatchState
from ics_capacity.ui.state.picker import ScenarioPicker, show_chosen_scenario
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal


class RebalanceState(JobWatchState, rx.State):
    """The run settings and the latest plan of the scenario chosen in the shared picker."""

    weeks: str = "26"
    time_limit: str = "10"
    target_wait: str = "18"
    max_travel: str = "60"
    non_admitted: bool = False
    clinic_factor: str = "1"
    stats: str = ""
    levels: list[dict[str, str]] = []
    compare: list[dict[str, str]] = []
    providers: list[dict[str, str]] = []
    flows: list[dict[str, str]] = []
    limits: list[dict[str, str]] = []
    chart: dict = {}
    scope: str = ""
    pressure_note: str = ""
    moves: list[dict[str, str]] = []
    moves_sentence: str = ""
    moves_note: str = ""
    hub_use: list[dict[str, str]] = []
    spend: list[dict[str, str]] = []
    spend_note: str = ""
    first_appointments: list[dict[str, str]] = []
    first_appointments_note: str = ""
    baseline_heading: str = ""
    baseline_message: str = ""
    baseline_rows: list[dict[str, str]] = []
    _job_noun: str = "run"

    @rx.event
    async def load(self):
        """Lists the scenarios and shows the chosen one's latest plan."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        picker = await self.get_state(ScenarioPicker)
        try:
            scenario_id = await picker._list()
        except ServiceError as error:
            self._clear()
            return refusal(error)
        return await self._open(scenario_id)

    async def _open(self, scenario_id: int):
        self._clear()
        if not scenario_id:
            return None
        session = await self.get_state(SessionState)
        try:
            job, plan = latest_plan(session.token, scenario_id)
        except ServiceError as error:
            return refusal(error)
        events = [ScenarioRoom.join_scenario(scenario_id)]
        if job is not None:
            self._job_id = job.id
            self.running, self.progress = job.active, job.progress
            self.status_text = f"Latest run by {job.requested_by_name}: {job.status}. {job.message}"
            self._fill(plan)
            if job.active:
                events.append(RebalanceState.watch)
        return events

    def _clear(self) -> None:
        self._fill(PlanView())
        self._job_id, self.running, self.progress, self.status_text = 0, False, 0, ""

    def _fill(self, plan: PlanView) -> None:
        self.levels, self.compare = plan.levels, plan.compare
        self.providers, self.flows = plan.providers, plan.flows
        self.limits, self.stats, self.chart = plan.limits, plan.stats, plan.chart
        self.scope, self.pressure_note = plan.scope, plan.pressure_note
        self.moves, self.moves_sentence = plan.moves, plan.moves_sentence
        self.moves_note, self.hub_use = plan.moves_note, plan.hub_use
        self.spend, self.spend_note = plan.spend, plan.spend_note
        self.first_appointments = plan.first_appointments
        self.first_appointments_note = plan.first_appointments_note
        self.baseline_heading, self.baseline_message = plan.baseline_heading, plan.baseline_message
        self.baseline_rows = plan.baseline_rows

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's latest plan, once the server accepts the choice."""
        return await show_chosen_scenario(self, scenario_id, self._open)

    @rx.event
    async def refresh_plan(self):
        """Shows the newest plan of the scenario (e.g. one a colleague has just finished)."""
        picker = await self.get_state(ScenarioPicker)
        return await self._open(picker._scenario_id)

    set_weeks = field_setter("weeks", "Sets the horizon in weeks.")
    set_target_wait = field_setter(
        "target_wait", "Sets the target wait (weeks) that pressure is measured against."
    )
    set_max_travel = field_setter(
        "max_travel", "Sets the longest journey (minutes) a patient is asked to make."
    )
    set_time_limit = field_setter("time_limit", "Sets the solver's time limit in seconds.")
    set_non_admitted = field_setter(
        "non_admitted",
        "Adds (or leaves out) the stage before the first outpatient appointment.",
        bool,
    )
    set_clinic_factor = field_setter(
        "clinic_factor", "Sets the clinics' capacity as a multiple of today's first appointments."
    )

    def _parameters(self) -> dict[str, float | bool]:
        values: dict[str, float | bool] = {}
        fields = [
            ("weeks", self.weeks, "Horizon (weeks)"),
            ("time_limit_seconds", self.time_limit, "Time limit (seconds)"),
            ("target_wait_weeks", self.target_wait, "Target wait (weeks)"),
            ("max_travel_minutes", self.max_travel, "Longest journey (minutes)"),
        ]
        if self.non_admitted:
            values["non_admitted"] = True
            fields.append(("clinic_factor", self.clinic_factor, "Clinic capacity"))
        for key, raw, label in fields:
            try:
                values[key] = float(raw)
            except (TypeError, ValueError):
                raise InvalidInputError(f"{label}: '{raw}' is not a number.") from None
        weeks = float(values["weeks"])
        values["weeks"] = int(weeks) if weeks.is_integer() else -1
        return values

    @rx.event
    async def run(self):
        """Asks the server to run the optimiser on the accepted scenario, then watches it."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            parameters = self._parameters()
            job_id = start_job(session.token, picker._scenario_id, "rebalance", parameters)
        except ServiceError as error:
            return refusal(error)
        self._started(job_id, f"Solving (time limit {parameters['time_limit_seconds']:g} s)…")
        await self._tell_the_room(
            session.token, picker._scenario_id, f"{session.user_name} started a rebalancing run"
        )
        return RebalanceState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follows the watched run until it ends, then shows the plan (reads only, checked)."""
        token, job = await self._wait_for_watched()
        if isinstance(job, ServiceError):
            yield refusal(job)
            return
        if job is None:
            return
        try:
            plan = PlanView()
            if job.status == "done":
                _, plan = await asyncio.to_thread(latest_plan, token, job.scenario_id)
        except ServiceError as error:
            yield refusal(error)
            return
        async with self:
            if self._job_id != job.id:
                return
            self.running = False
            self.status_text = f"Finished: {job.message}." if job.status == "done" else job.message
            if job.status == "done":
                self._fill(plan)
                room = await self.get_state(ScenarioRoom)
                if room.scenario_id == job.scenario_id:
                    room._refresh(
                        token,
                        job.scenario_id,
                        f"{job.requested_by_name} finished a rebalancing run "
                        f"({job.rebalance.status if job.rebalance else job.status}): "
                        f"{job.message}",
                    )

    @rx.event
    async def download_moves(self, fmt: str):
        """Downloads the newest plan at the who-moves-where grain as CSV or Excel."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            data, filename = await asyncio.to_thread(
                plan_moves_file, session.token, picker._scenario_id, fmt
            )
        except ServiceError as error:
            return refusal(error)
        return rx.download(data=data, filename=filename)

    @rx.event
    async def save_as_scenario(self, form: dict):
        """Saves the newest plan as a new draft scenario (a copy of the scenario, with the plan)."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            new_id = save_plan_as_scenario(
                session.token, picker._scenario_id, str(form.get("name", ""))
            )
        except ServiceError as error:
            return refusal(error)
        return rx.redirect(f"/scenarios/{new_id}")


@protected_page("/rebalance", "Rebalance", on_load=[RebalanceState.load])
def rebalance_page() -> rx.Component:
    """The rebalancing page."""
    can_run = SessionState.permissions.contains("run_rebalance")
    return page_shell(
        rx.heading("Rebalance elective activity", as_="h1", size="8"),
        rx.text(
            "The optimiser moves cohorts of longest waiters between trusts and hubs, week by "
            "week, so that no trust's patients wait much longer than another's, within "
            "theatre, bed, day-case and travel limits.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
        ),
        panel(
            rx.flex(
                scenario_select("rb-scenario", RebalanceState.choose_scenario),
                number_field(
                    "Horizon (weeks)", "rb-weeks", RebalanceState.weeks, RebalanceState.set_weeks
                ),
                number_field(
                    "Target wait (weeks)",
                    "rb-target",
                    RebalanceState.target_wait,
                    RebalanceState.set_target_wait,
                ),
                number_field(
                    "Longest journey (minutes)",
                    "rb-travel",
                    RebalanceState.max_travel,
                    RebalanceState.set_max_travel,
                ),
                number_field(
                    "Time limit (seconds)",
                    "rb-limit",
                    RebalanceState.time_limit,
                    RebalanceState.set_time_limit,
                ),
                gap="16px",
                wrap="wrap",
                align="end",
            ),
            # The options first, then the action that uses them.
            rx.box(stage_fields(RebalanceState), margin_top="12px"),
            rx.flex(
                rx.cond(
                    can_run,
                    button(
                        "Run the optimiser",
                        on_click=RebalanceState.run,
                        disabled=RebalanceState.running,
                    ),
                ),
                rx.cond(
                    RebalanceState.running & can_run,
                    button("Cancel run", kind="secondary", on_click=RebalanceState.cancel),
                ),
                gap="16px",
                wrap="wrap",
                align="end",
                margin_top="12px",
            ),
            job_progress(
                RebalanceState.status_text,
                RebalanceState.running,
                RebalanceState.progress,
                "Run progress",
            ),
        ),
        rx.cond(
            RebalanceState.compare.length() > 0,
            rx.fragment(
                panel(
                    rx.heading("What this plan covers", as_="h2", size="5"),
                    rx.text(RebalanceState.scope, margin_top="8px"),
                    margin_top="16px",
                ),
                moves_panel(RebalanceState),
                figures_table(
                    "Each trust: demand, its own capacity and the plan (a week)",
                    [
                        "Trust",
                        heading("plan_waiting_start"),
                        heading("plan_waiting_end"),
                        heading("plan_demand"),
                        heading("plan_own_capacity"),
                        heading("plan_treated"),
                        "Why its list grows or shrinks",
                    ],
                    RebalanceState.providers,
                    ["provider", "start", "end", "demand", "own", "treated", "why"],
                ),
                baseline_table(
                    RebalanceState.baseline_heading,
                    RebalanceState.baseline_message,
                    RebalanceState.baseline_rows,
                ),
                panel(
                    rx.heading(measure_label("pressure"), as_="h2", size="5"),
                    rx.text(RebalanceState.pressure_note, margin_y="8px"),
                    vega_chart(
                        RebalanceState.chart,
                        "Pressure (2 × mean wait ÷ target wait) of each list at the plan's "
                        "end, optimised plan and no collaboration",
                    ),
                    margin_top="16px",
                ),
                figures_table(
                    "Worst pressure per trust, start and end",
                    ["Trust", "Worst pressure at start", "Worst pressure at end"],
                    RebalanceState.providers,
                    ["provider", "p_start", "p_end"],
                ),
                figures_table(
                    "Optimised plan beside the baselines",
                    [
                        "Plan",
                        ("Worst pressure", heading("pressure")[1]),
                        "Worst list",
                        heading("plan_over_52_end"),
                        heading("patients_treated"),
                        heading("patients_moved"),
                    ],
                    RebalanceState.compare,
                    ["plan", "worst", "worst_list", "over52", "treated", "transfers"],
                ),
                figures_table(
                    measure_label("hub_use"),
                    [
                        "Site",
                        "Resource",
                        "Usual capacity a week (after the cap)",
                        "Mean use",
                        "Peak use",
                        "Weeks full",
                    ],
                    RebalanceState.hub_use,
                    ["site", "resource", "capacity", "mean", "peak", "full_weeks"],
                ),
                rx.box(
                    figures_table(
                        "Independent sector bought: cases and spend",
                        [
                            "Independent provider",
                            "Specialty",
                            "Cases over the plan",
                            "Price per case",
                            "Spend",
                        ],
                        RebalanceState.spend,
                        ["provider", "specialty", "cases", "price", "spend"],
                    ),
                    rx.text(
                        RebalanceState.spend_note,
                        color=theme.NHS_SECONDARY_TEXT,
                        margin_top="8px",
                    ),
                    id="independent-spend",
                ),
                figures_table(
                    "Patients moved, by trust and site",
                    ["From trust", "To site", "Patients"],
                    RebalanceState.flows,
                    ["provider", "hub", "patients"],
                ),
                first_appointments_panel(RebalanceState),
                figures_table(
                    "Limits that bind, and what one more unit is worth",
                    ["Limit", "Worst-pressure reduction per unit", "Long-wait reduction", "Unit"],
                    RebalanceState.limits,
                    ["message", "pressure", "long", "unit"],
                ),
                panel(
                    rx.el.details(
                        rx.el.summary(
                            "How this was solved",
                            font_weight="600",
                            font_size="18px",
                            cursor="pointer",
                        ),
                        rx.text(
                            "The optimiser solves linear programmes in order (lexicographic): "
                            "each level keeps the earlier levels' best values while it improves "
                            "its own. 'Best bound' is what no plan can beat; 'gap' is how far the "
                            "plan is from it.",
                            margin_top="8px",
                        ),
                        rx.text(RebalanceState.stats, color=theme.NHS_SECONDARY_TEXT),
                        figures_table(
                            "Objective levels (lexicographic)",
                            ["Level", "Minimises", "Objective", "Best bound", "Gap", "Status"],
                            RebalanceState.levels,
                            ["level", "name", "objective", "bound", "gap", "status"],
                        ),
                    ),
                    margin_top="16px",
                ),
                rx.cond(
                    can_run,
                    panel(
                        name_form(
                            "Save this plan as a new scenario",
                            "rb-save",
                            "Save plan",
                            RebalanceState.save_as_scenario,
                            placeholder="e.g. Rebalanced orthopaedics",
                        ),
                        margin_top="16px",
                    ),
                ),
            ),
        ),
    )
