"""Real weeks: weekly profiles of capacity and demand from a calendar of changes.

A plan's horizon starts on a date (`start`, the day after the scenario's RTT snapshot); week 1 is
the seven days from it, week 2 the next seven, and so on. Each week of each
site gets a **capacity factor**, the share of its usual weekly capacity open that week, and each
week gets a **demand factor**, the multiple of usual weekly demand joining the lists that week.
They are the product of:

- England's bank holidays, from the `holidays` package (`country_holidays("GB", subdiv="ENG")`,
  the calendar the rota uses): a site loses the bank holidays that fall on its operating days,
  so a Monday-to-Friday site has 4/5 of its capacity in the week of Easter Monday;
- the month's seasonal index (`SeasonalIndex`, estimated from the monthly flow history by
  `projections.seasonality`): completed pathways per working day for capacity, which carries the
  August and Christmas dips that leave causes beyond the bank holidays themselves, and new clock
  starts for demand;
- the planner's changes (`CalendarChange`): a week range plus a change, e.g. "hub X closed weeks
  1-2", "theatre Y closed for refurbishment weeks 10-14" (a share of the site's capacity lost),
  "hub opens week 9, ramps over 6 weeks", "demand +3% a year".

A week's factor from a monthly index is the mean of its seven days' month indices, so a week
across a month end mixes both months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import holidays

from ics_capacity.domain.errors import InvalidInputError

WEEKS_PER_YEAR = 365.25 / 7
MAX_CALENDAR_WEEKS = 104


class ChangeKind(StrEnum):
    """What a calendar change does to the weeks of its range."""

    CLOSED = "closed"
    """Capacity: the site is closed (factor 0)."""
    PERCENT = "percent"
    """Capacity or demand: up or down by `value` percent (e.g. -25: one theatre of four closed)."""
    OPENS = "opens"
    """Capacity: the site opens in `first_week` and ramps up evenly over `value` weeks."""
    GROWTH = "growth"
    """Demand: grows by `value` percent a year from `first_week` (compounded weekly)."""


class ChangeTarget(StrEnum):
    """Whether a change applies to a site's capacity or to demand."""

    CAPACITY = "capacity"
    DEMAND = "demand"


KIND_WORDS: dict[ChangeKind, str] = {
    ChangeKind.CLOSED: "closed",
    ChangeKind.PERCENT: "changed by a percentage",
    ChangeKind.OPENS: "opens and ramps up",
    ChangeKind.GROWTH: "grows by a percentage a year",
}


@dataclass(frozen=True)
class CalendarChange:
    """One line of a scenario's calendar: a week range (1-based, inclusive) and a change.

    `site` is the site (hub) code a capacity change applies to, or None for every site; demand
    changes apply to every list. For `OPENS` the range's last week is ignored: the site stays
    open to the end of the horizon, closed before `first_week`.
    """

    first_week: int
    last_week: int
    target: ChangeTarget
    kind: ChangeKind
    value: float = 0.0
    site: str | None = None
    note: str = ""

    def problems(self, horizon_weeks: int = MAX_CALENDAR_WEEKS) -> list[str]:
        """Every reason this change cannot be applied, each naming its field; empty if none."""
        out: list[str] = []
        if not 1 <= self.first_week <= horizon_weeks:
            out.append(f"first week: {self.first_week} must be 1 to {horizon_weeks}")
        if self.kind != ChangeKind.OPENS and not self.first_week <= self.last_week <= horizon_weeks:
            out.append(
                f"last week: {self.last_week} must be from the first week ({self.first_week}) "
                f"to {horizon_weeks}"
            )
        if self.target == ChangeTarget.DEMAND and self.kind in (
            ChangeKind.CLOSED,
            ChangeKind.OPENS,
        ):
            out.append(f"change: demand cannot be '{KIND_WORDS[self.kind]}'; use a percentage")
        if self.target == ChangeTarget.CAPACITY and self.kind == ChangeKind.GROWTH:
            out.append("change: growth a year applies to demand; use a percentage for capacity")
        if self.kind == ChangeKind.PERCENT and not -100 <= self.value <= 200:
            out.append(f"value: {self.value:g}% must be from -100% to +200%")
        if self.kind == ChangeKind.OPENS and not 1 <= self.value <= 52:
            out.append(f"value: a ramp of {self.value:g} weeks must be 1 to 52 weeks")
        if self.kind == ChangeKind.GROWTH and not -50 <= self.value <= 50:
            out.append(f"value: growth of {self.value:g}% a year must be from -50% to +50%")
        return out

    def factor(self, week: int) -> float:
        """The multiplier this change applies in 1-based `week` (1 outside its range)."""
        if self.kind == ChangeKind.OPENS:
            if week < self.first_week:
                return 0.0
            ramp = max(1, round(self.value))
            return min(1.0, (week - self.first_week + 1) / ramp)
        if not self.first_week <= week <= self.last_week:
            if self.kind == ChangeKind.GROWTH and week > self.last_week:
                week = self.last_week  # growth stops at the range's end and stays
            else:
                return 1.0
        if self.kind == ChangeKind.CLOSED:
            return 0.0
        if self.kind == ChangeKind.PERCENT:
            return max(0.0, 1.0 + self.value / 100.0)
        years = (week - self.first_week + 1) / WEEKS_PER_YEAR
        return float((1.0 + self.value / 100.0) ** years)

    def describe(self) -> str:
        """The change in a planner's words, e.g. 'CANNOCK opens week 9, ramping up over 6 weeks'."""
        who = self.site or ("every site" if self.target == ChangeTarget.CAPACITY else "demand")
        weeks = (
            f"week {self.first_week}"
            if self.first_week == self.last_week
            else f"weeks {self.first_week}-{self.last_week}"
        )
        if self.kind == ChangeKind.CLOSED:
            text = f"{who} closed {weeks}"
        elif self.kind == ChangeKind.OPENS:
            text = f"{who} opens week {self.first_week}, ramping up over {self.value:g} weeks"
        elif self.kind == ChangeKind.GROWTH:
            text = f"{who} grows {self.value:+g}% a year from week {self.first_week}"
        else:
            what = "capacity" if self.target == ChangeTarget.CAPACITY else ""
            text = f"{who} {what} {self.value:+g}% {weeks}".replace("  ", " ")
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class SeasonalIndex:
    """Multiplicative month indices (1 = an average month), January first, and how they were made.

    `capacity` is completed pathways per working day by month (the leave dips beyond bank
    holidays); `demand` is new clock starts per day by month.
    """

    capacity: tuple[float, ...] = (1.0,) * 12
    demand: tuple[float, ...] = (1.0,) * 12
    method: str = "flat (no seasonality)"

    def __post_init__(self) -> None:
        """Twelve positive indices each."""
        for name, values in (("capacity", self.capacity), ("demand", self.demand)):
            if len(values) != 12 or any(not v > 0 for v in values):
                raise InvalidInputError(f"seasonal index {name}: needs 12 positive month values")


FLAT = SeasonalIndex()


@dataclass(frozen=True)
class WeeklyProfiles:
    """Capacity factors per site and week, demand factors per week, and why each week differs."""

    start: dt.date
    weeks: int
    capacity: dict[str, list[float]]
    demand: list[float]
    bank_holidays: dict[int, list[str]] = field(
        default_factory=dict
    )  # week -> "May Day (Mon 4 May 2026)"

    def week_start(self, week: int) -> dt.date:
        """The first day of 1-based `week`."""
        return self.start + dt.timedelta(weeks=week - 1)


def england_bank_holidays(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """England's bank holidays from `first` to `last` inclusive, substitute days included."""
    years = list(range(first.year, last.year + 1))
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return {d: str(name) for d, name in sorted(calendar.items()) if first <= d <= last}


def weekly_profiles(
    start: dt.date,
    weeks: int,
    sites: Mapping[str, int],
    changes: Sequence[CalendarChange] = (),
    seasonal: SeasonalIndex = FLAT,
) -> WeeklyProfiles:
    """Weekly capacity factors for each site and weekly demand factors over the horizon.

    Args:
        start: The first day of week 1 (any weekday: a week is seven days from it).
        weeks: Weeks in the horizon (1 to 104).
        sites: Site code -> operating days a week (5: Monday to Friday, 6: to Saturday, 7).
        changes: The scenario's calendar; changes naming a site not in `sites` are refused.
        seasonal: Month indices for capacity and demand (FLAT leaves only bank holidays).

    Returns:
        Factors per week, week 1 first: capacity per site (0 = closed) and demand.

    Raises:
        InvalidInputError: a bad horizon or start, a bad change or an unknown site; every
            problem is listed.
    """
    problems: list[str] = []
    if not 1 <= weeks <= MAX_CALENDAR_WEEKS:
        problems.append(f"weeks: {weeks} must be 1 to {MAX_CALENDAR_WEEKS}")
    for site, open_days in sites.items():
        if not 1 <= open_days <= 7:
            problems.append(f"site {site}: {open_days} operating days a week must be 1 to 7")
    for n, change in enumerate(changes, start=1):
        own = change.problems()  # a line may reach past a shorter horizon: it is cut there
        if change.site is not None and change.site not in sites:
            own.append(f"site: {change.site!r} is not a site of the scenario")
        problems.extend(f"calendar line {n}, {p}" for p in own)
    if problems:
        raise InvalidInputError("; ".join(problems))

    end = start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
    closed = england_bank_holidays(start, end)
    days_of_week = [[start + dt.timedelta(weeks=w, days=d) for d in range(7)] for w in range(weeks)]
    month_capacity = [
        sum(seasonal.capacity[d.month - 1] for d in days) / 7 for days in days_of_week
    ]
    demand = [sum(seasonal.demand[d.month - 1] for d in days) / 7 for days in days_of_week]
    for change in changes:
        if change.target == ChangeTarget.DEMAND:
            demand = [f * change.factor(w + 1) for w, f in enumerate(demand)]
    capacity: dict[str, list[float]] = {}
    for site, days_open in sites.items():
        row = []
        for w, days in enumerate(days_of_week):
            operating = [d for d in days if d.weekday() < days_open]
            working = sum(d not in closed for d in operating) / days_open
            factor = working * month_capacity[w]
            for change in changes:
                if change.target == ChangeTarget.CAPACITY and change.site in (None, site):
                    factor *= change.factor(w + 1)
            row.append(round(factor, 6))
        capacity[site] = row
    holidays_by_week: dict[int, list[str]] = {}
    for day, name in closed.items():
        holidays_by_week.setdefault((day - start).days // 7 + 1, []).append(
            f"{name} ({day:%a} {day.day} {day:%b %Y})"
        )
    return WeeklyProfiles(
        start=start,
        weeks=weeks,
        capacity=capacity,
        demand=[round(f, 6) for f in demand],
        bank_holidays=holidays_by_week,
    )
