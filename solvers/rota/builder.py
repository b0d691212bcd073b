"""The rota's CP-SAT model under construction: its variables, and how a rule family enters it.

`RotaModel` holds `works[staff, day, shift]` and `on[staff, day]`; each rule family goes through
`RotaModel.at_most / at_least / clause`, which makes it hard, soft (a penalised slack that is
reported when it binds) or, when explaining infeasibility, switchable by one assumption literal per
(rule family, person). The rule families are in `constraints.py`, the objective in `objective.py`,
and `model.py` puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solvers.rota.schema import MINUTES_PER_DAY, PENALTY_UNIT, RotaInput, RuleFamily, Staff

Literal = cp_model.IntVar
LinearExpr = cp_model.LinearExprT


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
    # Per cover requirement (its index in `data.cover`): people counted and places short of staff.
    cover_vars: dict[int, tuple[LinearExpr, cp_model.IntVar]] = field(default_factory=dict)
    # Places a pool fills, per (pool id, cover requirement index).
    fills: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    # The rules measured in hours (weekends, weekly rest) ask every person about the same windows
    # of minutes: the (day, shift) cells each window overlaps are worked out once per model.
    _spans: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)
    _overlaps: dict[tuple[int, int], list[tuple[int, str]]] = field(default_factory=dict)
    _ends: dict[tuple[int, int, int], set[int]] = field(default_factory=dict)

    def spans_on(self, day: int) -> list[tuple[str, int, int]]:
        """(shift id, start, end) in minutes from day 0 of every shift type worked on `day`."""
        if day not in self._spans:
            self._spans[day] = [(s.id, *s.span(day)) for s in self.data.shift_types]
        return self._spans[day]

    def cells_overlapping(self, start: int, end: int) -> list[tuple[int, str]]:
        """(day, shift id) of every shift of the horizon whose span overlaps [start, end)."""
        key = (start, end)
        if key not in self._overlaps:
            first = max(0, start // MINUTES_PER_DAY - 7)
            last = min(self.data.horizon_days, end // MINUTES_PER_DAY + 1)
            self._overlaps[key] = [
                (day, shift_id)
                for day in range(first, last)
                for shift_id, begins, ends in self.spans_on(day)
                if begins < end and start < ends
            ]
        return self._overlaps[key]

    def shift_ends(self, first_day: int, last_day: int, after: int) -> set[int]:
        """Minutes at which a shift started on days [first_day, last_day) ends, after `after`."""
        key = (first_day, last_day, after)
        if key not in self._ends:
            self._ends[key] = {
                ends
                for day in range(first_day, last_day)
                for _, _, ends in self.spans_on(day)
                if after < ends
            }
        return self._ends[key]

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

    def _bound(
        self,
        family: RuleFamily,
        staff_id: str,
        when: str,
        expr: LinearExpr,
        limit: int,
        most_slack: int,
        *,
        upper: bool,
    ) -> None:
        """Adds expr <= limit (`upper`) or expr >= limit, as the rule family's mode says."""
        mode = self.data.mode(family)
        if not mode.hard:
            if mode.weight > 0:
                slack = self._slack(family, staff_id, when, most_slack)
                self.model.add(expr - slack <= limit if upper else expr + slack >= limit)
            return
        constraint = self.model.add(expr <= limit if upper else expr >= limit)
        switch = self._switch(family, staff_id)
        if switch is not None:
            constraint.only_enforce_if(switch)

    # at_most and at_least keep their own typed signatures so each call reads as the rule it adds.
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
        if max_excess > 0:
            self._bound(family, staff_id, when, expr, limit, max_excess, upper=True)

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
        if limit > 0:
            self._bound(family, staff_id, when, expr, limit, max_short, upper=False)

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


def works_variables(
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


def days_label(day: int, length: int = 1) -> str:
    """How a limit names the days it covers: "day 3" or "days 3-9"."""
    return f"day {day}" if length == 1 else f"days {day}-{day + length - 1}"
