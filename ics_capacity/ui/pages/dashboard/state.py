"""The Dashboard's state: the projection of the chosen scenario, and its board pack.

Every handler calls the services only (`services/dashboard.py`, `services/targets.py`,
`services/board_pack.py`); the scenario it acts on is the picker's backend var.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import reflex as rx
from reflex.event import EventSpec

from ics_capacity.services.board_pack import (
    KeptPack,
    board_pack_answer,
    board_pack_file,
    clean_commentary,
    keep_board_pack,
)
from ics_capacity.services.content_cache import ContentCache
from ics_capacity.services.dashboard import DashboardPage, dashboard_page, kept_dashboard_page
from ics_capacity.services.dashboard_questions import capacity_answer, target_answer
from ics_capacity.services.errors import SERVICE_ERRORS, InvalidInputError
from ics_capacity.ui.pages.dashboard import view
from ics_capacity.ui.pages.dashboard.view import HORIZONS
from ics_capacity.ui.state.changes import assign_changed
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.session import SessionState, refusal
from ics_capacity.ui.state.worker_answer import worker_answer

# The vars each page gives, built once per content key and trust in this process: building them
# reads the projection's tables with pandas (15-35 ms), and a trust switch, the Dashboard's most
# frequent event, is answered on the event loop.
_PAGE_VARS: ContentCache[dict[str, object]] = ContentCache(size=64)


def _page_vars(page: DashboardPage) -> dict[str, object]:
    """`view.page_vars` of a page, from this process's cache when its key was shown before."""

    def build() -> dict[str, object]:
        return view.page_vars(page.projection, page.targets, page.charts, page.unit)

    return _PAGE_VARS.get((*page.key, page.unit), build) if page.key else build()


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
            if not picker._scenario_id:
                return refusal(error)
            return [refusal(error), *await self._answer()]
        if query.get("horizon") in HORIZONS:
            self.horizon_weeks = str(query["horizon"])
        self._unit_wanted = str(query.get("trust", "") or "")
        return await self._answer()

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Projects another scenario, once the server accepts the choice."""
        picker = await self.get_state(ScenarioPicker)
        try:
            await picker._choose(scenario_id)
        except SERVICE_ERRORS as error:
            return refusal(error)
        self._unit_wanted = ""
        return await self._answer()

    @rx.event
    async def show_plan_of_record(self):
        """Projects the collaborative's plan of record."""
        picker = await self.get_state(ScenarioPicker)
        if not picker.plan_of_record:
            return rx.toast.info("No scenario has been approved as the plan yet.")
        return await self.choose_scenario(picker.plan_of_record)

    @rx.event
    async def choose_horizon(self, weeks: str):
        """Changes the horizon (weeks) and projects again."""
        if weeks not in HORIZONS:
            return refusal(
                InvalidInputError(f"Horizon: choose one of {', '.join(HORIZONS)} weeks.")
            )
        self.horizon_weeks = weeks
        return await self._answer()

    async def _answer(self) -> list:
        """Shows the current choice (scenario, horizon, trust), or starts projecting it.

        Where this process keeps the page (`kept_dashboard_page`: a trust switch, a view another
        tab opened) it is shown within this event, with one load of the tab's state; otherwise it
        is projected, or waited for, in the background. The latest choice wins either way.
        """
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        scenario_id = picker._scenario_id
        if not scenario_id:
            return []
        try:
            horizon = view.weeks_of(self.horizon_weeks)
            page = await asyncio.to_thread(
                kept_dashboard_page, session.token, scenario_id, horizon, self._unit_wanted
            )
        except SERVICE_ERRORS as error:
            return [refusal(error)]
        if page is None:
            return [self._project()]
        self._request += 1  # a projection under way for an earlier choice is not shown
        shown = _page_vars(page)
        return self._show_page(page, shown, scenario_id, horizon)

    def _project(self):
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
        """Projects off the event loop, so the page stays usable while it runs.

        With a job queue a solver worker projects and this waits for its view without holding a
        thread (`dashboard_page`, polled by `worker_answer`); without one, the projection runs in a
        thread here.
        """
        async with self:
            picker = await self.get_state(ScenarioPicker)
            session = await self.get_state(SessionState)
            token, scenario_id, request = session.token, picker._scenario_id, self._request
            raw_horizon, unit = self.horizon_weeks, self._unit_wanted
            if not scenario_id:
                return
            self.busy = True
        try:
            horizon = view.weeks_of(raw_horizon)
            page = await worker_answer(dashboard_page, token, scenario_id, horizon, unit)
        except SERVICE_ERRORS as error:
            async with self:
                if request == self._request:
                    self.busy = False
            yield refusal(error)
            return
        # Built outside the lock.
        shown = _page_vars(page)
        async with self:
            if request != self._request:  # a newer selection is being projected
                return
            events = self._show_page(page, shown, scenario_id, horizon)
        for event in events:
            yield event

    def _show_page(
        self, page: DashboardPage, shown: dict, scenario_id: int, horizon: int
    ) -> list[EventSpec]:
        """Shows the page; the events that follow (the shared link, a refused trust).

        Only what differs from the page's current view is assigned, so a trust switch sends its
        charts and figures, not the unchanged tables.
        """
        self.busy = False
        self._unit_wanted = page.unit
        assign_changed(self, shown)
        link = view.share_link(scenario_id, page.unit, horizon)
        events = [rx.call_script(f"window.history.replaceState(null, '', {json.dumps(link)})")]
        if page.refused is not None:
            events.append(refusal(page.refused))
        return events

    def _show(self, specs: dict[str, dict]) -> None:
        for name, value in view.chart_vars(specs).items():
            setattr(self, name, value)

    @rx.event
    async def choose_unit(self, unit: str):
        """Shows the figures and charts of the collaborative ('') or of one member trust.

        The trust is checked against the projection's members by the service before anything
        is shown; the latest choice wins, as with the scenario and horizon (`_answer`).
        """
        self._unit_wanted = str(unit)[:20]
        return await self._answer()

    async def _ask(self, look, *args, **kwargs):
        """A service's answer about the accepted scenario over the horizon shown.

        Polled (`worker_answer`) outside the tab's state lock, so the page's other events go on
        while a solver worker (with a job queue) or a thread here (without one) computes it.
        """
        async with self:
            session = await self.get_state(SessionState)
            picker = await self.get_state(ScenarioPicker)
            token, scenario_id = session.token, picker._scenario_id
            horizon = view.weeks_of(self.horizon_weeks)
        return await worker_answer(look, token, scenario_id, horizon, *args, **kwargs)

    @rx.event(background=True)
    async def check_target(self, form: dict):
        """Adds a target the member sets (kind, figure, long wait, date) to the table."""
        try:
            report = await self._ask(
                target_answer,
                kind=str(form.get("kind", ""))[:40],
                value=str(form.get("value", ""))[:20],
                over_weeks=str(form.get("over", ""))[:10],
                due=str(form.get("due", ""))[:20],
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        async with self:
            self.target_rows = view.target_rows(report)
            self.target_note = view.target_note(report)
        return None

    @rx.event(background=True)
    async def ask_capacity(self, form: dict):
        """Answers: how much more treatment a week reaches this 18-week share by this date?"""
        try:
            answer = await self._ask(
                capacity_answer,
                str(form.get("target", self.capacity_target)),
                str(form.get("by", "")),
            )
        except SERVICE_ERRORS as error:
            return refusal(error)
        async with self:
            self.capacity_rows = view.capacity_rows(answer)
            self.capacity_note = view.capacity_note(answer)
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
    # The pack's names and where its files are (`KeptPack`): not 0.7 MB of files in every save.
    _pack: KeptPack | None = None

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
        """Builds the PDF and HTML, publishing each step as it starts.

        In a thread here, or by a solver worker with a job queue (polled, holding no thread).
        """
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
            horizon = view.weeks_of(raw_horizon)
            task = asyncio.ensure_future(
                worker_answer(
                    board_pack_answer,
                    token,
                    scenario_id,
                    horizon,
                    commentary,
                    requested=dt.datetime.now(dt.UTC),
                    progress=progress,
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
        kept = keep_board_pack(pack)
        async with self:
            self._pack = kept
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
