"""A scenario's rota problem: its sites, shifts, theatre lists, cover needs and rule packs.

`rota_problem` checks the settings, reads the scenario once into a snapshot (`rota_snapshot.py`)
and hands it to `problem_from_snapshot`, a pure translation (no database) into the solver's
`RotaInput` with what is needed to show its answer; the demand it models is described in
`services/rota.py`. `tests/unit/test_rota_problem.py` tests the translation on hand-built
snapshots.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlmodel import Session

from ics_capacity.db.models import (
    BedCapacity,
    Scenario,
    Site,
    TheatreCapacity,
)
from ics_capacity.domain.rota_assumptions import (
    AGENCY_ON_COST,
    BASIC_HOURLY_PENCE,
    COVER_FIRST_PENCE,
    FAIRNESS_BAND_PENCE,
    FAIRNESS_BAND_PERCENT,
    FAIRNESS_PENCE,
    PATIENTS_PER_WARD_NURSE,
    PUBLISHED_CHANGE_PENCE,
    THEATRE_DAY_START_MINUTE,
    THEATRE_TEAM,
    TRAVEL_PENCE_PER_MINUTE,
    UNFILLED_PENCE,
    WARD_LONG_DAY,
    WARD_NIGHT,
)
from ics_capacity.domain.staff import StaffContract, StaffRole
from ics_capacity.importers.rota_history import HistoryRow
from ics_capacity.services.readiness import require_ready, rota_reasons
from ics_capacity.services.results import PublishedUsed
from ics_capacity.services.rota_history import previous_rota_history, uploaded_history
from ics_capacity.services.rota_people import (
    people_info,
    solver_locks,
    solver_requests,
    solver_staff,
)
from ics_capacity.services.rota_settings import (
    COLLABORATIVE,
    KIND_LABELS,
    MINUTE_RULES,
    RULE_PACKS,
    SOFT_RULE_PENCE_PER_MINUTE,
    SOFT_RULE_PENCE_PER_UNIT,
    RotaProblem,
    RotaSettings,
    RotaSettingsError,
    SlotNeed,
    bank_holidays,
    list_days,
    operating_days,
)
from ics_capacity.services.rota_snapshot import RotaSnapshot, read_snapshot
from solvers.rota import rules
from solvers.rota.pool_schema import Pool
from solvers.rota.schema import (
    PENALTY_UNIT,
    CoverRequirement,
    Fairness,
    RotaInput,
    RuleFamily,
    RuleMode,
    ShiftType,
)

# --- Building the problem ----------------------------------------------------------------------


def rota_problem(
    session: Session,
    scenario: Scenario,
    settings: RotaSettings,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaProblem:
    """The rota problem of a scenario under these settings (reads only).

    The shifts of the 14 days before the start count towards every rolling rule: those of
    `history` (an uploaded record, `importers.rota_history`) when given, else those of the
    scenario's last rota when it ends the day before this one starts.

    Raises:
        RotaSettingsError: If the settings are unusable or name sites the scenario lacks.
        ImportValidationError: If the uploaded history names shifts or dates this rota lacks.
    """
    require_ready("rota", rota_reasons(session, scenario, settings.site_codes))
    problems = settings.problems()
    if problems:
        raise RotaSettingsError(problems)
    dates = [settings.start_date + dt.timedelta(days=d) for d in range(settings.weeks * 7)]
    snapshot = read_snapshot(session, scenario.id, settings, dates, with_previous=history is None)
    return problem_from_snapshot(snapshot, settings, history, history_file)


def problem_from_snapshot(
    snapshot: RotaSnapshot,
    settings: RotaSettings,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaProblem:
    """The rota problem of a snapshot under these (valid) settings; no database.

    Raises:
        RotaSettingsError: If the settings name sites the scenario lacks, or the sites have nothing
            to staff or nobody to staff it.
        ImportValidationError: If the uploaded history names shifts or dates this rota lacks.
    """
    sites = snapshot.sites
    unknown = [c for c in settings.site_codes if c not in sites]
    if unknown:
        raise RotaSettingsError([f"sites: {', '.join(unknown)} are not sites of this scenario"])
    chosen = [sites[c] for c in settings.site_codes]
    horizon = settings.weeks * 7
    dates = [settings.start_date + dt.timedelta(days=d) for d in range(horizon)]
    theatres, beds = snapshot.theatres, snapshot.beds
    shift_types, shift_meta, list_minutes = _shift_types(chosen, theatres, beds)
    closed = bank_holidays(dates)
    lists, tfc_lists = _theatre_lists(snapshot, settings, chosen, theatres, dates, closed)
    needs = _needs(chosen, beds, dates, lists, tfc_lists, list_minutes)
    people, staff_rows = people_info(snapshot, settings)
    if not staff_rows:
        raise RotaSettingsError(
            ["staff: nobody on this scenario's rota staff list may work at the chosen sites"]
        )
    staff = solver_staff(snapshot.leave, staff_rows, settings, sites, shift_types, dates)
    locks, ignored = solver_locks(snapshot.locks, staff_rows, dates, shift_meta)
    requests = solver_requests(snapshot.requests, staff_rows, dates, settings)
    data = RotaInput(
        horizon_days=horizon,
        first_weekday=settings.start_date.weekday(),
        shift_types=tuple(shift_types),
        staff=tuple(staff),
        cover=tuple(
            CoverRequirement(
                day=n.day,
                shift_id=f"{n.site}-{n.kind}",
                skill=n.skill,
                required=n.required,
                under_weight=COVER_FIRST_PENCE,
                over_weight=0,
                unfilled_weight=UNFILLED_PENCE,
            )
            for n in needs
        ),
        pools=pools_for(needs, settings),
        requests=tuple(requests),
        locked=tuple(locks),
        rule_modes=_rule_modes(settings.soft_rules),
        travel_weight=TRAVEL_PENCE_PER_MINUTE,
        fairness=Fairness(
            nights_weight=FAIRNESS_PENCE,
            weekends_weight=FAIRNESS_PENCE,
            cross_site_weight=FAIRNESS_PENCE,
            band_percent=FAIRNESS_BAND_PERCENT,
            band_weight=FAIRNESS_BAND_PENCE,
        ),
    )
    choice = RULE_PACKS[settings.rule_pack]
    contracts = {p.code: StaffContract(p.contract) for p in people.values()}
    for pack, applies_to in choice.packs:
        ids = None if applies_to is None else {c for c, k in contracts.items() if k in applies_to}
        if ids is None or ids:
            data = rules.apply_rule_pack(data, pack, ids)
    if history is not None:
        past, used = uploaded_history(data, settings.start_date, history, history_file)
    else:
        past, used = previous_rota_history(snapshot.previous, data, settings.start_date)
    if used is not None:
        data = RotaInput.model_validate(
            {**data.model_dump(), "history": past, "history_days": used.days}
        )
    published: PublishedUsed | None = None
    if settings.keep_published:
        kept, published = list(snapshot.published), snapshot.published_used
        if published is not None:
            data = RotaInput.model_validate(
                {
                    **data.model_dump(),
                    "published": kept,
                    "published_weight": PUBLISHED_CHANGE_PENCE,
                }
            )
    return RotaProblem(
        data=data,
        settings=settings,
        dates=dates,
        people=people,
        shifts=shift_meta,
        needs=needs,
        lists=lists,
        list_minutes=list_minutes,
        ignored_locks=ignored,
        bank_holidays=closed,
        bank_holiday_list_sites=tuple(s.code for s in chosen if s.bank_holiday_lists),
        history=used,
        published=published,
    )


def _rule_modes(soft: bool) -> dict[RuleFamily, RuleMode]:
    if not soft:
        return {}
    return {
        family: RuleMode(
            hard=False,
            weight=SOFT_RULE_PENCE_PER_MINUTE
            if family in MINUTE_RULES
            else SOFT_RULE_PENCE_PER_UNIT,
        )
        for family in PENALTY_UNIT
    }


def _shift_types(
    chosen: list[Site],
    theatres: dict[int, TheatreCapacity],
    beds: dict[int, BedCapacity],
) -> tuple[list[ShiftType], dict[str, dict[str, Any]], dict[str, int]]:
    """The shifts of each chosen site: list halves and the all-day list; ward long day and night."""
    shifts: list[ShiftType] = []
    meta: dict[str, dict[str, Any]] = {}
    list_minutes: dict[str, int] = {}

    def add(site: Site, kind: str, start: int, minutes: int, counts_as: frozenset[str]) -> None:
        shift = ShiftType(
            id=f"{site.code}-{kind}",
            duration_minutes=minutes,
            start_minute=start % (24 * 60),
            site=site.code,
            counts_as=counts_as,
        )
        shift = shift.model_copy(update={"night": rules.is_night_shift(shift)})
        shifts.append(shift)
        meta[shift.id] = {
            "site": site.code,
            "site_name": site.name,
            "kind": kind,
            "label": f"{site.name}: {KIND_LABELS[kind]}",
            "start": f"{start // 60 % 24:02d}:{start % 60:02d}",
            "end": f"{(start + minutes) // 60 % 24:02d}:{(start + minutes) % 60:02d}",
            "minutes": minutes,
        }

    for site in chosen:
        theatre = theatres.get(site.id)
        if theatre is not None and theatre.theatres > 0 and theatre.sessions_per_week > 0:
            day_minutes = round(
                theatre.sessions_per_week * theatre.session_minutes / operating_days(site)
            )
            half = day_minutes // 2
            start = THEATRE_DAY_START_MINUTE
            list_minutes[site.code] = day_minutes
            add(site, "AM", start, half, frozenset())
            add(site, "PM", start + half, day_minutes - half, frozenset())
            add(
                site,
                "DAY",
                start,
                day_minutes,
                frozenset({f"{site.code}-AM", f"{site.code}-PM"}),
            )
        bed = beds.get(site.id)
        if bed is not None and bed.elective_overnight_beds > 0:
            add(site, "LD", WARD_LONG_DAY[0], WARD_LONG_DAY[1], frozenset())
            add(site, "N", WARD_NIGHT[0], WARD_NIGHT[1], frozenset())
    if not shifts:
        raise RotaSettingsError(["sites: the chosen sites have no theatres or elective beds"])
    return shifts, meta, list_minutes


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Splits `total` whole units in proportion to the weights (Hamilton's method)."""
    if total <= 0 or not weights:
        return dict.fromkeys(weights, 0)
    whole = sum(weights.values())
    if whole <= 0:
        weights = dict.fromkeys(weights, 1.0)
        whole = float(len(weights))
    exact = {k: total * w / whole for k, w in weights.items()}
    share = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(share.values())
    for k in sorted(exact, key=lambda k: (share[k] - exact[k], k))[:left]:
        share[k] += 1
    return share


def _theatre_lists(
    snapshot: RotaSnapshot,
    settings: RotaSettings,
    chosen: list[Site],
    theatres: dict[int, TheatreCapacity],
    dates: list[dt.date],
    closed: dict[dt.date, str] | None = None,
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], dict[str, int]]]:
    """Lists run per (site, day), and how they are shared between treatment functions.

    No lists run on the bank holidays in `closed` unless the site opts in (`list_days`).
    """
    site_tfcs = snapshot.site_tfcs
    waiting = snapshot.waiting
    plan = snapshot.plan
    if settings.demand == "plan" and plan is None:
        raise RotaSettingsError(
            ["demand: this scenario has no finished rebalancing plan; run one or use the timetable"]
        )
    lists: dict[tuple[str, int], int] = {}
    tfc_lists: dict[tuple[str, int], dict[str, int]] = {}
    for site in chosen:
        theatre = theatres.get(site.id)
        if theatre is None or theatre.theatres <= 0 or theatre.sessions_per_week <= 0:
            continue
        days_open = operating_days(site)
        tfcs = sorted(site_tfcs.get(site.id, ())) or ["X05"]
        day_minutes = theatre.sessions_per_week * theatre.session_minutes / days_open
        usable = day_minutes * float(theatre.utilisation_target)
        for day in list_days(site, dates, closed or {}):
            date = dates[day]
            week = day // 7 + 1
            if plan is None:
                count = theatre.theatres
                weights = {t: float(waiting.get(t, 0)) for t in tfcs}
            else:
                minutes = plan.get((site.code, week), {})
                per_week = math.ceil(sum(minutes.values()) / usable) if usable else 0
                spread = _largest_remainder(per_week, {str(d): 1.0 for d in range(days_open)})
                count = min(theatre.theatres, spread[str(date.weekday())])
                weights = {t: minutes.get(t, 0.0) for t in tfcs}
            lists[site.code, day] = count
            tfc_lists[site.code, day] = _largest_remainder(count, weights)
    return lists, tfc_lists


def _agency_pence(role: StaffRole, minutes: int) -> int:
    return round(BASIC_HOURLY_PENCE[role] * AGENCY_ON_COST * minutes / 60)


def pools_for(needs: list[SlotNeed], settings: RotaSettings) -> tuple[Pool, ...]:
    """A bank and an agency pool per site and role (or per role), priced over basic pay.

    Each pool serves its role's places at its site (or all sites); agency is held to the NHS
    agency price cap, basic pay x `AGENCY_ON_COST` (docs/assumptions.md section 9).
    """
    served: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for n in needs:
        scope = n.site if settings.pool_scope == "site" else COLLABORATIVE
        shifts, skills = served.setdefault((scope, n.role), (set(), set()))
        shifts.add(f"{n.site}-{n.kind}")
        skills.add(n.skill)
    period = 7 if settings.pool_period == "week" else None
    pools = []
    for (scope, role), (shifts, skills) in sorted(served.items()):
        basic = BASIC_HOURLY_PENCE[StaffRole(role)]
        for kind, percent, shifts_cap in (
            ("bank", settings.bank_uplift_percent, settings.bank_pool_shifts),
            ("agency", settings.agency_uplift_percent, settings.agency_pool_shifts),
        ):
            pools.append(
                Pool(
                    id=f"{kind}:{scope}:{role}",
                    kind=kind,  # type: ignore[arg-type]
                    shift_ids=frozenset(shifts),
                    skills=frozenset(skills),
                    price_per_hour=round(basic * (100 + percent) / 100),
                    price_cap_per_hour=round(basic * AGENCY_ON_COST) if kind == "agency" else None,
                    max_shifts=shifts_cap,
                    period_days=period,
                )
            )
    return tuple(pools)


def _needs(
    chosen: list[Site],
    beds: dict[int, BedCapacity],
    dates: list[dt.date],
    lists: dict[tuple[str, int], int],
    tfc_lists: dict[tuple[str, int], dict[str, int]],
    list_minutes: dict[str, int],
) -> list[SlotNeed]:
    """Staff wanted per site, day, slot and skill: the theatre team of every list, ward nurses."""
    needs: list[SlotNeed] = []
    for (site, day), count in sorted(lists.items()):
        if count <= 0:
            continue
        half = list_minutes[site] // 2
        for kind in ("AM", "PM"):
            for tfc, n in sorted(tfc_lists[site, day].items()):
                if n > 0:
                    needs.append(
                        SlotNeed(
                            site,
                            day,
                            kind,
                            f"surgeon:{tfc}",
                            StaffRole.SURGEON,
                            n,
                            _agency_pence(StaffRole.SURGEON, half),
                        )
                    )
            for need in THEATRE_TEAM:
                if need.role is StaffRole.SURGEON:
                    continue
                needs.append(
                    SlotNeed(
                        site,
                        day,
                        kind,
                        need.role,
                        need.role,
                        need.per_list * count,
                        _agency_pence(need.role, half),
                    )
                )
    for site in chosen:
        bed = beds.get(site.id)
        if bed is None or bed.elective_overnight_beds <= 0:
            continue
        occupied = bed.elective_overnight_beds * float(bed.occupancy_target)
        nurses = math.ceil(occupied / PATIENTS_PER_WARD_NURSE)
        for day in range(len(dates)):
            for kind, (_start, minutes) in (("LD", WARD_LONG_DAY), ("N", WARD_NIGHT)):
                needs.append(
                    SlotNeed(
                        site.code,
                        day,
                        kind,
                        StaffRole.WARD_NURSE,
                        StaffRole.WARD_NURSE,
                        nurses,
                        _agency_pence(StaffRole.WARD_NURSE, minutes),
                    )
                )
    return needs
