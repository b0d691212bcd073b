"""Reader for the KH03 quarterly bed availability and occupancy panel (trust x quarter).

The file is the Bevan Briefing's cleaned panel of NHS England's KH03 returns (2018-19 Q1 ..
2024-25 Q4). Beds are quarterly averages of beds open overnight. Only the general & acute (`_ga_`)
and `_acute_` columns are read: the file's `kh03_*_all_*` columns are wrong (far too small) and
are ignored. Trusts with no G&A beds (most mental health trusts) have 0 beds and a blank rate.
"""

import re
from collections.abc import Collection
from os import PathLike
from pathlib import Path

import pandas as pd

from ics_capacity.importers.files import read_csv_text
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    find_columns,
    missing_code_problems,
    parse_numbers,
)

ENGLAND_CODE = "NAN"
"""`org_code` of the England total row, which is not a trust."""

BED_COLUMNS = (
    "ga_beds_available",
    "ga_beds_occupied",
    "acute_beds_available",
    "acute_beds_occupied",
)

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "ods_code": ("org_code", "Organisation Code", "Org Code"),
    "period": ("period",),
    "ga_beds_available": ("kh03_avail_ga_avg_beds",),
    "ga_beds_occupied": ("kh03_occ_ga_avg_beds",),
    "ga_occupancy_rate": ("kh03_occ_ga_rate",),
    "acute_beds_available": ("kh03_avail_acute_avg_beds",),
    "acute_beds_occupied": ("kh03_occ_acute_avg_beds",),
}
_PERIOD = re.compile(r"\d{4}-\d{2} Q[1-4]")  # financial year and quarter, e.g. "2024-25 Q4"


def read_kh03(
    path: str | PathLike[str],
    *,
    providers: Collection[str] | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Reads each trust's average overnight beds for one quarter.

    Args:
        path: The KH03 trust x quarter CSV.
        providers: Trust ODS codes to keep; all trusts if None.
        period: Quarter to read, e.g. "2024-25 Q4". If None, each trust's latest quarter with
            G&A beds open (its latest quarter of any kind if it never had G&A beds).

    Returns:
        One row per trust: `ods_code`, `period`, `ga_beds_available`, `ga_beds_occupied`
        (average beds, float), `ga_occupancy_rate` (occupied / available as a fraction, NaN when
        no G&A beds), `acute_beds_available`, `acute_beds_occupied` (G&A plus maternity beds).

    Raises:
        ImportValidationError: With every problem found: missing columns, values that are not
            numbers or are negative, badly written or repeated quarters, trusts or a quarter not
            in the file.
    """
    path = Path(path)
    file = path.name
    raw = read_csv_text(path)
    columns, problems = find_columns(
        raw.columns, COLUMN_ALIASES, file=file, required=COLUMN_ALIASES.keys()
    )
    if problems:
        raise ImportValidationError(problems)
    ods, period_column = columns["ods_code"], columns["period"]
    for column in (ods, period_column):
        raw[column] = raw[column].str.strip()
    rows = raw[(raw != "").any(axis=1) & (raw[ods] != ENGLAND_CODE)]
    if rows.empty:
        raise ImportValidationError([ImportProblem(file, None, None, None, "has no trust rows.")])

    if providers is not None:
        problems += missing_code_problems(file, ods, providers, rows[ods].unique(), "trust")
        rows = rows[rows[ods].isin(providers)]
    if period is not None:
        problems += _period_problems(
            file, rows, ods, period_column, period, raw[period_column], providers is not None
        )
        rows = rows[rows[period_column] == period]
    problems += _row_problems(file, rows, ods, period_column)

    beds, bed_problems = parse_numbers(
        rows[[columns[name] for name in BED_COLUMNS]], file=file, rule="beds must be 0 or more"
    )
    rate, rate_problems = parse_numbers(
        rows[[columns["ga_occupancy_rate"]]],
        file=file,
        rule="an occupancy rate must be a fraction, 0 or more",
        blank_allowed=True,
    )
    problems += sorted(bed_problems + rate_problems, key=lambda p: p.row or 0)
    if problems:
        raise ImportValidationError(problems)
    problems += _cross_column_problems(file, beds, columns)
    if problems:
        raise ImportValidationError(problems)

    table = pd.DataFrame(
        {"ods_code": rows[ods], "period": rows[period_column]}
        | {name: beds[columns[name]] for name in BED_COLUMNS}
        | {"ga_occupancy_rate": rate[columns["ga_occupancy_rate"]]}
    )
    if period is None:
        table = _latest_with_ga_beds(table)
    return table[
        [
            "ods_code",
            "period",
            "ga_beds_available",
            "ga_beds_occupied",
            "ga_occupancy_rate",
            "acute_beds_available",
            "acute_beds_occupied",
        ]
    ].sort_values(["ods_code", "period"], ignore_index=True)


def _period_problems(
    file: str,
    rows: pd.DataFrame,
    ods: str,
    period_column: str,
    period: str,
    all_periods: pd.Series,
    trusts_asked: bool,
) -> list[ImportProblem]:
    """The quarter asked for is not in the file, or a trust asked for has no row for it."""
    known = sorted(p for p in all_periods.unique() if _PERIOD.fullmatch(p))
    if period not in known:
        span = f"{known[0]} .. {known[-1]}" if known else "no valid quarters"
        return [
            ImportProblem(
                file, None, period_column, period, f"is not a quarter in this file; it has {span}."
            )
        ]
    if not trusts_asked:
        return []
    with_period = set(rows.loc[rows[period_column] == period, ods])
    return [
        ImportProblem(file, None, ods, code, f"has no row for {period}.")
        for code in sorted(set(rows[ods]) - with_period)
    ]


def _row_problems(
    file: str, rows: pd.DataFrame, ods: str, period_column: str
) -> list[ImportProblem]:
    """Rows with a blank trust code, a badly written quarter, or a repeated trust x quarter."""
    problems: list[ImportProblem] = []
    for index in rows.index[(rows[ods] == "").to_numpy()]:
        problems.append(ImportProblem(file, int(index) + 2, ods, "", "is blank."))
    bad_period = ~rows[period_column].str.fullmatch(_PERIOD.pattern)
    for index in rows.index[bad_period.to_numpy()]:
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                period_column,
                rows.loc[index, period_column],
                "is not a quarter; expected a financial year and quarter such as '2024-25 Q4'.",
            )
        )
    repeated = rows.duplicated([ods, period_column])
    for index in rows.index[repeated.to_numpy()]:
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                period_column,
                rows.loc[index, period_column],
                f"repeats trust {rows.loc[index, ods]}'s quarter; a trust has one row a quarter.",
            )
        )
    return problems


_BED_TOLERANCE = 0.5
"""Beds: rounding slack allowed before one average is called larger than another."""


def _cross_column_problems(
    file: str, beds: pd.DataFrame, columns: dict[str, str]
) -> list[ImportProblem]:
    """Rows whose bed figures contradict each other, which no published quarter does.

    Occupied beds above available beds, and G&A beds above the acute beds that include them
    (acute = G&A + maternity), mean the columns were shifted or typed wrongly.
    """
    checks = [
        ("ga_beds_occupied", "ga_beds_available", "occupied G&A beds are more than available"),
        (
            "acute_beds_occupied",
            "acute_beds_available",
            "occupied acute beds are more than available",
        ),
        (
            "ga_beds_available",
            "acute_beds_available",
            "available G&A beds are more than available acute beds, which include them",
        ),
    ]
    problems: list[ImportProblem] = []
    for larger, smaller, what in checks:
        big, small = beds[columns[larger]], beds[columns[smaller]]
        for index in beds.index[(big > small + _BED_TOLERANCE).to_numpy()]:
            problems.append(
                ImportProblem(
                    file,
                    int(index) + 2,
                    columns[larger],
                    f"{big[index]:g}",
                    f"is more than '{columns[smaller]}' ({small[index]:g}): {what}.",
                )
            )
    return sorted(problems, key=lambda p: p.row or 0)


def _latest_with_ga_beds(table: pd.DataFrame) -> pd.DataFrame:
    """Each trust's latest quarter with G&A beds, or its latest quarter if it never had any."""
    has_beds = table["ga_beds_available"] > 0
    # Sort so the wanted row comes last per trust: quarters with beds after those without,
    # later quarters after earlier ones ("2024-25 Q4" sorts as text).
    ordered = table.assign(has_beds=has_beds).sort_values(["ods_code", "has_beds", "period"])
    return ordered.drop_duplicates("ods_code", keep="last").drop(columns="has_beds")
