"""The rota's rule families as constraints of the CP-SAT model, one function per family.

`add_rule_families` adds them all, in order, to a `RotaModel` (`builder.py`); each goes through
`RotaModel.at_most / at_least / clause`, so it is hard, soft or switchable as the input says. Rules
that look back over the history (`RotaInput.past_days`) count the days already worked.
"""

from __future__ import annotations

from collections.abc import Sequence

from solvers.rota.builder import LinearExpr, Literal, RotaModel, days_label
from solvers.rota.schema import MINUTES_PER_DAY, RestAfterRun, RuleFamily, Staff


def add_rule_families(rota: RotaModel) -> None:
    """Every rule family, in the order the model has always added them."""
    _add_site_access(rota)
    _add_locked(rota)
    _add_days_off(rota)
    _add_max_shifts_per_type(rota)
    _add_total_minutes(rota)
    _add_max_consecutive_shifts(rota)
    _add_min_consecutive_shifts(rota)
    _add_min_consecutive_days_off(rota)
    _add_banned_successions(rota)
    _add_max_weekends(rota)
    _add_max_consecutive_of_kind(rota)
    _add_max_minutes_in_window(rota)
    _add_rest_after_runs(rota)
    _add_weekend_limits(rota)
    _add_weekly_rests(rota)


def _clause_with_history(
    rota: RotaModel,
    family: RuleFamily,
    staff_id: str,
    when: str,
    literals: Sequence[Literal | bool],
) -> None:
    """`RotaModel.clause` where some literals are known from the history (True or False).

    A true one already satisfies the clause; false ones are left out.
    """
    if any(lit is True for lit in literals):
        return
    rota.clause(family, staff_id, when, [lit for lit in literals if not isinstance(lit, bool)])


def _history_count(past: list[str | None], start: int, kinds: frozenset[str] | None) -> int:
    """History days from `start` (negative) to day -1 worked (on a shift of `kinds`, if given)."""
    return sum(
        1
        for shift_id in past[len(past) + start :]
        if shift_id is not None and (kinds is None or shift_id in kinds)
    )


def _add_site_access(rota: RotaModel) -> None:
    """Nobody works a shift at a site they may not work at."""
    for person in rota.data.staff:
        for shift in rota.data.shift_types:
            if person.may_work_at(shift):
                continue
            for day in range(rota.data.horizon_days):
                rota.forbid(
                    RuleFamily.SITE_ACCESS,
                    person.id,
                    days_label(day),
                    rota.works[person.id, day, shift.id],
                )


def _add_locked(rota: RotaModel) -> None:
    """Decisions already taken stay as they are (a shift worked, or the day off)."""
    for lock in rota.data.locked:
        if lock.shift_id is None:
            rota.forbid(
                RuleFamily.LOCKED,
                lock.staff_id,
                days_label(lock.day),
                rota.on[lock.staff_id, lock.day],
            )
        else:
            works = rota.works[lock.staff_id, lock.day, lock.shift_id]
            rota.clause(RuleFamily.LOCKED, lock.staff_id, days_label(lock.day), [works])


def _add_days_off(rota: RotaModel) -> None:
    """Nobody works on their days off (leave, days they are not available)."""
    for person in rota.data.staff:
        for day in sorted(person.days_off):
            rota.forbid(RuleFamily.DAYS_OFF, person.id, days_label(day), rota.on[person.id, day])


def _add_max_shifts_per_type(rota: RotaModel) -> None:
    """Each person works at most their contract's number of shifts of each type."""
    horizon = rota.data.horizon_days
    for person in rota.data.staff:
        for shift_id, limit in person.max_shifts_per_type.items():
            worked = sum(rota.works[person.id, day, shift_id] for day in range(horizon))
            rota.at_most(
                RuleFamily.MAX_SHIFTS_PER_TYPE, person.id, shift_id, worked, limit, horizon - limit
            )


def _add_total_minutes(rota: RotaModel) -> None:
    """Each person's worked minutes stay between their contract's minimum and maximum."""
    data = rota.data
    longest = max(s.duration_minutes for s in data.shift_types)
    most = longest * data.horizon_days
    for person in data.staff:
        minutes = _minutes_worked(rota, person, range(data.horizon_days))
        if person.max_total_minutes is not None:
            rota.at_most(
                RuleFamily.MAX_TOTAL_MINUTES,
                person.id,
                "horizon",
                minutes,
                person.max_total_minutes,
                most - person.max_total_minutes,
            )
        rota.at_least(
            RuleFamily.MIN_TOTAL_MINUTES,
            person.id,
            "horizon",
            minutes,
            person.min_total_minutes,
            person.min_total_minutes,
        )


def _minutes_worked(rota: RotaModel, person: Staff, days: range) -> LinearExpr:
    return sum(
        shift.duration_minutes * rota.works[person.id, day, shift.id]
        for day in days
        for shift in rota.data.shift_types
    )


def _add_max_consecutive_shifts(rota: RotaModel) -> None:
    """Nobody works more than their maximum number of days in a row."""
    horizon = rota.data.horizon_days
    for person in rota.data.staff:
        most = person.max_consecutive_shifts
        if most is None:
            continue
        # Every window of most+1 days holds a day off ("sliding window").
        for start in range(horizon - most):
            window = sum(rota.on[person.id, day] for day in range(start, start + most + 1))
            rota.at_most(
                RuleFamily.MAX_CONSECUTIVE_SHIFTS,
                person.id,
                days_label(start, most + 1),
                window,
                most,
                1,
            )
        # Windows across the join: the days the history worked in them count.
        past = rota.data.past_days(person.id)
        for start in range(-min(most, len(past)), 0):
            earlier = _history_count(past, start, None)
            days = range(min(horizon, start + most + 1))
            if earlier:
                allowed = max(0, most - earlier)
                rota.at_most(
                    RuleFamily.MAX_CONSECUTIVE_SHIFTS,
                    person.id,
                    days_label(start, most + 1),
                    sum(rota.on[person.id, day] for day in days),
                    allowed,
                    len(days) - allowed,
                )


def _forbid_short_runs(
    rota: RotaModel, family: RuleFamily, person: Staff, shortest: int, working: bool
) -> None:
    """Forbids every run (of work if `working`, else of days off) shorter than `shortest` days.

    A run of length L starting on day d is the pattern "other before, L days alike, other after";
    the clause that forbids it is the standard "forbidden sequence" of the OR-tools shift
    scheduling example. Runs touching the horizon's edges are exempt when `edge_runs_exempt`.
    """
    horizon = rota.data.horizon_days
    exempt = rota.data.edge_runs_exempt

    def alike(day: int) -> Literal:
        on = rota.on[person.id, day]
        return on if working else on.Not()

    for length in range(1, shortest):
        for start in range(horizon - length + 1):
            end = start + length  # first day after the run
            if exempt and (start == 0 or end == horizon):
                continue
            literals = [alike(day).Not() for day in range(start, end)]
            if start > 0:
                literals.append(alike(start - 1))
            if end < horizon:
                literals.append(alike(end))
            rota.clause(family, person.id, days_label(start, length), literals)


def _add_min_consecutive_shifts(rota: RotaModel) -> None:
    """Once someone starts a run of shifts they work at least their minimum days in a row."""
    for person in rota.data.staff:
        _forbid_short_runs(
            rota, RuleFamily.MIN_CONSECUTIVE_SHIFTS, person, person.min_consecutive_shifts, True
        )


def _add_min_consecutive_days_off(rota: RotaModel) -> None:
    """Days off come in blocks of at least each person's minimum."""
    for person in rota.data.staff:
        _forbid_short_runs(
            rota,
            RuleFamily.MIN_CONSECUTIVE_DAYS_OFF,
            person,
            person.min_consecutive_days_off,
            False,
        )


def _add_max_weekends(rota: RotaModel) -> None:
    """Nobody works more weekends (any shift on Saturday or Sunday) than their maximum."""
    weekends = rota.data.weekends()
    for person in rota.data.staff:
        if person.max_weekends is None or person.max_weekends >= len(weekends):
            continue
        worked = rota.weekends_worked(person)
        rota.at_most(
            RuleFamily.MAX_WEEKENDS,
            person.id,
            "horizon",
            sum(worked),
            person.max_weekends,
            len(weekends) - person.max_weekends,
        )


def _add_banned_successions(rota: RotaModel) -> None:
    """Shifts that may not follow each other on consecutive days (e.g. a night then an early)."""
    data = rota.data
    banned_after: dict[str, list[str]] = {}
    for first, then in sorted(data.banned_successions):
        banned_after.setdefault(first, []).append(then)
    soft = not data.mode(RuleFamily.BANNED_SUCCESSION).hard
    for person in data.staff:
        past = data.past_days(person.id)
        yesterday = past[-1] if past else None
        for then in banned_after.get(yesterday or "", []):
            rota.forbid(
                RuleFamily.BANNED_SUCCESSION,
                person.id,
                f"{days_label(-1)} {yesterday}->{then}",
                rota.works[person.id, 0, then],
            )
        for day in range(data.horizon_days - 1):
            for first, thens in banned_after.items():
                today = rota.works[person.id, day, first]
                tomorrow = [rota.works[person.id, day + 1, then] for then in thens]
                if soft or rota.explain:
                    for nxt, then in zip(tomorrow, thens, strict=True):
                        when = f"{days_label(day)} {first}->{then}"
                        rota.clause(
                            RuleFamily.BANNED_SUCCESSION, person.id, when, [today.Not(), nxt.Not()]
                        )
                else:
                    # Tomorrow's shifts already exclude each other, so this is one clique.
                    rota.model.add_at_most_one([today, *tomorrow])


def _add_max_consecutive_of_kind(rota: RotaModel) -> None:
    """Nobody works more of a kind of shift in a row than allowed (e.g. 4 nights, 5 long days)."""
    horizon = rota.data.horizon_days
    for person in rota.data.staff:
        for limit in person.consecutive_limits:
            most = limit.max_days
            for start in range(horizon - most):
                window = sum(
                    rota.works[person.id, day, shift_id]
                    for day in range(start, start + most + 1)
                    for shift_id in sorted(limit.shift_ids)
                )
                when = f"{limit.name} {days_label(start, most + 1)}"
                rota.at_most(RuleFamily.MAX_CONSECUTIVE_OF_KIND, person.id, when, window, most, 1)
            past = rota.data.past_days(person.id)
            for start in range(-min(most, len(past)), 0):
                earlier = _history_count(past, start, limit.shift_ids)
                days = range(min(horizon, start + most + 1))
                if earlier:
                    allowed = max(0, most - earlier)
                    window = sum(
                        rota.works[person.id, day, shift_id]
                        for day in days
                        for shift_id in sorted(limit.shift_ids)
                    )
                    when = f"{limit.name} {days_label(start, most + 1)}"
                    rota.at_most(
                        RuleFamily.MAX_CONSECUTIVE_OF_KIND,
                        person.id,
                        when,
                        window,
                        allowed,
                        len(days) - allowed,
                    )


def _add_max_minutes_in_window(rota: RotaModel) -> None:
    """Nobody works more minutes than allowed in any window of consecutive days (e.g. 72 h in 7)."""
    data = rota.data
    horizon = data.horizon_days
    longest = max(s.duration_minutes for s in data.shift_types)
    for person in data.staff:
        for limit in person.window_limits:
            for start in range(max(1, horizon - limit.window_days + 1)):
                days = range(start, min(horizon, start + limit.window_days))
                minutes = _minutes_worked(rota, person, days)
                rota.at_most(
                    RuleFamily.MAX_MINUTES_IN_WINDOW,
                    person.id,
                    f"{limit.name} {days_label(start, len(days))}",
                    minutes,
                    limit.max_minutes,
                    longest * len(days) - limit.max_minutes,
                )
            # Windows across the join, with the history's minutes in them.
            past = data.past_days(person.id)
            for start in range(-min(len(past), limit.window_days - 1), 0):
                earlier = sum(
                    data.shift(s).duration_minutes for s in past[len(past) + start :] if s
                )
                if not earlier:
                    continue
                days = range(min(horizon, start + limit.window_days))
                allowed = max(0, limit.max_minutes - earlier)
                rota.at_most(
                    RuleFamily.MAX_MINUTES_IN_WINDOW,
                    person.id,
                    f"{limit.name} {days_label(start, limit.window_days)}",
                    _minutes_worked(rota, person, days),
                    allowed,
                    longest * len(days) - allowed,
                )


def _add_rest_after_runs(rota: RotaModel) -> None:
    """After a run of nights (3 or more in a row), no shift starts before the rest owed (46 h)."""
    for person in rota.data.staff:
        for limit in person.rest_after_runs:
            _forbid_shifts_too_soon_after_run(rota, person, limit)


def _forbid_shifts_too_soon_after_run(rota: RotaModel, person: Staff, limit: RestAfterRun) -> None:
    """For each day a run can end on, forbids "run ends with shift X, then Y starts too soon".

    A run of at least `min_run` ends on day e when days e-min_run+1..e are of the kind and day e+1
    is not; the clause for a later shift on day e+k also holds the run's end (day e+1 not of the
    kind), since otherwise the rest is owed at the true end of the run instead.
    """
    data, model = rota.data, rota.model
    horizon = data.horizon_days
    kinds = [data.shift(s) for s in sorted(limit.shift_ids)]
    past = data.past_days(person.id)
    joined = len(past)
    of_kind: dict[int, Literal | bool] = {}
    for day in range(-joined, horizon):
        if day < 0:
            of_kind[day] = past[joined + day] in limit.shift_ids
            continue
        flag = model.new_bool_var(f"{limit.name}[{person.id},{day}]")
        model.add(flag == sum(rota.works[person.id, day, s.id] for s in kinds))
        of_kind[day] = flag

    def works(day: int, shift_id: str) -> Literal | bool:
        return past[joined + day] == shift_id if day < 0 else rota.works[person.id, day, shift_id]

    def negated(literal: Literal | bool) -> Literal | bool:
        return (not literal) if isinstance(literal, bool) else literal.Not()

    # Days before the history are days off: a run starts on its first day at the earliest.
    for end in range(limit.min_run - 1 - joined, horizon - 1):
        before = [negated(of_kind[day]) for day in range(end - limit.min_run + 1, end)]
        if any(literal is True for literal in before):
            continue
        for last in kinds:
            if last.end_minute is None or works(end, last.id) is False:
                continue
            rest_until = last.end_minute + limit.min_rest_minutes  # minutes after day `end` starts
            for later in range(max(0, end + 1), horizon):
                offset = (later - end) * MINUTES_PER_DAY
                if offset >= rest_until:
                    break
                for shift in data.shift_types:
                    if shift.start_minute is None or offset + shift.start_minute >= rest_until:
                        continue
                    if later == end + 1 and shift.id in limit.shift_ids:
                        continue  # the run goes on
                    literals = [
                        negated(works(end, last.id)),
                        *before,
                        rota.works[person.id, later, shift.id].Not(),
                    ]
                    if later > end + 1:
                        literals.append(of_kind[end + 1])
                    when = (
                        f"{limit.name} {days_label(end)} {last.id}, {days_label(later)} {shift.id}"
                    )
                    _clause_with_history(rota, RuleFamily.REST_AFTER_RUN, person.id, when, literals)


def _overlapping(rota: RotaModel, person: Staff, start: int, end: int) -> list[Literal]:
    """works[person, day, shift] of every shift whose span overlaps [start, end) minutes."""
    return [
        rota.works[person.id, day, shift_id] for day, shift_id in rota.cells_overlapping(start, end)
    ]


def _add_weekend_limits(rota: RotaModel) -> None:
    """At most 1 of any 2 weekends in a row worked, weekends in the contract's hours (Fri-Mon)."""
    data, model = rota.data, rota.model
    for person in data.staff:
        past = data.past_spans(person.id)
        for limit in person.weekend_limits:
            # The history's own weekends first, so "in a row" runs across the join; a weekend
            # the history worked is worked, whatever the rota does.
            before = data.past_weekend_windows(limit)
            worked: list[Literal | bool] = [
                any(s < end and start < e for s, e in past) for start, end in before
            ]
            for k, (start, end) in enumerate(data.weekend_windows(limit)):
                if any(s < end and start < e for s, e in past):
                    worked.append(True)
                    continue
                touching = _overlapping(rota, person, start, end)
                flag = model.new_bool_var(f"{limit.name}[{person.id},{k}]")
                for literal in touching:
                    model.add_implication(literal, flag)
                model.add(flag <= sum(touching))
                worked.append(flag)
            group = min(limit.out_of, len(worked))
            for first in range(len(worked) - group + 1):
                if first + group <= len(before):
                    continue  # wholly in the history
                label = first - len(before)
                _at_most_with_history(
                    rota,
                    person.id,
                    f"{limit.name} weekends {label + 1}-{label + group}",
                    worked[first : first + group],
                    limit.max_worked,
                )
            if limit.max_total is not None:
                _at_most_with_history(
                    rota, person.id, f"{limit.name} horizon", worked[len(before) :], limit.max_total
                )


def _at_most_with_history(
    rota: RotaModel, staff_id: str, when: str, worked: Sequence[Literal | bool], most: int
) -> None:
    """At most `most` weekends worked, or none beyond those the history already worked."""
    earlier = sum(1 for w in worked if w is True)
    chosen = [w for w in worked if not isinstance(w, bool)]
    allowed = max(0, most - earlier)
    rota.at_most(
        RuleFamily.WEEKEND_FREQUENCY, staff_id, when, sum(chosen), allowed, len(chosen) - allowed
    )


def _add_weekly_rests(rota: RotaModel) -> None:
    """Each whole rest period holds one uninterrupted rest of the length owed (24 h in 7 days).

    The longest rest in a period starts at the period's start or when a shift ends, so one
    candidate per such minute: "free" forbids every shift overlapping [t, t + rest), and one
    candidate must be free.
    """
    data, model = rota.data, rota.model
    for person in data.staff:
        past = data.past_spans(person.id)
        for rest in person.weekly_rests:
            length = rest.min_rest_minutes
            for first, last in data.rest_periods(rest.period_days):
                begin, end = first * MINUTES_PER_DAY, last * MINUTES_PER_DAY
                if past and _longest_free(past, begin, end) < length:
                    continue  # the history alone leaves too little rest: not the rota's to keep
                starts = {begin} | {e for _, e in past if begin < e}
                starts |= rota.shift_ends(max(0, first - 7), last, begin)
                when = f"{rest.name} {days_label(first, last - first)}"
                candidates: list[Literal] = []
                for start in sorted(t for t in starts if t + length <= end):
                    if any(s < start + length and start < e for s, e in past):
                        continue  # a history shift falls in this rest
                    blocking = _overlapping(rota, person, start, start + length)
                    if not blocking:
                        candidates = []
                        break  # this rest can never be broken
                    free = model.new_bool_var(f"{rest.name}[{person.id},{start}]")
                    model.add_bool_and([b.Not() for b in blocking]).only_enforce_if(free)
                    candidates.append(free)
                else:
                    rota.clause(RuleFamily.WEEKLY_REST, person.id, when, candidates)


def _longest_free(spans: list[tuple[int, int]], begin: int, end: int) -> int:
    """The longest stretch of [begin, end) minutes that no span overlaps."""
    longest, free_from = 0, begin
    for s, e in sorted(spans):
        if e <= begin or s >= end:
            continue
        longest = max(longest, s - free_from)
        free_from = max(free_from, e)
    return max(longest, end - free_from)
