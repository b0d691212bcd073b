"""A first rota built by hand-rule, day by day: fill each day's cover with people who may work it.

CP-SAT on the whole of a long rota (the demo's 203 staff over 12 weeks: about 185,000 yes/no
decisions) spends most of its time finding a first rota, and the neighbourhood search then starts
far from a good one. This greedy construction gives it a good start in a second or two: for each
day in turn it places, for each cover requirement still short, the person and shift that meet the
most of the day's unmet cover, among those for whom the shift keeps every upper limit of their
contract (days off, site access, shifts of a type, minutes over the horizon, days in a row,
weekends, banned successions, runs of a kind, minutes in a window, rest after a run). Among equals
it prefers the person and shift the published rota gave that day (if there is one), then the
person who has used the least of their hours so far, so work spreads over the horizon instead of
exhausting people in the first weeks, and then the cheapest.

Minimum rules (shortest runs, shortest runs of days off, fewest minutes) are not built towards:
the search repairs them, and `check.py` judges the result. The rota returned is a start, not a
promise: the caller fixes it in the model and keeps it only if every hard rule holds.
docs/rota.md, "How it searches".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from solvers.rota.fairness import is_away, per_wte_factor
from solvers.rota.schema import (
    MINUTES_PER_DAY,
    Assignment,
    CoverRequirement,
    RotaInput,
    ShiftType,
    Staff,
)

_UNPUBLISHED = "\0unpublished"


@dataclass
class _Person:
    """One person's days as built so far, and the running totals their limits need."""

    staff: Staff
    days: list[str | None]
    minutes: list[int]
    past: list[str | None] = field(default_factory=list)
    past_minutes: list[int] = field(default_factory=list)
    past_spans: list[tuple[int, int]] = field(default_factory=list)
    past_weekends: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    nights: int = 0
    away: int = 0
    total_minutes: int = 0
    weekends: set[int] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)
    weekend_windows: list[list[tuple[int, int]]] = field(default_factory=list)
    rest_periods: list[list[tuple[int, int]]] = field(default_factory=list)

    def place(self, day: int, shift: ShiftType, weekend: int | None) -> None:
        self.spans.append(shift.span(day))
        self.days[day] = shift.id
        self.minutes[day] = shift.duration_minutes
        self.counts[shift.id] += 1
        self.nights += shift.night
        self.away += is_away(self.staff, shift)
        self.total_minutes += shift.duration_minutes
        if weekend is not None:
            self.weekends.add(weekend)


def construct_rota(data: RotaInput) -> tuple[Assignment, ...]:
    """A rota filling cover day by day within every upper limit; deterministic.

    Returns:
        One `Assignment` per shift placed, locked shifts included.
    """
    horizon = data.horizon_days
    shifts = {s.id: s for s in data.shift_types}
    weekend_of = _weekend_index(data)
    people = {p.id: _person(data, p) for p in data.staff}
    locked_days: dict[str, set[int]] = defaultdict(set)
    for lock in data.locked:
        locked_days[lock.staff_id].add(lock.day)
        if lock.shift_id is not None:
            people[lock.staff_id].place(lock.day, shifts[lock.shift_id], weekend_of[lock.day])
    cover_by_day: dict[int, list[CoverRequirement]] = defaultdict(list)
    for req in data.cover:
        if req.required > 0:
            cover_by_day[req.day].append(req)
    # Who may ever work a shift: site, contract (a type limit of 0) and nothing else.
    allowed = {
        p.id: [
            s
            for s in data.shift_types
            if p.may_work_at(s) and p.max_shifts_per_type.get(s.id, 1) > 0
        ]
        for p in data.staff
    }
    for day in range(horizon):
        reqs = cover_by_day.get(day, [])
        if reqs:
            _fill_day(data, day, reqs, people, allowed, locked_days, weekend_of)
    return tuple(
        Assignment(staff_id=pid, day=day, shift_id=shift_id)
        for pid, person in people.items()
        for day, shift_id in enumerate(person.days)
        if shift_id is not None
    )


def _person(data: RotaInput, staff: Staff) -> _Person:
    """A person with nothing placed yet, and the history carried in (docs/rota.md)."""
    past = data.past_days(staff.id)
    spans = data.past_spans(staff.id)
    before = [data.past_weekend_windows(limit) for limit in staff.weekend_limits]
    return _Person(
        staff=staff,
        days=[None] * data.horizon_days,
        minutes=[0] * data.horizon_days,
        past=past,
        past_minutes=[0 if s is None else data.shift(s).duration_minutes for s in past],
        past_spans=spans,
        past_weekends=[len(windows) for windows in before],
        spans=list(spans),
        weekend_windows=[
            windows + data.weekend_windows(limit)
            for windows, limit in zip(before, staff.weekend_limits, strict=True)
        ],
        rest_periods=[data.rest_periods(rest.period_days) for rest in staff.weekly_rests],
    )


def _burden(data: RotaInput, person: _Person, shift: ShiftType, weekend: int | None) -> int:
    """What the person already carries, per WTE, of the unpopular kinds this shift adds to.

    Nights, weekends and away shifts, each as the model's fairness counts them (hundredths of a
    shift per WTE), for the kinds the rota weighs: the placement goes to whoever has the fewest,
    so the greedy start shares them pro rata rather than by contracted minutes alone.
    """
    fairness = data.fairness
    if not person.staff.fte_tenths:
        return 0
    carried = 0
    if shift.night and fairness.nights_weight:
        carried += person.nights
    if weekend is not None and weekend not in person.weekends and fairness.weekends_weight:
        carried += len(person.weekends)
    if fairness.cross_site_weight and is_away(person.staff, shift):
        carried += person.away
    return carried * per_wte_factor(person.staff)


def _weekend_index(data: RotaInput) -> list[int | None]:
    """For each day, the index of its weekend in `data.weekends()`, or None on a weekday."""
    index: list[int | None] = [None] * data.horizon_days
    for k, days in enumerate(data.weekends()):
        for day in days:
            index[day] = k
    return index


def _fill_day(
    data: RotaInput,
    day: int,
    reqs: list[CoverRequirement],
    people: dict[str, _Person],
    allowed: dict[str, list[ShiftType]],
    locked_days: dict[str, set[int]],
    weekend_of: list[int | None],
) -> None:
    """Places people on one day until its cover is met or nobody else may work it."""
    shifts = {s.id: s for s in data.shift_types}
    # With a published rota, its day is preferred: another shift (or work on its day off) is a
    # change, ranked after the cover it meets ("minimal change", docs/rota.md).
    published = {(p.staff_id, p.day): p.shift_id for p in data.published}
    giving = {req.shift_id: set(data.shifts_giving_cover(req.shift_id)) for req in reqs}
    # What each free (person, shift) would count towards today, if it keeps their limits.
    counts_for: dict[tuple[str, str], list[int]] = {}
    for pid, person in people.items():
        staff = person.staff
        if day in staff.days_off or day in locked_days[pid] or person.days[day] is not None:
            continue
        for shift in allowed[pid]:
            met = [
                k
                for k, req in enumerate(reqs)
                if shift.id in giving[req.shift_id]
                and (req.skill is None or req.skill in staff.skills)
            ]
            if met and _keeps_limits(data, shifts, person, day, shift, weekend_of):
                counts_for[pid, shift.id] = met
    unmet = [req.required for req in reqs]
    for person in people.values():
        today = person.days[day]
        if today is not None:  # a locked shift counts
            for k, req in enumerate(reqs):
                if today in giving[req.shift_id] and (
                    req.skill is None or req.skill in person.staff.skills
                ):
                    unmet[k] -= 1
    # Scarce cover first: the requirement with the fewest people able to give it per place.
    able = [0] * len(reqs)
    for met in counts_for.values():
        for k in met:
            able[k] += 1
    order = sorted(range(len(reqs)), key=lambda k: (able[k] / max(1, reqs[k].required), k))
    by_req: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, met in counts_for.items():
        for k in met:
            by_req[k].append(key)
    for k in order:
        while unmet[k] > 0:
            best: tuple[tuple[float, ...], str, str] | None = None
            for pid, shift_id in by_req[k]:
                if people[pid].days[day] is not None:
                    continue
                met = counts_for[pid, shift_id]
                useful = sum(1 for j in met if unmet[j] > 0)
                over = len(met) - useful
                person = people[pid]
                budget = person.staff.max_total_minutes
                used = person.total_minutes / budget if budget else 0.0
                shift = shifts[shift_id]
                # -1: the published day itself; 1: a change to one; 0: no published day.
                was = published.get((pid, day), _UNPUBLISHED)
                changes = 0 if was == _UNPUBLISHED else -1 if was == shift_id else 1
                rank = (
                    -useful,
                    over,
                    changes,
                    _burden(data, person, shift, weekend_of[day]),
                    used,
                    person.staff.shift_cost(shift),
                    shift.duration_minutes,
                )
                if best is None or rank < best[0]:
                    best = (rank, pid, shift_id)
            if best is None:
                break
            _, pid, shift_id = best
            people[pid].place(day, shifts[shift_id], weekend_of[day])
            for j in counts_for[pid, shift_id]:
                unmet[j] -= 1


def _keeps_limits(
    data: RotaInput,
    shifts: dict[str, ShiftType],
    person: _Person,
    day: int,
    shift: ShiftType,
    weekend_of: list[int | None],
) -> bool:
    """True when working `shift` on `day` keeps every upper limit, given the days placed so far.

    Days not placed yet count as days off; a locked shift later in the horizon counts as placed.
    """
    staff = person.staff
    limit = staff.max_shifts_per_type.get(shift.id)
    if limit is not None and person.counts[shift.id] >= limit:
        return False
    most = staff.max_total_minutes
    if most is not None and person.total_minutes + shift.duration_minutes > most:
        return False
    days, past = person.days, person.past
    if staff.max_consecutive_shifts is not None:
        run = 1 + _run_left(days, day, None, past) + _run_right(days, day, None)
        if run > staff.max_consecutive_shifts:
            return False
    weekend = weekend_of[day]
    if (
        staff.max_weekends is not None
        and weekend is not None
        and weekend not in person.weekends
        and len(person.weekends) >= staff.max_weekends
    ):
        return False
    banned = data.banned_successions
    yesterday = days[day - 1] if day > 0 else (past[-1] if past else None)
    if yesterday is not None and (yesterday, shift.id) in banned:
        return False
    after = days[day + 1] if day + 1 < len(days) else None
    if after is not None and (shift.id, after) in banned:
        return False
    for run_limit in staff.consecutive_limits:
        if shift.id in run_limit.shift_ids:
            kinds = run_limit.shift_ids
            run = 1 + _run_left(days, day, kinds, past) + _run_right(days, day, kinds)
            if run > run_limit.max_days:
                return False
    for window in staff.window_limits:
        if not _window_keeps(
            person.minutes,
            day,
            shift.duration_minutes,
            window.window_days,
            window.max_minutes,
            person.past_minutes,
        ):
            return False
    span = shift.span(day)
    if not _weekends_kept(person, span):
        return False
    if not _weekly_rest_kept(person, span):
        return False
    return all(
        _rest_kept(
            shifts,
            days,
            past,
            day,
            shift,
            after_run.shift_ids,
            after_run.min_run,
            after_run.min_rest_minutes,
        )
        for after_run in staff.rest_after_runs
    )


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _weekends_kept(person: _Person, span: tuple[int, int]) -> bool:
    """Working `span` keeps each weekend limit: per window of weekends in a row and in all."""
    limits = zip(
        person.staff.weekend_limits, person.weekend_windows, person.past_weekends, strict=True
    )
    for limit, windows, before in limits:
        worked = [any(_overlaps(w, s) for s in person.spans) for w in windows]
        new = [k for k, w in enumerate(windows) if not worked[k] and _overlaps(w, span)]
        if not new:
            continue
        by_past = [any(_overlaps(w, s) for s in person.past_spans) for w in windows]
        for k in new:
            worked[k] = True
        group = min(limit.out_of, len(worked))
        for first in range(len(worked) - group + 1):
            if first + group <= before:
                continue  # wholly in the history
            earlier = sum(by_past[first : first + group])
            if sum(worked[first : first + group]) > max(limit.max_worked, earlier):
                return False
        if limit.max_total is not None and sum(worked[before:]) > max(
            limit.max_total, sum(by_past[before:])
        ):
            return False
    return True


def _weekly_rest_kept(person: _Person, span: tuple[int, int]) -> bool:
    """Working `span` leaves the weekly rest owed in every whole rest period it falls in."""
    for rest, periods in zip(person.staff.weekly_rests, person.rest_periods, strict=True):
        for first, last in periods:
            period = (first * MINUTES_PER_DAY, last * MINUTES_PER_DAY)
            if not _overlaps(period, span):
                continue
            if person.past_spans and (
                _longest_rest(person.past_spans, period) < rest.min_rest_minutes
            ):
                continue  # the history alone leaves too little rest: not the rota's to keep
            if _longest_rest([*person.spans, span], period) < rest.min_rest_minutes:
                return False
    return True


def _longest_rest(spans: list[tuple[int, int]], period: tuple[int, int]) -> int:
    """The longest stretch of the period no span overlaps, in minutes."""
    inside = sorted(s for s in spans if _overlaps(period, s))
    longest, free_from = 0, period[0]
    for start, end in inside:
        longest = max(longest, start - free_from)
        free_from = max(free_from, end)
    return max(longest, period[1] - free_from)


def _of_kind(shift_id: str | None, kinds: frozenset[str] | None) -> bool:
    return shift_id is not None and (kinds is None or shift_id in kinds)


def _run_left(
    days: list[str | None],
    day: int,
    kinds: frozenset[str] | None,
    past: list[str | None] | None = None,
) -> int:
    """Days in a row of the kind (any shift if `kinds` is None) ending the day before `day`.

    With `past` (the history's days, -len(past) to -1) a run goes on into the history, and `day`
    may be a history day (negative).
    """
    past = past or []
    count, d = 0, day - 1
    while d >= -len(past) and _of_kind(_on(days, past, d), kinds):
        count, d = count + 1, d - 1
    return count


def _on(days: list[str | None], past: list[str | None], day: int) -> str | None:
    """The shift on `day`: a horizon day, or a history day when negative."""
    return days[day] if day >= 0 else past[len(past) + day]


def _run_right(days: list[str | None], day: int, kinds: frozenset[str] | None) -> int:
    """Days in a row of the kind starting the day after `day`."""
    count, d = 0, day + 1
    while d < len(days) and _of_kind(days[d], kinds):
        count, d = count + 1, d + 1
    return count


def _window_keeps(
    minutes: list[int],
    day: int,
    extra: int,
    length: int,
    most: int,
    past: list[int] | None = None,
) -> bool:
    """Every window of `length` days holding `day` stays within `most` minutes with `extra` more.

    The windows are those `check.py` counts: starting on days 0 to horizon - length (one window,
    the whole horizon, when it is shorter), and those across the join with the history's
    minutes (`past`, days -len(past) to -1).
    """
    horizon = len(minutes)
    last_start = max(0, horizon - length)
    for start in range(max(0, day - length + 1), min(day, last_start) + 1):
        if sum(minutes[start : start + length]) + extra > most:
            return False
    past = past or []
    for start in range(max(-len(past), day - length + 1), 0):
        earlier = sum(past[len(past) + start :])
        window = earlier + sum(minutes[: start + length])
        if earlier and window + extra > max(most, earlier):
            return False
    return True


def _rest_kept(
    shifts: dict[str, ShiftType],
    days: list[str | None],
    past: list[str | None],
    day: int,
    shift: ShiftType,
    kinds: frozenset[str],
    min_run: int,
    min_rest: int,
) -> bool:
    """The shift starts at least `min_rest` minutes after any run of `min_run` or more has ended.

    Only runs ended before `day` are looked at (the days after are not placed yet); a shift of the
    kind on the day after a run's last day extends it instead. Runs go on into the history
    (`past`, days -len(past) to -1).
    """
    if shift.start_minute is None:
        return True
    starts = day * MINUTES_PER_DAY + shift.start_minute
    reach = 1 + (min_rest + MINUTES_PER_DAY) // MINUTES_PER_DAY  # days a rest can span, and one
    for end in range(day - 1, max(-1 - len(past), day - 1 - reach), -1):
        last = _on(days, past, end)
        if not _of_kind(last, kinds):
            continue
        following = _on(days, past, end + 1) if end + 1 < day else shift.id
        if end + 1 == day and shift.id in kinds:
            return True  # extends the run ending yesterday: no rest owed yet
        if _of_kind(following, kinds):
            continue
        length = 1 + _run_left(days, end, kinds, past)
        ended = shifts[last].end_minute if last is not None else None
        if length >= min_run and ended is not None:
            if starts - (end * MINUTES_PER_DAY + ended) < min_rest:
                return False
    return True
