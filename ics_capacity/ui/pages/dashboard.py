"""Executive dashboard: waiting list, long waits and utilisation, now and projected.

Week by week for up to two years, with and without the plan, with uncertainty bands, against the
national targets.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import reflex as rx

from ics_capacity.domain.measures import label, tooltip
from ics_capacity.services.board_pack import (
    COMMENTARY_MAX_CHARS,
    BoardPack,
    board_pack_file,
    build_board_pack,
    clean_commentary,
)
from ics_capacity.services.dashboard import (
    capacity_question,
    check_target,
    default_capacity_question,
    rag_date,
    scenario_projection,
    trust_charts,
)
from ics_capacity.services.errors import SERVICE_ERRORS, InvalidInputError
from ics_capacity.services.projections import (
    ScenarioProjection,
    comparison_removal_figures,
    dashboard_chart_specs,
    removal_figures,
)
from ics_capacity.services.targets import TargetReport, scenario_targets
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import heading, term
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import (
    button,
    field_label,
    figures_table,
    notice,
    panel,
    select_field,
    working,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.session import SessionState, refusal

HEADLINE: tuple[tuple[str, str, str], ...] = (
    # (measure now, measure at the horizon, projection column): labels from the catalogue
    ("waiting_list", "projected_waiting_list", "list_size"),
    ("within_18_weeks", "projected_within_18_weeks", "pct_within_18"),
    ("over_52_weeks", "projected_over_52_weeks", "over_52"),
    ("over_65_weeks", "projected_over_65_weeks", "over_65"),
    ("p92_wait", "projected_p92_wait", "p92_wait_weeks"),
)


def _headline(projection: ScenarioProjection, provider: int | None = None) -> list[dict[str, str]]:
    """The headline cards for the collaborative, or for one member trust (`provider`)."""
    if provider is None:
        total = projection.deterministic.frame("total")
    else:
        frame = projection.deterministic.frame("provider")
        total = frame[frame["provider"] == provider].sort_values("week")
    now, end = total.iloc[0], total.iloc[-1]
    weeks = int(end["week"])
    at = rag_date(projection.start_date, weeks) if projection.start_date else None
    shows = {
        "pct_within_18": lambda v: f"{v:.1f}%",
        "p92_wait_weeks": lambda v: f"{v:.0f} weeks",
    }
    items = []
    for now_key, then_key, column in HEADLINE:
        show = shows.get(column, fmt.count)
        change = end[column] - now[column]
        better = change > 0 if column == "pct_within_18" else change < 0
        items.append(
            {
                "label": label(now_key),
                "definition": f"Now: {tooltip(now_key)} Projected: {tooltip(then_key)}",
                "now": show(now[column]),
                "then": show(end[column]),
                "when": f"in {weeks} weeks" + (f" ({at:%d %b %Y})" if at else ""),
                "trend": "better" if better else ("same" if abs(change) < 1e-9 else "worse"),
            }
        )
    return items


def _removal(projection: ScenarioProjection, provider: int | None = None) -> dict[str, str]:
    """Who leaves the list over the projection: treated, and removed by validation, apart.

    With the comparison's figures ("without the plan") beside them, so a plan that shortens the
    list only by assuming more validation is seen as such. `compared_name` is "" without one.
    """
    figures = removal_figures(projection, provider)
    compared = comparison_removal_figures(projection, provider)
    without = {"compared_name": "", "compared": "", "compared_basis": "", "compared_more": ""}
    if compared is not None:
        other = projection.baseline_name or "the comparison"
        more = figures.removed_by_validation - compared.removed_by_validation
        without = {
            "compared_name": f"Without the plan ({other})",
            "compared": (
                f"treated {fmt.count(compared.treated)} · removed by validation, not treated "
                f"{fmt.count(compared.removed_by_validation)} "
                f"({compared.validation_share:.0%} of those leaving the list)"
            ),
            "compared_basis": compared.basis,
            "compared_more": (
                f"This scenario assumes {fmt.count(more)} more patients removed by validation "
                f"than {other}: that part of a shorter list is validation, not treatment."
                if more >= 0.5
                else ""
            ),
        }
    return {
        "treated_label": label("projected_treated"),
        "treated_definition": tooltip("projected_treated"),
        "treated": fmt.count(figures.treated),
        "validated_label": label("projected_removed_by_validation"),
        "validated_definition": tooltip("projected_removed_by_validation"),
        "validated": fmt.count(figures.removed_by_validation),
        "validated_share": f"{figures.validation_share:.0%}",
        "weeks": f"over {figures.weeks} weeks",
        "basis": figures.basis,
        **without,
    }


_CHARTS = (
    "fan_chart",
    "long_wait_chart",
    "plan_chart",
    "utilisation_chart",
    "bands_chart",
    "rag_chart",
    "beds_chart",
)


class DashboardState(rx.State):
    """The projection of the chosen scenario, as charts and figures."""

    horizon_weeks: str = "104"
    busy: bool = False
    projected_name: str = ""
    headline: list[dict[str, str]] = []
    removal: dict[str, str] = {}
    fan_chart: dict = {}
    long_wait_chart: dict = {}
    plan_chart: dict = {}
    utilisation_chart: dict = {}
    bands_chart: dict = {}
    rag_chart: dict = {}
    has_plan: bool = False
    capacity_rows: list[dict[str, str]] = []
    capacity_note: str = ""
    capacity_rag_note: str = ""
    capacity_target: str = "92"
    capacity_by: str = ""
    rag_note: str = ""
    rag_rows: list[dict[str, str]] = []
    target_rows: list[dict[str, str]] = []
    target_note: str = ""
    has_utilisation: bool = False
    beds_chart: dict = {}
    unit: str = ""
    unit_name: str = ""
    trusts: list[dict[str, str]] = []
    _request: int = 0
    _unit_wanted: str = ""

    @rx.event
    async def load(self):
        """Lists the scenarios and projects the chosen one, or the view a shared link names.

        A link `/dashboard?scenario=…&trust=…&horizon=…` opens that view; each part is checked
        like a choice made on the page (the scenario by the service, the trust against the
        projection's members), and a refused part is left out with a message.
        """
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        picker = await self.get_state(ScenarioPicker)
        query = self.router.url.query_parameters
        try:
            await picker._list()
            if query.get("scenario"):
                await picker._choose(str(query["scenario"]))
        except SERVICE_ERRORS as error:
            if not picker._scenario_id:
                self._clear()
            return [refusal(error), self._project()] if picker._scenario_id else refusal(error)
        if query.get("horizon") in HORIZONS:
            self.horizon_weeks = str(query["horizon"])
        self._unit_wanted = str(query.get("trust", "") or "")
        return self._project()

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Projects another scenario, once the server accepts the choice."""
        picker = await self.get_state(ScenarioPicker)
        try:
            await picker._choose(scenario_id)
        except SERVICE_ERRORS as error:
            return refusal(error)
        self._unit_wanted = ""
        return self._project()

    @rx.event
    async def show_plan_of_record(self):
        """Projects the collaborative's plan of record."""
        picker = await self.get_state(ScenarioPicker)
        if not picker.plan_of_record:
            return rx.toast.info("No scenario has been approved as the plan yet.")
        return await self.choose_scenario(picker.plan_of_record)

    @rx.event
    def choose_horizon(self, weeks: str):
        """Changes the horizon (weeks) and projects again."""
        if weeks not in HORIZONS:
            return refusal(
                InvalidInputError(f"Horizon: choose one of {', '.join(HORIZONS)} weeks.")
            )
        self.horizon_weeks = weeks
        return self._project()

    def _project(self):  # noqa: ANN202
        """Starts a projection for the current selection; only the latest selection is shown."""
        self._request += 1
        return DashboardState.run_projection

    def _clear(self) -> None:
        self.projected_name, self.headline, self.trusts, self.unit = "", [], [], ""
        self.removal = {}
        self.capacity_rows, self.capacity_note, self.has_plan = [], "", False
        self.capacity_rag_note, self.rag_note, self.rag_rows = "", "", []
        self.target_rows, self.target_note = [], ""
        self._show({name: {} for name in _CHARTS})

    @rx.event(background=True)
    async def run_projection(self):
        """Projects in a worker thread, so the page stays usable while it runs."""
        async with self:
            picker = await self.get_state(ScenarioPicker)
            session = await self.get_state(SessionState)
            token, scenario_id, request = session.token, picker._scenario_id, self._request
            raw_horizon, unit = self.horizon_weeks, self._unit_wanted
            if not scenario_id:
                return
            self.busy = True
        refused = None
        try:
            horizon = _horizon(raw_horizon)
            projection = await asyncio.to_thread(scenario_projection, token, scenario_id, horizon)
            targets = await asyncio.to_thread(scenario_targets, token, scenario_id, projection)
            try:
                specs = await asyncio.to_thread(trust_charts, token, scenario_id, horizon, unit)
            except InvalidInputError as error:  # a trust not of this collaborative: show all
                refused, unit = error, ""
                specs = await asyncio.to_thread(dashboard_chart_specs, projection)
        except SERVICE_ERRORS as error:
            async with self:
                if request == self._request:
                    self.busy = False
            yield refusal(error)
            return
        async with self:
            if request != self._request:  # a newer selection is being projected
                return
            self.busy = False
            provider = int(unit) if unit else None
            self.projected_name = projection.scenario_name
            self.headline = _headline(projection, provider)
            self.removal = _removal(projection, provider)
            self.capacity_target, self.capacity_by = default_capacity_question(projection)
            self.rag_note = _rag_note(projection)
            self.rag_rows = _rag_rows(projection)
            self.target_rows, self.target_note = _target_rows(targets), _target_note(targets)
            self.has_plan = projection.baseline is not None
            self.trusts = [
                {"id": str(k), "name": v}
                for k, v in sorted(projection.names.items(), key=lambda kv: kv[1])
            ]
            self.unit, self._unit_wanted = unit, unit
            self.unit_name = projection.names.get(provider, "") if provider else ""
            self._show(specs)
            link = _share_link(scenario_id, unit, horizon)
        yield rx.call_script(f"window.history.replaceState(null, '', {json.dumps(link)})")
        if refused is not None:
            yield refusal(refused)

    def _show(self, specs: dict[str, dict]) -> None:
        for name, spec in specs.items():
            setattr(self, name, spec)
        self.has_utilisation = bool(specs.get("utilisation_chart"))

    @rx.event
    def choose_unit(self, unit: str):
        """Shows the figures and charts of the collaborative ('') or of one member trust.

        The trust is checked against the projection's members by the service before anything
        is shown; the latest choice wins, as with the scenario and horizon.
        """
        self._unit_wanted = str(unit)[:20]
        return self._project()

    @rx.event
    async def check_target(self, form: dict):
        """Adds a target the member sets (kind, figure, long wait, date) to the table."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            report = await asyncio.to_thread(
                check_target,
                session.token,
                picker._scenario_id,
                _horizon(self.horizon_weeks),
                kind=str(form.get("kind", ""))[:40],
                value=str(form.get("value", ""))[:20],
                over_weeks=str(form.get("over", ""))[:10],
                due=str(form.get("due", ""))[:20],
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        self.target_rows, self.target_note = _target_rows(report), _target_note(report)
        return None

    @rx.event
    async def ask_capacity(self, form: dict):
        """Answers: how much more treatment a week reaches this 18-week share by this date?"""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            answer = await asyncio.to_thread(
                capacity_question,
                session.token,
                picker._scenario_id,
                _horizon(self.horizon_weeks),
                str(form.get("target", self.capacity_target)),
                str(form.get("by", "")),
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        self.capacity_rows = [
            {
                "trust": row.trust,
                "now": fmt.count(row.now),
                "needed": fmt.count(row.needed),
                "extra": fmt.count(row.short),
                "spare": fmt.count(row.spare),
                "projected": fmt.NOT_AVAILABLE
                if row.projected_percent is None
                else f"{row.projected_percent:.1f}%",
                "status": row.status,
            }
            for row in answer.rows
        ]
        self.capacity_note = (
            f"Treatments a week each trust needs so that {answer.target_percent:.0f}% of its "
            f"patients wait 18 weeks or less by {answer.by_date:%d %B %Y} (week "
            f"{answer.by_week} after the data of {answer.data_date:%d %B %Y}), treating longest "
            "waiters first; demand as now; treatment now is the scenario's own projection, the one "
            "the RAG rates. Each specialty's list must reach the target with its own "
            "treatment: a trust can need fewer treatments in all and still miss the target when "
            "its spare capacity is in other specialties."
        )
        self.capacity_rag_note = answer.rag_note
        return None


class BoardPackState(rx.State):
    """The board pack of the Dashboard's scenario: commentary, generation with progress, files."""

    busy: bool = False
    step: str = ""
    ready: bool = False
    scenario_name: str = ""
    file_stem: str = ""
    _commentary: str = ""
    _pack: BoardPack | None = None

    @rx.event
    async def generate(self, form: dict):
        """Checks the commentary, then builds the pack in the background."""
        try:
            self._commentary = clean_commentary(form.get("commentary", ""))
        except SERVICE_ERRORS as error:
            return refusal(error)
        if self.busy:
            return rx.toast.info("The board pack is already being made.")
        self.busy, self.ready, self.step, self._pack = True, False, "Starting", None
        return BoardPackState.build

    @rx.event(background=True)
    async def build(self):
        """Builds the PDF and HTML in a worker thread, publishing each step as it starts."""
        async with self:
            session = await self.get_state(SessionState)
            picker = await self.get_state(ScenarioPicker)
            dashboard = await self.get_state(DashboardState)
            token, scenario_id = session.token, picker._scenario_id
            raw_horizon, commentary = dashboard.horizon_weeks, self._commentary
            if not scenario_id:
                self.busy, self.step = False, ""
                return
            self.busy, self.ready, self.step = True, False, "Starting"
        loop = asyncio.get_running_loop()
        steps: asyncio.Queue[str] = asyncio.Queue()

        def progress(step: str) -> None:
            loop.call_soon_threadsafe(steps.put_nowait, step)

        try:
            horizon = _horizon(raw_horizon)
            task = asyncio.ensure_future(
                asyncio.to_thread(
                    build_board_pack, token, scenario_id, horizon, commentary, progress
                )
            )
            while not task.done():
                step = asyncio.ensure_future(steps.get())
                await asyncio.wait({task, step}, return_when=asyncio.FIRST_COMPLETED)
                if step.done():
                    async with self:
                        self.step = step.result()
                else:
                    step.cancel()
            pack = task.result()
        except SERVICE_ERRORS as error:
            async with self:
                self.busy, self.step = False, ""
            yield refusal(error)
            return
        async with self:
            self._pack = pack
            self.busy, self.ready, self.step = False, True, ""
            self.file_stem = pack.file_stem
            self.scenario_name = pack.scenario_name

    @rx.event
    async def download(self, file_format: str):
        """Downloads the generated pack as PDF or HTML; the download is audited."""
        session = await self.get_state(SessionState)
        if self._pack is None:
            return rx.toast.info("Generate the board pack first.")
        try:
            name, data = await asyncio.to_thread(
                board_pack_file, session.token, self._pack, str(file_format)
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        return rx.download(data=data, filename=name)


def _rag_rows(projection: ScenarioProjection) -> list[dict[str, str]]:
    """The RAG as rows of text (trust, target, status, projected share) for narrow screens."""
    rated = projection.rag[projection.rag["status"] != "Not projected"]
    return [
        {
            "trust": str(row["provider"]),
            "target": str(row["target"]),
            "status": str(row["status"]),
            "value": f"{row['value']:.1f}%",
        }
        for _, row in rated.iterrows()
    ]


def _rag_note(projection: ScenarioProjection) -> str:
    rated = projection.rag.dropna(subset=["week"])
    if rated.empty or projection.start_date is None:
        return ""
    parts = []
    for target, week in rated.groupby("target", sort=False)["week"].first().items():
        parts.append(f"{target}: {rag_date(projection.start_date, int(week)):%d %B %Y}")
    return (
        "Rated on the projection of all pathways of the member trusts, each target at its "
        "date (" + "; ".join(parts) + "). Targets due before the data are not projected."
    )


def _target_value(kind: str, value: float | None) -> str:
    if value is None:
        return fmt.NOT_AVAILABLE
    return f"{value:.1f}%" if kind == "min_within_18" else fmt.count(value)


TIMING = "timing"
"""Shown for a missed target that the scenario's average treatment a week would meet."""

_TARGET_KEYS = (
    "trust",
    "target",
    "with_plan",
    "without_plan",
    "status",
    "shortfall",
    "treatments",
    "sessions",
)


def _target_rows(report: TargetReport) -> list[dict[str, str]]:
    """Each trust against each dated target, as text."""
    rows = []
    for r in report.rows:
        if r.shortfall is None:
            short = fmt.NOT_AVAILABLE
        elif r.unit == "patients":
            short = fmt.count(r.shortfall)
        else:
            short = f"{r.shortfall:.1f} points"
        rows.append(
            {
                "trust": r.trust,
                "target": r.target,
                "with_plan": _target_value(r.kind, r.with_plan),
                "without_plan": _target_value(r.kind, r.without_plan),
                "status": r.status,
                "shortfall": short,
                "treatments": fmt.NOT_AVAILABLE
                if r.extra_treatments_per_week is None
                else f"0 ({TIMING})"
                if r.extra_treatments_per_week < 0.5
                else fmt.count(r.extra_treatments_per_week),
                "sessions": fmt.NOT_AVAILABLE
                if r.extra_sessions_per_week is None
                else fmt.decimal(r.extra_sessions_per_week),
            }
        )
    return rows


def _target_note(report: TargetReport) -> str:
    missed = sorted({r.trust for r in report.rows if r.met is False})
    late = sorted({r.target for r in report.rows if r.met is None})
    comparison = (
        f"'Without the plan' is {report.comparison[0].lower()}{report.comparison[1:]}."
        if report.comparison
        else "This is the baseline: there is no plan to compare it with."
    )
    parts = [
        f"{len(missed)} of {len({r.trust for r in report.rows})} trusts miss at least one target."
        if missed
        else "Every trust meets every target projected.",
        comparison,
    ]
    if any(r.met is False and (r.extra_treatments_per_week or 0) < 0.5 for r in report.rows):
        parts.append(
            f"'0 ({TIMING})': with the scenario's own treatment held at its average a week up "
            "to the date the trust meets the target, so the miss comes from when treatment "
            "falls (the calendar's short weeks), not how much."
        )
    if late:
        parts.append(
            f"Beyond this {report.horizon_weeks}-week horizon or before the data, so not "
            f"projected: {'; '.join(late)}."
        )
    parts.append(report.caveat)
    return " ".join(parts)


HORIZONS = ("52", "104")


def _share_link(scenario_id: int, unit: str, horizon: int) -> str:
    """The dashboard's address for this view, to bookmark or send to a colleague."""
    query = {"scenario": scenario_id, "horizon": horizon} | ({"trust": unit} if unit else {})
    return "/dashboard?" + urllib.parse.urlencode(query)


def _horizon(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInputError(f"Horizon: '{raw}' is not a number of weeks.") from None


def _headline_card(item: dict) -> rx.Component:
    colour = rx.match(
        item["trend"],
        ("better", theme.NHS_GREEN),
        ("worse", theme.NHS_RED),
        theme.NHS_SECONDARY_TEXT,
    )
    return rx.box(
        rx.text(
            term(item["label"], item["definition"]),
            size="2",
            font_weight="600",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.text(item["then"], font_size="28px", font_weight="700", line_height="1.2"),
        rx.text("projected ", item["when"], size="2", color=theme.NHS_SECONDARY_TEXT),
        rx.text(
            "now ", item["now"], " · ", item["trend"], size="2", color=colour, font_weight="600"
        ),
        background_color=theme.NHS_WHITE,
        border_top=f"4px solid {theme.NHS_BLUE}",
        padding="16px",
        role="group",
        aria_label=item["label"],
    )


_RAG_TEXT = {"Green": theme.NHS_GREEN, "Red": theme.NHS_RED, "Amber": theme.NHS_TEXT}


def _removal_panel() -> rx.Component:
    """Treated and removed by validation side by side, never added together."""
    removal = DashboardState.removal

    def figure(key: str, extra: rx.Component | str = "") -> rx.Component:
        return rx.box(
            rx.text(
                term(removal[f"{key}_label"], removal[f"{key}_definition"]),
                size="2",
                font_weight="600",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            rx.text(removal[key], font_size="28px", font_weight="700", line_height="1.2"),
            rx.text(removal["weeks"], extra, size="2", color=theme.NHS_SECONDARY_TEXT),
            role="group",
            aria_label=removal[f"{key}_label"],
        )

    return rx.box(
        rx.heading("Leaving the list: treatment and validation", as_="h2", size="4"),
        rx.grid(
            figure("treated"),
            figure(
                "validated",
                rx.fragment(" · ", removal["validated_share"], " of those leaving the list"),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            margin_y="8px",
        ),
        rx.text(
            "Validation removes patients who no longer need treatment; it uses no theatre, bed "
            "or clinic capacity and is not counted as treatment. ",
            removal["basis"],
            " Set the share per specialty on the scenario page.",
            size="2",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.cond(
            removal["compared_name"] != "",
            rx.box(
                rx.text(
                    rx.text.strong(removal["compared_name"], ": "),
                    removal["compared"],
                    size="2",
                ),
                rx.text(removal["compared_basis"], size="2", color=theme.NHS_SECONDARY_TEXT),
                rx.cond(
                    removal["compared_more"] != "",
                    rx.text(removal["compared_more"], size="2", font_weight="600"),
                ),
                border_top=f"1px solid {theme.NHS_BORDER}",
                padding_top="8px",
                margin_top="8px",
                id="validation-compared",
            ),
        ),
        background_color=theme.NHS_WHITE,
        border_top=f"4px solid {theme.NHS_BLUE}",
        padding="16px",
        margin_top="16px",
        id="validation-apart",
    )


def _rag_list() -> rx.Component:
    """The RAG as a list that wraps on a phone, where the chart's grid cannot fit 390 px."""
    return rx.box(
        rx.heading(label("rag_status"), as_="h2", size="4"),
        rx.el.ul(
            rx.foreach(
                DashboardState.rag_rows,
                lambda r: rx.el.li(
                    rx.text.strong(r["trust"]),
                    rx.text(
                        r["target"],
                        ": ",
                        rx.el.span(
                            r["status"],
                            font_weight="700",
                            color=rx.match(r["status"], *_RAG_TEXT.items(), theme.NHS_TEXT),
                        ),
                        ", ",
                        r["value"],
                    ),
                    border_left=rx.match(
                        r["status"],
                        ("Green", f"6px solid {theme.NHS_GREEN}"),
                        ("Amber", "6px solid #FFB81C"),
                        f"6px solid {theme.NHS_RED}",
                    ),
                    padding="4px 8px",
                    margin_bottom="6px",
                    list_style="none",
                ),
            ),
            padding="0",
            margin="8px 0 0",
        ),
        class_name="narrow-only",
        id="rag-list",
    )


def _chart_panel(spec, label: str) -> rx.Component:  # noqa: ANN001
    return panel(vega_chart(spec, label))


def _capacity_question() -> rx.Component:
    return panel(
        rx.heading("What capacity do we need?", as_="h2", size="5"),
        rx.form(
            rx.hstack(
                rx.vstack(
                    field_label("Share within 18 weeks (%)", "cap-target"),
                    rx.el.input(
                        id="cap-target",
                        name="target",
                        default_value=DashboardState.capacity_target,
                        width="100px",
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    field_label("By", "cap-by"),
                    rx.el.input(
                        id="cap-by",
                        name="by",
                        type="date",
                        default_value=DashboardState.capacity_by,
                        border=f"2px solid {theme.NHS_TEXT}",
                        padding="6px",
                    ),
                    spacing="1",
                ),
                button("Work it out", type="submit"),
                align="end",
                spacing="4",
                wrap="wrap",
            ),
            on_submit=DashboardState.ask_capacity,
        ),
        rx.cond(
            DashboardState.capacity_rows.length() > 0,
            rx.box(
                rx.text(DashboardState.capacity_note, margin_top="12px"),
                rx.text(
                    DashboardState.capacity_rag_note,
                    color=theme.NHS_SECONDARY_TEXT,
                    margin_bottom="12px",
                ),
                rx.el.table(
                    rx.el.caption("Treatments a week needed", text_align="left", font_weight="600"),
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(
                                    h,
                                    scope="col",
                                    text_align="left" if i == 0 else "right",
                                    padding="6px 8px",
                                )
                                for i, h in enumerate(
                                    (
                                        "Trust",
                                        term(*heading("treatments_now")),
                                        term(*heading("treatments_needed")),
                                        "Extra in specialties short of it",
                                        "Spare in the others",
                                        term(*heading("projected_within_18_weeks")),
                                        "Status",
                                    )
                                )
                            ],
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            DashboardState.capacity_rows,
                            lambda r: rx.el.tr(
                                rx.el.th(
                                    r["trust"], scope="row", text_align="left", padding="6px 8px"
                                ),
                                rx.el.td(r["now"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["needed"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["extra"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["spare"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["projected"], text_align="right", padding="6px 8px"),
                                rx.el.td(r["status"], text_align="right", padding="6px 8px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                    class_name="figures",
                ),
            ),
        ),
        margin_top="16px",
    )


def _target_form() -> rx.Component:
    """Another dated target to check beside the defaults: what, how many, which wait, by when."""

    def field(text: str, html_id: str, control: rx.Component) -> rx.Component:
        return rx.vstack(field_label(text, html_id), control, spacing="1")

    boxed = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px"}
    return rx.form(
        rx.hstack(
            field(
                "Kind of target",
                "target-kind",
                rx.el.select(
                    rx.el.option("At most this many long waiters", value="max_long_waiters"),
                    rx.el.option("At least this share within 18 weeks", value="min_within_18"),
                    id="target-kind",
                    name="kind",
                    **boxed,
                ),
            ),
            field(
                "Patients, or %",
                "target-value",
                rx.el.input(
                    id="target-value", name="value", default_value="0", width="90px", **boxed
                ),
            ),
            field(
                "Waiting over (weeks)",
                "target-over",
                rx.el.select(
                    *[rx.el.option(w, value=w) for w in ("52", "65", "78", "104")],
                    id="target-over",
                    name="over",
                    default_value="52",
                    **boxed,
                ),
            ),
            field(
                "Target date",
                "target-due",
                rx.el.input(id="target-due", name="due", type="date", **boxed),
            ),
            button("Check this target", type="submit"),
            align="end",
            spacing="4",
            wrap="wrap",
            margin_top="12px",
        ),
        on_submit=DashboardState.check_target,
        class_name="no-print",
    )


def _targets_panel() -> rx.Component:
    """Each trust against the dated targets, with the shortfall and what would close it."""
    return rx.box(
        panel(
            rx.heading("Targets by date", as_="h2", size="5"),
            rx.text(DashboardState.target_note, color=theme.NHS_SECONDARY_TEXT, size="2"),
            _target_form(),
        ),
        figures_table(
            "Each member trust against the dated targets (modelled)",
            [
                "Trust",
                "Target",
                heading("target_projected"),
                "Without the plan",
                "Status",
                heading("target_shortfall"),
                heading("target_extra_treatments"),
                heading("target_extra_sessions"),
            ],
            DashboardState.target_rows,
            list(_TARGET_KEYS),
        ),
        margin_top="16px",
        id="dated-targets",
    )


def _plan_of_record_note() -> rx.Component:
    """Says whether the scenario shown is the collaborative's plan of record."""
    return rx.cond(
        ScenarioPicker.plan_of_record == "",
        notice(
            "No plan approved yet: approving a scenario on the Scenarios page makes it the "
            "collaborative's plan of record, and the Dashboard then opens on it.",
            id="plan-of-record",
        ),
        rx.cond(
            ScenarioPicker.chosen == ScenarioPicker.plan_of_record,
            notice(
                "This is the collaborative's plan of record (the scenario last approved).",
                tone="success",
                id="plan-of-record",
            ),
            notice(
                rx.hstack(
                    rx.text(
                        "This is not the plan of record. The collaborative's plan is '",
                        ScenarioPicker.plan_of_record_name,
                        "'.",
                    ),
                    button(
                        "Show the plan",
                        kind="secondary",
                        on_click=DashboardState.show_plan_of_record,
                    ),
                    align="center",
                    wrap="wrap",
                    spacing="3",
                ),
                id="plan-of-record",
            ),
        ),
    )


def _board_pack_panel() -> rx.Component:
    """Commentary for the board, then the pack as an A4 PDF and as HTML."""
    return panel(
        rx.heading("Board pack", as_="h2", size="5", id="board-pack"),
        rx.text(
            "An A4 PDF (and the same pages as HTML) of this scenario against the projection it "
            "is compared with: your commentary, the key figures, the RAG, the charts, the method "
            "and the assumptions with their sources.",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.form(
            rx.vstack(
                field_label("Commentary for the board", "pack-commentary"),
                rx.text(
                    f"Plain text, up to {COMMENTARY_MAX_CHARS:,} characters; printed on the "
                    "first page.",
                    size="2",
                    color=theme.NHS_SECONDARY_TEXT,
                    id="pack-commentary-hint",
                ),
                rx.el.textarea(
                    id="pack-commentary",
                    name="commentary",
                    rows=5,
                    max_length=COMMENTARY_MAX_CHARS,
                    aria_describedby="pack-commentary-hint",
                    width="100%",
                    border=f"2px solid {theme.NHS_TEXT}",
                    padding="6px",
                ),
                rx.hstack(
                    button("Generate the board pack", type="submit", disabled=BoardPackState.busy),
                    working(BoardPackState.busy, BoardPackState.step + "…"),
                    align="center",
                    wrap="wrap",
                    spacing="4",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=BoardPackState.generate,
        ),
        rx.cond(
            BoardPackState.ready,
            rx.hstack(
                rx.text("Board pack of ", rx.text.strong(BoardPackState.scenario_name), " ready:"),
                button(
                    "Download the board pack (PDF)",
                    kind="secondary",
                    on_click=BoardPackState.download("pdf"),
                ),
                button(
                    "Download the board pack (HTML)",
                    kind="secondary",
                    on_click=BoardPackState.download("html"),
                ),
                align="center",
                wrap="wrap",
                spacing="3",
                margin_top="12px",
                role="status",
            ),
        ),
        margin_top="16px",
        class_name="no-print",
    )


@protected_page("/dashboard", "Dashboard", on_load=[DashboardState.load])
def dashboard_page() -> rx.Component:
    """The executive dashboard."""
    return page_shell(
        rx.hstack(
            rx.heading("Dashboard", as_="h1", size="8"),
            rx.spacer(),
            rx.el.a(
                "Board pack",
                href="#board-pack",
                font_weight="600",
                color=theme.NHS_BLUE,
                text_decoration="underline",
                class_name="no-print",
            ),
            align="center",
            width="100%",
        ),
        rx.hstack(
            select_field(
                "Scenario",
                "dash-scenario",
                rx.foreach(
                    ScenarioPicker.options, lambda s: rx.el.option(s["name"], value=s["id"])
                ),
                ScenarioPicker.chosen,
                DashboardState.choose_scenario,
            ),
            select_field(
                "Horizon",
                "dash-horizon",
                [rx.el.option(f"{w} weeks", value=w) for w in HORIZONS],
                DashboardState.horizon_weeks,
                DashboardState.choose_horizon,
            ),
            select_field(
                "Show",
                "dash-unit",
                [
                    rx.el.option("The whole collaborative", value=""),
                    rx.foreach(
                        DashboardState.trusts, lambda t: rx.el.option(t["name"], value=t["id"])
                    ),
                ],
                DashboardState.unit,
                DashboardState.choose_unit,
            ),
            working(DashboardState.busy, "Projecting…"),
            align="end",
            wrap="wrap",  # on a phone the "Show" selector goes to the next line, not off-screen
            spacing="4",
            margin_y="12px",
            class_name="no-print",
        ),
        _plan_of_record_note(),
        rx.cond(
            DashboardState.headline.length() > 0,
            rx.fragment(
                rx.text(
                    "Projection of ",
                    rx.text.strong(DashboardState.projected_name),
                    rx.cond(
                        DashboardState.unit_name != "",
                        rx.fragment(" for ", rx.text.strong(DashboardState.unit_name)),
                        ": member trusts",
                    ),
                    ", treating longest waiters first at the scenario's activity; "
                    "bands from 200 seeded simulations of demand and capacity.",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                rx.grid(
                    rx.foreach(DashboardState.headline, _headline_card),
                    columns=rx.breakpoints(initial="2", md="3", lg="5"),
                    spacing="4",
                    margin_top="16px",
                ),
                _removal_panel(),
                rx.grid(
                    _chart_panel(DashboardState.fan_chart, "Projected waiting list"),
                    _chart_panel(DashboardState.long_wait_chart, "Projected long waits"),
                    rx.cond(
                        DashboardState.has_plan,
                        _chart_panel(
                            DashboardState.plan_chart, "Waiting list with and without the plan"
                        ),
                    ),
                    _chart_panel(DashboardState.bands_chart, "Wait-band distribution"),
                    panel(
                        rx.box(
                            vega_chart(DashboardState.rag_chart, label("rag_status")),
                            class_name="wide-only",
                        ),
                        _rag_list(),
                        rx.text(
                            DashboardState.rag_note,
                            size="2",
                            color=theme.NHS_SECONDARY_TEXT,
                            margin_top="8px",
                        ),
                    ),
                    rx.cond(
                        DashboardState.has_utilisation,
                        _chart_panel(
                            DashboardState.utilisation_chart, label("theatre_utilisation")
                        ),
                    ),
                    rx.cond(
                        DashboardState.has_utilisation,
                        _chart_panel(DashboardState.beds_chart, label("bed_occupancy")),
                    ),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                _targets_panel(),
                _capacity_question(),
                _board_pack_panel(),
            ),
        ),
    )
