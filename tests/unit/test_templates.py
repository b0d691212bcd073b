"""The project's own templates (theatres per site, case-mix) are read by meaning and checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ics_capacity.domain.assumptions import CASE_MIX, DEMO_SITES
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.templates import (
    CASE_MIX as CASE_MIX_KIND,
)
from ics_capacity.importers.templates import (
    THEATRES,
    normalise_tfc,
    read_template,
    template_kind_of,
)
from ics_capacity.settings import REPO_ROOT

EXAMPLES = REPO_ROOT / "docs" / "examples"
THEATRES_CSV = EXAMPLES / "theatres_template.csv"
CASE_MIX_CSV = EXAMPLES / "case_mix_template.csv"
KNOWN = {"RBK", "RL4", "RNA", "RXK"}


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, tmp_path: Path, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ImportValidationError) as caught:
        read_template(path, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_example_theatres_template_matches_the_demo_assumptions() -> None:
    """The documented example reads back as the demo's sites, theatres and beds."""
    template = read_template(THEATRES_CSV, known_ods_codes=KNOWN)
    assert template.kind == THEATRES
    rows = template.rows.set_index("site_code")
    assert list(rows.index) == [a.code for a in DEMO_SITES]
    for a in DEMO_SITES:
        row = rows.loc[a.code]
        assert row["operator_ods_code"] == a.operator_ods_code
        assert bool(row["is_elective_hub"]) == a.is_elective_hub
        assert row["theatres"] == a.theatres
        assert row["sessions_per_week"] == a.sessions_per_week
        assert row["utilisation_target"] == pytest.approx(a.utilisation_target)
        assert row["latitude"] == pytest.approx(a.latitude)
        assert set(row["treatment_functions"]) == set(a.treatment_functions)
    assert template.rows["theatres"].dtype == "int64"


def test_example_case_mix_template_matches_the_demo_assumptions() -> None:
    """The case-mix example reads back as the demo's minutes, stays and day-case rates."""
    template = read_template(CASE_MIX_CSV)
    assert template.kind == CASE_MIX_KIND
    rows = template.rows.set_index("tfc")
    assert set(rows.index) == set(CASE_MIX)
    for tfc, a in CASE_MIX.items():
        assert rows.loc[tfc, "minutes_per_case"] == a.minutes_per_case
        assert rows.loc[tfc, "length_of_stay_days"] == pytest.approx(a.length_of_stay_days)
        assert rows.loc[tfc, "day_case_rate"] == pytest.approx(a.day_case_rate)


def test_columns_are_found_by_meaning_in_any_order_and_spelling(tmp_path: Path) -> None:
    """Renamed (aliases, case, underscores) and reordered columns read the same rows."""
    frame = _frame(THEATRES_CSV)
    renamed = frame.rename(
        columns={
            "Site code": "SITE_CODE",
            "Operator ODS code": "trust code",
            "Sessions per week per theatre": "sessions a week",
            "Day-case places": "day case places",
            "Bed occupancy target": "Occupancy Target",
        }
    )
    shuffled = renamed[list(reversed(renamed.columns))]
    again = read_template(_write(shuffled, tmp_path), known_ods_codes=KNOWN)
    expected = read_template(THEATRES_CSV, known_ods_codes=KNOWN)
    pd.testing.assert_frame_equal(again.rows, expected.rows)


def test_optional_columns_take_the_cited_defaults(tmp_path: Path) -> None:
    """Without session minutes or targets, a site gets 240 minutes, 85% and 92%."""
    frame = _frame(THEATRES_CSV).drop(
        columns=["Session minutes", "Utilisation target", "Bed occupancy target", "Postcode"]
    )
    rows = read_template(_write(frame, tmp_path)).rows
    assert set(rows["session_minutes"]) == {240}
    assert set(rows["utilisation_target"]) == {0.85}
    assert set(rows["occupancy_target"]) == {0.92}
    assert rows["postcode"].isna().all()


def test_rates_may_be_percentages(tmp_path: Path) -> None:
    """'85%', '85' and '0.85' are the same utilisation target."""
    frame = _frame(THEATRES_CSV)
    frame.loc[0, "Utilisation target"] = "85%"
    frame.loc[1, "Utilisation target"] = "85"
    rows = read_template(_write(frame, tmp_path)).rows
    assert set(rows["utilisation_target"]) == {0.85}


def test_excel_template_reads_like_the_csv(tmp_path: Path) -> None:
    """The first sheet of an .xlsx workbook is read like the CSV template."""
    path = tmp_path / "theatres.xlsx"
    _frame(THEATRES_CSV).to_excel(path, index=False, sheet_name="Sites")
    from_excel = read_template(path, known_ods_codes=KNOWN).rows
    from_csv = read_template(THEATRES_CSV, known_ods_codes=KNOWN).rows
    pd.testing.assert_frame_equal(from_excel, from_csv)


def test_every_bad_cell_is_reported_with_row_column_and_reason(tmp_path: Path) -> None:
    """Non-numeric, negative, out-of-range, unknown codes, duplicates: all listed at once."""
    frame = _frame(THEATRES_CSV)
    frame.loc[0, "Theatres"] = "ten"
    frame.loc[1, "Elective overnight beds"] = "-3"
    frame.loc[2, "Session minutes"] = "900"
    frame.loc[3, "Operator ODS code"] = "ZZZ"
    frame.loc[4, "Treatment functions"] = "C_110; C_999"
    frame.loc[5, "Site code"] = "CANNOCK"
    frame.loc[2, "Elective hub"] = "maybe"
    frame.loc[1, "Theatres"] = "2.5"
    problems = _problems(_write(frame, tmp_path), known_ods_codes=KNOWN)
    assert problems == [
        "sites.csv row 2, column 'Theatres': 'ten' is not a number; theatres must be a whole "
        "number, 0 to 100.",
        "sites.csv row 3, column 'Elective overnight beds': '-3' is out of range; elective "
        "overnight beds must be a whole number, 0 to 2,000.",
        "sites.csv row 3, column 'Theatres': '2.5' is not a whole number; theatres must be a "
        "whole number, 0 to 100.",
        "sites.csv row 4, column 'Elective hub': 'maybe' is not yes or no (blank means no).",
        "sites.csv row 4, column 'Session minutes': '900' is out of range; a session must be 1 "
        "to 720 minutes.",
        "sites.csv row 5, column 'Operator ODS code': 'ZZZ' is not an organisation the app "
        "knows; use the ODS code of a trust or independent-sector provider already loaded "
        "(import the ODS trusts file first).",
        "sites.csv row 6, column 'Treatment functions': 'C_110; C_999' has C_999, not RTT "
        "treatment function codes; expected codes such as C_110 or X05, separated by ';'.",
        "sites.csv row 7, column 'Site code': 'CANNOCK' repeats the site of row 2; give each "
        "site one row.",
    ]


def test_case_mix_problems(tmp_path: Path) -> None:
    """Unknown and repeated treatment functions and out-of-range rates are problems."""
    frame = _frame(CASE_MIX_CSV)
    frame.loc[0, "Treatment function"] = "C_777"
    frame.loc[1, "Treatment function"] = "110"  # C_110, which row 4 also has
    frame.loc[2, "Day-case rate"] = "150%"
    frame.loc[3, "Length of stay days"] = ""
    problems = _problems(_write(frame, tmp_path, "mix.csv"))
    assert problems == [
        "mix.csv row 2, column 'Treatment function': 'C_777' is not an RTT treatment function "
        "code; expected C_100 .. C_502 or X02 .. X06.",
        "mix.csv row 4, column 'Day-case rate': '150%' is out of range; a day-case rate must be "
        "0 to 1 (or 0% to 100%).",
        "mix.csv row 4, column 'Treatment function': 'C_110' repeats the treatment function of "
        "row 3; give each treatment function one row.",
        "mix.csv row 5, column 'Length of stay days': '' is blank; length of stay must be 0 to "
        "365 days.",
    ]


def test_missing_and_repeated_columns(tmp_path: Path) -> None:
    """A required column missing, or one meaning given twice, is named at header row 1."""
    frame = _frame(THEATRES_CSV).drop(columns=["Theatres"])
    frame["Sessions a week"] = frame["Sessions per week per theatre"]
    problems = _problems(_write(frame, tmp_path))
    assert problems == [
        "sites.csv row 1, column 'Theatres': is missing from the header row (also accepted: "
        "Number of theatres, Operating theatres).",
        "sites.csv row 1, column 'Sessions a week': means the same as column 'Sessions per week "
        "per theatre'; give each column once.",
    ]


def test_coordinates_come_in_pairs(tmp_path: Path) -> None:
    """A latitude without a longitude is a problem."""
    frame = _frame(THEATRES_CSV)
    frame.loc[0, "Longitude"] = ""
    frame.loc[1, "Latitude"] = "95"
    assert _problems(_write(frame, tmp_path)) == [
        "sites.csv row 2, column 'Longitude': '' is blank but its partner is not; give both "
        "latitude and longitude, or neither.",
        "sites.csv row 3, column 'Latitude': '95' is out of range; latitude must be -90 to 90 "
        "degrees (WGS84).",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty (0 bytes); expected a template."),
        (b"\n\n", "is empty; expected a header row and data."),
        (
            b"Site code,Site name,Operator ODS code,Theatres,Sessions per week,"
            b"Elective overnight beds,Day-case places\n",
            "has a header but no data rows.",
        ),
        (b"a,b,c\n1,2,3\n", "is not one of the project's templates"),
    ],
)
def test_empty_and_unrecognised_files(tmp_path: Path, content: bytes, reason: str) -> None:
    """Empty files, a header alone, and other files get a clear message."""
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    problems = _problems(path)
    assert len(problems) == 1 and reason in problems[0]


def test_a_corrupt_workbook_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A file named .xlsx that is not a workbook is reported as unreadable."""
    path = tmp_path / "sites.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    problems = _problems(path)
    assert "cannot be read as an Excel workbook" in problems[0]


def test_kind_is_told_by_the_header() -> None:
    """The header decides which template a file is."""
    assert template_kind_of(["TFC", "Minutes per case", "LOS", "Day case rate"]) == CASE_MIX_KIND
    assert template_kind_of(list(_frame(THEATRES_CSV).columns)) == THEATRES
    assert template_kind_of(["Period", "Org Code"]) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("C_110", "C_110"), ("c110", "C_110"), ("110", "C_110"), ("x05", "X05"), ("C_999", None)],
)
def test_treatment_function_spellings(text: str, code: str | None) -> None:
    """Treatment functions may be written C_110, C110, 110 or in lower case."""
    assert normalise_tfc(text) == code
