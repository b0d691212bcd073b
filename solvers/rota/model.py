"""The rota as a CP-SAT model: who works which shift on which day.

Reads as: variables -> one function per rule family -> objective terms -> solve -> extract.
`works[staff, day, shift]` is the decision; `on[staff, day]` says the person works that day at all.
Each rule family goes through `RotaModel.at_most / at_least / clause`, which makes it hard, soft (a
penalised slack that is reported when it binds) or, when explaining infeasibility, switchable by
one assumption literal per (rule family, person). The search that solves it is in `search.py`;
reading a solution back (and explaining infeasibility) in `explain.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solvers.common import Limit, SolveOptions, Status, stats_from_cp_sat
from solvers.rota.construct import construct_rota
from solvers.rota.cover_bound import places_short_lower_bound
from solvers.rota.explain import explain_infeasibility, extract
from solvers.rota.published import keepable, published_changes
from solvers.rota.schema import (
    MINUTES_PER_DAY,
    PENALTY_UNIT,
    Assignment,
    RestAfterRun,
    RotaInput,
    RotaResult,
    RuleFamily,
    ShiftType,
    Staff,
)
from solvers.rota.search import configured_solver, hint_from_requests, search_and_polish

logger = logging.getLogger(__name__)

Literal = cp_model.IntVar
LinearExpr = cp_model.LinearExprT

_SCORE_SECONDS = 2.0
# The places-short LP gets this share of the time limit (at least the minimum) before the search.
_BOUND_SHARE = 0.2
_MIN_BOUND_SECONDS = 1.0


@dataclass
class Penalty:
    """One weighted objective term, with what to report when it is non-zero."""

    term: str
    var: cp_model.IntVar
    weight: int
    limit: str
    where: str
    when: str
    unit: str
    negated: bool = False
    day: int | None = None
    shift_id: str | None = None
    binding: bool = True  # reported in binding_limits when non-zero

    def expression(self) -> LinearExpr:
        """The weighted term as it enters the objective."""
        return self.weight * (1 - self.var if self.negated else self.var)

    def amount(self, values: Sequence[int]) -> int:
        """The unweighted amount of this term in a solution vector (CP-SAT variable order)."""
        value = values[self.var.index]
        return 1 - value if self.negated else value


@dataclass
class RotaModel:
    """The CP-SAT model under construction and the variables the rule families share."""

    data: RotaInput
    model: cp_model.CpModel
    works: dict[tuple[str, int, str], Literal]
    on: dict[tuple[str, int], Literal]
    explain: bool = False
    penalties: list[Penalty] = field(default_factory=list)
    switches: dict[tuple[RuleFamily, str], Literal] = field(default_factory=dict)
    weekend_vars: dict[tuple[str, int], Literal] = field(default_factory=dict)

    def weekends_worked(self, person: Staff) -> list[Literal]:
        """One literal per weekend of the horizon: true iff the person works any day of it."""
        worked = []
        for index, days in enumerate(self.data.weekends()):
            key = (person.id, index)
            if key not in self.weekend_vars:
                weekend = self.model.new_bool_var(f"weekend[{person.id},{index}]")
                for day in days:
                    self.model.add_implication(self.on[person.id, day], weekend)
                self.model.add(weekend <= sum(self.on[person.id, day] for day in days))
                self.weekend_vars[key] = weekend
            worked.append(self.weekend_vars[key])
        return worked

    def _switch(self, family: RuleFamily, staff_id: str) -> Literal | None:
        """The assumption literal that turns (family, person) on, when explaining infeasibility."""
        if not self.explain:
            return None
        key = (family, staff_id)
        if key not in self.switches:
            self.switches[key] = self.model.new_bool_var(f"enforce[{family},{staff_id}]")
        return self.switches[key]

    def _slack(self, family: RuleFamily, staff_id: str, when: str, upper: int) -> cp_model.IntVar:
        name = f"slack[{family},{staff_id},{when}]"
        slack = self.model.new_int_var(0, max(0, upper), name)
        self.penalties.append(
            Penalty(
                term=f"soft:{family}",
                var=slack,
                weight=self.data.mode(family).weight,
                limit=str(family),
                where=staff_id,
                when=when,
                unit=PENALTY_UNIT.get(family, ""),
            )
        )
        return slack

    def at_most(
        self,
        family: RuleFamily,
        staff_id: str,
        when: str,
        expr: LinearExpr,
        limit: int,
        max_excess: int,
    ) -> None:
        """Adds expr <= limit for this rule family (hard, soft with slack, or switchable)."""
        mode = self.data.mode(family)
        if max_excess <= 0:
            return
        if not mode.hard:
            if mode.weight > 0:
                slack = self._slack(family, staff_id, when, max_excess)
                self.model.add(expr - slack <= limit)
            return
        constraint = self.model.add(expr <= limit)
        switch = self._switch(family, staff_id)
        if switch is not None:
            constraint.only_enforce_if(switch)

    def at_least(
        self,
        family: RuleFamily,
        staff_id: str,
        when: str,
        expr: LinearExpr,
        limit: int,
        max_short: int,
    ) -> None:
        """Adds expr >= limit for this rule family (hard, soft with slack, or switchable)."""
        mode = self.data.mode(family)
        if limit <= 0:
            return
        if not mode.hard:
            if mode.weight > 0:
                slack = self._slack(family, staff_id, when, max_short)
                self.model.add(expr + slack >= limit)
            return
        constraint = self.model.add(expr >= limit)
        switch = self._switch(family, staff_id)
        if switch is not None:
            constraint.only_enforce_if(switch)

    def clause(
        self, family: RuleFamily, staff_id: str, when: str, literals: Sequence[Literal]
    ) -> None:
        """Adds "at least one of these literals holds" for this rule family."""
        mode = self.data.mode(family)
        if not mode.hard:
            if mode.weight > 0:
                violated = self._slack(family, staff_id, when, 1)
                self.model.add_bool_or([*literals, violated])
            return
        switch = self._switch(family, staff_id)
        if switch is None:
            self.model.add_bool_or(literals)
        else:
            self.model.add_bool_or([*literals, switch.Not()])

    def forbid(self, family: RuleFamily, staff_id: str, when: str, literal: Literal) -> None:
        """Adds "this literal is false" for this rule family."""
        self.clause(family, staff_id, when, [literal.Not()])


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


def solve_rota(data: RotaInput, options: SolveOptions) -> RotaResult:
    """Builds and solves the rota; the time limit covers model building and search.

    Returns:
        The rota (one `Assignment` per worked shift), its penalty split by objective term, the
        limits that bind, and honest statistics. When the hard rules cannot all hold and
        `options.explain_infeasibility` is set, `infeasible_because` names the (rule family,
        person) pairs of a sufficient set of conflicting rules.
    """
    started = time.perf_counter()
    short_bound = places_short_bound(data, options)
    rota = _build(data, explain=False)
    if options.use_hint:
        hint_from_requests(rota)
    start = construct_rota(data) if options.construct_start else ()
    best = search_and_polish(
        rota, options, deadline=started + options.time_limit_seconds, start=start
    )
    stats = best.stats(options, time.perf_counter() - started)
    logger.info("rota solve: %s objective %s bound %s", stats.status, stats.objective, stats.bound)
    if best.values is None:
        because: tuple[Limit, ...] = ()
        if stats.status is Status.INFEASIBLE and options.explain_infeasibility:
            because = explain_infeasibility(_build(data, explain=True), options)
        stats = stats.model_copy(update={"wall_seconds": round(time.perf_counter() - started, 3)})
        failed = RotaResult.failed(stats, because)
        return failed.model_copy(update={"places_short_lower_bound": short_bound})
    result = extract(rota, best.values, stats)
    changes = published_changes(data, result.assignments)
    return result.model_copy(
        update={"places_short_lower_bound": short_bound, "published_changes": changes}
    )


def places_short_bound(data: RotaInput, options: SolveOptions) -> int | None:
    """The proven lower bound on places short, if the options ask for it (`cover_bound.py`).

    GLOP gets at most a share of the time limit; on the demo's 12 weeks for both hubs it needs
    about 4 s after 3-4 s of building (docs/benchmarks.md).
    """
    if not options.places_short_bound:
        return None
    seconds = max(_MIN_BOUND_SECONDS, _BOUND_SHARE * options.time_limit_seconds)
    return places_short_lower_bound(data, seconds)


def build_model(data: RotaInput) -> cp_model.CpModel:
    """The CP-SAT model of a rota problem, for inspection and tuning (no solve)."""
    return _build(data, explain=False).model


def _build(data: RotaInput, *, explain: bool) -> RotaModel:
    """Variables, every rule family and the objective, in that order."""
    model = cp_model.CpModel()
    works, on = _works_variables(model, data)
    rota = RotaModel(data=data, model=model, works=works, on=on, explain=explain)
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
    objective = [
        *_cover_terms(rota),
        *_request_terms(rota),
        *_staff_cost_terms(rota),
        *_travel_terms(rota),
        *_fairness_terms(rota),
        *_published_terms(rota),
    ]
    objective += [p.expression() for p in rota.penalties if p.term.startswith("soft:")]
    if not explain:
        model.minimize(sum(objective))
    return rota


def _works_variables(
    model: cp_model.CpModel, data: RotaInput
) -> tuple[dict[tuple[str, int, str], Literal], dict[tuple[str, int], Literal]]:
    """works[staff, day, shift] and on[staff, day] = the shift worked that day, at most one."""
    works: dict[tuple[str, int, str], Literal] = {}
    on: dict[tuple[str, int], Literal] = {}
    for person in data.staff:
        for day in range(data.horizon_days):
            todays = []
            for shift in data.shift_types:
                var = model.new_bool_var(f"works[{person.id},{day},{shift.id}]")
                works[person.id, day, shift.id] = var
                todays.append(var)
            on[person.id, day] = model.new_bool_var(f"on[{person.id},{day}]")
            # One shift a day at most: the day is worked iff exactly one of its shifts is.
            model.add(sum(todays) == on[person.id, day])
    return works, on


def _days(day: int, length: int = 1) -> str:
    return f"day {day}" if length == 1 else f"days {day}-{day + length - 1}"


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
                    _days(day),
                    rota.works[person.id, day, shift.id],
                )


def _add_locked(rota: RotaModel) -> None:
    """Decisions already taken stay as they are (a shift worked, or the day off)."""
    for lock in rota.data.locked:
        if lock.shift_id is None:
            rota.forbid(
                RuleFamily.LOCKED, lock.staff_id, _days(lock.day), rota.on[lock.staff_id, lock.day]
            )
        else:
            works = rota.works[lock.staff_id, lock.day, lock.shift_id]
            rota.clause(RuleFamily.LOCKED, lock.staff_id, _days(lock.day), [works])


def _add_days_off(rota: RotaModel) -> None:
    """Nobody works on their days off (leave, days they are not available)."""
    for person in rota.data.staff:
        for day in sorted(person.days_off):
            rota.forbid(RuleFamily.DAYS_OFF, person.id, _days(day), rota.on[person.id, day])


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
                _days(start, most + 1),
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
                    _days(start, most + 1),
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
            rota.clause(family, person.id, _days(start, length), literals)


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
                f"{_days(-1)} {yesterday}->{then}",
                rota.works[person.id, 0, then],
            )
        for day in range(data.horizon_days - 1):
            for first, thens in banned_after.items():
                today = rota.works[person.id, day, first]
                tomorrow = [rota.works[person.id, day + 1, then] for then in thens]
                if soft or rota.explain:
                    for nxt, then in zip(tomorrow, thens, strict=True):
                        when = f"{_days(day)} {first}->{then}"
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
                when = f"{limit.name} {_days(start, most + 1)}"
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
                    when = f"{limit.name} {_days(start, most + 1)}"
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
                    f"{limit.name} {_days(start, len(days))}",
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
                    f"{limit.name} {_days(start, limit.window_days)}",
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
                    when = f"{limit.name} {_days(end)} {last.id}, {_days(later)} {shift.id}"
                    _clause_with_history(rota, RuleFamily.REST_AFTER_RUN, person.id, when, literals)


def _overlapping(rota: RotaModel, person: Staff, start: int, end: int) -> list[Literal]:
    """works[person, day, shift] of every shift whose span overlaps [start, end) minutes."""
    data = rota.data
    first = max(0, start // MINUTES_PER_DAY - 7)
    last = min(data.horizon_days, end // MINUTES_PER_DAY + 1)
    found = []
    for day in range(first, last):
        for shift in data.shift_types:
            begins, ends = shift.span(day)
            if begins < end and start < ends:
                found.append(rota.works[person.id, day, shift.id])
    return found


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
                for day in range(max(0, first - 7), last):
                    for shift in data.shift_types:
                        ends = shift.span(day)[1]
                        if begin < ends:
                            starts.add(ends)
                when = f"{rest.name} {_days(first, last - first)}"
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


def _cover_terms(rota: RotaModel) -> list[LinearExpr]:
    """Staff short of (under) or beyond (over) each cover requirement, at their weights."""
    data, model = rota.data, rota.model
    terms: list[LinearExpr] = []
    for req in data.cover:
        counted = [p for p in data.staff if req.skill is None or req.skill in p.skills]
        giving = data.shifts_giving_cover(req.shift_id)
        count = sum(rota.works[p.id, req.day, s] for p in counted for s in giving)
        where = req.shift_id if req.skill is None else f"{req.shift_id}/{req.skill}"
        under = model.new_int_var(0, req.required, f"under[{req.day},{where}]")
        # One shift a day: each person counted gives at most one, whichever shift gives it.
        over = model.new_int_var(0, max(0, len(counted) - req.required), f"over[{req.day},{where}]")
        model.add(count + under - over == req.required)
        for term, var, weight, unit in (
            ("cover_under", under, req.under_weight, "staff short"),
            ("cover_over", over, req.over_weight, "staff over"),
        ):
            rota.penalties.append(
                Penalty(
                    term,
                    var,
                    weight,
                    "cover",
                    where,
                    _days(req.day),
                    unit,
                    day=req.day,
                    shift_id=req.shift_id,
                )
            )
            terms.append(weight * var)
    return terms


def _request_terms(rota: RotaModel) -> list[LinearExpr]:
    """Wishes not granted: a shift (or any work) asked for and not given, or asked off and given."""
    terms: list[LinearExpr] = []
    for req in rota.data.requests:
        if req.shift_id is None:
            given = rota.on[req.staff_id, req.day]
        else:
            given = rota.works[req.staff_id, req.day, req.shift_id]
        what = f"{req.kind} {req.shift_id or 'any shift'}"
        penalty = Penalty(
            "requests",
            given,
            req.weight,
            "request",
            req.staff_id,
            f"{_days(req.day)} {what}",
            "",
            negated=req.kind == "on",
        )
        rota.penalties.append(penalty)
        terms.append(penalty.expression())
    return terms


def _published_terms(rota: RotaModel) -> list[LinearExpr]:
    """Each published day changed ("minimal change"): its shift not worked, or its day off worked.

    A day whose person or shift has left the problem cannot be kept and costs nothing here; it is
    reported as a change all the same (`published.published_changes`).
    """
    weight = rota.data.published_weight
    if weight == 0:
        return []
    terms: list[LinearExpr] = []
    for pub in keepable(rota.data):
        if pub.shift_id is None:
            var, negated = rota.on[pub.staff_id, pub.day], False
        else:
            var, negated = rota.works[pub.staff_id, pub.day, pub.shift_id], True
        penalty = Penalty(
            "published_changes",
            var,
            weight,
            "published",
            pub.staff_id,
            f"{_days(pub.day)} {pub.shift_id or 'off'}",
            "changes",
            negated=negated,
            binding=False,
        )
        rota.penalties.append(penalty)
        terms.append(penalty.expression())
    return terms


def _staff_cost_terms(rota: RotaModel) -> list[LinearExpr]:
    """The cost of each shift worked, by person (substantive < bank < agency in the app)."""
    terms: list[LinearExpr] = []
    for person in rota.data.staff:
        if person.cost_per_hour:
            costs = {s.id: person.shift_cost(s) for s in rota.data.shift_types}
            terms.extend(
                cost * rota.works[person.id, day, shift_id]
                for day in range(rota.data.horizon_days)
                for shift_id, cost in costs.items()
                if cost
            )
        elif person.cost_per_shift:
            shifts = sum(rota.on[person.id, day] for day in range(rota.data.horizon_days))
            terms.append(person.cost_per_shift * shifts)
    return terms


def _travel_terms(rota: RotaModel) -> list[LinearExpr]:
    """Minutes of one-way travel from home to the site of each shift worked, at `travel_weight`."""
    data = rota.data
    if data.travel_weight == 0:
        return []
    terms: list[LinearExpr] = []
    for person in data.staff:
        for shift in data.shift_types:
            minutes = person.travel_to(shift)
            if minutes:
                worked = sum(
                    rota.works[person.id, day, shift.id] for day in range(data.horizon_days)
                )
                terms.append(data.travel_weight * minutes * worked)
    return terms


def _is_cross_site(person: Staff, shift: ShiftType) -> bool:
    return (
        shift.site is not None and person.home_site is not None and shift.site != person.home_site
    )


def _fairness_terms(rota: RotaModel) -> list[LinearExpr]:
    """Within each staff group, the most minus the fewest nights, weekends and cross-site shifts."""
    data, fairness = rota.data, rota.data.fairness
    days = range(data.horizon_days)

    def nights(person: Staff) -> list[Literal]:
        return [rota.works[person.id, d, s.id] for d in days for s in data.shift_types if s.night]

    def cross_site(person: Staff) -> list[Literal]:
        return [
            rota.works[person.id, d, s.id]
            for d in days
            for s in data.shift_types
            if _is_cross_site(person, s)
        ]

    kinds = (
        ("nights", fairness.nights_weight, nights),
        ("weekends", fairness.weekends_weight, rota.weekends_worked),
        ("cross_site", fairness.cross_site_weight, cross_site),
    )
    groups: dict[str, list[Staff]] = {}
    for person in data.staff:
        groups.setdefault(person.group, []).append(person)
    terms: list[LinearExpr] = []
    for group, members in groups.items():
        if len(members) < 2:
            continue
        for kind, weight, counted in kinds:
            literals = [counted(person) for person in members] if weight else []
            if any(literals):  # nothing to spread when nobody can work such a shift
                named = dict(zip((p.id for p in members), literals, strict=True))
                terms.append(_spread(rota, f"fairness:{kind}", group, weight, named))
    return terms


def _spread(
    rota: RotaModel, term: str, group: str, weight: int, literals: dict[str, list[Literal]]
) -> LinearExpr:
    """Weight x (most - fewest) of the per-person counts; max/min are exact, not just bounds."""
    model = rota.model
    most_possible = max(len(counted) for counted in literals.values())
    counts = []
    for staff_id, counted in literals.items():
        count = model.new_int_var(0, len(counted), f"{term}[{staff_id}]")
        model.add(count == sum(counted))
        counts.append(count)
    most = model.new_int_var(0, most_possible, f"{term}:most[{group}]")
    fewest = model.new_int_var(0, most_possible, f"{term}:fewest[{group}]")
    model.add_max_equality(most, counts)
    model.add_min_equality(fewest, counts)
    spread = model.new_int_var(0, most_possible, f"{term}:spread[{group}]")
    model.add(spread == most - fewest)
    rota.penalties.append(
        Penalty(
            term=term,
            var=spread,
            weight=weight,
            limit=term,
            where=group or "(no group)",
            when="horizon",
            unit="between most and fewest",
            binding=False,
        )
    )
    return weight * spread


def score_rota(
    data: RotaInput, assignments: Sequence[Assignment], options: SolveOptions
) -> RotaResult | None:
    """The rota's exact penalty, terms and binding limits on the whole model, every shift fixed.

    Returns:
        The result (status as CP-SAT proves the fixed model: optimal), or None if the shifts break
        a hard rule of `data`.
    """
    started = time.perf_counter()
    rota = _build(data, explain=False)
    worked = {(a.staff_id, a.day): a.shift_id for a in assignments}
    model = rota.model.clone()
    model.clear_hints()
    proto = model.proto
    for (staff_id, day, shift_id), var in rota.works.items():
        value = int(worked.get((staff_id, day)) == shift_id)
        domain = proto.variables[var.index].domain
        domain[0] = domain[1] = value
    for (staff_id, day), var in rota.on.items():
        value = int((staff_id, day) in worked)
        domain = proto.variables[var.index].domain
        domain[0] = domain[1] = value
    # Every decision is fixed, so this is quick; it gets a floor even when the limit is spent.
    left = max(_SCORE_SECONDS, options.time_limit_seconds - (time.perf_counter() - started))
    solver = configured_solver(options, left, workers=1)
    code = solver.solve(model)
    if code != cp_model.OPTIMAL:
        logger.warning("scoring a fixed rota: %s", solver.status_name(code))
        return None
    stats = stats_from_cp_sat(solver, code, options, time.perf_counter() - started)
    return extract(rota, list(solver.response_proto.solution), stats)
