"""An independent checker of rotas: recomputes the penalty and lists every broken hard rule.

Written from the rule definitions in `schema.py` and docs/rota.md, not from the CP-SAT model: it
walks each person's days and counts runs, weekends and minutes directly, so a modelling mistake in
`model.py` shows up as a disagreement. It imports nothing but the schema (fairness is worked out
in `check_fairness.py`, the same way).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from solvers.rota.check_fairness import FairnessLine, fairness_lines, fairness_terms
from solvers.rota.pool_schema import PoolFill
from solvers.rota.schema import MINUTES_PER_DAY, Assignment, RotaInput, RuleFamily, Staff

UNKNOWN_REFERENCE = "unknown_reference"
POOL_FILL = "pool_fill"
POOL_CAP = "pool_cap"


class Violation(BaseModel):
    """A hard rule a rota breaks: which rule, whose, when, and what exactly."""

    model_config = ConfigDict(frozen=True)

    rule: str
    staff_id: str | None
    when: str
    detail: str


class RotaCheck(BaseModel):
    """The checker's verdict: penalty per term, its total, hard rules broken, places short.

    `places_unfilled` are the places short of staff that no pool fills; `pool_places` and
    `pool_pence` the places each pool fills and what they cost, by pool id; `fairness` each staff
    group's spread per WTE and band (`check_fairness.py`).
    """

    model_config = ConfigDict(frozen=True)

    objective: int
    terms: dict[str, int] = Field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    places_short: int = 0
    places_unfilled: int = 0
    pool_places: dict[str, int] = Field(default_factory=dict)
    pool_pence: dict[str, int] = Field(default_factory=dict)
    fairness: tuple[FairnessLine, ...] = ()

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations


class _Tally:
    """Collects penalties (soft rules, cover, requests) and violations (hard rules)."""

    def __init__(self, data: RotaInput) -> None:
        self.data = data
        self.terms: dict[str, int] = {
            "cover_under": 0,
            "cover_over": 0,
            "requests": 0,
            "staff_cost": 0,
        }
        self.violations: list[Violation] = []
        self.places_short = 0
        self.short: dict[tuple[int, str, str | None], int] = {}
        self.places_unfilled = 0
        self.pool_places: dict[str, int] = {}
        self.pool_pence: dict[str, int] = {}

    def breach(self, family: RuleFamily, staff_id: str, when: str, units: int, detail: str) -> None:
        """Records `units` of a rule broken: a violation if hard, a weighted penalty if soft."""
        if units <= 0:
            return
        mode = self.data.mode(family)
        if mode.hard:
            self.violations.append(
                Violation(rule=family, staff_id=staff_id, when=when, detail=detail)
            )
        elif mode.weight:
            key = f"soft:{family}"
            self.terms[key] = self.terms.get(key, 0) + mode.weight * units


def check_rota(
    data: RotaInput, assignments: Iterable[Assignment], pool_fills: Iterable[PoolFill] = ()
) -> RotaCheck:
    """Recomputes the objective of a rota and lists the hard rules it breaks.

    `pool_fills` are the places the rota fills from bank and agency pools (`RotaResult.pool_fills`):
    each must be a place short of staff that its pool serves, within the pool's cap in each period.

    Returns:
        The penalty per term (`cover_under`, `cover_over`, `requests`, `staff_cost`; `travel`,
        `fairness:<kind>` and `soft:<rule>` when non-zero), their sum as `objective`, and one
        `Violation` per hard rule broken (per person and day, run, window or weekend count as the
        rule is stated).
    """
    tally = _Tally(data)
    shifts = {s.id: s for s in data.shift_types}
    people = {p.id: p for p in data.staff}
    worked: dict[tuple[str, int], list[str]] = defaultdict(list)
    for a in assignments:
        if a.staff_id not in people or a.shift_id not in shifts or a.day >= data.horizon_days:
            tally.violations.append(
                Violation(
                    rule=UNKNOWN_REFERENCE,
                    staff_id=a.staff_id,
                    when=f"day {a.day}",
                    detail=f"{a.staff_id} / {a.shift_id} / day {a.day} is not in the problem",
                )
            )
            continue
        worked[a.staff_id, a.day].append(a.shift_id)

    for person in data.staff:
        days = [worked.get((person.id, day), []) for day in range(data.horizon_days)]
        _check_person(tally, person, days)
    _check_locked(tally, worked)
    _cover(tally, worked)
    _requests(tally, worked)
    _travel(tally, worked)
    fairness = fairness_lines(data, worked)
    for key, amount in fairness_terms(data, fairness).items():
        tally.terms[key] = tally.terms.get(key, 0) + amount
    _published(tally, worked)
    _pools(tally, list(pool_fills))
    objective = sum(tally.terms.values())
    return RotaCheck(
        objective=objective,
        terms=tally.terms,
        violations=tuple(tally.violations),
        places_short=tally.places_short,
        places_unfilled=tally.places_unfilled,
        pool_places=tally.pool_places,
        pool_pence=tally.pool_pence,
        fairness=tuple(fairness),
    )


def _check_person(tally: _Tally, person: Staff, days: list[list[str]]) -> None:
    """Every rule about one person's own days."""
    data = tally.data
    shifts = {s.id: s for s in data.shift_types}
    horizon = data.horizon_days
    on = [bool(todays) for todays in days]
    pid = person.id

    for day, todays in enumerate(days):
        if len(todays) > 1:
            tally.breach(
                RuleFamily.ONE_SHIFT_PER_DAY, pid, f"day {day}", 1, f"works {', '.join(todays)}"
            )
        for shift_id in todays:
            if not person.may_work_at(shifts[shift_id]):
                tally.breach(
                    RuleFamily.SITE_ACCESS,
                    pid,
                    f"day {day}",
                    1,
                    f"{shift_id} is at {shifts[shift_id].site}, "
                    f"not one of {sorted(person.sites or ())}",
                )
        if day in person.days_off and todays:
            tally.breach(RuleFamily.DAYS_OFF, pid, f"day {day}", len(todays), "works a day off")
        tally.terms["staff_cost"] += sum(person.shift_cost(shifts[s]) for s in todays)

    counts: dict[str, int] = defaultdict(int)
    minutes = 0
    for todays in days:
        for shift_id in todays:
            counts[shift_id] += 1
            minutes += shifts[shift_id].duration_minutes
    for shift_id, most in person.max_shifts_per_type.items():
        tally.breach(
            RuleFamily.MAX_SHIFTS_PER_TYPE,
            pid,
            shift_id,
            counts[shift_id] - most,
            f"{counts[shift_id]} {shift_id} shifts, at most {most}",
        )
    if person.max_total_minutes is not None:
        tally.breach(
            RuleFamily.MAX_TOTAL_MINUTES,
            pid,
            "horizon",
            minutes - person.max_total_minutes,
            f"{minutes} minutes, at most {person.max_total_minutes}",
        )
    tally.breach(
        RuleFamily.MIN_TOTAL_MINUTES,
        pid,
        "horizon",
        person.min_total_minutes - minutes,
        f"{minutes} minutes, at least {person.min_total_minutes}",
    )

    # Rolling rules see the history carried in: `ext` is days -history_days to the horizon's end.
    past = data.past_days(pid)
    joined = len(past)
    ext: list[list[str]] = [[] if s is None else [s] for s in past] + days
    ext_on = [bool(todays) for todays in ext]

    for start, length, working in _runs(on):
        when = f"days {start}-{start + length - 1}"
        touches_edge = start == 0 or start + length == horizon
        exempt = data.edge_runs_exempt and touches_edge
        if working:
            if length < person.min_consecutive_shifts and not exempt:
                tally.breach(
                    RuleFamily.MIN_CONSECUTIVE_SHIFTS,
                    pid,
                    when,
                    1,
                    f"{length} days in a row, at least {person.min_consecutive_shifts}",
                )
        elif length < person.min_consecutive_days_off and not exempt:
            tally.breach(
                RuleFamily.MIN_CONSECUTIVE_DAYS_OFF,
                pid,
                when,
                1,
                f"{length} days off in a row, at least {person.min_consecutive_days_off}",
            )
    if person.max_consecutive_shifts is not None:
        most = person.max_consecutive_shifts
        for start, length, earlier in _runs_across(ext_on, joined):
            tally.breach(
                RuleFamily.MAX_CONSECUTIVE_SHIFTS,
                pid,
                f"days {start}-{start + length - 1}",
                length - max(most, earlier),
                f"{length} days in a row, at most {most}",
            )

    if person.max_weekends is not None:
        used = sum(1 for weekend in data.weekends() if any(on[day] for day in weekend))
        tally.breach(
            RuleFamily.MAX_WEEKENDS,
            pid,
            "horizon",
            used - person.max_weekends,
            f"{used} weekends worked, at most {person.max_weekends}",
        )

    for day in range(-1 if joined else 0, horizon - 1):
        for first in ext[joined + day]:
            for then in days[day + 1]:
                if (first, then) in data.banned_successions:
                    tally.breach(
                        RuleFamily.BANNED_SUCCESSION,
                        pid,
                        f"days {day}-{day + 1}",
                        1,
                        f"{then} may not follow {first}",
                    )

    for limit in person.consecutive_limits:
        of_kind = [any(s in limit.shift_ids for s in todays) for todays in ext]
        for start, length, earlier in _runs_across(of_kind, joined):
            tally.breach(
                RuleFamily.MAX_CONSECUTIVE_OF_KIND,
                pid,
                f"{limit.name} days {start}-{start + length - 1}",
                length - max(limit.max_days, earlier),
                f"{length} {limit.name} in a row, at most {limit.max_days}",
            )

    for after_run in person.rest_after_runs:
        of_kind = [any(s in after_run.shift_ids for s in todays) for todays in ext]
        for ext_start, length, working in _runs(of_kind):
            if not working or length < after_run.min_run:
                continue
            end = ext_start + length - 1 - joined  # a horizon day, negative in the history
            for last in (shifts[s] for s in ext[joined + end] if s in after_run.shift_ids):
                if last.end_minute is None:
                    continue
                ended = end * MINUTES_PER_DAY + last.end_minute
                for later in range(max(0, end + 1), horizon):
                    for shift_id in days[later]:
                        start_minute = shifts[shift_id].start_minute
                        if start_minute is None:
                            continue
                        rest = later * MINUTES_PER_DAY + start_minute - ended
                        tally.breach(
                            RuleFamily.REST_AFTER_RUN,
                            pid,
                            f"{after_run.name} day {end} {last.id}, day {later} {shift_id}",
                            int(rest < after_run.min_rest_minutes),
                            f"{shift_id} starts {rest} minutes after a run of {length} ends, "
                            f"at least {after_run.min_rest_minutes}",
                        )

    for window_limit in person.window_limits:
        length = window_limit.window_days
        minutes_by_day = [sum(shifts[s].duration_minutes for s in todays) for todays in ext]
        # Windows across the join (when the history worked in them), then the horizon's own.
        starts = [*range(max(0, joined - length + 1) - joined, 0)]
        starts += range(max(1, horizon - length + 1))
        for start in starts:
            window = minutes_by_day[joined + start : joined + start + length]
            earlier = sum(minutes_by_day[joined + start : joined])
            if start < 0 and not earlier:
                continue  # inside the horizon's first window
            tally.breach(
                RuleFamily.MAX_MINUTES_IN_WINDOW,
                pid,
                f"{window_limit.name} days {start}-{start + len(window) - 1}",
                sum(window) - max(window_limit.max_minutes, earlier),
                f"{sum(window)} minutes in {len(window)} days, at most {window_limit.max_minutes}",
            )

    _check_weekend_limits(tally, person, days)
    _check_weekly_rests(tally, person, days)


def _worked_spans(data: RotaInput, days: list[list[str]]) -> list[tuple[int, int]]:
    """[start, end) in minutes from day 0 of every shift worked, in order."""
    shifts = {s.id: s for s in data.shift_types}
    return sorted(shifts[s].span(day) for day, todays in enumerate(days) for s in todays)


def _check_weekend_limits(tally: _Tally, person: Staff, days: list[list[str]]) -> None:
    """Weekends worked (any shift overlapping the weekend's hours) per window and in all.

    The history's weekends come first, so "weekends in a row" runs across the join; groups
    wholly in the history are not the rota's to keep, and what the history worked alone is
    charged to nobody.
    """
    data = tally.data
    past = data.past_spans(person.id)
    spans = _worked_spans(data, days) + past
    for limit in person.weekend_limits:
        before = data.past_weekend_windows(limit)
        windows = before + data.weekend_windows(limit)
        worked = [any(s < end and start < e for s, e in spans) for start, end in windows]
        by_past = [any(s < end and start < e for s, e in past) for start, end in windows]
        group = min(limit.out_of, len(worked))
        for first in range(len(worked) - group + 1):
            if first + group <= len(before):
                continue
            count = sum(worked[first : first + group])
            earlier = sum(by_past[first : first + group])
            label = first - len(before)
            tally.breach(
                RuleFamily.WEEKEND_FREQUENCY,
                person.id,
                f"{limit.name} weekends {label + 1}-{label + group}",
                count - max(limit.max_worked, earlier),
                f"{count} of {group} weekends in a row worked, at most {limit.max_worked}",
            )
        if limit.max_total is not None:
            total = sum(worked[len(before) :])
            earlier = sum(by_past[len(before) :])
            tally.breach(
                RuleFamily.WEEKEND_FREQUENCY,
                person.id,
                f"{limit.name} horizon",
                total - max(limit.max_total, earlier),
                f"{total} weekends worked, at most {limit.max_total}",
            )


def _check_weekly_rests(tally: _Tally, person: Staff, days: list[list[str]]) -> None:
    """Each whole rest period holds an uninterrupted rest of the length owed.

    History shifts count in the periods they overlap; a period the history alone leaves short of
    the rest is the history's, not the rota's.
    """
    past = tally.data.past_spans(person.id)
    spans = sorted(_worked_spans(tally.data, days) + past)
    for rest in person.weekly_rests:
        for first, last in tally.data.rest_periods(rest.period_days):
            begin, end = first * MINUTES_PER_DAY, last * MINUTES_PER_DAY
            longest = _longest_rest(spans, begin, end)
            if past and _longest_rest(past, begin, end) < rest.min_rest_minutes:
                continue
            tally.breach(
                RuleFamily.WEEKLY_REST,
                person.id,
                f"{rest.name} days {first}-{last - 1}",
                int(longest < rest.min_rest_minutes),
                f"longest rest {longest} minutes, at least {rest.min_rest_minutes}",
            )


def _longest_rest(spans: list[tuple[int, int]], begin: int, end: int) -> int:
    """The longest time in [begin, end) minutes free of the (sorted) worked spans."""
    longest, free_from = 0, begin
    for s, e in spans:
        if e <= begin or s >= end:
            continue
        longest = max(longest, s - free_from)
        free_from = max(free_from, e)
    return max(longest, end - free_from)


def _runs(flags: list[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs of equal flags as (first day, length, flag)."""
    runs: list[tuple[int, int, bool]] = []
    start = 0
    for day in range(1, len(flags) + 1):
        if day == len(flags) or flags[day] != flags[start]:
            runs.append((start, day - start, flags[start]))
            start = day
    return runs


def _runs_across(flags: list[bool], joined: int) -> list[tuple[int, int, int]]:
    """Runs of true flags that reach the horizon, as (first day, length, days in the history).

    `flags` start `joined` days before day 0; the first day is a horizon day (negative when the
    run starts in the history).
    """
    return [
        (start - joined, length, max(0, min(length, joined - start)))
        for start, length, flag in _runs(flags)
        if flag and start + length > joined
    ]


def _check_locked(tally: _Tally, worked: dict[tuple[str, int], list[str]]) -> None:
    """Locked assignments are kept: the shift locked is worked (and only it), or the day is off."""
    for lock in tally.data.locked:
        todays = worked.get((lock.staff_id, lock.day), [])
        expected = [] if lock.shift_id is None else [lock.shift_id]
        if todays != expected:
            tally.breach(
                RuleFamily.LOCKED,
                lock.staff_id,
                f"day {lock.day}",
                1,
                f"locked to {lock.shift_id or 'off'}, rota has {', '.join(todays) or 'off'}",
            )


def _cover(tally: _Tally, worked: dict[tuple[str, int], list[str]]) -> None:
    """Staff short of or beyond each cover requirement, at their weights."""
    skills = {p.id: p.skills for p in tally.data.staff}
    shifts = {s.id: s for s in tally.data.shift_types}
    for req in tally.data.cover:
        # A shift gives the cover of its own id and of every id in its `counts_as`.
        count = sum(
            1
            for (staff_id, day), todays in worked.items()
            if day == req.day and (req.skill is None or req.skill in skills[staff_id])
            for shift_id in todays
            if shift_id == req.shift_id or req.shift_id in shifts[shift_id].counts_as
        )
        tally.terms["cover_under"] += req.under_weight * max(0, req.required - count)
        tally.places_short += max(0, req.required - count)
        tally.short[req.day, req.shift_id, req.skill] = max(0, req.required - count)
        tally.terms["cover_over"] += req.over_weight * max(0, count - req.required)


def _requests(tally: _Tally, worked: dict[tuple[str, int], list[str]]) -> None:
    """Wishes not granted, at their weights."""
    for req in tally.data.requests:
        todays = worked.get((req.staff_id, req.day), [])
        given = bool(todays) if req.shift_id is None else req.shift_id in todays
        refused = not given if req.kind == "on" else given
        tally.terms["requests"] += req.weight * int(refused)


def _published(tally: _Tally, worked: dict[tuple[str, int], list[str]]) -> None:
    """Published days changed, at `published_weight` (days whose person or shift left: free)."""
    data = tally.data
    if not data.published_weight:
        return
    people = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    changed = 0
    for pub in data.published:
        if pub.staff_id not in people or (pub.shift_id is not None and pub.shift_id not in shifts):
            continue
        todays = worked.get((pub.staff_id, pub.day), [])
        expected = [] if pub.shift_id is None else [pub.shift_id]
        changed += int(todays != expected)
    if changed:
        tally.terms["published_changes"] = data.published_weight * changed


def _travel(tally: _Tally, worked: dict[tuple[str, int], list[str]]) -> None:
    """One-way minutes from home to each worked shift's site, at the travel weight."""
    data = tally.data
    shifts = {s.id: s for s in data.shift_types}
    people = {p.id: p for p in data.staff}
    minutes = 0
    for (staff_id, _day), todays in worked.items():
        for shift_id in todays:
            site = shifts[shift_id].site
            if site is not None:
                minutes += people[staff_id].travel_minutes.get(site, 0)
    if data.travel_weight * minutes:
        tally.terms["travel"] = data.travel_weight * minutes


def _pools(tally: _Tally, fills: list[PoolFill]) -> None:
    """Places filled from pools: real shortfalls their pool serves, within caps; their price.

    Each fill must name a pool and a cover requirement the pool serves; the pools together may
    fill no more of a requirement than it is short of staff, and a pool no more than its cap in
    any of its periods. Places no pool fills cost the requirement's `unfilled_weight`.
    """
    data = tally.data
    pools = {p.id: p for p in data.pools}
    cover = {(c.day, c.shift_id, c.skill): c for c in data.cover}
    filled: dict[tuple[int, str, str | None], int] = defaultdict(int)
    used: dict[tuple[str, int], int] = defaultdict(int)
    for fill in fills:
        key = (fill.day, fill.shift_id, fill.skill)
        pool, req = pools.get(fill.pool_id), cover.get(key)
        when = f"day {fill.day} {fill.shift_id} ({fill.skill})"
        if pool is None or req is None or not pool.serves(req):
            tally.violations.append(
                Violation(
                    rule=POOL_FILL,
                    staff_id=None,
                    when=when,
                    detail=f"pool {fill.pool_id} cannot fill this cover requirement",
                )
            )
            continue
        filled[key] += fill.places
        used[pool.id, pool.period(fill.day)] += fill.places
        price = fill.places * round(
            pool.hourly_price * data.shift(fill.shift_id).duration_minutes / 60
        )
        term = f"pool:{pool.kind}"
        tally.terms[term] = tally.terms.get(term, 0) + price
        tally.pool_places[pool.id] = tally.pool_places.get(pool.id, 0) + fill.places
        tally.pool_pence[pool.id] = tally.pool_pence.get(pool.id, 0) + price
    for key, places in filled.items():
        if places > tally.short[key]:
            tally.violations.append(
                Violation(
                    rule=POOL_FILL,
                    staff_id=None,
                    when=f"day {key[0]} {key[1]} ({key[2]})",
                    detail=f"pools fill {places} places, {tally.short[key]} short of staff",
                )
            )
    for (pool_id, period), places in sorted(used.items()):
        cap = pools[pool_id].max_shifts
        if places > cap:
            tally.violations.append(
                Violation(
                    rule=POOL_CAP,
                    staff_id=None,
                    when=f"pool {pool_id} period {period}",
                    detail=f"{places} places filled, at most {cap}",
                )
            )
    for req in data.cover:
        key = (req.day, req.shift_id, req.skill)
        left = max(0, tally.short[key] - filled.get(key, 0))
        tally.places_unfilled += left
        if req.unfilled_weight * left:
            tally.terms["unfilled"] = tally.terms.get("unfilled", 0) + req.unfilled_weight * left
