"""A record of shifts already worked, carried into a new rota (CSV; docs/rota.md, "History").

One row per person per day worked: staff code (or the pseudonym the rota uses), date
(YYYY-MM-DD) and shift code as the rota names it ("SANDWELL-AM"). Columns are found by meaning in
any case or order (`ALIASES`); a blank shift code or "OFF" is a day off and is skipped. Every
problem names the file, the spreadsheet row, the column and what is allowed. Whether the people,
shifts and dates belong to the rota being built is the service's check (`services.rota`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ics_capacity.importers.files import read_csv_text
from ics_capacity.importers.identifiers import refuse_patient_identifiers
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    find_columns,
    records_by_meaning,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "staff": ("staff code", "staff id", "code", "pseudonym", "staff"),
    "date": ("date", "day"),
    "shift": ("shift code", "shift", "shift id"),
}
REQUIRED = ("staff", "date", "shift")
# 14 days of a large collaborative's rota staff list (a few hundred people) fit many times over.
MAX_ROWS = 20_000
OFF = ("", "OFF")


@dataclass(frozen=True)
class HistoryRow:
    """One shift worked, checked for form (not yet against the rota)."""

    row: int
    staff_code: str
    date: dt.date
    shift_code: str


def read_rota_history(path: Path) -> list[HistoryRow]:
    """Reads and checks the record; raises `ImportValidationError` with every problem found."""
    table = read_csv_text(path)
    file = path.name
    refuse_patient_identifiers(file, table)
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
    rows: list[HistoryRow] = []
    found: list[ImportProblem] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for row, cell in records_by_meaning(table, columns):  # every meaning it reads is required
        code, shift = cell("staff").upper(), cell("shift").upper()
        if shift in OFF:
            continue
        if not code:
            found.append(ImportProblem(file, row, columns["staff"], None, "is blank."))
        try:
            date = dt.date.fromisoformat(cell("date"))
        except ValueError:
            found.append(
                ImportProblem(
                    file, row, columns["date"], cell("date"), "is not a date like 2027-01-04."
                )
            )
            continue
        if code and (code, date) in seen:
            found.append(
                ImportProblem(
                    file,
                    row,
                    columns["date"],
                    cell("date"),
                    f"{code} already has a shift that day in row {seen[code, date]}; "
                    "one shift a day.",
                )
            )
            continue
        seen[code, date] = row
        if code:
            rows.append(HistoryRow(row=row, staff_code=code, date=date, shift_code=shift))
    if found:
        raise ImportValidationError(found)
    return rows
