"""Long rotas a window at a time: each week solved with the days before it fixed, then scored whole.

A 12-week rota for two hubs has about 150,000 yes/no decisions; CP-SAT on the whole model finds a
first rota late and improves it slowly (measured: 95% of places short after 60 s on 2 cores for the
demo's 203 hub staff). Solving one window of days at a time, with the days just before it fixed as
they were decided (its "memory": long enough for every run, window and rest rule to see what it
needs) and each person's horizon budgets (hours, weekends, shifts of a type) reduced by what the
earlier windows used, keeps each model small. The whole rota is then scored on the whole model with
every shift fixed, so the objective and the limits that bind are exactly those of `solve_rota`.

What this gives up, and says: no lower bound on the whole horizon's objective (`bound` is None; the
lower bound on places short is still proven on the whole horizon, `cover_bound.py`), and minimum
run rules cannot be judged across a window's first day, so problems with minimum runs longer than
one day (the Curtois & Qu instances) are passed to `solve_rota` unchanged.
"""

from __future__ import annotations

import logging
import math
import time

from solvers.common import STOP, Limit, SolveOptions, SolveStats, Status
from solvers.rota.model import places_short_bound, score_rota, solve_rota
from solvers.rota.schema import (
    MINUTES_PER_DAY,
    SUNDAY,
    Assignment,
    LockedAssignment,
    RotaInput,
    RotaResult,
    Staff,
)

logger = logging.getLogger(__name__)

WINDOW_DAYS = 7
# Building the whole model to score the rota takes about 0.45 s a week for 200 staff.
_SCORE_RESERVE_SHARE = 0.15
_SCORE_RESERVE_SECONDS = 3.0
_MIN_WINDOW_SECONDS = 1.0


def solve_rota_by_windows(
    data: RotaInput, options: SolveOptions, window_days: int = WINDOW_DAYS
) -> RotaResult:
    """Solves the rota window by window, then scores it whole; the time limit covers all of it.

    Returns:
        A `RotaResult` like `solve_rota`'s (status `feasible`, bound None), or, when a window has
        no rota, that window's failure with its days named in `infeasible_because`.
    """
    # Weekly rest in weeks from Monday fits week windows from Monday; other periods (48 h in 14
    # days) would need the windows' own phase, so those problems are solved whole.
    rest_periods = {r.period_days for p in data.staff for r in p.weekly_rests}
    weekly_fits = not rest_periods or (rest_periods == {7} and window_days == 7)
    if data.horizon_days <= 2 * window_days or _has_minimum_runs(data) or not weekly_fits:
        return solve_rota(data, options)
    started = time.perf_counter()
    # The bound is the whole horizon's, proven once before the windows (each window's is not).
    short_bound = places_short_bound(data, options)
    memory = _memory_days(data)
    windows = _windows(data, window_days, aligned=bool(rest_periods))
    decided: list[Assignment] = []
    unsolved: list[tuple[int, int]] = []
    stalled = 0
    reserve = max(_SCORE_RESERVE_SECONDS, _SCORE_RESERVE_SHARE * options.time_limit_seconds)
    for i, (start, end) in enumerate(windows):
        spent = time.perf_counter() - started
        left = options.time_limit_seconds - spent - reserve
        seconds = max(_MIN_WINDOW_SECONDS, left / (len(windows) - i))
        sub, first = _window(data, start, end, memory, decided)
        # A window's bound is not the horizon's, so no search thread is spent on the LP bound.
        window_options = options.model_copy(
            update={"time_limit_seconds": seconds, "lp_bound": False, "places_short_bound": False}
        )
        result = solve_rota(sub, window_options)
        logger.info("window days %d-%d: %s in %.1f s", start, end - 1, result.stats.status, seconds)
        stalled += int(result.stats.stopped.startswith("no better"))
        if result.stats.status is Status.NO_SOLUTION_IN_TIME:
            # Out of time, not out of options: the week keeps only its locks (everyone else off
            # breaks no maximum rule), its places stay empty, and the result says so.
            unsolved.append((start, end))
            decided += [
                Assignment(staff_id=lk.staff_id, day=lk.day, shift_id=lk.shift_id)
                for lk in data.locked
                if start <= lk.day < end and lk.shift_id is not None
            ]
            continue
        if not result.stats.status.has_solution:
            failed = _failed(data, options, started, result, start, end, first)
            return failed.model_copy(update={"places_short_lower_bound": short_bound})
        decided += [
            Assignment(staff_id=a.staff_id, day=a.day + first, shift_id=a.shift_id)
            for a in result.assignments
            if start <= a.day + first < end
        ]
    left = options.time_limit_seconds - (time.perf_counter() - started)
    scored = score_rota(data, decided, options.model_copy(update={"time_limit_seconds": left}))
    wall = round(time.perf_counter() - started, 3)
    if scored is None:
        # The windows' rules should add up to the whole's; if not, say so rather than hide it.
        stats = SolveStats(
            status=Status.NO_SOLUTION_IN_TIME,
            wall_seconds=wall,
            time_limit_seconds=options.time_limit_seconds,
            num_workers=options.num_workers,
            seed=options.seed,
            cp_sat_status="the windows joined into a rota that could not be scored whole",
        )
        return RotaResult.failed(stats).model_copy(update={"places_short_lower_bound": short_bound})
    stats = scored.stats.model_copy(
        update={
            "status": Status.FEASIBLE,
            "bound": None,
            "gap": None,
            "wall_seconds": wall,
            "time_limit_seconds": options.time_limit_seconds,
            "num_workers": options.num_workers,
            "seed": options.seed,
            "cp_sat_status": f"{len(windows)} windows of {window_days} days, scored whole",
            "stopped": "asked"
            if STOP.is_set()
            else (
                f"{stalled} of {len(windows)} windows ended early: no better rota for "
                f"{options.stall_seconds:g} s"
                if stalled
                else ""
            ),
        }
    )
    late = tuple(
        Limit(
            name="time limit",
            where=f"days {start}-{end - 1}",
            when="no rota found for these days in their share of the time: only locks worked",
        )
        for start, end in unsolved
    )
    return scored.model_copy(
        update={
            "stats": stats,
            "binding_limits": (*late, *scored.binding_limits),
            "places_short_lower_bound": short_bound,
        }
    )


def _windows(data: RotaInput, window_days: int, *, aligned: bool) -> list[tuple[int, int]]:
    """Windows of `window_days` from day 0 or, when `aligned` (7-day windows), from each Monday.

    Aligned windows keep every whole weekly rest period (`WeeklyRest`, weeks from Monday) inside
    one window, so no window decides part of a week that a later one must complete; the days
    before the first Monday join the first window.
    """
    first = (7 - data.first_weekday) % 7 if aligned else 0
    if first:
        first += window_days
    starts = [0, *range(first, data.horizon_days, window_days)] if first else []
    starts = starts or list(range(0, data.horizon_days, window_days))
    return [
        (start, starts[k + 1] if k + 1 < len(starts) else data.horizon_days)
        for k, start in enumerate(starts)
        if start < data.horizon_days
    ]


def _has_minimum_runs(data: RotaInput) -> bool:
    return any(p.min_consecutive_shifts > 1 or p.min_consecutive_days_off > 1 for p in data.staff)


def _memory_days(data: RotaInput) -> int:
    """Days before a window its rules must see: runs, windows of days, rest, successions."""
    need = 2
    for p in data.staff:
        need = max(need, (p.max_consecutive_shifts or 0) + 1)
        need = max(need, *(c.max_days + 1 for c in p.consecutive_limits), 0)
        need = max(need, *(w.window_days for w in p.window_limits), 0)
        need = max(
            need,
            *(r.min_run + math.ceil(r.min_rest_minutes / 1440) + 1 for r in p.rest_after_runs),
            0,
        )
        # The weekends a pair (or run) of weekends looks back over, whole, and a day to spare.
        need = max(need, *(7 * w.out_of + 4 for w in p.weekend_limits), 0)
        need = max(need, *(r.period_days + 1 for r in p.weekly_rests), 0)
    return need


def _window(
    data: RotaInput, start: int, end: int, memory: int, decided: list[Assignment]
) -> tuple[RotaInput, int]:
    """The problem of days start..end-1, with `memory` days before them fixed as decided.

    Locks after the window are kept reachable: those within `memory` days come into the window's
    problem as fixed days (everyone else off), and the hours, weekends and shifts of every later
    lock are taken off the budgets, so no window can make a later lock impossible.

    Returns:
        The window's problem and the horizon day its day 0 is.
    """
    first = max(0, start - memory)
    if first > 0 and data.weekday(first) == SUNDAY:
        first -= 1  # never split a weekend between what is fixed and what is budgeted
    later = {(lk.staff_id, lk.day): lk.shift_id for lk in data.locked if lk.day >= end}
    ahead = end
    if any(day < end + memory for _, day in later):
        ahead = min(data.horizon_days, end + memory)
    beyond = [
        Assignment(staff_id=p, day=d, shift_id=s)
        for (p, d), s in later.items()
        if d >= ahead and s is not None
    ]
    before = [a for a in decided if a.day < first]
    fixed = {(a.staff_id, a.day): a.shift_id for a in decided if first <= a.day < start}
    staff = tuple(
        _budgeted(
            data,
            p,
            [a for a in before if a.staff_id == p.id],
            [a for a in beyond if a.staff_id == p.id],
            start,
            end,
            first,
        )
        for p in data.staff
    )
    locked = [
        LockedAssignment(staff_id=p.id, day=day - first, shift_id=fixed.get((p.id, day)))
        for p in data.staff
        for day in range(first, start)
    ]
    locked += [
        lock.model_copy(update={"day": lock.day - first})
        for lock in data.locked
        if start <= lock.day < end
    ]
    locked += [
        LockedAssignment(staff_id=p.id, day=day - first, shift_id=later.get((p.id, day)))
        for p in data.staff
        for day in range(end, ahead)
    ]
    window = RotaInput.model_validate(
        {
            **data.model_dump(
                exclude={"staff", "cover", "requests", "locked", "history", "published"}
            ),
            # The history carried in stays before the horizon's day 0, wherever the window is.
            "history": [h.model_copy(update={"day": h.day - first}) for h in data.history],
            "history_days": data.history_days + first if data.history_days else 0,
            "horizon_days": ahead - first,
            "first_weekday": data.weekday(first),
            "staff": staff,
            "cover": [
                c.model_copy(update={"day": c.day - first})
                for c in data.cover
                if start <= c.day < end
            ],
            "requests": [
                r.model_copy(update={"day": r.day - first})
                for r in data.requests
                if start <= r.day < end
            ],
            "locked": locked,
            "published": [
                p.model_copy(update={"day": p.day - first})
                for p in data.published
                if start <= p.day < end
            ],
        }
    )
    return window, first


def _budgeted(
    data: RotaInput,
    person: Staff,
    before: list[Assignment],
    beyond: list[Assignment],
    start: int,
    end: int,
    first: int,
) -> Staff:
    """The person with what the days before the window used, and later locks need, taken off."""
    spent = [*before, *beyond]
    minutes = sum(data.shift(a.shift_id).duration_minutes for a in spent)
    worked_days = {a.day for a in spent}
    weekends = sum(
        1
        for weekend in data.weekends()
        if (all(d < first for d in weekend) or all(d >= end for d in weekend))
        and worked_days & set(weekend)
    )
    per_type: dict[str, int] = {}
    for a in spent:
        per_type[a.shift_id] = per_type.get(a.shift_id, 0) + 1
    weekend_limits = []
    for limit in person.weekend_limits:
        if limit.max_total is not None:
            # Weekends wholly before the window's first day or after its last, worked there.
            outside = [
                (w_start, w_end)
                for w_start, w_end in data.weekend_windows(limit)
                if w_end <= first * MINUTES_PER_DAY or w_start >= end * MINUTES_PER_DAY
            ]
            spans = [data.shift(a.shift_id).span(a.day) for a in spent]
            used = sum(1 for w in outside if any(s < w[1] and w[0] < e for s, e in spans))
            limit = limit.model_copy(update={"max_total": max(0, limit.max_total - used)})
        weekend_limits.append(limit)
    last = end == data.horizon_days
    return person.model_copy(
        update={
            "days_off": frozenset(d - first for d in person.days_off if start <= d < end),
            "max_total_minutes": None
            if person.max_total_minutes is None
            else max(0, person.max_total_minutes - minutes),
            "min_total_minutes": max(0, person.min_total_minutes - minutes) if last else 0,
            "max_weekends": None
            if person.max_weekends is None
            else max(0, person.max_weekends - weekends),
            "max_shifts_per_type": {
                s: max(0, n - per_type.get(s, 0)) for s, n in person.max_shifts_per_type.items()
            },
            "weekend_limits": tuple(weekend_limits),
        }
    )


def _failed(
    data: RotaInput,
    options: SolveOptions,
    started: float,
    result: RotaResult,
    start: int,
    end: int,
    first: int,
) -> RotaResult:
    """A window without a rota: its status, and its conflicting rules on the horizon's days."""
    because = tuple(
        limit.model_copy(update={"when": f"{limit.when} of the window from day {first}".strip()})
        for limit in result.infeasible_because
    )
    window = Limit(name="window", where=f"days {start}-{end - 1}", when="no rota for these days")
    stats = result.stats.model_copy(
        update={
            "wall_seconds": round(time.perf_counter() - started, 3),
            "time_limit_seconds": options.time_limit_seconds,
            "bound": None,
            "gap": None,
        }
    )
    return RotaResult.failed(stats, (window, *because))


__all__ = ["WINDOW_DAYS", "solve_rota_by_windows"]
