"""Independent sector bought at a price: spend reported per provider and specialty, checked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions
from solvers.rebalance import check_result, solve_rebalance, synthetic_instance
from solvers.rebalance.check import independent_spend
from solvers.rebalance.schema import (
    HubKind,
    RebalanceInput,
    RebalanceResult,
    RebalanceSettings,
)

OPTIONS = SolveOptions(time_limit_seconds=10, num_workers=1)


def _instance(seed: int = 7, weeks: int = 6, **changes: object) -> RebalanceInput:
    """A busy instance (twice the demand the NHS sites can take) with two independent providers."""
    return synthetic_instance(
        seed,
        providers=3,
        hubs=6,
        treatment_functions=3,
        weeks=weeks,
        independent=2,
        load=2.0,
        settings=RebalanceSettings(horizon_weeks=weeks, period_weeks=2, max_travel_minutes=60),
        **changes,
    )


@pytest.fixture(scope="module")
def bought() -> tuple[RebalanceInput, RebalanceResult]:
    data = _instance()
    result = solve_rebalance(data, OPTIONS)
    assert result.status.has_solution
    assert result.metrics is not None and result.metrics.independent_sector_cases > 1
    return data, result


def _without_prices(data: RebalanceInput) -> RebalanceInput:
    hubs = [h.model_copy(update={"price_per_case": {}}) for h in data.hubs]
    return RebalanceInput.model_validate(data.model_copy(update={"hubs": hubs}).model_dump())


def test_the_spend_is_cases_bought_times_the_price_per_provider_and_specialty(bought) -> None:
    """Each line is the provider's cases of the specialty x its price; the total adds them up."""
    data, result = bought
    assert check_result(data, result) == []
    hubs = {h.id: h for h in data.hubs}
    rows = independent_spend(data, result.plan)
    assert result.spend and {(s.hub, s.tfc) for s in result.spend} <= set(rows)
    for line in result.spend:
        assert hubs[line.hub].kind == HubKind.INDEPENDENT_SECTOR
        assert line.cases == pytest.approx(rows[(line.hub, line.tfc)], rel=1e-6)
        assert line.price_per_case == hubs[line.hub].price_per_case[line.tfc]
        assert line.spend == pytest.approx(line.cases * line.price_per_case)
    metrics = result.metrics
    assert metrics.independent_sector_spend == pytest.approx(sum(s.spend for s in result.spend))
    assert metrics.unpriced_independent_cases == 0
    assert sum(s.cases for s in result.spend) == pytest.approx(metrics.independent_sector_cases)


def test_a_misreported_spend_or_total_is_caught(bought) -> None:
    """The checker recomputes each line and the total from the plan rows and the prices."""
    data, result = bought
    first = result.spend[0]
    lines = [first.model_copy(update={"spend": first.spend * 2}), *result.spend[1:]]
    rules = {v.rule for v in check_result(data, result.model_copy(update={"spend": lines}))}
    assert "misreported_spend" in rules
    metrics = result.metrics.model_copy(update={"independent_sector_spend": 0.0})
    rules = {v.rule for v in check_result(data, result.model_copy(update={"metrics": metrics}))}
    assert "misreported_independent_sector_spend" in rules
    rules = {v.rule for v in check_result(data, result.model_copy(update={"spend": []}))}
    assert "missing_spend_line" in rules


def test_buying_more_than_a_providers_weekly_cases_of_a_specialty_is_caught(bought) -> None:
    """The weekly cap per specialty binds bought capacity; doubling its rows overruns it."""
    data, result = bought
    independent = {h.id for h in data.hubs if h.kind == HubKind.INDEPENDENT_SECTOR}
    plan = [
        r.model_copy(update={"patients": r.patients * 3}) if r.hub in independent else r
        for r in result.plan
    ]
    found = check_result(data, result.model_copy(update={"plan": plan}))
    assert any(v.rule == "capacity_exceeded" and "cases:" in v.where for v in found)


def test_cases_without_a_price_are_reported_unpriced_not_free() -> None:
    """With no prices, every bought case is unpriced and no spend is claimed."""
    data = _without_prices(_instance())
    result = solve_rebalance(data, OPTIONS)
    assert check_result(data, result) == []
    assert result.metrics.independent_sector_spend == 0
    assert result.metrics.unpriced_independent_cases == pytest.approx(
        result.metrics.independent_sector_cases
    )
    assert all(s.price_per_case is None and s.spend is None for s in result.spend)


def test_a_price_that_is_negative_or_for_a_specialty_not_offered_is_refused() -> None:
    """Each problem names the hub and the field."""
    data = _instance()
    hub = next(i for i, h in enumerate(data.hubs) if h.kind == HubKind.INDEPENDENT_SECTOR)
    dumped = data.model_dump()
    dumped["hubs"][hub]["price_per_case"] = {
        "T99": 10.0,
        dumped["hubs"][hub]["treatment_functions"][0]: -1,
    }
    with pytest.raises(ValueError) as raised:
        RebalanceInput.model_validate(dumped)
    text = str(raised.value)
    assert f"hubs[{hub}].price_per_case: 'T99' is not one of the hub's treatment functions" in text
    assert "must be 0 or more pounds" in text


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 5000), weeks=st.integers(1, 6), price=st.floats(0, 20_000))
def test_random_plans_report_the_spend_the_checker_recomputes(
    seed: int, weeks: int, price: float
) -> None:
    """Whatever the prices, the optimum and baselines report spend the checker agrees with."""
    data = _instance(seed, weeks)
    hubs = [
        h.model_copy(update={"price_per_case": {t: price for t in h.treatment_functions}})
        if h.kind == HubKind.INDEPENDENT_SECTOR
        else h
        for h in data.hubs
    ]
    data = RebalanceInput.model_validate(data.model_copy(update={"hubs": hubs}).model_dump())
    result = solve_rebalance(data, OPTIONS)
    assert result.status.has_solution
    assert check_result(data, result) == []
    assert result.metrics.independent_sector_spend == pytest.approx(
        price * result.metrics.independent_sector_cases, rel=1e-6, abs=1e-6
    )
