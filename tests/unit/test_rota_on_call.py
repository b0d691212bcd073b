"""Rest after a non-resident on-call period: a rule of the pack, on shifts marked `on_call`.

The checker flags a shift that starts too soon after an on-call period (in the rota or in the
history carried in), the model leaves cover short rather than break the rule, and no returned
rota breaks it on random problems with a history. Day 0 is a Monday.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.model import solve_rota
from solvers.rota.rules import DOCTORS_IN_TRAINING_2016, RulePack, apply_rule_pack
from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    PastShift,
    RotaInput,
    RuleFamily,
    ShiftType,
    Staff,
)
from tests.oracles import ProvenCount, assert_rota_honest
from tests.strategies import planner_rotas_with_history

EXACT = SolveOptions(time_limit_seconds=10, num_workers=1)
QUICK = SolveOptions(time_limit_seconds=2, num_workers=1)
# On call from 17:00 to 09:00 the next morning; a day shift 10:00-18:00.
ON_CALL = ShiftType(id="OC", duration_minutes=16 * 60, start_minute=17 * 60, on_call=True)
DAY = ShiftType(id="D", duration_minutes=8 * 60, start_minute=10 * 60)
# Only the new rule, so nothing else (daily rest, runs) can be what the checker flags.
ONLY_ON_CALL_REST = RulePack(
    name="rest after on-call", source="test", rest_after_on_call_minutes=660
)


def _problem(days: int, wanted: dict[int, str], history: dict[int, str] | None = None) -> RotaInput:
    base = RotaInput(
        horizon_days=days,
        shift_types=(ON_CALL, DAY),
        staff=(Staff(id="D0", cost_per_shift=1),),
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=1, under_weight=100, over_weight=0)
            for d, s in sorted(wanted.items())
        ),
        history=tuple(
            PastShift(staff_id="D0", day=d, shift_id=s) for d, s in sorted((history or {}).items())
        ),
        history_days=14 if history else 0,
    )
    return apply_rule_pack(base, ONLY_ON_CALL_REST)


def _broken(data: RotaInput, worked: dict[int, str]) -> list[str]:
    roster = [Assignment(staff_id="D0", day=d, shift_id=s) for d, s in sorted(worked.items())]
    return [v.when for v in check_rota(data, roster).violations]


def test_the_pack_owes_rest_after_each_on_call_period_only() -> None:
    """A run of one on-call shift owes the rest; shifts not marked on-call owe none."""
    [rest] = _problem(2, {}).staff[0].rest_after_runs
    assert (rest.name, rest.shift_ids, rest.min_run, rest.min_rest_minutes) == (
        "rest after on-call",
        frozenset({"OC"}),
        1,
        660,
    )
    plain = RotaInput(horizon_days=2, shift_types=(DAY,), staff=(Staff(id="D0"),))
    assert apply_rule_pack(plain, ONLY_ON_CALL_REST).staff[0].rest_after_runs == ()
    assert DOCTORS_IN_TRAINING_2016.rest_after_on_call_minutes == 11 * 60


def test_checker_flags_a_shift_starting_an_hour_after_on_call() -> None:
    """On call to 09:00 then a 10:00 start is 60 minutes' rest: broken; the next day is fine."""
    data = _problem(3, {})
    assert _broken(data, {0: "OC", 1: "D"}) == ["rest after on-call day 0 OC, day 1 D"]
    assert _broken(data, {0: "OC", 2: "D"}) == []
    assert _broken(data, {0: "D", 1: "OC"}) == []


def test_checker_flags_the_rest_across_the_join_with_the_history() -> None:
    """On call on the day before the rota, then a 10:00 start on day 0: broken across the join."""
    data = _problem(2, {}, history={-1: "OC"})
    assert _broken(data, {0: "D"}) == ["rest after on-call day -1 OC, day 0 D"]
    assert _broken(data, {1: "D"}) == []


def test_model_leaves_a_place_short_rather_than_break_the_rest() -> None:
    """One doctor wanted on call on day 0 and on the day shift on day 1: one place is short."""
    for data in (_problem(2, {0: "OC", 1: "D"}), _problem(1, {0: "D"}, history={-1: "OC"})):
        result = solve_rota(data, EXACT)
        assert result.stats.status is Status.OPTIMAL
        assert_rota_honest(data, result)
        assert result.places_short == 1


def _on_call_problem(data: RotaInput) -> RotaInput:
    """The problem with its first shift type marked on call and the on-call rest owed."""
    shifts = tuple(s.model_copy(update={"on_call": s.id == "S0"}) for s in data.shift_types)
    marked = RotaInput.model_validate({**data.model_dump(), "shift_types": shifts})
    return apply_rule_pack(marked, ONLY_ON_CALL_REST)


ACROSS_THE_JOIN = ProvenCount()


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(planner_rotas_with_history(max_staff=4, max_days=8).map(_on_call_problem))
def test_no_returned_rota_breaks_the_on_call_rest_across_the_join(data: RotaInput) -> None:
    """Whatever comes back owes its rest after every on-call period, the history's included."""
    ACROSS_THE_JOIN.example()
    result = solve_rota(data, QUICK)
    assert_rota_honest(data, result)
    check = check_rota(data, result.assignments, result.pool_fills)
    assert not [v for v in check.violations if v.rule == RuleFamily.REST_AFTER_RUN]
    if result.assignments and any(p.shift_id == "S0" for p in data.history):
        ACROSS_THE_JOIN.asserted()


def test_the_join_was_exercised() -> None:
    """The property above met on-call periods in the history, so the join was tested."""
    ACROSS_THE_JOIN.check("had an on-call period in the history and a rota")
