"""Reader for the project's own templates, for what NHS England does not publish.

Two templates, as CSV or Excel (.xlsx, first sheet), described in `docs/data-templates.md` with an
example of each in `docs/examples/`:

- **theatres**: one row per hospital site or elective hub: who runs it, where it is, its theatres
  and sessions, its elective beds and day-case places, and the treatment functions it treats;
- **case_mix**: one row per RTT treatment function: theatre minutes per case, length of stay and
  day-case rate.

Columns are found by meaning (an alias table, any order, any case, spaces, `_` or `-`), and which
template a file is comes from its header. Ranges are those of the database (`CHECK` rules) and of
the capacity editor, so that an imported plan can be edited on the page. Rates may be written as
fractions (0.85) or percentages (85 or 85%). Every problem is reported with its spreadsheet row
(header = row 1) before anything is written.

The parts: `template_columns` (each template's columns and ranges), `template_cells` (reading a
file's cells within a budget) and `template_checks` (checking every cell); their public names are
importable from here as before.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd

from ics_capacity.importers.identifiers import refuse_patient_identifiers
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)
from ics_capacity.importers.template_cells import (
    EXCEL_SUFFIXES,
    max_template_cells,
    read_cells,
)
from ics_capacity.importers.template_checks import check_template_cells, normalise_tfc
from ics_capacity.importers.template_columns import (
    CASE_MIX,
    CASE_MIX_COLUMNS,
    NUMBER_RULES,
    TEMPLATE_COLUMNS,
    TEMPLATE_LABELS,
    TEXT_LIMITS,
    THEATRE_COLUMNS,
    THEATRES,
    Column,
    NumberRule,
)

__all__ = [
    "CASE_MIX",
    "CASE_MIX_COLUMNS",
    "EXCEL_SUFFIXES",
    "NUMBER_RULES",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_LABELS",
    "TEXT_LIMITS",
    "THEATRES",
    "THEATRE_COLUMNS",
    "Column",
    "NumberRule",
    "Template",
    "find_template_columns",
    "max_template_cells",
    "meaning_key",
    "normalise_tfc",
    "read_cells",
    "read_template",
    "template_kind_of",
]


@dataclass(frozen=True, eq=False)
class Template:
    """A template file, read and checked.

    Attributes:
        kind: `theatres` or `case_mix`.
        rows: One row per site (theatres) or treatment function (case_mix), with a `row` column
            giving its spreadsheet row. Theatres: `site_code`, `site_name`, `operator_ods_code`,
            `is_elective_hub` (bool), `postcode` (str or None), `latitude`, `longitude` (float,
            NaN when blank), `theatres`, `sessions_per_week`, `session_minutes` (int),
            `utilisation_target` (float, 3 decimals), `elective_overnight_beds`,
            `day_case_places` (int), `occupancy_target` (float), `treatment_functions` (tuple
            of codes, or None when the file has no such column), `source` (str). Case-mix:
            `tfc`, `minutes_per_case` (int), `length_of_stay_days` (float, 2 decimals),
            `day_case_rate` (float, 3 decimals), `source`.
        columns: Meaning -> column name as the file spells it, for the columns found.
        file: The file's name.
    """

    kind: str
    rows: pd.DataFrame
    columns: dict[str, str]
    file: str


def read_template(
    path: str | PathLike[str],
    *,
    kind: str | None = None,
    known_ods_codes: Collection[str] | None = None,
) -> Template:
    """Reads a theatres or case-mix template (CSV or .xlsx) and checks every cell.

    Args:
        path: The file.
        kind: `theatres` or `case_mix`; found from the header row if None.
        known_ods_codes: Organisation codes a site's operator may have; any if None.

    Returns:
        The checked rows.

    Raises:
        ImportValidationError: With every problem found: an unreadable or empty file, a header
            that is neither template's, missing columns, a column given twice, blank or too long
            text, numbers out of range, hub flags that are not yes/no, unknown operators or
            treatment functions, and sites or treatment functions given twice.
    """
    path = Path(path)
    file = path.name
    raw = read_cells(path)
    refuse_patient_identifiers(file, raw)
    header = [str(name) for name in raw.columns]
    if kind is None:
        kind = _template_kind(header, file)
    if kind not in TEMPLATE_COLUMNS:
        raise ValueError(f"unknown template kind {kind!r}; expected {list(TEMPLATE_COLUMNS)}")
    spec = TEMPLATE_COLUMNS[kind]
    columns, problems = find_template_columns(header, spec, file=file)
    if problems:
        raise ImportValidationError(problems)

    text = raw[list(columns.values())].fillna("").astype(str)
    text = text.apply(lambda column: column.str.strip())
    text = text[text.ne("").any(axis=1)]  # blank lines
    if text.empty:
        raise ImportValidationError(
            [ImportProblem(file, None, None, None, "has a header but no data rows.")]
        )
    table, problems = check_template_cells(kind, text, columns, file, known_ods_codes)
    if problems:
        raise ImportValidationError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    whole = [key for key, rule in NUMBER_RULES.items() if rule.whole and key in table]
    return Template(kind, table.astype(dict.fromkeys(whole, "int64")), columns, file)


def meaning_key(name: str) -> str:
    """A column name reduced to its words: lower case, punctuation and `_`/`-` as spaces."""
    return " ".join(re.sub(r"[^0-9a-z%]+", " ", name.lower()).split())


def find_template_columns(
    header: Sequence[str], spec: Sequence[Column], *, file: str
) -> tuple[dict[str, str], list[ImportProblem]]:
    """Meaning -> column name as spelled in the file; problems for missing or repeated columns."""
    by_key: dict[str, list[str]] = {}
    for name in header:
        by_key.setdefault(meaning_key(name), []).append(name)
    found: dict[str, str] = {}
    problems: list[ImportProblem] = []
    for column in spec:
        keys = dict.fromkeys(map(meaning_key, column.names))
        matches = [by_key[k] for k in keys if k in by_key]
        if not matches:
            if column.required:
                also = ", ".join(column.names[1:])
                problems.append(
                    ImportProblem(
                        file,
                        1,
                        column.names[0],
                        None,
                        f"is missing from the header row (also accepted: {also}).",
                    )
                )
            continue
        names = [name for group in matches for name in group]
        if len(names) > 1:
            problems.append(
                ImportProblem(
                    file,
                    1,
                    names[1],
                    None,
                    f"means the same as column '{names[0]}'; give each column once.",
                )
            )
        found[column.key] = names[0]
    return found, problems


def template_kind_of(header: Sequence[str]) -> str | None:
    """Which template a header row is: the one with most of its required columns present."""
    keys = {meaning_key(name) for name in header}
    scores = {}
    for kind, spec in TEMPLATE_COLUMNS.items():
        required = [c for c in spec if c.required]
        hits = sum(any(meaning_key(n) in keys for n in c.names) for c in required)
        scores[kind] = hits / len(required)
    kind, score = max(scores.items(), key=lambda item: item[1])
    return kind if score >= 0.5 else None


def _template_kind(header: Sequence[str], file: str) -> str:
    kind = template_kind_of(header)
    if kind is None:
        expected = "; ".join(
            f"{TEMPLATE_LABELS[k]}: " + ", ".join(c.names[0] for c in spec if c.required)
            for k, spec in TEMPLATE_COLUMNS.items()
        )
        raise ImportValidationError(
            [
                ImportProblem(
                    file,
                    1,
                    None,
                    None,
                    f"is not one of the project's templates; expected the columns of {expected}.",
                )
            ]
        )
    return kind
