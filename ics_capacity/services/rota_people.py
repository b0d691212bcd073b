"""Who may work on a rota: the scenario's rota staff, their costs, leave, locks and wishes.

Reads the staff list, leave, locks and requests of a scenario and turns them into the solver's
`Staff`, `LockedAssignment` and `ShiftRequest` (`solvers/rota/schema.py`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ics_capacity.db.models import (
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
    Site,
)
from ics_capacity.domain.rota_assumptions import (
    BANK_ON_COST,
    BASIC_HOURLY_PENCE,
    CONTRACTED_MINUTES_PER_WEEK,
    REQUEST_PENCE,
    RESIDENT_DOCTOR_BASIC_HOURLY_PENCE,
    SUBSTANTIVE_ON_COST,
)
from ics_capacity.domain.staff import Employment, StaffContract, StaffRole
from ics_capacity.services.rebalance import travel_minutes
from ics_capacity.services.rota_settings import (
    THEATRE_KINDS,
    WARD_KINDS,
    PersonInfo,
    RotaSettings,
    split_codes,
)
from ics_capacity.services.rota_snapshot import RotaSnapshot
from solvers.rota.schema import LockedAssignment, ShiftRequest, ShiftType, Staff


def people_info(
    snapshot: RotaSnapshot, settings: RotaSettings
) -> tuple[dict[str, PersonInfo], list[RotaStaff]]:
    """What the page shows of each person who may work at a chosen site, and their staff rows."""
    orgs, rows, sites = snapshot.organisations, snapshot.staff, snapshot.sites
    chosen = set(settings.site_codes)
    kept = [r for r in rows if chosen & set(split_codes(r.sites))]
    people = {
        r.code: PersonInfo(
            code=r.code,
            label=r.label,
            role=r.role,
            grade=r.grade,
            trust=orgs.get(r.organisation_id, ("?", ""))[0],
            trust_name=orgs.get(r.organisation_id, ("?", ""))[1],
            home_site=r.home_site_code,
            home_site_name=sites[r.home_site_code].name if r.home_site_code in sites else "",
            employment=r.employment,
            contract=r.contract,
            hourly_cost_pence=r.hourly_cost_pence,
        )
        for r in kept
    }
    return people, kept


def hourly_cost_pence(role: StaffRole, contract: StaffContract, employment: Employment) -> int:
    """What an hour of this person costs the collaborative, in pence (substantive < bank)."""
    basic = (
        RESIDENT_DOCTOR_BASIC_HOURLY_PENCE
        if contract is StaffContract.RESIDENT_DOCTOR_2016
        else BASIC_HOURLY_PENCE[role]
    )
    factor = BANK_ON_COST if employment is Employment.BANK else SUBSTANTIVE_ON_COST
    return round(basic * factor)


def solver_staff(
    leave_rows: Sequence[RotaLeave],
    rows: list[RotaStaff],
    settings: RotaSettings,
    sites: dict[str, Site],
    shift_types: list[ShiftType],
    dates: list[dt.date],
) -> list[Staff]:
    """Each person as the solver sees them: skills, sites, limits, leave, cost and travel."""
    leave: dict[int, set[int]] = defaultdict(set)
    first, last = dates[0], dates[-1]
    for row in leave_rows:
        if row.end_date < first or row.start_date > last:
            continue
        start = max(row.start_date, first)
        while start <= min(row.end_date, last):
            leave[row.staff_id].add((start - first).days)
            start += dt.timedelta(days=1)
    weeks = len(dates) / 7
    staff = []
    for row in rows:
        role = StaffRole(row.role)
        allowed_kinds = THEATRE_KINDS if role is not StaffRole.WARD_NURSE else WARD_KINDS
        blocked = {s.id: 0 for s in shift_types if s.id.rsplit("-", 1)[1] not in allowed_kinds}
        skills = {role.value}
        if role is StaffRole.SURGEON:
            skills |= {f"surgeon:{t}" for t in split_codes(row.skills)}
        else:
            skills |= set(split_codes(row.skills))
        home = sites.get(row.home_site_code)
        travel: dict[str, int] = {}
        for code in settings.site_codes:
            target = sites[code]
            if (
                home is not None
                and code != home.code
                and None not in (home.latitude, home.longitude, target.latitude, target.longitude)
            ):
                travel[code] = round(
                    travel_minutes(home.latitude, home.longitude, target.latitude, target.longitude)
                )
        full_time = CONTRACTED_MINUTES_PER_WEEK[StaffContract(row.contract)]
        staff.append(
            Staff(
                id=row.code,
                group=role.value,
                home_site=row.home_site_code,
                sites=frozenset(split_codes(row.sites)),
                skills=frozenset(skills),
                cost_per_hour=row.hourly_cost_pence,
                fte_tenths=max(1, min(10, round(10 * row.contracted_minutes_per_week / full_time))),
                max_shifts_per_type=blocked,
                max_total_minutes=math.floor(row.contracted_minutes_per_week * weeks),
                days_off=frozenset(leave.get(row.id, set())),
                travel_minutes=travel,
            )
        )
    return staff


def solver_locks(
    lock_rows: Sequence[RotaLock],
    rows: list[RotaStaff],
    dates: list[dt.date],
    shift_meta: dict[str, dict[str, Any]],
) -> tuple[list[LockedAssignment], list[str]]:
    """The locks of the rota's dates as the solver's, and those it cannot keep, in words."""
    codes = {r.id: r.code for r in rows}
    locks, ignored = [], []
    for lock in lock_rows:
        if not dates[0] <= lock.on_date <= dates[-1]:
            continue
        code = codes.get(lock.staff_id)
        if code is None or (lock.shift_code and lock.shift_code not in shift_meta):
            ignored.append(
                f"{lock.on_date:%a %d %b}: lock of staff {lock.staff_id} on "
                f"{lock.shift_code or 'off'} is outside the chosen sites"
            )
            continue
        locks.append(
            LockedAssignment(
                staff_id=code, day=(lock.on_date - dates[0]).days, shift_id=lock.shift_code or None
            )
        )
    return locks, ignored


def solver_requests(
    request_rows: Sequence[RotaRequest],
    rows: list[RotaStaff],
    dates: list[dt.date],
    settings: RotaSettings,
) -> list[ShiftRequest]:
    """The staff's wishes (to work, or not) on the rota's dates as the solver's shift requests."""
    by_id = {r.id: r for r in rows}
    found = []
    for req in request_rows:
        if req.staff_id not in by_id or not dates[0] <= req.on_date <= dates[-1]:
            continue
        person = by_id[req.staff_id]
        day = (req.on_date - dates[0]).days
        sites = [c for c in settings.site_codes if c in split_codes(person.sites)]
        shift_ids: list[str | None] = (
            [None] if not req.shift_kind else [f"{c}-{req.shift_kind}" for c in sites]
        )
        for shift_id in shift_ids[:1] if req.kind == "on" else shift_ids:
            found.append(
                ShiftRequest(
                    staff_id=person.code,
                    day=day,
                    shift_id=shift_id,
                    kind=req.kind,
                    weight=req.weight * REQUEST_PENCE,
                )
            )
    return found
