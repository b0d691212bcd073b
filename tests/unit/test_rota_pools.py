"""Bank and agency pools: places short of staff filled at a price, within caps, agency capped.

Tiny problems whose answer is known by hand: one nurse, a ward shift a day, and pools that fill
what the nurse cannot. Every result goes through the independent checker (`tests/oracles.py`),
and the checker is shown to catch a pool over its cap, a fill of a place not short, and a wrong
price.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions, Status
from solvers.rota.check import POOL_CAP, POOL_FILL, check_rota
from solvers.rota.model import solve_rota
from solvers.rota.pool_schema import Pool, PoolFill
from solvers.rota.schema import Assignment, CoverRequirement, RotaInput, ShiftType, Staff
from tests.oracles import ProvenCount, assert_rota_honest
from tests.strategies import planner_rotas

EXACT = SolveOptions(time_limit_seconds=10, num_workers=1)
QUICK = SolveOptions(time_limit_seconds=2, num_workers=1)
DAY = ShiftType(id="D", duration_minutes=600, start_minute=8 * 60)  # 10 hours
UNFILLED = 1_000_000


def _pool(kind: str, price: int, cap: int, period: int | None = 7, **extra: object) -> Pool:
    return Pool(
        id=kind,
        kind=kind,  # type: ignore[arg-type]
        shift_ids=frozenset({"D"}),
        skills=frozenset({None}),
        price_per_hour=price,
        max_shifts=cap,
        period_days=period,
        **extra,  # type: ignore[arg-type]
    )


def _problem(days: int, wanted: int, pools: tuple[Pool, ...], staff_days: int = 0) -> RotaInput:
    """`wanted` people a day on the 10-hour shift; one nurse who may work `staff_days` days."""
    return RotaInput(
        horizon_days=days,
        shift_types=(DAY,),
        staff=(
            Staff(id="N0", cost_per_hour=2000, max_total_minutes=staff_days * DAY.duration_minutes),
        ),
        cover=tuple(
            CoverRequirement(
                day=d,
                shift_id="D",
                required=wanted,
                under_weight=50_000,
                over_weight=0,
                unfilled_weight=UNFILLED,
            )
            for d in range(days)
        ),
        pools=pools,
    )


def _filled(result, pool_id: str) -> int:  # type: ignore[no-untyped-def]
    return sum(f.places for f in result.pool_fills if f.pool_id == pool_id)


def test_bank_is_used_before_agency_when_cheaper() -> None:
    """With room in both pools, every place short goes to the cheaper bank pool."""
    data = _problem(3, 2, (_pool("bank", 2800, 10), _pool("agency", 3000, 10)), staff_days=3)
    result = solve_rota(data, EXACT)
    assert result.stats.status is Status.OPTIMAL
    assert_rota_honest(data, result)
    assert len(result.assignments) == 3  # the nurse works every day: cheaper than any pool
    assert _filled(result, "bank") == 3 and _filled(result, "agency") == 0
    assert result.places_unfilled == 0
    assert result.objective_terms["pool:bank"] == 3 * 28_000


def test_cap_binds_then_agency_then_short() -> None:
    """Bank fills up to its weekly cap, agency up to its cap, and the rest stays short."""
    data = _problem(7, 2, (_pool("bank", 2800, 4), _pool("agency", 3000, 6)))
    result = solve_rota(data, EXACT)
    assert_rota_honest(data, result)
    assert result.places_short == 14
    assert _filled(result, "bank") == 4 and _filled(result, "agency") == 6
    assert result.places_unfilled == 4
    assert result.objective_terms["unfilled"] == 4 * UNFILLED


def test_cap_per_week_applies_to_each_week() -> None:
    """A weekly cap of 3 gives 3 places in each of two weeks, a rota-wide one 3 in all."""
    weekly = _problem(14, 1, (_pool("bank", 2800, 3, period=7),))
    assert _filled(solve_rota(weekly, EXACT), "bank") == 6
    whole = _problem(14, 1, (_pool("bank", 2800, 3, period=None),))
    result = solve_rota(whole, EXACT)
    assert_rota_honest(whole, result)
    assert _filled(result, "bank") == 3 and result.places_unfilled == 11


def test_agency_price_is_held_to_the_cap() -> None:
    """An agency asking more than the price cap is paid the cap, and then beats the bank."""
    capped = _pool("agency", 4000, 10, price_cap_per_hour=2500)
    assert capped.hourly_price == 2500
    data = _problem(2, 1, (_pool("bank", 2800, 10), capped))
    result = solve_rota(data, EXACT)
    assert_rota_honest(data, result)
    assert _filled(result, "agency") == 2 and _filled(result, "bank") == 0
    assert result.objective_terms["pool:agency"] == 2 * 25_000


def test_pools_fill_no_place_staff_already_fill() -> None:
    """A day the nurse covers is not also filled from a pool, even where a pool is free."""
    data = _problem(2, 1, (_pool("bank", 0, 10),), staff_days=2)
    result = solve_rota(data, EXACT)
    assert_rota_honest(data, result)
    assert result.pool_fills == ()


def test_checker_flags_a_pool_over_its_cap() -> None:
    """Five places from a pool capped at 4 a week is a broken cap."""
    data = _problem(7, 1, (_pool("bank", 2800, 4),))
    fills = [PoolFill(pool_id="bank", day=d, shift_id="D", places=1) for d in range(5)]
    check = check_rota(data, [], fills)
    assert [v.rule for v in check.violations] == [POOL_CAP]
    assert check.pool_places == {"bank": 5} and check.pool_pence == {"bank": 5 * 28_000}
    assert check.places_unfilled == 2


def test_checker_flags_a_fill_of_a_place_not_short() -> None:
    """Filling from a pool a place the nurse already works, or a pool that does not serve it."""
    data = _problem(1, 1, (_pool("bank", 2800, 4),), staff_days=1)
    worked = [Assignment(staff_id="N0", day=0, shift_id="D")]
    fills = [PoolFill(pool_id="bank", day=0, shift_id="D", places=1)]
    assert [v.rule for v in check_rota(data, worked, fills).violations] == [POOL_FILL]
    other = [PoolFill(pool_id="agency", day=0, shift_id="D", places=1)]
    assert [v.rule for v in check_rota(data, [], other).violations] == [POOL_FILL]


def test_checker_prices_agency_at_the_cap() -> None:
    """The checker's spend uses the capped price, not the price asked."""
    capped = _pool("agency", 4000, 10, price_cap_per_hour=2500)
    data = _problem(1, 1, (capped,))
    fills = [PoolFill(pool_id="agency", day=0, shift_id="D", places=1)]
    check = check_rota(data, [], fills)
    assert check.terms["pool:agency"] == 25_000 and check.places_unfilled == 0


def test_a_pool_naming_an_unknown_shift_is_refused() -> None:
    """Pools are validated with the rest of the input."""
    bad = Pool(
        id="x",
        kind="bank",
        shift_ids=frozenset({"NOPE"}),
        skills=frozenset({None}),
        price_per_hour=1,
        max_shifts=1,
    )
    with pytest.raises(ValueError, match="pool x: unknown shift types"):
        _problem(1, 1, (bad,))


@st.composite
def _with_pools(draw: st.DrawFn, data: RotaInput) -> RotaInput:
    """The problem with a bank and an agency pool on some shifts, and unfilled places priced."""
    shift_ids = [s.id for s in data.shift_types]
    skills = sorted({c.skill for c in data.cover}, key=str)
    pools = tuple(
        Pool(
            id=kind,
            kind=kind,  # type: ignore[arg-type]
            shift_ids=frozenset(
                draw(st.lists(st.sampled_from(shift_ids), min_size=1, unique=True))
            ),
            skills=frozenset(skills),
            price_per_hour=draw(st.integers(0, 5000)),
            price_cap_per_hour=draw(st.none() | st.integers(0, 5000)),
            max_shifts=draw(st.integers(0, 4)),
            period_days=draw(st.none() | st.integers(1, 7)),
        )
        for kind in ("bank", "agency")
    )
    cover = tuple(
        c.model_copy(update={"unfilled_weight": draw(st.integers(0, 10_000))}) for c in data.cover
    )
    return RotaInput.model_validate({**data.model_dump(), "pools": pools, "cover": cover})


FILLED = ProvenCount()


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas(max_staff=4, max_days=8).flatmap(_with_pools))
def test_returned_pool_fills_pass_the_checker(data: RotaInput) -> None:
    """Whatever comes back fills only real shortfalls, within caps, at the checker's prices."""
    FILLED.example()
    result = solve_rota(data, QUICK)
    assert_rota_honest(data, result)
    if result.pool_fills:
        FILLED.asserted()
    if result.stats.status.has_solution:
        check = check_rota(data, result.assignments, result.pool_fills)
        for pool in data.pools:
            used: dict[int, int] = {}
            for fill in result.pool_fills:
                if fill.pool_id == pool.id:
                    used[pool.period(fill.day)] = used.get(pool.period(fill.day), 0) + fill.places
            assert all(places <= pool.max_shifts for places in used.values())
        assert check.places_short == result.places_short


def test_the_property_saw_pools_fill_places() -> None:
    """Some of the random rotas above drew on a pool, so the fills were held to the checker."""
    FILLED.check("filled a place from a pool")
