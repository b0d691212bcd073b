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
from solvers.rota.rules import RULE_PACKS, apply_rule_pack, is_night_shift
from solvers.rota.schema import (
    CoverRequirement,
    Fairness,
    LockedAssignment,
    RotaInput,
    RuleFamily,
    RuleMode,
    ShiftRequest,
    ShiftType,
    Staff,
)
from tests.oracles import assert_rota_honest, assert_true_optimum

QUICK = SolveOptions(time_limit_seconds=2, num_workers=1)
SITES = ("H1", "H2", "H3")
SKILLS = ("RN", "HCA")
SOFTABLE = sorted(
    {
        RuleFamily.DAYS_OFF,
        RuleFamily.MAX_SHIFTS_PER_TYPE,
        RuleFamily.MAX_TOTAL_MINUTES,
        RuleFamily.MIN_TOTAL_MINUTES,
        RuleFamily.MAX_CONSECUTIVE_SHIFTS,
        RuleFamily.MIN_CONSECUTIVE_SHIFTS,
        RuleFamily.MIN_CONSECUTIVE_DAYS_OFF,
        RuleFamily.MAX_WEEKENDS,
        RuleFamily.BANNED_SUCCESSION,
        RuleFamily.MAX_CONSECUTIVE_OF_KIND,
        RuleFamily.MAX_MINUTES_IN_WINDOW,
        RuleFamily.REST_AFTER_RUN,
        RuleFamily.WEEKEND_FREQUENCY,
        RuleFamily.WEEKLY_REST,
    }
)


@st.composite
def shift_types(draw: st.DrawFn, max_shifts: int) -> tuple[ShiftType, ...]:
    """Shifts with start times and sites; some count towards others' cover; nights as the app."""
    ids = [f"S{i}" for i in range(draw(st.integers(1, max_shifts)))]
    shifts = []
    for shift_id in ids:
        others = [other for other in ids if other != shift_id]
        fields = {
            "id": shift_id,
            "duration_minutes": draw(st.sampled_from([240, 480, 600, 720, 840])),
            "start_minute": draw(st.sampled_from([7, 8, 13, 20, 21])) * 60,
            "site": draw(st.sampled_from([None, *SITES])),
            "counts_as": draw(st.frozensets(st.sampled_from(others), max_size=2))
            if others
            else frozenset(),
        }
        shifts.append(ShiftType(**fields, night=is_night_shift(ShiftType(**fields))))
    return tuple(shifts)


@st.composite
def planner_rotas(
    draw: st.DrawFn, min_staff: int = 2, max_staff: int = 6, max_days: int = 10, max_shifts: int = 3
) -> RotaInput:
    """A small rota problem as the app builds it, with rule packs, travel and fairness."""
    horizon = draw(st.integers(3, max_days))
    shifts = draw(shift_types(max_shifts))
    shift_ids = [s.id for s in shifts]
    days = st.integers(0, horizon - 1)
    staff = []
    for k in range(draw(st.integers(min_staff, max_staff))):
        min_minutes = draw(st.sampled_from([0, 0, 0, 0, 480]))
        staff.append(
            Staff(
                id=f"P{k}",
                group=draw(st.sampled_from(["reg", "reg", "sho", f"alone{k}"])),
                home_site=draw(st.sampled_from([None, *SITES])),
                sites=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(SITES), min_size=1))),
                skills=draw(st.frozensets(st.sampled_from(SKILLS))),
                cost_per_shift=draw(st.integers(0, 3)),
                fte_tenths=draw(st.sampled_from([5, 8, 10])),
                min_total_minutes=min_minutes,
                max_total_minutes=draw(st.one_of(st.none(), st.integers(min_minutes, 4000))),
                min_consecutive_shifts=draw(st.integers(1, 2)),
                max_consecutive_shifts=draw(st.one_of(st.none(), st.integers(2, 5))),
                min_consecutive_days_off=draw(st.integers(1, 2)),
                max_weekends=draw(st.one_of(st.none(), st.integers(0, 2))),
                days_off=draw(st.frozensets(days, max_size=2)),
                travel_minutes=draw(
                    st.dictionaries(st.sampled_from(SITES), st.integers(0, 60), max_size=3)
                ),
            )
        )
    staff_ids = [p.id for p in staff]
    cover = {
        (day, shift_id, skill): CoverRequirement(
            day=day,
            shift_id=shift_id,
            skill=skill,
            required=draw(st.integers(0, 3)),
            under_weight=draw(st.integers(0, 100)),
            over_weight=draw(st.integers(0, 5)),
        )
        for day, shift_id, skill in draw(
            st.lists(
                st.tuples(days, st.sampled_from(shift_ids), st.sampled_from([None, None, *SKILLS])),
                min_size=horizon,
                max_size=3 * horizon,
            )
        )
    }
    requests = tuple(
        ShiftRequest(staff_id=p, day=d, shift_id=s, kind=kind, weight=w)
        for p, d, s, kind, w in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(staff_ids),
                    days,
                    st.one_of(st.none(), st.sampled_from(shift_ids)),
                    st.sampled_from(["on", "off"]),
                    st.integers(0, 5),
                ),
                max_size=5,
            )
        )
    )
    locked = draw(locks(staff, shifts, horizon))
    base = RotaInput(
        horizon_days=horizon,
        first_weekday=draw(st.integers(0, 6)),
        shift_types=shifts,
        staff=tuple(staff),
        cover=tuple(cover.values()),
        requests=requests,
        locked=locked,
        rule_modes={
            family: RuleMode(hard=False, weight=draw(st.integers(0, 20)))
            for family in draw(st.lists(st.sampled_from(SOFTABLE), max_size=4, unique=True))
        },
        edge_runs_exempt=draw(st.booleans()),
        travel_weight=draw(st.sampled_from([0, 0, 1, 3])),
        fairness=Fairness(
            nights_weight=draw(st.integers(0, 10)),
            weekends_weight=draw(st.integers(0, 10)),
            cross_site_weight=draw(st.integers(0, 10)),
        ),
    )
    for name in draw(st.lists(st.sampled_from(sorted(RULE_PACKS)), max_size=2, unique=True)):
        whom = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(staff_ids), min_size=1)))
        base = apply_rule_pack(base, RULE_PACKS[name], None if whom is None else set(whom))
    return base


@st.composite
def locks(
    draw: st.DrawFn, staff: list[Staff], shifts: tuple[ShiftType, ...], horizon: int
) -> tuple[LockedAssignment, ...]:
    """Up to 3 locks: either on days and shifts the person may work, or anywhere at all."""
    consistent = draw(st.booleans())
    chosen: dict[tuple[str, int], str | None] = {}
    for _ in range(draw(st.integers(0, 3))):
        person = draw(st.sampled_from(staff))
        day = draw(st.integers(0, horizon - 1))
        allowed = [s.id for s in shifts if person.may_work_at(s) or not consistent]
        if not allowed or (consistent and day in person.days_off):
            shift_id = None
        else:
            shift_id = draw(st.one_of(st.none(), st.sampled_from(allowed)))
        chosen[person.id, day] = shift_id
    return tuple(
        LockedAssignment(staff_id=p, day=d, shift_id=s) for (p, d), s in sorted(chosen.items())
    )


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
