"""Rota: build the shared rota of the hubs' theatre lists and wards, see gaps, lock cells, re-solve.

The build is a background job (the page stays usable and shows progress); its result is kept on
the job record, so a reload or a colleague sees the same rota. Locks are kept in the database and
every build keeps them. A workforce lead publishes the rota shown (read-only, downloadable by the
whole collaborative); later builds keep it where possible and list each change to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence

import reflex as rx

from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.jobs import (
    JobView,
    cancel_job,
    latest_job,
    start_job,
    stop_job_early,
)
from ics_capacity.services.results import RotaOutcome, SessionRow
from ics_capacity.services.rota import (
    KIND_LABELS,
    MAX_WEEKS,
    ROLE_LABELS,
    RotaSettings,
    download_published_rota,
    download_rota,
    outcome_with_lock,
    rota_choices,
    set_bank_holiday_lists,
    set_lock,
    stall_seconds,
)
from ics_capacity.services.rota_published import PublishedView, publish_rota, published_rotas
from ics_capacity.ui import theme
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.widgets import (
    button,
    field_label,
    figures_table,
    notice,
    panel,
)
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.job_watch import wait_for_job
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal

SECONDS_PER_WEEK = 10
MAX_TIME_LIMIT = 600
"""A build's time limit follows its weeks (10 s a week, at most 600 s) until the planner sets it."""
# Site colours with white text: each passes WCAG 2.2 AA contrast (4.5:1) for normal text.
SITE_COLOURS = (theme.NHS_DARK_BLUE, theme.NHS_GREEN, "#330072", "#7C2855", "#425563", "#8A1538")
SHORT_KIND = {"AM": "AM", "PM": "PM", "DAY": "Day", "LD": "LD", "N": "Night"}
ROLE_NAMES = {r.value: label for r, label in ROLE_LABELS.items()}
ROLE_FILTERS = [("", "All roles"), *ROLE_NAMES.items()]
CODE_LEGEND = [
    {"code": "AM", "meaning": "Morning half of a theatre list (from 08:00)"},
    {"code": "PM", "meaning": "Afternoon half of a theatre list"},
    {"code": "Day", "meaning": "Whole theatre list day (covers AM and PM)"},
    {"code": "LD", "meaning": "Ward long day, 07:30 to 20:00"},
    {"code": "Night", "meaning": "Ward night, 19:30 to 08:00"},
    {"code": "Leave", "meaning": "On leave (no shift)"},
    {"code": "–", "meaning": "Off"},
    {"code": "🔒", "meaning": "Locked: every build keeps this cell (yellow border)"},
    {"code": "🔒 → PM", "meaning": "Locked since this rota was built: the next build applies it"},
]


def auto_time_limit(weeks: int) -> int:
    """The time limit a build of this many weeks gets unless the planner sets one."""
    return max(1, min(MAX_TIME_LIMIT, SECONDS_PER_WEEK * weeks))


@dataclasses.dataclass
class Cell:
    """One person's day in the grid."""

    text: str
    aria: str
    background: str
    colour: str
    border: str
    staff: str
    date: str
    locked: bool


@dataclasses.dataclass
class GridRow:
    """One person's row of the grid for the week shown."""

    code: str
    label: str
    role: str
    trust: str
    hours: str
    cells: list[Cell]


@dataclasses.dataclass
class NeedCell:
    """Staffed / wanted for one slot on one day."""

    text: str
    aria: str
    background: str
    colour: str


@dataclasses.dataclass
class NeedRow:
    """One site's slot and skill across the week shown."""

    label: str
    cells: list[NeedCell]


def _pounds(pence: float) -> str:
    return f"£{pence / 100:,.0f}"


def _grid(
    outcome: RotaOutcome, week: int, role: str, site_colour: dict[str, str], only_rostered: bool
) -> list[GridRow]:
    dates = outcome.dates
    days = range(week * 7, min(len(dates), week * 7 + 7))
    shifts = outcome.shifts
    locks = {(lk.staff_id, lk.day): lk.shift_id or "" for lk in outcome.locked}
    rows = []
    for person in outcome.staff:
        if role and person.role != role:
            continue
        if only_rostered and not any(
            person.cells[d].shift or (person.code, d) in locks for d in days
        ):
            continue
        cells = []
        for day in days:
            c = person.cells[day]
            date = dt.date.fromisoformat(dates[day])
            when = f"{date:%a %d %b}"
            if c.shift:
                meta = shifts[c.shift]
                text = f"{meta.site[:3]} {SHORT_KIND[meta.kind]}"
                aria = f"{person.label}, {when}: {meta.label}"
                background, colour = site_colour.get(meta.site, theme.NHS_BLUE), "#FFFFFF"
            elif c.leave:
                text, aria = "Leave", f"{person.label}, {when}: on leave"
                background, colour = theme.NHS_BORDER, theme.NHS_TEXT
            else:
                text, aria = "–", f"{person.label}, {when}: off"
                background, colour = "#FFFFFF", theme.NHS_SECONDARY_TEXT
            target = locks.get((person.code, day))
            if target is not None and target != c.shift:
                # Locked since this rota was built: the next build applies it.
                to = shifts[target].label if target in shifts else "a day off"
                text = f"🔒 → {SHORT_KIND[shifts[target].kind] if target in shifts else 'off'}"
                aria = f"{aria} (locked to {to} from the next build)"
            elif c.locked:
                text, aria = f"🔒 {text}", f"{aria} (locked)"
            cells.append(
                Cell(
                    text=text,
                    aria=aria,
                    background=background,
                    colour=colour,
                    border=f"3px solid {theme.NHS_WARM_YELLOW}"
                    if c.locked
                    else f"1px solid {theme.NHS_BORDER}",
                    staff=person.code,
                    date=dates[day],
                    locked=c.locked,
                )
            )
        hours = person.minutes / 60
        role_name = ROLE_NAMES.get(person.role, person.role)
        rows.append(
            GridRow(
                code=person.code,
                label=person.label,
                role=f"{role_name} · based at {person.home_site_name}"
                if person.home_site_name
                else role_name,
                trust=person.trust_name or person.trust,
                hours=f"{hours:,.1f} h",
                cells=cells,
            )
        )
    return rows


def _need_rows(outcome: RotaOutcome, week: int) -> list[NeedRow]:
    dates = outcome.dates
    days = list(range(week * 7, min(len(dates), week * 7 + 7)))
    grouped: dict[tuple[str, str, str], dict[int, SessionRow]] = {}
    for s in outcome.sessions:
        if s.day in days:
            grouped.setdefault((s.site, s.kind, s.skill), {})[s.day] = s
    order = {"AM": 0, "PM": 1, "LD": 2, "N": 3}
    rows = []
    for (site, kind, skill), by_day in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9), kv[0][2])
    ):
        label = f"{site} · {KIND_LABELS[kind]} · {_skill_label(skill)}"
        cells = []
        for day in days:
            slot = by_day.get(day)
            if slot is None:
                cells.append(NeedCell("", f"{label}: nothing needed", "#FFFFFF", theme.NHS_TEXT))
                continue
            text = f"{slot.staffed}/{slot.required}"
            if slot.short:
                cells.append(
                    NeedCell(
                        text,
                        f"{label}, {dates[day]}: {slot.short} short",
                        theme.NHS_RED,
                        "#FFFFFF",
                    )
                )
            else:
                cells.append(
                    NeedCell(
                        text, f"{label}, {dates[day]}: fully staffed", "#FFFFFF", theme.NHS_TEXT
                    )
                )
        rows.append(NeedRow(label=label, cells=cells))
    return rows


def _dates_of(when: str, dates: Sequence[str]) -> str:
    """The solver's "day 3" / "days 2-8" as the dates they are ("Thu 10 Dec")."""

    def date(match: re.Match[str]) -> str:
        day = int(match.group(0))
        return f"{dt.date.fromisoformat(dates[day]):%a %d %b}" if day < len(dates) else str(day)

    return re.sub(r"\d+", date, re.sub(r"^days? ", "", when)) if when.startswith("day") else when


def _unavoidable(places_short: int | None, lower_bound: int | None) -> str:
    """Places short of required cover against the proven least any rota could leave."""
    if places_short is None:
        return ""
    short = f" Required cover: {places_short:,} place{'s' if places_short != 1 else ''} short"
    if lower_bound is None:
        return short + "; no lower bound was proven in time."
    return short + (
        f"; proven lower bound {lower_bound:,}: no rota keeping the hard rules can leave fewer "
        "with these staff (places short above it are the search's, up to it the staffing's)."
    )


def _how_it_stopped(status: str, stopped: str) -> str:
    """How the search ended, honestly: proven, asked to stop, stalled or out of time."""
    if status == "optimal":
        return " The search stopped because the rota is proven best."
    if stopped == "asked":
        return " The search was stopped on request; this is the best rota it had found."
    if stopped:
        return f" The search stopped itself: {stopped}."
    if status == "feasible":
        return " The search ran to its time limit; a longer one might find a better rota."
    return ""


def _skill_label(skill: str) -> str:
    if skill.startswith("surgeon:"):
        return f"Surgeon ({skill.split(':', 1)[1]})"
    return next((label for r, label in ROLE_LABELS.items() if r.value == skill), skill)


class RotaState(rx.State):
    """Settings of the build, the newest rota of the scenario and the cell being locked."""

    sites: list[dict[str, str]] = []
    chosen_sites: list[str] = []
    rule_packs: list[dict[str, str]] = []
    rule_pack: str = "uk_default"
    start_date: str = ""
    weeks: str = "2"
    time_limit: str = "20"
    time_limit_auto: bool = True
    form_error: str = ""
    scenario_status: str = ""
    scenario_editable: bool = True
    bank_holiday_sites: list[str] = []
    hub_sites: list[dict[str, str]] = []
    site_legend: list[dict[str, str]] = []
    cost_headline: str = ""
    stop_requested: bool = False
    soft_rules: bool = False
    demand: str = "timetable"
    running: bool = False
    progress: int = 0
    status_text: str = ""
    _job_id: int = 0
    view: str = "staff"
    week: int = 0
    week_count: int = 0
    role_filter: str = ""
    only_rostered: bool = True
    day_headers: list[dict[str, str]] = []
    grid: list[GridRow] = []
    needs: list[NeedRow] = []
    compliance: list[dict[str, str]] = []
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
    published: list[dict[str, str]] = []
    published_note: str = ""
    changes: list[dict[str, str]] = []
    changes_note: str = ""
    _outcome: RotaOutcome | None = None

    @rx.event
    async def load(self):
        """Lists the scenarios, the sites and rule packs, and shows the newest rota."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        picker = await self.get_state(ScenarioPicker)
        try:
            scenario_id = await picker._list(prefer_editable=True)
        except ServiceError as error:
            self._clear()
            return refusal(error)
        return await self._open(scenario_id)

    async def _open(self, scenario_id: int):  # noqa: ANN202
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
        self._show_choices(choices)
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

    def _show_choices(self, choices: dict) -> None:
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
        self.grid, self.needs, self.compliance, self.cost, self.limits = [], [], [], [], []
        self.infeasible, self.day_headers, self.site_legend = [], [], []
        self.stats = self.headline = self.status_text = self.cost_headline = ""
        self.stop_requested = False
        self.lock_staff = ""
        self.published, self.published_note = [], ""
        self.changes, self.changes_note = [], ""

    def _show_published(self, views: list[PublishedView]) -> None:
        """The scenario's publications, and "Published on … by …" for the period shown."""
        self.published = [
            {
                "id": str(v.id),
                "period": f"{v.first_date} to {v.last_date}",
                "by": v.published_by,
                "at": v.published_at,
                "run": "" if v.job_id is None else str(v.job_id),
                "state": "Current" if v.current else f"Superseded {v.superseded_at}",
            }
            for v in views
        ]
        self._note_published(views)

    def _note_published(self, views: list[PublishedView]) -> None:
        outcome = self._outcome
        shown = (outcome.dates[0], outcome.dates[-1]) if outcome and outcome.dates else None
        current = [v for v in views if v.current]
        mine = next((v for v in current if (v.first_date, v.last_date) == shown), None)
        if mine is not None:
            same = mine.job_id == self._job_id
            self.published_note = (
                f"Published on {mine.published_at} by {mine.published_by}"
                f"{' (this rota)' if same else ''}: the rota of {mine.first_date} to "
                f"{mine.last_date}, run {mine.job_id}. It is read-only; anyone in the "
                "collaborative may download it."
                + (
                    ""
                    if same
                    else " The rota shown is a later build; publishing it supersedes that one."
                )
            )
        elif current:
            self.published_note = (
                f"Published on {current[0].published_at} by {current[0].published_by}: the "
                f"rota of {current[0].first_date} to {current[0].last_date}."
            )
        else:
            self.published_note = ""

    def _fill(self, outcome: RotaOutcome) -> None:
        self._outcome = outcome
        stats = outcome.stats
        self.infeasible = [
            f"{b.name} for {b.where}" + (f" ({b.when})" if b.when else "")
            for b in outcome.infeasible_because
        ]
        self.has_rota = outcome.has_rota
        self.week_count = max(1, len(outcome.dates) // 7)
        self.week = min(self.week, self.week_count - 1)
        gap = "–" if stats.gap is None else f"{stats.gap:.2%}"
        bound = "–" if stats.bound is None else _pounds(stats.bound)
        objective = "–" if stats.objective is None else _pounds(stats.objective)
        self.stats = (
            f"Status {stats.status}; objective {objective}, best bound {bound}, gap {gap}; "
            f"{stats.wall_seconds:.1f} s of a {stats.time_limit_seconds:g} s limit on "
            f"{stats.num_workers} workers (seed {stats.seed}, OR-Tools "
            f"{stats.ortools_version}). Rule pack: {outcome.rule_pack}."
            + _how_it_stopped(stats.status, stats.stopped)
            + _unavoidable(stats.places_short, stats.places_short_lower_bound)
        )
        cost = outcome.cost
        gaps = cost.agency_gaps
        self.cost_headline = (
            f"Cost of the rota: {_pounds(cost.total_pence)} = substantive staff "
            f"{_pounds(cost.substantive.pence)} + bank staff {_pounds(cost.bank.pence)} + "
            f"agency cover for {gaps.places:,} unfilled place{'s' if gaps.places != 1 else ''} "
            f"{_pounds(gaps.pence)} (at the agency price cap)"
        )
        names = sorted({m.site_name for m in outcome.shifts.values()})
        first, last = (dt.date.fromisoformat(d) for d in (outcome.dates[0], outcome.dates[-1]))
        weeks = outcome.settings.weeks
        self.headline = (
            f"Rota for {' and '.join(names)}, {first:%a %d %b} to {last:%a %d %b %Y} "
            f"({weeks} week{'s' if weeks != 1 else ''}): "
            f"{len(outcome.assignments):,} shifts for {len(outcome.staff)} staff; "
            f"{gaps.places:,} places short"
            + (f" ({_pounds(gaps.pence)} at agency prices)" if gaps.places else "")
            + "; checked by the independent checker: "
            + ("no rule broken." if not outcome.hard_violations else "RULES BROKEN.")
        )
        late = [
            _dates_of(b.where, outcome.dates)
            for b in outcome.binding_limits
            if b.name == "time limit"
        ]
        closed = [
            f"{dt.date.fromisoformat(d):%a %d %b} ({name})"
            for d, name in outcome.bank_holidays.items()
        ]
        if closed:
            opted = ", ".join(outcome.bank_holiday_list_sites)
            self.headline += f" Bank holidays: {', '.join(closed)}: " + (
                f"no theatre lists except at {opted}; wards staffed."
                if opted
                else "no theatre lists; wards staffed."
            )
        if outcome.history is not None:
            used = outcome.history
            self.headline += (
                f" History carried in from the {used.source}: {used.shifts:,} shifts of "
                f"{used.people} staff in the {used.days} days before; runs, rest and weekends "
                "are judged across the join."
            )
        if late:
            self.headline += (
                f" No rota was found in time for {', '.join(late)}: only their locks are worked;"
                " give the build more time."
            )
        self.compliance = [
            {
                "rule": r.rule,
                "mode": r.mode,
                "breaches": str(r.breaches),
                "at_limit": str(r.at_limit),
            }
            for r in outcome.compliance
        ]
        self.cost = [
            {
                "source": "Substantive staff",
                "shifts": f"{cost.substantive.shifts:,}",
                "hours": f"{cost.substantive.hours:,.1f}",
                "cost": _pounds(cost.substantive.pence),
            },
            {
                "source": "Bank staff",
                "shifts": f"{cost.bank.shifts:,}",
                "hours": f"{cost.bank.hours:,.1f}",
                "cost": _pounds(cost.bank.pence),
            },
            {
                "source": "Gaps, priced at the agency cap",
                "shifts": f"{gaps.places:,}",
                "hours": "",
                "cost": _pounds(gaps.pence),
            },
            {
                "source": "Total",
                "shifts": "",
                "hours": "",
                "cost": _pounds(cost.total_pence),
            },
        ]
        self.limits = [
            {
                "limit": b.name,
                "where": b.where,
                "when": _dates_of(b.when, outcome.dates),
                "by": str(b.shortfall),
                "unit": b.unit,
            }
            for b in outcome.binding_limits
            if b.shortfall > 0
        ][:30]
        self.changes = [
            {
                "person": f"{c.label} ({c.staff_id})" if c.label != c.staff_id else c.staff_id,
                "date": f"{dt.date.fromisoformat(c.date):%a %d %b}",
                "was": _shift_name(outcome, c.was),
                "now": _shift_name(outcome, c.now),
                "why": c.why or "to meet cover or keep a rule",
            }
            for c in outcome.published_changes
        ]
        kept = outcome.published
        self.changes_note = (
            ""
            if kept is None
            else f"Kept the rota published on {kept.published_at} by {kept.published_by} where "
            f"possible ({kept.days} shared days): "
            + (
                f"{len(outcome.published_changes)} published "
                f"day{'s' if len(outcome.published_changes) != 1 else ''} changed, listed below."
                if outcome.published_changes
                else "no published day changed."
            )
        )
        self._draw()

    def _draw(self) -> None:
        outcome = self._outcome
        if outcome is None or not outcome.shifts:
            return
        sites = sorted({m.site for m in outcome.shifts.values()})
        colours = {s: SITE_COLOURS[i % len(SITE_COLOURS)] for i, s in enumerate(sites)}
        dates = outcome.dates[self.week * 7 : self.week * 7 + 7]
        self.day_headers = [
            {
                "label": f"{dt.date.fromisoformat(d):%a %d %b}",
                "weekend": "1" if dt.date.fromisoformat(d).weekday() >= 5 else "",
                "holiday": "Bank holiday" if d in outcome.bank_holidays else "",
            }
            for d in dates
        ]
        self.site_legend = [
            {
                "code": site[:3],
                "name": next(m.site_name for m in outcome.shifts.values() if m.site == site)
                + f" ({site})",
                "colour": colours[site],
            }
            for site in sites
        ]
        self.grid = _grid(outcome, self.week, self.role_filter, colours, self.only_rostered)
        self.needs = _need_rows(outcome, self.week)

    @rx.event
    async def choose_scenario(self, scenario_id: str):
        """Shows another scenario's sites and newest rota, once the server accepts the choice."""
        picker = await self.get_state(ScenarioPicker)
        try:
            accepted = await picker._choose(scenario_id)
        except ServiceError as error:
            return refusal(error)
        return await self._open(accepted)

    @rx.event
    async def refresh_rota(self):
        """Shows the newest rota of the scenario (e.g. one a colleague has just built)."""
        picker = await self.get_state(ScenarioPicker)
        return await self._open(picker._scenario_id)

    @rx.event
    def toggle_site(self, code: str, checked: bool):
        """Adds or removes a site from the rota."""
        if checked and code not in self.chosen_sites:
            self.chosen_sites.append(code)
        elif not checked and code in self.chosen_sites:
            self.chosen_sites.remove(code)

    @rx.event
    def set_start_date(self, value: str):
        """Sets the first day of the rota."""
        self.start_date = value

    @rx.event
    def set_weeks(self, value: str):
        """Sets the number of weeks (1 to 12); the time limit follows unless it was set."""
        self.weeks = value
        self.form_error = ""
        if self.time_limit_auto and value.strip().isdigit():
            self.time_limit = str(auto_time_limit(int(value)))

    @rx.event
    def set_time_limit(self, value: str):
        """Sets the solver's time limit in seconds (it then no longer follows the weeks)."""
        self.time_limit = value
        self.time_limit_auto = False
        self.form_error = ""

    @rx.event
    def set_rule_pack(self, value: str):
        """Chooses the rule pack."""
        self.rule_pack = value

    @rx.event
    def set_demand(self, value: str):
        """Chooses whether demand comes from the timetable or the rebalancing plan."""
        self.demand = value

    @rx.event
    def set_soft_rules(self, value: bool):
        """Lets rules bend at a price (breaches are reported) or keeps every rule."""
        self.soft_rules = value

    @rx.event
    def set_keep_published(self, value: bool):
        """Keeps the published rota where possible in the next build (minimal change), or not."""
        self.keep_published = bool(value)

    @rx.event
    def set_view(self, value: str):
        """Shows the rota by staff or by hub."""
        self.view = value

    @rx.event
    def set_role_filter(self, value: str):
        """Shows one role's staff only (or everyone)."""
        self.role_filter = value
        self._draw()

    @rx.event
    def set_only_rostered(self, value: bool):
        """Shows only the people with a shift or a lock in the week shown, or everyone."""
        self.only_rostered = value
        self._draw()

    @rx.event
    def show_week(self, value: str):
        """Shows another week of the rota."""
        self.week = max(0, min(self.week_count - 1, int(value)))
        self._draw()

    def _settings(self) -> RotaSettings:
        """The build's settings, or one refusal naming every field that is wrong, in words."""
        problems = []
        start = weeks = limit = None
        try:
            start = dt.date.fromisoformat(self.start_date.strip())
        except ValueError:
            problems.append(
                f"First day: '{self.start_date}' is not a date; choose one in the date picker"
                if self.start_date.strip()
                else "First day: choose the first day of the rota"
            )
        try:
            weeks = int(self.weeks.strip())
            if not 1 <= weeks <= MAX_WEEKS:
                raise ValueError
        except ValueError:
            problems.append(
                f"Weeks: '{self.weeks}' is not a whole number of weeks from 1 to {MAX_WEEKS}"
            )
        try:
            limit = float(self.time_limit.strip())
            if not 1 <= limit <= MAX_TIME_LIMIT:
                raise ValueError
        except ValueError:
            problems.append(
                f"Time limit: '{self.time_limit}' is not a number of seconds from 1 to "
                f"{MAX_TIME_LIMIT} (under Advanced)"
            )
        if not self.chosen_sites:
            problems.append("Hubs and sites: choose at least one")
        if problems or start is None or weeks is None or limit is None:
            raise InvalidInputError("; ".join(problems) + ".")
        return RotaSettings(
            start_date=start,
            weeks=weeks,
            site_codes=tuple(self.chosen_sites),
            rule_pack=self.rule_pack,
            soft_rules=self.soft_rules,
            demand=self.demand,
            time_limit_seconds=limit,
            num_workers=2,
            keep_published=self.keep_published,
        )

    @rx.event
    async def build(self):
        """Asks the server to build a rota of the accepted scenario, then watches the job."""
        session = await self.get_state(SessionState)
        picker = await self.get_state(ScenarioPicker)
        try:
            settings = self._settings()
            job_id = start_job(session.token, picker._scenario_id, "rota", settings.to_json())
        except ServiceError as error:
            # The form keeps every value typed; the reason is shown beside it and in a toast.
            self.form_error = str(error)
            return refusal(error)
        self.form_error = ""
        self._job_id, self.running, self.progress = job_id, True, 0
        self.stop_requested = False
        limit = settings.time_limit_seconds
        self.status_text = (
            f"Building the rota (time limit {limit:g} s; it stops sooner when the rota is "
            f"proven best or has not improved for {stall_seconds(limit):g} s)…"
        )
        room = await self.get_state(ScenarioRoom)
        room._refresh(
            session.token, picker._scenario_id, f"{session.user_name} started a rota build"
        )
        return RotaState.watch

    @rx.event
    async def cancel(self):
        """Cancels the build this page is watching (the solver stops within seconds)."""
        session = await self.get_state(SessionState)
        if not self._job_id:
            return rx.toast.info("There is no build to cancel.")
        try:
            job = cancel_job(session.token, self._job_id)
        except ServiceError as error:
            return refusal(error)
        self.running = job.active
        self.status_text = job.message or f"The build is {job.status}."
        return None

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
        async with self:
            session = await self.get_state(SessionState)
            token, job_id = session.token, self._job_id
        if not job_id:
            return
        job = await wait_for_job(self, token, job_id, self._show_progress)
        if isinstance(job, ServiceError):
            yield refusal(job)
            return
        if job is None:
            return
        async with self:
            if self._job_id != job_id:
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
        sites = {m.site for m in outcome.shifts.values()}
        theatre = person.role != "ward_nurse"
        self.lock_options = [{"value": "off", "label": "Day off"}] + [
            {"value": code, "label": meta.label}
            for code, meta in sorted(outcome.shifts.items())
            if meta.site in sites and (meta.kind in ("AM", "PM", "DAY")) == theatre
        ]
        return None

    @rx.event
    def set_lock_choice(self, value: str):
        """Chooses what the cell is locked to."""
        self.lock_choice = value

    @rx.event
    def close_lock(self):
        """Closes the lock panel."""
        self.lock_staff = ""

    async def _change_lock(self, shift: str | None):  # noqa: ANN202
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
        self._draw()
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


def _shift_name(outcome: RotaOutcome, shift: str) -> str:
    """A shift as the page names it ("Off" for none; the id when the rota no longer has it)."""
    if not shift:
        return "Off"
    meta = outcome.shifts.get(shift)
    return shift if meta is None else meta.label


# --- Components --------------------------------------------------------------------------------

_INPUT = {"border": f"2px solid {theme.NHS_TEXT}", "padding": "6px", "background": "#FFFFFF"}


def _labelled(label: str, html_for: str, control: rx.Component, *extra: rx.Component):  # noqa: ANN202
    # min_width 0 lets a flex item shrink below its widest option on a phone.
    return rx.vstack(
        field_label(label, html_for), control, *extra, spacing="1", min_width="0", max_width="100%"
    )


def _advanced() -> rx.Component:
    """Solver settings, collapsed: time limit, rule pack, soft rules, demand, bank holidays."""
    can_run = SessionState.permissions.contains("run_rota")
    return rx.el.details(
        rx.el.summary(
            "Advanced: time limit, rules, demand and bank holidays",
            font_weight="600",
            cursor="pointer",
            padding_y="4px",
        ),
        rx.flex(
            _labelled(
                "Time limit (seconds)",
                "rota-limit",
                rx.el.input(
                    id="rota-limit",
                    value=RotaState.time_limit,
                    on_change=RotaState.set_time_limit,
                    width="80px",
                    inputmode="numeric",
                    aria_describedby="rota-limit-hint",
                    **_INPUT,
                ),
                rx.text(
                    f"Set from the weeks ({SECONDS_PER_WEEK} s a week, at most "
                    f"{MAX_TIME_LIMIT} s) until you change it",
                    id="rota-limit-hint",
                    font_size="14px",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
            ),
            _labelled(
                "Rule pack",
                "rota-pack",
                rx.el.select(
                    rx.foreach(
                        RotaState.rule_packs, lambda p: rx.el.option(p["label"], value=p["id"])
                    ),
                    id="rota-pack",
                    value=RotaState.rule_pack,
                    on_change=RotaState.set_rule_pack,
                    width="100%",
                    max_width="420px",
                    **_INPUT,
                ),
            ),
            _labelled(
                "Demand from",
                "rota-demand",
                rx.el.select(
                    rx.el.option("The theatre timetable", value="timetable"),
                    rx.el.option("The latest rebalancing plan", value="plan"),
                    id="rota-demand",
                    value=RotaState.demand,
                    on_change=RotaState.set_demand,
                    **_INPUT,
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="start",
            margin_top="8px",
        ),
        rx.flex(
            rx.checkbox(
                "Let rules bend at a price (every breach is reported); otherwise no rule is broken",
                checked=RotaState.soft_rules,
                on_change=RotaState.set_soft_rules,
                size="3",
            ),
            rx.checkbox(
                "Keep the published rota where possible (every change is listed)",
                id="rota-keep-published",
                checked=RotaState.keep_published,
                on_change=RotaState.set_keep_published,
                size="3",
            ),
            margin_top="12px",
            gap="20px",
            wrap="wrap",
        ),
        rx.el.fieldset(
            rx.el.legend(
                "Theatre lists on England's bank holidays (none unless a hub opts in; "
                "wards are always staffed)",
                font_weight="600",
                padding_bottom="4px",
            ),
            rx.flex(
                rx.foreach(
                    RotaState.hub_sites,
                    lambda s: rx.checkbox(
                        "Lists at " + s["name"],
                        checked=RotaState.bank_holiday_sites.contains(s["code"]),
                        on_change=lambda v: RotaState.set_bank_holiday_lists(s["code"], v),
                        disabled=~(can_run & RotaState.scenario_editable),
                        size="3",
                    ),
                ),
                gap="20px",
                wrap="wrap",
            ),
            border="none",
            padding="0",
            margin_top="12px",
        ),
        id="rota-advanced",
        margin_top="16px",
        border=f"1px solid {theme.NHS_BORDER}",
        padding="8px 12px",
    )


def _settings_panel() -> rx.Component:
    can_run = SessionState.permissions.contains("run_rota")
    return panel(
        rx.flex(
            _labelled(
                "Scenario",
                "rota-scenario",
                rx.el.select(
                    rx.foreach(
                        ScenarioPicker.options, lambda s: rx.el.option(s["name"], value=s["id"])
                    ),
                    id="rota-scenario",
                    value=ScenarioPicker.chosen,
                    on_change=RotaState.choose_scenario,
                    max_width="100%",
                    **_INPUT,
                ),
            ),
            _labelled(
                "First day",
                "rota-start",
                rx.el.input(
                    id="rota-start",
                    type="date",
                    value=RotaState.start_date,
                    on_change=RotaState.set_start_date,
                    **_INPUT,
                ),
            ),
            _labelled(
                f"Weeks (1–{MAX_WEEKS})",
                "rota-weeks",
                rx.el.input(
                    id="rota-weeks",
                    value=RotaState.weeks,
                    on_change=RotaState.set_weeks,
                    width="80px",
                    inputmode="numeric",
                    **_INPUT,
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            (RotaState.scenario_status != "") & ~RotaState.scenario_editable,
            rx.box(
                rx.text(
                    "This scenario is " + RotaState.scenario_status + ": you can build and "
                    "download its rota, but locks (and bank-holiday settings) will be refused. "
                    "To lock cells, choose a draft scenario or create one from it.",
                ),
                id="rota-locked-note",
                role="note",
                margin_top="12px",
                padding="8px 12px",
                border_left=f"6px solid {theme.NHS_WARM_YELLOW}",
                background_color=theme.NHS_PALE_GREY,
            ),
        ),
        rx.el.fieldset(
            rx.el.legend("Hubs and sites", font_weight="600", padding_bottom="4px"),
            rx.flex(
                rx.foreach(
                    RotaState.sites,
                    lambda s: rx.checkbox(
                        s["name"],
                        checked=RotaState.chosen_sites.contains(s["code"]),
                        on_change=lambda v: RotaState.toggle_site(s["code"], v),
                        size="3",
                    ),
                ),
                gap="20px",
                wrap="wrap",
            ),
            border="none",
            padding="0",
            margin_top="16px",
        ),
        _advanced(),
        rx.cond(
            RotaState.form_error != "",
            rx.text(
                RotaState.form_error,
                id="rota-form-error",
                role="alert",
                color=theme.NHS_RED,
                font_weight="600",
                margin_top="12px",
            ),
        ),
        rx.flex(
            rx.cond(
                can_run,
                button("Build rota", on_click=RotaState.build, disabled=RotaState.running),
                rx.text(
                    "Your role may view rotas; a workforce lead builds them.",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
            ),
            rx.cond(
                RotaState.running & can_run,
                button(
                    "Good enough, stop now",
                    kind="secondary",
                    on_click=RotaState.stop_early,
                    disabled=RotaState.stop_requested,
                    title="Stops the search and keeps the best rota found so far",
                ),
            ),
            rx.cond(
                RotaState.running & can_run,
                button("Cancel build", kind="warning", on_click=RotaState.cancel),
            ),
            margin_top="16px",
            gap="16px",
            wrap="wrap",
        ),
        rx.cond(
            RotaState.status_text != "",
            rx.vstack(
                rx.hstack(
                    rx.cond(RotaState.running, rx.spinner()),
                    rx.text(RotaState.status_text),
                    align="center",
                ),
                rx.cond(
                    RotaState.running,
                    rx.progress(
                        value=RotaState.progress, max=100, width="100%", aria_label="Build progress"
                    ),
                ),
                role="status",
                margin_top="12px",
                width="100%",
            ),
        ),
        rx.cond(
            ScenarioRoom.last_change != "",
            rx.hstack(
                rx.text(ScenarioRoom.last_change, color=theme.NHS_SECONDARY_TEXT),
                rx.el.button(
                    "Show the newest rota",
                    on_click=RotaState.refresh_rota,
                    color=theme.NHS_BLUE,
                    text_decoration="underline",
                    background="none",
                    border="none",
                    cursor="pointer",
                ),
                margin_top="8px",
            ),
        ),
    )


def _legend() -> rx.Component:
    """What the colours and codes of the staff grid mean."""
    return rx.el.details(
        rx.el.summary("Key to the grid: sites and cell codes", font_weight="600", cursor="pointer"),
        rx.flex(
            rx.foreach(
                RotaState.site_legend,
                lambda s: rx.hstack(
                    rx.box(
                        s["code"],
                        background_color=s["colour"],
                        color="#FFFFFF",
                        font_weight="600",
                        font_size="13px",
                        padding="2px 6px",
                        border_radius="3px",
                    ),
                    rx.text(s["name"], font_size="14px"),
                    align="center",
                    spacing="2",
                ),
            ),
            gap="16px",
            wrap="wrap",
            margin_y="8px",
        ),
        rx.el.dl(
            rx.foreach(
                CODE_LEGEND,
                lambda c: rx.flex(
                    rx.el.dt(c["code"], font_weight="700", min_width="72px"),
                    rx.el.dd(c["meaning"], margin="0"),
                    gap="8px",
                ),
            ),
            display="grid",
            grid_template_columns="repeat(auto-fill, minmax(300px, 1fr))",
            gap="4px 24px",
            font_size="14px",
            margin="0",
        ),
        rx.text(
            'A cell shows the site\'s short code and the shift, e.g. "SAN AM"; click a cell '
            "to lock it.",
            font_size="14px",
            color=theme.NHS_SECONDARY_TEXT,
            margin_top="4px",
        ),
        id="rota-legend",
        open=True,
        margin_bottom="8px",
    )


def _week_picker() -> rx.Component:
    return rx.hstack(
        field_label("Week", "rota-week"),
        rx.el.select(
            rx.foreach(
                rx.Var.range(RotaState.week_count),
                lambda i: rx.el.option("Week " + (i + 1).to_string(), value=i.to_string()),
            ),
            id="rota-week",
            value=RotaState.week.to_string(),
            on_change=RotaState.show_week,
            **_INPUT,
        ),
        rx.cond(
            RotaState.view == "staff",
            rx.hstack(
                field_label("Role", "rota-role"),
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in ROLE_FILTERS],
                    id="rota-role",
                    value=RotaState.role_filter,
                    on_change=RotaState.set_role_filter,
                    **_INPUT,
                ),
                rx.checkbox(
                    "Only people with shifts this week",
                    checked=RotaState.only_rostered,
                    on_change=RotaState.set_only_rostered,
                    size="3",
                ),
                align="center",
                spacing="3",
            ),
        ),
        rx.spacer(),
        button("Download CSV", kind="secondary", on_click=RotaState.download("csv")),
        button("Download Excel", kind="secondary", on_click=RotaState.download("xlsx")),
        align="center",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def _day_header() -> rx.Component:
    return rx.foreach(
        RotaState.day_headers,
        lambda d: rx.el.th(
            d["label"],
            rx.cond(
                d["holiday"] != "",
                rx.text(d["holiday"], font_size="12px", color=theme.NHS_RED, font_weight="600"),
            ),
            scope="col",
            padding="6px 4px",
            font_size="14px",
            min_width="84px",
            background_color=rx.cond(d["weekend"] != "", theme.NHS_PALE_GREY, "#FFFFFF"),
        ),
    )


def _staff_grid() -> rx.Component:
    return rx.el.table(
        rx.el.caption(
            "Rota by staff: who works where and when (click a cell to lock it)",
            text_align="left",
            font_size="18px",
            font_weight="600",
            padding_bottom="8px",
        ),
        rx.el.thead(
            rx.el.tr(
                rx.el.th("Staff", scope="col", text_align="left", padding="6px 8px"),
                rx.el.th("Trust", scope="col", padding="6px 4px", min_width="160px"),
                rx.el.th("Hours", scope="col", padding="6px 4px"),
                _day_header(),
                border_bottom=f"2px solid {theme.NHS_TEXT}",
            )
        ),
        rx.el.tbody(
            rx.foreach(
                RotaState.grid,
                lambda row: rx.el.tr(
                    rx.el.th(
                        rx.text(row.label, font_weight="600", font_size="14px"),
                        rx.text(row.role, font_size="13px", color=theme.NHS_SECONDARY_TEXT),
                        scope="row",
                        text_align="left",
                        padding="4px 8px",
                    ),
                    rx.el.td(row.trust, padding="4px", font_size="13px"),
                    rx.el.td(row.hours, padding="4px", font_size="14px"),
                    rx.foreach(
                        row.cells,
                        lambda c: rx.el.td(
                            rx.el.button(
                                c.text,
                                aria_label=c.aria,
                                on_click=RotaState.pick_cell(c.staff, c.date),
                                background_color=c.background,
                                color=c.colour,
                                border=c.border,
                                width="100%",
                                min_height="32px",
                                font_size="13px",
                                font_weight="600",
                                cursor="pointer",
                                border_radius="3px",
                            ),
                            padding="2px",
                        ),
                    ),
                    border_bottom=f"1px solid {theme.NHS_BORDER}",
                ),
            )
        ),
        border_collapse="collapse",
        width="100%",
        class_name="figures rota-grid",
    )


def _hub_grid() -> rx.Component:
    return rx.el.table(
        rx.el.caption(
            "Rota by hub: staffed / wanted for every session and ward shift (gaps in red)",
            text_align="left",
            font_size="18px",
            font_weight="600",
            padding_bottom="8px",
        ),
        rx.el.thead(
            rx.el.tr(
                rx.el.th("Session and skill", scope="col", text_align="left", padding="6px 8px"),
                _day_header(),
                border_bottom=f"2px solid {theme.NHS_TEXT}",
            )
        ),
        rx.el.tbody(
            rx.foreach(
                RotaState.needs,
                lambda row: rx.el.tr(
                    rx.el.th(
                        row.label,
                        scope="row",
                        text_align="left",
                        padding="4px 8px",
                        font_size="14px",
                    ),
                    rx.foreach(
                        row.cells,
                        lambda c: rx.el.td(
                            c.text,
                            aria_label=c.aria,
                            background_color=c.background,
                            color=c.colour,
                            text_align="center",
                            font_weight="600",
                            font_size="14px",
                            padding="4px",
                            border=f"1px solid {theme.NHS_BORDER}",
                        ),
                    ),
                ),
            )
        ),
        border_collapse="collapse",
        width="100%",
        class_name="figures rota-grid",
    )


def _lock_panel() -> rx.Component:
    can_run = SessionState.permissions.contains("run_rota")
    return rx.cond(
        RotaState.lock_staff != "",
        panel(
            rx.heading(
                "Lock " + RotaState.lock_label + " on " + RotaState.lock_when,
                as_="h2",
                size="5",
            ),
            rx.text(
                rx.cond(
                    RotaState.lock_locked,
                    "This cell is locked: every build keeps it.",
                    "Lock this cell to keep it in every build; the solver re-plans around it.",
                ),
                color=theme.NHS_SECONDARY_TEXT,
                margin_y="8px",
            ),
            rx.cond(
                can_run,
                rx.hstack(
                    field_label("Lock to", "rota-lock-choice"),
                    rx.el.select(
                        rx.foreach(
                            RotaState.lock_options,
                            lambda o: rx.el.option(o["label"], value=o["value"]),
                        ),
                        id="rota-lock-choice",
                        value=RotaState.lock_choice,
                        on_change=RotaState.set_lock_choice,
                        **_INPUT,
                    ),
                    button("Lock", on_click=RotaState.lock),
                    rx.cond(
                        RotaState.lock_locked,
                        button("Unlock", kind="warning", on_click=RotaState.unlock),
                    ),
                    button("Close", kind="secondary", on_click=RotaState.close_lock),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                button("Close", kind="secondary", on_click=RotaState.close_lock),
            ),
            margin_top="16px",
            border=f"3px solid {theme.NHS_WARM_YELLOW}",
        ),
    )


def _published_panel() -> rx.Component:
    """Publish the rota shown; the publications to download; the changes to the published one."""
    can_run = SessionState.permissions.contains("run_rota")
    return panel(
        rx.heading("Published rota", as_="h2", size="5"),
        rx.cond(
            RotaState.published_note != "",
            notice(RotaState.published_note, tone="success"),
            rx.text("No rota of this scenario has been published yet.", margin_y="4px"),
        ),
        rx.cond(
            can_run,
            rx.hstack(
                button(
                    "Publish this rota",
                    on_click=RotaState.publish,
                    disabled=RotaState.running,
                    id="rota-publish",
                    white_space="nowrap",
                    flex_shrink="0",
                ),
                rx.text(
                    "Publishing makes the rota shown the approved, read-only version of its "
                    "period for everyone in the collaborative; a later publication supersedes it.",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                align="center",
                spacing="3",
                margin_top="8px",
            ),
        ),
        rx.cond(
            RotaState.changes_note != "",
            rx.box(
                rx.heading("Changes to the published rota", as_="h3", size="4", margin_top="12px"),
                rx.text(RotaState.changes_note, id="rota-changes-note", margin_y="4px"),
                rx.cond(
                    RotaState.changes.length() > 0,
                    rx.box(
                        figures_table(
                            "Each published day this build changed",
                            ["Person", "Day", "Was", "Now", "Why"],
                            RotaState.changes,
                            ["person", "date", "was", "now", "why"],
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                ),
                id="rota-changes",
            ),
        ),
        rx.cond(
            RotaState.published.length() > 0,
            rx.box(
                rx.el.table(
                    rx.el.caption(
                        "Publications, newest first", text_align="left", font_weight="600"
                    ),
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col", text_align="left", padding="4px 8px")
                                for h in ("Period", "Published", "By", "Run", "State", "Download")
                            ]
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            RotaState.published,
                            lambda p: rx.el.tr(
                                rx.el.td(p["period"], padding="4px 8px"),
                                rx.el.td(p["at"], padding="4px 8px"),
                                rx.el.td(p["by"], padding="4px 8px"),
                                rx.el.td(p["run"], padding="4px 8px"),
                                rx.el.td(p["state"], padding="4px 8px"),
                                rx.el.td(
                                    rx.hstack(
                                        *[
                                            button(
                                                label,
                                                kind="secondary",
                                                on_click=RotaState.download_published(p["id"], fmt),
                                                aria_label="Download the published rota of "
                                                + p["period"]
                                                + f" as {label}",
                                            )
                                            for label, fmt in (("CSV", "csv"), ("Excel", "xlsx"))
                                        ],
                                        spacing="2",
                                    ),
                                    padding="4px 8px",
                                ),
                            ),
                        )
                    ),
                    id="rota-publications",
                    width="100%",
                ),
                overflow_x="auto",
                margin_top="12px",
                width="100%",
            ),
        ),
        margin_top="16px",
    )


def _results() -> rx.Component:
    return rx.fragment(
        rx.cond(
            RotaState.infeasible.length() > 0,
            panel(
                rx.heading("These rules cannot all hold together", as_="h2", size="5"),
                rx.text(
                    "Remove a lock or let rules bend at a price; the conflicting rules are:",
                    margin_y="8px",
                ),
                rx.el.ul(rx.foreach(RotaState.infeasible, lambda t: rx.el.li(t))),
                margin_top="16px",
                border=f"3px solid {theme.NHS_RED}",
            ),
        ),
        rx.cond(
            RotaState.has_rota,
            rx.fragment(
                panel(
                    rx.text(RotaState.headline, font_weight="600", font_size="18px"),
                    rx.text(
                        RotaState.cost_headline,
                        id="rota-cost",
                        font_weight="600",
                        font_size="18px",
                        margin_top="8px",
                    ),
                    rx.text(RotaState.stats, color=theme.NHS_SECONDARY_TEXT, margin_top="4px"),
                    margin_top="16px",
                ),
                panel(
                    rx.tabs.root(
                        rx.tabs.list(
                            rx.tabs.trigger("By staff", value="staff"),
                            rx.tabs.trigger("By hub", value="hub"),
                        ),
                        rx.box(_week_picker(), margin_y="12px"),
                        rx.tabs.content(
                            _legend(),
                            rx.box(
                                _staff_grid(),
                                overflow="auto",
                                max_height="75vh",
                                class_name="rota-scroll",
                            ),
                            value="staff",
                        ),
                        rx.tabs.content(
                            rx.box(
                                _hub_grid(),
                                overflow="auto",
                                max_height="75vh",
                                class_name="rota-scroll",
                            ),
                            value="hub",
                        ),
                        value=RotaState.view,
                        on_change=RotaState.set_view,
                    ),
                    margin_top="16px",
                ),
                _lock_panel(),
                _published_panel(),
                figures_table(
                    "Compliance with each rule",
                    ["Rule", "Hard or soft", "Breaches", "People at the limit"],
                    RotaState.compliance,
                    ["rule", "mode", "breaches", "at_limit"],
                ),
                figures_table(
                    "Cost of the rota",
                    ["Source", "Shifts or places", "Hours", "Cost"],
                    RotaState.cost,
                    ["source", "shifts", "hours", "cost"],
                ),
                rx.cond(
                    RotaState.limits.length() > 0,
                    figures_table(
                        "What binds: shortfalls and rule breaches",
                        ["Limit", "Where", "When", "By", "Unit"],
                        RotaState.limits,
                        ["limit", "where", "when", "by", "unit"],
                    ),
                ),
            ),
        ),
    )


@protected_page("/rota", "Rota", on_load=[RotaState.load])
def rota_page() -> rx.Component:
    """The shared workforce rota page."""
    return page_shell(
        rx.heading("Shared workforce rota", as_="h1", size="8"),
        rx.text(
            "Build one rota for the hubs' theatre lists and wards from the staff of every trust: "
            "each list needs a surgeon of its specialty, an anaesthetist, two scrub practitioners "
            "and an ODP; wards need a registered nurse per eight occupied beds. The rota keeps "
            "the UK working-time rules of the chosen pack, uses substantive staff before bank, "
            "and prices every gap at the agency cap.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
            max_width="70em",
        ),
        _settings_panel(),
        _results(),
    )
