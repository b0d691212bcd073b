"""Importers read NHS England's published files as published, and report every fault by row.

Real-data tests read the files in the shared data folder. Faulty inputs are built in tmp_path by
editing a few real rows, so the tests see the real layout (blank bands, quoting, CRLF lines).
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_capacity.domain.codes import (
    RTT_PARTS_WITH_WAIT_BANDS,
    TOTAL_TFC,
    TREATMENT_FUNCTIONS,
    WAIT_BAND_COLUMNS,
)
from ics_capacity.importers.kh03 import read_kh03
from ics_capacity.importers.ods import read_etr
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rtt import RttExtract, read_rtt_extract
from ics_capacity.importers.workforce import read_workforce
from ics_capacity.settings import nhs_data_dir

NHS_DIR = nhs_data_dir()
RTT = NHS_DIR / "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
KH03 = NHS_DIR / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv"
WORKFORCE = NHS_DIR / "workforce_staff_group_org_Nov-25.csv"
ETR = NHS_DIR / "etr_2026.csv"

QUA_TRUSTS = {"RBK", "RL4", "RNA", "RXK"}
QUA_INDEPENDENT_SECTOR = {"DXN", "NPG20", "NT242", "NVC1H", "NVC21"}
BAND_5 = "Gt 05 To 06 Weeks SUM 1"


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        header, *rows = csv.reader(f)
    return header, rows


def write_rows(path: Path, header: list[str] | None, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def problems_of(error: pytest.ExceptionInfo[ImportValidationError]) -> list[ImportProblem]:
    return error.value.problems


# --- RTT: the real file --------------------------------------------------------------------


@pytest.fixture(scope="module")
def rtt_all() -> RttExtract:
    return read_rtt_extract(RTT)


@pytest.fixture(scope="module")
def rtt_qua() -> RttExtract:
    return read_rtt_extract(RTT, ics="QUA")


def waiting_list(extract: RttExtract) -> pd.Series:
    part_2 = extract.counts[extract.counts["part"] == "Part_2"]
    return part_2.groupby("ods_code")["total_all"].sum()


@pytest.mark.parametrize(
    ("ods_code", "patients"),
    [("RL4", 73_776), ("RXK", 65_630), ("RNA", 46_643), ("RBK", 27_974), ("RRK", 90_948)],
)
def test_rtt_waiting_list_matches_published_check_figures(
    rtt_all: RttExtract, ods_code: str, patients: int
) -> None:
    """Part_2 summed over treatment functions and commissioners gives NHS England's figure."""
    assert waiting_list(rtt_all)[ods_code] == patients


def test_rtt_reads_period_and_columns(rtt_all: RttExtract) -> None:
    """The extract is April 2026 with one int64 row per provider x tfc x part and no C_999."""
    counts = rtt_all.counts
    assert rtt_all.period == dt.date(2026, 4, 1)
    assert rtt_all.source_file == RTT.name
    assert list(counts.columns) == [
        "ods_code",
        "tfc",
        "part",
        *WAIT_BAND_COLUMNS,
        "total",
        "unknown_clock_start",
        "total_all",
    ]
    assert (counts.dtypes.iloc[3:] == "int64").all()
    assert not counts.duplicated(["ods_code", "tfc", "part"]).any()
    assert TOTAL_TFC not in set(counts["tfc"])


def test_rtt_counts_add_up_in_the_output(rtt_all: RttExtract) -> None:
    """Bands sum to total for banded parts, total + unknown = total_all, Part_3 has no bands."""
    counts = rtt_all.counts
    bands = counts[list(WAIT_BAND_COLUMNS)].sum(axis=1)
    banded = counts["part"].isin(RTT_PARTS_WITH_WAIT_BANDS)
    assert (bands[banded] == counts.loc[banded, "total"]).all()
    assert (bands[~banded] == 0).all()
    assert (counts["total"] + counts["unknown_clock_start"] == counts["total_all"]).all()


def test_rtt_providers_and_treatment_functions(rtt_all: RttExtract) -> None:
    """Providers carry their parent ICB; treatment functions are named as in the domain codes."""
    providers = rtt_all.providers.set_index("ods_code")
    assert list(rtt_all.providers.columns) == ["ods_code", "name", "icb_code", "icb_name"]
    assert providers.loc["RL4", "name"] == "THE ROYAL WOLVERHAMPTON NHS TRUST"
    assert providers.loc["RRK", "icb_code"] == "QHL"
    assert providers.loc["RBK", "icb_name"] == "NHS BLACK COUNTRY INTEGRATED CARE BOARD"
    functions = dict(rtt_all.treatment_functions[["code", "name"]].itertuples(index=False))
    assert functions == {code: TREATMENT_FUNCTIONS[code] for code in set(rtt_all.counts["tfc"])}
    assert functions["C_110"] == "Trauma and Orthopaedic Service"


def test_rtt_ics_keeps_exactly_its_trusts_and_independent_providers(rtt_qua: RttExtract) -> None:
    """--ics QUA gives the four Black Country trusts and the independent providers under QUA."""
    codes = set(rtt_qua.providers["ods_code"])
    assert codes == QUA_TRUSTS | QUA_INDEPENDENT_SECTOR
    assert set(rtt_qua.providers["icb_code"]) == {"QUA"}
    assert set(rtt_qua.counts["ods_code"]) == codes


def test_rtt_ics_read_equals_the_same_rows_of_the_full_read(
    rtt_all: RttExtract, rtt_qua: RttExtract
) -> None:
    """Filtering while reading changes nothing for the providers kept."""
    expected = rtt_all.counts[rtt_all.counts["ods_code"].isin(rtt_qua.providers["ods_code"])]
    pd.testing.assert_frame_equal(rtt_qua.counts, expected.reset_index(drop=True))


def test_rtt_providers_filter(rtt_all: RttExtract) -> None:
    """Asking for two providers, in small chunks, returns just their rows, unchanged."""
    extract = read_rtt_extract(RTT, providers=["RRK", "RL4"], chunksize=997)
    assert list(extract.providers["ods_code"]) == ["RL4", "RRK"]
    expected = rtt_all.counts[rtt_all.counts["ods_code"].isin(["RL4", "RRK"])]
    pd.testing.assert_frame_equal(extract.counts, expected.reset_index(drop=True))


def test_rtt_zip_gives_identical_results(tmp_path: Path, rtt_qua: RttExtract) -> None:
    """The same CSV inside a .zip reads to identical frames, named as archive/member."""
    archive = tmp_path / "rtt.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(RTT, arcname=RTT.name)
    zipped = read_rtt_extract(archive, ics="QUA")
    assert zipped.period == rtt_qua.period
    assert zipped.source_file == f"rtt.zip/{RTT.name}"
    for name in ("providers", "treatment_functions", "counts"):
        pd.testing.assert_frame_equal(getattr(zipped, name), getattr(rtt_qua, name))


def test_rtt_wrong_ics_names_what_exists() -> None:
    """An ICS not in the file is reported with the ICS codes the file does have."""
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(RTT, ics="QXX")
    [problem] = problems_of(error)
    assert (problem.file, problem.column, problem.value) == (
        RTT.name,
        "Provider Parent Org Code",
        "QXX",
    )
    assert "QHL, QUA" in problem.reason


def test_rtt_provider_outside_the_ics_is_reported() -> None:
    """A provider asked for under an ICS it does not belong to is named as missing."""
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(RTT, ics="QUA", providers=["RL4", "RRK"])
    [problem] = problems_of(error)
    assert (problem.column, problem.value) == ("Provider Org Code", "RRK")
    assert "QUA" in str(problem)


# --- RTT: faulty files built from real rows ------------------------------------------------


@pytest.fixture(scope="module")
def rtt_sample() -> tuple[list[str], list[list[str]]]:
    """Real rows: RBK and RL4 for one commissioner (D2P2L), all parts, with their C_999 rows."""
    header, rows = read_rows(RTT)
    ods, commissioner = header.index("Provider Org Code"), header.index("Commissioner Org Code")
    sample = [r for r in rows if r[ods] in {"RBK", "RL4"} and r[commissioner] == "D2P2L"]
    assert len(sample) > 100
    return header, sample


def edited(rows: list[list[str]]) -> list[list[str]]:
    return [list(row) for row in rows]


def first_row(header: list[str], rows: list[list[str]], part: str, *, total: bool = False) -> int:
    """Index of the first row of this part that is (or is not) a C_999 total row."""
    p, t = header.index("RTT Part Type"), header.index("Treatment Function Code")
    return next(i for i, r in enumerate(rows) if r[p] == part and (r[t] == TOTAL_TFC) == total)


def test_rtt_sample_reads_cleanly(tmp_path: Path, rtt_sample) -> None:
    """The unedited sample is valid, so each faulty variant below fails only for its edit."""
    header, rows = rtt_sample
    extract = read_rtt_extract(write_rows(tmp_path / "rtt.csv", header, rows))
    assert set(extract.providers["ods_code"]) == {"RBK", "RL4"}


def test_rtt_columns_are_found_by_meaning(tmp_path: Path, rtt_sample) -> None:
    """Reversed column order and snake_case headers read to the same extract."""
    header, rows = rtt_sample
    original = read_rtt_extract(write_rows(tmp_path / "rtt.csv", header, rows))
    renamed = [h.lower().replace(" ", "_") for h in reversed(header)]
    moved = read_rtt_extract(
        write_rows(tmp_path / "moved.csv", renamed, [list(reversed(r)) for r in rows])
    )
    pd.testing.assert_frame_equal(moved.counts, original.counts)
    pd.testing.assert_frame_equal(moved.providers, original.providers)


@pytest.mark.parametrize("column", ["Treatment Function Code", BAND_5, "Total All"])
def test_rtt_missing_column_is_named(tmp_path: Path, rtt_sample, column: str) -> None:
    """A missing column is reported at the header row, by the name the published file uses."""
    header, rows = rtt_sample
    drop = header.index(column)
    path = write_rows(
        tmp_path / "rtt.csv",
        [h for i, h in enumerate(header) if i != drop],
        [[v for i, v in enumerate(r) if i != drop] for r in rows],
    )
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    [problem] = problems_of(error)
    assert (problem.file, problem.row, problem.column) == ("rtt.csv", 1, column)
    assert "missing" in problem.reason


def test_rtt_bad_cells_are_all_reported_with_row_and_column(tmp_path: Path, rtt_sample) -> None:
    """Non-numeric, negative, unknown tfc and unknown part are reported together, each located."""
    header, rows = rtt_sample
    rows = edited(rows)
    rows[3][header.index(BAND_5)] = "12a"
    rows[10][header.index("Total All")] = "-3"
    rows[20][header.index("Treatment Function Code")] = "C_123"
    rows[30][header.index("RTT Part Type")] = "Part_4"
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path, chunksize=7)  # rows fall in different chunks
    found = {(p.row, p.column, p.value) for p in problems_of(error)}
    assert found == {
        (5, BAND_5, "12a"),
        (12, "Total All", "-3"),
        (22, "Treatment Function Code", "C_123"),
        (32, "RTT Part Type", "Part_4"),
    }
    assert "rtt.csv row 12, column 'Total All': '-3' is negative;" in str(error.value)


def test_rtt_bands_not_adding_up_to_total_all(tmp_path: Path, rtt_sample) -> None:
    """A Part_2 band off by one is reported at its row against Total All, and against C_999."""
    header, rows = rtt_sample
    rows = edited(rows)
    i = first_row(header, rows, "Part_2")
    band = header.index(BAND_5)
    rows[i][band] = str(int(rows[i][band] or 0) + 1)
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    row_problem, c999_problem = problems_of(error)
    assert (row_problem.row, row_problem.column) == (i + 2, "Total All")
    assert "sum of the 105 weekly bands" in row_problem.reason
    assert (c999_problem.row, c999_problem.column) == (None, BAND_5)
    assert "Part_2" in c999_problem.reason


def test_rtt_total_plus_unknown_not_equal_to_total_all(tmp_path: Path, rtt_sample) -> None:
    """A Part_1A Total All that is not Total + unknown clock starts is reported at its row."""
    header, rows = rtt_sample
    rows = edited(rows)
    i = first_row(header, rows, "Part_1A")
    total_all = header.index("Total All")
    rows[i][total_all] = str(int(rows[i][total_all]) + 5)
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    located = [(p.row, p.column) for p in problems_of(error) if p.row is not None]
    assert located == [(i + 2, "Total All")]


def test_rtt_c999_row_not_matching_the_treatment_functions(tmp_path: Path, rtt_sample) -> None:
    """A self-consistent C_999 row that disagrees with the treatment functions is reported."""
    header, rows = rtt_sample
    rows = edited(rows)
    i = first_row(header, rows, "Part_2", total=True)
    for column in (BAND_5, "Total All"):
        j = header.index(column)
        rows[i][j] = str(int(rows[i][j] or 0) + 1)
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    problems = problems_of(error)
    provider = rows[i][header.index("Provider Org Code")]
    assert {p.column for p in problems} == {BAND_5, "Total", "Total All"}
    assert all(p.row is None and f"provider {provider}, Part_2" in p.reason for p in problems)


def test_rtt_header_only_file(tmp_path: Path, rtt_sample) -> None:
    """A file with a header and no rows says so."""
    header, _ = rtt_sample
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(write_rows(tmp_path / "rtt.csv", header, []))
    [problem] = problems_of(error)
    assert (problem.file, problem.row) == ("rtt.csv", None)
    assert "no data rows" in problem.reason


def test_rtt_zero_byte_file(tmp_path: Path) -> None:
    """An empty (0-byte) file is reported as empty, not as a crash."""
    path = tmp_path / "rtt.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    assert "rtt.csv: is empty" in str(error.value)


def test_rtt_zip_with_two_csvs_is_refused(tmp_path: Path) -> None:
    """A zip holding more than one CSV is reported, naming what it holds."""
    archive = tmp_path / "rtt.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.csv", "x\n")
        z.writestr("b.csv", "y\n")
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(archive)
    assert "a.csv, b.csv" in str(error.value)


def test_rtt_wrong_ics_on_a_small_file(tmp_path: Path, rtt_sample) -> None:
    """An ICS not in the file is one problem naming the ICS asked for."""
    header, rows = rtt_sample
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(write_rows(tmp_path / "rtt.csv", header, rows), ics="QHL")
    [problem] = problems_of(error)
    assert str(problem) == (
        "rtt.csv, column 'Provider Parent Org Code': 'QHL' is not an ICS in this file; it has QUA."
    )


NOT_A_NUMBER = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Nd")), min_size=1, max_size=8
).filter(lambda s: s.strip() != "")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), text=NOT_A_NUMBER)
def test_rtt_any_non_numeric_band_is_located(tmp_path: Path, rtt_sample, data, text) -> None:
    """Any band cell replaced by text that is not a number is the one problem, at its cell."""
    header, rows = rtt_sample
    rows = edited(rows)
    i = data.draw(st.integers(0, len(rows) - 1), label="row")
    band = data.draw(st.sampled_from([h for h in header if h.startswith("Gt ")]), label="band")
    rows[i][header.index(band)] = text
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path, chunksize=64)
    [problem] = problems_of(error)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "rtt.csv",
        i + 2,
        band,
        text,
    )
    assert problem.reason.startswith("is not a number")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), extra=st.integers(1, 10_000))
def test_rtt_any_changed_count_is_caught(tmp_path: Path, rtt_sample, data, extra) -> None:
    """Raising any filled count cell is reported: at its row for banded parts, else by C_999."""
    header, rows = rtt_sample
    rows = edited(rows)
    counts = [j for j, h in enumerate(header) if h.startswith("Gt ") or h.startswith("Total")]
    counts.append(header.index("Patients with unknown clock start date"))
    cells = [(i, j) for i, row in enumerate(rows) for j in counts if row[j] != ""]
    i, j = data.draw(st.sampled_from(cells), label="cell")
    rows[i][j] = str(int(rows[i][j]) + extra)
    path = write_rows(tmp_path / "rtt.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_rtt_extract(path)
    problems = problems_of(error)
    part = rows[i][header.index("RTT Part Type")]
    if part in RTT_PARTS_WITH_WAIT_BANDS:
        assert i + 2 in {p.row for p in problems}
    else:
        provider = rows[i][header.index("Provider Org Code")]
        assert any(f"provider {provider}, {part}" in p.reason for p in problems)


# --- Problems --------------------------------------------------------------------------------


def test_problem_reads_like_the_style_guide() -> None:
    """A problem names file, spreadsheet row, column and value, then what is allowed."""
    problem = ImportProblem(
        "kh03.csv", 14, "Beds available", "-3", "is negative; beds must be 0 or more."
    )
    assert str(problem) == (
        "kh03.csv row 14, column 'Beds available': '-3' is negative; beds must be 0 or more."
    )


def test_error_lists_twenty_problems_then_counts_the_rest() -> None:
    """The error message shows the first 20 problems and how many more there are."""
    problems = [ImportProblem("f.csv", r, "c", "x", "is bad.") for r in range(2, 27)]
    message = str(ImportValidationError(problems))
    assert message.startswith("25 problems found:")
    assert "f.csv row 21, column 'c'" in message
    assert "f.csv row 22," not in message
    assert message.endswith("... and 5 more")


# --- KH03 ----------------------------------------------------------------------------------


def test_kh03_latest_quarter_for_rl4() -> None:
    """RL4's latest quarter is 2024-25 Q4 with about 825.4 G&A beds at 95.1% occupancy."""
    beds = read_kh03(KH03, providers=["RL4"])
    [row] = beds.to_dict("records")
    assert row["ods_code"] == "RL4"
    assert row["period"] == "2024-25 Q4"
    assert row["ga_beds_available"] == pytest.approx(825.4, abs=0.05)
    assert row["ga_occupancy_rate"] == pytest.approx(0.951, abs=0.0005)
    assert row["acute_beds_available"] > row["ga_beds_available"]


def test_kh03_named_quarter_for_the_black_country_trusts() -> None:
    """A named quarter gives one row per trust asked for, for that quarter."""
    beds = read_kh03(KH03, providers=sorted(QUA_TRUSTS), period="2023-24 Q1")
    assert list(beds["ods_code"]) == sorted(QUA_TRUSTS)
    assert set(beds["period"]) == {"2023-24 Q1"}
    assert list(beds.columns) == [
        "ods_code",
        "period",
        "ga_beds_available",
        "ga_beds_occupied",
        "ga_occupancy_rate",
        "acute_beds_available",
        "acute_beds_occupied",
    ]


def test_kh03_all_trusts_once_and_no_england_row() -> None:
    """Without a filter every trust appears once and the England row is left out."""
    beds = read_kh03(KH03)
    assert "NAN" not in set(beds["ods_code"])
    assert beds["ods_code"].is_unique
    assert len(beds) > 200


@pytest.fixture(scope="module")
def kh03_sample() -> tuple[list[str], list[list[str]]]:
    header, rows = read_rows(KH03)
    return header, [r for r in rows if r[0] in {"RL4", "RBK"}]


def test_kh03_latest_quarter_skips_quarters_without_ga_beds(tmp_path: Path, kh03_sample) -> None:
    """A trust whose last quarter shows no G&A beds is read at its last quarter that has some."""
    header, rows = kh03_sample
    rows = edited(rows)
    period = header.index("period")
    for row in rows:
        if row[0] == "RL4" and row[period] == "2024-25 Q4":
            for column in ("kh03_avail_ga_avg_beds", "kh03_occ_ga_avg_beds"):
                row[header.index(column)] = "0.0"
            row[header.index("kh03_occ_ga_rate")] = ""
    beds = read_kh03(write_rows(tmp_path / "kh03.csv", header, rows), providers=["RL4", "RBK"])
    latest = dict(beds[["ods_code", "period"]].itertuples(index=False))
    assert latest == {"RBK": "2024-25 Q4", "RL4": "2024-25 Q3"}


def test_kh03_bad_cells_are_reported_like_the_style_guide(tmp_path: Path, kh03_sample) -> None:
    """Negative and non-numeric beds are each reported at their row and column."""
    header, rows = kh03_sample
    rows = edited(rows)
    rows[4][header.index("kh03_avail_ga_avg_beds")] = "-3"
    rows[7][header.index("kh03_occ_acute_avg_beds")] = "n/a"
    path = write_rows(tmp_path / "kh03.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_kh03(path)
    assert [str(p) for p in problems_of(error)] == [
        "kh03.csv row 6, column 'kh03_avail_ga_avg_beds': '-3' is negative; "
        "beds must be 0 or more.",
        "kh03.csv row 9, column 'kh03_occ_acute_avg_beds': 'n/a' is not a number; "
        "beds must be 0 or more.",
    ]


def test_kh03_missing_column_and_unknown_trust(tmp_path: Path, kh03_sample) -> None:
    """A missing G&A column is named at the header row; an unknown trust is named too."""
    header, rows = kh03_sample
    drop = header.index("kh03_occ_ga_avg_beds")
    path = write_rows(
        tmp_path / "kh03.csv",
        [h for i, h in enumerate(header) if i != drop],
        [[v for i, v in enumerate(r) if i != drop] for r in rows],
    )
    with pytest.raises(ImportValidationError) as error:
        read_kh03(path)
    [problem] = problems_of(error)
    assert (problem.row, problem.column) == (1, "kh03_occ_ga_avg_beds")
    with pytest.raises(ImportValidationError) as error:
        read_kh03(KH03, providers=["RL4", "ZZZ"], period="2030-31 Q1")
    assert {(p.column, p.value) for p in problems_of(error)} == {
        ("org_code", "ZZZ"),
        ("period", "2030-31 Q1"),
    }


# --- Workforce -------------------------------------------------------------------------------


def test_workforce_rl4_nurses() -> None:
    """RL4 has about 2,694.1 FTE nurses & health visitors; the all-groups total is not a row."""
    staff = read_workforce(WORKFORCE, providers=["RL4"])
    nurses = staff[staff["staff_group"] == "Nurses & health visitors"]
    assert nurses["fte"].item() == pytest.approx(2694.1, abs=0.05)
    assert nurses["headcount"].item() == 3005
    assert "All staff groups" not in set(staff["staff_group"])
    assert list(staff.columns) == ["ods_code", "period", "staff_group", "headcount", "fte"]
    assert staff["headcount"].dtype == "int64"


def test_workforce_all_trusts_add_up() -> None:
    """The whole national file reads: every trust's groups add up to its total FTE."""
    staff = read_workforce(WORKFORCE)
    assert staff["ods_code"].nunique() == 247


@pytest.fixture(scope="module")
def workforce_sample() -> tuple[list[str], list[list[str]]]:
    header, rows = read_rows(WORKFORCE)
    ods = header.index("REPORTING_ORG_CODE")
    return header, [r for r in rows if r[ods] in {"RL4", "RBK"}]


def row_of(header, rows, ods_code: str, group: str, kind="Denominator at end of period") -> int:
    o, g, t = (header.index(c) for c in ("REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME", "TYPE"))
    return next(i for i, r in enumerate(rows) if (r[o], r[g], r[t]) == (ods_code, group, kind))


def test_workforce_groups_not_adding_up(tmp_path: Path, workforce_sample) -> None:
    """A staff group 1 FTE off is reported at the trust's All staff groups FTE cell."""
    header, rows = workforce_sample
    rows = edited(rows)
    nurses = row_of(header, rows, "RL4", "Nurses & health visitors")
    fte = header.index("FTE")
    rows[nurses][fte] = str(float(rows[nurses][fte]) + 1)
    path = write_rows(tmp_path / "workforce.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_workforce(path)
    [problem] = problems_of(error)
    total_row = row_of(header, rows, "RL4", "All staff groups")
    assert (problem.row, problem.column, problem.value) == (total_row + 2, "FTE", "9417.20675")


def test_workforce_thousands_separators_and_bad_cells(tmp_path: Path, workforce_sample) -> None:
    """ "3,005" (quoted) reads as 3005; a negative headcount and text FTE are located."""
    header, rows = workforce_sample
    rows = edited(rows)
    nurses = row_of(header, rows, "RL4", "Nurses & health visitors")
    rows[nurses][header.index("HC")] = "3,005"
    path = write_rows(tmp_path / "workforce.csv", header, rows)
    assert "3,005" in path.read_text()
    staff = read_workforce(path, providers=["RL4"])
    assert staff.loc[staff["staff_group"] == "Nurses & health visitors", "headcount"].item() == 3005

    midwives = row_of(header, rows, "RBK", "Midwives")
    rows[midwives][header.index("HC")] = "-2"
    rows[nurses][header.index("FTE")] = "lots"
    path = write_rows(tmp_path / "workforce.csv", header, rows)
    with pytest.raises(ImportValidationError) as error:
        read_workforce(path)
    assert {(p.row, p.column, p.value) for p in problems_of(error)} == {
        (midwives + 2, "HC", "-2"),
        (nurses + 2, "FTE", "lots"),
    }


def test_workforce_unknown_trust_and_missing_column(tmp_path: Path, workforce_sample) -> None:
    """A trust not in the file and a missing FTE column are each reported."""
    with pytest.raises(ImportValidationError) as error:
        read_workforce(WORKFORCE, providers=["RL4", "ZZZ"])
    assert [(p.column, p.value) for p in problems_of(error)] == [("REPORTING_ORG_CODE", "ZZZ")]
    header, rows = workforce_sample
    drop = header.index("FTE")
    path = write_rows(
        tmp_path / "workforce.csv",
        [h for i, h in enumerate(header) if i != drop],
        [[v for i, v in enumerate(r) if i != drop] for r in rows],
    )
    with pytest.raises(ImportValidationError) as error:
        read_workforce(path)
    assert [(p.row, p.column) for p in problems_of(error)] == [(1, "FTE")]


# --- ODS trusts file -------------------------------------------------------------------------


def test_etr_finds_walsall() -> None:
    """RBK is in Walsall (WS2 9PS), in ICB QUA, region Y60, open since April 1991."""
    [row] = read_etr(ETR, codes=["RBK"]).to_dict("records")
    assert row == {
        "ods_code": "RBK",
        "name": "WALSALL HEALTHCARE NHS TRUST",
        "region_code": "Y60",
        "icb_code": "QUA",
        "postcode": "WS2 9PS",
        "opened": dt.date(1991, 4, 1),
        "closed": None,
    }


def test_etr_icb_filter_and_close_dates() -> None:
    """ICB QUA holds the four acute trusts; a closed trust carries its close date."""
    trusts = read_etr(ETR, icb="QUA").set_index("ods_code")
    assert QUA_TRUSTS <= set(trusts.index)
    assert trusts.loc["RYK", "closed"] == dt.date(2024, 9, 30)


def test_etr_bad_date_and_unknown_code(tmp_path: Path) -> None:
    """Without a header, the first line is row 1; bad dates and unknown codes are located."""
    with ETR.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[:10]
    rows[2][10] = "2020-13-01"
    path = write_rows(tmp_path / "etr.csv", None, rows)
    with pytest.raises(ImportValidationError) as error:
        read_etr(path, codes=[rows[0][0], "ZZZ"])
    assert {(p.row, p.column, p.value) for p in problems_of(error)} == {
        (None, "1 (organisation code)", "ZZZ")
    }
    with pytest.raises(ImportValidationError) as error:
        read_etr(path)
    assert [(p.row, p.column, p.value) for p in problems_of(error)] == [
        (3, "11 (open date)", "2020-13-01")
    ]


def test_etr_too_few_columns_and_empty_file(tmp_path: Path) -> None:
    """A file cut to 5 columns, and a 0-byte file, are each one clear problem."""
    path = write_rows(tmp_path / "etr.csv", None, [["RBK", "WALSALL", "Y60", "QUA", "X"]])
    with pytest.raises(ImportValidationError) as error:
        read_etr(path)
    assert "has 5 columns" in str(error.value)
    path.write_bytes(b"")
    with pytest.raises(ImportValidationError) as error:
        read_etr(path)
    assert "etr.csv: is empty" in str(error.value)
