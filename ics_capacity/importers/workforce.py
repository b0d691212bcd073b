"""Reader for NHS England's workforce turnover benchmarking file: staff in post by staff group.

One row per trust x staff group x measure (`TYPE`); staff in post is the
"Denominator at end of period" measure. Resident (training-grade) doctors are not in the file.

How the staff groups add up (checked on all 247 trusts of the November 2025 file):
- FTE: the staff groups add up to the "All staff groups" row exactly (to rounding), so a gap of
  more than `FTE_TOLERANCE` is reported as a problem;
- headcount: the groups add up to *more* than "All staff groups" (by up to 45 people at a trust)
  because a person working in two staff groups is counted once in the total but once in each
  group. So headcounts are only checked to add up to at least the total.
"""

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

STAFF_IN_POST = "Denominator at end of period"
"""`TYPE` of the rows counting staff in post at the end of the period."""

ALL_STAFF_GROUPS = "All staff groups"
"""Staff group name of each trust's total row."""

FTE_TOLERANCE = 0.5
"""Largest allowed gap, in FTE, between the staff groups' sum and the "All staff groups" row."""

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "period": ("PERIOD",),
    "type": ("TYPE",),
    "ods_code": ("REPORTING_ORG_CODE", "Org Code", "Organisation Code"),
    "staff_group": ("STAFF_GROUP_1_NAME", "Staff Group"),
    "headcount": ("HC", "Headcount"),
    "fte": ("FTE",),
}


def read_workforce(
    path: str | PathLike[str], *, providers: Collection[str] | None = None
) -> pd.DataFrame:
    """Reads each trust's staff in post by staff group.

    Args:
        path: The workforce benchmarking CSV (`workforce_staff_group_org_*.csv`).
        providers: Trust ODS codes to keep; all trusts if None.

    Returns:
        One row per trust x staff group, without the "All staff groups" total: `ods_code`,
        `period` (as the file writes it, e.g. "202510 to 202511"; staff are counted at its end),
        `staff_group` (as the file names it, e.g. "Nurses & health visitors"), `headcount`
        (people, int64) and `fte` (full-time equivalents, float).

    Raises:
        ImportValidationError: With every problem found: missing columns, no staff-in-post rows,
            trusts not in the file, headcounts or FTE that are not numbers or are negative, a
            staff group repeated, or staff groups that do not add up to "All staff groups".
    """
    path = Path(path)
    file = path.name
    raw = read_csv_text(path)
    columns, problems = find_columns(
        raw.columns, COLUMN_ALIASES, file=file, required=COLUMN_ALIASES.keys()
    )
    if problems:
        raise ImportValidationError(problems)
    for key in ("type", "ods_code", "staff_group", "period"):
        raw[columns[key]] = raw[columns[key]].str.strip()

    rows = raw[raw[columns["type"]].str.casefold() == STAFF_IN_POST.casefold()]
    if rows.empty:
        raise ImportValidationError(
            [
                ImportProblem(
                    file,
                    None,
                    columns["type"],
                    None,
                    f"has no '{STAFF_IN_POST}' rows; those rows count staff in post.",
                )
            ]
        )
    if providers is not None:
        problems += missing_code_problems(
            file, columns["ods_code"], providers, rows[columns["ods_code"]].unique(), "trust"
        )
        rows = rows[rows[columns["ods_code"]].isin(providers)]

    headcount, headcount_problems = parse_numbers(
        rows[[columns["headcount"]]],
        file=file,
        rule="a headcount must be a whole number, 0 or more",
        whole=True,
        thousands=True,
    )
    fte, fte_problems = parse_numbers(
        rows[[columns["fte"]]], file=file, rule="FTE must be 0 or more", thousands=True
    )
    problems += sorted(
        _repeated_group_problems(rows, columns, file) + headcount_problems + fte_problems,
        key=lambda p: p.row or 0,
    )
    table = pd.DataFrame(
        {
            "ods_code": rows[columns["ods_code"]],
            "period": rows[columns["period"]],
            "staff_group": rows[columns["staff_group"]],
            "headcount": headcount[columns["headcount"]],
            "fte": fte[columns["fte"]],
        }
    )
    if not (headcount_problems or fte_problems):
        problems += _adding_up_problems(table, rows, columns, file)
    if problems:
        raise ImportValidationError(problems)

    groups = table[table["staff_group"] != ALL_STAFF_GROUPS]
    return groups.astype({"headcount": "int64"}).sort_values(
        "ods_code", kind="stable", ignore_index=True
    )


def _repeated_group_problems(
    rows: pd.DataFrame, columns: dict[str, str], file: str
) -> list[ImportProblem]:
    """A trust's staff group appearing twice would count its staff twice."""
    group = columns["staff_group"]
    repeated = rows.duplicated([columns["ods_code"], group])
    return [
        ImportProblem(
            file,
            int(index) + 2,
            group,
            rows.loc[index, group],
            f"appears twice for trust {rows.loc[index, columns['ods_code']]}; "
            "a staff group has one staff-in-post row.",
        )
        for index in rows.index[repeated.to_numpy()]
    ]


def _adding_up_problems(
    table: pd.DataFrame, rows: pd.DataFrame, columns: dict[str, str], file: str
) -> list[ImportProblem]:
    """Trusts whose staff groups do not add up to their "All staff groups" row."""
    is_total = table["staff_group"] == ALL_STAFF_GROUPS
    totals = (
        table[is_total]
        .rename_axis("position")
        .reset_index()
        .drop_duplicates("ods_code")
        .set_index("ods_code")
    )
    sums = table[~is_total].groupby("ods_code")[["headcount", "fte"]].sum()
    problems = [
        ImportProblem(
            file,
            None,
            columns["staff_group"],
            None,
            f"has no '{ALL_STAFF_GROUPS}' row for trust {code}; "
            "cannot check its staff groups add up.",
        )
        for code in sums.index.difference(totals.index)
    ]
    sums = sums.reindex(totals.index, fill_value=0)

    def fte_says(code: str, added: float) -> str:
        return (
            f"is trust {code}'s '{ALL_STAFF_GROUPS}' FTE, but its staff groups add up to "
            f"{added:,.2f} (allowed difference {FTE_TOLERANCE})."
        )

    def headcount_says(code: str, added: float) -> str:
        return (
            f"is trust {code}'s '{ALL_STAFF_GROUPS}' headcount, more than its staff groups "
            f"add up to ({added:,.0f}); everyone is in a staff group."
        )

    # Each check: the measure, the trusts whose total row fails it, and what the problem says.
    checks = (
        ("fte", (sums["fte"] - totals["fte"]).abs() > FTE_TOLERANCE, fte_says),
        ("headcount", sums["headcount"] < totals["headcount"], headcount_says),
    )
    for measure, failing, says in checks:
        for code in totals.index[failing.to_numpy()]:
            position = totals.loc[code, "position"]
            value = rows.loc[position, columns[measure]]
            said = says(code, float(sums.loc[code, measure]))
            problems.append(ImportProblem(file, int(position) + 2, columns[measure], value, said))
    return sorted(problems, key=lambda p: p.row or 0)
