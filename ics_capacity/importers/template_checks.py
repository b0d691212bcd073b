"""Checking every cell of a template against its column: numbers, flags, codes and text.

Each problem is reported with its spreadsheet row (header = row 1), column and value; nothing
stops at the first one (`check_template_cells`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import cast

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import TREATMENT_FUNCTIONS
from ics_capacity.importers.problems import (
    ImportProblem,
)
from ics_capacity.importers.template_columns import (
    NUMBER_RULES,
    TEMPLATE_COLUMNS,
    TEXT_LIMITS,
    THEATRES,
    Column,
    NumberRule,
)

_TRUE = {"yes", "y", "true", "t", "1", "hub", "elective hub"}
_FALSE = {"no", "n", "false", "f", "0", ""}
_TFC_SPLIT = re.compile(r"[;,/|\s]+")
_THOUSANDS = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"


def check_template_cells(
    kind: str,
    text: pd.DataFrame,
    columns: Mapping[str, str],
    file: str,
    known_ods_codes: Collection[str] | None,
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """The template's rows as typed values, and every problem found in its cells."""
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
