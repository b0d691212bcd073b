"""Every CSV and Excel file the app writes goes through here, so user text stays text.

A cell a person typed (a site called `=HYPERLINK("https://…")`, a comment starting with `+`) must
never run as a formula when the file is opened in Excel or LibreOffice (OWASP "CSV injection").
CSV has no types, so a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading apostrophe, as OWASP recommends; numbers are left alone, so negative figures stay
numbers. In Excel workbooks every cell written as a formula is turned back into plain text (the
app never writes formulas), which keeps the text exactly as typed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell that cannot start a formula (text only; numbers and dates unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame whose text cells cannot start a formula."""
    shown = frame.copy()
    for column in shown.columns:
        dtype = shown[column].dtype
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
        ):
            shown[column] = shown[column].map(safe_cell)
    shown.columns = [safe_cell(c) for c in shown.columns]
    return shown


def csv_bytes(frame: pd.DataFrame, *, bom: bool = True, line_end: str = "\r\n") -> bytes:
    """The frame as CSV (UTF-8, with a byte-order mark so Excel reads names right)."""
    text = safe_frame(frame).to_csv(index=False, lineterminator=line_end)
    return text.encode("utf-8-sig" if bom else "utf-8")


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, each text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def csv_dicts(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], line_end: str) -> bytes:
    """Dicts as CSV bytes (UTF-8) in the given column order, each text cell neutralised."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator=line_end)
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], printable: Mapping[str, str] | None = None
) -> bytes:
    """An Excel workbook with one sheet per frame, in which no cell is a formula.

    Args:
        sheets: The frames by sheet name (names are cut to Excel's 31 characters).
        printable: Sheets to set up for printing, each with the title printed at the top of its
            pages: A4 landscape, fitted to one page wide, the header row repeated on every page,
            frozen below the header and beside the first column, with a thin grid.
    """
    names: dict[str, str] = {}
    for sheet in sheets:
        names[sheet] = sheet_name(sheet, set(names.values()))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=names[sheet], index=False)
        for worksheet in writer.book.worksheets:
            for row in worksheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # text that looked like a formula: keep it as text
                        cell.data_type = "s"
        for sheet, title in (printable or {}).items():
            _printable(writer.book[names[sheet]], title)
    return buffer.getvalue()


_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, made from user text such as a site's name.

    Characters Excel forbids in sheet names become '-', apostrophes are trimmed from the ends,
    the name is cut to 31 characters, and a number is added if the name is already taken.
    """
    base = _SHEET_FORBIDDEN.sub("-", wanted).strip("'").strip() or "Sheet"
    name, n = base[:31], 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    return name


def _printable(worksheet: Any, title: str) -> None:
    """A4 landscape, one page wide, header row on every page, the title in the page header."""
    from openpyxl.styles import (  # type: ignore[import-untyped]  # no stubs in the environment
        Alignment,
        Border,
        Font,
        Side,
    )
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    setup = worksheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = worksheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as needed
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_title_rows = "1:1"
    worksheet.print_options.gridLines = True
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    # "&" starts a code in Excel's page headers; doubled it prints as itself.
    worksheet.oddHeader.center.text = title.replace("&", "&&")
    worksheet.oddFooter.right.text = "Page &P of &N"
    worksheet.freeze_panes = "B2"
    thin = Side(style="thin", color="999999")
    for row in worksheet.iter_rows():
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(worksheet.iter_cols(), start=1):
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=4)
        worksheet.column_dimensions[get_column_letter(index)].width = min(28, max(8, longest + 2))
