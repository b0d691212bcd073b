"""The shared workforce rota service on the seeded demo, on SQLite and PostgreSQL.

Problems are one hub (Sandwell) over one week, solved for 3 s on one worker: the machine is
shared. Every solved rota is re-checked here with `solvers/rota/check.py`, independently of the
checker run the service itself does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter, defaultdict
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from ics_capacity.db.models import (
    BedCapacity,
    RotaLeave,
    RotaLock,
    RotaStaff,
    Scenario,
    Site,
    SiteTreatmentFunction,
    SolveJob,
    TheatreCapacity,
    WaitingList,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import HUB_OPERATING_DAYS_PER_WEEK
from ics_capacity.domain.rota_assumptions import (
    AGENCY_ON_COST,
    BASIC_HOURLY_PENCE,
    COVER_FIRST_PENCE,
    PATIENTS_PER_WARD_NURSE,
    THEATRE_TEAM,
    UNFILLED_PENCE,
    WARD_LONG_DAY,
    WARD_NIGHT,
)
from ics_capacity.domain.staff import StaffRole
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.readiness import ModelNotReadyError
from ics_capacity.services.rebalance import rebalance_input_as_operator
from ics_capacity.services.results import (
    CostLine,
    GapCost,
    RebalanceResult,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    stored_rota,
)
from ics_capacity.services.rota import (
    EXPORT_COLUMNS,
    KIND_LABELS,
    RULE_LABELS,
    RotaSettings,
    RotaSettingsError,
    describe,
    export_csv,
    export_xlsx,
    rota_choices,
    rota_locks,
    rota_problem_as_operator,
    set_bank_holiday_lists,
    set_lock,
    solve_problem,
)
from ics_capacity.services.rota_export import FAIRNESS_COLUMNS
from solvers.common import SolveStats, Status
from solvers.rebalance.schema import PlanRow
from solvers.rota.check import check_rota
from solvers.rota.schema import Assignment, RotaResult
from tests.conftest import TEST_PASSWORD

HUB = "SANDWELL"
SOLVE = {"time_limit_seconds": 6.0, "num_workers": 1}
QUICK = {"time_limit_seconds": 2.0}  # for tests that ask only for a rota that keeps every hard rule


# --- Helpers ---------------------------------------------------------------------------------


def _token(emails: dict[str, str], role: str) -> str:
    return auth.sign_in(emails[role], TEST_PASSWORD)


def _baseline_id(url: str) -> int:
    with unit_of_work(url) as session:
        return session.exec(
            select(Scenario.id).where(Scenario.is_baseline.is_(True)).order_by(Scenario.id)
        ).first()


def _first_monday(url: str, scenario_id: int) -> dt.date:
    """The Monday the demo's staggered leave starts from (the seed's `next_monday()`)."""
    with unit_of_work(url) as session:
        return session.exec(
            select(sa.func.min(RotaLeave.start_date))
            .join(RotaStaff, RotaStaff.id == RotaLeave.staff_id)
            .where(RotaStaff.scenario_id == scenario_id)
        ).one()


def _settings(start: dt.date, **changes: object) -> RotaSettings:
    values = {"start_date": start, "weeks": 1, "site_codes": (HUB,), **SOLVE, **changes}
    return RotaSettings(**values)  # type: ignore[arg-type]


def _branch(url: str, emails: dict[str, str], name: str) -> SimpleNamespace:
    """A draft branch of the baseline made by the workforce lead, with its first Monday."""
    lead = _token(emails, "workforce_lead")
    base = _baseline_id(url)
    branch = sc.create_scenario(lead, base, name)
    return SimpleNamespace(id=branch, base=base, lead=lead, start=_first_monday(url, branch))


def _checked(problem, outcome: RotaOutcome):
    """The independent checker's verdict on a described rota."""
    return check_rota(problem.data, outcome.assignments, outcome.pool_fills)


def _hub_rows(url: str, scenario_id: int) -> SimpleNamespace:
    with unit_of_work(url) as session:
        site = session.exec(
            select(Site).where(Site.scenario_id == scenario_id, Site.code == HUB)
        ).one()
        theatre = session.exec(select(TheatreCapacity).where(TheatreCapacity.site_id == site.id))
        bed = session.exec(select(BedCapacity).where(BedCapacity.site_id == site.id))
        tfcs = session.exec(
            select(SiteTreatmentFunction.tfc).where(SiteTreatmentFunction.site_id == site.id)
        ).all()
        waiting = dict(
            session.exec(
                select(WaitingList.tfc, sa.func.sum(WaitingList.patients))
                .where(WaitingList.scenario_id == scenario_id, WaitingList.part == "Part_2A")
                .group_by(WaitingList.tfc)
            ).all()
        )
        theatre, bed = theatre.one(), bed.one()
        return SimpleNamespace(
            theatres=theatre.theatres,
            sessions_per_week=theatre.sessions_per_week,
            session_minutes=theatre.session_minutes,
            beds=bed.elective_overnight_beds,
            occupancy=float(bed.occupancy_target),
            tfcs=sorted(tfcs),
            waiting=waiting,
        )


@pytest.fixture(scope="module")
def sandwell(seeded_db_url: str) -> SimpleNamespace:
    """The demo's Sandwell rota for the first week of leave, built and solved once per backend."""
    scenario = _baseline_id(seeded_db_url)
    start = _first_monday(seeded_db_url, scenario)
    problem = rota_problem_as_operator(scenario, _settings(start), seeded_db_url)
    outcome = solve_problem(problem)
    return SimpleNamespace(
        url=seeded_db_url, scenario=scenario, start=start, problem=problem, outcome=outcome
    )


# --- Building the problem --------------------------------------------------------------------


def test_cover_is_the_theatre_team_of_every_list_and_ward_nurses_per_occupied_bed(
    sandwell,
) -> None:
    """Each list day wants the full theatre team per list in both halves, wards 1 nurse per 8."""
    problem = sandwell.problem
    hub = _hub_rows(sandwell.url, sandwell.scenario)
    list_days = range(HUB_OPERATING_DAYS_PER_WEEK)
    assert problem.lists == {(HUB, d): hub.theatres for d in list_days}
    day_minutes = hub.sessions_per_week * hub.session_minutes // HUB_OPERATING_DAYS_PER_WEEK
    assert problem.list_minutes == {HUB: day_minutes}

    wanted: dict[tuple[int, str, str], int] = {}
    for c in problem.data.cover:
        assert c.over_weight == 0
        wanted[c.day, c.shift_id, c.skill] = c.required
    per_list = {n.role.value: n.per_list for n in THEATRE_TEAM}
    assert per_list == {"surgeon": 1, "anaesthetist": 1, "scrub_practitioner": 2, "odp": 1}
    for day in list_days:
        for half in ("AM", "PM"):
            slot = f"{HUB}-{half}"
            for role in ("anaesthetist", "scrub_practitioner", "odp"):
                assert wanted[day, slot, role] == per_list[role] * hub.theatres, (day, half, role)
            surgeons = {s: n for (d, sl, s), n in wanted.items() if (d, sl) == (day, slot)}
            surgeons = {s: n for s, n in surgeons.items() if s.startswith("surgeon:")}
            assert sum(surgeons.values()) == hub.theatres
            assert {s.removeprefix("surgeon:") for s in surgeons} <= set(hub.tfcs)
            # Lists go to specialties in proportion to the admitted waiting list: T&O leads.
            biggest = max(hub.tfcs, key=lambda t: hub.waiting.get(t, 0))
            assert surgeons[f"surgeon:{biggest}"] == max(surgeons.values())
    sunday = 6
    assert not [k for k in wanted if k[0] == sunday and k[1] in (f"{HUB}-AM", f"{HUB}-PM")]

    nurses = math.ceil(hub.beds * hub.occupancy / PATIENTS_PER_WARD_NURSE)
    assert nurses == 2  # 16 beds x 92% = 14.7 occupied, 8 patients a nurse
    for day in range(7):
        assert wanted[day, f"{HUB}-LD", "ward_nurse"] == nurses
        assert wanted[day, f"{HUB}-N", "ward_nurse"] == nurses
    assert {c.shift_id.rsplit("-", 1)[1] for c in problem.data.cover} == {"AM", "PM", "LD", "N"}


def test_a_gap_is_priced_at_the_agency_rate_of_the_slot(sandwell) -> None:
    """Each place's shortfall weight is the role's basic pay x agency cap over the slot's hours."""
    problem = sandwell.problem
    half = problem.list_minutes[HUB] // 2
    for need in problem.needs:
        minutes = {"LD": WARD_LONG_DAY[1], "N": WARD_NIGHT[1]}.get(need.kind, half)
        expected = round(BASIC_HOURLY_PENCE[StaffRole(need.role)] * AGENCY_ON_COST * minutes / 60)
        assert need.agency_pence == expected, need


def test_staff_keep_their_sites_and_their_leave_becomes_days_off(sandwell) -> None:
    """The solver sees each person's own sites, and every day of their leave as a day off."""
    problem, start = sandwell.problem, sandwell.start
    with unit_of_work(sandwell.url) as session:
        rows = session.exec(
            select(RotaStaff).where(RotaStaff.scenario_id == sandwell.scenario)
        ).all()
        sites = {r.code: frozenset(r.sites.split(",")) for r in rows}
        leave: dict[str, set[int]] = defaultdict(set)
        for code, first, last in session.exec(
            select(RotaStaff.code, RotaLeave.start_date, RotaLeave.end_date)
            .join(RotaStaff, RotaStaff.id == RotaLeave.staff_id)
            .where(RotaStaff.scenario_id == sandwell.scenario)
        ).all():
            leave[code] |= {d for d in range(7) if first <= start + dt.timedelta(days=d) <= last}
    staff = {p.id: p for p in problem.data.staff}
    assert set(staff) == {code for code, s in sites.items() if HUB in s}
    for code, person in staff.items():
        assert person.sites == sites[code], code
        assert set(person.days_off) == leave.get(code, set()), code
    on_leave = [code for code, p in staff.items() if p.days_off]
    assert 0 < len(on_leave) < len(staff) / 4  # one week in 12, staggered


def test_a_person_barred_from_the_hub_is_left_off_its_rota(app_db) -> None:
    """Someone whose sites do not include the hub is not offered to it, but is to their own hub."""
    url, emails = app_db
    branch = _branch(url, emails, "Passporting")
    with unit_of_work(url) as session:
        person = session.exec(
            select(RotaStaff).where(
                RotaStaff.scenario_id == branch.id, RotaStaff.role == "scrub_practitioner"
            )
        ).first()
        code = person.code
        person.sites = f"{person.home_site_code},CANNOCK"
        session.add(person)
        session.commit()
    sandwell = rota_problem_as_operator(branch.id, _settings(branch.start), url)
    cannock = rota_problem_as_operator(
        branch.id, _settings(branch.start, site_codes=("CANNOCK",)), url
    )
    assert code not in {p.id for p in sandwell.data.staff}
    assert code in {p.id for p in cannock.data.staff}


def test_no_list_cover_on_christmas_bank_holidays_unless_the_hub_opts_in(app_db) -> None:
    """A 4-week rota from Monday 7 December 2026: no list cover on 25, 26 or 28 December."""
    url, emails = app_db
    branch = _branch(url, emails, "Christmas lists")
    christmas = {dt.date(2026, 12, 25), dt.date(2026, 12, 26), dt.date(2026, 12, 28)}
    settings = _settings(dt.date(2026, 12, 7), weeks=4)

    def cover_dates(kinds: tuple[str, ...]) -> set[dt.date]:
        problem = rota_problem_as_operator(branch.id, settings, url)
        return {problem.dates[n.day] for n in problem.needs if n.kind in kinds}

    assert not cover_dates(("AM", "PM")) & christmas
    assert christmas <= cover_dates(("LD", "N"))  # wards are staffed on bank holidays
    message = set_bank_holiday_lists(branch.lead, branch.id, HUB, True)
    assert "bank holidays" in message
    assert christmas <= cover_dates(("AM", "PM"))
    assert next(s for s in rota_choices(branch.lead, branch.id)["sites"] if s["code"] == HUB)[
        "bank_holiday_lists"
    ]
    # The setting is the scenario's: refused on an approved one, and for a viewer.
    with pytest.raises(sc.ScenarioError):
        set_bank_holiday_lists(branch.lead, branch.base, HUB, True)
    with pytest.raises(auth.PermissionDeniedError):
        set_bank_holiday_lists(_token(emails, "viewer"), branch.id, HUB, False)


# --- Solving ---------------------------------------------------------------------------------


def test_solved_rota_passes_the_checker_and_its_objective_agrees(sandwell) -> None:
    """The rota is feasible, breaks no hard rule, and the checker recomputes the same objective."""
    outcome, problem = sandwell.outcome, sandwell.problem
    stats = outcome.stats
    assert stats.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert (stats.time_limit_seconds, stats.num_workers) == (6.0, 1)
    assert outcome.hard_violations == ()
    assert outcome.checked_objective == stats.objective
    assert stats.bound is not None and stats.objective is not None
    assert stats.bound <= stats.objective
    check = _checked(problem, outcome)
    assert check.violations == ()
    assert check.objective == stats.objective
    assert outcome.assignments


def test_the_outcome_reads_back_equal_from_its_stored_json(sandwell) -> None:
    """A solved rota, stored as the job row keeps it (JSON), validates back into an equal model."""
    stored = json.dumps(sandwell.outcome.model_dump(mode="json"))
    assert stored_rota(stored) == sandwell.outcome


def test_no_one_works_on_leave_or_away_from_their_sites(sandwell) -> None:
    """Every worked shift is at one of the person's sites, of their role, not on a day off."""
    staff = {p.id: p for p in sandwell.problem.data.staff}
    shifts = sandwell.outcome.shifts
    for a in sandwell.outcome.assignments:
        person = staff[a.staff_id]
        kind = shifts[a.shift_id].kind
        assert shifts[a.shift_id].site in person.sites
        assert a.day not in person.days_off
        assert (kind in ("LD", "N")) == (person.group == "ward_nurse"), a
    cells = {row.code: row.cells for row in sandwell.outcome.staff}
    for code, person in staff.items():
        assert [d for d, c in enumerate(cells[code]) if c.leave] == sorted(person.days_off)


def test_gap_places_and_costs_add_up(sandwell) -> None:
    """Gaps are the sum of session shortfalls; shift costs are hours x each person's rate."""
    outcome, problem = sandwell.outcome, sandwell.problem
    cost, sessions = outcome.cost, outcome.sessions
    check = _checked(problem, outcome)
    left = {id(r): r.short - r.bank - r.agency for r in sessions}
    assert cost.agency_gaps.places == sum(left.values())
    assert cost.agency_gaps.pence == sum(left[id(r)] * r.agency_pence for r in sessions)
    # The objective charges the cover-first priority on each place short of staff, each pool's
    # price on what it fills, and the unfilled priority on the rest; the cost only the pools.
    short = sum(r.short for r in sessions)
    assert short * COVER_FIRST_PENCE == check.terms["cover_under"]
    assert cost.agency_gaps.places * UNFILLED_PENCE == check.terms.get("unfilled", 0)
    assert cost.bank_pool.pence == check.terms.get("pool:bank", 0)
    assert cost.agency_pool.pence == check.terms.get("pool:agency", 0)
    assert cost.bank_pool.places + cost.agency_pool.places + cost.agency_gaps.places == short
    assert cost.pools_checked
    for r in sessions:
        assert r.staffed + r.short == r.required or r.short == 0, r
        assert 0 <= left[id(r)] <= r.short, r
    by_role: Counter[str] = Counter()
    for r in sessions:
        by_role[r.role] += left[id(r)]
    assert {k: v.places for k, v in cost.gaps_by_role.items()} == +by_role

    people = {p.code: p for p in outcome.staff}
    minutes = {sid: s.minutes for sid, s in outcome.shifts.items()}
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"shifts": 0, "hours": 0, "pence": 0})
    for a in outcome.assignments:
        person = people[a.staff_id]
        hours = minutes[a.shift_id] / 60
        row = totals[person.employment]
        row["shifts"] += 1
        row["hours"] += hours
        row["pence"] += round(person.hourly_cost_pence * hours)
    for employment, line in (("substantive", cost.substantive), ("bank", cost.bank)):
        expected = totals.get(employment, {"shifts": 0, "hours": 0, "pence": 0})
        assert line.shifts == expected["shifts"], employment
        assert line.hours == pytest.approx(expected["hours"]), employment
        assert line.pence == expected["pence"], employment
    assert cost.substantive.pence + cost.bank.pence == check.terms["staff_cost"]
    assert cost.total_pence == (
        cost.substantive.pence + cost.bank.pence + cost.bank_pool.pence + cost.agency_pool.pence
    )
    assert sum(p.minutes for p in outcome.staff) == sum(
        minutes[a.shift_id] for a in outcome.assignments
    )


def test_staffed_sessions_do_not_exceed_the_timetable(sandwell) -> None:
    """The sessions a week the rota staffs are at most the hub's theatres x sessions a theatre."""
    hub = _hub_rows(sandwell.url, sandwell.scenario)
    staffed = sandwell.outcome.staffed_sessions_per_week
    assert set(staffed) == {HUB}
    assert 0 < staffed[HUB] <= hub.theatres * hub.sessions_per_week


def test_staffed_sessions_count_each_list_without_a_surgeon(sandwell) -> None:
    """With 4 lists and surgeons for only 2 of them on Monday, 2 lists (5 sessions) are staffed."""
    problem = sandwell.problem
    free = [p for p in problem.data.staff if 0 not in p.days_off]

    def pick(skill: str, n: int) -> list[str]:
        found = [p.id for p in free if skill in p.skills][:n]
        assert len(found) == n, skill
        return found

    # A full team for 4 lists, but surgeons for the 2 T&O lists only (general surgery and
    # gynaecology, one list each, have none).
    people = (
        pick("anaesthetist", 4)
        + pick("scrub_practitioner", 8)
        + pick("odp", 4)
        + pick("surgeon:C_110", 2)
    )
    result = RotaResult(
        stats=SolveStats(
            status=Status.FEASIBLE,
            objective=0,
            bound=0,
            gap=0,
            time_limit_seconds=6,
            num_workers=1,
            seed=0,
        ),
        assignments=tuple(Assignment(staff_id=p, day=0, shift_id=f"{HUB}-DAY") for p in people),
    )
    outcome = describe(problem, result)
    monday = {(r.kind, r.skill): r.short for r in outcome.sessions if r.day == 0}
    assert monday["AM", "surgeon:C_100"] == monday["AM", "surgeon:C_502"] == 1
    sessions_per_list_day = problem.list_minutes[HUB] / 240  # 2.5 at a 10-hour hub day
    assert outcome.staffed_sessions_per_week[HUB] == pytest.approx(2 * sessions_per_list_day)


# --- Locks -----------------------------------------------------------------------------------


def test_locks_to_a_shift_and_to_off_are_kept_when_re_solved(app_db) -> None:
    """After locking one person onto a Sunday list and another off, the new rota keeps both."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota with locks")
    settings = _settings(branch.start, **QUICK)
    problem = rota_problem_as_operator(branch.id, settings, url)
    first = solve_problem(problem)
    assert first.hard_violations == ()
    staff = {p.id: p for p in problem.data.staff}
    sunday = 6
    worked_sunday = {a.staff_id for a in first.assignments if a.day == sunday}
    scrub = next(
        code
        for code, p in staff.items()
        if p.group == "scrub_practitioner"
        and sunday not in p.days_off
        and code not in worked_sunday
    )
    busy = next(
        a.staff_id
        for a in first.assignments
        if a.day == 0 and a.shift_id.endswith(("-AM", "-PM", "-DAY"))
    )
    on_sunday = branch.start + dt.timedelta(days=sunday)
    message = set_lock(branch.lead, branch.id, scrub, on_sunday, f"{HUB}-DAY", expected=None)
    assert "Locked" in message and f"{HUB}-DAY" in message
    set_lock(branch.lead, branch.id, busy, branch.start, "", expected=None)
    assert rota_locks(branch.lead, branch.id) == {
        (scrub, on_sunday.isoformat()): f"{HUB}-DAY",
        (busy, branch.start.isoformat()): "",
    }

    again_problem = rota_problem_as_operator(branch.id, settings, url)
    again = solve_problem(again_problem)
    assert again.hard_violations == ()
    assert again.checked_objective == again.stats.objective
    assert _checked(again_problem, again).violations == ()
    worked = {(a.staff_id, a.day): a.shift_id for a in again.assignments}
    assert worked[scrub, sunday] == f"{HUB}-DAY"
    assert (busy, 0) not in worked
    assert {(lk.staff_id, lk.day, lk.shift_id) for lk in again.locked} == {
        (scrub, sunday, f"{HUB}-DAY"),
        (busy, 0, None),
    }
    cells = {row.code: row.cells for row in again.staff}
    assert cells[scrub][sunday].locked and cells[busy][0].locked
    assert again.ignored_locks == ()

    set_lock(branch.lead, branch.id, scrub, on_sunday, None, expected=f"{HUB}-DAY")
    set_lock(branch.lead, branch.id, busy, branch.start, None, expected="")
    assert rota_locks(branch.lead, branch.id) == {}


def test_a_stale_lock_is_refused_naming_who_changed_it(app_db) -> None:
    """A second planner who did not see the first's lock gets a conflict naming the first."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota conflict")
    admin = _token(emails, "admin")
    code = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0].id
    set_lock(branch.lead, branch.id, code, branch.start, "", expected=None)
    with pytest.raises(sc.ConflictError, match=emails["workforce_lead"]) as error:
        set_lock(admin, branch.id, code, branch.start, f"{HUB}-AM", expected=None)
    assert "nothing was saved" in str(error.value)
    assert rota_locks(admin, branch.id) == {(code, branch.start.isoformat()): ""}
    set_lock(admin, branch.id, code, branch.start, None, expected="")
    assert rota_locks(admin, branch.id) == {}


def test_a_stale_unlock_is_refused_naming_who_unlocked(app_db) -> None:
    """A planner who still sees a lock that another removed is told who removed it."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota unlock conflict")
    admin = _token(emails, "admin")
    code = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0].id
    set_lock(admin, branch.id, code, branch.start, "", expected=None)
    set_lock(branch.lead, branch.id, code, branch.start, None, expected="")
    with pytest.raises(sc.ConflictError, match=emails["workforce_lead"]):
        set_lock(admin, branch.id, code, branch.start, f"{HUB}-AM", expected="")


@pytest.mark.parametrize("role", ["viewer", "executive", "manager"])
def test_roles_without_the_rota_permission_may_not_lock(app_db, role: str) -> None:
    """Viewers, executives and managers are refused a lock, and nothing is saved."""
    url, emails = app_db
    branch = _branch(url, emails, f"Rota {role}")
    code = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0].id
    with pytest.raises(auth.PermissionDeniedError):
        set_lock(_token(emails, role), branch.id, code, branch.start, "", expected=None)
    assert rota_locks(_token(emails, role), branch.id) == {}


def test_another_collaboratives_user_finds_no_scenario(app_db) -> None:
    """A manager of another collaborative gets not-found for locks and for reading them."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota outsider")
    outsider = _token(emails, "outsider")
    code = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0].id
    with pytest.raises(sc.NotFoundError):
        set_lock(outsider, branch.id, code, branch.start, "", expected=None)
    with pytest.raises(sc.NotFoundError):
        rota_locks(outsider, branch.id)
    with unit_of_work(url) as session:
        assert session.exec(select(sa.func.count()).select_from(RotaLock)).one() == 0


def test_locks_on_an_approved_scenario_are_refused(app_db) -> None:
    """The approved baseline cannot be locked; the planner is told to branch it."""
    url, emails = app_db
    base = _baseline_id(url)
    start = _first_monday(url, base)
    code = rota_problem_as_operator(base, _settings(start), url).data.staff[0].id
    with pytest.raises(sc.ScenarioError, match="approved and cannot be changed"):
        set_lock(_token(emails, "workforce_lead"), base, code, start, "", expected=None)


def test_a_lock_at_a_site_the_person_may_not_work_at_is_refused(app_db) -> None:
    """Locking someone onto a site outside their list names the person and their sites."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota sites")
    person = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0]
    assert "MIDMET" not in person.sites
    with pytest.raises(sc.ScenarioError, match="may not work at MIDMET"):
        set_lock(branch.lead, branch.id, person.id, branch.start, "MIDMET-LD", expected=None)
    with pytest.raises(sc.ScenarioError, match="not on this scenario's rota staff list"):
        set_lock(branch.lead, branch.id, "NOBODY-01", branch.start, "", expected=None)


def test_a_lock_to_a_shift_of_another_role_is_refused(app_db) -> None:
    """Locking a ward nurse onto a theatre list is refused with the shifts their role may work."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota roles")
    nurse = next(
        p.id
        for p in rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff
        if p.group == "ward_nurse"
    )
    with pytest.raises(sc.ScenarioError, match="ward"):
        set_lock(branch.lead, branch.id, nurse, branch.start, f"{HUB}-AM", expected=None)


# --- Branching and rebalancing ---------------------------------------------------------------


def test_a_branch_copies_the_rota_staff_list_with_leave_but_not_locks(app_db) -> None:
    """A new scenario holds the same people, sites, costs and leave as its source; no locks."""
    url, emails = app_db
    branch = _branch(url, emails, "Rota source")
    code = rota_problem_as_operator(branch.id, _settings(branch.start), url).data.staff[0].id
    set_lock(branch.lead, branch.id, code, branch.start, "", expected=None)
    copy = sc.create_scenario(branch.lead, branch.id, "Rota copy")

    def people(session, scenario_id: int) -> dict[str, tuple]:
        return {
            r.code: (
                r.label,
                r.role,
                r.contract,
                r.employment,
                r.skills,
                r.sites,
                r.contracted_minutes_per_week,
                r.hourly_cost_pence,
                r.organisation_id,
            )
            for r in session.exec(select(RotaStaff).where(RotaStaff.scenario_id == scenario_id))
        }

    def leave(session, scenario_id: int) -> Counter:
        return Counter(
            session.exec(
                select(RotaStaff.code, RotaLeave.start_date, RotaLeave.end_date, RotaLeave.kind)
                .join(RotaStaff, RotaStaff.id == RotaLeave.staff_id)
                .where(RotaStaff.scenario_id == scenario_id)
            ).all()
        )

    with unit_of_work(url) as session:
        assert people(session, copy) == people(session, branch.id) == people(session, branch.base)
        assert len(people(session, copy)) > 100
        assert leave(session, copy) == leave(session, branch.id)
        assert sum(leave(session, copy).values()) > 0
        source_ids = set(
            session.exec(select(RotaStaff.id).where(RotaStaff.scenario_id == branch.id)).all()
        )
        copy_ids = set(
            session.exec(select(RotaStaff.id).where(RotaStaff.scenario_id == copy)).all()
        )
        assert not source_ids & copy_ids
    assert rota_locks(branch.lead, copy) == {}
    assert len(rota_locks(branch.lead, branch.id)) == 1


def _sessions(url: str, scenario_id: int) -> dict[str, float]:
    data = rebalance_input_as_operator(scenario_id, db_url=url)
    return {h.id: h.theatre.sessions_per_theatre_per_week for h in data.hubs if h.theatre}


def _stored_rota(staffed: dict[str, float]) -> str:
    """A finished rota's stored result with no staff and these staffed sessions a week."""
    stats = SolveStats(status=Status.OPTIMAL, time_limit_seconds=3, num_workers=1, seed=0)
    return RotaOutcome(
        settings=RotaRunSettings(**_settings(dt.date(2027, 1, 4)).to_json()),
        dates=(),
        shifts={},
        staff=(),
        assignments=(),
        locked=(),
        sessions=(),
        compliance=(),
        cost=RotaCost(
            substantive=CostLine(),
            bank=CostLine(),
            agency_gaps=GapCost(),
            gaps_by_role={},
            total_pence=0,
        ),
        staffed_sessions_per_week=staffed,
        stats=RotaStats(**stats.model_dump()),
        objective_terms={},
        binding_limits=(),
        binding_count=0,
        infeasible_because=(),
        checked_objective=0,
        hard_violations=(),
        ignored_locks=(),
        rule_pack="UK defaults",
    ).model_dump_json()


def _add_rota_job(url: str, scenario_id: int, status: str, staffed: dict[str, float]) -> None:
    with unit_of_work(url) as session:
        session.add(
            SolveJob(
                scenario_id=scenario_id,
                kind="rota",
                status=status,
                progress=100,
                requested_by="workforce-lead@bcpc.test",
                parameters="{}",
                result=_stored_rota(staffed),
                finished_at=utc_now(),
            )
        )
        session.commit()


def test_rebalancing_plans_with_no_more_sessions_than_the_newest_rota_staffs(app_db) -> None:
    """A finished rota staffing fewer sessions than the timetable caps that hub's sessions only."""
    url, _emails = app_db
    base = _baseline_id(url)
    hub = _hub_rows(url, base)
    before = _sessions(url, base)
    assert before[HUB] == hub.sessions_per_week == 15

    _add_rota_job(url, base, "done", {HUB: 40.0})  # 40 sessions over 4 theatres: 10 each
    after = _sessions(url, base)
    assert after[HUB] == pytest.approx(40.0 / hub.theatres)
    assert {k: v for k, v in after.items() if k != HUB} == {
        k: v for k, v in before.items() if k != HUB
    }

    _add_rota_job(url, base, "failed", {HUB: 4.0})  # an unfinished run does not count
    assert _sessions(url, base)[HUB] == pytest.approx(10.0)
    _add_rota_job(url, base, "done", {HUB: 1000.0})  # more staff than theatres: the timetable
    assert _sessions(url, base)[HUB] == hub.sessions_per_week


# --- Errors people read ----------------------------------------------------------------------


def test_unusable_settings_name_every_field_at_once(seeded_db_url: str) -> None:
    """Weeks, sites, rule pack, demand, time limit and workers problems are all reported."""
    scenario = _baseline_id(seeded_db_url)
    bad = RotaSettings(
        start_date=dt.date(2027, 1, 4),
        weeks=13,
        site_codes=(),
        rule_pack="eu_only",
        demand="wishes",
        time_limit_seconds=0.5,
        num_workers=0,
    )
    with pytest.raises(RotaSettingsError) as error:
        rota_problem_as_operator(scenario, bad, seeded_db_url)
    fields = [p.split(":")[0] for p in error.value.problems]
    assert fields == ["weeks", "sites", "rule pack", "demand", "time limit", "workers"]
    assert "'eu_only' is not one of uk_default" in str(error.value)


def test_unknown_site_codes_are_named(seeded_db_url: str) -> None:
    """Sites the scenario lacks are named in a `sites:` problem."""
    scenario = _baseline_id(seeded_db_url)
    start = _first_monday(seeded_db_url, scenario)
    with pytest.raises(RotaSettingsError) as error:
        rota_problem_as_operator(
            scenario, _settings(start, site_codes=(HUB, "NOWHERE", "ATLANTIS")), seeded_db_url
        )
    assert error.value.problems == ["sites: NOWHERE, ATLANTIS are not sites of this scenario"]


def test_plan_demand_without_a_rebalancing_plan_is_explained(seeded_db_url: str) -> None:
    """Asking for the plan's lists before any rebalancing run says so under `demand`."""
    scenario = _baseline_id(seeded_db_url)
    start = _first_monday(seeded_db_url, scenario)
    with pytest.raises(RotaSettingsError) as error:
        rota_problem_as_operator(scenario, _settings(start, demand="plan"), seeded_db_url)
    (problem,) = error.value.problems
    assert problem.startswith("demand:") and "no finished rebalancing plan" in problem


def test_a_scenario_without_rota_staff_is_explained(app_db) -> None:
    """A scenario whose staff list is empty, or has nobody for the site, fails under `staff`."""
    url, emails = app_db
    branch = _branch(url, emails, "No staff")
    with unit_of_work(url) as session:
        session.execute(
            sa.update(RotaStaff).where(RotaStaff.scenario_id == branch.id).values(sites="MANOR")
        )
        session.commit()
    with pytest.raises(RotaSettingsError, match="^staff: nobody on this scenario's rota staff"):
        rota_problem_as_operator(branch.id, _settings(branch.start), url)
    with unit_of_work(url) as session:
        session.execute(sa.delete(RotaStaff).where(RotaStaff.scenario_id == branch.id))
        session.commit()
    with pytest.raises(ModelNotReadyError) as not_ready:
        rota_problem_as_operator(branch.id, _settings(branch.start), url)
    (reason,) = not_ready.value.reasons
    assert reason.startswith("the scenario has no rota staff")


def test_an_unknown_scenario_is_named(seeded_db_url: str) -> None:
    """Building the rota of a scenario that does not exist names its id."""
    with pytest.raises(sc.ScenarioError, match="Scenario 999999 does not exist"):
        rota_problem_as_operator(999_999, _settings(dt.date(2027, 1, 4)), seeded_db_url)


# --- Exports ---------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_worked_shift(sandwell) -> None:
    """The CSV has the export header and a row per assignment with the shift's times and hours."""
    outcome = sandwell.outcome
    text = export_csv(outcome).decode("utf-8")
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(outcome.assignments)
    assert [(r["date"], r["staff"]) for r in rows] == sorted((r["date"], r["staff"]) for r in rows)
    by_cell = {
        (outcome.dates[a.day], a.staff_id): outcome.shifts[a.shift_id] for a in outcome.assignments
    }
    for row in rows:
        shift = by_cell[row["date"], row["staff"]]
        assert row["site"] == HUB
        assert row["shift"] == KIND_LABELS[shift.kind]
        assert (row["start"], row["end"]) == (shift.start, shift.end)
        assert float(row["hours"]) == pytest.approx(shift.minutes / 60)
        assert row["employment"] in ("substantive", "bank")
    total_hours = outcome.cost.substantive.hours + outcome.cost.bank.hours
    assert sum(float(r["hours"]) for r in rows) == pytest.approx(total_hours)
    long_day = next(r for r in rows if r["shift"] == KIND_LABELS["LD"])
    assert (long_day["start"], long_day["end"], long_day["hours"]) == ("07:30", "20:00", "12.5")


def test_excel_export_has_rota_gaps_compliance_and_cost_sheets(sandwell) -> None:
    """The workbook opens and holds the rota, each gap, each rule family, fairness per WTE, the
    three costs and their total, and a printable grid of the hub's week."""
    outcome = sandwell.outcome
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(outcome)), read_only=True)
    first = dt.date.fromisoformat(outcome.dates[0])
    assert book.sheetnames == [
        "Rota",
        "Gaps",
        "Compliance",
        "Fairness",
        "Cost",
        f"{HUB} wk1 {first:%d %b}",
    ]
    rota = list(book["Rota"].iter_rows(values_only=True))
    assert rota[0] == EXPORT_COLUMNS
    assert len(rota) - 1 == len(outcome.assignments)
    gaps = list(book["Gaps"].iter_rows(values_only=True))
    short = [r for r in outcome.sessions if r.short]
    assert len(gaps) - 1 == len(short)
    if short:
        head = gaps[0]
        places = sum(row[head.index("short")] for row in gaps[1:])
        assert places == sum(r.short for r in outcome.sessions)
    compliance = list(book["Compliance"].iter_rows(values_only=True))
    assert [r[0] for r in compliance[1:]] == list(RULE_LABELS.values())
    breaches = compliance[0].index("breaches")
    assert all(r[breaches] == 0 for r in compliance[1:])
    fairness = list(book["Fairness"].iter_rows(values_only=True))
    assert fairness[0] == FAIRNESS_COLUMNS
    assert len(fairness) - 1 == len(outcome.fairness) > 0
    kinds = {(r[0], r[1]): r for r in fairness[1:]}
    nurses, line = (
        kinds["ward_nurse", "nights"],
        next(f for f in outcome.fairness if (f.group, f.kind) == ("ward_nurse", "nights")),
    )
    assert (nurses[3], nurses[4], nurses[5]) == (line.fewest / 100, line.most / 100, 25)
    cost = list(book["Cost"].iter_rows(values_only=True))
    head = cost[0]
    assert [r[0] for r in cost[1:]] == [
        "Substantive",
        "Bank",
        "Bank pool",
        "Agency pool",
        "Left short (at the agency cap, not spent)",
        "Total",
    ]
    pence = [r[head.index("pence")] for r in cost[1:-2]]  # what is spent, not what is left
    assert sum(pence) == outcome.cost.total_pence == cost[-1][head.index("pence")]
    book.close()


def test_plan_demand_runs_the_lists_the_rebalancing_plan_needs(app_db) -> None:
    """With demand from the plan, a week's lists are its cases' minutes over usable list minutes."""
    url, _emails = app_db
    base = _baseline_id(url)
    start = _first_monday(url, base)
    # 30 orthopaedic cases of 100 minutes in week 1 = 3,000 minutes; a list day of 600 minutes at
    # 85% utilisation uses 510, so 6 list days, one on each of the hub's 6 operating days.
    plan = [
        PlanRow(provider="RXK", tfc="C_110", hub=hub, week=1, wait_band_weeks=0, patients=n)
        for hub, n in ((HUB, 30.0), ("CANNOCK", 500.0))
    ]
    stats = SolveStats(status=Status.OPTIMAL, time_limit_seconds=3, num_workers=1, seed=0)
    with unit_of_work(url) as session:
        session.add(
            SolveJob(
                scenario_id=base,
                kind="rebalance",
                status="done",
                progress=100,
                requested_by="manager@bcpc.test",
                result=RebalanceResult(stats=stats, plan=plan).model_dump_json(),
                finished_at=utc_now(),
            )
        )
        session.commit()
    problem = rota_problem_as_operator(base, _settings(start, demand="plan"), url)
    lists = {day: n for (site, day), n in problem.lists.items() if site == HUB}
    assert lists == {day: 1 for day in range(HUB_OPERATING_DAYS_PER_WEEK)}
    surgeons = {n.skill for n in problem.needs if n.role is StaffRole.SURGEON}
    assert surgeons == {"surgeon:C_110"}
    two_weeks = rota_problem_as_operator(base, _settings(start, demand="plan", weeks=2), url)
    assert all(n == 0 for (site, day), n in two_weeks.lists.items() if day >= 7)
