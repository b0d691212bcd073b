"""The rota as a CP-SAT model: who works which shift on which day.

Reads as: variables -> one function per rule family -> objective terms -> solve -> extract.
`works[staff, day, shift]` is the decision; `on[staff, day]` says the person works that day at all.
Each rule family goes through `_Rota.at_most / at_least / clause`, which makes it hard, soft (a
penalised slack that is reported when it binds) or, when explaining infeasibility, switchable by
one assumption literal per (rule family, person).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solvers.common import (
    Limit,
    ParameterValue,
    SolveOptions,
    SolveStats,
    Status,
    configure_cp_sat,
    relative_gap,
    set_cp_sat_parameter,
    stats_from_cp_sat,
    status_from_cp_sat,
)
from solvers.rota.relaxation import solve_lp_relaxation
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

logger = logging.getLogger(__name__)

Literal = cp_model.IntVar
LinearExpr = cp_model.LinearExprT

_MIN_SOLVE_SECONDS = 0.1
_SCORE_SECONDS = 2.0
# Search schedule (measured on Curtois & Qu instances 1-12, see docs/rota.md).
_FIRST_SOLVE_SHARE = 0.05
_FIRST_SOLVE_MIN_SECONDS = 1.0
_NEIGHBOURHOOD_SECONDS = 5.0
_NEIGHBOURHOOD_WORK = 0.15  # CP-SAT deterministic time, about 0.4 s of one core here
_GROW = 1.1
# A worker whose last _STALL_ROUNDS moves found nothing better doubles its moves' work, up to
# _MAX_NEIGHBOURHOOD_WORK; the first better rota resets it.
_STALL_ROUNDS = 10
_MAX_NEIGHBOURHOOD_WORK = 3.2
_LP_MOVE_SHARE = 0.25  # of moves, once the LP relaxation is solved
_POLISH_SECONDS = 1.0
_POLISH_RESERVE_SECONDS = 0.3
_POLISH_SHARE = 0.05
# CP-SAT's default LP worker leaves the run clauses out of its relaxation (linearization level 1)
# and proves almost nothing here; with them (level 2, worker "max_lp") the bound on Curtois &
# Qu instance 7 rises from 29 to about 940 in 10 s. Options' own parameters override these.
_CP_SAT_DEFAULTS: dict[str, ParameterValue] = {
    "linearization_level": 2,
    "ignore_subsolvers": ["default_lp"],
    "extra_subsolvers": ["max_lp"],
}


@dataclass
class _Penalty:
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
class _Rota:
    """The CP-SAT model under construction and the variables the rule families share."""

    data: RotaInput
    model: cp_model.CpModel
    works: dict[tuple[str, int, str], Literal]
    on: dict[tuple[str, int], Literal]
    explain: bool = False
    penalties: list[_Penalty] = field(default_factory=list)
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
            _Penalty(
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


def solve_rota(data: RotaInput, options: SolveOptions) -> RotaResult:
    """Builds and solves the rota; the time limit covers model building and search.

    Returns:
        The rota (one `Assignment` per worked shift), its penalty split by objective term, the
        limits that bind, and honest statistics. When the hard rules cannot all hold and
        `options.explain_infeasibility` is set, `infeasible_because` names the (rule family,
        person) pairs of a sufficient set of conflicting rules.
    """
    started = time.perf_counter()
    rota = _build(data, explain=False)
    if options.use_hint:
        _hint_from_requests(rota)
    reserve = min(_POLISH_RESERVE_SECONDS, _POLISH_SHARE * options.time_limit_seconds)
    best = _search(rota, options, deadline=started + options.time_limit_seconds - reserve)
    if best.values is not None:
        _polish(rota, options, best)
    stats = best.stats(options, time.perf_counter() - started)
    logger.info("rota solve: %s objective %s bound %s", stats.status, stats.objective, stats.bound)
    if best.values is None:
        because: tuple[Limit, ...] = ()
        if stats.status is Status.INFEASIBLE and options.explain_infeasibility:
            because = _explain_infeasibility(data, options)
        stats = stats.model_copy(update={"wall_seconds": round(time.perf_counter() - started, 3)})
        return RotaResult.failed(stats, because)
    return _extract(rota, best.values, stats)


def build_model(data: RotaInput) -> cp_model.CpModel:
    """The CP-SAT model of a rota problem, for inspection and tuning (no solve)."""
    return _build(data, explain=False).model


def _build(data: RotaInput, *, explain: bool) -> _Rota:
    """Variables, every rule family and the objective, in that order."""
    model = cp_model.CpModel()
    works, on = _works_variables(model, data)
    rota = _Rota(data=data, model=model, works=works, on=on, explain=explain)
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
    objective = [
        *_cover_terms(rota),
        *_request_terms(rota),
        *_staff_cost_terms(rota),
        *_travel_terms(rota),
        *_fairness_terms(rota),
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


def _add_site_access(rota: _Rota) -> None:
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


def _add_locked(rota: _Rota) -> None:
    """Decisions already taken stay as they are (a shift worked, or the day off)."""
    for lock in rota.data.locked:
        if lock.shift_id is None:
            rota.forbid(
                RuleFamily.LOCKED, lock.staff_id, _days(lock.day), rota.on[lock.staff_id, lock.day]
            )
        else:
            works = rota.works[lock.staff_id, lock.day, lock.shift_id]
            rota.clause(RuleFamily.LOCKED, lock.staff_id, _days(lock.day), [works])


def _add_days_off(rota: _Rota) -> None:
    """Nobody works on their days off (leave, days they are not available)."""
    for person in rota.data.staff:
        for day in sorted(person.days_off):
            rota.forbid(RuleFamily.DAYS_OFF, person.id, _days(day), rota.on[person.id, day])


def _add_max_shifts_per_type(rota: _Rota) -> None:
    """Each person works at most their contract's number of shifts of each type."""
    horizon = rota.data.horizon_days
    for person in rota.data.staff:
        for shift_id, limit in person.max_shifts_per_type.items():
            worked = sum(rota.works[person.id, day, shift_id] for day in range(horizon))
            rota.at_most(
                RuleFamily.MAX_SHIFTS_PER_TYPE, person.id, shift_id, worked, limit, horizon - limit
            )


def _add_total_minutes(rota: _Rota) -> None:
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


def _minutes_worked(rota: _Rota, person: Staff, days: range) -> LinearExpr:
    return sum(
        shift.duration_minutes * rota.works[person.id, day, shift.id]
        for day in days
        for shift in rota.data.shift_types
    )


def _add_max_consecutive_shifts(rota: _Rota) -> None:
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


def _forbid_short_runs(
    rota: _Rota, family: RuleFamily, person: Staff, shortest: int, working: bool
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


def _add_min_consecutive_shifts(rota: _Rota) -> None:
    """Once someone starts a run of shifts they work at least their minimum days in a row."""
    for person in rota.data.staff:
        _forbid_short_runs(
            rota, RuleFamily.MIN_CONSECUTIVE_SHIFTS, person, person.min_consecutive_shifts, True
        )


def _add_min_consecutive_days_off(rota: _Rota) -> None:
    """Days off come in blocks of at least each person's minimum."""
    for person in rota.data.staff:
        _forbid_short_runs(
            rota,
            RuleFamily.MIN_CONSECUTIVE_DAYS_OFF,
            person,
            person.min_consecutive_days_off,
            False,
        )


def _add_max_weekends(rota: _Rota) -> None:
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


def _add_banned_successions(rota: _Rota) -> None:
    """Shifts that may not follow each other on consecutive days (e.g. a night then an early)."""
    data = rota.data
    banned_after: dict[str, list[str]] = {}
    for first, then in sorted(data.banned_successions):
        banned_after.setdefault(first, []).append(then)
    soft = not data.mode(RuleFamily.BANNED_SUCCESSION).hard
    for person in data.staff:
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


def _add_max_consecutive_of_kind(rota: _Rota) -> None:
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


def _add_max_minutes_in_window(rota: _Rota) -> None:
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


def _add_rest_after_runs(rota: _Rota) -> None:
    """After a run of nights (3 or more in a row), no shift starts before the rest owed (46 h)."""
    for person in rota.data.staff:
        for limit in person.rest_after_runs:
            _forbid_shifts_too_soon_after_run(rota, person, limit)


def _forbid_shifts_too_soon_after_run(rota: _Rota, person: Staff, limit: RestAfterRun) -> None:
    """For each day a run can end on, forbids "run ends with shift X, then Y starts too soon".

    A run of at least `min_run` ends on day e when days e-min_run+1..e are of the kind and day e+1
    is not; the clause for a later shift on day e+k also holds the run's end (day e+1 not of the
    kind), since otherwise the rest is owed at the true end of the run instead.
    """
    data, model = rota.data, rota.model
    horizon = data.horizon_days
    kinds = [data.shift(s) for s in sorted(limit.shift_ids)]
    of_kind: list[Literal] = []
    for day in range(horizon):
        flag = model.new_bool_var(f"{limit.name}[{person.id},{day}]")
        model.add(flag == sum(rota.works[person.id, day, s.id] for s in kinds))
        of_kind.append(flag)
    for end in range(limit.min_run - 1, horizon - 1):
        before = [of_kind[day].Not() for day in range(end - limit.min_run + 1, end)]
        for last in kinds:
            if last.end_minute is None:
                continue
            rest_until = last.end_minute + limit.min_rest_minutes  # minutes after day `end` starts
            for later in range(end + 1, horizon):
                offset = (later - end) * MINUTES_PER_DAY
                if offset >= rest_until:
                    break
                for shift in data.shift_types:
                    if shift.start_minute is None or offset + shift.start_minute >= rest_until:
                        continue
                    if later == end + 1 and shift.id in limit.shift_ids:
                        continue  # the run goes on
                    literals = [
                        rota.works[person.id, end, last.id].Not(),
                        *before,
                        rota.works[person.id, later, shift.id].Not(),
                    ]
                    if later > end + 1:
                        literals.append(of_kind[end + 1])
                    when = f"{limit.name} {_days(end)} {last.id}, {_days(later)} {shift.id}"
                    rota.clause(RuleFamily.REST_AFTER_RUN, person.id, when, literals)


def _cover_terms(rota: _Rota) -> list[LinearExpr]:
    """Staff short of (under) or beyond (over) each cover requirement, at their weights."""
    data, model = rota.data, rota.model
    terms: list[LinearExpr] = []
    for req in data.cover:
        counted = [p for p in data.staff if req.skill is None or req.skill in p.skills]
        giving = _shifts_giving_cover(data, req.shift_id)
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
                _Penalty(
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


def _shifts_giving_cover(data: RotaInput, shift_id: str) -> list[str]:
    """The shift itself and every shift that also counts as it (`ShiftType.counts_as`)."""
    return [shift_id] + [s.id for s in data.shift_types if shift_id in s.counts_as]


def _request_terms(rota: _Rota) -> list[LinearExpr]:
    """Wishes not granted: a shift (or any work) asked for and not given, or asked off and given."""
    terms: list[LinearExpr] = []
    for req in rota.data.requests:
        if req.shift_id is None:
            given = rota.on[req.staff_id, req.day]
        else:
            given = rota.works[req.staff_id, req.day, req.shift_id]
        what = f"{req.kind} {req.shift_id or 'any shift'}"
        penalty = _Penalty(
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


def _staff_cost_terms(rota: _Rota) -> list[LinearExpr]:
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


def _travel_terms(rota: _Rota) -> list[LinearExpr]:
    """Minutes of one-way travel from home to the site of each shift worked, at `travel_weight`."""
    data = rota.data
    if data.travel_weight == 0:
        return []
    terms: list[LinearExpr] = []
    for person in data.staff:
        for shift in data.shift_types:
            minutes = _travel_minutes(person, shift)
            if minutes:
                worked = sum(
                    rota.works[person.id, day, shift.id] for day in range(data.horizon_days)
                )
                terms.append(data.travel_weight * minutes * worked)
    return terms


def _travel_minutes(person: Staff, shift: ShiftType) -> int:
    return 0 if shift.site is None else person.travel_minutes.get(shift.site, 0)


def _is_cross_site(person: Staff, shift: ShiftType) -> bool:
    return (
        shift.site is not None and person.home_site is not None and shift.site != person.home_site
    )


def _fairness_terms(rota: _Rota) -> list[LinearExpr]:
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
    rota: _Rota, term: str, group: str, weight: int, literals: dict[str, list[Literal]]
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
        _Penalty(
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


class _Incumbent:
    """The best rota found so far (a CP-SAT solution vector), shared by the search threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: list[int] | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.code = cp_model.UNKNOWN
        self.cp_sat_status = "UNKNOWN"
        self.rounds = 0
        self.improved = 0
        self.lp_values: list[float] | None = None

    def offer(self, values: Sequence[int], objective: float) -> bool:
        """Keeps a rota at least as good as the best; returns True when strictly better."""
        # Every weight is a whole number, so the objective is too (CP-SAT reports a float).
        objective = float(round(objective))
        with self.lock:
            better = self.objective is None or objective < self.objective
            if better or objective <= self.objective:
                self.values, self.objective = list(values), objective
            self.improved += int(better)
            return better

    def raise_bound(self, bound: float) -> None:
        """Records a proven lower bound on the objective."""
        bound = float(math.ceil(bound - 1e-6))  # whole-number objective: round the bound up
        with self.lock:
            self.bound = bound if self.bound is None else max(self.bound, bound)

    def proven(self) -> bool:
        """True when the best rota meets the proven bound (nothing better exists)."""
        return (
            self.objective is not None
            and self.bound is not None
            and self.bound >= self.objective - 1e-9
        )

    def stats(self, options: SolveOptions, wall_seconds: float) -> SolveStats:
        """Honest statistics: optimal only when the bound meets the best rota found."""
        if self.values is None:
            status = status_from_cp_sat(self.code)
        else:
            status = Status.OPTIMAL if self.proven() else Status.FEASIBLE
        has_rota = self.values is not None
        return SolveStats(
            status=status,
            objective=self.objective if has_rota else None,
            bound=self.bound if has_rota else None,
            gap=(0.0 if status is Status.OPTIMAL else relative_gap(self.objective, self.bound))
            if has_rota
            else None,
            wall_seconds=round(wall_seconds, 3),
            time_limit_seconds=options.time_limit_seconds,
            num_workers=options.num_workers,
            seed=options.seed,
            cp_sat_status=self.cp_sat_status,
        )


def _configured_solver(
    options: SolveOptions, seconds: float, workers: int | None = None
) -> cp_model.CpSolver:
    """A CP-SAT solver with the options, this model's measured defaults and a time limit."""
    solver = cp_model.CpSolver()
    for name, value in _CP_SAT_DEFAULTS.items():
        if name not in options.parameters:
            set_cp_sat_parameter(solver, name, value)
    configure_cp_sat(solver, options)
    solver.parameters.max_time_in_seconds = seconds
    if workers is not None:
        solver.parameters.num_workers = workers
    return solver


def _seconds_left(deadline: float, cap: float | None = None) -> float:
    left = max(_MIN_SOLVE_SECONDS, deadline - time.perf_counter())
    return left if cap is None else min(left, cap)


def _search(rota: _Rota, options: SolveOptions, deadline: float) -> _Incumbent:
    """Solves the whole model, then improves the rota by re-solving neighbourhoods until time is up.

    The whole-model solve (a small share of the time, longer if it has no rota yet) gives the first
    rota and the proven lower bound. Then each worker re-solves neighbourhoods on one core: each
    frees the shifts of some staff and/or days, keeps the rest of the best rota fixed and hints the
    current values, so it returns a rota at least as good. Measured on the Curtois & Qu instances,
    this finds better rotas in 60 s than giving CP-SAT's own portfolio the whole model.
    """
    best = _Incumbent()
    use_neighbourhoods = options.neighbourhood_search and len(rota.data.staff) > 1
    share = _FIRST_SOLVE_SHARE if use_neighbourhoods else 1.0
    first_limit = max(_FIRST_SOLVE_MIN_SECONDS, share * options.time_limit_seconds)
    solver = _configured_solver(options, _seconds_left(deadline, first_limit))
    code = solver.solve(rota.model)
    if code == cp_model.UNKNOWN and _seconds_left(deadline) > _MIN_SOLVE_SECONDS:
        # No rota yet: keep going, and stop at the first one if neighbourhoods can take over.
        # The linear relaxation that gives the bound slows the first rota down (seen: 3.3 s
        # against 0.9 s on one worker for the demo's 203 hub staff), so it is left out here; the
        # bound of the first solve is kept.
        first_bound = solver.best_objective_bound
        solver = cp_model.CpSolver()
        configure_cp_sat(solver, options)
        solver.parameters.linearization_level = 0
        solver.parameters.max_time_in_seconds = _seconds_left(deadline)
        code = solver.solve(rota.model, _StopAtFirst() if use_neighbourhoods else None)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and math.isfinite(first_bound):
            best.raise_bound(first_bound)
    best.code, best.cp_sat_status = code, solver.status_name(code)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return best
    best.offer(solver.response_proto.solution, solver.objective_value)
    best.raise_bound(solver.best_objective_bound)
    if best.proven() or not use_neighbourhoods:
        return best
    # One single-worker thread per core; CP-SAT releases the GIL while it solves.
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            # With one worker the search comes first; the bound of the first solve stands.
            if k == 0 and options.lp_bound and options.num_workers > 1:
                _lp_bound(rota, deadline, best)
            _neighbourhood_worker(rota, options, deadline, best, random.Random(options.seed + k))
        except BaseException as error:  # re-raised below, in the caller's thread
            failures.append(error)

    workers = [
        threading.Thread(target=work, args=(k,), name=f"rota-neighbourhoods-{k}")
        for k in range(options.num_workers)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if failures:
        raise failures[0]
    logger.info("neighbourhood search: %d rounds, %d improvements", best.rounds, best.improved)
    return best


def _lp_bound(rota: _Rota, deadline: float, best: _Incumbent) -> None:
    """Solves the linear relaxation on this thread: a proven bound, and LP values for moves."""
    relaxation = solve_lp_relaxation(rota.model, _seconds_left(deadline))
    if relaxation is None:
        return
    logger.info("LP relaxation: bound %d in %.1f s", relaxation.bound, relaxation.seconds)
    best.raise_bound(relaxation.bound)
    with best.lock:
        best.lp_values = relaxation.values


def _polish(rota: _Rota, options: SolveOptions, best: _Incumbent) -> None:
    """Keeps the best rota's shifts and re-solves only the penalty variables, so each is exact.

    A rota returned on a time limit may carry slack (say one short and one over on the same shift)
    that a proof would have removed; this makes the reported objective the rota's own penalty.
    """
    assert best.values is not None
    solved = _solve_with_shifts_fixed(rota, options, best.values)
    if solved is not None:
        best.offer(*solved)


def _solve_with_shifts_fixed(
    rota: _Rota, options: SolveOptions, values: Sequence[int]
) -> tuple[list[int], float] | None:
    """The exact penalty of the shifts in `values`: (solution, objective), or None if infeasible."""
    model = rota.model.clone()
    model.clear_hints()
    proto = model.proto
    for var in [*rota.works.values(), *rota.on.values()]:
        domain = proto.variables[var.index].domain
        domain[0] = domain[1] = values[var.index]
    solver = _configured_solver(options, _POLISH_SECONDS, workers=1)
    code = solver.solve(model)
    logger.debug("shifts fixed: %s in %.2f s", solver.status_name(code), solver.wall_time)
    if code != cp_model.OPTIMAL:
        return None
    return list(solver.response_proto.solution), solver.objective_value


class _StopAtFirst(cp_model.CpSolverSolutionCallback):
    """Stops the search at the first solution."""

    def on_solution_callback(self) -> None:
        """Stops."""
        self.stop_search()


@dataclass
class _Neighbourhood:
    """Which (staff, day) cells a re-solve may change, and how big such moves currently are."""

    kind: str
    share: float


def _neighbourhood_worker(
    rota: _Rota, options: SolveOptions, deadline: float, best: _Incumbent, rng: random.Random
) -> None:
    """Re-solves one neighbourhood after another, keeping any rota at least as good as the best."""
    staff_ids = [p.id for p in rota.data.staff]
    horizon = rota.data.horizon_days
    cells = {key: [v.index for v in _cell_vars(rota, *key)] for key in rota.on}
    shortfalls = [p for p in rota.penalties if p.term == "cover_under"]
    able = {shift.id: _able_staff(rota.data, shift.id) for shift in rota.data.shift_types}
    kinds = [
        _Neighbourhood("staff", 0.15),
        _Neighbourhood("days", 0.25),
        _Neighbourhood("staff_and_days", 0.3),
    ]
    lp_hood = _Neighbourhood("lp", 0.1)
    work = _NEIGHBOURHOOD_WORK
    stalled = 0
    while deadline - time.perf_counter() > _MIN_SOLVE_SECONDS and not best.proven():
        with best.lock:
            values = best.values
            lp_values = best.lp_values
            best.rounds += 1
        assert values is not None
        if lp_values is not None and rng.random() < _LP_MOVE_SHARE:
            hood = lp_hood
            free = _lp_cells(hood, cells, values, lp_values, rng)
        else:
            hood = rng.choice(kinds)
            short = [(p.day, p.shift_id) for p in shortfalls if p.amount(values)]
            free = _pick_cells(hood, staff_ids, horizon, rng, short, able)
        sub = rota.model.clone()
        sub.clear_hints()
        proto = sub.proto
        fixed = [i for key, indices in cells.items() if key not in free for i in indices]
        for i in fixed:
            domain = proto.variables[i].domain
            domain[0] = domain[1] = values[i]
        # The whole best rota as the hint: it is a solution of the move, so CP-SAT starts from
        # it at once instead of repairing a partial hint (on Instance 12 that took most of a move).
        proto.solution_hint.vars.extend(range(len(values)))
        proto.solution_hint.values.extend(values)
        solver = _configured_solver(
            options,
            _seconds_left(deadline, _NEIGHBOURHOOD_SECONDS),
            workers=1,
        )
        # Work, not wall time, limits each move, so busy machines do not shrink the moves.
        solver.parameters.max_deterministic_time = work
        code = solver.solve(sub)
        logger.debug(
            "neighbourhood %s (share %.2f): %s in %.2f s",
            hood.kind,
            hood.share,
            solver.status_name(code),
            solver.wall_time,
        )
        if code == cp_model.OPTIMAL:
            hood.share = min(1.0, hood.share * _GROW)
        else:
            hood.share = max(0.02, hood.share / _GROW)
        improved = code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and best.offer(
            solver.response_proto.solution, solver.objective_value
        )
        if improved:
            logger.debug("%s %.2f: %s", hood.kind, hood.share, solver.objective_value)
            work, stalled = _NEIGHBOURHOOD_WORK, 0
        else:
            stalled += 1
            if stalled >= _STALL_ROUNDS:
                # Stuck: give the moves more work, and so (through the sizes) more scope.
                work, stalled = min(_MAX_NEIGHBOURHOOD_WORK, 2 * work), 0


def _lp_cells(
    hood: _Neighbourhood,
    cells: dict[tuple[str, int], list[int]],
    values: Sequence[int],
    lp_values: Sequence[float],
    rng: random.Random,
) -> set[tuple[str, int]]:
    """Cells where the best rota and the LP optimum disagree, as many as the move's size allows.

    Where the relaxation is nearly integral (Curtois & Qu Instances 10-12), the LP optimum points
    at the cells to change ("relaxation induced neighbourhood", RINS).
    """
    budget = max(2, round(hood.share * len(cells)))
    differ = [
        key
        for key, indices in cells.items()
        if any(abs(lp_values[i] - values[i]) > 0.5 for i in indices)
    ]
    if len(differ) > budget:
        return set(rng.sample(differ, budget))
    chosen = set(differ)
    others = [key for key in cells if key not in chosen]
    chosen.update(rng.sample(others, min(len(others), budget - len(chosen))))
    return chosen


def _cell_vars(rota: _Rota, staff_id: str, day: int) -> list[Literal]:
    return [rota.on[staff_id, day]] + [
        rota.works[staff_id, day, s.id] for s in rota.data.shift_types
    ]


def _able_staff(data: RotaInput, shift_id: str) -> list[str]:
    """The staff whose contract and sites let them work a shift giving this shift's cover."""
    giving = [data.shift(s) for s in _shifts_giving_cover(data, shift_id)]
    return [
        p.id
        for p in data.staff
        if any(p.may_work_at(s) and p.max_shifts_per_type.get(s.id, 1) > 0 for s in giving)
    ]


def _pick_cells(
    hood: _Neighbourhood,
    staff_ids: list[str],
    horizon: int,
    rng: random.Random,
    short: list[tuple[int | None, str | None]],
    able: dict[str, list[str]],
) -> set[tuple[str, int]]:
    """The (staff, day) cells freed by one neighbourhood move.

    Half the moves aim at a shift whose cover is short, when there is one: day blocks are centred
    on its day, and staff are drawn from those who could work it.
    """
    target = rng.choice(short) if short and rng.random() < 0.5 else None
    if hood.kind == "days":
        length = max(2, round(hood.share * horizon))
        start = rng.randrange(max(1, horizon - length + 1))
        if target is not None and target[0] is not None:
            start = min(max(0, target[0] - length // 2), max(0, horizon - length))
        return {(p, day) for p in staff_ids for day in range(start, min(horizon, start + length))}
    share = hood.share if hood.kind == "staff" else 2 * hood.share
    count = min(len(staff_ids), max(2, round(share * len(staff_ids))))
    pool = staff_ids
    if target is not None and target[1] is not None and len(able[target[1]]) >= 2:
        pool = able[target[1]]
    chosen = rng.sample(pool, min(count, len(pool)))
    days = range(horizon)
    if hood.kind == "staff_and_days":
        length = max(2, horizon // 2)
        start = rng.randrange(max(1, horizon - length + 1))
        if target is not None and target[0] is not None:
            start = min(max(0, target[0] - length // 2), max(0, horizon - length))
        days = range(start, min(horizon, start + length))
    return {(p, day) for p in chosen for day in days}


def _hint_from_requests(rota: _Rota) -> None:
    """Hints each "on" request as granted unless it falls on a day off: a cheap start."""
    days_off = {p.id: p.days_off for p in rota.data.staff}
    hinted: set[tuple[str, int]] = set()
    for req in rota.data.requests:
        if req.kind != "on" or req.shift_id is None or req.day in days_off[req.staff_id]:
            continue
        if (req.staff_id, req.day) not in hinted:  # one hint per variable, one shift per day
            hinted.add((req.staff_id, req.day))
            rota.model.add_hint(rota.works[req.staff_id, req.day, req.shift_id], 1)


def _extract(rota: _Rota, values: Sequence[int], stats: SolveStats) -> RotaResult:
    """Reads the rota, the penalty per objective term and the limits that bind off a solution."""
    assignments = tuple(
        Assignment(staff_id=staff_id, day=day, shift_id=shift_id)
        for (staff_id, day, shift_id), var in rota.works.items()
        if values[var.index]
    )
    terms: dict[str, int] = {"cover_under": 0, "cover_over": 0, "requests": 0, "staff_cost": 0}
    binding: list[Limit] = []
    for penalty in rota.penalties:
        amount = penalty.amount(values)
        terms[penalty.term] = terms.get(penalty.term, 0) + penalty.weight * amount
        if (
            amount > 0
            and penalty.binding
            and penalty.term != "cover_over"
            and (penalty.limit != "request")
        ):
            binding.append(
                Limit(
                    name=penalty.limit,
                    where=penalty.where,
                    when=penalty.when,
                    shortfall=amount,
                    unit=penalty.unit,
                )
            )
    people = {p.id: p for p in rota.data.staff}
    terms["staff_cost"] = sum(
        people[a.staff_id].shift_cost(rota.data.shift(a.shift_id)) for a in assignments
    )
    terms["travel"] = rota.data.travel_weight * sum(
        _travel_minutes(people[a.staff_id], rota.data.shift(a.shift_id)) for a in assignments
    )
    binding.extend(_tight_contract_limits(rota.data, assignments))
    always = ("cover_under", "cover_over", "requests", "staff_cost")
    return RotaResult(
        stats=stats,
        assignments=assignments,
        objective_terms={k: v for k, v in terms.items() if v or k in always},
        binding_limits=tuple(binding),
    )


def _tight_contract_limits(data: RotaInput, assignments: Sequence[Assignment]) -> list[Limit]:
    """Contract limits met exactly (a person at their maximum minutes or weekends)."""
    minutes: dict[str, int] = {}
    worked_days: dict[str, set[int]] = {}
    for a in assignments:
        minutes[a.staff_id] = minutes.get(a.staff_id, 0) + data.shift(a.shift_id).duration_minutes
        worked_days.setdefault(a.staff_id, set()).add(a.day)
    limits: list[Limit] = []
    weekends = data.weekends()
    for person in data.staff:
        if person.max_total_minutes is not None and minutes.get(person.id, 0) == (
            person.max_total_minutes
        ):
            limits.append(
                Limit(name=str(RuleFamily.MAX_TOTAL_MINUTES), where=person.id, unit="minutes")
            )
        days = worked_days.get(person.id, set())
        used = sum(1 for weekend in weekends if days.intersection(weekend))
        if person.max_weekends is not None and used == person.max_weekends < len(weekends):
            limits.append(
                Limit(name=str(RuleFamily.MAX_WEEKENDS), where=person.id, unit="weekends")
            )
    return limits


def _explain_infeasibility(data: RotaInput, options: SolveOptions) -> tuple[Limit, ...]:
    """Re-solves with each (rule family, person) behind an assumption; returns a conflicting set."""
    rota = _build(data, explain=True)
    switches = list(rota.switches.items())
    rota.model.add_assumptions([literal for _, literal in switches])
    solver = cp_model.CpSolver()
    configure_cp_sat(solver, options)
    code = solver.solve(rota.model)
    if code != cp_model.INFEASIBLE:
        logger.warning("infeasibility not explained in time (%s)", solver.status_name(code))
        return ()
    by_index = {literal.index: key for key, literal in switches}
    core = solver.sufficient_assumptions_for_infeasibility()
    return tuple(
        Limit(name=str(by_index[i][0]), where=by_index[i][1]) for i in core if i in by_index
    )


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
    solver = _configured_solver(options, left, workers=1)
    code = solver.solve(model)
    if code != cp_model.OPTIMAL:
        logger.warning("scoring a fixed rota: %s", solver.status_name(code))
        return None
    stats = stats_from_cp_sat(solver, code, options, time.perf_counter() - started)
    return _extract(rota, list(solver.response_proto.solution), stats)
