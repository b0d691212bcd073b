"""The rota's settings and labels: limits, rule packs, `RotaSettings`, the problem's types, dates.

Pure: no database reads. `services/rota.py` re-exports what its callers import from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import holidays

from ics_capacity.db.models import Site
from ics_capacity.domain.assumptions import (
    HUB_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
)
from ics_capacity.domain.rota_assumptions import (
    AGENCY_ON_COST,
    AGENCY_POOL_SHIFTS_PER_WEEK,
    BANK_ON_COST,
    BANK_POOL_SHIFTS_PER_WEEK,
)
from ics_capacity.domain.staff import StaffContract, StaffRole
from ics_capacity.services.results import HistoryUsed, PublishedUsed
from ics_capacity.services.scenarios import ScenarioError
from solvers.rota import rules
from solvers.rota.schema import RotaInput, RuleFamily

MAX_WEEKS = 12
# Days before a rota whose shifts its rolling rules count (docs/rota.md, "History carried in"):
# the longest look-back of the packs is 48 h in 14 days (WTR reg 11(2)(b)).
HISTORY_DAYS = 14
# Finished builds searched for the rota just before a new one (newest first).
PREVIOUS_ROTAS_LOOKED_AT = 50
# Bank and agency pools (docs/rota.md, "Bank and agency pools").
COLLABORATIVE = "collaborative"
POOL_SCOPES = ("site", COLLABORATIVE)
POOL_PERIODS = ("week", "rota")
MAX_POOL_SHIFTS = 10_000
MAX_UPLIFT_PERCENT = 300
AGENCY_CAP_PERCENT = round((AGENCY_ON_COST - 1) * 100)
DEFAULT_BANK_PERCENT = round((BANK_ON_COST - 1) * 100)
POOL_DEFAULTS: dict[str, int] = {
    "bank_pool_shifts": BANK_POOL_SHIFTS_PER_WEEK,
    "agency_pool_shifts": AGENCY_POOL_SHIFTS_PER_WEEK,
    "bank_uplift_percent": DEFAULT_BANK_PERCENT,
    "agency_uplift_percent": AGENCY_CAP_PERCENT,
}
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
STAFF_ROLE_LABELS = {
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
MINUTE_RULES = {
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
        "in a row, 11 h after on-call (residents)"
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
    pool_scope: str = "site"
    """Bank and agency pools per site and role ("site") or per role for all sites."""
    pool_period: str = "week"
    """The pools' caps are places a week ("week") or over the whole rota ("rota")."""
    bank_pool_shifts: int = BANK_POOL_SHIFTS_PER_WEEK
    agency_pool_shifts: int = AGENCY_POOL_SHIFTS_PER_WEEK
    bank_uplift_percent: int = DEFAULT_BANK_PERCENT
    """The bank's price an hour over basic pay, in per cent."""
    agency_uplift_percent: int = AGENCY_CAP_PERCENT
    """The agency's price an hour over basic pay, in per cent; paid at most the NHS cap (55)."""

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
        if self.pool_scope not in POOL_SCOPES:
            found.append("pool scope: 'site' (per site and role) or 'collaborative' (per role)")
        if self.pool_period not in POOL_PERIODS:
            found.append("pool cap period: 'week' or 'rota'")
        for name, shifts in (("bank", self.bank_pool_shifts), ("agency", self.agency_pool_shifts)):
            if not 0 <= shifts <= MAX_POOL_SHIFTS:
                found.append(f"{name} pool cap: {shifts} is outside 0 to {MAX_POOL_SHIFTS} shifts")
        for name, percent in (
            ("bank", self.bank_uplift_percent),
            ("agency", self.agency_uplift_percent),
        ):
            if not 0 <= percent <= MAX_UPLIFT_PERCENT:
                found.append(f"{name} price: {percent}% is outside 0 to {MAX_UPLIFT_PERCENT}%")
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
            "pool_scope": self.pool_scope,
            "pool_period": self.pool_period,
            "bank_pool_shifts": self.bank_pool_shifts,
            "agency_pool_shifts": self.agency_pool_shifts,
            "bank_uplift_percent": self.bank_uplift_percent,
            "agency_uplift_percent": self.agency_uplift_percent,
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
            pool_scope=raw.get("pool_scope", "site"),
            pool_period=raw.get("pool_period", "week"),
            bank_pool_shifts=int(raw.get("bank_pool_shifts", BANK_POOL_SHIFTS_PER_WEEK)),
            agency_pool_shifts=int(raw.get("agency_pool_shifts", AGENCY_POOL_SHIFTS_PER_WEEK)),
            bank_uplift_percent=int(raw.get("bank_uplift_percent", DEFAULT_BANK_PERCENT)),
            agency_uplift_percent=int(raw.get("agency_uplift_percent", AGENCY_CAP_PERCENT)),
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
    days_open = operating_days(site)
    return [
        day
        for day, date in enumerate(dates)
        if date.weekday() < days_open and (site.bank_holiday_lists or date not in closed)
    ]


def next_monday(today: dt.date | None = None) -> dt.date:
    """The first Monday after today (a rota usually starts on a Monday)."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


def operating_days(site: Site) -> int:
    """The weekdays a site runs theatre lists (Monday first)."""
    return (
        HUB_OPERATING_DAYS_PER_WEEK if site.is_elective_hub else MAIN_SITE_OPERATING_DAYS_PER_WEEK
    )


def split_codes(text: str) -> list[str]:
    """The codes of a comma-separated list ("SANDWELL, CITY")."""
    return [c.strip() for c in text.split(",") if c.strip()]
