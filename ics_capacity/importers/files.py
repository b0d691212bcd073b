"""Opening uploaded files safely: zip archives within limits, and CSV text in the encoding it has.

Every importer that reads a zip (the RTT extract, an .xlsx workbook) goes through
`check_archive` before anything is decompressed, and reads members through `open_member`, which
counts the bytes that really come out. Every CSV importer reads its bytes through `utf8_stream`,
which detects UTF-8 (with or without a byte-order mark) or Windows-1252 (what Excel's "CSV
(Comma delimited)" writes on a UK PC), so names keep their apostrophes and pound signs instead of
turning into U+FFFD.

Limits (docs/benchmarks.md, "Import bombs", has the measurements behind them):
- NHS England's national RTT full extract zip is 2-4 MB holding one CSV of about 180,000 rows,
  about 85 MB unzipped (465 bytes a row, measured on the April 2026 QUA/QHL subset), which
  deflates about 25:1. The defaults allow 1 GiB unzipped (12x that) and 100:1 per member (4x).
  A bomb of one RTT row repeated deflates 228:1 (issue 14's: 0.46 MB to 100 MB), of two rows
  148:1, of eight 132:1, and zeros about 1,000:1; what gets under the ratio is stopped by the
  RTT reader's cap on rows kept for one system (`rtt.MAX_KEPT_ROWS`).
- An .xlsx is a zip of XML parts; a filled template sheet deflates 5-20:1.

Settings (environment, read when a limit is built): `ICS_MAX_UNZIPPED_MB` (default 1024),
`ICS_MAX_ZIP_MEMBERS` (50), `ICS_MAX_ZIP_RATIO` (100), `ICS_MAX_WORKBOOK_UNZIPPED_MB` (64),
`ICS_MAX_CSV_MB` (64, for CSVs that are read whole).
"""

from __future__ import annotations

import codecs
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

import pandas as pd

from ics_capacity.importers.problems import ImportProblem, ImportValidationError

MIB = 1024 * 1024
_RATIO_FLOOR_BYTES = MIB
"""Below this size a member is never a bomb, however well it compresses (a blank sheet)."""
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_READ_SIZE = 1 << 20


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    return float(text) if text else default


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a zip may hold before it is refused, checked before anything is decompressed.

    Attributes:
        max_members: Entries in the archive, folders and ignored Mac/dot files included.
        max_total_bytes: Uncompressed bytes of all entries together, as declared and as read.
        max_ratio: Uncompressed over compressed size of any one entry over 1 MiB.
    """

    max_members: int
    max_total_bytes: int
    max_ratio: float

    @classmethod
    def for_csv_zip(cls) -> ArchiveLimits:
        """Limits for a zip holding one national CSV (the RTT extract), from the environment."""
        return cls(
            max_members=int(_env_number("ICS_MAX_ZIP_MEMBERS", 50)),
            max_total_bytes=int(_env_number("ICS_MAX_UNZIPPED_MB", 1024) * MIB),
            max_ratio=_env_number("ICS_MAX_ZIP_RATIO", 100),
        )

    @classmethod
    def for_workbook(cls) -> ArchiveLimits:
        """Limits for an .xlsx workbook (a zip of XML parts, one per sheet, style and image)."""
        return cls(
            max_members=1000,
            max_total_bytes=int(_env_number("ICS_MAX_WORKBOOK_UNZIPPED_MB", 64) * MIB),
            max_ratio=_env_number("ICS_MAX_ZIP_RATIO", 100),
        )


def max_whole_csv_bytes() -> int:
    """Largest CSV read whole into memory (`ICS_MAX_CSV_MB`, default 64 MB).

    The national files read whole are KH03 (1.5 MB) and workforce (1.9 MB); the RTT extract is
    read in chunks and is not bound by this.
    """
    return int(_env_number("ICS_MAX_CSV_MB", 64) * MIB)


def is_ignored_member(name: str) -> bool:
    """Whether a zip entry is packing debris: a folder, `__MACOSX/...`, or a dot-file.

    macOS's "Compress" adds `__MACOSX/._name` (resource forks) and `.DS_Store` next to the real
    file; neither is data.
    """
    path = PurePosixPath(name.replace("\\", "/"))
    return name.endswith("/") or any(
        part == "__MACOSX" or part.startswith(".") for part in path.parts
    )


def _refuse(file: str, reason: str) -> ImportValidationError:
    return ImportValidationError([ImportProblem(file, None, None, None, reason)])


def _declared_entry_count(path: Path) -> int | None:
    """Entries the zip's end record declares, read without parsing the central directory.

    `zipfile.ZipFile` builds an object per entry on opening, so a zip of a million empty entries
    would cost seconds and hundreds of MB before any limit could be checked. None if there is
    no plain end record (then `zipfile` decides; ZIP64 archives say 0xFFFF here).
    """
    size = path.stat().st_size
    tail_size = min(size, _EOCD_SIZE + _MAX_COMMENT)
    with path.open("rb") as handle:
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    return max(int(fields[3]), int(fields[4]))


def check_archive(path: Path, limits: ArchiveLimits, *, file: str | None = None) -> None:
    """Refuses a zip whose entries are too many, too large or too compressed, before reading it.

    Args:
        path: The zip (or .xlsx) file.
        limits: What it may hold.
        file: Name for problems; the path's name if None.

    Raises:
        ImportValidationError: Naming the file, and the entry where one is at fault.
    """
    label = file or path.name
    declared = _declared_entry_count(path)
    if declared is not None and declared > limits.max_members:
        raise _refuse(
            label,
            f"is a zip of {declared:,} entries; at most {limits.max_members:,} are accepted, "
            "so it is refused unopened.",
        )
    with zipfile.ZipFile(path) as archive:
        _check_entries(archive, limits, label)


def _check_entries(archive: zipfile.ZipFile, limits: ArchiveLimits, label: str) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_members:
        raise _refuse(
            label,
            f"is a zip of {len(entries):,} entries; at most {limits.max_members:,} are accepted.",
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_total_bytes:
        raise _refuse(
            label,
            f"would unzip to {total / MIB:,.0f} MB; at most {limits.max_total_bytes / MIB:,.0f} "
            "MB is accepted.",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise _refuse(
                f"{label}/{entry.filename}",
                f"is compressed {ratio:,.0f} to 1 ({entry.compress_size:,} bytes unzipping to "
                f"{entry.file_size:,}); real data compresses far less than "
                f"{limits.max_ratio:,.0f} to 1, so this looks like a zip bomb and is refused.",
            )


class _CountedMember(io.RawIOBase):
    """A zip member's bytes, refused as soon as more come out than it declared or is allowed."""

    def __init__(self, raw: IO[bytes], label: str, declared: int, limit: int) -> None:
        super().__init__()
        self._raw, self._label, self._declared, self._limit = raw, label, declared, limit
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            # e.g. "Bad CRC-32": zipfile stops at the declared size, so a member that unzips to
            # more (or other) bytes than declared ends here.
            raise _refuse(self._label, f"is damaged and cannot be unzipped ({error}).") from error
        self.bytes_read += len(data)
        if self.bytes_read > min(self._declared, self._limit):
            raise _refuse(
                self._label,
                f"unzips to more than {min(self._declared, self._limit):,} bytes "
                f"({'its declared size' if self._declared <= self._limit else 'the limit'}); "
                "it is refused.",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def open_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: ArchiveLimits, label: str
) -> Iterator[IO[bytes]]:
    """A member's bytes, buffered, counted against its declared size and the archive's limit.

    Raises:
        ImportValidationError: If the member is encrypted, uses a compression method Python
            cannot read (Windows' Deflate64), or unzips to more than it declared or is allowed.
    """
    try:
        raw = archive.open(entry)
    except NotImplementedError as error:
        raise _refuse(
            label,
            f"is compressed with a method that cannot be read ({error}); zip it again with "
            "ordinary deflate (e.g. 7-Zip's 'Deflate', or the zip command).",
        ) from error
    except RuntimeError as error:  # zipfile says "File ... is encrypted, password required"
        raise _refuse(label, "is password-protected; zip it again without a password.") from error
    counted = _CountedMember(raw, label, entry.file_size, limits.max_total_bytes)
    with io.BufferedReader(counted, buffer_size=_READ_SIZE) as stream:
        yield cast(IO[bytes], stream)


@contextmanager
def open_single_csv(
    path: Path, limits: ArchiveLimits | None = None
) -> Iterator[tuple[IO[bytes], str]]:
    """The bytes of a CSV file, or of the one CSV in a zip, with the file's label.

    In a zip, `__MACOSX/` and dot-file entries are skipped; the one remaining entry is taken
    whatever its name, or else the one `.csv` entry. The archive is checked against `limits`
    before it is decompressed. The label is the file's name, or `archive.zip/member.csv`.

    Raises:
        ImportValidationError: If the file does not exist, the zip breaks a limit, or it does
            not hold exactly one CSV.
    """
    if not path.is_file():
        raise _refuse(path.name, "does not exist.")
    if not zipfile.is_zipfile(path):
        with path.open("rb", buffering=_READ_SIZE) as stream:
            yield stream, path.name
        return
    limits = limits or ArchiveLimits.for_csv_zip()
    check_archive(path, limits)
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not is_ignored_member(m.filename)]
        csvs = [m for m in members if m.filename.lower().endswith(".csv")]
        if len(members) == 1:
            csvs = members
        if len(csvs) != 1:
            names = ", ".join(m.filename for m in members) or "nothing"
            raise _refuse(path.name, f"must hold exactly one CSV file; it holds {names}.")
        label = f"{path.name}/{csvs[0].filename}"
        with open_member(archive, csvs[0], limits, label) as stream:
            yield stream, label


class _Utf8Transcoder(io.RawIOBase):
    """CSV bytes in UTF-8 (with or without BOM) or Windows-1252, given out as UTF-8 without BOM.

    The text is taken as UTF-8 until a byte sequence is not UTF-8. If everything before it was
    plain ASCII, the two encodings agree on it, so reading carries on as Windows-1252 from the
    start; if UTF-8 letters were already seen (or a BOM said UTF-8), the file mixes encodings and
    is refused. Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are refused.
    """

    def __init__(self, raw: IO[bytes], file: str) -> None:
        super().__init__()
        self._raw, self._file = raw, file
        self._decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
        self.encoding = "utf-8"
        self._sure = False  # a BOM or a non-ASCII UTF-8 letter has been seen
        self._started = False
        self._out = b""
        self._lines = 1  # line number of the input's current position

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._out:
            chunk = self._raw.read(_READ_SIZE)
            if not self._started:
                chunk = self._start(chunk)
            self._out = self._transcode(chunk, final=not chunk)
            if not chunk:
                break
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _start(self, chunk: bytes) -> bytes:
        while len(chunk) < len(_UTF8_BOM) and (more := self._raw.read(_READ_SIZE)):
            chunk += more
        self._started = True
        if chunk.startswith(_UTF16_BOMS):
            raise _refuse(
                self._file,
                "is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (Comma "
                "delimited)' or 'CSV (Comma delimited)'.",
            )
        if chunk.startswith(_UTF8_BOM):
            self._sure = True
            return chunk[len(_UTF8_BOM) :]
        return chunk

    def _transcode(self, chunk: bytes, *, final: bool) -> bytes:
        held: bytes = self._decoder.getstate()[0]
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            data = held + chunk  # what the decoder saw; the error's offsets are into it
            if self.encoding != "utf-8" or self._sure or not data[: error.start].isascii():
                raise self._undecodable(data, error) from None
            # Everything so far was ASCII, which Windows-1252 reads the same: carry on in it.
            self.encoding = "cp1252"
            self._decoder = codecs.getincrementaldecoder("cp1252")()
            return self._transcode(data, final=final)
        if self.encoding == "utf-8" and not text.isascii():
            self._sure = True
        self._lines += chunk.count(b"\n")
        return text.encode("utf-8")

    def _undecodable(self, data: bytes, error: UnicodeDecodeError) -> ImportValidationError:
        line = self._lines + data.count(b"\n", 0, error.start)
        byte = data[error.start : error.start + 1].hex().upper()
        if self.encoding == "utf-8":
            reason = (
                f"is UTF-8 text up to here, but byte 0x{byte} is not; the file mixes "
                "encodings. Save it again from Excel as 'CSV UTF-8 (Comma delimited)'."
            )
        else:
            reason = (
                f"is neither UTF-8 nor Windows-1252 (Excel) text: byte 0x{byte} is not a "
                "character in either. Save it from Excel as 'CSV UTF-8 (Comma delimited)'."
            )
        return ImportValidationError([ImportProblem(self._file, line, None, None, reason)])


@contextmanager
def utf8_stream(raw: IO[bytes], file: str) -> Iterator[IO[bytes]]:
    """The CSV's bytes as UTF-8 without a BOM, whichever of UTF-8 or Windows-1252 it is in.

    Decoding is strict and streamed: nothing is replaced by U+FFFD, and a file that is neither
    is refused with the line where it stops being readable. Pass the result to
    `pandas.read_csv(..., encoding="utf-8")`.

    Raises:
        ImportValidationError: While reading, if the bytes are UTF-16, neither encoding, or a
            mix of UTF-8 and something else.
    """
    transcoder = _Utf8Transcoder(raw, file)
    with io.BufferedReader(transcoder, buffer_size=_READ_SIZE) as stream:
        yield cast(IO[bytes], stream)


def read_csv_text(path: Path, *, header: bool = True) -> pd.DataFrame:
    """Reads a whole (small) CSV with every cell as text, blanks as "".

    The encoding is detected (UTF-8 with or without BOM, or Windows-1252 as Excel saves it);
    files larger than `max_whole_csv_bytes()` are refused before they are read.

    Args:
        path: The CSV file.
        header: Whether the first line names the columns; without one, columns are 0, 1, 2...

    Returns:
        The cells, indexed by data-row position (0 = the first row after any header); blank
        lines are kept as rows of "" so positions match the spreadsheet's row numbers.

    Raises:
        ImportValidationError: If the file does not exist, is too large, is empty, is in
            neither encoding or is not readable as CSV.
    """
    if not path.is_file():
        raise _refuse(path.name, "does not exist.")
    size, limit = path.stat().st_size, max_whole_csv_bytes()
    if size > limit:
        raise _refuse(
            path.name,
            f"is {size / MIB:,.0f} MB; files of this kind are at most {limit / MIB:,.0f} MB "
            "(the national files are under 2 MB).",
        )
    try:
        with path.open("rb") as raw, utf8_stream(raw, path.name) as stream:
            return pd.read_csv(
                stream,
                header=0 if header else None,
                dtype=str,
                keep_default_na=False,  # "NAN" is England's org_code in KH03, not a missing value
                skip_blank_lines=False,
                encoding="utf-8",
            )
    except pd.errors.EmptyDataError as error:
        expected = "a header row and data" if header else "data rows"
        raise _refuse(path.name, f"is empty; expected {expected}.") from error
    except pd.errors.ParserError as error:
        raise _refuse(path.name, f"cannot be read as CSV: {error}") from error
