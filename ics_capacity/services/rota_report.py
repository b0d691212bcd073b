"""Solving a rota problem and describing the answer: the rota people see, its cost, compliance."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict

from ics_capacity.domain.assumptions import SESSION_MINUTES
from ics_capacity.domain.rota_assumptions import THEATRE_TEAM
from ics_capacity.domain.staff import Employment
from ics_capacity.services.results import (
    Cell,
    ComplianceRow,
    CostLine,
    GapCost,
    HardViolation,
    LimitRow,
    LockRow,
    PublishedChangeRow,
    RotaCost,
    RotaOutcome,
    RotaRunSettings,
    RotaStats,
    SessionRow,
    ShiftMeta,
    StaffRow,
)
from ics_capacity.services.rota_pools import pool_report
from ics_capacity.services.rota_settings import (
    RULE_LABELS,
    RULE_PACKS,
    STALL_MIN_SECONDS,
    STALL_SHARE,
    RotaProblem,
    SlotNeed,
)
from solvers.common import SolveOptions
from solvers.rota.check import RotaCheck, check_rota
from solvers.rota.model import solve_rota
from solvers.rota.schema import PENALTY_UNIT, RotaResult

# --- Solving and describing --------------------------------------------------------------------


def stall_seconds(time_limit_seconds: float) -> float:
    """How long a search may go without a better rota before it stops by itself.

    A quarter of the time limit, at least 15 s: more time would most likely be wasted.
    """
    return max(STALL_MIN_SECONDS, STALL_SHARE * time_limit_seconds)


def solve_problem(
    problem: RotaProblem, progress: Callable[[int, str], None] | None = None
) -> RotaOutcome:
    """Solves the rota and describes it for the page, the CLI and exports."""
    s = problem.settings
    options = SolveOptions(
        time_limit_seconds=s.time_limit_seconds,
        num_workers=s.num_workers,
        seed=s.seed,
        explain_infeasibility=True,
        stall_seconds=stall_seconds(s.time_limit_seconds),
    )
    if progress:
        progress(10, f"Solving {len(problem.data.staff)} staff over {len(problem.dates)} days")
    # The whole horizon in one model, started from a rota built day by day (solvers/rota/
    # construct.py): on the demo's 12 weeks for both hubs this leaves no place short where solving
    # a week at a time (solvers/rota/rolling.py) left 2,466 (docs/benchmarks.md).
    result = solve_rota(problem.data, options)
    return describe(problem, result)


def describe(problem: RotaProblem, result: RotaResult) -> RotaOutcome:
    """The rota as people read it: grid, sessions with gaps, compliance, cost, staffed lists."""
    data = problem.data
    stats = result.stats
    check = (
        check_rota(data, result.assignments, result.pool_fills)
        if stats.status.has_solution
        else None
    )
    worked: dict[tuple[str, int], str] = {
        (a.staff_id, a.day): a.shift_id for a in result.assignments
    }
    locked = {(lk.staff_id, lk.day): lk.shift_id or "" for lk in data.locked}
    staff_by_id = {p.id: p for p in data.staff}
    shift_by_id = {s.id: s for s in data.shift_types}
    rows = []
    for code, person in problem.people.items():
        solver_person = staff_by_id[code]
        cells = tuple(
            Cell(
                shift=worked.get((code, day), ""),
                locked=(code, day) in locked,
                leave=day in solver_person.days_off,
            )
            for day in range(data.horizon_days)
        )
        minutes = sum(
            shift_by_id[worked[code, d]].duration_minutes
            for d in range(data.horizon_days)
            if (code, d) in worked
        )
        rows.append(StaffRow(**asdict(person), cells=cells, minutes=minutes))
    sessions = _session_rows(problem, worked, result)
    return RotaOutcome(
        settings=RotaRunSettings(**problem.settings.to_json()),
        dates=tuple(d.isoformat() for d in problem.dates),
        shifts={code: ShiftMeta(**meta) for code, meta in problem.shifts.items()},
        staff=tuple(rows),
        assignments=result.assignments,
        locked=tuple(LockRow(**lk.model_dump()) for lk in data.locked),
        sessions=sessions,
        compliance=_compliance(problem, result, check),
        cost=_cost(problem, worked, sessions, result, check),
        staffed_sessions_per_week=_staffed_sessions(problem, worked),
        stats=RotaStats(
            **stats.model_dump(),
            places_short=result.places_short,
            places_short_lower_bound=result.places_short_lower_bound,
        ),
        objective_terms=result.objective_terms,
        binding_limits=tuple(LimitRow(**b.model_dump()) for b in result.binding_limits[:200]),
        binding_count=len(result.binding_limits),
        infeasible_because=tuple(LimitRow(**b.model_dump()) for b in result.infeasible_because),
        checked_objective=check.objective if check else None,
        hard_violations=tuple(HardViolation(**v.model_dump()) for v in check.violations)
        if check
        else (),
        ignored_locks=tuple(problem.ignored_locks),
        rule_pack=RULE_PACKS[problem.settings.rule_pack].label,
        bank_holidays={d.isoformat(): name for d, name in sorted(problem.bank_holidays.items())},
        bank_holiday_list_sites=problem.bank_holiday_list_sites,
        history=problem.history,
        published=problem.published,
        published_changes=_published_change_rows(problem, result),
        pool_fills=result.pool_fills,
        fairness=check.fairness if check else (),
    )


def _published_change_rows(
    problem: RotaProblem, result: RotaResult
) -> tuple[PublishedChangeRow, ...]:
    """Every published day the build changed, in planners' words (shift ids; "" = off)."""
    return tuple(
        PublishedChangeRow(
            staff_id=c.staff_id,
            label=problem.people[c.staff_id].label if c.staff_id in problem.people else c.staff_id,
            date=problem.dates[c.day].isoformat(),
            was=c.was or "",
            now=c.now or "",
            why=c.why,
        )
        for c in result.published_changes
    )


def _counts(
    problem: RotaProblem, worked: dict[tuple[str, int], str]
) -> dict[tuple[int, str, str], int]:
    """People counted per (day, slot shift id, skill), honouring all-day shifts."""
    data = problem.data
    staff_by_id = {p.id: p for p in data.staff}
    shift_by_id = {s.id: s for s in data.shift_types}
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    for (code, day), shift_id in worked.items():
        shift = shift_by_id[shift_id]
        for slot in {shift_id, *shift.counts_as}:
            for skill in staff_by_id[code].skills:
                counts[day, slot, skill] += 1
    return counts


def _pool_places(problem: RotaProblem, result: RotaResult) -> dict[tuple[int, str, str], Counter]:
    """Places filled from pools per (day, slot shift id, skill), by pool kind."""
    kinds = {p.id: p.kind for p in problem.data.pools}
    places: dict[tuple[int, str, str], Counter] = defaultdict(Counter)
    for fill in result.pool_fills:
        places[fill.day, fill.shift_id, fill.skill or ""][kinds[fill.pool_id]] += fill.places
    return places


def _session_rows(
    problem: RotaProblem, worked: dict[tuple[str, int], str], result: RotaResult
) -> tuple[SessionRow, ...]:
    counts = _counts(problem, worked)
    pooled = _pool_places(problem, result)
    rows = []
    for need in problem.needs:
        slot = f"{need.site}-{need.kind}"
        staffed = counts.get((need.day, slot, need.skill), 0)
        filled = pooled.get((need.day, slot, need.skill), Counter())
        rows.append(
            SessionRow(
                site=need.site,
                day=need.day,
                kind=need.kind,
                skill=need.skill,
                role=str(need.role),
                required=need.required,
                staffed=min(staffed, need.required),
                short=max(0, need.required - staffed),
                agency_pence=need.agency_pence,
                bank=filled["bank"],
                agency=filled["agency"],
            )
        )
    return tuple(rows)


def _staffed_sessions(problem: RotaProblem, worked: dict[tuple[str, int], str]) -> dict[str, float]:
    """Theatre sessions a week each site can run with a whole team, half-day by half-day.

    In each half a list is staffed when it has its surgeon (lists short of a surgeon are summed
    over specialties) and the other roles can make up that many teams.
    """
    counts = _counts(problem, worked)
    per_list = {n.role.value: n.per_list for n in THEATRE_TEAM}
    needs_by_slot: dict[tuple[str, int, str], list[SlotNeed]] = defaultdict(list)
    for n in problem.needs:
        needs_by_slot[n.site, n.day, n.kind].append(n)
    by_site: dict[str, float] = defaultdict(float)
    for (site, day), count in problem.lists.items():
        # A list day of `minutes` is this many sessions (2.5 in a 10-hour hub day); half each half.
        sessions_per_half = problem.list_minutes[site] / SESSION_MINUTES / 2
        for kind in ("AM", "PM"):
            needs = needs_by_slot.get((site, day, kind), [])
            if not needs or count == 0:
                continue
            slot = f"{site}-{kind}"
            have = {n.skill: counts.get((day, slot, n.skill), 0) for n in needs}
            no_surgeon = sum(
                max(0, n.required - have[n.skill]) for n in needs if n.skill.startswith("surgeon:")
            )
            full = count - no_surgeon
            for n in needs:
                if not n.skill.startswith("surgeon:"):
                    full = min(full, have[n.skill] // per_list[n.skill])
            by_site[site] += max(0, full) * sessions_per_half
    weeks = problem.settings.weeks
    return {site: round(total / weeks, 2) for site, total in sorted(by_site.items())}


def _cost(
    problem: RotaProblem,
    worked: dict[tuple[str, int], str],
    sessions: tuple[SessionRow, ...],
    result: RotaResult,
    check: RotaCheck | None,
) -> RotaCost:
    shift_by_id = {s.id: s for s in problem.data.shift_types}
    by: dict[str, dict[str, float]] = defaultdict(lambda: {"shifts": 0, "hours": 0.0, "pence": 0})
    for (code, _day), shift_id in worked.items():
        person = problem.people[code]
        hours = shift_by_id[shift_id].duration_minutes / 60
        row = by[person.employment]
        row["shifts"] += 1
        row["hours"] += hours
        row["pence"] += round(person.hourly_cost_pence * hours)
    gaps_by_role: dict[str, dict[str, int]] = defaultdict(lambda: {"places": 0, "pence": 0})
    for r in sessions:
        left = r.short - r.bank - r.agency
        if left:
            gaps_by_role[r.role]["places"] += left
            gaps_by_role[r.role]["pence"] += left * r.agency_pence
    pools = pool_report(problem, result, sessions)
    bank_pool = GapCost(
        places=sum(p.bank_shifts for p in pools.rows), pence=sum(p.bank_pence for p in pools.rows)
    )
    agency_pool = GapCost(
        places=sum(p.agency_shifts for p in pools.rows),
        pence=sum(p.agency_pence for p in pools.rows),
    )
    spent = {u.pool_id: (u.shifts, u.pence) for u in pools.use if u.shifts}
    checked = check is not None and spent == {
        k: (n, check.pool_pence[k]) for k, n in check.pool_places.items()
    }
    return RotaCost(
        substantive=CostLine(**by.get(Employment.SUBSTANTIVE.value, {})),
        bank=CostLine(**by.get(Employment.BANK.value, {})),
        agency_gaps=GapCost(
            places=sum(g["places"] for g in gaps_by_role.values()),
            pence=sum(g["pence"] for g in gaps_by_role.values()),
        ),
        gaps_by_role={role: GapCost(**gaps) for role, gaps in gaps_by_role.items()},
        total_pence=round(sum(v["pence"] for v in by.values()))
        + bank_pool.pence
        + agency_pool.pence,
        bank_pool=bank_pool,
        agency_pool=agency_pool,
        pools=pools.rows,
        pool_use=pools.use,
        pools_checked=checked,
    )


def _compliance(
    problem: RotaProblem, result: RotaResult, check: RotaCheck | None
) -> tuple[ComplianceRow, ...]:
    """One row per rule family: hard or soft, breaches found by the checker and soft slack used."""
    data = problem.data
    hard_breaches: dict[str, int] = defaultdict(int)
    if check is not None:
        for v in check.violations:
            hard_breaches[str(v.rule)] += 1
    soft_units: dict[str, int] = defaultdict(int)
    at_limit: dict[str, set[str]] = defaultdict(set)
    for b in result.binding_limits:
        if b.shortfall > 0 and b.name != "cover":
            soft_units[b.name] += b.shortfall
        elif b.shortfall == 0:
            at_limit[b.name].add(b.where)
    rows = []
    for family, label in RULE_LABELS.items():
        mode = data.mode(family)
        rows.append(
            ComplianceRow(
                rule=label,
                family=str(family),
                mode="hard"
                if mode.hard
                else f"soft ({mode.weight:,} p per {PENALTY_UNIT.get(family, 'unit')})",
                breaches=hard_breaches.get(str(family), 0) + soft_units.get(str(family), 0),
                at_limit=len(at_limit.get(str(family), set())),
            )
        )
    return tuple(rows)
