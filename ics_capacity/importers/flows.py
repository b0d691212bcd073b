"""Reader for monthly RTT waiting-list flows per system (ICS, formerly STP).

The file (`waiting_list_flow_by_ics_2020-04_2022-09.csv`, aggregated from NHS England's RTT full
extracts by the British Red Cross) has one row per system x month:
`Year, Month, Provider Parent Org Code, Completed, Incomplete, New`:

- `New`: RTT clock starts in the month; `Completed`: pathways completed (admitted and
  non-admitted); `Incomplete`: the waiting list (incomplete pathways) at the end of the month;
- rows are not in date order; months are written as `Apr`, `April` or `4`;
- Incomplete(t) differs from Incomplete(t - 1) + New(t) - Completed(t) by removals the file does
  not report (validation), and by boundary changes (QUA loses West Birmingham in July 2022).

A single `Period` column (`2022-09`, `2022-09-01` or `Sep 2022`) is accepted instead of `Year`
and `Month`. Months missing from a system's series are allowed (the forecaster skips the flow
across a gap); a month given twice for one system is a problem.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import cast

import pandas as pd

from ics_capacity.importers.files import read_csv_text
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    find_columns,
    parse_numbers,
)

FLOW_COLUMNS = ("org", "period", "new", "completed", "incomplete")
"""Columns of the frame `read_flows` returns."""

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "year": ("Year",),
    "month": ("Month",),
    "period": ("Period", "Date", "Month start"),
    "org": (
        "Provider Parent Org Code",
        "ICS code",
        "ICB code",
        "STP code",
        "Org code",
        "Organisation code",
    ),
    "completed": ("Completed", "Completed pathways", "Completions"),
    "incomplete": ("Incomplete", "Incomplete pathways", "Waiting list", "Waiting"),
    "new": ("New", "New clock starts", "Clock starts", "New RTT periods"),
}
COUNT_COLUMNS_REQUIRED = ("completed", "incomplete", "new")
_COUNT_RULE = "pathway counts must be whole numbers, 0 or more"
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO_PERIOD = re.compile(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?")
_WORDS_PERIOD = re.compile(r"([A-Za-z]+)[ -](\d{4})")
_FIRST_YEAR, _LAST_YEAR = 2000, 2100


def read_flows(path: str | PathLike[str]) -> pd.DataFrame:
    """Reads a monthly flow series file as published, rows in any order.

    Args:
        path: The CSV of monthly flows per system.

    Returns:
        One row per system x month, sorted by `org` then `period`: `org` (system code as in the
        file), `period` (first day of the month, datetime64), `new` (clock starts in the month),
        `completed` (pathways completed in the month), `incomplete` (waiting list at the end of
        the month), all counts int64.

    Raises:
        ImportValidationError: With every problem found: missing columns, blank codes, months
            or years that cannot be read, counts that are not whole numbers 0 or more, and a
            system given the same month twice.
    """
    path = Path(path)
    file = path.name
    raw = read_csv_text(path)
    columns, problems = find_columns(
        raw.columns, COLUMN_ALIASES, file=file, required=("org", *COUNT_COLUMNS_REQUIRED)
    )
    has_year_month = "year" in columns and "month" in columns
    if not has_year_month and "period" not in columns:
        problems.append(
            ImportProblem(
                file,
                1,
                "Year",
                None,
                "and 'Month' are missing from the header row (a single 'Period' column such "
                "as 2022-09 is also accepted).",
            )
        )
    if problems:
        raise ImportValidationError(problems)

    rows = raw[(raw != "").any(axis=1)]
    if rows.empty:
        raise ImportValidationError(
            [ImportProblem(file, None, None, None, "has a header but no data rows.")]
        )
    org = rows[columns["org"]].str.strip()
    problems += [
        ImportProblem(file, int(i) + 2, columns["org"], "", "is blank; every row needs a code.")
        for i in org.index[org.eq("").to_numpy()]
    ]
    if has_year_month:
        period, period_problems = _periods_from_year_month(
            rows[columns["year"]], rows[columns["month"]], file
        )
    else:
        period, period_problems = _periods_from_text(rows[columns["period"]], file)
    problems += period_problems
    counts, count_problems = parse_numbers(
        rows[[columns[name] for name in COUNT_COLUMNS_REQUIRED]],
        file=file,
        rule=_COUNT_RULE,
        whole=True,
        thousands=True,
    )
    problems += count_problems
    problems += _repeat_problems(org, period, file, columns)
    if problems:
        raise ImportValidationError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))

    table = pd.DataFrame(
        {
            "org": org,
            "period": period,
            **{name: counts[columns[name]].astype("int64") for name in COUNT_COLUMNS_REQUIRED},
        }
    )
    return table[list(FLOW_COLUMNS)].sort_values(["org", "period"]).reset_index(drop=True)


def _periods_from_year_month(
    year: pd.Series, month: pd.Series, file: str
) -> tuple[pd.Series, list[ImportProblem]]:
    """First day of each row's month from `Year` and `Month` cells (month as name or number)."""
    problems: list[ImportProblem] = []
    years = pd.to_numeric(year.str.strip(), errors="coerce")
    year_ok = years.between(_FIRST_YEAR, _LAST_YEAR) & (years % 1 == 0)
    for index in year.index[~year_ok.to_numpy()]:
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                str(year.name),
                year[index],
                f"is not a year; expected e.g. 2022 ({_FIRST_YEAR}..{_LAST_YEAR}).",
            )
        )
    month_text = month.str.strip().str.lower()
    numbers = pd.to_numeric(month_text, errors="coerce")
    months = month_text.map(_MONTHS).astype("float64").fillna(numbers)
    month_ok = months.between(1, 12) & (months % 1 == 0)
    for index in month.index[~month_ok.to_numpy()]:
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                str(month.name),
                month[index],
                "is not a month; expected e.g. Apr, April or 4.",
            )
        )
    ok = year_ok & month_ok
    period = pd.Series(pd.NaT, index=year.index, dtype="datetime64[ns]")
    period[ok] = pd.to_datetime(
        pd.DataFrame({"year": years[ok], "month": months[ok], "day": 1}).astype("int64")
    )
    return period, problems


def _periods_from_text(text: pd.Series, file: str) -> tuple[pd.Series, list[ImportProblem]]:
    """First day of each row's month from a `Period` cell such as 2022-09 or Sep 2022."""
    problems: list[ImportProblem] = []
    values: list[pd.Timestamp | None] = []
    for label, cell in text.items():
        index = cast(int, label)  # read_csv_text numbers the rows 0, 1, ...
        month = _parse_period_text(cell.strip())
        if month is None:
            problems.append(
                ImportProblem(
                    file,
                    int(index) + 2,
                    str(text.name),
                    cell,
                    "is not a month; expected e.g. 2022-09, 2022-09-01 or Sep 2022.",
                )
            )
        values.append(month)
    return pd.Series(values, index=text.index, dtype="datetime64[ns]"), problems


def _parse_period_text(cell: str) -> pd.Timestamp | None:
    if match := _ISO_PERIOD.fullmatch(cell):
        year, month = int(match[1]), int(match[2])
    elif (match := _WORDS_PERIOD.fullmatch(cell)) and match[1].lower() in _MONTHS:
        year, month = int(match[2]), _MONTHS[match[1].lower()]
    else:
        return None
    if not (_FIRST_YEAR <= year <= _LAST_YEAR and 1 <= month <= 12):
        return None
    return pd.Timestamp(year=year, month=month, day=1)


def _repeat_problems(
    org: pd.Series, period: pd.Series, file: str, columns: dict[str, str]
) -> list[ImportProblem]:
    """A problem for each row that repeats an earlier row's system and month."""
    keys = pd.DataFrame({"org": org, "period": period}).dropna()
    keys = keys[keys["org"] != ""]
    repeated = keys.duplicated(keep="first")
    first_row = keys.reset_index().groupby(["org", "period"])["index"].first()
    problems = []
    for index in keys.index[repeated.to_numpy()]:
        code, month = keys.loc[index, "org"], keys.loc[index, "period"]
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                columns["org"],
                code,
                f"already has {month:%B %Y} at row {int(first_row[(code, month)]) + 2}; "
                "each system needs one row per month.",
            )
        )
    return problems
