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
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import cast

import numpy as np
import openpyxl  # type: ignore[import-untyped]  # no stubs in the environment
import pandas as pd

from ics_capacity.domain.assumptions import (
    BED_OCCUPANCY_TARGET,
    SESSION_MINUTES,
    THEATRE_UTILISATION_CAP,
)
from ics_capacity.domain.codes import TREATMENT_FUNCTIONS
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL
from ics_capacity.importers.files import ArchiveLimits, check_archive, read_csv_text
from ics_capacity.importers.identifiers import refuse_patient_identifiers
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)

THEATRES = "theatres"
CASE_MIX = "case_mix"
TEMPLATE_LABELS = {
    THEATRES: "Theatres, sessions and beds per site",
    CASE_MIX: "Case-mix per treatment function",
}
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Column:
    """A template column: its meaning, the names accepted for it, and whether it must be there.

    The first name is the one the template and problems use.
    """

    key: str
    names: tuple[str, ...]
    required: bool = True


THEATRE_COLUMNS: tuple[Column, ...] = (
    Column("site_code", ("Site code", "Site", "Code", "Site ID")),
    Column("site_name", ("Site name", "Name", "Hospital", "Hospital name")),
    Column(
        "operator_ods_code",
        ("Operator ODS code", "Operator", "Trust ODS code", "Trust code", "ODS code"),
    ),
    Column("is_elective_hub", ("Elective hub", "Is elective hub", "Hub"), required=False),
    Column("postcode", ("Postcode", "Post code"), required=False),
    Column("latitude", ("Latitude", "Lat"), required=False),
    Column("longitude", ("Longitude", "Lon", "Long", "Lng"), required=False),
    Column("theatres", ("Theatres", "Number of theatres", "Operating theatres")),
    Column(
        "sessions_per_week",
        (
            "Sessions per week per theatre",
            "Sessions a week per theatre",
            "Sessions per week",
            "Sessions a week",
        ),
    ),
    Column(
        "session_minutes",
        ("Session minutes", "Session length minutes", "Minutes per session", "Session length"),
        required=False,
    ),
    Column(
        "utilisation_target",
        (
            "Utilisation target",
            "Theatre utilisation target",
            "Theatre utilisation cap",
            THEATRE_CAP_LABEL,
        ),
        required=False,
    ),
    Column(
        "elective_overnight_beds",
        ("Elective overnight beds", "Overnight beds", "Elective beds"),
    ),
    Column("day_case_places", ("Day-case places", "Day case places", "Daycase places")),
    Column(
        "occupancy_target",
        ("Bed occupancy target", "Occupancy target", "Bed occupancy cap", BED_CAP_LABEL),
        required=False,
    ),
    Column(
        "treatment_functions",
        ("Treatment functions", "Treatment function codes", "TFCs", "Specialties"),
        required=False,
    ),
    Column("source", ("Source", "Sources", "Notes"), required=False),
)

CASE_MIX_COLUMNS: tuple[Column, ...] = (
    Column("tfc", ("Treatment function", "TFC", "Treatment function code", "Specialty")),
    Column("minutes_per_case", ("Minutes per case", "Theatre minutes per case", "Case minutes")),
    Column("length_of_stay_days", ("Length of stay days", "Length of stay", "LOS days", "LOS")),
    Column("day_case_rate", ("Day-case rate", "Day case rate", "Daycase rate")),
    Column("source", ("Source", "Sources", "Notes"), required=False),
)

TEMPLATE_COLUMNS: dict[str, tuple[Column, ...]] = {
    THEATRES: THEATRE_COLUMNS,
    CASE_MIX: CASE_MIX_COLUMNS,
}


@dataclass(frozen=True)
class NumberRule:
    """What a numeric column allows, for the checks and for the people reading problems."""

    minimum: float
    maximum: float
    whole: bool
    rule: str
    is_rate: bool = False
    default: float | None = None  # used when the column is absent or the cell blank
    optional: bool = False  # a blank cell is allowed and stays blank
    decimals: int = 3


# Minima are the database's CHECK rules; maxima are the capacity editor's (so an imported plan
# can be edited on the page) or, where the editor has none, a plainly impossible value.
NUMBER_RULES: dict[str, NumberRule] = {
    "latitude": NumberRule(
        -90, 90, False, "latitude must be -90 to 90 degrees (WGS84)", optional=True, decimals=6
    ),
    "longitude": NumberRule(
        -180, 180, False, "longitude must be -180 to 180 degrees (WGS84)", optional=True, decimals=6
    ),
    "theatres": NumberRule(0, 100, True, "theatres must be a whole number, 0 to 100"),
    "sessions_per_week": NumberRule(
        0, 21, True, "sessions a week per theatre must be a whole number, 0 to 21"
    ),
    "session_minutes": NumberRule(
        1, 720, True, "a session must be 1 to 720 minutes", default=SESSION_MINUTES
    ),
    "utilisation_target": NumberRule(
        0,
        1,
        False,
        "a utilisation target must be 0 to 1 (or 0% to 100%)",
        is_rate=True,
        default=THEATRE_UTILISATION_CAP,
    ),
    "elective_overnight_beds": NumberRule(
        0, 2000, True, "elective overnight beds must be a whole number, 0 to 2,000"
    ),
    "day_case_places": NumberRule(0, 500, True, "day-case places must be a whole number, 0 to 500"),
    "occupancy_target": NumberRule(
        0,
        1,
        False,
        "a bed occupancy target must be 0 to 1 (or 0% to 100%)",
        is_rate=True,
        default=BED_OCCUPANCY_TARGET,
    ),
    "minutes_per_case": NumberRule(
        0, 1440, True, "minutes per case must be a whole number, 0 to 1,440"
    ),
    "length_of_stay_days": NumberRule(
        0, 365, False, "length of stay must be 0 to 365 days", decimals=2
    ),
    "day_case_rate": NumberRule(
        0, 1, False, "a day-case rate must be 0 to 1 (or 0% to 100%)", is_rate=True
    ),
}
TEXT_LIMITS = {"site_code": 20, "site_name": 200, "postcode": 10, "source": 2000}
"""Longest text the database holds, in characters."""

_TRUE = {"yes", "y", "true", "t", "1", "hub", "elective hub"}
_FALSE = {"no", "n", "false", "f", "0", ""}
_TFC_SPLIT = re.compile(r"[;,/|\s]+")
_THOUSANDS = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"


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
    table, problems = _check(kind, text, columns, file, known_ods_codes)
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


def read_cells(path: Path) -> pd.DataFrame:
    """Every cell as text ("" when blank), from a CSV or the first sheet of an .xlsx file."""
    file = path.name
    if not path.is_file():
        raise ImportValidationError([ImportProblem(file, None, None, None, "does not exist.")])
    if path.stat().st_size == 0:
        raise ImportValidationError(
            [ImportProblem(file, None, None, None, "is empty (0 bytes); expected a template.")]
        )
    if path.suffix.lower() in EXCEL_SUFFIXES or zipfile.is_zipfile(path):
        return _read_first_sheet(path, max_template_cells())
    return read_csv_text(path)


def max_template_cells() -> int:
    """Most cells (rows x header columns) of a template sheet: `ICS_MAX_TEMPLATE_CELLS`.

    Default 200,000: a system's theatres template is a few dozen rows of 16 columns.
    """
    text = os.environ.get("ICS_MAX_TEMPLATE_CELLS", "").strip()
    return int(text) if text else 200_000


def _unreadable_workbook(file: str, error: Exception) -> ImportValidationError:
    return ImportValidationError(
        [ImportProblem(file, None, None, None, f"cannot be read as an Excel workbook: {error}")]
    )


def _read_first_sheet(path: Path, max_cells: int) -> pd.DataFrame:
    """The first sheet's cells as text, read-only and header first, within `max_cells`.

    The archive is checked (entries, unzipped size, compression) before openpyxl opens it; the
    sheet's declared size is checked before its body is read; and rows are counted as they are
    read, since a sheet need not declare its size (or may declare it wrongly). Rows keep their
    sheet positions (blank ones as ""), so index + 2 is the spreadsheet row.
    """
    file = path.name
    try:
        check_archive(path, ArchiveLimits.for_workbook())
        _check_undeclared_sheets(path, file, max_cells)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except ImportValidationError:
        raise
    except Exception as error:  # zipfile, XML and openpyxl raise many kinds for a bad file
        raise _unreadable_workbook(file, error) from error
    try:
        sheet = book.worksheets[0]
        header_cells = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        header = list(header_cells)
        while header and _cell_text(header[-1]) == "":
            header.pop()
        if not header:
            raise ImportValidationError(
                [ImportProblem(file, None, None, None, "is empty; expected a header row.")]
            )
        width = len(header)
        limit_rows = max_cells // width
        declared_rows = (sheet.max_row or 1) - 1
        if declared_rows > limit_rows:
            raise _too_many_cells(file, f"declares {declared_rows:,} rows", width, max_cells)
        rows: list[list[str]] = []
        for values in sheet.iter_rows(min_row=2, max_col=width, values_only=True):
            if len(rows) >= limit_rows:
                raise _too_many_cells(file, f"has more than {limit_rows:,} rows", width, max_cells)
            rows.append([_cell_text(value) for value in values])
    except ImportValidationError:
        raise
    except Exception as error:  # a malformed sheet part
        raise _unreadable_workbook(file, error) from error
    finally:
        book.close()
    while rows and not any(rows[-1]):
        rows.pop()  # trailing blank rows, as a sheet's used range often has
    return pd.DataFrame(rows, columns=_header_names(header), dtype=str)


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_DIMENSION_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension[\s/>]")
_SHEET_DATA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s/>]")


def _check_undeclared_sheets(path: Path, file: str, max_cells: int) -> None:
    """Refuses a sheet without a declared size that has more rows or cells than the cap.

    openpyxl, opening a workbook read-only, reads each sheet's `<dimension>`; a sheet without one
    is parsed to its end there and then, before any row can be counted. Such sheets are scanned
    here first, counting row and cell tags in the raw XML (no parsing), stopping at the cap.
    """
    # Every template has at least this many columns, so no template has more rows than this.
    narrowest = min(sum(c.required for c in spec) for spec in TEMPLATE_COLUMNS.values())
    max_rows = max_cells // narrowest
    with zipfile.ZipFile(path) as archive:
        for entry in archive.infolist():
            if not _SHEET_PART.fullmatch(entry.filename):
                continue
            with archive.open(entry) as part:
                rows = cells = 0
                carry = b""
                declared: bool | None = None
                while chunk := part.read(1 << 20):
                    data = carry + chunk
                    cut = data.rfind(b"<")
                    done, carry = data[:cut], data[cut:]
                    if declared is None:
                        dimension = _DIMENSION_TAG.search(done)
                        sheet_data = _SHEET_DATA_TAG.search(done)
                        if dimension and (not sheet_data or dimension.start() < sheet_data.start()):
                            break  # openpyxl stops at the dimension; it is checked later
                        if sheet_data:
                            declared = False
                    rows += len(_ROW_TAG.findall(done))
                    cells += len(_CELL_TAG.findall(done))
                    if rows > max_rows or cells > max_cells:
                        reason = (
                            f"has more than {max_rows:,} rows or {max_cells:,} cells (rows x "
                            "columns) and does not declare its size; delete the empty or "
                            "formatted rows below the data, or save the sheet as CSV."
                        )
                        raise ImportValidationError(
                            [ImportProblem(f"{file}/{entry.filename}", None, None, None, reason)]
                        )


def _too_many_cells(file: str, what: str, width: int, max_cells: int) -> ImportValidationError:
    reason = (
        f"{what} below a header of {width} columns; a template sheet may have at most "
        f"{max_cells:,} cells (rows x columns). Delete the empty or formatted rows below the "
        "data, or save the sheet as CSV."
    )
    return ImportValidationError([ImportProblem(file, None, None, None, reason)])


def _cell_text(value: object) -> str:
    """A cell as pandas' `read_excel(dtype=str)` would give it: whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_names(header: Sequence[object]) -> list[str]:
    """Header cells as names: a blank one `Unnamed: i`, a repeat `name.1`, as pandas names them."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(header):
        name = _cell_text(value) or f"Unnamed: {position}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _check(
    kind: str,
    text: pd.DataFrame,
    columns: Mapping[str, str],
    file: str,
    known_ods_codes: Collection[str] | None,
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    spec = TEMPLATE_COLUMNS[kind]
    table = pd.DataFrame({"row": text.index.to_numpy() + 2}, index=text.index)
    problems: list[ImportProblem] = []
    for column in spec:
        name = columns.get(column.key)
        if column.key in NUMBER_RULES:
            values, found = _numbers(text, name, NUMBER_RULES[column.key], file)
            table[column.key] = values
            problems += found
        elif column.key == "is_elective_hub":
            table[column.key], found = _flags(text, name, file)
            problems += found
        elif column.key == "treatment_functions":
            table[column.key], found = _tfc_lists(text, name, file)
            problems += found
        elif column.key == "tfc":
            table[column.key], found = _tfcs(text, name, file)
            problems += found
        else:
            table[column.key], found = _texts(text, column, name, file)
            problems += found
    if kind == THEATRES:
        problems += _coordinate_pair_problems(text, table, columns, file)
        problems += _unknown_operator_problems(text, columns, file, known_ods_codes)
        problems += _repeat_problems(table, "site_code", columns, file, "site")
    else:
        problems += _repeat_problems(table, "tfc", columns, file, "treatment function")
    return table.reset_index(drop=True), problems


def _numbers(
    text: pd.DataFrame, name: str | None, rule: NumberRule, file: str
) -> tuple[pd.Series, list[ImportProblem]]:
    """A numeric column, checked against its range; rates may be percentages."""
    if name is None:
        return pd.Series(rule.default, index=text.index, dtype="float64"), []
    cells = text[name]
    plain = cells.str.removesuffix("%").str.strip() if rule.is_rate else cells
    values = pd.to_numeric(plain, errors="coerce").astype("float64")
    with_commas = values.isna() & plain.str.fullmatch(_THOUSANDS)
    if with_commas.any():
        values[with_commas] = pd.to_numeric(plain[with_commas].str.replace(",", ""))
    blank = cells.eq("")
    not_number = ~blank & ~np.isfinite(values)
    values = values.where(~not_number)
    if rule.is_rate:
        # "85" and "85%" both mean 0.85, as in the capacity editor.
        percent = cells.str.endswith("%") | ((values > 1) & (values <= 100))
        values = values.where(~percent, values / 100)
    out_of_range = values.notna() & ((values < rule.minimum) | (values > rule.maximum))
    fraction = values.notna() & ~out_of_range & rule.whole & (values % 1 != 0)
    checks = [
        (not_number, f"is not a number; {rule.rule}."),
        (out_of_range, f"is out of range; {rule.rule}."),
        (fraction, f"is not a whole number; {rule.rule}."),
        (blank & (rule.default is None) & (not rule.optional), f"is blank; {rule.rule}."),
    ]
    problems = [
        ImportProblem(file, int(i) + 2, name, cells[i], reason)
        for mask, reason in checks
        for i in cells.index[mask.to_numpy()]
    ]
    if rule.default is not None:
        values = values.mask(blank, rule.default)
    return values.where(~out_of_range).round(rule.decimals), problems


def _flags(
    text: pd.DataFrame, name: str | None, file: str
) -> tuple[pd.Series, list[ImportProblem]]:
    if name is None:
        return pd.Series(False, index=text.index), []
    words = text[name].str.lower()
    bad = ~words.isin(_TRUE | _FALSE)
    problems = [
        ImportProblem(
            file, int(i) + 2, name, text.loc[i, name], "is not yes or no (blank means no)."
        )
        for i in text.index[bad.to_numpy()]
    ]
    return words.isin(_TRUE), problems


def normalise_tfc(code: str) -> str | None:
    """An RTT treatment function code as the app stores it (`C_110`), or None if unknown.

    Accepts `C_110`, `c_110`, `C110` and `110`, and `X02`..`X06` in any case.
    """
    text = code.strip().upper().replace(" ", "")
    candidates = [text]
    if text.isdigit():
        candidates.append(f"C_{text}")
    if re.fullmatch(r"C\d{3}", text):
        candidates.append(f"C_{text[1:]}")
    return next((c for c in candidates if c in TREATMENT_FUNCTIONS), None)


def _tfcs(text: pd.DataFrame, name: str | None, file: str) -> tuple[pd.Series, list[ImportProblem]]:
    assert name is not None  # required column
    codes = text[name].map(normalise_tfc)
    problems = [
        ImportProblem(
            file,
            int(i) + 2,
            name,
            text.loc[i, name],
            "is blank; every row needs an RTT treatment function code such as C_110."
            if text.loc[i, name] == ""
            else "is not an RTT treatment function code; expected C_100 .. C_502 or X02 .. X06.",
        )
        for i in codes.index[codes.isna().to_numpy()]
    ]
    return codes, problems


def _tfc_lists(
    text: pd.DataFrame, name: str | None, file: str
) -> tuple[pd.Series, list[ImportProblem]]:
    if name is None:
        return pd.Series([None] * len(text), index=text.index, dtype=object), []
    lists: list[tuple[str, ...]] = []
    problems: list[ImportProblem] = []
    for label, cell in text[name].items():
        index = cast(int, label)  # read_csv_text numbers the rows 0, 1, ...
        parts = [p for p in _TFC_SPLIT.split(cell) if p]
        codes = [normalise_tfc(p) for p in parts]
        unknown = [p for p, c in zip(parts, codes, strict=True) if c is None]
        if unknown:
            problems.append(
                ImportProblem(
                    file,
                    int(index) + 2,
                    name,
                    cell,
                    f"has {', '.join(unknown)}, not RTT treatment function codes; expected codes "
                    "such as C_110 or X05, separated by ';'.",
                )
            )
        lists.append(tuple(dict.fromkeys(c for c in codes if c is not None)))
    return pd.Series(lists, index=text.index, dtype=object), problems


def _texts(
    text: pd.DataFrame, column: Column, name: str | None, file: str
) -> tuple[pd.Series, list[ImportProblem]]:
    key = column.key
    if name is None:
        empty = "" if key == "source" else None
        return pd.Series([empty] * len(text), index=text.index, dtype=object), []
    cells = text[name]
    problems: list[ImportProblem] = []
    if column.required:
        problems += [
            ImportProblem(file, int(i) + 2, name, "", "is blank; every row needs one.")
            for i in cells.index[cells.eq("").to_numpy()]
        ]
    limit = TEXT_LIMITS.get(key)
    if limit is not None:
        long = cells.str.len() > limit
        problems += [
            ImportProblem(file, int(i) + 2, name, cells[i], f"is longer than {limit} characters.")
            for i in cells.index[long.to_numpy()]
        ]
    if key == "operator_ods_code":
        cells = cells.str.upper()
    if key == "postcode":
        cells = cells.str.upper()
        return cells.where(cells.ne(""), None).astype(object), problems
    return cells.astype(object), problems


def _coordinate_pair_problems(
    text: pd.DataFrame, table: pd.DataFrame, columns: Mapping[str, str], file: str
) -> list[ImportProblem]:
    """A site has both latitude and longitude, or neither."""
    if "latitude" not in columns or "longitude" not in columns:
        given = columns.get("latitude") or columns.get("longitude")
        if given is None:
            return []
        return [
            ImportProblem(
                file,
                1,
                given,
                None,
                "is given without its partner; give both Latitude and Longitude, or neither.",
            )
        ]
    lat_blank = text[columns["latitude"]].eq("")
    lon_blank = text[columns["longitude"]].eq("")
    one = lat_blank ^ lon_blank
    return [
        ImportProblem(
            file,
            int(i) + 2,
            columns["latitude"] if lat_blank[i] else columns["longitude"],
            "",
            "is blank but its partner is not; give both latitude and longitude, or neither.",
        )
        for i in text.index[one.to_numpy()]
    ]


def _unknown_operator_problems(
    text: pd.DataFrame,
    columns: Mapping[str, str],
    file: str,
    known_ods_codes: Collection[str] | None,
) -> list[ImportProblem]:
    if known_ods_codes is None:
        return []
    name = columns["operator_ods_code"]
    codes = text[name].str.upper()
    known = set(known_ods_codes)
    unknown = codes.ne("") & ~codes.isin(known)
    return [
        ImportProblem(
            file,
            int(i) + 2,
            name,
            text.loc[i, name],
            "is not an organisation the app knows; use the ODS code of a trust or "
            "independent-sector provider already loaded (import the ODS trusts file first).",
        )
        for i in text.index[unknown.to_numpy()]
    ]


def _repeat_problems(
    table: pd.DataFrame, key: str, columns: Mapping[str, str], file: str, what: str
) -> list[ImportProblem]:
    values = table[key]
    valid = values.notna() & values.ne("")
    keys = values[valid].str.upper()
    repeated = keys.duplicated(keep="first")
    rows = table["row"]
    firsts = keys[~repeated]
    first_row = {k: int(r) for k, r in zip(firsts, rows[firsts.index], strict=True)}
    return [
        ImportProblem(
            file,
            int(rows[i]),
            columns[key],
            str(values[i]),
            f"repeats the {what} of row {first_row[keys[i]]}; give each {what} one row.",
        )
        for i in keys.index[repeated.to_numpy()]
    ]
