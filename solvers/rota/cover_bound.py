"""A lower bound on places short: the cover no rota keeping the hard rules can give.

Places short is the number of staff-shifts of required cover left unfilled, summed over cover
requirements (`max(0, required - people counted)`). Whatever the objective's weights, every rota
that keeps the hard rules leaves at least this many places short, so the workforce lead can tell
the gaps the staffing forces from the gaps the rota search left.

The bound is the optimum of a linear programme over the same rota, relaxed: `x[person, day,
shift]` between 0 and 1 instead of yes/no, and only these rules kept (each only when it is hard):
site access, locked assignments, days off (leave), shifts of a type the contract forbids or
limits, one shift a day, contracted minutes over the horizon, days in a row, weekends worked,
banned successions, shifts of a kind in a row, and minutes in any window of days. Minimum rules
(minutes, runs, rest after runs) and soft rules are left out. Leaving a rule out, or letting a
yes/no be fractional, only enlarges the set of rotas the LP ranges over, so its optimum is at most
the fewest places short of any real rota.

GLOP solves the LP, but the bound is not read off GLOP's objective, whose tolerances could lift it
a hair above the true optimum. It is recomputed from GLOP's dual values by weak duality: for any
multipliers (of the right sign) on the rows, the Lagrangian minimised over the variables' bounds
is a lower bound on the LP, so the figure is valid whatever GLOP's accuracy; with GLOP's optimal
duals it equals the LP optimum. It is then rounded up, places short being a whole number.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from solvers.rota.schema import RotaInput, RuleFamily, Staff

logger = logging.getLogger(__name__)

# Rounding a float sum of about 10^5 terms: give this much away before rounding up.
_ROUNDING_SAFETY = 1e-6


@dataclass
class _Lp:
    """The relaxation's columns and rows, kept to check the bound from the duals."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[float, float, dict[int, float]]] = field(default_factory=list)
    constant: float = 0.0

    def column(self, lower: float, upper: float, cost: float = 0.0) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float, terms: dict[int, float]) -> None:
        if terms:
            self.rows.append((lower, upper, terms))


def places_short_lower_bound(data: RotaInput, seconds: float) -> int | None:
    """The fewest places short any rota keeping the hard rules can leave, from below.

    Returns:
        A whole number of staff-shifts no rota can fill (0 when the LP finds room for all), or
        None when GLOP does not solve the relaxation in `seconds`, or finds it infeasible (then
        no rota keeps the hard rules either); nothing is claimed then.
    """
    lp = _relaxation(data)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    infinity = solver.infinity()
    columns = [solver.NumVar(lo, hi, "") for lo, hi in zip(lp.lower, lp.upper, strict=True)]
    constraints = []
    for lo, hi, terms in lp.rows:
        row = solver.Constraint(
            lo if math.isfinite(lo) else -infinity, hi if math.isfinite(hi) else infinity
        )
        for j, a in terms.items():
            row.SetCoefficient(columns[j], a)
        constraints.append(row)
    goal = solver.Objective()
    for j, c in enumerate(lp.cost):
        if c:
            goal.SetCoefficient(columns[j], c)
    goal.SetMinimization()
    solver.SetTimeLimit(max(1, int(1000 * seconds)))
    code = solver.Solve()
    wall = solver.wall_time() / 1000
    if code != pywraplp.Solver.OPTIMAL:
        logger.info("places-short bound: GLOP status %s after %.1f s, no bound", code, wall)
        return None
    duals = [row.dual_value() for row in constraints]
    value = _lagrangian_bound(lp, duals)
    bound = max(0, math.ceil(value - _ROUNDING_SAFETY * max(1.0, abs(value))))
    logger.info(
        "places-short bound: %d (LP %.3f, GLOP %.3f) from %d columns, %d rows in %.1f s",
        bound,
        value,
        goal.Value() + lp.constant,
        len(columns),
        len(constraints),
        wall,
    )
    return bound


def _lagrangian_bound(lp: _Lp, duals: list[float]) -> float:
    """Weak duality: min over the box of c.x + sum_r y_r (b_r - a_r.x), y of the right sign.

    A row lo <= a.x <= hi takes its multiplier y >= 0 at lo and y <= 0 at hi; a multiplier whose
    side is infinite is set to 0. Every column is bounded, so the minimum is finite.
    """
    reduced = list(lp.cost)
    total = lp.constant
    for (lo, hi, terms), y in zip(lp.rows, duals, strict=True):
        if y > 0 and math.isfinite(lo):
            total += y * lo
        elif y < 0 and math.isfinite(hi):
            total += y * hi
        else:
            continue
        for j, a in terms.items():
            reduced[j] -= y * a
    for d, lo, hi in zip(reduced, lp.lower, lp.upper, strict=True):
        total += min(d * lo, d * hi)
    return total


def _relaxation(data: RotaInput) -> _Lp:
    """Columns x[person, day, shift] in [0, 1] and short[cover] >= 0; the kept rules as rows."""
    lp = _Lp()
    hard = {family: data.mode(family).hard for family in RuleFamily}
    locks = {(lk.staff_id, lk.day): lk.shift_id for lk in data.locked}
    x: dict[tuple[str, int, str], int] = {}
    for person in data.staff:
        x.update(_person_rows(lp, data, person, hard, locks))
    for req in data.cover:
        if req.required <= 0:
            continue
        giving = data.shifts_giving_cover(req.shift_id)
        counted = {
            x[p.id, req.day, s]: 1.0
            for p in data.staff
            if req.skill is None or req.skill in p.skills
            for s in giving
            if (p.id, req.day, s) in x
        }
        short = lp.column(0.0, float(req.required), 1.0)
        lp.row(float(req.required), math.inf, {**counted, short: 1.0})
    return lp


def _person_rows(
    lp: _Lp,
    data: RotaInput,
    person: Staff,
    hard: dict[RuleFamily, bool],
    locks: dict[tuple[str, int], str | None],
) -> dict[tuple[str, int, str], int]:
    """One person's columns and the rows of their hard rules."""
    horizon = data.horizon_days
    limits = person.max_shifts_per_type if hard[RuleFamily.MAX_SHIFTS_PER_TYPE] else {}
    allowed = [s for s in data.shift_types if person.may_work_at(s) and limits.get(s.id, 1) > 0]
    x: dict[tuple[str, int, str], int] = {}
    for day in range(horizon):
        if hard[RuleFamily.DAYS_OFF] and day in person.days_off:
            continue
        lock = locks.get((person.id, day), "")
        if lock is None:
            continue  # locked off
        for shift in allowed:
            if lock and shift.id != lock:
                continue
            x[person.id, day, shift.id] = lp.column(1.0 if lock else 0.0, 1.0)
    by_day: list[list[tuple[str, int]]] = [[] for _ in range(horizon)]
    for (_, day, shift_id), j in x.items():
        by_day[day].append((shift_id, j))
    on = [{j: 1.0 for _, j in todays} for todays in by_day]
    minutes = {s.id: float(s.duration_minutes) for s in data.shift_types}

    def worked(
        days: range, shift_ids: set[str] | None = None, weigh: bool = False
    ) -> dict[int, float]:
        return {
            j: minutes[s] if weigh else 1.0
            for d in days
            for s, j in by_day[d]
            if shift_ids is None or s in shift_ids
        }

    for terms in on:
        if len(terms) > 1:
            lp.row(-math.inf, 1.0, terms)  # one shift a day
    units = sorted({int(minutes[s.id]) for s in allowed})

    def at_most_minutes(days: range, most: int) -> None:
        """Minutes worked <= most, and its rounded forms: shifts counted in whole units."""
        lp.row(-math.inf, float(most), worked(days, weigh=True))
        for unit in units:
            # Chvatal-Gomory: divide by `unit`, round coefficients and limit down; valid because
            # every x is a whole number in a rota (e.g. 3 DAY lists of 600 min, not 3.75).
            terms = {j: float(int(minutes[s]) // unit) for d in days for s, j in by_day[d]}
            lp.row(-math.inf, float(most // unit), {j: a for j, a in terms.items() if a})

    if hard[RuleFamily.MAX_TOTAL_MINUTES] and person.max_total_minutes is not None:
        at_most_minutes(range(horizon), person.max_total_minutes)
    for shift_id, limit in limits.items():
        lp.row(-math.inf, float(limit), worked(range(horizon), {shift_id}))
    most = person.max_consecutive_shifts
    if hard[RuleFamily.MAX_CONSECUTIVE_SHIFTS] and most is not None:
        for start in range(horizon - most):
            lp.row(-math.inf, float(most), worked(range(start, start + most + 1)))
    weekends = data.weekends()
    if (
        hard[RuleFamily.MAX_WEEKENDS]
        and person.max_weekends is not None
        and person.max_weekends < len(weekends)
    ):
        flags = {}
        for days in weekends:
            if any(on[d] for d in days):
                flag = lp.column(0.0, 1.0)
                flags[flag] = 1.0
                for d in days:
                    if on[d]:
                        lp.row(-math.inf, 0.0, {**on[d], flag: -1.0})  # works it => weekend
        lp.row(-math.inf, float(person.max_weekends), flags)
    if hard[RuleFamily.BANNED_SUCCESSION]:
        banned_after: dict[str, set[str]] = {}
        for first, then in data.banned_successions:
            banned_after.setdefault(first, set()).add(then)
        for day in range(horizon - 1):
            for first, thens in banned_after.items():
                if (person.id, day, first) in x:
                    tomorrow = worked(range(day + 1, day + 2), thens)
                    if tomorrow:
                        lp.row(-math.inf, 1.0, {x[person.id, day, first]: 1.0, **tomorrow})
    if hard[RuleFamily.MAX_CONSECUTIVE_OF_KIND]:
        for run in person.consecutive_limits:
            for start in range(horizon - run.max_days):
                run_days = range(start, start + run.max_days + 1)
                lp.row(-math.inf, float(run.max_days), worked(run_days, set(run.shift_ids)))
    if hard[RuleFamily.MAX_MINUTES_IN_WINDOW]:
        for window in person.window_limits:
            for start in range(max(1, horizon - window.window_days + 1)):
                window_days = range(start, min(horizon, start + window.window_days))
                at_most_minutes(window_days, window.max_minutes)
    return x
