"""Rebalance: which hub should treat which trust's patients, week by week, to equalise pressure.

The run is a background job (the page stays usable); its result is kept on the job record, so a
reload or a colleague sees the same plan. The plan can be saved as a new scenario.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pandas as pd
import reflex as rx

from ics_capacity.charts.rebalance import pressure_chart
from ics_capacity.services.auth import AuthError
from ics_capacity.services.jobs import latest_job, start_job, update_job
from ics_capacity.services.rebalance import rebalance_input, solve_instance
from ics_capacity.services.scenarios import ScenarioError, create_scenario, list_scenarios
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import button, field_label, figures_table, panel
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal, scenario_options
from solvers.rebalance.schema import RebalanceSettings

ERRORS = (AuthError, ScenarioError, ValueError, LookupError)


def _summarise(result: dict, names: dict[str, str]) -> dict:
    """Plain rows for the page from a RebalanceResult as JSON."""
    levels = [
        {
            "level": str(lv["level"]),
            "name": lv["description"] or lv["name"],
            "objective": _num(lv.get("objective")),
            "bound": _num(lv.get("bound")),
            "gap": "–" if lv.get("gap") is None else f"{lv['gap']:.2%}",
            "status": lv["status"],
        }
        for lv in result.get("levels", [])
    ]
    compare = []
    plans = [("Optimised plan", result.get("metrics"))] + [
        (b["name"].replace("_", " ").capitalize(), b["metrics"])
        for b in result.get("baselines", [])
    ]
    for name, m in plans:
        if m:
            compare.append(
                {
                    "plan": name,
                    "worst": f"{m['worst_pressure']:.2f}",
                    "worst_list": m["worst_queue"],
                    "over52": fmt.count(m["long_waiters_at_end"].get("52", 0)),
                    "treated": fmt.count(m["patients_treated"]),
                    "transfers": fmt.count(m["transfers"]),
                }
            )
    by_provider: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for q in result.get("queues", []):
        row = by_provider[q["provider"]]
        row[0] += q["waiting_at_start"]
        row[1] += q["waiting_at_end"]
        row[2] = max(row[2], q["pressure_at_start"])
        row[3] = max(row[3], q["pressure_at_end"])
    providers = [
        {
            "provider": names.get(p, p),
            "start": fmt.count(v[0]),
            "end": fmt.count(v[1]),
            "p_start": f"{v[2]:.2f}",
            "p_end": f"{v[3]:.2f}",
        }
        for p, v in sorted(by_provider.items())
    ]
    flows: dict[tuple[str, str], float] = defaultdict(float)
    for row in result.get("plan", []):
        if row.get("transfer"):
            flows[(row["provider"], row["hub"])] += row["patients"]
    flow_rows = [
        {"provider": names.get(p, p), "hub": h, "patients": fmt.count(n)}
        for (p, h), n in sorted(flows.items(), key=lambda kv: -kv[1])
        if n >= 0.5
    ]
    limits = [
        {
            "message": b["message"],
            "pressure": f"{b['worst_pressure_reduction_per_unit']:.4f}",
            "long": f"{b['long_wait_reduction_per_unit']:.2f}",
            "unit": b.get("unit", ""),
        }
        for b in result.get("binding_limits", [])[:25]
    ]
    stats = result.get("stats", {})
    return {
        "levels": levels,
        "compare": compare,
        "providers": providers,
        "flows": flow_rows,
        "limits": limits,
        "stats": f"Status {stats.get('status', '?')}; {stats.get('wall_seconds', 0):.1f} s "
        f"of a {stats.get('time_limit', stats.get('time_limit_seconds', 0))} s limit "
        f"on {stats.get('num_workers', '?')} workers; LP solver "
        f"{result.get('lp_algorithm', '')}.",
    }


def _num(value) -> str:  # noqa: ANN001
    return "–" if value is None else f"{value:,.3f}"


class RebalanceState(rx.State):
    """The chosen scenario, the run settings and the latest plan."""

    scenarios: list[dict[str, str]] = []
    scenario_id: str = ""
    weeks: str = "26"
    time_limit: str = "10"
    target_wait: str = "18"
    max_travel: str = "60"
    running: bool = False
    status_text: str = ""
    stats: str = ""
    levels: list[dict[str, str]] = []
    compare: list[dict[str, str]] = []
    providers: list[dict[str, str]] = []
    flows: list[dict[str, str]] = []
    limits: list[dict[str, str]] = []
    chart: dict = {}
    job_id: int = 0

    @rx.event
    async def load(self):
        """Lists the scenarios and shows the chosen one's latest plan."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        try:
            rows = list_scenarios(session.token, session.collaborative_id)
        except ERRORS as error:
            return refusal(error)
        self.scenarios, self.scenario_id = scenario_options(rows, self.scenario_id)
        refused = self._show_latest(session.token, session)
        if refused is not None or not self.scenario_id:
            return refused
        return ScenarioRoom.join_scenario(int(self.scenario_id))

    def _show_latest(self, token: str, session: SessionState):  # noqa: ANN202
        self.levels, self.compare, self.providers, self.flows, self.limits = [], [], [], [], []
        self.chart, self.stats, self.status_text = {}, "", ""
        if not self.scenario_id:
            return None
        try:
            job = latest_job(token, int(self.scenario_id), "rebalance")
        except ERRORS as error:
            return refusal(error)
        if job is None:
            return None
        self.job_id = job.id
        self.status_text = f"Latest run by {job.requested_by}: {job.status}. {job.message}"
        if job.result:
            self._fill(job.result, {})
        return None

    def _fill(self, result: dict, names: dict[str, str]) -> None:
        summary = _summarise(result, names)
        self.levels, self.compare = summary["levels"], summary["compare"]
        self.providers, self.flows = summary["providers"], summary["flows"]
        self.limits, self.stats = summary["limits"], summary["stats"]
        rows = []
        base = next(
            (b for b in result.get("baselines", []) if b["name"] == "no_collaboration"), None
        )
        for q in result.get("queues", []):
            rows.append(
                {
                    "list": f"{q['provider']} {q['tfc']}",
                    "plan": "Optimised plan",
                    "pressure": q["pressure_at_end"],
                }
            )
        for q in (base or {}).get("queues", []):
            rows.append(
                {
                    "list": f"{q['provider']} {q['tfc']}",
                    "plan": "No collaboration",
                    "pressure": q["pressure_at_end"],
                }
            )
        if rows:
            self.chart = pressure_chart(pd.DataFrame(rows)).to_dict()

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's latest plan."""
        self.scenario_id = scenario_id
        session = await self.get_state(SessionState)
        refused = self._show_latest(session.token, session)
        return refused or ScenarioRoom.join_scenario(int(scenario_id))

    @rx.event
    async def refresh_plan(self):
        """Shows the newest plan of the scenario (e.g. one a colleague has just finished)."""
        session = await self.get_state(SessionState)
        return self._show_latest(session.token, session)

    @rx.event
    def set_weeks(self, weeks: str):
        """Sets the horizon in weeks."""
        self.weeks = weeks

    @rx.event
    def set_target_wait(self, weeks: str):
        """Sets the target wait (weeks) that pressure is measured against."""
        self.target_wait = weeks

    @rx.event
    def set_max_travel(self, minutes: str):
        """Sets the longest journey (minutes) a patient is asked to make."""
        self.max_travel = minutes

    @rx.event
    def set_time_limit(self, seconds: str):
        """Sets the solver's time limit in seconds."""
        self.time_limit = seconds

    @rx.event
    async def run(self):
        """Starts a run (if the user may) and solves it in the background."""
        session = await self.get_state(SessionState)
        try:
            weeks, limit = int(self.weeks), float(self.time_limit)
            if not 1 <= weeks <= 104 or not 1 <= limit <= 600:
                raise ValueError("Horizon 1 to 104 weeks; time limit 1 to 600 seconds.")
            self.job_id = start_job(
                session.token,
                int(self.scenario_id),
                "rebalance",
                {"weeks": weeks, "time_limit_seconds": limit},
            )
        except ERRORS as error:
            return refusal(error)
        self.running = True
        self.status_text = f"Solving (time limit {limit:g} s)…"
        return RebalanceState.solve

    @rx.event(background=True)
    async def solve(self):
        """Runs the optimiser in a worker thread and records the result on the job."""
        async with self:
            job_id, scenario_id = self.job_id, int(self.scenario_id)
            weeks, limit = int(self.weeks), float(self.time_limit)
            settings = RebalanceSettings(
                horizon_weeks=weeks,
                target_wait_weeks=float(self.target_wait),
                max_travel_minutes=float(self.max_travel),
            )
            session = await self.get_state(SessionState)
            token, who = session.token, session.user_name
        update_job(job_id, status="running", progress=5, message="Solving")
        try:
            data = await asyncio.to_thread(
                rebalance_input, scenario_id, weeks=weeks, settings=settings
            )
            result = await asyncio.to_thread(
                solve_instance, data, time_limit_seconds=limit, num_workers=2
            )
            payload = result.model_dump(mode="json")
            update_job(
                job_id,
                status="done",
                progress=100,
                message=f"{result.stats.status} in {result.stats.wall_seconds:.1f} s",
                result=payload,
            )
        except Exception as error:  # noqa: BLE001 - the job records any failure for the user
            update_job(job_id, status="failed", message=str(error)[:400])
            async with self:
                self.running = False
                self.status_text = f"The run failed: {error}"
            return
        async with self:
            self.running = False
            self.status_text = (
                f"Finished: {result.stats.status} in {result.stats.wall_seconds:.1f} s."
            )
            self._fill(payload, {})
            # Everyone viewing this scenario hears about the new plan at once.
            worst = (
                f"; worst pressure {result.metrics.worst_pressure:.2f}" if result.metrics else ""
            )
            room = await self.get_state(ScenarioRoom)
            room.refresh(
                token,
                scenario_id,
                f"{who} finished a rebalancing run ({result.stats.status}){worst}",
            )

    @rx.event
    async def save_as_scenario(self, form: dict):
        """Saves the plan as a new draft scenario (a copy of the scenario, carrying the plan)."""
        session = await self.get_state(SessionState)
        try:
            job = latest_job(session.token, int(self.scenario_id), "rebalance")
            if job is None or job.result is None:
                raise ScenarioError("Run the optimiser first.")
            new_id = create_scenario(
                session.token,
                int(self.scenario_id),
                str(form.get("name", "")),
                description=f"Rebalancing plan of run {job.id}",
            )
            copy = start_job(session.token, new_id, "rebalance", job.parameters)
            update_job(
                copy,
                status="done",
                progress=100,
                message=f"Plan copied from run {job.id}",
                result=job.result,
            )
        except ERRORS as error:
            return refusal(error)
        return rx.redirect(f"/scenarios/{new_id}")


def _number_field(label: str, html_id: str, value, on_change) -> rx.Component:  # noqa: ANN001
    return rx.vstack(
        field_label(label, html_id),
        rx.el.input(
            id=html_id,
            value=value,
            on_change=on_change,
            width="90px",
            border=f"2px solid {theme.NHS_TEXT}",
            padding="6px",
        ),
        spacing="1",
    )


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
                rx.vstack(
                    field_label("Scenario", "rb-scenario"),
                    rx.el.select(
                        rx.foreach(
                            RebalanceState.scenarios,
                            lambda s: rx.el.option(s["name"], value=s["id"]),
                        ),
                        id="rb-scenario",
                        value=RebalanceState.scenario_id,
                        on_change=RebalanceState.choose_scenario,
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    field_label("Horizon (weeks)", "rb-weeks"),
                    rx.el.input(
                        id="rb-weeks",
                        value=RebalanceState.weeks,
                        on_change=RebalanceState.set_weeks,
                        width="90px",
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    spacing="1",
                ),
                _number_field(
                    "Target wait (weeks)",
                    "rb-target",
                    RebalanceState.target_wait,
                    RebalanceState.set_target_wait,
                ),
                _number_field(
                    "Longest journey (minutes)",
                    "rb-travel",
                    RebalanceState.max_travel,
                    RebalanceState.set_max_travel,
                ),
                rx.vstack(
                    field_label("Time limit (seconds)", "rb-limit"),
                    rx.el.input(
                        id="rb-limit",
                        value=RebalanceState.time_limit,
                        on_change=RebalanceState.set_time_limit,
                        width="90px",
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    spacing="1",
                ),
                rx.cond(
                    can_run,
                    button(
                        "Run the optimiser",
                        on_click=RebalanceState.run,
                        disabled=RebalanceState.running,
                    ),
                ),
                gap="16px",
                wrap="wrap",
                align="end",
            ),
            rx.cond(
                RebalanceState.status_text != "",
                rx.hstack(
                    rx.cond(RebalanceState.running, rx.spinner()),
                    rx.text(RebalanceState.status_text),
                    role="status",
                    margin_top="12px",
                    align="center",
                ),
            ),
        ),
        rx.cond(
            RebalanceState.compare.length() > 0,
            rx.fragment(
                rx.text(RebalanceState.stats, color=theme.NHS_SECONDARY_TEXT, margin_top="12px"),
                figures_table(
                    "Optimised plan beside the baselines",
                    [
                        "Plan",
                        "Worst pressure",
                        "Worst list",
                        "Over 52 weeks at end",
                        "Patients treated",
                        "Patients moved",
                    ],
                    RebalanceState.compare,
                    ["plan", "worst", "worst_list", "over52", "treated", "transfers"],
                ),
                figures_table(
                    "Objective levels (lexicographic)",
                    ["Level", "Minimises", "Objective", "Best bound", "Gap", "Status"],
                    RebalanceState.levels,
                    ["level", "name", "objective", "bound", "gap", "status"],
                ),
                panel(
                    vega_chart(RebalanceState.chart, "Pressure by list, plan and no plan"),
                    margin_top="16px",
                ),
                figures_table(
                    "Before and after, per trust",
                    [
                        "Trust",
                        "Waiting at start",
                        "Waiting at end",
                        "Worst pressure at start",
                        "Worst pressure at end",
                    ],
                    RebalanceState.providers,
                    ["provider", "start", "end", "p_start", "p_end"],
                ),
                figures_table(
                    "Patients moved to another site",
                    ["From trust", "To site", "Patients"],
                    RebalanceState.flows,
                    ["provider", "hub", "patients"],
                ),
                figures_table(
                    "Limits that bind, and what one more unit is worth",
                    ["Limit", "Worst-pressure reduction per unit", "Long-wait reduction", "Unit"],
                    RebalanceState.limits,
                    ["message", "pressure", "long", "unit"],
                ),
                rx.cond(
                    can_run,
                    panel(
                        rx.form(
                            rx.hstack(
                                rx.vstack(
                                    field_label("Save this plan as a new scenario", "rb-save"),
                                    rx.el.input(
                                        id="rb-save",
                                        name="name",
                                        required=True,
                                        placeholder="e.g. Rebalanced orthopaedics",
                                        width="320px",
                                        border=f"2px solid {theme.NHS_TEXT}",
                                        padding="6px",
                                    ),
                                    spacing="1",
                                ),
                                button("Save plan", type="submit"),
                                align="end",
                                spacing="3",
                            ),
                            on_submit=RebalanceState.save_as_scenario,
                        ),
                        margin_top="16px",
                    ),
                ),
            ),
        ),
    )
