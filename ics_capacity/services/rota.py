"""The shared workforce rota of a scenario: DB rows -> rota problem -> solve -> the rota people see.

Demand (docs/rota.md, "In the app"):

* theatre lists: each chosen site runs `theatres` lists on each of its operating days (Monday
  first; 6 days at elective hubs, 5 at main sites), each list a day of `sessions_per_week x
  session_minutes / operating days` minutes, split into a morning and an afternoon half. Lists are
  shared between the site's treatment functions in proportion to the collaborative's admitted
  waiting list (RTT Part_2A). With `demand="plan"`, a week's lists are instead those the latest
  rebalancing plan needs at the site (its cases x minutes per case / usable list minutes);
* every list needs the team of `THEATRE_TEAM` in both halves (a surgeon of the list's specialty,
  an anaesthetist, 2 scrub practitioners, an ODP); a person on the all-day shift covers both;
* wards: registered nurses on the long day and the night, one per `PATIENTS_PER_WARD_NURSE`
  occupied elective beds (beds x occupancy target), 7 days a week;
* no theatre lists on England's bank holidays (the `holidays` package's calendar,
  `holidays.country_holidays("GB", subdiv="ENG")`, substitute days included) unless the site
  opts in (`Site.bank_holiday_lists`); wards are staffed on those days as on any other.

Staff come from the scenario's rota staff list (`RotaStaff`, with leave and wishes); the rule pack
chosen decides the limits of each person by contract. The objective is in pence (see
`OBJECTIVE_PRICES_SOURCE`): gaps at the agency price, shifts at substantive or bank cost, then
wishes, fairness and travel. Every result is re-checked by the independent checker before it is
shown.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import holidays
import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    Organisation,
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
    Scenario,
    Site,
    SiteTreatmentFunction,
    SolveJob,
    TheatreCapacity,
    WaitingList,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import (
    CASE_MIX,
    HUB_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    SESSION_MINUTES,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.rota_assumptions import (
    AGENCY_ON_COST,
    BANK_ON_COST,
    BASIC_HOURLY_PENCE,
    CONTRACTED_MINUTES_PER_WEEK,
    COVER_FIRST_PENCE,
    FAIRNESS_PENCE,
    PATIENTS_PER_WARD_NURSE,
    PUBLISHED_CHANGE_PENCE,
    REQUEST_PENCE,
    RESIDENT_DOCTOR_BASIC_HOURLY_PENCE,
    SUBSTANTIVE_ON_COST,
    THEATRE_DAY_START_MINUTE,
    THEATRE_TEAM,
    TRAVEL_PENCE_PER_MINUTE,
    WARD_LONG_DAY,
    WARD_NIGHT,
)
from ics_capacity.domain.staff import Employment, StaffContract, StaffRole
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rota_history import HistoryRow
from ics_capacity.services.jobs import latest_result
from ics_capacity.services.readiness import require_ready, rota_reasons
from ics_capacity.services.rebalance import travel_minutes
from ics_capacity.services.results import (
    Cell,
    ComplianceRow,
    CostLine,
    GapCost,
    HardViolation,
    HistoryUsed,
    LimitRow,
    LockRow,
    PublishedChangeRow,
    PublishedUsed,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    SessionRow,
    ShiftMeta,
    StaffRow,
    StoredResultError,
    stored_rebalance,
    stored_rota,
)
from ics_capacity.services.rota_published import published_days, published_outcome
from ics_capacity.services.scenarios import (
    EDITABLE_STATUSES,
    ConflictError,
    NotFoundError,
    ScenarioError,
    ScenarioUse,
    audit,
    audit_download,
    scenario_transaction,
)
from ics_capacity.services.spreadsheets import csv_dicts, xlsx_bytes
from solvers.common import SolveOptions
from solvers.rota import rules
from solvers.rota.check import RotaCheck, check_rota
from solvers.rota.model import solve_rota
from solvers.rota.schema import (
    PENALTY_UNIT,
    CoverRequirement,
    Fairness,
    LockedAssignment,
    PastShift,
    RotaInput,
    RotaResult,
    RuleFamily,
    RuleMode,
    ShiftRequest,
    ShiftType,
    Staff,
)

MAX_WEEKS = 12
# Days before a rota whose shifts its rolling rules count (docs/rota.md, "History carried in"):
# the longest look-back of the packs is 48 h in 14 days (WTR reg 11(2)(b)).
HISTORY_DAYS = 14
# Finished builds searched for the rota just before a new one (newest first).
PREVIOUS_ROTAS_LOOKED_AT = 50
STALL_MIN_SECONDS = 15.0
STALL_SHARE = 0.25
ADMITTED_PART = "Part_2A"
THEATRE_KINDS = ("AM", "PM", "DAY")
WARD_KINDS = ("LD", "N")
KIND_LABELS = {
    "AM": "Morning list",
    "PM": "Afternoon list",
    "DAY": "All-day list",
    "LD": "Ward long day",
    "N": "Ward night",
}
ROLE_LABELS = {
    StaffRole.SURGEON: "Surgeon",
    StaffRole.ANAESTHETIST: "Anaesthetist",
    StaffRole.SCRUB: "Scrub practitioner",
    StaffRole.ODP: "ODP",
    StaffRole.WARD_NURSE: "Ward nurse",
}
# A breach of a soft rule costs this many pence per unit (a minute for the hour rules, else one
# day, weekend, shift or succession); only used when the planner lets rules bend.
SOFT_RULE_PENCE_PER_MINUTE = 100
SOFT_RULE_PENCE_PER_UNIT = 20_000
_MINUTE_RULES = {
    RuleFamily.MAX_TOTAL_MINUTES,
    RuleFamily.MIN_TOTAL_MINUTES,
    RuleFamily.MAX_MINUTES_IN_WINDOW,
}
RULE_LABELS: dict[RuleFamily, str] = {
    RuleFamily.ONE_SHIFT_PER_DAY: "One shift a day",
    RuleFamily.LOCKED: "Locked assignments kept",
    RuleFamily.SITE_ACCESS: "Only at sites the person may work at (passporting)",
    RuleFamily.DAYS_OFF: "No work on leave or fixed days off",
    RuleFamily.MAX_SHIFTS_PER_TYPE: "Only shifts of the person's role; no shift over 13 h",
    RuleFamily.MAX_TOTAL_MINUTES: "Hours within contract and 48 h average week",
    RuleFamily.MIN_TOTAL_MINUTES: "Minimum contracted hours",
    RuleFamily.MAX_CONSECUTIVE_SHIFTS: "Days in a row (7 in a row for residents)",
    RuleFamily.MIN_CONSECUTIVE_SHIFTS: "Minimum run of shifts",
    RuleFamily.MIN_CONSECUTIVE_DAYS_OFF: "Minimum run of days off",
    RuleFamily.MAX_WEEKENDS: "Weekends (Saturday and Sunday) within the contract's maximum",
    RuleFamily.BANNED_SUCCESSION: "11 h daily rest between shifts",
    RuleFamily.MAX_CONSECUTIVE_OF_KIND: "Nights and long shifts in a row (residents)",
    RuleFamily.MAX_MINUTES_IN_WINDOW: "72 h in any 7 days (residents)",
    RuleFamily.REST_AFTER_RUN: (
        "Rest after a run: 46 h after 3 or more nights, 48 h after 4 long shifts or 7 shifts "
        "in a row (residents)"
    ),
    RuleFamily.WEEKEND_FREQUENCY: (
        "At most one weekend (Friday 21:00 to Monday 07:00) in any two (residents)"
    ),
    RuleFamily.WEEKLY_REST: "24 h uninterrupted rest in each week (Working Time Regulations)",
}


@dataclass(frozen=True)
class RulePackChoice:
    """A rule pack a planner can choose: which UK packs apply to which contracts."""

    id: str
    label: str
    packs: tuple[tuple[rules.RulePack, frozenset[StaffContract] | None], ...]


RULE_PACKS: dict[str, RulePackChoice] = {
    c.id: c
    for c in (
        RulePackChoice(
            "uk_default",
            "UK defaults: Working Time Regulations for all, Agenda for Change 37.5 h, "
            "2016 terms for resident doctors",
            (
                (rules.UK_WORKING_TIME_REGULATIONS, None),
                (rules.AGENDA_FOR_CHANGE, frozenset({StaffContract.AGENDA_FOR_CHANGE})),
                (
                    rules.DOCTORS_IN_TRAINING_2016,
                    frozenset({StaffContract.RESIDENT_DOCTOR_2016}),
                ),
            ),
        ),
        RulePackChoice(
            "wtr_only",
            "Working Time Regulations only (the statutory floor)",
            ((rules.UK_WORKING_TIME_REGULATIONS, None),),
        ),
        RulePackChoice(
            "doctors_2016_all",
            "UK defaults, with the 2016 resident doctors' limits applied to consultants too",
            (
                (rules.UK_WORKING_TIME_REGULATIONS, None),
                (rules.AGENDA_FOR_CHANGE, frozenset({StaffContract.AGENDA_FOR_CHANGE})),
                (
                    rules.DOCTORS_IN_TRAINING_2016,
                    frozenset({StaffContract.RESIDENT_DOCTOR_2016, StaffContract.CONSULTANT_2003}),
                ),
            ),
        ),
    )
}


class RotaSettingsError(ScenarioError):
    """The rota settings cannot be used; `problems` say which and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RotaSettings:
    """What the planner asks for: period, sites, rules, demand source and solver limits."""

    start_date: dt.date
    weeks: int
    site_codes: tuple[str, ...]
    rule_pack: str = "uk_default"
    soft_rules: bool = False
    demand: str = "timetable"
    time_limit_seconds: float = 20.0
    num_workers: int = 2
    seed: int = 0
    keep_published: bool = True
    """Keep the scenario's published rota where possible (minimal change, docs/rota.md)."""

    def problems(self) -> list[str]:
        """Every reason these settings cannot be used, in planners' words."""
        found = []
        if not 1 <= self.weeks <= MAX_WEEKS:
            found.append(f"weeks: {self.weeks} is outside 1 to {MAX_WEEKS}")
        if not self.site_codes:
            found.append("sites: choose at least one hub or site")
        if self.rule_pack not in RULE_PACKS:
            found.append(f"rule pack: '{self.rule_pack}' is not one of {', '.join(RULE_PACKS)}")
        if self.demand not in ("timetable", "plan"):
            found.append("demand: 'timetable' or 'plan'")
        if not 1 <= self.time_limit_seconds <= 600:
            found.append("time limit: 1 to 600 seconds")
        if not 1 <= self.num_workers <= 16:
            found.append("workers: 1 to 16")
        return found

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON (kept on the job record)."""
        return {
            "start_date": self.start_date.isoformat(),
            "weeks": self.weeks,
            "site_codes": list(self.site_codes),
            "rule_pack": self.rule_pack,
            "soft_rules": self.soft_rules,
            "demand": self.demand,
            "time_limit_seconds": self.time_limit_seconds,
            "num_workers": self.num_workers,
            "seed": self.seed,
            "keep_published": self.keep_published,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RotaSettings:
        """Settings back from a job record."""
        return cls(
            start_date=dt.date.fromisoformat(raw["start_date"]),
            weeks=int(raw["weeks"]),
            site_codes=tuple(raw["site_codes"]),
            rule_pack=raw.get("rule_pack", "uk_default"),
            soft_rules=bool(raw.get("soft_rules", False)),
            demand=raw.get("demand", "timetable"),
            time_limit_seconds=float(raw.get("time_limit_seconds", 20)),
            num_workers=int(raw.get("num_workers", 2)),
            seed=int(raw.get("seed", 0)),
            keep_published=bool(raw.get("keep_published", True)),
        )


@dataclass(frozen=True)
class PersonInfo:
    """What the page shows of a person beside their row of the rota."""

    code: str
    label: str
    role: str
    grade: str
    trust: str
    home_site: str
    employment: str
    contract: str
    hourly_cost_pence: int
    trust_name: str = ""
    home_site_name: str = ""


@dataclass(frozen=True)
class SlotNeed:
    """Staff of one skill wanted at one site on one day in one slot (a half-day list or a shift)."""

    site: str
    day: int
    kind: str
    skill: str
    role: str
    required: int
    agency_pence: int


@dataclass
class RotaProblem:
    """A scenario's rota problem and what is needed to show its answer in planners' words."""

    data: RotaInput
    settings: RotaSettings
    dates: list[dt.date]
    people: dict[str, PersonInfo]
    shifts: dict[str, dict[str, Any]]
    needs: list[SlotNeed]
    lists: dict[tuple[str, int], int]
    list_minutes: dict[str, int]
    ignored_locks: list[str] = field(default_factory=list)
    bank_holidays: dict[dt.date, str] = field(default_factory=dict)
    bank_holiday_list_sites: tuple[str, ...] = ()
    history: HistoryUsed | None = None
    published: PublishedUsed | None = None


def bank_holidays(dates: list[dt.date]) -> dict[dt.date, str]:
    """England's bank holidays among these dates, by name, substitute days included.

    The calendar is the `holidays` package's (`country_holidays("GB", subdiv="ENG")`), an
    established, maintained one, rather than a list kept here.
    """
    if not dates:
        return {}
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=sorted({d.year for d in dates}))
    return {d: str(calendar[d]) for d in dates if d in calendar}


def list_days(site: Site, dates: list[dt.date], closed: dict[dt.date, str]) -> list[int]:
    """The days (0-based) a site runs theatre lists: its operating weekdays, less bank holidays.

    `closed` are the bank holidays (`bank_holidays`); a site with `bank_holiday_lists` runs its
    lists on them too.
    """
    days_open = _operating_days(site)
    return [
        day
        for day, date in enumerate(dates)
        if date.weekday() < days_open and (site.bank_holiday_lists or date not in closed)
    ]


def next_monday(today: dt.date | None = None) -> dt.date:
    """The first Monday after today (a rota usually starts on a Monday)."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


# --- Building the problem ----------------------------------------------------------------------


def rota_problem(
    session: Session,
    scenario: Scenario,
    settings: RotaSettings,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaProblem:
    """The rota problem of a scenario under these settings (reads only).

    The shifts of the 14 days before the start count towards every rolling rule: those of
    `history` (an uploaded record, `importers.rota_history`) when given, else those of the
    scenario's last rota when it ends the day before this one starts.

    Raises:
        RotaSettingsError: If the settings are unusable or name sites the scenario lacks.
        ImportValidationError: If the uploaded history names shifts or dates this rota lacks.
    """
    require_ready("rota", rota_reasons(session, scenario, settings.site_codes))
    problems = settings.problems()
    if problems:
        raise RotaSettingsError(problems)
    sites = {
        s.code: s for s in session.exec(select(Site).where(Site.scenario_id == scenario.id)).all()
    }
    unknown = [c for c in settings.site_codes if c not in sites]
    if unknown:
        raise RotaSettingsError([f"sites: {', '.join(unknown)} are not sites of this scenario"])
    chosen = [sites[c] for c in settings.site_codes]
    horizon = settings.weeks * 7
    dates = [settings.start_date + dt.timedelta(days=d) for d in range(horizon)]
    theatres, beds = site_capacity(session, scenario.id)
    shift_types, shift_meta, list_minutes = _shift_types(chosen, theatres, beds)
    closed = bank_holidays(dates)
    lists, tfc_lists = _theatre_lists(session, scenario, settings, chosen, theatres, dates, closed)
    needs = _needs(chosen, beds, dates, lists, tfc_lists, list_minutes)
    people, staff_rows = _people(session, scenario, settings, sites)
    if not staff_rows:
        raise RotaSettingsError(
            ["staff: nobody on this scenario's rota staff list may work at the chosen sites"]
        )
    staff = _staff(session, staff_rows, people, settings, sites, shift_types, dates)
    locks, ignored = _locks(session, scenario, staff_rows, dates, shift_meta)
    requests = _requests(session, staff_rows, dates, settings)
    data = RotaInput(
        horizon_days=horizon,
        first_weekday=settings.start_date.weekday(),
        shift_types=tuple(shift_types),
        staff=tuple(staff),
        cover=tuple(
            CoverRequirement(
                day=n.day,
                shift_id=f"{n.site}-{n.kind}",
                skill=n.skill,
                required=n.required,
                under_weight=n.agency_pence + COVER_FIRST_PENCE,
                over_weight=0,
            )
            for n in needs
        ),
        requests=tuple(requests),
        locked=tuple(locks),
        rule_modes=_rule_modes(settings.soft_rules),
        travel_weight=TRAVEL_PENCE_PER_MINUTE,
        fairness=Fairness(
            nights_weight=FAIRNESS_PENCE,
            weekends_weight=FAIRNESS_PENCE,
            cross_site_weight=FAIRNESS_PENCE,
        ),
    )
    choice = RULE_PACKS[settings.rule_pack]
    contracts = {p.code: StaffContract(p.contract) for p in people.values()}
    for pack, applies_to in choice.packs:
        ids = None if applies_to is None else {c for c, k in contracts.items() if k in applies_to}
        if ids is None or ids:
            data = rules.apply_rule_pack(data, pack, ids)
    if history is not None:
        past, used = _uploaded_history(data, settings.start_date, history, history_file)
    else:
        past, used = _previous_rota_history(session, scenario.id, data, settings.start_date)
    if used is not None:
        data = RotaInput.model_validate(
            {**data.model_dump(), "history": past, "history_days": used.days}
        )
    published: PublishedUsed | None = None
    if settings.keep_published:
        kept, published = published_days(session, scenario.id, dates)
        if published is not None:
            data = RotaInput.model_validate(
                {
                    **data.model_dump(),
                    "published": kept,
                    "published_weight": PUBLISHED_CHANGE_PENCE,
                }
            )
    return RotaProblem(
        data=data,
        settings=settings,
        dates=dates,
        people=people,
        shifts=shift_meta,
        needs=needs,
        lists=lists,
        list_minutes=list_minutes,
        ignored_locks=ignored,
        bank_holidays=closed,
        bank_holiday_list_sites=tuple(s.code for s in chosen if s.bank_holiday_lists),
        history=used,
        published=published,
    )


def _uploaded_history(
    data: RotaInput, start: dt.date, rows: list[HistoryRow], file: str
) -> tuple[list[PastShift], HistoryUsed]:
    """An uploaded record as the rota's history: every row must fit the rota's 14 days before.

    Rows of people not on this rota are left out (and said so): they cannot affect it. A shift
    this rota does not have cannot be judged (its times are not known), so it is refused.

    Raises:
        ImportValidationError: With every row whose date or shift does not fit.
    """
    first = start - dt.timedelta(days=HISTORY_DAYS)
    staff = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    problems: list[ImportProblem] = []
    past: list[PastShift] = []
    others: set[str] = set()
    for r in rows:
        if not first <= r.date < start:
            problems.append(
                ImportProblem(
                    file,
                    r.row,
                    "date",
                    r.date.isoformat(),
                    f"is not one of the {HISTORY_DAYS} days before the rota starts "
                    f"({first.isoformat()} to {(start - dt.timedelta(days=1)).isoformat()}).",
                )
            )
        if r.shift_code not in shifts:
            some = ", ".join(sorted(shifts)[:4])
            problems.append(
                ImportProblem(
                    file,
                    r.row,
                    "shift code",
                    r.shift_code,
                    f"is not a shift of this rota (such as {some}); its times are not known.",
                )
            )
        if r.staff_code not in staff:
            others.add(r.staff_code)
        elif first <= r.date < start and r.shift_code in shifts:
            past.append(
                PastShift(staff_id=r.staff_code, day=(r.date - start).days, shift_id=r.shift_code)
            )
    if problems:
        raise ImportValidationError(problems)
    ignored = (
        (f"{len(others)} people not on this rota's staff list (e.g. {min(others)})",)
        if others
        else ()
    )
    return past, _history_used(f"uploaded file {file}".strip(), start, HISTORY_DAYS, past, ignored)


def _previous_rota(session: Session, scenario_id: int, start: dt.date) -> RotaOutcome | None:
    """The newest finished rota of the scenario that ends the day before `start`, if any.

    Found by the settings each build keeps (`SolveJob.parameters`), so a rebuild of the new
    period still finds the rota before it; only that one result is read.
    """
    runs = session.exec(
        select(SolveJob.id, SolveJob.parameters)
        .where(
            SolveJob.scenario_id == scenario_id,
            SolveJob.kind == "rota",
            SolveJob.status == "done",
        )
        .order_by(col(SolveJob.id).desc())
        .limit(PREVIOUS_ROTAS_LOOKED_AT)
    ).all()
    for job_id, parameters in runs:
        try:
            settings = RotaSettings.from_json(json.loads(parameters))
        except (ValueError, KeyError, TypeError):
            continue
        if settings.start_date + dt.timedelta(days=7 * settings.weeks) != start:
            continue
        job = session.get(SolveJob, job_id)
        try:
            previous = stored_rota(job.result or "", job_id=job_id) if job else None
        except StoredResultError:
            continue
        if previous is not None and previous.dates and previous.has_rota:
            last = dt.date.fromisoformat(previous.dates[-1])
            if last + dt.timedelta(days=1) == start:
                return previous
    return None


def _previous_rota_history(
    session: Session, scenario_id: int, data: RotaInput, start: dt.date
) -> tuple[list[PastShift], HistoryUsed | None]:
    """The last 14 days of the scenario's newest rota ending the day before `start`, if any."""
    previous = _previous_rota(session, scenario_id, start)
    if previous is None:
        return [], None
    dates = [dt.date.fromisoformat(d) for d in previous.dates]
    days = min(HISTORY_DAYS, len(dates))
    staff = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    past: list[PastShift] = []
    others: set[str] = set()
    unknown: set[str] = set()
    for a in previous.assignments:
        day = (dates[a.day] - start).days
        if day < -days:
            continue
        if a.staff_id not in staff:
            others.add(a.staff_id)
        elif a.shift_id not in shifts:
            unknown.add(a.shift_id)
        else:
            past.append(PastShift(staff_id=a.staff_id, day=day, shift_id=a.shift_id))
    ignored = []
    if others:
        ignored.append(f"{len(others)} people not on this rota's staff list (e.g. {min(others)})")
    if unknown:
        names = ", ".join(sorted(unknown))
        ignored.append(f"shifts this rota does not have, whose times are not known: {names}")
    source = f"previous rota ({previous.dates[0]} to {previous.dates[-1]})"
    return past, _history_used(source, start, days, past, tuple(ignored))


def _history_used(
    source: str, start: dt.date, days: int, past: list[PastShift], ignored: tuple[str, ...]
) -> HistoryUsed:
    return HistoryUsed(
        source=source,
        first_date=(start - dt.timedelta(days=days)).isoformat(),
        last_date=(start - dt.timedelta(days=1)).isoformat(),
        days=days,
        people=len({p.staff_id for p in past}),
        shifts=len(past),
        ignored=ignored,
    )


def site_capacity(
    session: Session, scenario_id: int
) -> tuple[dict[int, TheatreCapacity], dict[int, BedCapacity]]:
    """The scenario's theatre and bed rows, each keyed by site id."""
    theatres = session.exec(
        select(TheatreCapacity).where(TheatreCapacity.scenario_id == scenario_id)
    ).all()
    beds = session.exec(select(BedCapacity).where(BedCapacity.scenario_id == scenario_id)).all()
    return {t.site_id: t for t in theatres}, {b.site_id: b for b in beds}


def admitted_waiting_by_tfc(session: Session, scenario_id: int) -> dict[str, int]:
    """Patients on the admitted waiting lists (RTT Part_2A) by treatment function."""
    return dict(
        session.exec(
            select(WaitingList.tfc, sa.func.sum(WaitingList.patients))
            .where(WaitingList.scenario_id == scenario_id, WaitingList.part == ADMITTED_PART)
            .group_by(WaitingList.tfc)
        ).all()
    )


def _rule_modes(soft: bool) -> dict[RuleFamily, RuleMode]:
    if not soft:
        return {}
    return {
        family: RuleMode(
            hard=False,
            weight=SOFT_RULE_PENCE_PER_MINUTE
            if family in _MINUTE_RULES
            else SOFT_RULE_PENCE_PER_UNIT,
        )
        for family in PENALTY_UNIT
    }


def _operating_days(site: Site) -> int:
    return (
        HUB_OPERATING_DAYS_PER_WEEK if site.is_elective_hub else MAIN_SITE_OPERATING_DAYS_PER_WEEK
    )


def _shift_types(
    chosen: list[Site],
    theatres: dict[int, TheatreCapacity],
    beds: dict[int, BedCapacity],
) -> tuple[list[ShiftType], dict[str, dict[str, Any]], dict[str, int]]:
    """The shifts of each chosen site: list halves and the all-day list; ward long day and night."""
    shifts: list[ShiftType] = []
    meta: dict[str, dict[str, Any]] = {}
    list_minutes: dict[str, int] = {}

    def add(site: Site, kind: str, start: int, minutes: int, counts_as: frozenset[str]) -> None:
        shift = ShiftType(
            id=f"{site.code}-{kind}",
            duration_minutes=minutes,
            start_minute=start % (24 * 60),
            site=site.code,
            counts_as=counts_as,
        )
        shift = shift.model_copy(update={"night": rules.is_night_shift(shift)})
        shifts.append(shift)
        meta[shift.id] = {
            "site": site.code,
            "site_name": site.name,
            "kind": kind,
            "label": f"{site.name}: {KIND_LABELS[kind]}",
            "start": f"{start // 60 % 24:02d}:{start % 60:02d}",
            "end": f"{(start + minutes) // 60 % 24:02d}:{(start + minutes) % 60:02d}",
            "minutes": minutes,
        }

    for site in chosen:
        theatre = theatres.get(site.id)
        if theatre is not None and theatre.theatres > 0 and theatre.sessions_per_week > 0:
            day_minutes = round(
                theatre.sessions_per_week * theatre.session_minutes / _operating_days(site)
            )
            half = day_minutes // 2
            start = THEATRE_DAY_START_MINUTE
            list_minutes[site.code] = day_minutes
            add(site, "AM", start, half, frozenset())
            add(site, "PM", start + half, day_minutes - half, frozenset())
            add(
                site,
                "DAY",
                start,
                day_minutes,
                frozenset({f"{site.code}-AM", f"{site.code}-PM"}),
            )
        bed = beds.get(site.id)
        if bed is not None and bed.elective_overnight_beds > 0:
            add(site, "LD", WARD_LONG_DAY[0], WARD_LONG_DAY[1], frozenset())
            add(site, "N", WARD_NIGHT[0], WARD_NIGHT[1], frozenset())
    if not shifts:
        raise RotaSettingsError(["sites: the chosen sites have no theatres or elective beds"])
    return shifts, meta, list_minutes


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Splits `total` whole units in proportion to the weights (Hamilton's method)."""
    if total <= 0 or not weights:
        return dict.fromkeys(weights, 0)
    whole = sum(weights.values())
    if whole <= 0:
        weights = dict.fromkeys(weights, 1.0)
        whole = float(len(weights))
    exact = {k: total * w / whole for k, w in weights.items()}
    share = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(share.values())
    for k in sorted(exact, key=lambda k: (share[k] - exact[k], k))[:left]:
        share[k] += 1
    return share


def _theatre_lists(
    session: Session,
    scenario: Scenario,
    settings: RotaSettings,
    chosen: list[Site],
    theatres: dict[int, TheatreCapacity],
    dates: list[dt.date],
    closed: dict[dt.date, str] | None = None,
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], dict[str, int]]]:
    """Lists run per (site, day), and how they are shared between treatment functions.

    No lists run on the bank holidays in `closed` unless the site opts in (`list_days`).
    """
    site_tfcs: dict[int, list[str]] = defaultdict(list)
    for row in session.exec(
        select(SiteTreatmentFunction).where(
            SiteTreatmentFunction.site_id.in_([s.id for s in chosen])  # type: ignore[union-attr]
        )
    ).all():
        site_tfcs[row.site_id].append(row.tfc)
    waiting = admitted_waiting_by_tfc(session, scenario.id)
    plan = _plan_minutes(session, scenario.id) if settings.demand == "plan" else None
    if settings.demand == "plan" and plan is None:
        raise RotaSettingsError(
            ["demand: this scenario has no finished rebalancing plan; run one or use the timetable"]
        )
    lists: dict[tuple[str, int], int] = {}
    tfc_lists: dict[tuple[str, int], dict[str, int]] = {}
    for site in chosen:
        theatre = theatres.get(site.id)
        if theatre is None or theatre.theatres <= 0 or theatre.sessions_per_week <= 0:
            continue
        days_open = _operating_days(site)
        tfcs = sorted(site_tfcs[site.id]) or ["X05"]
        day_minutes = theatre.sessions_per_week * theatre.session_minutes / days_open
        usable = day_minutes * float(theatre.utilisation_target)
        for day in list_days(site, dates, closed or {}):
            date = dates[day]
            week = day // 7 + 1
            if plan is None:
                count = theatre.theatres
                weights = {t: float(waiting.get(t, 0)) for t in tfcs}
            else:
                minutes = plan.get((site.code, week), {})
                per_week = math.ceil(sum(minutes.values()) / usable) if usable else 0
                spread = _largest_remainder(per_week, {str(d): 1.0 for d in range(days_open)})
                count = min(theatre.theatres, spread[str(date.weekday())])
                weights = {t: minutes.get(t, 0.0) for t in tfcs}
            lists[site.code, day] = count
            tfc_lists[site.code, day] = _largest_remainder(count, weights)
    return lists, tfc_lists


def _plan_minutes(
    session: Session, scenario_id: int
) -> dict[tuple[str, int], dict[str, float]] | None:
    """Theatre minutes per (site, week) and treatment function in the latest rebalancing plan."""
    raw = latest_result(session, scenario_id, "rebalance")
    if raw is None:
        return None
    result = stored_rebalance(raw)
    minutes: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in result.plan:
        case = CASE_MIX.get(row.tfc)
        per_case = case.minutes_per_case if case else 60
        minutes[row.hub, row.week][row.tfc] += row.patients * per_case
    return {k: dict(v) for k, v in minutes.items()}


def _agency_pence(role: StaffRole, minutes: int) -> int:
    return round(BASIC_HOURLY_PENCE[role] * AGENCY_ON_COST * minutes / 60)


def _needs(
    chosen: list[Site],
    beds: dict[int, BedCapacity],
    dates: list[dt.date],
    lists: dict[tuple[str, int], int],
    tfc_lists: dict[tuple[str, int], dict[str, int]],
    list_minutes: dict[str, int],
) -> list[SlotNeed]:
    """Staff wanted per site, day, slot and skill: the theatre team of every list, ward nurses."""
    needs: list[SlotNeed] = []
    for (site, day), count in sorted(lists.items()):
        if count <= 0:
            continue
        half = list_minutes[site] // 2
        for kind in ("AM", "PM"):
            for tfc, n in sorted(tfc_lists[site, day].items()):
                if n > 0:
                    needs.append(
                        SlotNeed(
                            site,
                            day,
                            kind,
                            f"surgeon:{tfc}",
                            StaffRole.SURGEON,
                            n,
                            _agency_pence(StaffRole.SURGEON, half),
                        )
                    )
            for need in THEATRE_TEAM:
                if need.role is StaffRole.SURGEON:
                    continue
                needs.append(
                    SlotNeed(
                        site,
                        day,
                        kind,
                        need.role,
                        need.role,
                        need.per_list * count,
                        _agency_pence(need.role, half),
                    )
                )
    for site in chosen:
        bed = beds.get(site.id)
        if bed is None or bed.elective_overnight_beds <= 0:
            continue
        occupied = bed.elective_overnight_beds * float(bed.occupancy_target)
        nurses = math.ceil(occupied / PATIENTS_PER_WARD_NURSE)
        for day in range(len(dates)):
            for kind, (_start, minutes) in (("LD", WARD_LONG_DAY), ("N", WARD_NIGHT)):
                needs.append(
                    SlotNeed(
                        site.code,
                        day,
                        kind,
                        StaffRole.WARD_NURSE,
                        StaffRole.WARD_NURSE,
                        nurses,
                        _agency_pence(StaffRole.WARD_NURSE, minutes),
                    )
                )
    return needs


def _people(
    session: Session, scenario: Scenario, settings: RotaSettings, sites: dict[str, Site]
) -> tuple[dict[str, PersonInfo], list[RotaStaff]]:
    orgs = {o.id: (o.ods_code, o.name) for o in session.exec(select(Organisation)).all()}
    rows = session.exec(
        select(RotaStaff).where(RotaStaff.scenario_id == scenario.id).order_by(RotaStaff.code)
    ).all()
    chosen = set(settings.site_codes)
    kept = [r for r in rows if chosen & set(_codes(r.sites))]
    people = {
        r.code: PersonInfo(
            code=r.code,
            label=r.label,
            role=r.role,
            grade=r.grade,
            trust=orgs.get(r.organisation_id, ("?", ""))[0],
            trust_name=orgs.get(r.organisation_id, ("?", ""))[1],
            home_site=r.home_site_code,
            home_site_name=sites[r.home_site_code].name if r.home_site_code in sites else "",
            employment=r.employment,
            contract=r.contract,
            hourly_cost_pence=r.hourly_cost_pence,
        )
        for r in kept
    }
    return people, kept


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def hourly_cost_pence(role: StaffRole, contract: StaffContract, employment: Employment) -> int:
    """What an hour of this person costs the collaborative, in pence (substantive < bank)."""
    basic = (
        RESIDENT_DOCTOR_BASIC_HOURLY_PENCE
        if contract is StaffContract.RESIDENT_DOCTOR_2016
        else BASIC_HOURLY_PENCE[role]
    )
    factor = BANK_ON_COST if employment is Employment.BANK else SUBSTANTIVE_ON_COST
    return round(basic * factor)


def _staff(
    session: Session,
    rows: list[RotaStaff],
    people: dict[str, PersonInfo],
    settings: RotaSettings,
    sites: dict[str, Site],
    shift_types: list[ShiftType],
    dates: list[dt.date],
) -> list[Staff]:
    """Each person as the solver sees them: skills, sites, limits, leave, cost and travel."""
    leave: dict[int, set[int]] = defaultdict(set)
    first, last = dates[0], dates[-1]
    for row in session.exec(
        select(RotaLeave).where(
            RotaLeave.staff_id.in_([r.id for r in rows]),  # type: ignore[union-attr]
            RotaLeave.end_date >= first,
            RotaLeave.start_date <= last,
        )
    ).all():
        start = max(row.start_date, first)
        while start <= min(row.end_date, last):
            leave[row.staff_id].add((start - first).days)
            start += dt.timedelta(days=1)
    weeks = len(dates) / 7
    staff = []
    for row in rows:
        role = StaffRole(row.role)
        allowed_kinds = THEATRE_KINDS if role is not StaffRole.WARD_NURSE else WARD_KINDS
        blocked = {s.id: 0 for s in shift_types if s.id.rsplit("-", 1)[1] not in allowed_kinds}
        skills = {role.value}
        if role is StaffRole.SURGEON:
            skills |= {f"surgeon:{t}" for t in _codes(row.skills)}
        else:
            skills |= set(_codes(row.skills))
        home = sites.get(row.home_site_code)
        travel: dict[str, int] = {}
        for code in settings.site_codes:
            target = sites[code]
            if (
                home is not None
                and code != home.code
                and None not in (home.latitude, home.longitude, target.latitude, target.longitude)
            ):
                travel[code] = round(
                    travel_minutes(home.latitude, home.longitude, target.latitude, target.longitude)
                )
        full_time = CONTRACTED_MINUTES_PER_WEEK[StaffContract(row.contract)]
        staff.append(
            Staff(
                id=row.code,
                group=role.value,
                home_site=row.home_site_code,
                sites=frozenset(_codes(row.sites)),
                skills=frozenset(skills),
                cost_per_hour=row.hourly_cost_pence,
                fte_tenths=max(1, min(10, round(10 * row.contracted_minutes_per_week / full_time))),
                max_shifts_per_type=blocked,
                max_total_minutes=math.floor(row.contracted_minutes_per_week * weeks),
                days_off=frozenset(leave.get(row.id, set())),
                travel_minutes=travel,
            )
        )
    return staff


def _locks(
    session: Session,
    scenario: Scenario,
    rows: list[RotaStaff],
    dates: list[dt.date],
    shift_meta: dict[str, dict[str, Any]],
) -> tuple[list[LockedAssignment], list[str]]:
    codes = {r.id: r.code for r in rows}
    locks, ignored = [], []
    for lock in session.exec(
        select(RotaLock).where(
            RotaLock.scenario_id == scenario.id,
            RotaLock.on_date >= dates[0],
            RotaLock.on_date <= dates[-1],
        )
    ).all():
        code = codes.get(lock.staff_id)
        if code is None or (lock.shift_code and lock.shift_code not in shift_meta):
            ignored.append(
                f"{lock.on_date:%a %d %b}: lock of staff {lock.staff_id} on "
                f"{lock.shift_code or 'off'} is outside the chosen sites"
            )
            continue
        locks.append(
            LockedAssignment(
                staff_id=code, day=(lock.on_date - dates[0]).days, shift_id=lock.shift_code or None
            )
        )
    return locks, ignored


def _requests(
    session: Session, rows: list[RotaStaff], dates: list[dt.date], settings: RotaSettings
) -> list[ShiftRequest]:
    by_id = {r.id: r for r in rows}
    found = []
    for req in session.exec(
        select(RotaRequest).where(
            RotaRequest.staff_id.in_(list(by_id)),  # type: ignore[union-attr]
            RotaRequest.on_date >= dates[0],
            RotaRequest.on_date <= dates[-1],
        )
    ).all():
        person = by_id[req.staff_id]
        day = (req.on_date - dates[0]).days
        sites = [c for c in settings.site_codes if c in _codes(person.sites)]
        shift_ids: list[str | None] = (
            [None] if not req.shift_kind else [f"{c}-{req.shift_kind}" for c in sites]
        )
        for shift_id in shift_ids[:1] if req.kind == "on" else shift_ids:
            found.append(
                ShiftRequest(
                    staff_id=person.code,
                    day=day,
                    shift_id=shift_id,
                    kind=req.kind,
                    weight=req.weight * REQUEST_PENCE,
                )
            )
    return found


# --- Solving and describing --------------------------------------------------------------------


def stall_seconds(time_limit_seconds: float) -> float:
    """How long a search may go without a better rota before it stops by itself.

    A quarter of the time limit, at least 15 s: more time would most likely be wasted.
    """
    return max(STALL_MIN_SECONDS, STALL_SHARE * time_limit_seconds)


def solve_problem(
    problem: RotaProblem, progress: Callable[[int, str], None] | None = None
) -> RotaOutcome:
    """Solves the rota and describes it for the page, the CLI and exports."""
    s = problem.settings
    options = SolveOptions(
        time_limit_seconds=s.time_limit_seconds,
        num_workers=s.num_workers,
        seed=s.seed,
        explain_infeasibility=True,
        stall_seconds=stall_seconds(s.time_limit_seconds),
    )
    if progress:
        progress(10, f"Solving {len(problem.data.staff)} staff over {len(problem.dates)} days")
    # The whole horizon in one model, started from a rota built day by day (solvers/rota/
    # construct.py): on the demo's 12 weeks for both hubs this leaves no place short where solving
    # a week at a time (solvers/rota/rolling.py) left 2,466 (docs/benchmarks.md).
    result = solve_rota(problem.data, options)
    return describe(problem, result)


def describe(problem: RotaProblem, result: RotaResult) -> RotaOutcome:
    """The rota as people read it: grid, sessions with gaps, compliance, cost, staffed lists."""
    data = problem.data
    stats = result.stats
    check = check_rota(data, result.assignments) if stats.status.has_solution else None
    worked: dict[tuple[str, int], str] = {
        (a.staff_id, a.day): a.shift_id for a in result.assignments
    }
    locked = {(lk.staff_id, lk.day): lk.shift_id or "" for lk in data.locked}
    staff_by_id = {p.id: p for p in data.staff}
    shift_by_id = {s.id: s for s in data.shift_types}
    rows = []
    for code, person in problem.people.items():
        solver_person = staff_by_id[code]
        cells = tuple(
            Cell(
                shift=worked.get((code, day), ""),
                locked=(code, day) in locked,
                leave=day in solver_person.days_off,
            )
            for day in range(data.horizon_days)
        )
        minutes = sum(
            shift_by_id[worked[code, d]].duration_minutes
            for d in range(data.horizon_days)
            if (code, d) in worked
        )
        rows.append(StaffRow(**asdict(person), cells=cells, minutes=minutes))
    sessions = _session_rows(problem, worked)
    return RotaOutcome(
        settings=RotaRunSettings(**problem.settings.to_json()),
        dates=tuple(d.isoformat() for d in problem.dates),
        shifts={code: ShiftMeta(**meta) for code, meta in problem.shifts.items()},
        staff=tuple(rows),
        assignments=result.assignments,
        locked=tuple(LockRow(**lk.model_dump()) for lk in data.locked),
        sessions=sessions,
        compliance=_compliance(problem, result, check),
        cost=_cost(problem, worked, sessions),
        staffed_sessions_per_week=_staffed_sessions(problem, worked),
        stats=RotaStats(
            **stats.model_dump(),
            places_short=result.places_short,
            places_short_lower_bound=result.places_short_lower_bound,
        ),
        objective_terms=result.objective_terms,
        binding_limits=tuple(LimitRow(**b.model_dump()) for b in result.binding_limits[:200]),
        binding_count=len(result.binding_limits),
        infeasible_because=tuple(LimitRow(**b.model_dump()) for b in result.infeasible_because),
        checked_objective=check.objective if check else None,
        hard_violations=tuple(HardViolation(**v.model_dump()) for v in check.violations)
        if check
        else (),
        ignored_locks=tuple(problem.ignored_locks),
        rule_pack=RULE_PACKS[problem.settings.rule_pack].label,
        bank_holidays={d.isoformat(): name for d, name in sorted(problem.bank_holidays.items())},
        bank_holiday_list_sites=problem.bank_holiday_list_sites,
        history=problem.history,
        published=problem.published,
        published_changes=_published_change_rows(problem, result),
    )


def _published_change_rows(
    problem: RotaProblem, result: RotaResult
) -> tuple[PublishedChangeRow, ...]:
    """Every published day the build changed, in planners' words (shift ids; "" = off)."""
    return tuple(
        PublishedChangeRow(
            staff_id=c.staff_id,
            label=problem.people[c.staff_id].label if c.staff_id in problem.people else c.staff_id,
            date=problem.dates[c.day].isoformat(),
            was=c.was or "",
            now=c.now or "",
            why=c.why,
        )
        for c in result.published_changes
    )


def _counts(
    problem: RotaProblem, worked: dict[tuple[str, int], str]
) -> dict[tuple[int, str, str], int]:
    """People counted per (day, slot shift id, skill), honouring all-day shifts."""
    data = problem.data
    staff_by_id = {p.id: p for p in data.staff}
    shift_by_id = {s.id: s for s in data.shift_types}
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    for (code, day), shift_id in worked.items():
        shift = shift_by_id[shift_id]
        for slot in {shift_id, *shift.counts_as}:
            for skill in staff_by_id[code].skills:
                counts[day, slot, skill] += 1
    return counts


def _session_rows(
    problem: RotaProblem, worked: dict[tuple[str, int], str]
) -> tuple[SessionRow, ...]:
    counts = _counts(problem, worked)
    rows = []
    for need in problem.needs:
        slot = f"{need.site}-{need.kind}"
        staffed = counts.get((need.day, slot, need.skill), 0)
        rows.append(
            SessionRow(
                site=need.site,
                day=need.day,
                kind=need.kind,
                skill=need.skill,
                role=str(need.role),
                required=need.required,
                staffed=min(staffed, need.required),
                short=max(0, need.required - staffed),
                agency_pence=need.agency_pence,
            )
        )
    return tuple(rows)


def _staffed_sessions(problem: RotaProblem, worked: dict[tuple[str, int], str]) -> dict[str, float]:
    """Theatre sessions a week each site can run with a whole team, half-day by half-day.

    In each half a list is staffed when it has its surgeon (lists short of a surgeon are summed
    over specialties) and the other roles can make up that many teams.
    """
    counts = _counts(problem, worked)
    per_list = {n.role.value: n.per_list for n in THEATRE_TEAM}
    needs_by_slot: dict[tuple[str, int, str], list[SlotNeed]] = defaultdict(list)
    for n in problem.needs:
        needs_by_slot[n.site, n.day, n.kind].append(n)
    by_site: dict[str, float] = defaultdict(float)
    for (site, day), count in problem.lists.items():
        # A list day of `minutes` is this many sessions (2.5 in a 10-hour hub day); half each half.
        sessions_per_half = problem.list_minutes[site] / SESSION_MINUTES / 2
        for kind in ("AM", "PM"):
            needs = needs_by_slot.get((site, day, kind), [])
            if not needs or count == 0:
                continue
            slot = f"{site}-{kind}"
            have = {n.skill: counts.get((day, slot, n.skill), 0) for n in needs}
            no_surgeon = sum(
                max(0, n.required - have[n.skill]) for n in needs if n.skill.startswith("surgeon:")
            )
            full = count - no_surgeon
            for n in needs:
                if not n.skill.startswith("surgeon:"):
                    full = min(full, have[n.skill] // per_list[n.skill])
            by_site[site] += max(0, full) * sessions_per_half
    weeks = problem.settings.weeks
    return {site: round(total / weeks, 2) for site, total in sorted(by_site.items())}


def _cost(
    problem: RotaProblem, worked: dict[tuple[str, int], str], sessions: tuple[SessionRow, ...]
) -> RotaCost:
    shift_by_id = {s.id: s for s in problem.data.shift_types}
    by: dict[str, dict[str, float]] = defaultdict(lambda: {"shifts": 0, "hours": 0.0, "pence": 0})
    for (code, _day), shift_id in worked.items():
        person = problem.people[code]
        hours = shift_by_id[shift_id].duration_minutes / 60
        row = by[person.employment]
        row["shifts"] += 1
        row["hours"] += hours
        row["pence"] += round(person.hourly_cost_pence * hours)
    gap_shifts = sum(r.short for r in sessions)
    gap_pence = sum(r.short * r.agency_pence for r in sessions)
    gaps_by_role: dict[str, dict[str, int]] = defaultdict(lambda: {"places": 0, "pence": 0})
    for r in sessions:
        if r.short:
            gaps_by_role[r.role]["places"] += r.short
            gaps_by_role[r.role]["pence"] += r.short * r.agency_pence
    return RotaCost(
        substantive=CostLine(**by.get(Employment.SUBSTANTIVE.value, {})),
        bank=CostLine(**by.get(Employment.BANK.value, {})),
        agency_gaps=GapCost(places=gap_shifts, pence=gap_pence),
        gaps_by_role={role: GapCost(**gaps) for role, gaps in gaps_by_role.items()},
        total_pence=round(sum(v["pence"] for v in by.values())) + gap_pence,
    )


def _compliance(
    problem: RotaProblem, result: RotaResult, check: RotaCheck | None
) -> tuple[ComplianceRow, ...]:
    """One row per rule family: hard or soft, breaches found by the checker and soft slack used."""
    data = problem.data
    hard_breaches: dict[str, int] = defaultdict(int)
    if check is not None:
        for v in check.violations:
            hard_breaches[str(v.rule)] += 1
    soft_units: dict[str, int] = defaultdict(int)
    at_limit: dict[str, set[str]] = defaultdict(set)
    for b in result.binding_limits:
        if b.shortfall > 0 and b.name != "cover":
            soft_units[b.name] += b.shortfall
        elif b.shortfall == 0:
            at_limit[b.name].add(b.where)
    rows = []
    for family, label in RULE_LABELS.items():
        mode = data.mode(family)
        rows.append(
            ComplianceRow(
                rule=label,
                family=str(family),
                mode="hard"
                if mode.hard
                else f"soft ({mode.weight:,} p per {PENALTY_UNIT.get(family, 'unit')})",
                breaches=hard_breaches.get(str(family), 0) + soft_units.get(str(family), 0),
                at_limit=len(at_limit.get(str(family), set())),
            )
        )
    return tuple(rows)


# --- Use cases --------------------------------------------------------------------------------


def rota_choices(token: str, scenario_id: int) -> dict[str, Any]:
    """Sites (hubs first), rule packs and the default start date, for a member who may view."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session, scenario = use.session, use.scenario
        sites = session.exec(select(Site).where(Site.scenario_id == scenario.id)).all()
        staffed = set(
            session.exec(
                select(RotaStaff.home_site_code).where(RotaStaff.scenario_id == scenario.id)
            ).all()
        )
        return {
            "sites": [
                {
                    "code": s.code,
                    "name": s.name,
                    "hub": s.is_elective_hub,
                    "bank_holiday_lists": s.bank_holiday_lists,
                }
                for s in sorted(sites, key=lambda s: (not s.is_elective_hub, s.name))
            ],
            "rule_packs": [{"id": c.id, "label": c.label} for c in RULE_PACKS.values()],
            "start_date": next_monday().isoformat(),
            "has_staff": bool(staffed),
            "status": scenario.status,
            "editable": scenario.status in EDITABLE_STATUSES,
        }


def set_bank_holiday_lists(token: str, scenario_id: int, site_code: str, run: bool) -> str:
    """Lets a site run theatre lists on bank holidays (`run`), or not; returns a sentence.

    A scenario setting like a lock: only while the scenario may be edited, audited.
    """
    with scenario_transaction(token, scenario_id, Permission.RUN_ROTA, editable=True) as use:
        session, scenario = use.session, use.scenario
        site = session.exec(
            select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
        ).first()
        if site is None:
            raise ScenarioError(f"{site_code} is not a site of this scenario.")
        if site.bank_holiday_lists == run:
            return _bank_holiday_sentence(site.name, run)
        old, site.bank_holiday_lists = site.bank_holiday_lists, run
        session.add(site)
        message = _bank_holiday_sentence(site.name, run)
        audit(
            session,
            use.principal,
            scenario,
            "rota.bank_holiday_lists",
            message,
            entity="site",
            entity_id=site.code,
            field="bank_holiday_lists",
            old=old,
            new=run,
        )
        session.flush()
        return message


def _bank_holiday_sentence(name: str, run: bool) -> str:
    return (
        f"{name} runs theatre lists on bank holidays from the next build."
        if run
        else f"{name} runs no theatre lists on bank holidays (wards stay staffed)."
    )


def rota_problem_as_operator(
    scenario_id: int,
    settings: RotaSettings,
    db_url: str | None = None,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaProblem:
    """The rota problem of a scenario, as the server operator reads it (CLI, tests).

    No permission check: the operator's path. Users' builds go through `services.jobs`.
    """
    with unit_of_work(db_url) as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioError(f"Scenario {scenario_id} does not exist.")
        return rota_problem(session, scenario, settings, history, history_file)


def run_rota_as_operator(
    scenario_id: int,
    settings: RotaSettings,
    db_url: str | None = None,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaOutcome:
    """Builds and solves the scenario's rota as the server operator (the CLI; no check).

    `history` is an uploaded record of the days before (`importers.rota_history`); without it
    the scenario's previous rota is carried in when it ends the day before.
    """
    problem = rota_problem_as_operator(scenario_id, settings, db_url, history, history_file)
    return solve_problem(problem)


def set_lock(
    token: str,
    scenario_id: int,
    staff_code: str,
    on_date: dt.date,
    shift_code: str | None,
    *,
    expected: str | None,
) -> str:
    """Locks a cell to a shift ("" = off) or unlocks it (None), if nobody changed it meanwhile.

    `expected` is the lock the user saw (None = no lock). Returns a sentence for the user.

    Raises:
        ConflictError: Someone else locked or unlocked the cell since the user looked.
    """
    with scenario_transaction(token, scenario_id, Permission.RUN_ROTA, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        person = session.exec(
            select(RotaStaff).where(
                RotaStaff.scenario_id == scenario_id, RotaStaff.code == staff_code
            )
        ).first()
        if person is None:
            raise ScenarioError(f"{staff_code} is not on this scenario's rota staff list.")
        if shift_code:
            _check_lock_shift(session, scenario, person, shift_code)
        current = session.exec(
            select(RotaLock).where(
                RotaLock.scenario_id == scenario_id,
                RotaLock.staff_id == person.id,
                RotaLock.on_date == on_date,
            )
        ).first()
        seen = None if current is None else current.shift_code
        if seen != expected:
            who = (
                f"{current.locked_by} at {current.locked_at:%H:%M}"
                if current is not None
                else _last_unlocked_by(session, scenario_id, staff_code, on_date)
            )
            raise ConflictError(
                f"{person.label} on {on_date:%a %d %b} was changed by {who} since you looked "
                f"(now {'unlocked' if current is None else (current.shift_code or 'off')}); "
                "nothing was saved."
            )
        old = "" if current is None else (current.shift_code or "off")
        if shift_code is None:
            if current is not None:
                session.delete(current)
            message = f"Unlocked {person.label} on {on_date:%a %d %b}."
        else:
            if current is None:
                current = RotaLock(
                    scenario_id=scenario_id,
                    staff_id=person.id,
                    on_date=on_date,
                    locked_by=principal.email,
                )
            current.shift_code, current.locked_by, current.locked_at = (
                shift_code,
                principal.email,
                utc_now(),
            )
            session.add(current)
            message = (
                f"Locked {person.label} on {on_date:%a %d %b} to "
                f"{shift_code or 'a day off'}; the next build keeps it."
            )
        audit(
            session,
            principal,
            scenario,
            "rota.lock" if shift_code is not None else "rota.unlock",
            message,
            entity="rota_lock",
            entity_id=f"{staff_code}@{on_date.isoformat()}",
            old=old,
            new="" if shift_code is None else (shift_code or "off"),
        )
        try:
            session.flush()  # the unique lock per person and day is checked here
        except sa.exc.IntegrityError as error:
            raise ConflictError(
                f"{person.label} on {on_date:%a %d %b} was locked by someone else a moment ago; "
                "nothing was saved."
            ) from error
        return message


def _check_lock_shift(
    session: Session, scenario: Scenario, person: RotaStaff, shift_code: str
) -> None:
    """Refuses a lock to a shift the person's role never works, or at a site they may not."""
    site_code, _, kind = shift_code.rpartition("-")
    role = StaffRole(person.role)
    kinds = WARD_KINDS if role is StaffRole.WARD_NURSE else THEATRE_KINDS
    allowed = ", ".join(KIND_LABELS[k].lower() for k in kinds)
    if site_code not in _codes(person.sites):
        raise ScenarioError(
            f"{person.label} may not work at {site_code}: it is not among their sites "
            f"({person.sites})."
        )
    if kind not in kinds:
        raise ScenarioError(
            f"{person.label} cannot be locked to '{shift_code}': {ROLE_LABELS[role].lower()}s "
            f"work only {allowed} shifts ({', '.join(kinds)})."
        )
    site = session.exec(
        select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
    ).first()
    table = TheatreCapacity if kind in THEATRE_KINDS else BedCapacity
    capacity = (
        None
        if site is None
        else session.exec(select(table).where(table.site_id == site.id)).first()
    )
    runs = capacity is not None and (
        capacity.theatres > 0
        if isinstance(capacity, TheatreCapacity)
        else capacity.elective_overnight_beds > 0
    )
    if not runs:
        raise ScenarioError(
            f"{site_code} has no {'theatre lists' if kind in THEATRE_KINDS else 'elective ward'} "
            f"to lock {person.label} to."
        )


def _last_unlocked_by(session: Session, scenario_id: int, staff_code: str, on: dt.date) -> str:
    """Who removed the cell's lock last, and when (from the audit log)."""
    event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.scenario_id == scenario_id,
            AuditEvent.entity == "rota_lock",
            AuditEvent.entity_id == f"{staff_code}@{on.isoformat()}",
            AuditEvent.action == "rota.unlock",
        )
        .order_by(AuditEvent.id.desc())
    ).first()
    return "someone" if event is None else f"{event.user_email} at {event.at:%H:%M}"


def rota_locks(token: str, scenario_id: int) -> dict[tuple[str, str], str]:
    """The scenario's locks as {(staff code, ISO date): shift code or ""}."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session = use.session
        rows = session.exec(
            select(RotaStaff.code, RotaLock.on_date, RotaLock.shift_code)
            .join(RotaStaff, RotaStaff.id == RotaLock.staff_id)
            .where(RotaLock.scenario_id == scenario_id)
        ).all()
        return {(code, d.isoformat()): s for code, d, s in rows}


def outcome_with_lock(
    outcome: RotaOutcome, staff_code: str, on: str, shift: str | None
) -> RotaOutcome:
    """The rota shown as a new outcome with one cell's lock set or removed, after `set_lock`.

    `shift` is a shift id, '' for a day off, or None to remove the lock; a date outside the rota
    changes nothing.
    """
    if on not in outcome.dates:
        return outcome
    day = outcome.dates.index(on)
    locked = tuple(lk for lk in outcome.locked if not (lk.staff_id == staff_code and lk.day == day))
    if shift is not None:
        locked += (LockRow(staff_id=staff_code, day=day, shift_id=shift or None),)
    staff = tuple(
        person.model_copy(
            update={
                "cells": tuple(
                    cell.model_copy(update={"locked": shift is not None}) if d == day else cell
                    for d, cell in enumerate(person.cells)
                )
            }
        )
        if person.code == staff_code
        else person
        for person in outcome.staff
    )
    return outcome.model_copy(update={"locked": locked, "staff": staff})


# --- Exports -----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "date",
    "staff",
    "name",
    "role",
    "trust",
    "employment",
    "site",
    "shift",
    "start",
    "end",
    "hours",
    "locked",
)


def export_rows(outcome: RotaOutcome) -> list[dict[str, Any]]:
    """One row per worked shift of a described rota, in date then staff order."""
    rows = []
    for person in outcome.staff:
        for day, cell in enumerate(person.cells):
            if not cell.shift:
                continue
            meta = outcome.shifts[cell.shift]
            rows.append(
                {
                    "date": outcome.dates[day],
                    "staff": person.code,
                    "name": person.label,
                    "role": ROLE_LABELS.get(StaffRole(person.role), person.role),
                    "trust": person.trust,
                    "employment": person.employment,
                    "site": meta.site,
                    "shift": KIND_LABELS[meta.kind],
                    "start": meta.start,
                    "end": meta.end,
                    "hours": round(meta.minutes / 60, 2),
                    "locked": "yes" if cell.locked else "",
                }
            )
    return sorted(rows, key=lambda r: (r["date"], r["staff"]))


GAP_COLUMNS = ("date", "site", "slot", "skill", "required", "staffed", "short", "agency_cost_gbp")


def gap_rows(outcome: RotaOutcome) -> list[dict[str, Any]]:
    """One row per session slot short of staff, with the agency price of filling it."""
    return [
        {
            "date": outcome.dates[r.day],
            "site": r.site,
            "slot": KIND_LABELS[r.kind],
            "skill": r.skill,
            "required": r.required,
            "staffed": r.staffed,
            "short": r.short,
            "agency_cost_gbp": round(r.short * r.agency_pence / 100, 2),
        }
        for r in outcome.sessions
        if r.short
    ]


def export_csv(outcome: RotaOutcome) -> bytes:
    """The rota as CSV (one row per worked shift)."""
    return csv_dicts(EXPORT_COLUMNS, export_rows(outcome), "\n")


GRID_KINDS = {"AM": "AM", "PM": "PM", "DAY": "Day", "LD": "LD", "N": "Night"}
"""The cell codes of the printable grids (the page's key uses the same)."""


def grid_sheets(outcome: RotaOutcome) -> dict[str, tuple[str, Any]]:
    """One printable staff x day grid per site and week: {sheet name: (page title, frame)}.

    Rows are the people with a shift at the site that week (by role, then name); a cell is the
    shift's code (AM, PM, Day, LD, Night), "at SITE" for a shift elsewhere, "Leave" on leave,
    "off" otherwise; "(locked)" is added to a locked cell.
    """
    import pandas as pd

    dates = [dt.date.fromisoformat(d) for d in outcome.dates]
    sites = sorted({m.site for m in outcome.shifts.values()})
    names = {m.site: m.site_name for m in outcome.shifts.values()}
    role_order = {r.value: i for i, r in enumerate(ROLE_LABELS)}
    sheets: dict[str, tuple[str, Any]] = {}
    for site in sites:
        for week in range(math.ceil(len(dates) / 7)):
            days = range(week * 7, min(len(dates), week * 7 + 7))
            people = sorted(
                (
                    p
                    for p in outcome.staff
                    if any(
                        p.cells[d].shift and outcome.shifts[p.cells[d].shift].site == site
                        for d in days
                    )
                ),
                key=lambda p: (role_order.get(p.role, 99), p.label),
            )
            rows = []
            for person in people:
                row: dict[str, Any] = {
                    "Staff": person.label,
                    "Role": ROLE_LABELS.get(StaffRole(person.role), person.role),
                    "Trust": person.trust_name or person.trust,
                }
                for d in days:
                    cell = person.cells[d]
                    meta = outcome.shifts.get(cell.shift) if cell.shift else None
                    if meta is not None and meta.site == site:
                        text = GRID_KINDS[meta.kind]
                    elif meta is not None:
                        text = f"at {meta.site}"
                    else:
                        text = "Leave" if cell.leave else "off"
                    row[_grid_day(dates[d], outcome)] = text + (" (locked)" if cell.locked else "")
                rows.append(row)
            columns = ["Staff", "Role", "Trust", *(_grid_day(dates[d], outcome) for d in days)]
            first = dates[week * 7]
            name = f"{site[:18]} wk{week + 1} {first:%d %b}"
            title = (
                f"{names[site]}: rota for week {week + 1}, {first:%a %d %b %Y} to "
                f"{dates[days[-1]]:%a %d %b %Y}"
            )
            sheets[name] = (title, pd.DataFrame(rows, columns=columns))
    return sheets


def _grid_day(date: dt.date, outcome: RotaOutcome) -> str:
    holiday = " (bank holiday)" if date.isoformat() in outcome.bank_holidays else ""
    return f"{date:%a %d %b}{holiday}"


def export_xlsx(outcome: RotaOutcome) -> bytes:
    """The rota as an Excel workbook: shifts, gaps, compliance, cost, and printable grids.

    Besides the list of shifts (Rota), the gaps, the compliance report and the cost, one
    printable staff x day grid per site and week (`grid_sheets`; A4 landscape, fitted to the
    page width, the header row repeated on every page). No cell is a formula.
    """
    import pandas as pd

    cost = outcome.cost
    grids = grid_sheets(outcome)
    return xlsx_bytes(
        {
            "Rota": pd.DataFrame(export_rows(outcome), columns=list(EXPORT_COLUMNS)),
            # Explicit columns, so that a rota without gaps still has a headed Gaps sheet.
            "Gaps": pd.DataFrame(gap_rows(outcome), columns=list(GAP_COLUMNS)),
            "Compliance": pd.DataFrame([r.model_dump() for r in outcome.compliance]),
            "Cost": pd.DataFrame(
                [
                    {"source": "Substantive", **cost.substantive.model_dump()},
                    {"source": "Bank", **cost.bank.model_dump()},
                    {
                        "source": "Agency (gaps)",
                        "shifts": cost.agency_gaps.places,
                        "pence": cost.agency_gaps.pence,
                    },
                    {"source": "Total", "pence": cost.total_pence},
                ]
            ),
            **{name: frame for name, (_title, frame) in grids.items()},
        },
        printable={name: title for name, (title, _frame) in grids.items()},
    )


def download_rota(token: str, scenario_id: int, fmt: str) -> tuple[str, bytes]:
    """The scenario's newest rota as CSV or Excel for a member, audited (who, what, rows).

    Raises:
        NotFoundError: the scenario has no built rota (or is not the caller's to see).
        ScenarioError: an unknown format.
    """
    if fmt not in ("csv", "xlsx"):
        raise ScenarioError(f"'{fmt}' is not a rota format; use csv or xlsx.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.exec(
            select(SolveJob)
            .where(SolveJob.scenario_id == use.scenario.id, SolveJob.kind == "rota")
            .order_by(col(SolveJob.id).desc())
        ).first()
        outcome = stored_rota(job.result, job_id=job.id) if job and job.result else None
        if outcome is None or not outcome.assignments:
            raise NotFoundError("Build a rota first.")
        return _audited_file(use, outcome, "rota", fmt)


def _audited_file(use: ScenarioUse, outcome: RotaOutcome, what: str, fmt: str) -> tuple[str, bytes]:
    """The rota as a CSV or Excel file named after `what`, its download audited."""
    name = f"{what.replace('_', '-')}-scenario-{use.scenario.id}-{outcome.dates[0]}.{fmt}"
    data = export_xlsx(outcome) if fmt == "xlsx" else export_csv(outcome)
    audit_download(
        use.session,
        use.principal,
        collaborative_id=use.scenario.collaborative_id,
        scenario=use.scenario,
        what=f"{what}:{fmt}",
        rows=len(export_rows(outcome)),
        file_name=name,
    )
    return name, data


def download_published_rota(
    token: str, scenario_id: int, published_id: int, fmt: str
) -> tuple[str, bytes]:
    """A published rota as CSV or Excel for any member of the collaborative, audited.

    Raises:
        NotFoundError: no such publication of this scenario (or not the caller's to see).
        ScenarioError: an unknown format.
    """
    if fmt not in ("csv", "xlsx"):
        raise ScenarioError(f"'{fmt}' is not a rota format; use csv or xlsx.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        outcome = published_outcome(use.session, use.scenario.id, published_id)
        return _audited_file(use, outcome, "published_rota", fmt)


__all__ = [
    "RULE_PACKS",
    "download_published_rota",
    "RotaProblem",
    "RotaSettings",
    "RotaSettingsError",
    "rota_problem_as_operator",
    "describe",
    "download_rota",
    "export_csv",
    "export_xlsx",
    "rota_choices",
    "rota_locks",
    "run_rota_as_operator",
    "hub_codes_as_operator",
    "set_bank_holiday_lists",
    "set_lock",
    "solve_problem",
]


def hub_codes_as_operator(scenario_id: int, db_url: str | None = None) -> tuple[str, ...]:
    """The scenario's elective hub site codes (the CLI's default sites)."""
    with unit_of_work(db_url) as session:
        return tuple(
            session.exec(
                select(Site.code)
                .where(Site.scenario_id == scenario_id, Site.is_elective_hub.is_(True))
                .order_by(Site.code)
            ).all()
        )
