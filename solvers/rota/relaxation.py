"""The linear relaxation of a CP-SAT model, solved by GLOP: a lower bound and fractional values.

CP-SAT's own LP worker adds cuts and runs inside the search, so on large rotas (Curtois & Qu
Instances 10-12) it does not finish its first LP within a minute on two cores; GLOP solves the
plain relaxation of the same constraints in a few seconds on one core (see docs/rota.md).

Every constraint is either translated exactly (linear, clauses, at-most-one, exactly-one,
implications) or left out: leaving a constraint out only enlarges the feasible set, so the LP
optimum stays a lower bound on the integer optimum.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

logger = logging.getLogger(__name__)

_INFINITY = 2**62
# GLOP works to a relative tolerance of about 1e-7; the bound gives away 1e-5 of its value
# before rounding up, so no rounding error can lift it above the true LP optimum.
_BOUND_SAFETY = 1e-5


@dataclass(frozen=True)
class LpRelaxation:
    """The optimum of the linear relaxation: a proven lower bound and each variable's LP value."""

    bound: int
    values: list[float]
    seconds: float


def solve_lp_relaxation(model: cp_model.CpModel, seconds: float) -> LpRelaxation | None:
    """Solves the LP relaxation of a minimisation model whose objective is a whole number.

    Returns:
        The rounded-up LP optimum (a lower bound on every solution's objective) and the LP
        values of every variable, or None when GLOP does not prove the LP optimal in time or the
        model has a form this translation does not cover (then nothing is claimed).
    """
    proto = model.proto
    objective = proto.objective
    scaling = objective.scaling_factor or 1.0
    if scaling < 0 or any(ref < 0 for ref in objective.vars):
        return None
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    columns = []
    for var in proto.variables:
        domain = list(var.domain)
        columns.append(solver.NumVar(float(domain[0]), float(domain[-1]), ""))
    left_out = 0
    for index in range(len(proto.constraints)):
        if not _add_row(solver, columns, proto.constraints[index]):
            left_out += 1
    goal = solver.Objective()
    for ref, coeff in zip(objective.vars, objective.coeffs, strict=True):
        goal.SetCoefficient(columns[ref], float(coeff))
    goal.SetMinimization()
    solver.SetTimeLimit(max(1, int(1000 * seconds)))
    code = solver.Solve()
    wall = solver.wall_time() / 1000
    logger.debug("LP relaxation: status %s in %.2f s, %d rows left out", code, wall, left_out)
    if code != pywraplp.Solver.OPTIMAL:
        return None
    value = scaling * (goal.Value() + objective.offset)
    bound = math.ceil(value - _BOUND_SAFETY * max(1.0, abs(value)))
    return LpRelaxation(bound=bound, values=[c.solution_value() for c in columns], seconds=wall)


def _add_row(solver: pywraplp.Solver, columns: list, ct: object) -> bool:
    """Adds one CP-SAT constraint as LP rows; False when it is left out of the relaxation."""
    # Only the has_* methods are safe to call first: reading an unset field of the constraint
    # would set it.
    if ct.has_bool_and():  # type: ignore[attr-defined]
        # enforcement => every literal: lit >= enforcement, row by row.
        for enforcement in ct.enforcement_literal:  # type: ignore[attr-defined]
            for literal in ct.bool_and.literals:  # type: ignore[attr-defined]
                _literal_row(solver, columns, {literal: 1, _negated(enforcement): 1}, 1, None)
        return True
    if len(ct.enforcement_literal):  # type: ignore[attr-defined]
        return False
    if ct.has_linear():  # type: ignore[attr-defined]
        linear = ct.linear  # type: ignore[attr-defined]
        if any(ref < 0 for ref in linear.vars):
            return False
        domain = list(linear.domain)
        lower = float(domain[0]) if domain[0] > -_INFINITY else -solver.infinity()
        upper = float(domain[-1]) if domain[-1] < _INFINITY else solver.infinity()
        row = solver.Constraint(lower, upper)
        coefficients: dict[int, float] = {}
        for ref, coeff in zip(linear.vars, linear.coeffs, strict=True):
            coefficients[ref] = coefficients.get(ref, 0.0) + coeff
        for ref, coeff in coefficients.items():
            row.SetCoefficient(columns[ref], coeff)
        return True
    for kind, lower, upper in (
        ("bool_or", 1, None),
        ("at_most_one", None, 1),
        ("exactly_one", 1, 1),
    ):
        if getattr(ct, f"has_{kind}")():
            literals = getattr(ct, kind).literals
            counts: dict[int, int] = {}
            for literal in literals:
                counts[literal] = counts.get(literal, 0) + 1
            _literal_row(solver, columns, counts, lower, upper)
            return True
    return False


def _negated(literal: int) -> int:
    return -literal - 1


def _literal_row(
    solver: pywraplp.Solver,
    columns: list,
    literals: dict[int, int],
    lower: int | None,
    upper: int | None,
) -> None:
    """Adds a row: the literals sum to between lower and upper, not(x) entering as 1 - x."""
    constant = 0
    coefficients: dict[int, float] = {}
    for literal, coeff in literals.items():
        if literal >= 0:
            coefficients[literal] = coefficients.get(literal, 0.0) + coeff
        else:
            constant += coeff
            var = _negated(literal)
            coefficients[var] = coefficients.get(var, 0.0) - coeff
    row = solver.Constraint(
        -solver.infinity() if lower is None else float(lower - constant),
        solver.infinity() if upper is None else float(upper - constant),
    )
    for var, coeff in coefficients.items():
        row.SetCoefficient(columns[var], coeff)
