"""The Rota page's state: the build's settings, the newest rota shown and the cell being locked.

Every handler calls the services only (`services/rota.py`, `services/jobs.py`,
`services/rota_published.py`); the job id it acts on is a backend var.
"""

from __future__ import annotations

import datetime as dt

import reflex as rx
from reflex_base.utils.form import FormData

from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.jobs import JobView, latest_job, start_job, stop_job_early
from ics_capacity.services.results import RotaOutcome
from ics_capacity.services.rota import (
    download_published_rota,
    download_rota,
    outcome_with_lock,
    rota_choices,
    set_bank_holiday_lists,
    set_lock,
    stall_seconds,
)
from ics_capacity.services.rota_published import PublishedView, publish_rota, published_rotas
from ics_capacity.ui.pages.rota import pools as pool_view
from ics_capacity.ui.pages.rota.fairness import fairness_rows
from ics_capacity.ui.pages.rota.settings_form import (
    SubmittedSettings,
    read_submitted,
    settings_of,
)
from ics_capacity.ui.pages.rota.view import (
    GridRow,
    NeedRow,
    change_rows,
    changes_note,
    compliance_rows,
    cost_headline,
    cost_rows,
    day_headers,
    grid_rows,
    headline,
    infeasible_lines,
    limit_rows,
    lock_options,
    need_rows,
    published_note,
    published_rows,
    site_colours,
    site_legend,
    stats_text,
)
from ics_capacity.ui.state.job_watch import JobWatchState
from ics_capacity.ui.state.picker import ScenarioPicker, show_chosen_scenario, show_listed_scenario
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal


class RotaState(JobWatchState, rx.State):
    """Settings of the build, the newest rota of the scenario and the cell being locked.

    The settings form's fields show these vars as their first values; the browser keeps what is
    typed until the form is submitted (`build`), which alone sets them. `form_key` changes when
    another scenario is shown, so the whole form is drawn afresh from its settings; `sites_key`
    changes when the same scenario's sites change (a colleague made a site a hub), so only the
    tick boxes are drawn again and what is typed in the other fields stays.
    """

    sites: list[dict[str, str]] = []
    chosen_sites: list[str] = []
    rule_packs: list[dict[str, str]] = []
    rule_pack: str = "uk_default"
    start_date: str = ""
    weeks: str = "2"
    time_limit: str = ""
    form_error: str = ""
    form_key: int = 0
    sites_key: int = 0
    _form_scenario: int = 0
    scenario_status: str = ""
    scenario_editable: bool = True
    bank_holiday_sites: list[str] = []
    hub_sites: list[dict[str, str]] = []
    cost_headline: str = ""
    stop_requested: bool = False
    soft_rules: bool = False
    demand: str = "timetable"
    _job_noun: str = "build"
    view: str = "staff"
    week: int = 0
    week_count: int = 0
    role_filter: str = ""
    only_rostered: bool = True
    compliance: list[dict[str, str]] = []
    fairness: list[dict[str, str]] = []
    cost: list[dict[str, str]] = []
    limits: list[dict[str, str]] = []
    infeasible: list[str] = []
    stats: str = ""
    headline: str = ""
    has_rota: bool = False
    lock_staff: str = ""
    lock_label: str = ""
    lock_date: str = ""
    lock_when: str = ""
    lock_current: str = ""
    lock_locked: bool = False
    lock_choice: str = ""
    lock_options: list[dict[str, str]] = []
    keep_published: bool = True
    pool_form: dict[str, str] = pool_view.default_pool_form()
    pools: list[dict[str, str]] = []
    pool_note: str = ""
    published: list[dict[str, str]] = []
    published_note: str = ""
    changes: list[dict[str, str]] = []
    changes_note: str = ""
    _outcome: RotaOutcome | None = None

    @rx.event
    async def load(self):
        """Lists the scenarios, the sites and rule packs, and shows the newest rota."""
        return await show_listed_scenario(self, self._clear, self._open)

    async def _open(self, scenario_id: int):
        """Shows an accepted scenario's sites and newest rota, and joins its room."""
        self._clear()
        if not scenario_id:
            return None
        session = await self.get_state(SessionState)
        try:
            choices = rota_choices(session.token, scenario_id)
            job = latest_job(session.token, scenario_id, "rota")
        except ServiceError as error:
            return refusal(error)
        self._show_choices(choices, scenario_id)
        try:
            self._show_published(published_rotas(session.token, scenario_id))
        except ServiceError as error:
            return refusal(error)
        events = [ScenarioRoom.join_scenario(scenario_id)]
        if job is not None:
            self._show_job(job)
            if job.active:
                events.append(RotaState.watch)
        return events

    def _show_choices(self, choices: dict, scenario_id: int) -> None:
        shown = (self.sites, self.chosen_sites)
        self.scenario_status = choices.get("status", "")
        self.scenario_editable = bool(choices.get("editable", True))
        self.bank_holiday_sites = [s["code"] for s in choices["sites"] if s["bank_holiday_lists"]]
        self.hub_sites = [
            {"code": s["code"], "name": s["name"]} for s in choices["sites"] if s["hub"]
        ]
        self.sites = [
            {"code": s["code"], "name": s["name"] + (" (elective hub)" if s["hub"] else "")}
            for s in choices["sites"]
        ]
        codes = {s["code"] for s in choices["sites"]}
        self.chosen_sites = [c for c in self.chosen_sites if c in codes] or [
            s["code"] for s in choices["sites"] if s["hub"]
        ]
        self.rule_packs = choices["rule_packs"]
        if not self.start_date:
            self.start_date = choices["start_date"]
        if scenario_id != self._form_scenario:
            self._form_scenario = scenario_id
            self.form_key += 1
        elif (self.sites, self.chosen_sites) != shown:
            self.sites_key += 1

    def _show_job(self, job: JobView) -> None:
        self._job_id = job.id
        self.running = job.active
        self.progress = job.progress
        self.stop_requested = bool(job.stop_requested_by)
        self.status_text = f"Latest build by {job.requested_by_name}: {job.status}. {job.message}"
        if job.rota is not None:
            self._fill(job.rota)

    def _clear(self) -> None:
        self._outcome, self.has_rota, self._job_id, self.running = None, False, 0, False
        self.compliance, self.cost, self.limits, self.fairness = [], [], [], []
        self.pools, self.pool_note = [], ""
        self.infeasible = []
        self.stats = self.headline = self.status_text = self.cost_headline = ""
        self.stop_requested = False
        self.lock_staff = ""
        self.published, self.published_note = [], ""
        self.changes, self.changes_note = [], ""

    def _show_published(self, views: list[PublishedView]) -> None:
        """The scenario's publications, and "Published on … by …" for the period shown."""
        self.published = published_rows(views)
        self._note_published(views)

    def _note_published(self, views: list[PublishedView]) -> None:
        self.published_note = published_note(views, self._outcome, self._job_id)

    def _fill(self, outcome: RotaOutcome) -> None:
        self._outcome = outcome
        self.infeasible = infeasible_lines(outcome)
        self.has_rota = outcome.has_rota
        self.week_count = max(1, len(outcome.dates) // 7)
        self.week = min(self.week, self.week_count - 1)
        self.stats = stats_text(outcome)
        self.cost_headline = cost_headline(outcome)
        self.headline = headline(outcome)
        self.compliance = compliance_rows(outcome)
        self.fairness = fairness_rows(outcome)
        self.cost = cost_rows(outcome)
        self.pools = pool_view.pool_rows(outcome)
        self.pool_note = pool_view.pool_note(outcome)
        self.limits = limit_rows(outcome)
        self.changes = change_rows(outcome)
        self.changes_note = changes_note(outcome)

    # The grid and its key are drawn from the rota shown and the filters whenever either changes
    # (Reflex tracks the vars each reads, the backend var `_outcome` included); cached, so other
    # events do not redraw them.
    @rx.var(cache=True)
    def grid(self) -> list[GridRow]:
        """The staff grid's rows for the week shown, with the role and "rostered" filters."""
        outcome = self._outcome
        if outcome is None or not outcome.shifts:
            return []
        return grid_rows(
            outcome, self.week, self.role_filter, site_colours(outcome), self.only_rostered
        )

    @rx.var(cache=True)
    def day_headers(self) -> list[dict[str, str]]:
        """The grid's column headers for the week shown."""
        outcome = self._outcome
        if outcome is None or not outcome.shifts:
            return []
        return day_headers(outcome, self.week)

    @rx.var(cache=True)
    def site_legend(self) -> list[dict[str, str]]:
        """The key to the grid's site colours."""
        outcome = self._outcome
        if outcome is None or not outcome.shifts:
            return []
        return site_legend(outcome, site_colours(outcome))

    @rx.var(cache=True)
    def needs(self) -> list[NeedRow]:
        """The hub grid: each site's slots staffed against wanted, for the week shown."""
        outcome = self._outcome
        if outcome is None or not outcome.shifts:
            return []
        return need_rows(outcome, self.week)

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's sites and newest rota, once the server accepts the choice."""
        return await show_chosen_scenario(self, scenario_id, self._open)

    @rx.event
    async def refresh_rota(self):
        """Shows the newest rota of the scenario (e.g. one a colleague has just built)."""
        picker = await self.get_state(ScenarioPicker)
        return await self._open(picker._scenario_id)

    @rx.event
    def set_view(self, value: str):
        """Shows the rota by staff or by hub."""
        self.view = value

    @rx.event
    def set_role_filter(self, value: str):
        """Shows one role's staff only (or everyone)."""
        self.role_filter = value

    @rx.event
    def set_only_rostered(self, value: bool):
        """Shows only the people with a shift or a lock in the week shown, or everyone."""
        self.only_rostered = value

    @rx.event
    def show_week(self, value: str):
        """Shows another week of the rota."""
        self.week = max(0, min(self.week_count - 1, int(value)))

    def _keep(self, submitted: SubmittedSettings) -> None:
        """Keeps the settings as submitted, so the form shows them again if it is redrawn."""
        text = submitted.text
        self.start_date, self.weeks, self.time_limit = (
            text["start_date"],
            text["weeks"],
            text["time_limit"],
        )
        self.rule_pack, self.demand = text["rule_pack"], text["demand"]
        self.soft_rules, self.keep_published = submitted.soft_rules, submitted.keep_published
        self.chosen_sites = list(submitted.sites)
        self.pool_form = {name: text[name] for name in pool_view.default_pool_form()}

    @rx.event
    async def build(self, form_data: FormData):
        """Builds a rota of the accepted scenario with the submitted settings, then watches it.

        The form's fields are read strictly and checked together: a refusal names every field
        that is wrong, and the form keeps what was typed.
        """
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            if not isinstance(form_data, FormData):
                raise InvalidInputError("Send the rota settings form.")
            submitted = read_submitted(form_data.multi_items())
        except ServiceError as error:
            self.form_error = str(error)
            return refusal(error)
        self._keep(submitted)
        try:
            settings = settings_of(submitted)
            job_id = start_job(session.token, picker._scenario_id, "rota", settings.to_json())
        except ServiceError as error:
            # The form keeps every value typed; the reason is shown beside it and in a toast.
            self.form_error = str(error)
            return refusal(error)
        self.form_error = ""
        self.stop_requested = False
        limit = settings.time_limit_seconds
        self._started(
            job_id,
            f"Building the rota (time limit {limit:g} s; it stops sooner when the rota is "
            f"proven best or has not improved for {stall_seconds(limit):g} s)…",
        )
        await self._tell_the_room(
            session.token, picker._scenario_id, f"{session.user_name} started a rota build"
        )
        return RotaState.watch

    @rx.event
    async def stop_early(self):
        """Asks the build this page is watching to stop now and keep its best rota so far."""
        session = await self.get_state(SessionState)
        if not self._job_id:
            return rx.toast.info("There is no build to stop.")
        try:
            job = stop_job_early(session.token, self._job_id)
        except ServiceError as error:
            return refusal(error)
        self.stop_requested = True
        self.status_text = (
            f"Stopping at the best rota found so far (asked by {job.stop_requested_by})…"
        )
        return None

    @rx.event
    async def set_bank_holiday_lists(self, code: str, checked: bool):
        """Lets a chosen site run theatre lists on bank holidays, or not (a scenario setting)."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            message = set_bank_holiday_lists(
                session.token, picker._scenario_id, code, bool(checked)
            )
        except ServiceError as error:
            return refusal(error)
        others = [c for c in self.bank_holiday_sites if c != code]
        self.bank_holiday_sites = [*others, code] if checked else others
        return rx.toast.success(message)

    def _show_progress(self, job: JobView) -> None:
        self.progress, self.running = job.progress, job.active
        self.stop_requested = bool(job.stop_requested_by)
        self.status_text = job.message

    @rx.event(background=True)
    async def watch(self):
        """Follows the watched build's progress until it ends, then shows the rota.

        Only reads: the job id is this page's backend var, set when the server accepted the
        build or listed the job for this user, and every read is checked again by the service.
        """
        token, job = await self._wait_for_watched()
        if isinstance(job, ServiceError):
            yield refusal(job)
            return
        if job is None:
            return
        async with self:
            if self._job_id != job.id:
                return
            self._clear()
            self._show_job(job)
            try:
                self._show_published(published_rotas(token, job.scenario_id))
            except ServiceError as error:
                yield refusal(error)
                return
            if job.status == "done":
                self.status_text = f"Finished: {job.message}."
                room = await self.get_state(ScenarioRoom)
                if room.scenario_id == job.scenario_id:
                    room._refresh(
                        token,
                        job.scenario_id,
                        f"{job.requested_by_name} built a rota ({job.message})",
                    )

    @rx.event
    def pick_cell(self, staff: str, date: str):
        """Opens the lock panel for one person's day."""
        outcome = self._outcome
        person = (
            None if outcome is None else next((p for p in outcome.staff if p.code == staff), None)
        )
        if outcome is None or person is None or date not in outcome.dates:
            return rx.toast.error("That cell is not in the rota shown.")
        cell = person.cells[outcome.dates.index(date)]
        self.lock_staff, self.lock_label, self.lock_date = staff, person.label, date
        self.lock_when = f"{dt.date.fromisoformat(date):%A %d %B %Y}"
        self.lock_current, self.lock_locked = cell.shift, cell.locked
        self.lock_choice = cell.shift or "off"
        self.lock_options = lock_options(outcome, person.role)
        return None

    @rx.event
    def set_lock_choice(self, value: str):
        """Chooses what the cell is locked to."""
        self.lock_choice = value

    @rx.event
    def close_lock(self):
        """Closes the lock panel."""
        self.lock_staff = ""

    async def _change_lock(self, shift: str | None):
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            shown = self._outcome
            seen = (
                None
                if shown is None
                else next(
                    (
                        lk
                        for lk in shown.locked
                        if lk.staff_id == self.lock_staff and shown.dates[lk.day] == self.lock_date
                    ),
                    None,
                )
            )
            # What the user saw: the lock in the rota shown (None when the cell was not locked).
            expected = None if seen is None else (seen.shift_id or "")
            try:
                on = dt.date.fromisoformat(self.lock_date)
            except ValueError as error:
                raise InvalidInputError(f"Day: '{self.lock_date}' is not a date.") from error
            message = set_lock(
                session.token,
                picker._scenario_id,
                self.lock_staff,
                on,
                shift,
                expected=expected,
            )
        except ServiceError as error:
            return refusal(error)
        if self._outcome is not None:
            self._outcome = outcome_with_lock(self._outcome, self.lock_staff, self.lock_date, shift)
        self.lock_locked = shift is not None
        return rx.toast.success(message)

    @rx.event
    async def lock(self):
        """Locks the chosen cell to the chosen shift (or a day off); the next build keeps it."""
        return await self._change_lock("" if self.lock_choice == "off" else self.lock_choice)

    @rx.event
    async def unlock(self):
        """Removes the chosen cell's lock."""
        return await self._change_lock(None)

    @rx.event
    async def download(self, fmt: str):
        """Downloads the newest rota of the accepted scenario as CSV or Excel."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            name, data = download_rota(session.token, picker._scenario_id, fmt)
        except ServiceError as error:
            return refusal(error)
        return rx.download(data=data, filename=name)

    @rx.event
    async def publish(self):
        """Publishes the finished rota shown (the build this page shows) for its period."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        if not self._job_id or not self.has_rota or self.running:
            return rx.toast.info("There is no finished rota to publish.")
        try:
            message = publish_rota(session.token, picker._scenario_id, self._job_id)
            self._show_published(published_rotas(session.token, picker._scenario_id))
        except ServiceError as error:
            return refusal(error)
        room = await self.get_state(ScenarioRoom)
        room._refresh(session.token, picker._scenario_id, f"{session.user_name} published a rota")
        return rx.toast.success(message)

    @rx.event
    async def download_published(self, published_id: str, fmt: str):
        """Downloads a published rota of the accepted scenario as CSV or Excel."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            if not str(published_id).isdigit():
                raise InvalidInputError("That is not a published rota.")
            name, data = download_published_rota(
                session.token, picker._scenario_id, int(published_id), fmt
            )
        except ServiceError as error:
            return refusal(error)
        return rx.download(data=data, filename=name)
