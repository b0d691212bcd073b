"""The independent checker: it passes sound plans and catches each kind of broken one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions
from solvers.rebalance import check_plan, check_result, solve_rebalance, synthetic_instance
from solvers.rebalance.schema import (
    GuardReport,
    PlanRow,
    RebalanceInput,
    RebalanceResult,
    RebalanceSettings,
)

OPTIONS = SolveOptions(time_limit_seconds=10, num_workers=1)


@pytest.fixture(scope="module")
def solved() -> tuple[RebalanceInput, RebalanceResult]:
    data = synthetic_instance(
        11,
        providers=3,
        hubs=5,
        treatment_functions=2,
        weeks=6,
        settings=RebalanceSettings(horizon_weeks=6, period_weeks=2, max_travel_minutes=45),
    )
    result = solve_rebalance(data, OPTIONS)
    assert not check_result(data, result)
    return data, result


def _rules(data: RebalanceInput, plan: list[PlanRow], result: RebalanceResult | None = None):
    found = check_plan(data, plan, result.metrics if result else None)
    return {v.rule for v in found}


def _with(row: PlanRow, **update: object) -> PlanRow:
    return row.model_copy(update=update)


def test_sound_plans_pass(solved) -> None:
    """The optimum and both baselines of a solved instance break no rule."""
    data, result = solved
    assert check_result(data, result) == []
    assert len(result.baselines) == 2


def test_capacity_exceeded_is_caught(solved) -> None:
    """Doubling every patient of the plan overruns some hub's capacity in some week."""
    data, result = solved
    plan = [_with(r, patients=r.patients * 2) for r in result.plan]
    assert "capacity_exceeded" in _rules(data, plan)


def test_invented_patients_are_caught(solved) -> None:
    """Treating more patients of a cohort than it holds breaks conservation."""
    data, result = solved
    row = max(result.plan, key=lambda r: r.patients)
    plan = [*result.plan, _with(row, week=row.week, patients=1e6, hub=row.hub)]
    assert "patients_not_conserved" in _rules(data, plan)


def test_newer_patients_before_older_ones_are_caught(solved) -> None:
    """Relabelling an old cohort's treatment as the newest patients breaks longest-first."""
    data, result = solved
    row = next(r for r in result.plan if r.wait_band_weeks - r.week > 10 and r.patients > 0.1)
    joined_week_1 = _with(row, wait_band_weeks=row.week - 1)  # joined during week 1
    plan = [r for r in result.plan if r is not row] + [joined_week_1]
    assert "cohort_order" in _rules(data, plan)


def test_patients_treated_before_they_join_are_caught(solved) -> None:
    """A cohort treated before the week it joins the list is refused."""
    data, result = solved
    row = result.plan[0]
    # Band -1 at the end of week 1 = joins in week 2 (rows built unchecked, as a bad file could).
    early = PlanRow.model_construct(**{**dict(row), "week": 1, "wait_band_weeks": -1})
    assert "treated_before_joining" in _rules(data, [*result.plan, early])


def test_travel_limit_and_unknown_hub_are_caught(solved) -> None:
    """A move beyond the travel limit, or to a hub not treating the function, is refused."""
    data, result = solved
    row = next(r for r in result.plan if not r.transfer)
    far = max(
        (h for h in data.hubs if h.operator != row.provider),
        key=lambda h: data.travel_minutes[row.provider].get(h.id, 0),
    )
    far_minutes = data.travel_minutes[row.provider][far.id]
    assert far_minutes > data.settings.max_travel_minutes
    plan = [*result.plan, _with(row, hub=far.id, transfer=True, patients=0.0001)]
    assert "travel_limit" in _rules(data, plan)
    not_treated = next((h for h in data.hubs if row.tfc not in h.treatment_functions), None)
    if not_treated is not None:
        plan = [*result.plan, _with(row, hub=not_treated.id, patients=0.0001)]
        assert "hub_does_not_treat" in _rules(data, plan)


def test_misreported_figures_are_caught(solved) -> None:
    """A plan whose reported worst pressure or long-wait score is wrong is flagged."""
    data, result = solved
    metrics = result.metrics.model_copy(
        update={"worst_pressure": result.metrics.worst_pressure * 0.5, "long_wait_score": 0.0}
    )
    rules = {v.rule for v in check_plan(data, result.plan, metrics)}
    assert {"misreported_worst_pressure", "misreported_long_wait_score"} <= rules


def test_a_result_worse_than_its_baseline_is_caught(solved) -> None:
    """An optimum reported worse than the no-collaboration plan fails the comparison."""
    data, result = solved
    worse = result.model_copy(
        update={"metrics": result.metrics.model_copy(update={"worst_pressure": 1e9})}
    )
    assert "worse_than_baseline" in {v.rule for v in check_result(data, worse)}


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    weeks=st.integers(1, 8),
    tight=st.floats(5, 120),
    period_weeks=st.sampled_from([1, 3]),
)
def test_random_results_pass_the_checker(
    seed: int, weeks: int, tight: float, period_weeks: int
) -> None:
    """Whatever the travel limit and horizon, optimum and baselines pass every check."""
    data = synthetic_instance(
        seed,
        providers=3,
        hubs=6,
        treatment_functions=3,
        weeks=weeks,
        settings=RebalanceSettings(
            horizon_weeks=weeks, period_weeks=period_weeks, max_travel_minutes=tight
        ),
    )
    result = solve_rebalance(data, OPTIONS)
    assert result.status.has_solution
    assert check_result(data, result) == []


def _issue_15(guard: bool) -> RebalanceInput:
    return synthetic_instance(
        4583,
        providers=2,
        hubs=4,
        treatment_functions=2,
        weeks=6,
        independent=0,
        load=2.0,
        settings=RebalanceSettings(
            horizon_weeks=6,
            period_weeks=1,
            max_travel_minutes=45,
            priority_share=0.1,
            no_trust_worse=guard,
        ),
    )


def test_a_trust_made_worse_is_caught_when_the_guard_is_on() -> None:
    """An unguarded plan that makes P001 worse fails the checker once the guard is claimed."""
    unguarded = solve_rebalance(_issue_15(guard=False), OPTIONS)
    assert check_result(_issue_15(guard=False), unguarded) == []
    claimed = unguarded.model_copy(update={"guard": GuardReport(on=True, applied=True)})
    found = check_result(_issue_15(guard=True), claimed)
    assert {(v.rule, v.where) for v in found} >= {("trust_made_worse", "P001")}


def test_misreported_trust_figures_are_caught() -> None:
    """A trust's reported worst pressure that the plan does not give is named."""
    data = _issue_15(guard=True)
    result = solve_rebalance(data, OPTIONS)
    assert check_result(data, result) == []
    first = result.trusts[0]
    wrong = first.model_copy(update={"plan": first.plan.model_copy(update={"worst_pressure": 0.0})})
    bad = result.model_copy(update={"trusts": [wrong, *result.trusts[1:]]})
    assert "misreported_trust_worst_pressure" in {v.rule for v in check_result(data, bad)}
