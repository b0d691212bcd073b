"""Reading a solved rota back: assignments, penalty per term, limits that bind; and infeasibility.

`extract` turns a CP-SAT solution vector of the model into a `RotaResult`; `explain_infeasibility`
re-solves a model built with each (rule family, person) behind an assumption literal and names a
sufficient set of conflicting rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.common import Limit, SolveOptions, SolveStats, configure_cp_sat
from solvers.rota.pools import read_pool_fills
from solvers.rota.schema import Assignment, RotaInput, RotaResult, RuleFamily

if TYPE_CHECKING:
    from solvers.rota.builder import RotaModel

logger = logging.getLogger(__name__)


def extract(rota: RotaModel, values: Sequence[int], stats: SolveStats) -> RotaResult:
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
        people[a.staff_id].travel_to(rota.data.shift(a.shift_id)) for a in assignments
    )
    binding.extend(_tight_contract_limits(rota.data, assignments))
    always = ("cover_under", "cover_over", "requests", "staff_cost")
    short = places_short(rota.data, assignments)
    fills = read_pool_fills(rota, values)
    return RotaResult(
        stats=stats,
        assignments=assignments,
        objective_terms={k: v for k, v in terms.items() if v or k in always},
        binding_limits=tuple(binding),
        places_short=short,
        pool_fills=fills,
        places_unfilled=short - sum(f.places for f in fills),
    )


def places_short(data: RotaInput, assignments: Sequence[Assignment]) -> int:
    """Staff-shifts of required cover the rota leaves unfilled, summed over cover requirements."""
    skills = {p.id: p.skills for p in data.staff}
    counted: dict[tuple[int, str, str | None], int] = {}
    for a in assignments:
        for shift_id in (a.shift_id, *data.shift(a.shift_id).counts_as):
            for skill in (None, *skills[a.staff_id]):
                key = (a.day, shift_id, skill)
                counted[key] = counted.get(key, 0) + 1
    return sum(
        max(0, req.required - counted.get((req.day, req.shift_id, req.skill), 0))
        for req in data.cover
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


def explain_infeasibility(rota: RotaModel, options: SolveOptions) -> tuple[Limit, ...]:
    """Solves a model built to explain (`explain=True`) under its switches: a conflicting set."""
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
