"""A national RTT extract read for one system, skipping other systems' lines unparsed.

Pure file reading (no database): the services call it in place of `read_rtt_extract` when an ICS
is chosen, which keeps a national import within twice the time of a bare `pandas.read_csv`.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ics_capacity.importers.files import open_single_csv, utf8_stream
from ics_capacity.importers.problems import ImportProblem, ImportValidationError, find_columns
from ics_capacity.importers.rtt import (
    MAX_KEPT_ROWS,
    RttExtract,
    read_rtt_extract,
    too_many_rows_error,
)

_PARENT_ORG = {"icb_code": ("Provider Parent Org Code",)}


def read_rtt_for_system(
    path: Path, *, ics: str | None = None, providers: Collection[str] | None = None
) -> RttExtract:
    """`read_rtt_extract`, with a national file's lines for other systems skipped unparsed.

    The national extract has about 180,000 rows, of which one system has a few thousand. Splitting
    each line at the system column is far cheaper than parsing every cell as text, so the lines
    of the chosen ICS are copied (as UTF-8, whichever of UTF-8 or Windows-1252 the file is in) to a
    small file that the importer then reads and validates in full. Problems are reported against
    the original file's name and row numbers. Whenever the shortcut is not safe (no ICS asked
    for, a quoted field spanning lines, no matching line) the whole file goes through the
    importer as it is. A zip is checked against its limits (`importers.files`) before a byte is
    decompressed, and `__MACOSX/` and dot-file entries are skipped.
    """
    if ics is None:
        return read_rtt_extract(path, ics=ics, providers=providers)
    with tempfile.TemporaryDirectory(prefix="rtt-") as folder:
        kept = _copy_system_lines(path, ics, Path(folder))
        if kept is None:
            return read_rtt_extract(path, ics=ics, providers=providers)
        small, label, line_numbers = kept
        try:
            extract = read_rtt_extract(small, ics=ics, providers=providers)
        except ImportValidationError as error:
            raise ImportValidationError(
                _relocate(p, small.name, label, line_numbers) for p in error.problems
            ) from None
    return dataclasses.replace(extract, source_file=label)


def _relocate(
    problem: ImportProblem, small_name: str, label: str, line_numbers: list[int]
) -> ImportProblem:
    row = problem.row
    if row is not None and row >= 2:
        row = line_numbers[row - 2]
    file = label if problem.file == small_name else problem.file
    return dataclasses.replace(problem, file=file, row=row)


@contextmanager
def _csv_bytes(path: Path) -> Iterator[tuple[IO[bytes], str]]:
    """The CSV's bytes (or the one CSV's in a zip, within its limits) as UTF-8, with its label."""
    with open_single_csv(path) as (raw, label), utf8_stream(raw, label) as stream:
        yield stream, label


def _copy_system_lines(path: Path, ics: str, folder: Path) -> tuple[Path, str, list[int]] | None:
    """Copies the header and the ICS's lines, byte for byte, to a file in `folder`.

    Lines are compared as bytes up to the system column, so the 85 MB are checked as text but
    not parsed; only a line with a quote before that column is parsed as CSV.

    Returns:
        The small file, the original file's label, and the original line number of each data
        line copied; or None when the shortcut does not apply.
    """
    wanted = ics.encode()
    with _csv_bytes(path) as (stream, label):
        header_line = stream.readline()
        header_text = header_line.decode("utf-8")
        try:
            header = next(csv.reader([header_text]), [])
        except csv.Error:
            return None  # not a CSV header the shortcut understands: the importer will say why
        columns, missing = find_columns(header, _PARENT_ORG, file=label, required=_PARENT_ORG)
        if missing:
            return None
        position = header.index(columns["icb_code"])
        small = folder / Path(label).name
        line_numbers: list[int] = []
        with small.open("wb") as out:
            out.write(header_line)
            for number, line in enumerate(stream, start=2):
                fields = line.split(b",", position + 1)
                if len(fields) <= position:
                    continue
                if line.count(b'"') % 2:
                    return None  # a quoted field runs over more than one line
                if any(b'"' in field for field in fields[: position + 1]):
                    text = line.decode("utf-8")
                    try:
                        parsed = next(csv.reader([text]), [])
                    except csv.Error:
                        return None
                    code = parsed[position].strip().encode() if len(parsed) > position else b""
                else:
                    code = fields[position].strip()
                if code == wanted:
                    out.write(line if line.endswith(b"\n") else line + b"\r\n")
                    line_numbers.append(number)
                    if len(line_numbers) > MAX_KEPT_ROWS:
                        raise too_many_rows_error(
                            label, len(line_numbers), MAX_KEPT_ROWS, ics, None
                        )
    if not line_numbers:
        return None
    return small, label, line_numbers
