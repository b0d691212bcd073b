"""Files as people have them are read, and bombs are refused before they cost time or memory.

Real rows come from the RTT subset in the shared data folder; zips, workbooks and bombs are built
in tmp_path. Time limits here are generous (the machine is shared); docs/benchmarks.md has the
measured figures.
"""

from __future__ import annotations

import csv
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs in the environment
import pandas as pd
import pytest

from ics_capacity.importers.files import (
    ArchiveLimits,
    is_ignored_member,
    open_single_csv,
    read_csv_text,
)
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rtt import RttExtract, read_rtt_extract
from ics_capacity.importers.templates import read_template
from ics_capacity.settings import REPO_ROOT, nhs_data_dir

RTT = nhs_data_dir() / "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
THEATRES_CSV = REPO_ROOT / "docs" / "examples" / "theatres_template.csv"
KNOWN = {"RBK", "RL4", "RNA", "RXK"}
MB = 1024 * 1024
MEMORY_LIMIT = 200 * MB  # issue 14: refused "within a second and 200 MB of memory"
TIME_LIMIT_S = 5.0  # generous: the machine is shared; the benchmark records real figures


def problems_of(call: Callable[[], object]) -> list[ImportProblem]:
    with pytest.raises(ImportValidationError) as caught:
        call()
    return caught.value.problems


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Wall time and tracemalloc peak (bytes) of the block."""
    figures: dict[str, float] = {}
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - start
        figures["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def waiting_list(extract: RttExtract) -> pd.Series:
    part_2 = extract.counts[extract.counts["part"] == "Part_2"]
    return part_2.groupby("ods_code")["total_all"].sum()


@pytest.fixture(scope="module")
def rtt_lines() -> tuple[bytes, list[bytes]]:
    """The subset's header line and data lines, as bytes."""
    header, *rows = RTT.read_bytes().splitlines(keepends=True)
    return header, rows


@pytest.fixture(scope="module")
def rbk_sample() -> tuple[list[str], list[list[str]]]:
    """Real rows of RBK (Walsall) for one commissioner, all parts with their C_999 rows."""
    with RTT.open(newline="", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    ods, commissioner = header.index("Provider Org Code"), header.index("Commissioner Org Code")
    return header, [r for r in rows if r[ods] == "RBK" and r[commissioner] == "D2P2L"]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- Zips as analysts have them ---------------------------------------------------------------


def mac_zip(path: Path, member: str, data: bytes) -> Path:
    """A zip as macOS's Compress makes it: the file, its `__MACOSX/._` fork and a .DS_Store."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, data)
        z.writestr(f"__MACOSX/._{member}", b"\x00\x05\x16\x07" + b"\x00" * 78)
        z.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 100)
        z.writestr("__MACOSX/", b"")
    return path


def test_mac_debris_is_recognised() -> None:
    """Folders, __MACOSX entries and dot-files are skipped; the CSV and its folder are not."""
    assert is_ignored_member("__MACOSX/._rtt.csv")
    assert is_ignored_member("__MACOSX/data/._rtt.csv")
    assert is_ignored_member(".DS_Store")
    assert is_ignored_member("data/._rtt.csv")
    assert is_ignored_member("data/")
    assert not is_ignored_member("data/rtt.csv")
    assert not is_ignored_member("rtt.csv")


def test_mac_zipped_rtt_imports_with_the_plain_csv_figures(tmp_path: Path) -> None:
    """The RTT subset zipped on a Mac gives the plain CSV's per-provider totals, both ways in."""
    archive = mac_zip(tmp_path / "rtt.zip", "rtt.csv", RTT.read_bytes())
    plain = read_rtt_extract(RTT, ics="QUA")
    for zipped in (read_rtt_extract(archive, ics="QUA"), read_rtt_for_system(archive, ics="QUA")):
        assert zipped.source_file == "rtt.zip/rtt.csv"
        pd.testing.assert_series_equal(waiting_list(zipped), waiting_list(plain))
        pd.testing.assert_frame_equal(zipped.counts, plain.counts)
    # NHS England's published check figures (Part_2, C_999, Total All)
    assert waiting_list(plain)[["RL4", "RXK", "RNA", "RBK"]].tolist() == [
        73_776,
        65_630,
        46_643,
        27_974,
    ]


def test_zip_with_two_csvs_besides_the_debris_is_refused(tmp_path: Path) -> None:
    """Skipping debris does not hide a second real CSV."""
    archive = mac_zip(tmp_path / "rtt.zip", "rtt.csv", b"a\n1\n")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("other.csv", b"a\n1\n")
    (problem,) = problems_of(lambda: read_rtt_extract(archive))
    assert "must hold exactly one CSV file; it holds rtt.csv, other.csv" in problem.reason


# --- Encodings as Excel saves them ------------------------------------------------------------

NAMES = ["Women’s & Children’s", "Theatre “A”", "St Mary’s £5 café"]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("cp1252", "Excel 'CSV (Comma delimited)'"), ("utf-8-sig", "Excel 'CSV UTF-8'")],
)
def test_excel_saved_csv_keeps_names_exactly(tmp_path: Path, encoding: str, label: str) -> None:
    """Curly quotes and pound signs survive Windows-1252 and UTF-8 with BOM: no U+FFFD."""
    path = write_csv(tmp_path / "names.csv", ["Name", "Cost"], [[n, "1"] for n in NAMES], encoding)
    table = read_csv_text(path)
    assert list(table.columns) == ["Name", "Cost"], label  # no BOM left on the first name
    assert table["Name"].tolist() == NAMES


def test_cp1252_template_reads_site_names_exactly(tmp_path: Path) -> None:
    """A theatres template saved from Excel on a UK PC keeps its names' apostrophes."""
    frame = pd.read_csv(THEATRES_CSV, dtype=str, keep_default_na=False)
    frame.loc[0, "Site name"] = "Women’s Hospital – Theatre £"
    path = tmp_path / "sites.csv"
    frame.to_csv(path, index=False, encoding="cp1252")
    rows = read_template(path, known_ods_codes=KNOWN).rows
    assert rows["site_name"].iloc[0] == "Women’s Hospital – Theatre £"


def test_cp1252_rtt_extract_keeps_provider_names(tmp_path: Path, rbk_sample) -> None:
    """The streamed RTT reader detects Windows-1252 too (the national file read in chunks)."""
    header, rows = rbk_sample
    name = header.index("Provider Org Name")
    edited = [[*r[:name], "WALSALL HEALTHCARE’S TRUST", *r[name + 1 :]] for r in rows]
    path = write_csv(tmp_path / "rtt.csv", header, edited, "cp1252")
    extract = read_rtt_extract(path, chunksize=7)
    assert extract.providers["name"].tolist() == ["WALSALL HEALTHCARE’S TRUST"]


def test_bom_rtt_extract_reads_through_the_system_shortcut(tmp_path: Path, rbk_sample) -> None:
    """A BOM before the header does not hide the first column from the line shortcut."""
    header, rows = rbk_sample
    path = write_csv(tmp_path / "rtt.csv", header, rows, "utf-8-sig")
    extract = read_rtt_for_system(path, ics="QUA")
    assert extract.providers["ods_code"].tolist() == ["RBK"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"Name\nab\x81c\n", "neither UTF-8 nor Windows-1252"),
        ("Name\nWomen’s\n".encode() + b"Men\x92s\n", "mixes encodings"),
        ("Name\nx\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_unreadable_text_is_refused_with_file_and_line(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    """Bytes that neither encoding reads are refused, naming the file and line, never replaced."""
    path = tmp_path / "names.csv"
    path.write_bytes(data)
    (problem,) = problems_of(lambda: read_csv_text(path))
    assert problem.file == "names.csv" and reason in problem.reason
    if "UTF-16" not in reason:
        assert problem.row == (2 if b"\x81" in data else 3)


# --- Older RTT headings -------------------------------------------------------------------


def test_rtt_alternative_headings_read_the_same(tmp_path: Path, rbk_sample) -> None:
    """Re-exported headings ('Provider Parent Org Name', no 'date', upper snake case) read alike."""
    header, rows = rbk_sample
    original = read_rtt_extract(write_csv(tmp_path / "rtt.csv", header, rows))
    renamed = [
        {
            "Provider Parent Name": "Provider Parent Org Name",
            "Patients with unknown clock start date": "Patients with unknown clock start",
            "Provider Org Code": "PROVIDER_ORG_CODE",
        }.get(h, h)
        for h in header
    ]
    again = read_rtt_extract(write_csv(tmp_path / "renamed.csv", renamed, rows))
    pd.testing.assert_frame_equal(again.counts, original.counts)
    pd.testing.assert_frame_equal(again.providers, original.providers)


def test_rtt_extract_from_before_april_2021_is_refused_clearly(tmp_path: Path, rbk_sample) -> None:
    """Bands to 'Gt 52 Weeks SUM 1' (extracts before April 2021) give one problem, not 53."""
    header, rows = rbk_sample
    first = header.index("Gt 52 To 53 Weeks SUM 1")
    last = header.index("Gt 104 Weeks SUM 1")
    old_header = [*header[:first], "Gt 52 Weeks SUM 1", *header[last + 1 :]]
    old_rows = [[*r[:first], "0", *r[last + 1 :]] for r in rows]
    (problem,) = problems_of(
        lambda: read_rtt_extract(write_csv(tmp_path / "old.csv", old_header, old_rows))
    )
    assert problem.column == "Gt 52 Weeks SUM 1" and "before April 2021" in problem.reason


# --- Zip bombs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rtt_bomb(tmp_path_factory: pytest.TempPathFactory, rtt_lines) -> Path:
    """100 MB of one system's real RTT rows, deflated into about 0.7 MB."""
    header, rows = rtt_lines
    qua = [r for r in rows if b",QUA," in r[:60]]
    block = b"".join(qua[:2])  # repeats within deflate's 32 kB window: about 148 to 1
    path = tmp_path_factory.mktemp("bomb") / "rtt.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z,
        z.open("rtt.csv", "w", force_zip64=True) as member,
    ):
        member.write(header)
        for _ in range(100 * MB // len(block)):
            member.write(block)
    return path


def test_zip_bomb_is_refused_quickly_and_small(rtt_bomb: Path) -> None:
    """A 100 MB member deflated over 100:1 is refused from the directory, before decompression."""
    assert rtt_bomb.stat().st_size < MB  # issue 14's was 0.46 MB
    with measured() as figures:
        problems = problems_of(lambda: read_rtt_for_system(rtt_bomb, ics="QUA"))
    assert problems[0].file == "rtt.zip/rtt.csv"
    assert "looks like a zip bomb" in problems[0].reason
    assert figures["seconds"] < TIME_LIMIT_S and figures["peak"] < MEMORY_LIMIT


def test_genuine_looking_system_rows_beyond_one_system_are_refused_while_streaming(
    rtt_bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a looser ratio limit, the same file is refused once one system's rows pass 50,000."""
    monkeypatch.setenv("ICS_MAX_ZIP_RATIO", "2000")
    with measured() as figures:
        problems = problems_of(lambda: read_rtt_for_system(rtt_bomb, ics="QUA"))
    assert "has more than 50,000 rows for ICS QUA" in problems[0].reason
    assert figures["peak"] < MEMORY_LIMIT


def test_zip_of_too_many_entries_is_refused_unopened(tmp_path: Path) -> None:
    """A zip of thousands of entries is refused from its end record alone."""
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(3000):
            z.writestr(f"part{i}.csv", b"")
    with measured() as figures:
        (problem,) = problems_of(lambda: read_rtt_extract(path))
    assert "zip of 3,000 entries; at most 50" in problem.reason
    assert figures["seconds"] < 1.0


def test_zip_over_the_unzipped_size_limit_is_refused(tmp_path: Path) -> None:
    """Declared uncompressed sizes are added up before anything is decompressed."""
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("rtt.csv", RTT.read_bytes())
    limits = ArchiveLimits(max_members=50, max_total_bytes=MB, max_ratio=200)

    def read() -> None:
        with open_single_csv(path, limits):
            pass

    (problem,) = problems_of(read)
    assert "would unzip to 4 MB; at most 1 MB" in problem.reason


def test_zip_whose_declared_size_lies_is_refused(tmp_path: Path) -> None:
    """A member declaring 1,000 bytes but inflating to 10 MB stops at its declared size."""
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("rtt.csv", b"a,b\n" + b"1,2\n" * (10 * MB // 4))
    data = bytearray(path.read_bytes())
    real = 4 + 10 * MB // 4 * 4
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        assert struct.unpack_from("<L", data, at + offset)[0] == real
        struct.pack_into("<L", data, at + offset, 1000)
    path.write_bytes(bytes(data))
    problems = problems_of(lambda: read_rtt_extract(path))
    assert problems[0].file == "liar.zip/rtt.csv"
    assert "damaged" in problems[0].reason or "more than" in problems[0].reason


# --- Workbook bombs --------------------------------------------------------------------------


def _template_workbook(path: Path) -> Path:
    frame = pd.read_csv(THEATRES_CSV, dtype=str, keep_default_na=False)
    frame.to_excel(path, index=False)
    return path


def _with_sheet(source: Path, target: Path, edit: Callable[[bytes], bytes]) -> Path:
    """A copy of the workbook with its first sheet's XML edited."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            new.writestr(item.filename, data)
    return target


def test_workbook_declaring_a_million_rows_is_refused_before_its_body(tmp_path: Path) -> None:
    """A sheet whose dimension claims 1,048,576 rows is refused from the declaration."""
    source = _template_workbook(tmp_path / "sites.xlsx")

    def declare(xml: bytes) -> bytes:
        start = xml.index(b"<dimension ref=")
        end = xml.index(b"/>", start) + 2
        return xml[:start] + b'<dimension ref="A1:P1048576"/>' + xml[end:]

    bomb = _with_sheet(source, tmp_path / "declared.xlsx", declare)
    with measured() as figures:
        (problem,) = problems_of(lambda: read_template(bomb, known_ods_codes=KNOWN))
    assert "declares 1,048,575 rows" in problem.reason
    assert figures["seconds"] < TIME_LIMIT_S and figures["peak"] < MEMORY_LIMIT


def _styled_empty_rows(numbered: bool, count: int) -> Callable[[bytes], bytes]:
    """Drops the sheet's dimension and appends `count` styled empty rows."""

    def pad(xml: bytes) -> bytes:
        start = xml.index(b"<dimension ref=")
        xml = xml[:start] + xml[xml.index(b"/>", start) + 2 :]
        row = b'<row s="1" customFormat="1" spans="1:16"/>'
        if numbered:
            rows = b"".join(
                b'<row r="%d" s="1" customFormat="1" spans="1:16"/>' % r
                for r in range(50, 50 + count)
            )
        else:
            rows = row * count  # rows may leave out their number: each is the next
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    return pad


@pytest.mark.parametrize(
    ("numbered", "count", "reason"),
    [
        (False, 1_000_000, "looks like a zip bomb"),
        (True, 300_000, "has more than 50,000 rows or 200,000 cells"),
    ],
)
def test_workbook_of_styled_empty_rows_is_refused(
    tmp_path: Path, numbered: bool, count: int, reason: str
) -> None:
    """Styled empty rows without a dimension: refused from the zip, or at the cell cap."""
    source = _template_workbook(tmp_path / "sites.xlsx")
    bomb = _with_sheet(source, tmp_path / "styled.xlsx", _styled_empty_rows(numbered, count))
    assert bomb.stat().st_size < MB
    with measured() as figures:
        (problem,) = problems_of(lambda: read_template(bomb, known_ods_codes=KNOWN))
    assert reason in problem.reason
    assert figures["seconds"] < TIME_LIMIT_S and figures["peak"] < MEMORY_LIMIT


def test_workbook_within_limits_still_reads(tmp_path: Path) -> None:
    """The cap does not touch a real template: the .xlsx reads like its CSV."""
    from_excel = read_template(_template_workbook(tmp_path / "sites.xlsx"), known_ods_codes=KNOWN)
    from_csv = read_template(THEATRES_CSV, known_ods_codes=KNOWN)
    pd.testing.assert_frame_equal(from_excel.rows, from_csv.rows)


def test_workbook_keeps_row_numbers_across_blank_rows(tmp_path: Path) -> None:
    """A blank row inside the sheet does not shift the spreadsheet row of later problems."""
    path = _template_workbook(tmp_path / "sites.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.insert_rows(3)
    sheet.cell(row=5, column=list(c.value for c in sheet[1]).index("Theatres") + 1, value="ten")
    book.save(path)
    problems = problems_of(lambda: read_template(path, known_ods_codes=KNOWN))
    assert [(p.row, p.column) for p in problems] == [(5, "Theatres")]


def test_csv_too_large_to_read_whole_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV of a kind read whole is refused by size before it is read."""
    monkeypatch.setenv("ICS_MAX_CSV_MB", "1")
    path = tmp_path / "kh03.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * MB)
    (problem,) = problems_of(lambda: read_csv_text(path))
    assert "is 4 MB; files of this kind are at most 1 MB" in problem.reason


def test_plain_csv_is_opened_as_itself(tmp_path: Path) -> None:
    """open_single_csv gives a plain CSV's own bytes and name."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"a\n1\n")
    with open_single_csv(path) as (stream, label):
        assert label == "x.csv" and stream.read() == b"a\n1\n"
