"""Every cell of a template file as text: a CSV, or the first sheet of an .xlsx workbook.

A workbook is read within a cell budget (`max_template_cells`), checking its archive and every
sheet's declared size before openpyxl reads it, so a small file that unpacks to millions of cells
is refused with a clear message instead of filling memory.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs in the environment
import pandas as pd

from ics_capacity.importers.files import ArchiveLimits, check_archive, read_csv_text
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)
from ics_capacity.importers.template_columns import TEMPLATE_COLUMNS

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


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
