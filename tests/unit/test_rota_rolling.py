"""Rotas solved a week at a time are whole rotas: the checker agrees and nothing is lost."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from solvers.common import SolveOptions, Status
from solvers.rota.check import check_rota
from solvers.rota.model import solve_rota
from solvers.rota.rolling import solve_rota_by_windows
from solvers.rota.schema import CoverRequirement, LockedAssignment, RotaInput, ShiftType, Staff
from tests.oracles import assert_rota_honest
from tests.strategies import planner_rotas

QUICK = SolveOptions(time_limit_seconds=4, num_workers=1)


def _without_minimum_runs(data: RotaInput) -> RotaInput:
    staff = [
        p.model_copy(
            update={
                "min_consecutive_shifts": 1,
                "min_consecutive_days_off": 1,
                "min_total_minutes": 0,
            }
        )
        for p in data.staff
    ]
    return RotaInput.model_validate({**data.model_dump(), "staff": staff})


long_rotas = (
    planner_rotas(max_days=24, max_staff=4, max_shifts=2)
    .filter(lambda d: d.horizon_days > 14)
    .map(_without_minimum_runs)
)


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(long_rotas)
def test_windowed_rotas_pass_the_checker_and_keep_locks(data: RotaInput) -> None:
    """A rota built window by window breaks no hard rule, keeps locks, reports its own penalty."""
    result = solve_rota_by_windows(data, QUICK)
    whole = solve_rota(data, QUICK)
    if whole.stats.status.has_solution:
        # Windows never paint themselves into a corner the whole model avoids.
        assert result.stats.status.has_solution, result.infeasible_because
    assert_rota_honest(data, result, bound_required=False)
    if not result.stats.status.has_solution:
        return
    # Weekly rest in 14-day periods does not fit week windows: those problems are solved whole.
    if all(r.period_days == 7 for p in data.staff for r in p.weekly_rests):
        assert result.stats.status is Status.FEASIBLE and result.stats.bound is None


def test_a_lock_late_in_the_horizon_is_kept_reachable() -> None:
    """Early windows leave hours and rest for a locked night three weeks on."""
    day, night = (
        ShiftType(id="D", duration_minutes=600, start_minute=8 * 60),
        ShiftType(id="N", duration_minutes=720, start_minute=20 * 60, night=True),
    )
    data = RotaInput(
        horizon_days=28,
        shift_types=(day, night),
        staff=(Staff(id="A", max_total_minutes=10 * 600 + 720),),
        cover=tuple(
            CoverRequirement(day=d, shift_id="D", required=1, under_weight=100, over_weight=0)
            for d in range(28)
        ),
        locked=(LockedAssignment(staff_id="A", day=22, shift_id="N"),),
        banned_successions=frozenset({("N", "D")}),
    )
    result = solve_rota_by_windows(data, QUICK)
    assert result.stats.status is Status.FEASIBLE
    check = check_rota(data, result.assignments)
    assert check.violations == ()
    worked = {a.day: a.shift_id for a in result.assignments}
    assert worked[22] == "N" and 23 not in worked  # the night is kept and rest follows it
    assert len(worked) == 11 and result.objective_terms["cover_under"] == (28 - 10) * 100


def test_short_or_minimum_run_rotas_go_to_the_whole_model(monkeypatch) -> None:
    """Two weeks or less, or minimum runs longer than a day, are solved whole, not by windows."""
    calls = []
    import solvers.rota.rolling as rolling

    monkeypatch.setattr(rolling, "solve_rota", lambda data, options: calls.append(data) or "whole")
    shift = ShiftType(id="D", duration_minutes=480)
    short = RotaInput(horizon_days=14, shift_types=(shift,), staff=(Staff(id="A"),))
    runs = RotaInput(
        horizon_days=28, shift_types=(shift,), staff=(Staff(id="A", min_consecutive_shifts=2),)
    )
    assert solve_rota_by_windows(short, QUICK) == "whole"
    assert solve_rota_by_windows(runs, QUICK) == "whole"
    assert calls == [short, runs]


def test_windows_use_fewer_gaps_than_the_budget_allows() -> None:
    """Hours are budgeted over the horizon: a person never works past their contract."""
    shift = ShiftType(id="D", duration_minutes=600, start_minute=8 * 60)
    data = RotaInput(
        horizon_days=21,
        shift_types=(shift,),
        staff=(Staff(id="A", max_total_minutes=5 * 600), Staff(id="B", max_total_minutes=5 * 600)),
        cover=tuple(
            CoverRequirement(day=d, shift_id="D", required=1, under_weight=100, over_weight=0)
            for d in range(21)
        ),
    )
    result = solve_rota_by_windows(data, QUICK)
    assert check_rota(data, result.assignments).violations == ()
    assert len(result.assignments) == 10


def test_a_week_without_a_rota_in_time_is_left_empty_and_said(monkeypatch) -> None:
    """A window that finds no rota in its time keeps only its locks; the result names its days."""
    import solvers.rota.rolling as rolling

    real = rolling.solve_rota
    calls = []

    def second_window_times_out(data: RotaInput, options: SolveOptions):
        calls.append(data)
        result = real(data, options)
        if len(calls) == 2:
            stats = result.stats.model_copy(
                update={"status": Status.NO_SOLUTION_IN_TIME, "objective": None}
            )
            return result.failed(stats)
        return result

    monkeypatch.setattr(rolling, "solve_rota", second_window_times_out)
    shift = ShiftType(id="D", duration_minutes=600, start_minute=8 * 60)
    data = RotaInput(
        horizon_days=21,
        shift_types=(shift,),
        staff=(Staff(id="A"), Staff(id="B")),
        cover=tuple(
            CoverRequirement(day=d, shift_id="D", required=1, under_weight=100, over_weight=0)
            for d in range(21)
        ),
        locked=(LockedAssignment(staff_id="B", day=9, shift_id="D"),),
    )
    result = solve_rota_by_windows(data, QUICK)
    assert result.stats.status is Status.FEASIBLE
    assert check_rota(data, result.assignments).violations == ()
    days = {a.day for a in result.assignments}
    assert days & set(range(7, 14)) == {9}  # the timed-out week keeps its lock only
    assert set(range(7)) <= days and set(range(14, 21)) <= days
    assert result.binding_limits[0].name == "time limit"
    assert result.binding_limits[0].where == "days 7-13"
