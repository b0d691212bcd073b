"""Reader for the ODS NHS trusts file (`etr.csv`): codes, names, ICB and address of every trust.

The file has no header row and 27 columns. The columns used are (1-based, as the ODS
documentation numbers them): 1 organisation code, 2 name, 3 NHS England region, 4 ICB (the
"high level health geography"), 10 postcode, 11 open date and 12 close date (YYYYMMDD, close date
blank while open). Closed trusts stay in the file with their close date.
"""

from collections.abc import Collection
from os import PathLike
from pathlib import Path

import pandas as pd

from ics_capacity.importers.files import read_csv_text
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    missing_code_problems,
)

ETR_COLUMN_COUNT = 27
"""Columns in the published file."""

# Output name -> (1-based column number, how problems name the column).
_COLUMNS: dict[str, tuple[int, str]] = {
    "ods_code": (1, "1 (organisation code)"),
    "name": (2, "2 (name)"),
    "region_code": (3, "3 (region)"),
    "icb_code": (4, "4 (ICB)"),
    "postcode": (10, "10 (postcode)"),
    "opened": (11, "11 (open date)"),
    "closed": (12, "12 (close date)"),
}


def read_etr(
    path: str | PathLike[str],
    *,
    codes: Collection[str] | None = None,
    icb: str | None = None,
) -> pd.DataFrame:
    """Reads NHS trusts from the ODS trusts file.

    Args:
        path: The ODS `etr.csv` file (no header row).
        codes: Trust ODS codes to keep; all trusts if None.
        icb: Keep only trusts in this ICB, e.g. "QUA" (combined with `codes` if both given).

    Returns:
        One row per trust: `ods_code`, `name` (as ODS writes it, upper case), `region_code`
        (NHS England region, e.g. "Y60"), `icb_code`, `postcode`, `opened` (datetime.date) and
        `closed` (datetime.date, or None while open).

    Raises:
        ImportValidationError: With every problem found: too few columns, blank codes, dates that
            are not YYYYMMDD, or codes or an ICB not in the file.
    """
    path = Path(path)
    file = path.name
    raw = read_csv_text(path, header=False)
    if raw.shape[1] < max(number for number, _ in _COLUMNS.values()):
        raise ImportValidationError(
            [
                ImportProblem(
                    file,
                    1,
                    None,
                    None,
                    f"has {raw.shape[1]} columns; the ODS trusts file has {ETR_COLUMN_COUNT}: "
                    "code, name, region and ICB in 1-4, postcode in 10, open and close dates "
                    "in 11 and 12.",
                )
            ]
        )
    table = pd.DataFrame(
        {name: raw[number - 1].str.strip() for name, (number, _) in _COLUMNS.items()}
    )
    table = table[(raw != "").any(axis=1)]  # blank lines

    problems: list[ImportProblem] = []
    if icb is not None:
        if icb not in set(table["icb_code"]):
            known = ", ".join(sorted(set(table["icb_code"]) - {""}))
            problems.append(
                ImportProblem(
                    file,
                    None,
                    _COLUMNS["icb_code"][1],
                    icb,
                    f"is not an ICB in this file; it has {known}.",
                )
            )
        table = table[table["icb_code"] == icb]
    if codes is not None:
        problems += missing_code_problems(
            file,
            _COLUMNS["ods_code"][1],
            codes,
            table["ods_code"].unique(),
            "trust",
            scope=f" under ICB {icb}" if icb is not None else "",
        )
        table = table[table["ods_code"].isin(codes)]

    problems += _blank_code_problems(table, file)
    opened, open_problems = _dates(table["opened"], file, required=True)
    closed, close_problems = _dates(table["closed"], file, required=False)
    problems += sorted(open_problems + close_problems, key=lambda p: p.row or 0)
    if problems:
        raise ImportValidationError(problems)
    return table.assign(opened=opened, closed=closed).sort_values("ods_code", ignore_index=True)


def _blank_code_problems(table: pd.DataFrame, file: str) -> list[ImportProblem]:
    blank = table["ods_code"] == ""
    return [
        ImportProblem(file, int(index) + 1, _COLUMNS["ods_code"][1], "", "is blank.")
        for index in table.index[blank.to_numpy()]
    ]


def _dates(text: pd.Series, file: str, *, required: bool) -> tuple[pd.Series, list[ImportProblem]]:
    """YYYYMMDD text as datetime.date (None where blank); problems for bad or missing dates."""
    parsed = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    blank = text == ""
    bad = parsed.isna() & (~blank | required)
    column = _COLUMNS[str(text.name)][1]
    problems = [
        ImportProblem(
            file,
            int(index) + 1,  # no header: the first line is row 1
            column,
            text[index],
            "is not a date; expected YYYYMMDD, e.g. 19940401."
            if text[index]
            else "is blank; every trust has an open date.",
        )
        for index in text.index[bad.to_numpy()]
    ]
    dates = parsed.dt.date.astype(object).where(parsed.notna(), None)
    return dates, problems
