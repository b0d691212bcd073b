"""The non-admitted stage: lists waiting for a first outpatient appointment move to clinics.

Hand-built instances whose optimum is known, the checker catching broken clinic plans, and a
property test over synthetic instances with the stage on.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions, Status
from solvers.rebalance import check_plan, check_result, solve_rebalance, synthetic_instance
from solvers.rebalance.schema import (
    STAGE_ADMITTED,
    STAGE_NON_ADMITTED,
    CaseMix,
    Hub,
    HubKind,
    Provider,
    Queue,
    RebalanceInput,
    RebalanceResult,
    RebalanceSettings,
    TheatreCapacity,
)

OPTIONS = SolveOptions(time_limit_seconds=10, num_workers=1)
BAND = 10  # every backlog patient has waited 10-11 weeks


def _two_trusts(*, clinic_b: float = 40.0, guard: bool = True) -> RebalanceInput:
    """Trust A's clinic sees 10 a week and its non-admitted list is 100 long; B's clinic sees
    `clinic_b` a week and its list is 10 long. Both have 10 joining a week and an admitted list
    treated in their own theatre (60 minutes a case, 20 cases a week of room)."""
    backlog = [0.0] * BAND + [100.0]
    return RebalanceInput(
        providers=[Provider(id="A"), Provider(id="B")],
        hubs=[
            Hub(
                id="HA",
                kind=HubKind.MAIN_SITE,
                operator="A",
                treatment_functions=["C_110"],
                theatre=TheatreCapacity(
                    theatres=1, sessions_per_theatre_per_week=5, session_minutes=240
                ),
                outpatient_per_week={"C_110": 10.0},
            ),
            Hub(
                id="HB",
                kind=HubKind.MAIN_SITE,
                operator="B",
                treatment_functions=["C_110"],
                theatre=TheatreCapacity(
                    theatres=1, sessions_per_theatre_per_week=5, session_minutes=240
                ),
                outpatient_per_week={"C_110": clinic_b},
            ),
        ],
        case_mix=[
            CaseMix(tfc="C_110", minutes_per_case=60, length_of_stay_days=0, day_case_rate=1)
        ],
        queues=[
            Queue(provider="A", tfc="C_110", waiting_list=[5.0], weekly_demand=5.0),
            Queue(provider="B", tfc="C_110", waiting_list=[5.0], weekly_demand=5.0),
            Queue(
                provider="A",
                tfc="C_110",
                stage=STAGE_NON_ADMITTED,
                waiting_list=backlog,
                weekly_demand=10.0,
            ),
            Queue(
                provider="B",
                tfc="C_110",
                stage=STAGE_NON_ADMITTED,
                waiting_list=[0.0] * BAND + [10.0],
                weekly_demand=10.0,
            ),
        ],
        travel_minutes={"A": {"HB": 30.0}, "B": {"HA": 30.0}},
        settings=RebalanceSettings(
            horizon_weeks=4, period_weeks=1, max_travel_minutes=45, no_trust_worse=guard
        ),
    )


@pytest.fixture(scope="module")
def two_trusts() -> tuple[RebalanceInput, RebalanceResult]:
    data = _two_trusts()
    result = solve_rebalance(data, OPTIONS)
    assert result.status == Status.OPTIMAL
    assert check_result(data, result) == []
    return data, result


def test_a_non_admitted_list_moves_to_a_clinic_with_room(two_trusts) -> None:
    """A's long list is seen in B's clinic; every list ends empty (total room 200, need 190)."""
    data, result = two_trusts
    assert result.metrics is not None
    assert result.metrics.worst_pressure == pytest.approx(0.0, abs=1e-5)  # level tolerance
    moved = sum(
        r.patients
        for r in result.plan
        if r.stage == STAGE_NON_ADMITTED and r.provider == "A" and r.hub == "HB"
    )
    # A has 140 to see and its own clinic 40: at least 100 go to B's clinic.
    assert moved >= 100.0 - 1e-4
    assert result.metrics.non_admitted_transfers == pytest.approx(moved, abs=1e-6)
    assert result.metrics.non_admitted_seen == pytest.approx(190.0, abs=1e-4)
    outcome = {(o.provider, o.stage): o for o in result.queues}
    assert outcome[("A", STAGE_NON_ADMITTED)].waiting_at_end == pytest.approx(0.0, abs=1e-4)
    assert outcome[("A", STAGE_ADMITTED)].waiting_at_end == pytest.approx(0.0, abs=1e-4)


def test_clinic_patients_leave_theatres_untouched(two_trusts) -> None:
    """Theatre minutes are used by admitted patients only; clinics by non-admitted ones only."""
    data, result = two_trusts
    for use in result.hub_use:
        rows = [r for r in result.plan if r.hub == use.hub]
        if use.resource == "theatre_minutes":
            admitted = sum(r.patients for r in rows if r.stage == STAGE_ADMITTED)
            assert sum(use.used_by_week) == pytest.approx(admitted * 60.0, abs=1e-4)
        elif use.resource == "outpatient:C_110":
            seen = sum(r.patients for r in rows if r.stage == STAGE_NON_ADMITTED)
            assert sum(use.used_by_week) == pytest.approx(seen, abs=1e-4)
            assert use.unit == "appointment"
    # No admitted patient is moved: each theatre has room for its own list.
    assert not any(r.transfer for r in result.plan if r.stage == STAGE_ADMITTED)


def test_the_stage_is_named_in_binding_limits_and_outcomes() -> None:
    """With too little clinic room, the full clinics and the non-admitted list are named."""
    data = _two_trusts(clinic_b=12.0)
    result = solve_rebalance(data, OPTIONS)
    assert check_result(data, result) == []
    full = [b for b in result.binding_limits if b.resource == "outpatient:C_110"]
    assert full and "first outpatient appointments (non-admitted)" in full[0].message
    above = [b for b in result.binding_limits if b.name == "waiting_list_above_target"]
    assert any(b.where == "A C_110 non-admitted" for b in above)
    assert result.metrics is not None
    assert result.metrics.worst_queue == "A C_110 non-admitted"


def test_the_guard_holds_each_trusts_non_admitted_list() -> None:
    """No trust is worse than on its own, on lists of both stages together."""
    data = _two_trusts(clinic_b=12.0)
    result = solve_rebalance(data, OPTIONS)
    assert result.trusts
    assert all(not t.made_worse for t in result.trusts)


def test_a_non_admitted_list_without_any_clinic_is_stranded() -> None:
    """A hub without a clinic for the function sees nobody, whatever its theatres."""
    data = _two_trusts()
    hubs = [h.model_copy(update={"outpatient_per_week": {}}) for h in data.hubs]
    bare = data.model_copy(update={"hubs": hubs})
    result = solve_rebalance(bare, OPTIONS)
    assert not any(r.stage == STAGE_NON_ADMITTED for r in result.plan)
    stranded = [b for b in result.binding_limits if b.name == "no_reachable_hub"]
    assert {b.where for b in stranded} == {"A C_110 non-admitted", "B C_110 non-admitted"}
    assert "no clinic sees C_110" in stranded[0].message


def test_a_clinic_overrun_is_caught(two_trusts) -> None:
    """The same plan against smaller clinics breaks clinic capacity (and only that rule)."""
    data, result = two_trusts
    hubs = [h.model_copy(update={"outpatient_per_week": {"C_110": 5.0}}) for h in data.hubs]
    smaller = data.model_copy(update={"hubs": hubs})
    found = check_plan(smaller, result.plan)
    assert {v.rule for v in found} == {"capacity_exceeded"}
    assert any("outpatient:C_110" in v.where for v in found)


def test_a_clinic_appointment_where_no_clinic_is_caught(two_trusts) -> None:
    """A non-admitted row at a hub with no clinic for the function is refused."""
    data, result = two_trusts
    no_clinic = data.model_copy(
        update={
            "hubs": [
                h.model_copy(update={"outpatient_per_week": {}}) if h.id == "HB" else h
                for h in data.hubs
            ]
        }
    )
    assert "hub_has_no_clinic" in {v.rule for v in check_plan(no_clinic, result.plan)}


def test_a_non_admitted_row_counted_as_admitted_is_caught(two_trusts) -> None:
    """Rows keep their stage: relabelling a clinic row as admitted breaks its cohorts."""
    data, result = two_trusts
    plan = [
        r.model_copy(update={"stage": STAGE_ADMITTED}) if r.stage == STAGE_NON_ADMITTED else r
        for r in result.plan
    ]
    rules = {v.rule for v in check_plan(data, plan)}
    assert rules & {"unknown_cohort", "patients_not_conserved"}


def test_a_queue_of_each_stage_may_share_provider_and_function() -> None:
    """(provider, function, stage) is the list's key; a repeated stage is refused."""
    data = _two_trusts()
    with pytest.raises(ValueError, match="appears more than once"):
        RebalanceInput.model_validate(
            data.model_dump() | {"queues": [*data.model_dump()["queues"], data.queues[2]]}
        )


def test_synthetic_admitted_part_is_unchanged_by_the_stage() -> None:
    """Benchmark figures stay comparable: the stage only adds lists and clinics."""
    off = synthetic_instance(7, providers=3, hubs=5, treatment_functions=2, weeks=4)
    on = synthetic_instance(
        7, providers=3, hubs=5, treatment_functions=2, weeks=4, non_admitted=True
    )
    assert [q for q in on.queues if q.stage == STAGE_ADMITTED] == off.queues
    assert [h.model_copy(update={"outpatient_per_week": {}}) for h in on.hubs] == off.hubs
    assert any(q.stage == STAGE_NON_ADMITTED for q in on.queues)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    weeks=st.integers(1, 8),
    tight=st.floats(5, 120),
    period_weeks=st.sampled_from([1, 3]),
)
def test_random_results_with_the_stage_pass_the_checker(
    seed: int, weeks: int, tight: float, period_weeks: int
) -> None:
    """With non-admitted lists and clinics, optimum and baselines pass every check."""
    data = synthetic_instance(
        seed,
        providers=3,
        hubs=6,
        treatment_functions=3,
        weeks=weeks,
        non_admitted=True,
        settings=RebalanceSettings(
            horizon_weeks=weeks, period_weeks=period_weeks, max_travel_minutes=tight
        ),
    )
    result = solve_rebalance(data, OPTIONS)
    assert result.status.has_solution
    assert check_result(data, result) == []
    assert all(not t.made_worse for t in result.trusts)


def test_first_appointments_are_not_treatment_in_the_projection() -> None:
    """A saved plan's clinic rows do not add to a trust's admitted treatment a week."""
    import pandas as pd

    from ics_capacity.projections.capacity import plan_treatment_by_series

    keys = pd.DataFrame({"provider": ["A"], "tfc": ["C_110"]})
    rows = pd.DataFrame(
        [
            {"provider": "A", "tfc": "C_110", "week": 1, "patients": 5.0, "stage": "admitted"},
            {"provider": "A", "tfc": "C_110", "week": 1, "patients": 7.0, "stage": "non_admitted"},
        ]
    )
    assert plan_treatment_by_series(keys, rows, 2)[0].tolist() == [5.0, 0.0]
    # Rows stored before the stage existed are all treatment.
    assert plan_treatment_by_series(keys, rows.drop(columns="stage"), 2)[0].tolist() == [12.0, 0.0]
