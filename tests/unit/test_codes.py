"""The domain codes match NHS England's published RTT extract, and names read as NHS writes them."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ics_capacity.domain.codes import (
    RTT_PARTS,
    RTT_PARTS_WITH_WAIT_BANDS,
    SURGICAL_TREATMENT_FUNCTIONS,
    TOTAL_TFC,
    TREATMENT_FUNCTIONS,
    WAIT_BAND_COLUMNS,
    WAIT_BANDS,
    display_org_name,
    wait_band_label,
)
from ics_capacity.settings import nhs_data_dir

RTT = nhs_data_dir() / "rtt_full_extract_2026-04_QUA_QHL_subset.csv"


@pytest.fixture(scope="module")
def rtt_rows() -> list[dict[str, str]]:
    with RTT.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_treatment_functions_are_named_as_in_the_rtt_extract(rtt_rows) -> None:
    """Every code and name in the extract, other than the total row, is in TREATMENT_FUNCTIONS."""
    in_file = {r["Treatment Function Code"]: r["Treatment Function Name"] for r in rtt_rows}
    assert in_file.pop(TOTAL_TFC) == "Total"
    assert in_file == TREATMENT_FUNCTIONS


def test_parts_and_which_have_wait_bands_match_the_extract(rtt_rows) -> None:
    """The extract's RTT parts are RTT_PARTS; only Part_3 has no filled wait band."""
    assert {r["RTT Part Type"] for r in rtt_rows} == set(RTT_PARTS)
    banded = {r["RTT Part Type"] for r in rtt_rows if r["Gt 00 To 01 Weeks SUM 1"] != ""}
    assert banded == RTT_PARTS_WITH_WAIT_BANDS == set(RTT_PARTS) - {"Part_3"}


def test_wait_bands_match_the_extract_header() -> None:
    """The extract has WAIT_BANDS weekly band columns."""
    with RTT.open(newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert sum(name.startswith("Gt ") for name in header) == WAIT_BANDS == 105


def test_surgical_treatment_functions() -> None:
    """Surgical functions are the C_1xx specialties, gynaecology and other surgical services."""
    assert SURGICAL_TREATMENT_FUNCTIONS <= TREATMENT_FUNCTIONS.keys()
    assert {c for c in TREATMENT_FUNCTIONS if c.startswith("C_1")} | {
        "C_502",
        "X05",
    } == SURGICAL_TREATMENT_FUNCTIONS
    assert TOTAL_TFC not in TREATMENT_FUNCTIONS


def test_wait_band_labels_and_columns() -> None:
    """Bands read 0-1 weeks .. 103-104 weeks, then over 104 weeks, as columns w000..w104."""
    assert wait_band_label(0) == "0-1 weeks"
    assert wait_band_label(52) == "52-53 weeks"
    assert wait_band_label(103) == "103-104 weeks"
    assert wait_band_label(104) == "over 104 weeks"
    assert WAIT_BAND_COLUMNS[0] == "w000"
    assert WAIT_BAND_COLUMNS[-1] == "w104"
    assert len(WAIT_BAND_COLUMNS) == WAIT_BANDS


@pytest.mark.parametrize("band", [-1, 105])
def test_wait_band_label_refuses_bands_that_do_not_exist(band: int) -> None:
    """A band outside 0..104 is an error naming the allowed range."""
    with pytest.raises(ValueError, match="0 to 104"):
        wait_band_label(band)


@pytest.mark.parametrize(
    ("ods", "display"),
    [
        ("THE ROYAL WOLVERHAMPTON NHS TRUST", "The Royal Wolverhampton NHS Trust"),
        ("THE DUDLEY GROUP NHS FOUNDATION TRUST", "The Dudley Group NHS Foundation Trust"),
        (
            "BIRMINGHAM WOMEN'S AND CHILDREN'S NHS FOUNDATION TRUST",
            "Birmingham Women's and Children's NHS Foundation Trust",
        ),
        ("NHS BLACK COUNTRY INTEGRATED CARE BOARD", "NHS Black Country Integrated Care Board"),
        (
            "NHS HEREFORDSHIRE AND WORCESTERSHIRE ICB - 18C",
            "NHS Herefordshire and Worcestershire ICB - 18C",
        ),
        ("MODALITY LLP", "Modality LLP"),
        ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
        ("OPTEGRA (BIRMINGHAM EYE HOSPITAL)", "Optegra (Birmingham Eye Hospital)"),
        ("NUFFIELD HEALTH, WOLVERHAMPTON HOSPITAL", "Nuffield Health, Wolverhampton Hospital"),
        (
            "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
            "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ),
        (
            "UNIVERSITY HOSPITALS OF NORTH MIDLANDS NHS TRUST",
            "University Hospitals of North Midlands NHS Trust",
        ),
        (
            "NHS STAFFORDSHIRE AND STOKE-ON-TRENT ICB - 05D",
            "NHS Staffordshire and Stoke-on-Trent ICB - 05D",
        ),
        ("HEALTH SERVICES FOR THE UK", "Health Services for the UK"),
        ("2GETHER NHS FOUNDATION TRUST", "2gether NHS Foundation Trust"),
    ],
)
def test_display_org_name(ods: str, display: str) -> None:
    """ODS upper-case names come out in the case NHS publications use."""
    assert display_org_name(ods) == display


ASCII_NAMES = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '-,.()&"),
    max_size=60,
)
NAME_WORDS = st.lists(
    st.sampled_from(
        ["NHS", "THE", "AND", "OF", "FOR", "UPON", "TRUST", "ST", "WOMEN'S", "LLP", "X"]
    ),
    max_size=8,
).map(" ".join)


@given(st.one_of(ASCII_NAMES, NAME_WORDS))
def test_display_org_name_only_changes_letter_case(name: str) -> None:
    """The display name has the same characters; only their case differs."""
    assert display_org_name(name).upper() == name.upper()


@given(st.one_of(ASCII_NAMES, NAME_WORDS))
def test_display_org_name_ignores_the_input_case_and_is_stable(name: str) -> None:
    """Any casing of a name gives the same display name, and re-applying it changes nothing."""
    display = display_org_name(name)
    assert display_org_name(name.upper()) == display
    assert display_org_name(name.lower()) == display
    assert display_org_name(display) == display


@given(NAME_WORDS.filter(lambda s: s != ""))
def test_display_org_name_capitalises_the_first_word(name: str) -> None:
    """The first word starts with a capital, even when it is 'the' or 'and'."""
    assert display_org_name(name)[0].isupper()
