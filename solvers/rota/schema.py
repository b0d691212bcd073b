"""What a rota solve takes and returns: shift types, staff and their rules, cover, requests, result.

Everything is validated on construction (unique ids, every reference resolves, days inside the
horizon, non-negative limits) so `model.py` and `check.py` only iterate. Days are 0-based; times
and lengths are whole minutes. Bank and agency pools are in `pool_schema.py`. Every rule except
"one shift a day", "locked assignments" and "site access" is hard by default and can be made soft
per rule family through `RotaInput.rule_modes` (a weight per unit of violation); soft rules that
bind come back as slack in `RotaResult.binding_limits`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from solvers.common import Limit, SolveStats
from solvers.rota.fairness import Fairness
from solvers.rota.pool_schema import Pool, PoolFill, pool_problems

MINUTES_PER_DAY = 24 * 60
SATURDAY, SUNDAY = 5, 6


class RuleFamily(StrEnum):
    """The rule families a rota obeys; each can be hard or soft (see `RuleMode`)."""

    ONE_SHIFT_PER_DAY = "one_shift_per_day"
    LOCKED = "locked"
    SITE_ACCESS = "site_access"
    DAYS_OFF = "days_off"
    MAX_SHIFTS_PER_TYPE = "max_shifts_per_type"
    MAX_TOTAL_MINUTES = "max_total_minutes"
    MIN_TOTAL_MINUTES = "min_total_minutes"
    MAX_CONSECUTIVE_SHIFTS = "max_consecutive_shifts"
    MIN_CONSECUTIVE_SHIFTS = "min_consecutive_shifts"
    MIN_CONSECUTIVE_DAYS_OFF = "min_consecutive_days_off"
    MAX_WEEKENDS = "max_weekends"
    BANNED_SUCCESSION = "banned_succession"
    MAX_CONSECUTIVE_OF_KIND = "max_consecutive_of_kind"
    MAX_MINUTES_IN_WINDOW = "max_minutes_in_window"
    REST_AFTER_RUN = "rest_after_run"
    WEEKEND_FREQUENCY = "weekend_frequency"
    WEEKLY_REST = "weekly_rest"


ALWAYS_HARD = frozenset({RuleFamily.ONE_SHIFT_PER_DAY, RuleFamily.LOCKED, RuleFamily.SITE_ACCESS})

# The unit one "weight" of a soft rule is charged per, as the checker and the model both count it.
PENALTY_UNIT: dict[RuleFamily, str] = {
    RuleFamily.DAYS_OFF: "shift worked on a day off",
    RuleFamily.MAX_SHIFTS_PER_TYPE: "shift over the limit",
    RuleFamily.MAX_TOTAL_MINUTES: "minute over the limit",
    RuleFamily.MIN_TOTAL_MINUTES: "minute under the limit",
    RuleFamily.MAX_CONSECUTIVE_SHIFTS: "day beyond the longest allowed run",
    RuleFamily.MIN_CONSECUTIVE_SHIFTS: "run of shifts that is too short",
    RuleFamily.MIN_CONSECUTIVE_DAYS_OFF: "run of days off that is too short",
    RuleFamily.MAX_WEEKENDS: "weekend over the limit",
    RuleFamily.BANNED_SUCCESSION: "banned shift succession",
    RuleFamily.MAX_CONSECUTIVE_OF_KIND: "day beyond the longest allowed run",
    RuleFamily.MAX_MINUTES_IN_WINDOW: "minute over the limit, summed over windows",
    RuleFamily.REST_AFTER_RUN: "shift starting within the rest owed after a run",
    RuleFamily.WEEKEND_FREQUENCY: "weekend worked over the limit, summed over windows",
    RuleFamily.WEEKLY_REST: "rest period without the weekly rest owed",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleMode(_Frozen):
    """Whether a rule family is hard, or soft at `weight` per unit of violation (`PENALTY_UNIT`)."""

    hard: bool = True
    weight: int = Field(0, ge=0)


class ShiftType(_Frozen):
    """A kind of shift (early, late, night...); `start_minute` after midnight, None if unknown.

    `counts_as` names other shifts whose cover this one also gives (an all-day list with
    `counts_as={"HUB-AM", "HUB-PM"}` counts for both halves; not transitively). `night` marks
    night shifts for fairness (`rules.is_night_shift`); `on_call` a non-resident on-call period
    (packs may owe rest after it: `rules.RulePack.rest_after_on_call_minutes`).
    """

    id: str = Field(min_length=1)
    duration_minutes: int = Field(gt=0)
    start_minute: int | None = Field(None, ge=0, lt=MINUTES_PER_DAY)
    site: str | None = None
    counts_as: frozenset[str] = frozenset()
    night: bool = False
    on_call: bool = False

    @property
    def end_minute(self) -> int | None:
        """Minutes after midnight of the start day when the shift ends (over 1440 past midnight)."""
        return None if self.start_minute is None else self.start_minute + self.duration_minutes

    def span(self, day: int) -> tuple[int, int]:
        """[start, end) in minutes from the start of day 0 when worked on `day`.

        A shift without a start time is taken to fill its whole day (from 00:00, for a day or its
        length if longer): the rules measured in hours (weekends, weekly rest) then err on the safe
        side.
        """
        if self.start_minute is None:
            return day * MINUTES_PER_DAY, day * MINUTES_PER_DAY + max(
                MINUTES_PER_DAY, self.duration_minutes
            )
        start = day * MINUTES_PER_DAY + self.start_minute
        return start, start + self.duration_minutes


class ConsecutiveLimit(_Frozen):
    """At most `max_days` days in a row working any of `shift_ids` (e.g. nights, long shifts)."""

    name: str
    shift_ids: frozenset[str]
    max_days: int = Field(ge=1)


class WindowMinutesLimit(_Frozen):
    """At most `max_minutes` of work in any `window_days` consecutive days (e.g. 72 h in 7 days)."""

    name: str
    window_days: int = Field(ge=1)
    max_minutes: int = Field(ge=0)


class RestAfterRun(_Frozen):
    """Rest owed after a run of shifts of a kind (e.g. 46 h after 3 or more nights in a row).

    After `min_run` or more days in a row working any of `shift_ids`, no shift starts less than
    `min_rest_minutes` after the last shift of the run ends. Measured from shift times: shifts
    without a start time are left out (their rest cannot be known), and a run is counted from the
    first day of the history carried in (`RotaInput.history`), or of the horizon without one.
    """

    name: str
    shift_ids: frozenset[str]
    min_run: int = Field(ge=1)
    min_rest_minutes: int = Field(ge=0)


class WeekendLimit(_Frozen):
    """At most `max_worked` of any `out_of` weekends in a row, and `max_total` over the horizon.

    A weekend is `length_minutes` from `start_minute` on `start_weekday` (0 = Monday): the 2016
    doctors' contract's Friday 21:00 to Monday 07:00 is weekday 4, minute 1260, 3480 minutes. A
    weekend is worked when any worked shift overlaps it (`ShiftType.span`). The weekends counted
    are those some shift of the horizon could overlap (`RotaInput.weekend_windows`); with fewer
    than `out_of` of them, all of them form the one window.
    """

    name: str
    start_weekday: int = Field(4, ge=0, le=6)
    start_minute: int = Field(21 * 60, ge=0, lt=MINUTES_PER_DAY)
    length_minutes: int = Field(58 * 60, gt=0, le=7 * MINUTES_PER_DAY)
    max_worked: int = Field(1, ge=0)
    out_of: int = Field(2, ge=1)
    max_total: int | None = Field(None, ge=0)


class WeeklyRest(_Frozen):
    """At least `min_rest_minutes` of uninterrupted rest in each `period_days`-day rest period.

    Rest periods are consecutive blocks of `period_days` days starting at 00:00 on the horizon's
    first Monday (a "week" starts at midnight between Sunday and Monday, Working Time Regulations
    1998 reg 2, and the weekly rest period at the start of each week, reg 11(6)(b)). Only periods
    wholly inside the horizon, or inside the history carried in and the horizon, are held to it:
    rest before them is not known. Work is each
    worked shift's `ShiftType.span`; work before or after the period bounds the rest, it does not
    count inside it.
    """

    name: str
    period_days: int = Field(7, ge=1)
    min_rest_minutes: int = Field(ge=1)


class Staff(_Frozen):
    """One person and the limits of their contract; None means "no limit".

    `travel_minutes` is the one-way travel from home to each site, in minutes; a site not listed
    (or a shift without a site) costs no travel. A shift worked costs `cost_per_shift` plus
    `cost_per_hour` pro rata to its length (see `shift_cost`).
    """

    id: str = Field(min_length=1)
    group: str = ""
    home_site: str | None = None
    sites: frozenset[str] | None = None
    skills: frozenset[str] = frozenset()
    cost_per_shift: int = Field(0, ge=0)
    cost_per_hour: int = Field(0, ge=0)
    fte_tenths: int = Field(10, ge=0, le=10)
    max_shifts_per_type: dict[str, int] = Field(default_factory=dict)
    min_total_minutes: int = Field(0, ge=0)
    max_total_minutes: int | None = Field(None, ge=0)
    min_consecutive_shifts: int = Field(1, ge=1)
    max_consecutive_shifts: int | None = Field(None, ge=1)
    min_consecutive_days_off: int = Field(1, ge=1)
    max_weekends: int | None = Field(None, ge=0)
    days_off: frozenset[int] = frozenset()
    consecutive_limits: tuple[ConsecutiveLimit, ...] = ()
    window_limits: tuple[WindowMinutesLimit, ...] = ()
    rest_after_runs: tuple[RestAfterRun, ...] = ()
    weekend_limits: tuple[WeekendLimit, ...] = ()
    weekly_rests: tuple[WeeklyRest, ...] = ()
    travel_minutes: dict[str, NonNegativeInt] = Field(default_factory=dict)

    def shift_cost(self, shift: ShiftType) -> int:
        """What this person working this shift costs: per shift plus per hour, rounded."""
        return self.cost_per_shift + round(self.cost_per_hour * shift.duration_minutes / 60)

    def may_work_at(self, shift: ShiftType) -> bool:
        """True when the shift is at a site this person may work at."""
        return self.sites is None or shift.site is None or shift.site in self.sites

    def travel_to(self, shift: ShiftType) -> int:
        """One-way travel minutes from home to the shift's site (0 without a site or a figure)."""
        return 0 if shift.site is None else self.travel_minutes.get(shift.site, 0)


class CoverRequirement(_Frozen):
    """Staff wanted on a shift on a day (with `skill`, if given), and the price of missing it.

    A person counts towards every skill they hold, so "2 with skill RN on the early" is met by any
    2 registered nurses working the early, whatever else they also count for. Each place short of
    staff costs `under_weight`; one no pool fills either (`RotaInput.pools`) `unfilled_weight` more.
    """

    day: int = Field(ge=0)
    shift_id: str
    skill: str | None = None
    required: int = Field(ge=0)
    under_weight: int = Field(ge=0)
    over_weight: int = Field(ge=0)
    unfilled_weight: int = Field(0, ge=0)


class ShiftRequest(_Frozen):
    """A wish: `on` = wants this shift (any shift if None) that day; `off` = does not want it."""

    staff_id: str
    day: int = Field(ge=0)
    shift_id: str | None = None
    kind: Literal["on", "off"]
    weight: int = Field(ge=0)


class LockedAssignment(_Frozen):
    """A decision already taken: this person works `shift_id` that day, or is off if None."""

    staff_id: str
    day: int = Field(ge=0)
    shift_id: str | None


class Assignment(_Frozen):
    """One worked shift in a rota."""

    staff_id: str
    day: int = Field(ge=0)
    shift_id: str


class PublishedAssignment(_Frozen):
    """What the published rota gave this person on this day: `shift_id`, or the day off if None.

    The person or the shift may no longer be in the problem (staff removed, a site dropped): the
    model cannot keep such a day, and the change is reported with that reason.
    """

    staff_id: str
    day: int = Field(ge=0)
    shift_id: str | None


class PublishedChange(_Frozen):
    """A published day the new rota changes: `was` and `now` are shift ids (None = off).

    `why` names a cause in the input when there is one (leave, a lock, staff removed); empty when
    the change is the search's trade-off for cover or a rule.
    """

    staff_id: str
    day: int
    was: str | None
    now: str | None
    why: str = ""


class PastShift(_Frozen):
    """A shift worked before the rota starts (day -1 is the day before), at its shift's times."""

    staff_id: str
    day: int = Field(lt=0)
    shift_id: str


class RotaInput(_Frozen):
    """A rota problem: the horizon, shift types, staff, cover wanted, wishes and decisions taken.

    `first_weekday` is 0 for Monday (weekends are Saturday and Sunday). With `edge_runs_exempt`
    (the default) a run of shifts or days off that touches the first or last day is not held to a
    minimum length: what was worked before or after the horizon is not known. `travel_weight`
    charges each minute of one-way travel to a worked shift's site; `fairness` weighs how evenly
    nights, weekends and cross-site shifts fall within each staff group.

    `history` are the shifts worked in the `history_days` days before day 0 (days -history_days
    to -1; a day without a shift there is a day off). Every rolling rule (runs, rest after runs,
    banned successions, minutes in a window, weekends in a row, weekly rest) is then judged
    across the join: a window, run or period counts the history's shifts with the rota's.
    Horizon totals (hours, shifts of a type, weekends over the horizon, minimum runs) do not.
    What the history alone already breaks is not charged to the rota, but the rota may add
    nothing to it (docs/rota.md, "History carried in").

    `published` is the published rota's day for each person on the days it shares with this one
    (a shift or the day off); each one the rota changes costs `published_weight` ("minimal
    change", docs/rota.md). Locks win over a published day. `pools`: bank and agency pools.
    """

    horizon_days: int = Field(ge=1)
    first_weekday: int = Field(0, ge=0, le=6)
    shift_types: tuple[ShiftType, ...] = Field(min_length=1)
    staff: tuple[Staff, ...] = Field(min_length=1)
    cover: tuple[CoverRequirement, ...] = ()
    requests: tuple[ShiftRequest, ...] = ()
    locked: tuple[LockedAssignment, ...] = ()
    banned_successions: frozenset[tuple[str, str]] = frozenset()
    rule_modes: dict[RuleFamily, RuleMode] = Field(default_factory=dict)
    edge_runs_exempt: bool = True
    travel_weight: int = Field(0, ge=0)
    fairness: Fairness = Fairness()
    history: tuple[PastShift, ...] = ()
    history_days: int = Field(0, ge=0)
    published: tuple[PublishedAssignment, ...] = ()
    published_weight: int = Field(0, ge=0)
    pools: tuple[Pool, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> RotaInput:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def mode(self, family: RuleFamily) -> RuleMode:
        """The hard/soft mode of a rule family (hard unless `rule_modes` says otherwise)."""
        if family in ALWAYS_HARD:
            return RuleMode()
        return self.rule_modes.get(family, RuleMode())

    def shift(self, shift_id: str) -> ShiftType:
        """The shift type with this id."""
        return self._shift_index()[shift_id]

    def shifts_giving_cover(self, shift_id: str) -> list[str]:
        """The shift itself and every shift that also counts as it (`ShiftType.counts_as`)."""
        return [shift_id] + [s.id for s in self.shift_types if shift_id in s.counts_as]

    def _shift_index(self) -> dict[str, ShiftType]:
        return {s.id: s for s in self.shift_types}

    def weekday(self, day: int) -> int:
        """0 = Monday ... 6 = Sunday."""
        return (self.first_weekday + day) % 7

    def weekends(self) -> list[list[int]]:
        """The days of each weekend touching the horizon (Saturday and/or Sunday), in order."""
        by_week: dict[int, list[int]] = {}
        for day in range(self.horizon_days):
            if self.weekday(day) in (SATURDAY, SUNDAY):
                by_week.setdefault((self.first_weekday + day) // 7, []).append(day)
        return [by_week[week] for week in sorted(by_week)]

    def weekend_windows(self, limit: WeekendLimit) -> list[tuple[int, int]]:
        """[start, end) in minutes from day 0 of each weekend some shift of the horizon overlaps."""
        windows = []
        for day in range(-7, self.horizon_days + 1):
            if self.weekday(day) != limit.start_weekday:
                continue
            start = day * MINUTES_PER_DAY + limit.start_minute
            end = start + limit.length_minutes
            near = range(max(0, day - 7), min(self.horizon_days, day + 8))
            if any(
                s.span(d)[0] < end and start < s.span(d)[1] for d in near for s in self.shift_types
            ):
                windows.append((start, end))
        return windows

    def rest_periods(self, period_days: int) -> list[tuple[int, int]]:
        """The days [first, last + 1) of each whole rest period in the horizon (`WeeklyRest`).

        With a history, the period running across the join (starting in the history, ending on
        the horizon's first Monday) is the first one, when the history covers all of its days.
        """
        first = (7 - self.first_weekday) % 7
        periods = [
            (start, start + period_days)
            for start in range(first, self.horizon_days - period_days + 1, period_days)
        ]
        joined = first - period_days
        if first > 0 and joined >= -self.history_days and first <= self.horizon_days:
            periods.insert(0, (joined, first))
        return periods

    @cached_property
    def _history_index(self) -> tuple[tuple[PastShift, ...], dict[str, list[PastShift]]]:
        by_staff: dict[str, list[PastShift]] = {}
        for past in self.history:
            by_staff.setdefault(past.staff_id, []).append(past)
        return self.history, by_staff

    @property
    def _history_by_staff(self) -> dict[str, list[PastShift]]:
        """The history by person, rebuilt if a copy changed it (`model_copy` keeps the cache)."""
        history, by_staff = self._history_index
        if history is not self.history:
            del self.__dict__["_history_index"]
            history, by_staff = self._history_index
        return by_staff

    def past_days(self, staff_id: str) -> list[str | None]:
        """The shift this person worked on each history day, days -history_days to -1 in order."""
        days: list[str | None] = [None] * self.history_days
        for past in self._history_by_staff.get(staff_id, []):
            days[self.history_days + past.day] = past.shift_id
        return days

    def past_spans(self, staff_id: str) -> list[tuple[int, int]]:
        """[start, end) in minutes from day 0 (negative before it) of each history shift."""
        shifts, past = self._shift_index(), self._history_by_staff.get(staff_id, [])
        return sorted(shifts[p.shift_id].span(p.day) for p in past)

    def past_weekend_windows(self, limit: WeekendLimit) -> list[tuple[int, int]]:
        """[start, end) of each weekend the history overlaps that is not a horizon weekend.

        These come before `weekend_windows` and carry "weekends in a row" across the join.
        """
        if not self.history_days:
            return []
        current = set(self.weekend_windows(limit))
        windows = []
        for day in range(-self.history_days - 7, 0):
            if self.weekday(day) != limit.start_weekday:
                continue
            start = day * MINUTES_PER_DAY + limit.start_minute
            end = start + limit.length_minutes
            if (start, end) not in current and start < 0 and end > -self.history_days * 1440:
                windows.append((start, end))
        first = min(current, default=None)
        return [w for w in windows if first is None or w[0] < first[0]]


class RotaResult(_Frozen):
    """A solved rota with its statistics, penalty per objective term, and what binds.

    `objective_terms` splits the objective into cover_under, cover_over, requests, staff_cost,
    and, when non-zero, `travel`, `fairness:nights`, `fairness:weekends`, `fairness:cross_site` and
    one `soft:<rule family>` entry per soft rule that is broken; `infeasible_because` names the hard
    rule families (per person) that together make the problem infeasible, when that was asked.

    `places_short` counts the staff-shifts of required cover the rota leaves unfilled (the sum over
    cover requirements of required minus people counted, when short); `places_short_lower_bound`
    is a proven lower bound on it for every rota that keeps the hard rules (`cover_bound.py`), so
    gaps above it may be the search's, gaps up to it are the staffing's. None when not computed.
    `published_changes` lists every published day (`RotaInput.published`) the rota changes;
    `pool_fills` the places bank and agency pools fill, and `places_unfilled` what stays short.
    """

    stats: SolveStats
    assignments: tuple[Assignment, ...] = ()
    objective_terms: dict[str, int] = Field(default_factory=dict)
    binding_limits: tuple[Limit, ...] = ()
    infeasible_because: tuple[Limit, ...] = ()
    places_short: int | None = None
    places_short_lower_bound: int | None = None
    published_changes: tuple[PublishedChange, ...] = ()
    pool_fills: tuple[PoolFill, ...] = ()
    places_unfilled: int | None = None

    @classmethod
    def failed(cls, stats: SolveStats, because: tuple[Limit, ...] = ()) -> RotaResult:
        """A result without a rota (infeasible, out of time or invalid input)."""
        return cls(stats=stats, infeasible_because=because)


def _problems(data: RotaInput) -> list[str]:
    """Every reason the input cannot be solved as given, in words a planner can act on."""
    problems: list[str] = []
    horizon = data.horizon_days
    shift_ids = [s.id for s in data.shift_types]
    staff_ids = [p.id for p in data.staff]
    for kind, ids in (("shift type", shift_ids), ("staff", staff_ids)):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"{kind} ids must be unique; repeated: {', '.join(duplicates)}")
    known_shifts, known_staff = set(shift_ids), set(staff_ids)
    for shift in data.shift_types:
        unknown = sorted(shift.counts_as - known_shifts)
        if unknown:
            problems.append(f"shift type {shift.id} counts as unknown shift types {unknown}")
        if shift.id in shift.counts_as:
            problems.append(f"shift type {shift.id} cannot count as itself")

    def day_ok(where: str, day: int) -> None:
        if day >= horizon:
            problems.append(f"{where}: day {day} is outside the horizon ({horizon} days, 0-based)")

    for person in data.staff:
        for shift_id in person.max_shifts_per_type:
            if shift_id not in known_shifts:
                problems.append(f"staff {person.id}: max shifts for unknown shift type {shift_id}")
        for day in person.days_off:
            day_ok(f"staff {person.id} day off", day)
        limits: list[ConsecutiveLimit | RestAfterRun] = [*person.consecutive_limits]
        limits += person.rest_after_runs
        for limit in limits:
            unknown = sorted(limit.shift_ids - known_shifts)
            if unknown:
                problems.append(f"staff {person.id} {limit.name}: unknown shift types {unknown}")
        if person.max_total_minutes is not None and person.max_total_minutes < (
            person.min_total_minutes
        ):
            problems.append(
                f"staff {person.id}: minimum {person.min_total_minutes} minutes is above the "
                f"maximum {person.max_total_minutes}"
            )
    for first, then in data.banned_successions:
        if first not in known_shifts or then not in known_shifts:
            problems.append(f"banned succession {first}->{then} names an unknown shift type")
    seen_cover: set[tuple[int, str, str | None]] = set()
    for c in data.cover:
        day_ok(f"cover for {c.shift_id}", c.day)
        if c.shift_id not in known_shifts:
            problems.append(f"cover on day {c.day}: unknown shift type {c.shift_id}")
        key = (c.day, c.shift_id, c.skill)
        if key in seen_cover:
            problems.append(f"cover on day {c.day} for {c.shift_id} ({c.skill}) is given twice")
        seen_cover.add(key)
    for r in data.requests:
        if r.staff_id not in known_staff:
            problems.append(f"request on day {r.day}: unknown staff {r.staff_id}")
        if r.shift_id is not None and r.shift_id not in known_shifts:
            problems.append(f"request of {r.staff_id} on day {r.day}: unknown shift {r.shift_id}")
        day_ok(f"request of {r.staff_id}", r.day)
    seen_locked: set[tuple[str, int]] = set()
    for lock in data.locked:
        if lock.staff_id not in known_staff:
            problems.append(f"locked assignment on day {lock.day}: unknown staff {lock.staff_id}")
        if lock.shift_id is not None and lock.shift_id not in known_shifts:
            problems.append(
                f"locked assignment of {lock.staff_id} on day {lock.day}: "
                f"unknown shift {lock.shift_id}"
            )
        if (lock.staff_id, lock.day) in seen_locked:
            problems.append(f"{lock.staff_id} has two locked assignments on day {lock.day}")
        seen_locked.add((lock.staff_id, lock.day))
        day_ok(f"locked assignment of {lock.staff_id}", lock.day)
    seen_past: set[tuple[str, int]] = set()
    for past in data.history:
        where = f"history of {past.staff_id} on day {past.day}"
        if past.staff_id not in known_staff:
            problems.append(f"{where}: unknown staff {past.staff_id}")
        if past.shift_id not in known_shifts:
            problems.append(f"{where}: unknown shift {past.shift_id}")
        if past.day < -data.history_days:
            problems.append(f"{where}: before the {data.history_days} days of history")
        if (past.staff_id, past.day) in seen_past:
            problems.append(f"{where}: two shifts on one day")
        seen_past.add((past.staff_id, past.day))
    seen_published: set[tuple[str, int]] = set()
    for pub in data.published:
        if (pub.staff_id, pub.day) in seen_published:
            problems.append(f"{pub.staff_id} has two published days on day {pub.day}")
        seen_published.add((pub.staff_id, pub.day))
        day_ok(f"published day of {pub.staff_id}", pub.day)
    for family, mode in data.rule_modes.items():
        if family in ALWAYS_HARD and not mode.hard:
            problems.append(f"rule {family} is always hard and cannot be made soft")
    return problems + pool_problems(data)
