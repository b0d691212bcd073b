"""Refusing files that hold patient identifiers: the app keeps no patient-level data.

A file a person writes (the staff list, a rota history, requests, the capacity templates) has no
reason to name a patient, but a note or a pasted column typed in a hurry may. A file is refused,
before anything is read into the scenario, when its header names a patient identifier (NHS
number, hospital number, date of birth, patient name) or a cell holds a valid NHS number: ten
digits, spaced 3-3-4 or not, whose last digit is the modulus 11 check digit (NHS Data
Dictionary, "NHS Number"). The problem names the file, row and column, never the value. NHS
England's published files (RTT, KH03, workforce, ODS) are aggregate and read by their own readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from ics_capacity.importers.problems import ImportProblem, ImportValidationError, normalise_header

PATIENT_COLUMNS = (
    "nhs number",
    "nhs no",
    "nhs num",
    "nhsnumber",
    "patient",
    "patient name",
    "patient id",
    "hospital number",
    "hospital no",
    "mrn",
    "date of birth",
    "dob",
)
_NHS_NUMBER = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
_REASON = (
    "looks like a patient identifier ({what}); files for this app must not hold patient "
    "details. Remove it and upload the file again; nothing was imported."
)


def is_nhs_number(digits: str) -> bool:
    """Whether ten digits form a valid NHS number (modulus 11 check digit)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def holds_nhs_number(text: str) -> bool:
    """Whether a text holds a valid NHS number anywhere in it."""
    return any(is_nhs_number("".join(m.groups())) for m in _NHS_NUMBER.finditer(text))


def patient_identifier_problems(
    file: str, header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]
) -> list[ImportProblem]:
    """Every column named as a patient identifier and every cell holding an NHS number.

    Args:
        file: The file's name, for the problems.
        header: The column names as the file spells them.
        rows: (spreadsheet row, cells in header order) for each data row.
    """
    problems = [
        ImportProblem(file, 1, name, None, _REASON.format(what="a column of patient details"))
        for name in header
        if normalise_header(str(name)) in PATIENT_COLUMNS
    ]
    for row, cells in rows:
        for name, cell in zip(header, cells, strict=False):
            if holds_nhs_number(str(cell)):
                problems.append(
                    ImportProblem(file, row, name, None, _REASON.format(what="an NHS number"))
                )
    return problems


def table_identifier_problems(file: str, table: pd.DataFrame) -> list[ImportProblem]:
    """`patient_identifier_problems` for a table read as text (index 0 = spreadsheet row 2)."""
    return patient_identifier_problems(
        file,
        [str(c) for c in table.columns],
        (
            (position + 2, [str(v) for v in values])
            for position, values in enumerate(table.to_numpy())
        ),
    )


def refuse_patient_identifiers(file: str, table: pd.DataFrame) -> None:
    """Raises `ImportValidationError` naming every patient identifier in a table read as text."""
    problems = table_identifier_problems(file, table)
    if problems:
        raise ImportValidationError(problems)
