"""Staff requests for the rota: who wants to work, or not, which shift on which day (CSV, .xlsx).

One row per request. Columns are found by meaning in any case or order (`ALIASES`): staff code,
date (YYYY-MM-DD, or DD/MM/YYYY as a UK spreadsheet writes it), shift (a kind of shift: AM, PM,
DAY, LD or N; blank or "any" for the whole day), request (`on` = wants to work it, `off` = does
not), weight (1 to 10, blank = 1) and note (optional, at most 200 characters). Every problem names
the file, the spreadsheet row, the column and what is allowed (docs/rota.md, "Requests"). A file
that holds patient identifiers is refused (`importers.identifiers`). Whether the people, shifts and
dates fit the scenario is the service's check (`services.staff`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ics_capacity.importers.identifiers import holds_nhs_number, table_identifier_problems
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    Where,
    find_columns,
    locate_and_check_blanks,
    raise_problems,
    records_by_meaning,
)
from ics_capacity.importers.templates import read_cells

ALIASES: dict[str, tuple[str, ...]] = {
    "staff": ("staff code", "staff id", "code", "pseudonym", "staff"),
    "date": ("date", "day"),
    "shift": ("shift", "shift kind", "shift type"),
    "request": ("request", "on or off", "wish", "kind"),
    "weight": ("weight", "priority"),
    "note": ("note", "reason", "comment"),
}
REQUIRED = ("staff", "date", "request")
MAX_SHIFT_CHARS = 10
WHOLE_DAY = ("", "ANY", "ALL", "WHOLE DAY", "DAY OFF")
REQUESTS = {"on": "Wants to work", "off": "Wants off"}
MIN_WEIGHT, MAX_WEIGHT = 1, 10
MAX_NOTE_CHARS = 200
MAX_ROWS = 20_000
"""Most rows in one file: a few hundred people's wishes for 12 weeks fit many times over."""


@dataclass(frozen=True)
class RequestRow:
    """One request, checked for form (not yet against the scenario)."""

    row: int
    staff_code: str
    on_date: dt.date
    shift_kind: str  # "" = the whole day
    kind: str  # "on" | "off"
    weight: int
    note: str


def read_rota_requests(path: Path) -> tuple[list[RequestRow], dict[str, str]]:
    """Reads and checks the requests; raises `ImportValidationError` with every problem.

    Returns:
        The requests, and the file's column for each meaning found (for later problems).
    """
    table = read_cells(path)
    file = path.name
    columns, problems = find_columns(list(table.columns), ALIASES, file=file, required=REQUIRED)
    if problems:
        raise ImportValidationError(problems)
    if len(table) > MAX_ROWS:
        raise ImportValidationError(
            [
                ImportProblem(
                    file, None, None, None, f"has {len(table):,} rows; at most {MAX_ROWS:,}."
                )
            ]
        )
    problems = table_identifier_problems(file, table)
    if problems:
        raise ImportValidationError(problems)
    rows: list[RequestRow] = []
    seen: dict[tuple[str, dt.date, str], int] = {}
    for row, cell in records_by_meaning(table, columns):
        request, found = parse_request_record(cell, columns, file, row)
        if request is not None:
            key = (request.staff_code, request.on_date, request.shift_kind)
            if key in seen:
                found.append(
                    ImportProblem(
                        file,
                        row,
                        columns["staff"],
                        request.staff_code,
                        f"already has a request for {request.on_date:%d %b %Y} "
                        f"({request.shift_kind or 'whole day'}) in row {seen[key]}.",
                    )
                )
            seen.setdefault(key, row)
        problems += found
        if request is not None and not found:
            rows.append(request)
    raise_problems(file, problems, rows=len(rows), what="request")
    return rows, columns


def parse_request_record(
    cell: Callable[[str], str], columns: Mapping[str, str], file: str, row: int | None
) -> tuple[RequestRow | None, list[ImportProblem]]:
    """One request's fields, checked for form: the request, or None and every problem.

    Arguments as `locate_and_check_blanks` names them (`file`: "requests.csv" or the form).
    """
    where, found = locate_and_check_blanks(cell, columns, file, row, REQUIRED)
    code = cell("staff").upper()
    on_date = _date(cell("date"), found, where("date")) if cell("date") else None
    shift = _shift(cell("shift"), found, where("shift"))
    kind = cell("request").lower()
    if kind and kind not in REQUESTS:
        found.append(ImportProblem(*where("request"), cell("request"), "is not on or off."))
    weight = _weight(cell("weight"), found, where("weight"))
    note = cell("note")
    if len(note) > MAX_NOTE_CHARS:
        found.append(
            ImportProblem(*where("note"), None, f"has more than {MAX_NOTE_CHARS} characters.")
        )
    elif holds_nhs_number(note):
        found.append(
            ImportProblem(
                *where("note"),
                None,
                "holds what looks like an NHS number; notes must not hold patient details.",
            )
        )
    if found or on_date is None or shift is None or weight is None:
        return None, found
    return RequestRow(row or 0, code, on_date, shift, kind, weight, note), []


def _date(value: str, problems: list[ImportProblem], where: Where) -> dt.date | None:
    text = value.strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    problems.append(ImportProblem(*where, value, "is not a date such as 2027-01-04."))
    return None


def _shift(value: str, problems: list[ImportProblem], where: Where) -> str | None:
    text = " ".join(value.upper().split())
    if text in WHOLE_DAY:
        return ""
    if len(text) <= MAX_SHIFT_CHARS and text.isalnum():
        return text  # whether the person works this kind is the service's check
    problems.append(
        ImportProblem(
            *where,
            value,
            "is not a kind of shift (AM, PM, DAY, LD or N), or blank for the whole day.",
        )
    )
    return None


def _weight(value: str, problems: list[ImportProblem], where: Where) -> int | None:
    if not value.strip():
        return MIN_WEIGHT
    try:
        weight = int(float(value))
        if weight != float(value):
            raise ValueError
    except ValueError:
        weight = -1
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        problems.append(
            ImportProblem(
                *where, value, f"is not a whole number from {MIN_WEIGHT} to {MAX_WEIGHT}."
            )
        )
        return None
    return weight
