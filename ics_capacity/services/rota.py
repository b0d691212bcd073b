"""The shared workforce rota of a scenario: DB rows -> rota problem -> solve -> the rota people see.

Demand (docs/rota.md, "In the app"):

* theatre lists: each chosen site runs `theatres` lists on each of its operating days (Monday
  first; 6 days at elective hubs, 5 at main sites), each list a day of `sessions_per_week x
  session_minutes / operating days` minutes, split into a morning and an afternoon half. Lists are
  shared between the site's treatment functions in proportion to the collaborative's admitted
  waiting list (RTT Part_2A). With `demand="plan"`, a week's lists are instead those the latest
  rebalancing plan needs at the site (its cases x minutes per case / usable list minutes);
* every list needs the team of `THEATRE_TEAM` in both halves (a surgeon of the list's specialty,
  an anaesthetist, 2 scrub practitioners, an ODP); a person on the all-day shift covers both;
* wards: registered nurses on the long day and the night, one per `PATIENTS_PER_WARD_NURSE`
  occupied elective beds (beds x occupancy target), 7 days a week;
* no theatre lists on England's bank holidays (the `holidays` package's calendar,
  `holidays.country_holidays("GB", subdiv="ENG")`, substitute days included) unless the site
  opts in (`Site.bank_holiday_lists`); wards are staffed on those days as on any other.

Staff come from the scenario's rota staff list (`RotaStaff`, with leave and wishes); the rule pack
chosen decides the limits of each person by contract. The objective is in pence (see
`OBJECTIVE_PRICES_SOURCE`): gaps at the agency price, shifts at substantive or bank cost, then
wishes, fairness and travel. Every result is re-checked by the independent checker before it is
shown.

The code is in siblings, each named for its part: `services/rota_settings.py` (settings, labels,
rule packs, the problem's types), `services/rota_snapshot.py` (every read, once),
`services/rota_problem.py` (the pure translation: sites, shifts, lists, needs),
`services/rota_people.py` (staff, locks and wishes), `services/rota_history.py` (the history
carried in), `services/rota_report.py` (solving and the rota people see) and
`services/rota_export.py` (the files). This module holds the use cases (choices, bank holidays,
locks, downloads) and re-exports what the pages, the commands and the tests import from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    RotaLock,
    RotaStaff,
    Scenario,
    Site,
    SolveJob,
    TheatreCapacity,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.staff import StaffRole
from ics_capacity.importers.rota_history import HistoryRow
from ics_capacity.services.results import LockRow, RotaOutcome, stored_rota
from ics_capacity.services.rota_export import (
    EXPORT_COLUMNS,
    GAP_COLUMNS,
    export_csv,
    export_rows,
    export_xlsx,
    gap_rows,
    grid_sheets,
)
from ics_capacity.services.rota_people import hourly_cost_pence
from ics_capacity.services.rota_problem import rota_problem
from ics_capacity.services.rota_published import published_outcome
from ics_capacity.services.rota_report import describe, solve_problem, stall_seconds
from ics_capacity.services.rota_settings import (
    HISTORY_DAYS,
    KIND_LABELS,
    MAX_WEEKS,
    POOL_DEFAULTS,
    RULE_LABELS,
    RULE_PACKS,
    STAFF_ROLE_LABELS,
    THEATRE_KINDS,
    WARD_KINDS,
    RotaProblem,
    RotaSettings,
    RotaSettingsError,
    next_monday,
    split_codes,
)
from ics_capacity.services.scenarios import (
    EDITABLE_STATUSES,
    ConflictError,
    NotFoundError,
    ScenarioError,
    ScenarioUse,
    audit,
    audit_download,
    scenario_transaction,
)

# --- Use cases --------------------------------------------------------------------------------


def rota_choices(token: str, scenario_id: int) -> dict[str, Any]:
    """Sites (hubs first), rule packs and the default start date, for a member who may view."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session, scenario = use.session, use.scenario
        sites = session.exec(select(Site).where(Site.scenario_id == scenario.id)).all()
        staffed = set(
            session.exec(
                select(RotaStaff.home_site_code).where(RotaStaff.scenario_id == scenario.id)
            ).all()
        )
        return {
            "sites": [
                {
                    "code": s.code,
                    "name": s.name,
                    "hub": s.is_elective_hub,
                    "bank_holiday_lists": s.bank_holiday_lists,
                }
                for s in sorted(sites, key=lambda s: (not s.is_elective_hub, s.name))
            ],
            "rule_packs": [{"id": c.id, "label": c.label} for c in RULE_PACKS.values()],
            "start_date": next_monday().isoformat(),
            "has_staff": bool(staffed),
            "status": scenario.status,
            "editable": scenario.status in EDITABLE_STATUSES,
        }


def set_bank_holiday_lists(token: str, scenario_id: int, site_code: str, run: bool) -> str:
    """Lets a site run theatre lists on bank holidays (`run`), or not; returns a sentence.

    A scenario setting like a lock: only while the scenario may be edited, audited.
    """
    with scenario_transaction(token, scenario_id, Permission.RUN_ROTA, editable=True) as use:
        session, scenario = use.session, use.scenario
        site = session.exec(
            select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
        ).first()
        if site is None:
            raise ScenarioError(f"{site_code} is not a site of this scenario.")
        if site.bank_holiday_lists == run:
            return _bank_holiday_sentence(site.name, run)
        old, site.bank_holiday_lists = site.bank_holiday_lists, run
        session.add(site)
        message = _bank_holiday_sentence(site.name, run)
        audit(
            session,
            use.principal,
            scenario,
            "rota.bank_holiday_lists",
            message,
            entity="site",
            entity_id=site.code,
            field="bank_holiday_lists",
            old=old,
            new=run,
        )
        session.flush()
        return message


def _bank_holiday_sentence(name: str, run: bool) -> str:
    return (
        f"{name} runs theatre lists on bank holidays from the next build."
        if run
        else f"{name} runs no theatre lists on bank holidays (wards stay staffed)."
    )


def rota_problem_as_operator(
    scenario_id: int,
    settings: RotaSettings,
    db_url: str | None = None,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaProblem:
    """The rota problem of a scenario, as the server operator reads it (CLI, tests).

    No permission check: the operator's path. Users' builds go through `services.jobs`.
    """
    with unit_of_work(db_url) as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioError(f"Scenario {scenario_id} does not exist.")
        return rota_problem(session, scenario, settings, history, history_file)


def run_rota_as_operator(
    scenario_id: int,
    settings: RotaSettings,
    db_url: str | None = None,
    history: list[HistoryRow] | None = None,
    history_file: str = "",
) -> RotaOutcome:
    """Builds and solves the scenario's rota as the server operator (the CLI; no check).

    `history` is an uploaded record of the days before (`importers.rota_history`); without it
    the scenario's previous rota is carried in when it ends the day before.
    """
    problem = rota_problem_as_operator(scenario_id, settings, db_url, history, history_file)
    return solve_problem(problem)


def set_lock(
    token: str,
    scenario_id: int,
    staff_code: str,
    on_date: dt.date,
    shift_code: str | None,
    *,
    expected: str | None,
) -> str:
    """Locks a cell to a shift ("" = off) or unlocks it (None), if nobody changed it meanwhile.

    `expected` is the lock the user saw (None = no lock). Returns a sentence for the user.

    Raises:
        ConflictError: Someone else locked or unlocked the cell since the user looked.
    """
    with scenario_transaction(token, scenario_id, Permission.RUN_ROTA, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        person = session.exec(
            select(RotaStaff).where(
                RotaStaff.scenario_id == scenario_id, RotaStaff.code == staff_code
            )
        ).first()
        if person is None:
            raise ScenarioError(f"{staff_code} is not on this scenario's rota staff list.")
        if shift_code:
            _check_lock_shift(session, scenario, person, shift_code)
        current = session.exec(
            select(RotaLock).where(
                RotaLock.scenario_id == scenario_id,
                RotaLock.staff_id == person.id,
                RotaLock.on_date == on_date,
            )
        ).first()
        seen = None if current is None else current.shift_code
        if seen != expected:
            who = (
                f"{current.locked_by} at {current.locked_at:%H:%M}"
                if current is not None
                else _last_unlocked_by(session, scenario_id, staff_code, on_date)
            )
            raise ConflictError(
                f"{person.label} on {on_date:%a %d %b} was changed by {who} since you looked "
                f"(now {'unlocked' if current is None else (current.shift_code or 'off')}); "
                "nothing was saved."
            )
        old = "" if current is None else (current.shift_code or "off")
        if shift_code is None:
            if current is not None:
                session.delete(current)
            message = f"Unlocked {person.label} on {on_date:%a %d %b}."
        else:
            if current is None:
                current = RotaLock(
                    scenario_id=scenario_id,
                    staff_id=person.id,
                    on_date=on_date,
                    locked_by=principal.email,
                )
            current.shift_code, current.locked_by, current.locked_at = (
                shift_code,
                principal.email,
                utc_now(),
            )
            session.add(current)
            message = (
                f"Locked {person.label} on {on_date:%a %d %b} to "
                f"{shift_code or 'a day off'}; the next build keeps it."
            )
        audit(
            session,
            principal,
            scenario,
            "rota.lock" if shift_code is not None else "rota.unlock",
            message,
            entity="rota_lock",
            entity_id=f"{staff_code}@{on_date.isoformat()}",
            old=old,
            new="" if shift_code is None else (shift_code or "off"),
        )
        try:
            session.flush()  # the unique lock per person and day is checked here
        except sa.exc.IntegrityError as error:
            raise ConflictError(
                f"{person.label} on {on_date:%a %d %b} was locked by someone else a moment ago; "
                "nothing was saved."
            ) from error
        return message


def _check_lock_shift(
    session: Session, scenario: Scenario, person: RotaStaff, shift_code: str
) -> None:
    """Refuses a lock to a shift the person's role never works, or at a site they may not."""
    site_code, _, kind = shift_code.rpartition("-")
    role = StaffRole(person.role)
    kinds = WARD_KINDS if role is StaffRole.WARD_NURSE else THEATRE_KINDS
    allowed = ", ".join(KIND_LABELS[k].lower() for k in kinds)
    if site_code not in split_codes(person.sites):
        raise ScenarioError(
            f"{person.label} may not work at {site_code}: it is not among their sites "
            f"({person.sites})."
        )
    if kind not in kinds:
        raise ScenarioError(
            f"{person.label} cannot be locked to '{shift_code}': "
            f"{STAFF_ROLE_LABELS[role].lower()}s work only {allowed} shifts ({', '.join(kinds)})."
        )
    site = session.exec(
        select(Site).where(Site.scenario_id == scenario.id, Site.code == site_code)
    ).first()
    table = TheatreCapacity if kind in THEATRE_KINDS else BedCapacity
    capacity = (
        None
        if site is None
        else session.exec(select(table).where(table.site_id == site.id)).first()
    )
    runs = capacity is not None and (
        capacity.theatres > 0
        if isinstance(capacity, TheatreCapacity)
        else capacity.elective_overnight_beds > 0
    )
    if not runs:
        raise ScenarioError(
            f"{site_code} has no {'theatre lists' if kind in THEATRE_KINDS else 'elective ward'} "
            f"to lock {person.label} to."
        )


def _last_unlocked_by(session: Session, scenario_id: int, staff_code: str, on: dt.date) -> str:
    """Who removed the cell's lock last, and when (from the audit log)."""
    event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.scenario_id == scenario_id,
            AuditEvent.entity == "rota_lock",
            AuditEvent.entity_id == f"{staff_code}@{on.isoformat()}",
            AuditEvent.action == "rota.unlock",
        )
        .order_by(AuditEvent.id.desc())
    ).first()
    return "someone" if event is None else f"{event.user_email} at {event.at:%H:%M}"


def rota_locks(token: str, scenario_id: int) -> dict[tuple[str, str], str]:
    """The scenario's locks as {(staff code, ISO date): shift code or ""}."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session = use.session
        rows = session.exec(
            select(RotaStaff.code, RotaLock.on_date, RotaLock.shift_code)
            .join(RotaStaff, RotaStaff.id == RotaLock.staff_id)
            .where(RotaLock.scenario_id == scenario_id)
        ).all()
        return {(code, d.isoformat()): s for code, d, s in rows}


def outcome_with_lock(
    outcome: RotaOutcome, staff_code: str, on: str, shift: str | None
) -> RotaOutcome:
    """The rota shown as a new outcome with one cell's lock set or removed, after `set_lock`.

    `shift` is a shift id, '' for a day off, or None to remove the lock; a date outside the rota
    changes nothing.
    """
    if on not in outcome.dates:
        return outcome
    day = outcome.dates.index(on)
    locked = tuple(lk for lk in outcome.locked if not (lk.staff_id == staff_code and lk.day == day))
    if shift is not None:
        locked += (LockRow(staff_id=staff_code, day=day, shift_id=shift or None),)
    staff = tuple(
        person.model_copy(
            update={
                "cells": tuple(
                    cell.model_copy(update={"locked": shift is not None}) if d == day else cell
                    for d, cell in enumerate(person.cells)
                )
            }
        )
        if person.code == staff_code
        else person
        for person in outcome.staff
    )
    return outcome.model_copy(update={"locked": locked, "staff": staff})


def download_rota(token: str, scenario_id: int, fmt: str) -> tuple[str, bytes]:
    """The scenario's newest rota as CSV or Excel for a member, audited (who, what, rows).

    Raises:
        NotFoundError: the scenario has no built rota (or is not the caller's to see).
        ScenarioError: an unknown format.
    """
    if fmt not in ("csv", "xlsx"):
        raise ScenarioError(f"'{fmt}' is not a rota format; use csv or xlsx.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        job = use.session.exec(
            select(SolveJob)
            .where(SolveJob.scenario_id == use.scenario.id, SolveJob.kind == "rota")
            .order_by(col(SolveJob.id).desc())
        ).first()
        outcome = stored_rota(job.result, job_id=job.id) if job and job.result else None
        if outcome is None or not outcome.assignments:
            raise NotFoundError("Build a rota first.")
        return _audited_file(use, outcome, "rota", fmt)


def _audited_file(use: ScenarioUse, outcome: RotaOutcome, what: str, fmt: str) -> tuple[str, bytes]:
    """The rota as a CSV or Excel file named after `what`, its download audited."""
    name = f"{what.replace('_', '-')}-scenario-{use.scenario.id}-{outcome.dates[0]}.{fmt}"
    data = export_xlsx(outcome) if fmt == "xlsx" else export_csv(outcome)
    audit_download(
        use.session,
        use.principal,
        collaborative_id=use.scenario.collaborative_id,
        scenario=use.scenario,
        what=f"{what}:{fmt}",
        rows=len(export_rows(outcome)),
        file_name=name,
    )
    return name, data


def download_published_rota(
    token: str, scenario_id: int, published_id: int, fmt: str
) -> tuple[str, bytes]:
    """A published rota as CSV or Excel for any member of the collaborative, audited.

    Raises:
        NotFoundError: no such publication of this scenario (or not the caller's to see).
        ScenarioError: an unknown format.
    """
    if fmt not in ("csv", "xlsx"):
        raise ScenarioError(f"'{fmt}' is not a rota format; use csv or xlsx.")
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        outcome = published_outcome(use.session, use.scenario.id, published_id)
        return _audited_file(use, outcome, "published_rota", fmt)


__all__ = [
    "POOL_DEFAULTS",
    "RULE_PACKS",
    "download_published_rota",
    "RotaProblem",
    "RotaSettings",
    "RotaSettingsError",
    "rota_problem_as_operator",
    "describe",
    "download_rota",
    "export_csv",
    "export_xlsx",
    "rota_choices",
    "rota_locks",
    "run_rota_as_operator",
    "hub_codes_as_operator",
    "set_bank_holiday_lists",
    "set_lock",
    "solve_problem",
    # and what the pages, the commands and the tests import from here (most from the siblings)
    "EXPORT_COLUMNS",
    "GAP_COLUMNS",
    "HISTORY_DAYS",
    "KIND_LABELS",
    "MAX_WEEKS",
    "STAFF_ROLE_LABELS",
    "RULE_LABELS",
    "export_rows",
    "gap_rows",
    "grid_sheets",
    "hourly_cost_pence",
    "next_monday",
    "outcome_with_lock",
    "rota_problem",
    "stall_seconds",
]


def hub_codes_as_operator(scenario_id: int, db_url: str | None = None) -> tuple[str, ...]:
    """The scenario's elective hub site codes (the CLI's default sites)."""
    with unit_of_work(db_url) as session:
        return tuple(
            session.exec(
                select(Site.code)
                .where(Site.scenario_id == scenario_id, Site.is_elective_hub.is_(True))
                .order_by(Site.code)
            ).all()
        )
