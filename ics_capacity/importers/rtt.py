"""Reader for NHS England's Referral to Treatment (RTT) "Full CSV" monthly extract.

The extract has one row per provider x commissioner x RTT part x treatment function, with 105
weekly wait bands (`Gt 00 To 01 Weeks SUM 1` .. `Gt 104 Weeks SUM 1`), then `Total`,
`Patients with unknown clock start date` and `Total All`. The national file is about 180,000 rows;
it is read in chunks and filtered to the chosen ICS or providers before any other work.

How the published file looks (April 2026, checked on every row of the QUA and QHL providers):
- blank cells mean 0: most rows leave empty bands blank rather than writing 0;
- Part_3 (new clock starts) has every band, `Total` and the unknown column blank; only
  `Total All` is filled;
- Part_2 and Part_2A leave `Total` and the unknown column blank; their bands add up to `Total All`;
- Part_1A and Part_1B fill `Total` (= the bands) and `Total All` (= `Total` + unknown);
- treatment function `C_999` is the total of the provider x commissioner x part.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO, cast

import numpy as np
import pandas as pd

from ics_capacity.domain.codes import (
    RTT_PARTS,
    RTT_PARTS_WITH_WAIT_BANDS,
    TOTAL_TFC,
    TREATMENT_FUNCTIONS,
    WAIT_BAND_COLUMNS,
    WAIT_BANDS,
)
from ics_capacity.importers.files import open_single_csv, utf8_stream
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
    find_columns,
    missing_code_problems,
    normalise_header,
    parse_numbers,
)

COUNT_COLUMNS = ("total", "unknown_clock_start", "total_all")
KEY_COLUMNS = ("ods_code", "tfc", "part")

# The full extract's headings have not changed since at least the 2017 editions (analysts' scripts
# for 2017, 2019-2022 and 2025-26 use these names); only the first name of each is published now.
# What changed is the meaning of "Provider Parent": the NHS England region before April 2020, the
# STP to June 2022, the ICB since July 2022; and the wait bands (see `_OLD_LAST_BAND`). Other
# spellings below are those of extracts re-exported from databases and spreadsheets; case, spaces
# and `_` are ignored anyway (`normalise_header`), so `provider_parent_org_code` is read too.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "period": ("Period",),
    "icb_code": ("Provider Parent Org Code",),
    "icb_name": ("Provider Parent Name", "Provider Parent Org Name"),
    "ods_code": ("Provider Org Code",),
    "name": ("Provider Org Name",),
    "part": ("RTT Part Type",),
    "tfc": ("Treatment Function Code",),
    "total": ("Total",),
    "unknown_clock_start": (
        "Patients with unknown clock start date",
        "Patients with unknown clock start",
    ),
    "total_all": ("Total All",),
}
# "gt 00 to 01 weeks sum 1" .. "gt 103 to 104 weeks sum 1", then open-ended "gt 104 weeks sum 1".
_BAND = re.compile(r"gt (\d+)(?: to (\d+))? weeks sum 1")
# Extracts for months before April 2021 stop at "Gt 52 Weeks SUM 1" (52 weeks and over); NHS
# England added the bands to 104 weeks from the April 2021 extract. Over-52 waits cannot be
# spread over 52 bands, so such a file is refused with one clear problem, not 53.
_OLD_LAST_BAND = "gt 52 weeks sum 1"
MAX_KEPT_ROWS = 50_000
"""Most rows kept for one import. A system has a few thousand rows (QUA 4,774 and QHL 4,938 in
April 2026; the national file about 180,000 for 42 systems), and each kept row costs about 5 kB
of memory, so a file that keeps more is not one system's extract."""
_PERIOD = re.compile(r"RTT-([A-Za-z]+)-(\d{4})")
_COUNT_RULE = "patient counts must be whole numbers, 0 or more"


@dataclass(frozen=True, eq=False)
class RttExtract:
    """One month of RTT data for the chosen providers, summed over commissioners.

    Attributes:
        period: First day of the month the extract reports.
        providers: One row per provider: `ods_code`, `name` (as published, upper case),
            `icb_code`, `icb_name` (the provider's parent ICB).
        treatment_functions: `code`, `name` of the treatment functions present, in code order.
        counts: One row per (`ods_code`, `tfc`, `part`), without the C_999 total rows. Columns
            `w000`..`w104` hold patients by weeks waited (`w104` = over 104 weeks; all 0 for
            Part_3, which has no wait), `total` patients with a known clock start (= sum of
            bands), `unknown_clock_start`, and `total_all` = `total` + `unknown_clock_start`.
            All counts are int64.
        source_file: The file's name (for a zip, `archive.zip/member.csv`).
    """

    period: dt.date
    providers: pd.DataFrame
    treatment_functions: pd.DataFrame
    counts: pd.DataFrame
    source_file: str


def read_rtt_extract(
    path: str | PathLike[str],
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
    chunksize: int = 50_000,
    max_kept_rows: int = MAX_KEPT_ROWS,
) -> RttExtract:
    """Reads an RTT full CSV extract (plain, or the only CSV in a .zip) for some providers.

    Args:
        path: The CSV file, or a .zip archive holding it (read without extracting).
        ics: Keep only providers whose parent org (ICB) has this code, e.g. "QUA".
        providers: Keep only these provider ODS codes (combined with `ics` if both are given).
        chunksize: Rows read at a time; only the kept rows are held in memory.
        max_kept_rows: The file is refused once more rows than this are kept.

    Returns:
        The extract for the kept providers, counts summed over commissioners.

    Raises:
        ImportValidationError: With every problem found: missing columns, cells that are not
            whole non-negative numbers, unknown RTT parts or treatment functions, no rows for
            the chosen ICS or providers, rows whose bands and totals disagree, or treatment
            functions that do not add up to the C_999 total row.
    """
    path = Path(path)
    with open_single_csv(path) as (source, file), utf8_stream(source, file) as stream:
        header = _read_header(stream, file)
    columns, problems = find_columns(
        header, COLUMN_ALIASES, file=file, required=COLUMN_ALIASES.keys()
    )
    bands, band_problems = _find_bands(header, file)
    problems += band_problems
    if problems:
        raise ImportValidationError(problems)

    wanted = set(providers) if providers is not None else None
    raw, icb_codes_in_file, data_rows = _read_kept_rows(
        path, columns, bands, ics, wanted, chunksize, max_kept_rows
    )
    _check_rows_found(file, raw, columns, icb_codes_in_file, data_rows, ics, wanted)

    problems = _code_problems(raw, columns, file)
    numbers, number_problems = parse_numbers(
        raw[[*bands, columns["total"], columns["unknown_clock_start"], columns["total_all"]]],
        file=file,
        rule=_COUNT_RULE,
        whole=True,
        blank_is_zero=True,
    )
    problems += number_problems
    period, period_problems = _period(raw[columns["period"]], file)
    problems += period_problems
    table = _tidy(raw, numbers, columns, bands)
    problems += _row_total_problems(raw, table, columns, file)
    if not number_problems:
        problems += _c999_problems(table, columns, bands, file)
    if problems:
        raise ImportValidationError(problems)

    counts = (
        table[table["tfc"] != TOTAL_TFC]
        .groupby(list(KEY_COLUMNS), sort=True)[[*WAIT_BAND_COLUMNS, *COUNT_COLUMNS]]
        .sum()
        .astype("int64")
        .reset_index()
    )
    return RttExtract(
        period=period,
        providers=_providers(raw, columns),
        treatment_functions=_treatment_functions(counts),
        counts=counts,
        source_file=file,
    )


def _read_header(stream: IO[bytes], file: str) -> list[str]:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    header = next(csv.reader(text), None)
    if not header or not any(name.strip() for name in header):
        raise ImportValidationError(
            [
                ImportProblem(
                    file,
                    None,
                    None,
                    None,
                    "is empty; expected the RTT full CSV extract with its header row.",
                )
            ]
        )
    return header


def _find_bands(header: list[str], file: str) -> tuple[list[str], list[ImportProblem]]:
    """The 105 weekly band columns in band order, found by name pattern, not position."""
    by_band: dict[int, str] = {}
    problems: list[ImportProblem] = []
    normal = [normalise_header(name) for name in header]
    if _OLD_LAST_BAND in normal and not any(n.startswith("gt 104 ") for n in normal):
        old = header[normal.index(_OLD_LAST_BAND)]
        reason = (
            "is the last wait band of extracts for months before April 2021 (52 weeks and "
            "over); the importer needs the weekly bands to 104 weeks and over published since."
        )
        return [], [ImportProblem(file, 1, old, None, reason)]
    for name in header:
        match = _BAND.fullmatch(normalise_header(name))
        if match is None:
            continue
        low, high = int(match.group(1)), match.group(2)
        one_week = high is not None and int(high) == low + 1 and low < WAIT_BANDS - 1
        open_ended = high is None and low == WAIT_BANDS - 1
        if not (one_week or open_ended):
            problems.append(
                ImportProblem(
                    file, 1, name, None, "is not one of the 105 weekly bands (0-1 .. over 104)."
                )
            )
        elif low in by_band:
            problems.append(
                ImportProblem(file, 1, name, None, f"repeats the band in column '{by_band[low]}'.")
            )
        else:
            by_band[low] = name
    for band in range(WAIT_BANDS):
        if band not in by_band:
            expected = (
                f"Gt {band:02d} To {band + 1:02d} Weeks SUM 1"
                if band < WAIT_BANDS - 1
                else f"Gt {band} Weeks SUM 1"
            )
            problems.append(
                ImportProblem(file, 1, expected, None, "is missing from the header row.")
            )
    return [by_band[b] for b in sorted(by_band)], problems


def _read_kept_rows(
    path: Path,
    columns: dict[str, str],
    bands: list[str],
    ics: str | None,
    providers: set[str] | None,
    chunksize: int,
    max_kept_rows: int,
) -> tuple[pd.DataFrame, set[str], int]:
    """The rows of the chosen ICS/providers as text, indexed by data-row position (0 = row 2).

    Also returns every ICS (provider parent) code seen, to say what exists if nothing matched,
    and how many data rows the file has.
    """
    usecols = [*columns.values(), *bands]
    icb, ods, part = columns["icb_code"], columns["ods_code"], columns["part"]
    kept: list[pd.DataFrame] = []
    kept_rows = 0
    icb_codes: set[str] = set()
    data_rows = 0
    with open_single_csv(path) as (source, file), utf8_stream(source, file) as stream:
        try:
            reader = pd.read_csv(
                stream,
                dtype=str,
                keep_default_na=False,
                usecols=usecols,
                chunksize=chunksize,
                skip_blank_lines=False,  # keeps row numbers as a spreadsheet shows them
                encoding="utf-8",  # utf8_stream has decoded UTF-8 or Windows-1252 strictly
            )
            for chunk in reader:
                icb_codes.update(code.strip() for code in chunk[icb].unique())
                data_rows += int(((chunk[ods] != "") | (chunk[part] != "")).sum())
                keep = np.ones(len(chunk), dtype=bool)
                if ics is not None:
                    keep &= (chunk[icb] == ics).to_numpy()
                if providers is not None:
                    keep &= chunk[ods].isin(providers).to_numpy()
                rows = chunk[keep]
                # A blank line reads as a row of empty cells; it is not data.
                rows = rows[(rows != "").any(axis=1)]
                if not rows.empty:
                    kept.append(rows)
                    kept_rows += len(rows)
                if kept_rows > max_kept_rows:
                    raise too_many_rows_error(file, kept_rows, max_kept_rows, ics, providers)
        except pd.errors.ParserError as error:
            raise ImportValidationError(
                [ImportProblem(file, None, None, None, f"cannot be read as CSV: {error}")]
            ) from error
    icb_codes.discard("")
    frame = pd.concat(kept) if kept else pd.DataFrame(columns=usecols, dtype=str)
    for key in ("icb_code", "ods_code", "part", "tfc", "period"):
        frame[columns[key]] = frame[columns[key]].str.strip()
    return frame, icb_codes, data_rows


def too_many_rows_error(
    file: str, kept: int, limit: int, ics: str | None, providers: Collection[str] | None
) -> ImportValidationError:
    """The refusal of a file that keeps more rows than one system's extract can have."""
    chosen = f"ICS {ics}" if ics is not None else "the providers chosen"
    if ics is None and providers is None:
        chosen = "the whole file (no ICS or providers chosen)"
    return ImportValidationError(
        [
            ImportProblem(
                file,
                None,
                None,
                None,
                f"has more than {limit:,} rows for {chosen} ({kept:,} read so far); one "
                "system's extract has a few thousand, so the file is refused. Choose one ICS.",
            )
        ]
    )


def _check_rows_found(
    file: str,
    raw: pd.DataFrame,
    columns: dict[str, str],
    icb_codes_in_file: set[str],
    data_rows: int,
    ics: str | None,
    providers: set[str] | None,
) -> None:
    """Raises if the file has no data, or nothing for the ICS or providers asked for."""
    problems: list[ImportProblem] = []
    if data_rows == 0:
        problems.append(ImportProblem(file, None, None, None, "has a header but no data rows."))
    elif ics is not None and ics not in icb_codes_in_file:
        problems.append(
            ImportProblem(
                file,
                None,
                columns["icb_code"],
                ics,
                "is not an ICS in this file; it has "
                f"{', '.join(sorted(icb_codes_in_file)) or 'none'}.",
            )
        )
    elif providers is not None:
        problems += missing_code_problems(
            file,
            columns["ods_code"],
            sorted(providers),
            raw[columns["ods_code"]].unique(),
            "provider",
            scope=f" under ICS {ics}" if ics is not None else "",
        )
    if problems:
        raise ImportValidationError(problems)


def _code_problems(raw: pd.DataFrame, columns: dict[str, str], file: str) -> list[ImportProblem]:
    """Rows whose provider is blank, or whose RTT part or treatment function is not known."""
    checks = [
        (
            columns["ods_code"],
            raw[columns["ods_code"]] == "",
            "is blank; every row needs the provider's ODS code.",
        ),
        (
            columns["part"],
            ~raw[columns["part"]].isin(RTT_PARTS),
            f"is not an RTT part; expected one of {', '.join(RTT_PARTS)}.",
        ),
        (
            columns["tfc"],
            ~raw[columns["tfc"]].isin([*TREATMENT_FUNCTIONS, TOTAL_TFC]),
            "is not an RTT treatment function code; expected C_100 .. C_502, X02 .. X06 "
            f"or {TOTAL_TFC}.",
        ),
    ]
    problems = [
        ImportProblem(file, int(index) + 2, column, raw.loc[index, column], reason)
        for column, bad, reason in checks
        for index in raw.index[bad.to_numpy()]
    ]
    return sorted(problems, key=lambda p: p.row or 0)


def _period(values: pd.Series, file: str) -> tuple[dt.date, list[ImportProblem]]:
    """The month the extract reports, from e.g. 'RTT-April-2026'; one month per file."""
    first_rows = values.drop_duplicates()
    problems: list[ImportProblem] = []
    months: list[dt.date] = []
    for label, text in first_rows.items():
        index = cast(int, label)  # read_csv_text numbers the rows 0, 1, ...
        month = _parse_period(text)
        if month is None:
            problems.append(
                ImportProblem(
                    file,
                    int(index) + 2,
                    str(values.name),
                    text,
                    "is not an RTT period; expected e.g. 'RTT-April-2026'.",
                )
            )
        elif months:
            problems.append(
                ImportProblem(
                    file,
                    int(index) + 2,
                    str(values.name),
                    text,
                    f"differs from the first row's period ({months[0]:%B %Y}); "
                    "a file must hold one month.",
                )
            )
        else:
            months.append(month)
    return (months[0] if months else dt.date.min), problems


def _parse_period(text: str) -> dt.date | None:
    match = _PERIOD.fullmatch(text)
    if match is None:
        return None
    for month_format in ("%B %Y", "%b %Y"):
        try:
            return dt.datetime.strptime(f"{match[1]} {match[2]}", month_format).date()
        except ValueError:
            continue
    return None


def _tidy(
    raw: pd.DataFrame, numbers: pd.DataFrame, columns: dict[str, str], bands: list[str]
) -> pd.DataFrame:
    """Keys and counts under output names; `total` is filled from `Total All` where blank.

    Part_2, Part_2A and Part_3 leave `Total` blank; their known-clock-start total is then
    `Total All` less the unknown clock starts.
    """
    table = pd.DataFrame(
        {key: raw[columns[key]] for key in KEY_COLUMNS}
        | {name: numbers[band] for name, band in zip(WAIT_BAND_COLUMNS, bands, strict=True)}
    )
    unknown = numbers[columns["unknown_clock_start"]]
    total_all = numbers[columns["total_all"]]
    total_blank = raw[columns["total"]].str.strip() == ""
    table["total"] = numbers[columns["total"]].where(~total_blank, total_all - unknown)
    table["unknown_clock_start"] = unknown
    table["total_all"] = total_all
    return table


def _row_total_problems(
    raw: pd.DataFrame, table: pd.DataFrame, columns: dict[str, str], file: str
) -> list[ImportProblem]:
    """Rows whose bands do not add up to their total, or whose totals disagree."""
    complete = table[[*WAIT_BAND_COLUMNS, *COUNT_COLUMNS]].notna().all(axis=1)
    band_sum = table[list(WAIT_BAND_COLUMNS)].sum(axis=1)
    total_given = raw[columns["total"]].str.strip() != ""
    total, unknown, total_all = (table[c] for c in COUNT_COLUMNS)

    problems: list[ImportProblem] = []
    totals_disagree = complete & total_given & (total + unknown != total_all)
    for index in table.index[totals_disagree.to_numpy()]:
        t, u = int(total[index]), int(unknown[index])
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                columns["total_all"],
                raw.loc[index, columns["total_all"]],
                f"does not equal {columns['total']} ({t:,}) plus "
                f"{columns['unknown_clock_start']} ({u:,}) = {t + u:,}.",
            )
        )
    banded = table["part"].isin(RTT_PARTS_WITH_WAIT_BANDS)
    bands_disagree = complete & banded & (band_sum != total)
    for index in table.index[bands_disagree.to_numpy()]:
        column = columns["total"] if total_given[index] else columns["total_all"]
        unknown_note = (
            f", plus {int(unknown[index]):,} with an unknown clock start"
            if not total_given[index] and unknown[index]
            else ""
        )
        problems.append(
            ImportProblem(
                file,
                int(index) + 2,
                column,
                raw.loc[index, column],
                f"does not equal the sum of the {WAIT_BANDS} weekly bands "
                f"({int(band_sum[index]):,}{unknown_note}).",
            )
        )
    return sorted(problems, key=lambda p: p.row or 0)


def _c999_problems(
    table: pd.DataFrame, columns: dict[str, str], bands: list[str], file: str
) -> list[ImportProblem]:
    """Provider x part where the treatment functions do not add up to the C_999 total rows."""
    values = [*WAIT_BAND_COLUMNS, *COUNT_COLUMNS]
    file_names = dict(zip(WAIT_BAND_COLUMNS, bands, strict=True)) | {
        name: columns[name] for name in COUNT_COLUMNS
    }
    is_total = table["tfc"] == TOTAL_TFC
    totals = table[is_total].groupby(["ods_code", "part"])[values].sum()
    sums = table[~is_total].groupby(["ods_code", "part"])[values].sum()
    problems: list[ImportProblem] = []
    for ods_code, part in sums.index.difference(totals.index):
        problems.append(
            ImportProblem(
                file,
                None,
                columns["tfc"],
                None,
                f"has no {TOTAL_TFC} (total) rows for provider {ods_code}, {part}; "
                "cannot check the treatment functions add up.",
            )
        )
    sums = sums.reindex(totals.index, fill_value=0)
    differs = sums.ne(totals)
    for key, row in differs[differs.any(axis=1)].iterrows():
        ods_code, part = cast(tuple[str, str], key)  # the (ods_code, part) group
        for name in row.index[row.to_numpy()]:
            expected = int(totals.loc[(ods_code, part), name])
            found = int(sums.loc[(ods_code, part), name])
            problems.append(
                ImportProblem(
                    file,
                    None,
                    file_names[name],
                    None,
                    f"provider {ods_code}, {part}: the {TOTAL_TFC} total rows sum to {expected:,} "
                    f"but the treatment functions add up to {found:,}.",
                )
            )
    return problems


def _providers(raw: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    names = ["ods_code", "name", "icb_code", "icb_name"]
    return (
        raw[[columns[n] for n in names]]
        .set_axis(names, axis=1)
        .drop_duplicates("ods_code")
        .sort_values("ods_code")
        .reset_index(drop=True)
    )


def _treatment_functions(counts: pd.DataFrame) -> pd.DataFrame:
    present = set(counts["tfc"])
    codes = [code for code in TREATMENT_FUNCTIONS if code in present]
    return pd.DataFrame({"code": codes, "name": [TREATMENT_FUNCTIONS[c] for c in codes]})
