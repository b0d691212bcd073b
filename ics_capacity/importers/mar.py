"""Reader for NHS England's Monthly Activity Return (MAR), provider level.

One row per provider and month. Only the "All specialties" elective columns are read: ordinary
(overnight) and day-case elective spells. Counts are rounded to 5 and `*` marks a suppressed
count, read as unknown (None), never as 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
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

SUPPRESSED = "*"

_ALIASES: dict[str, tuple[str, ...]] = {
    "ods_code": ("Org Code", "Organisation Code", "org_code"),
    "month": ("Activity Month",),
    "ordinary": ("All specialties: Ordinary Elective",),
    "day_case": ("All specialties: Daycase Elective", "All specialties: Day case Elective"),
}


def _month(text: str) -> dt.date | None:
    """The first day of a month written as MAR writes it ("Feb 2026"), or None."""
    try:
        return dt.datetime.strptime(text.strip(), "%b %Y").date()
    except ValueError:
        return None


def read_mar(path: str | PathLike[str], *, providers: Collection[str]) -> pd.DataFrame:
    """Reads each provider's elective spells of the file's latest month.

    Returns:
        One row per provider: `ods_code`, `month` (first day), `days` (days in the month),
        `ordinary` and `day_case` elective spells (float; NaN where suppressed).

    Raises:
        ImportValidationError: With every problem: missing columns, months not written like
            "Feb 2026", counts that are not numbers, providers not in the file.
    """
    path = Path(path)
    file = path.name
    raw = read_csv_text(path)
    columns, problems = find_columns(raw.columns, _ALIASES, file=file, required=_ALIASES.keys())
    if problems:
        raise ImportValidationError(problems)
    ods, month = columns["ods_code"], columns["month"]
    raw[ods] = raw[ods].str.strip()
    problems += missing_code_problems(file, ods, providers, raw[ods].unique(), "provider")
    rows = raw[raw[ods].isin(providers)]
    months = rows[month].map(_month)
    for index in rows.index[months.isna().to_numpy()]:
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                month,
                rows.loc[index, month],
                "is not a month; expected a month such as 'Feb 2026'.",
            )
        )
    counts_text = rows[[columns["ordinary"], columns["day_case"]]].apply(
        lambda c: c.str.strip().replace(SUPPRESSED, "")
    )
    counts, count_problems = parse_numbers(
        counts_text,
        file=file,
        rule="spells must be 0 or more ('*' where suppressed)",
        blank_allowed=True,
        thousands=True,
    )
    problems += count_problems
    if problems:
        raise ImportValidationError(problems)
    table = pd.DataFrame(
        {
            "ods_code": rows[ods],
            "month": months,
            "ordinary": counts[columns["ordinary"]],
            "day_case": counts[columns["day_case"]],
        }
    )
    latest = table.sort_values(["ods_code", "month"]).drop_duplicates("ods_code", keep="last")
    latest["days"] = [calendar.monthrange(m.year, m.month)[1] for m in latest["month"]]
    return latest.reset_index(drop=True)
