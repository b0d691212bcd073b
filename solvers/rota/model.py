"""The rota as a CP-SAT model: who works which shift on which day, built, solved and scored.

Reads as: variables -> one function per rule family -> objective terms -> solve -> extract.
`works[staff, day, shift]` is the decision; `on[staff, day]` says the person works that day at all.
The model under construction and how a rule family enters it (hard, soft or switchable) is in
`builder.py`; the rule families in `constraints.py`; the objective terms in `objective.py`. The
search that solves it is in `search.py`; reading a solution back (and explaining infeasibility) in
`explain.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from ortools.sat.python import cp_model

from solvers.common import Limit, SolveOptions, Status, stats_from_cp_sat
from solvers.rota.builder import RotaModel, works_variables
from solvers.rota.constraints import add_rule_families
from solvers.rota.construct import construct_rota
from solvers.rota.cover_bound import places_short_lower_bound
from solvers.rota.explain import explain_infeasibility, extract
from solvers.rota.incumbent import configured_solver
from solvers.rota.objective import objective_terms
from solvers.rota.published import published_changes
from solvers.rota.schema import Assignment, RotaInput, RotaResult
from solvers.rota.search import hint_from_requests, search_and_polish

logger = logging.getLogger(__name__)

_SCORE_SECONDS = 2.0
# The places-short LP gets this share of the time limit (at least the minimum) before the search.
_BOUND_SHARE = 0.2
_MIN_BOUND_SECONDS = 1.0


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
    works, on = works_variables(model, data)
    rota = RotaModel(data=data, model=model, works=works, on=on, explain=explain)
    add_rule_families(rota)
    objective = objective_terms(rota)
    objective += [p.expression() for p in rota.penalties if p.term.startswith("soft:")]
    if not explain:
        model.minimize(sum(objective))
    return rota


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
