"""Minimal change against a published rota: kept where possible, every change reported.

A published rota re-solved with nothing changed comes back unchanged; leave for one person changes
only the days that must change (held to brute force on tiny problems); and on random planner-sized
problems every published day the rota changes is reported, locks still win, and the checker's
objective (which charges each change independently) equals the solver's.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.common import SolveOptions, Status
from solvers.rota.construct import construct_rota
from solvers.rota.model import solve_rota
from solvers.rota.published import DAY_OFF, LOCKED, STAFF_REMOVED, published_changes
from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    LockedAssignment,
    PublishedAssignment,
    RotaInput,
    ShiftType,
    Staff,
)
from tests.oracles import assert_rota_honest, brute_force_optimum
from tests.strategies import locks, planner_rotas

QUICK = SolveOptions(time_limit_seconds=3, num_workers=1)
WEIGHT = 1_000  # below a place short (10,000), above a shift's cost (10)


def _rota(staff: int, days: int, leave: dict[str, set[int]] | None = None) -> RotaInput:
    leave = leave or {}
    people = tuple(
        Staff(id=f"P{i}", cost_per_shift=10 + i, days_off=frozenset(leave.get(f"P{i}", set())))
        for i in range(staff)
    )
    return RotaInput(
        horizon_days=days,
        shift_types=(
            ShiftType(id="E", duration_minutes=480, start_minute=7 * 60),
            ShiftType(id="L", duration_minutes=480, start_minute=14 * 60),
        ),
        staff=people,
        cover=tuple(
            CoverRequirement(day=d, shift_id=s, required=1, under_weight=10_000, over_weight=5)
            for d in range(days)
            for s in ("E", "L")
        ),
    )


def _published(data: RotaInput, assignments: tuple[Assignment, ...]) -> list[PublishedAssignment]:
    worked = {(a.staff_id, a.day): a.shift_id for a in assignments}
    return [
        PublishedAssignment(staff_id=p.id, day=d, shift_id=worked.get((p.id, d)))
        for p in data.staff
        for d in range(data.horizon_days)
    ]


def _with(data: RotaInput, **update: object) -> RotaInput:
    return RotaInput.model_validate({**data.model_dump(), **update})


def _diff(data: RotaInput, assignments: tuple[Assignment, ...]) -> set[tuple[str, int, str | None]]:
    """The published days the rota changes, worked out here, apart from the solver's report."""
    worked = {(a.staff_id, a.day): a.shift_id for a in assignments}
    return {
        (p.staff_id, p.day, worked.get((p.staff_id, p.day)))
        for p in data.published
        if worked.get((p.staff_id, p.day)) != p.shift_id
    }


def test_a_published_rota_re_solved_with_nothing_changed_comes_back_unchanged() -> None:
    first = solve_rota(_rota(3, 5), QUICK)
    assert first.stats.status is Status.OPTIMAL
    data = _with(
        _rota(3, 5), published=_published(_rota(3, 5), first.assignments), published_weight=WEIGHT
    )
    again = solve_rota(data, QUICK)
    assert again.stats.status is Status.OPTIMAL
    assert again.published_changes == ()
    assert set(again.assignments) == set(first.assignments)
    assert "published_changes" not in again.objective_terms


def test_leave_for_one_person_changes_only_what_must_change() -> None:
    base = _rota(3, 2)
    first = solve_rota(base, QUICK)
    assert first.stats.status is Status.OPTIMAL
    worked = next(a for a in first.assignments)
    leave = {worked.staff_id: {worked.day}}
    data = _with(
        _rota(3, 2, leave), published=_published(base, first.assignments), published_weight=WEIGHT
    )
    result = solve_rota(data, QUICK)
    assert_rota_honest(data, result)
    assert result.stats.status is Status.OPTIMAL
    # The brute-force optimum charges each change the same way, so its least changes are these.
    assert result.stats.objective == brute_force_optimum(data)
    reported = {(c.staff_id, c.day, c.now) for c in result.published_changes}
    assert reported == _diff(data, result.assignments)
    on_leave = [c for c in result.published_changes if c.staff_id == worked.staff_id]
    assert [(c.day, c.was, c.now, c.why) for c in on_leave] == [
        (worked.day, worked.shift_id, None, DAY_OFF)
    ]
    # Someone else takes the shift: one more change at most, since cover comes first.
    assert len(result.published_changes) <= 2


def test_greedy_start_prefers_the_published_day() -> None:
    base = _rota(4, 3)
    published = [
        PublishedAssignment(staff_id="P3", day=d, shift_id="E" if d % 2 == 0 else "L")
        for d in range(3)
    ]
    start = construct_rota(_with(base, published=published, published_weight=WEIGHT))
    mine = {(a.day, a.shift_id) for a in start if a.staff_id == "P3"}
    assert mine == {(0, "E"), (1, "L"), (2, "E")}


def test_locks_win_over_published_days_and_departed_staff_are_reported() -> None:
    base = _rota(2, 2)
    published = [
        PublishedAssignment(staff_id="P0", day=0, shift_id="E"),
        PublishedAssignment(staff_id="GONE", day=1, shift_id="L"),
    ]
    data = _with(
        base,
        published=published,
        published_weight=WEIGHT,
        locked=[LockedAssignment(staff_id="P0", day=0, shift_id="L")],
    )
    result = solve_rota(data, QUICK)
    assert_rota_honest(data, result)
    whys = {(c.staff_id, c.day): (c.was, c.now, c.why) for c in result.published_changes}
    assert whys[("P0", 0)] == ("E", "L", LOCKED)
    assert whys[("GONE", 1)] == ("L", None, STAFF_REMOVED)


@st.composite
def published_rotas(draw: st.DrawFn) -> RotaInput:
    """A planner rota with locks and a published rota (some staff gone, some days off)."""
    data = draw(planner_rotas(max_staff=4, max_days=7))
    chosen_locks = draw(locks(list(data.staff), data.shift_types, data.horizon_days))
    ids = [p.id for p in data.staff] + ["LEFT"]
    shift_ids = [None, *(s.id for s in data.shift_types)]
    cells = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(ids), st.integers(0, data.horizon_days - 1)),
            st.sampled_from(shift_ids),
            max_size=12,
        )
    )
    published = [
        PublishedAssignment(staff_id=p, day=d, shift_id=s) for (p, d), s in sorted(cells.items())
    ]
    return _with(
        data,
        locked=chosen_locks,
        published=published,
        published_weight=draw(st.integers(1, 2_000)),
    )


@settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(published_rotas())
def test_every_change_to_a_published_rota_is_reported_and_locks_are_kept(data: RotaInput) -> None:
    """The reported changes are exactly the rota's diff against the published days."""
    result = solve_rota(data, QUICK)
    assert_rota_honest(data, result)  # no hard rule broken, every lock kept, objective checked
    if not result.stats.status.has_solution:
        return
    reported = [(c.staff_id, c.day, c.now) for c in result.published_changes]
    assert len(reported) == len(set(reported))
    assert set(reported) == _diff(data, result.assignments)
    assert result.published_changes == published_changes(data, result.assignments)
    was = {(p.staff_id, p.day): p.shift_id for p in data.published}
    assert all(c.was == was[c.staff_id, c.day] for c in result.published_changes)
