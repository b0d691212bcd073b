"""Which kind of file this is, from its header row, so a wrong choice gets one clear sentence.

A person who picks "KH03 beds" and uploads the workforce file should be told "this looks like the
workforce file", not shown a line for every column the KH03 reader missed. Each kind is known by
the columns its reader requires, spelled as that reader accepts them (case, spaces and `_` are
ignored). A kind is recognised when most of its required columns are in the header; the best
match wins. The ODS etr file has no header row, so it is never recognised this way.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs in the environment

from ics_capacity.importers import flows, kh03, rota_requests, rota_staff, rtt, workforce
from ics_capacity.importers.files import ArchiveLimits, check_archive, open_single_csv
from ics_capacity.importers.problems import ImportProblem, normalise_header
from ics_capacity.importers.templates import CASE_MIX_COLUMNS, THEATRE_COLUMNS

MATCH_SHARE = 0.8
"""Share of a kind's required columns that must be in the header for the file to be that kind."""
MAX_HEADER_BYTES = 64 * 1024
"""Most bytes read to find the header row: the widest published header is under 4 kB."""

_Signature = Sequence[Sequence[str]]
"""A kind's required columns, each as the names its reader accepts."""


def _required(aliases: Mapping[str, Sequence[str]], required: Iterable[str]) -> _Signature:
    return [aliases[meaning] for meaning in required]


SIGNATURES: dict[str, list[_Signature]] = {
    "rtt": [_required(rtt.COLUMN_ALIASES, rtt.COLUMN_ALIASES)],
    "kh03": [_required(kh03.COLUMN_ALIASES, kh03.COLUMN_ALIASES)],
    "workforce": [_required(workforce.COLUMN_ALIASES, workforce.COLUMN_ALIASES)],
    "flows": [_required(flows.COLUMN_ALIASES, ("org", *flows.COUNT_COLUMNS_REQUIRED))],
    "template": [
        [column.names for column in THEATRE_COLUMNS if column.required],
        [column.names for column in CASE_MIX_COLUMNS if column.required],
    ],
    "rota_staff": [_required(rota_staff.ALIASES, rota_staff.REQUIRED)],
    "rota_requests": [_required(rota_requests.ALIASES, rota_requests.REQUIRED)],
}
"""Kind -> the column sets that identify it (a template is either of two)."""


def match_share(header: Iterable[str], signature: _Signature) -> float:
    """Share of a signature's columns that the header holds, by any accepted name."""
    present = {normalise_header(name) for name in header}
    found = sum(any(normalise_header(name) in present for name in names) for names in signature)
    return found / len(signature) if signature else 0.0


def recognise(header: Iterable[str]) -> str | None:
    """The kind of file whose required columns the header holds best, or None if none fits."""
    header = list(header)
    best, best_share = None, 0.0
    for kind, signatures in SIGNATURES.items():
        share = max(match_share(header, signature) for signature in signatures)
        if share > best_share:
            best, best_share = kind, share
    return best if best_share >= MATCH_SHARE else None


def header_of(path: Path) -> list[str] | None:
    """The file's first row: of a CSV, the one CSV in a zip, or a workbook's first sheet.

    Reads at most `MAX_HEADER_BYTES` of a CSV; None if the file cannot be read.
    """
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _workbook_header(path)
        if zipfile.is_zipfile(path):
            check_archive(path, ArchiveLimits.for_csv_zip())
        with open_single_csv(path) as (stream, _label):
            head = stream.read(MAX_HEADER_BYTES)
    except Exception:
        return None
    text = _decode(head)
    first_line = text.splitlines()[0] if text else ""
    return next(csv.reader(io.StringIO(first_line)), None)


def _decode(head: bytes) -> str:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return head.decode("cp1252", errors="replace")


def _workbook_header(path: Path) -> list[str] | None:
    check_archive(path, ArchiveLimits.for_workbook())  # a workbook is a zip: bombs first
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
            return ["" if value is None else str(value) for value in row]
        return None
    finally:
        workbook.close()


def is_header_problem(problem: ImportProblem) -> bool:
    """Whether a problem says a required column is missing from the header row."""
    return problem.row == 1 and problem.reason.startswith("is missing from the header row")
