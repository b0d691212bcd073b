"""The rota staff list a collaborative keeps: one row per person who may be rostered (CSV).

Columns are found by meaning (any case or order; see `ALIASES`): code, name, trust (ODS code), home
site, role, grade, contract, employment, skills, sites, contracted hours a week, hourly cost (GBP,
optional: the cited rate of the role is used when blank) and leave (optional). Lists inside a cell
are separated by `;`; leave is `YYYY-MM-DD..YYYY-MM-DD` ranges. Every problem names the file, the
spreadsheet row, the column and what is allowed (docs/data-templates.md, "Rota staff list").
Checks against the scenario (trusts, sites, treatment functions) are the service's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ics_capacity.domain.staff import Employment, StaffContract, StaffRole
from ics_capacity.importers.files import read_csv_text
from ics_capacity.importers.identifiers import refuse_patient_identifiers
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    Where,
    find_columns,
    locate_and_check_blanks,
    raise_problems,
    records_by_meaning,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "staff code", "staff id"),
    "label": ("name", "label", "display name"),
    "trust": ("trust", "ods code", "home trust"),
    "home_site": ("home site", "home site code", "base site"),
    "role": ("role",),
    "grade": ("grade", "band"),
    "contract": ("contract",),
    "employment": ("employment", "staff type"),
    "skills": ("skills", "specialties", "treatment functions"),
    "sites": ("sites", "passport sites", "may work at"),
    "hours": ("contracted hours per week", "contracted hours", "hours per week"),
    "hourly_cost": ("hourly cost gbp", "hourly cost", "cost per hour"),
    "leave": ("leave", "annual leave"),
}
REQUIRED = ("code", "label", "trust", "home_site", "role", "contract", "sites", "hours")
MAX_HOURS_PER_WEEK = 80


@dataclass(frozen=True)
class StaffRow:
    """One person of the file, checked for form (not yet against the scenario)."""

    row: int
    code: str
    label: str
    trust: str
    home_site: str
    role: StaffRole
    grade: str
    contract: StaffContract
    employment: Employment
    skills: tuple[str, ...]
    sites: tuple[str, ...]
    contracted_minutes_per_week: int
    hourly_cost_pence: int | None
    leave: tuple[tuple[dt.date, dt.date], ...]


_E = TypeVar("_E", bound=StrEnum)


def _choice(
    value: str, allowed: type[_E], problems: list[ImportProblem], where: Where
) -> _E | None:
    options = [m.value for m in allowed]
    text = value.strip().lower().replace(" ", "_")
    if text in options:
        return allowed(text)
    problems.append(ImportProblem(*where, value, f"is not one of {', '.join(options)}."))
    return None


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in value.split(";") if part.strip())


def read_rota_staff(path: Path) -> list[StaffRow]:
    """Reads and checks the staff list; raises `ImportValidationError` with every problem."""
    table = read_csv_text(path)
    file = path.name
    refuse_patient_identifiers(file, table)
    columns, problems = find_columns(list(table.columns), ALIASES, file=file, required=REQUIRED)
    if problems:
        raise ImportValidationError(problems)
    rows: list[StaffRow] = []
    seen: dict[str, int] = {}
    for row, cell in records_by_meaning(table, columns):
        found: list[ImportProblem] = []
        code = cell("code").upper()
        if code in seen:
            found.append(
                ImportProblem(
                    file, row, columns["code"], code, f"is already used in row {seen[code]}."
                )
            )
        seen.setdefault(code, row)
        person, more = parse_staff_record(cell, columns, file, row)
        problems += found + more
        if person is not None and not found:
            rows.append(person)
    raise_problems(file, problems, rows=len(rows), what="staff")
    return rows


def parse_staff_record(
    cell: Callable[[str], str], columns: Mapping[str, str], file: str, row: int | None
) -> tuple[StaffRow | None, list[ImportProblem]]:
    """One person's fields, checked for form: the person, or None and every problem.

    Arguments as `locate_and_check_blanks` names them (`file`: "staff.csv" or the form).
    """
    where, found = locate_and_check_blanks(cell, columns, file, row, REQUIRED)
    role = _choice(cell("role"), StaffRole, found, where("role")) if cell("role") else None
    contract = (
        _choice(cell("contract"), StaffContract, found, where("contract"))
        if cell("contract")
        else None
    )
    employment = (
        _choice(cell("employment"), Employment, found, where("employment"))
        if cell("employment")
        else Employment.SUBSTANTIVE
    )
    minutes = _hours(cell("hours"), found, where("hours"))
    cost = None
    if cell("hourly_cost"):
        try:
            cost = round(float(cell("hourly_cost")) * 100)
            if cost < 0:
                raise ValueError
        except ValueError:
            found.append(
                ImportProblem(
                    *where("hourly_cost"),
                    cell("hourly_cost"),
                    "is not an amount in pounds of 0 or more (e.g. 21.44).",
                )
            )
    leave = _leave(cell("leave"), found, where("leave"))
    sites = _list(cell("sites"))
    home = cell("home_site").upper()
    if home and sites and home not in sites:
        sites = (home, *sites)
    if found or role is None or contract is None or employment is None or minutes is None:
        return None, found
    person = StaffRow(
        row=row or 0,
        code=cell("code").upper(),
        label=cell("label"),
        trust=cell("trust").upper(),
        home_site=home,
        role=role,
        grade=cell("grade"),
        contract=contract,
        employment=employment,
        skills=_list(cell("skills")),
        sites=sites,
        contracted_minutes_per_week=minutes,
        hourly_cost_pence=cost,
        leave=leave,
    )
    return person, []


def _hours(value: str, problems: list[ImportProblem], where: Where) -> int | None:
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_HOURS_PER_WEEK:
        if value:
            problems.append(
                ImportProblem(
                    *where,
                    value,
                    f"is not a number of hours above 0 and at most {MAX_HOURS_PER_WEEK}.",
                )
            )
        return None
    return round(hours * 60)


def _leave(
    value: str, problems: list[ImportProblem], where: Where
) -> tuple[tuple[dt.date, dt.date], ...]:
    spans = []
    for part in (p.strip() for p in value.split(";") if p.strip()):
        first, _, last = part.partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat((last or first).strip())
        except ValueError:
            problems.append(
                ImportProblem(*where, part, "is not a date range like 2027-01-04..2027-01-10.")
            )
            continue
        if end < start:
            problems.append(ImportProblem(*where, part, "ends before it starts."))
            continue
        spans.append((start, end))
    return tuple(spans)
