"""The rota tests' oracles: what an honest solver result is, and the truth on tiny problems.

Every rota property holds whatever the solver returns to the same standard, `assert_rota_honest`,
and every "optimal" on a tiny problem to the same brute force over every possible rota, judged by
the independent checker (`solvers.rota.check`), never by the model. Before this module there were
three copies of the honesty check that had drifted apart (one of them missed the sum of the
objective's terms), and two brute forces.

`ProvenCount` is for properties that can assert only when the solver proves optimality: they count
the examples that asserted and fail if none did, so that a slower machine or a weaker model cannot
quietly turn them into tests that check nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from solvers.common import SolveOptions, Status
from solvers.rota.check import RotaCheck, check_rota
from solvers.rota.model import solve_rota
from solvers.rota.schema import Assignment, RotaInput, RotaResult


def assert_rota_honest(data: RotaInput, result: RotaResult, *, bound_required: bool = True) -> None:
    """A returned rota breaks no hard rule, keeps every lock, and reports the checker's penalty.

    Args:
        data: The problem that was solved.
        result: What the solver returned for it.
        bound_required: False for a rota solved window by window, which may report no bound;
            a bound it does report must still be at most the objective.
    """
    stats = result.stats
    if not stats.status.has_solution:
        assert stats.objective is None and not result.assignments
        return
    check = check_rota(data, result.assignments, result.pool_fills)
    assert check.violations == ()
    assert result.places_unfilled == check.places_unfilled
    worked = {(a.staff_id, a.day): a.shift_id for a in result.assignments}
    for lock in data.locked:
        assert worked.get((lock.staff_id, lock.day)) == lock.shift_id
    assert stats.objective == check.objective
    assert result.objective_terms == check.terms
    assert sum(result.objective_terms.values()) == stats.objective
    if bound_required or stats.bound is not None:
        assert stats.bound is not None and stats.bound <= stats.objective
    if stats.status is Status.OPTIMAL:
        assert stats.bound == stats.objective and stats.gap == 0


def brute_force_best(data: RotaInput, measure: Callable[[RotaCheck], int]) -> int | None:
    """The least `measure` over every possible rota that breaks no hard rule (None: infeasible).

    Tries every shift or none for every person and day, so only for tiny problems (2 people, 4
    days and 2 shifts is 3**8 rotas).
    """
    choices = [None, *(s.id for s in data.shift_types)]
    cells = [(p.id, d) for p in data.staff for d in range(data.horizon_days)]
    best: int | None = None
    for picks in itertools.product(choices, repeat=len(cells)):
        rota = [
            Assignment(staff_id=p, day=d, shift_id=s)
            for (p, d), s in zip(cells, picks, strict=True)
            if s is not None
        ]
        check = check_rota(data, rota)
        if check.feasible and (best is None or measure(check) < best):
            best = measure(check)
    return best


def brute_force_optimum(data: RotaInput) -> int | None:
    """The least penalty over every possible rota that breaks no hard rule (None: infeasible)."""
    return brute_force_best(data, lambda check: check.objective)


def fewest_places_short(data: RotaInput) -> int | None:
    """The fewest places short over every possible rota that breaks no hard rule."""
    return brute_force_best(data, lambda check: check.places_short)


class ProvenCount:
    """How many examples of a property asserted, where it asserts only on proven optima.

    Call `asserted()` where the property asserts, and `check()` after Hypothesis has run it.
    """

    def __init__(self, at_least: int = 1) -> None:
        self.at_least = at_least
        self.count = 0
        self.examples = 0

    def example(self) -> None:
        """Counts one example run (whether or not it could assert)."""
        self.examples += 1

    def asserted(self) -> None:
        """Counts one example whose solves were proven, so the property's assertion ran."""
        self.count += 1

    def check(self, what: str) -> None:
        """Fails when fewer than `at_least` examples asserted, so the property checked nothing.

        Args:
            what: What an example needed in order to assert, for the message.
        """
        assert self.count >= self.at_least, (
            f"{self.count} of {self.examples} examples {what} (at least {self.at_least} must): "
            "the property asserted nothing, give its solves more time or smaller problems"
        )


def assert_true_optimum(data: RotaInput, options: SolveOptions) -> None:
    """The solve is honest, and its status, bound and objective are true against brute force."""
    truth = brute_force_optimum(data)
    result = solve_rota(data, options)
    assert_rota_honest(data, result)
    status = result.stats.status
    if truth is None:
        assert status is Status.INFEASIBLE
        return
    assert status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.stats.bound is not None and result.stats.objective is not None
    assert result.stats.bound <= truth <= result.stats.objective
    if status is Status.OPTIMAL:
        assert result.stats.objective == truth
