"""Properties of the rota solver on random planner-sized problems with every input the app sends.

The problems mix shift times and sites, shifts that count towards other shifts' cover, skills,
requests, locks (consistent with the hard rules or not), the UK rule packs, soft rule families,
travel and fairness weights. Whatever comes back is held to the independent checker: no hard rule
broken, every lock kept, the checker's objective equal to the solver's, and a bound that never
exceeds it. Tiny problems are also solved by brute force so "optimal" is held to the truth.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions
from solvers.rota.model import solve_rota
from solvers.rota.schema import (
    RotaInput,
)
from tests.oracles import assert_rota_honest, assert_true_optimum
from tests.strategies import planner_rotas

QUICK = SolveOptions(time_limit_seconds=2, num_workers=1)


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas())
def test_planner_rotas_pass_the_checker_and_keep_locks(data: RotaInput) -> None:
    """Every returned rota passes the checker, keeps its locks and reports its own objective."""
    assert_rota_honest(data, solve_rota(data, QUICK))


@settings(
    max_examples=16, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.one_of(
        planner_rotas(max_staff=2, max_days=3, max_shifts=2),  # fairness needs two in a group
        planner_rotas(min_staff=1, max_staff=1, max_days=5, max_shifts=2),  # runs and rest
    )
)
def test_optimal_planner_rotas_are_the_true_optimum(data: RotaInput) -> None:
    """On tiny problems "optimal" is the brute-force optimum and the bound never exceeds it."""
    assert_true_optimum(data, QUICK)
