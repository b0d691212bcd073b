"""GIRFT's hub standards as data, and a hub's readiness against them, without a database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ics_capacity.domain import hub_standards as hs
from ics_capacity.domain.hub_standards import (
    HUB_STANDARDS,
    AccreditationDomain,
    HubFigureError,
    HubFigures,
    HubLimit,
    Status,
    readiness,
)
from ics_capacity.domain.utilisation import UTILISATION_WORDS, UtilisationDefinition

DOC = Path(__file__).resolve().parents[2] / "docs" / "assumptions.md"


def _by_id(hub: HubFigures, limits=()) -> dict[str, hs.StandardReading]:
    return {r.standard.id: r for r in readiness(hub, limits)}


def _cannock(**changes) -> HubFigures:
    values = {
        "sessions_per_week_per_theatre": 15.0,
        "utilisation": 0.85,
        "treatment_functions": ("C_100", "C_110"),
    } | changes
    return HubFigures(**values)


def test_the_published_values_are_the_defaults() -> None:
    """Six days, 48 weeks, 2.5 sessions a day, 85% capped, 85% day cases, 10 cataracts a list."""
    defaults = {s.id: s.default for s in HUB_STANDARDS}
    assert defaults == {
        "operating_days": 6,
        "operating_weeks": 48,
        "sessions_per_day": 2.5,
        "utilisation": 0.85,
        "day_case_rate": 0.85,
        "cataracts_per_list": 10,
    }
    figures = HubFigures()
    assert (figures.operating_days_per_week, figures.operating_weeks_per_year) == (6, 48)
    assert figures.utilisation_definition is UtilisationDefinition.CAPPED
    assert (figures.day_case_rate, figures.cataracts_per_list) == (0.85, 10)


def test_every_standard_has_a_source_and_an_accreditation_element() -> None:
    """Each names its source, and sits under one of GIRFT's five accreditation elements."""
    for standard in HUB_STANDARDS:
        assert "http" in standard.source, standard.id
        assert isinstance(standard.domain, AccreditationDomain)
    assert "utilisation and productivity" in hs.ACCREDITATION_SOURCE


def test_every_standard_is_in_the_assumptions_doc_with_its_value() -> None:
    """docs/assumptions.md lists each standard's wording and value; its URLs are cited there."""
    doc = DOC.read_text(encoding="utf-8")
    for standard in HUB_STANDARDS:
        assert standard.wording in doc, standard.wording
        assert hs.standard_text(standard) in doc, hs.standard_text(standard)
        for url in re.findall(r"https?://[^\s,;)']+", standard.source):
            assert url.rstrip(".") in doc, url
    for element in AccreditationDomain:
        assert element.value in doc


def test_a_hub_at_the_defaults_meets_every_standard_it_can() -> None:
    """Cannock at 15 sessions a week: met, and the cataract standard does not apply."""
    rows = _by_id(_cannock())
    assert rows["sessions_per_day"].hub_value == pytest.approx(2.5)
    assert {k: r.status for k, r in rows.items()} == {
        "operating_days": Status.MET,
        "operating_weeks": Status.MET,
        "sessions_per_day": Status.MET,
        "utilisation": Status.MET,
        "day_case_rate": Status.MET,
        "cataracts_per_list": Status.NOT_APPLICABLE,
    }
    assert all(r.binds == "" for r in rows.values())


def test_figures_below_the_standard_are_not_met() -> None:
    """Five days with 15 sessions is 3 a day (met); 10 sessions over 5 days is 2 (not met)."""
    rows = _by_id(_cannock(operating_days_per_week=5))
    assert rows["operating_days"].status is Status.NOT_MET
    assert rows["sessions_per_day"].status is Status.MET
    rows = _by_id(_cannock(operating_days_per_week=5, sessions_per_week_per_theatre=10.0))
    assert rows["sessions_per_day"].status is Status.NOT_MET
    assert "2 sessions a day" in rows["sessions_per_day"].hub_text
    rows = _by_id(_cannock(day_case_rate=0.7, operating_weeks_per_year=46, utilisation=0.8))
    assert rows["day_case_rate"].status is Status.NOT_MET
    assert rows["operating_weeks"].status is Status.NOT_MET
    assert rows["utilisation"].status is Status.NOT_MET


def test_utilisation_always_says_which_definition() -> None:
    """Capped is compared; uncapped below 85% is not met, at or above it is unknown."""
    capped = _by_id(_cannock())["utilisation"]
    assert "(capped)" in capped.hub_text and "(capped)" in capped.standard_text
    low = _by_id(_cannock(utilisation=0.8, utilisation_definition=UtilisationDefinition.UNCAPPED))
    assert low["utilisation"].status is Status.NOT_MET
    assert "(uncapped)" in low["utilisation"].hub_text
    high = _by_id(_cannock(utilisation=0.9, utilisation_definition=UtilisationDefinition.UNCAPPED))
    assert high["utilisation"].status is Status.UNKNOWN
    assert "capped" in high["utilisation"].reason
    for words in UTILISATION_WORDS.values():
        assert "÷ the planned session time" in words


def test_cataracts_apply_only_to_a_hub_that_takes_ophthalmology() -> None:
    """C_130 at the hub: 8 a list is not met, 10 is met."""
    eyes = ("C_130",)
    assert _by_id(_cannock(treatment_functions=eyes))["cataracts_per_list"].status is Status.MET
    rows = _by_id(_cannock(treatment_functions=eyes, cataracts_per_list=8))
    assert rows["cataracts_per_list"].status is Status.NOT_MET


def test_a_site_without_theatres_is_unknown_for_theatre_standards() -> None:
    """No theatre capacity: sessions and utilisation cannot be judged."""
    rows = _by_id(HubFigures())
    assert rows["sessions_per_day"].status is Status.UNKNOWN
    assert rows["utilisation"].status is Status.UNKNOWN
    assert rows["utilisation"].hub_text == "no theatres"


def test_full_theatre_time_binds_the_theatre_standards_and_full_beds_the_day_case_rate() -> None:
    """A full resource in the saved plan marks the standards that set it, with its weeks."""
    limits = [
        HubLimit("theatre_minutes", "weeks 1-26"),
        HubLimit("overnight_bed_days", "weeks 3-5"),
        HubLimit("cases:C_110", "week 2"),
    ]
    rows = _by_id(_cannock(), limits)
    assert rows["sessions_per_day"].binds == "theatre time full in weeks 1-26"
    assert rows["utilisation"].binds == "theatre time full in weeks 1-26"
    assert rows["operating_days"].binds == "theatre time full in weeks 1-26"
    assert rows["day_case_rate"].binds == "overnight beds full in weeks 3-5"
    assert rows["operating_weeks"].binds == ""
    # Not applicable at this hub, so it cannot bind its plan.
    assert rows["cataracts_per_list"].binds == ""
    rows = _by_id(_cannock(), [HubLimit("day_cases", "week 4")])
    assert rows["operating_days"].binds == "day-case places full in week 4"


@pytest.mark.parametrize(
    ("text", "message"),
    [("six", "not a whole number"), ("8", "outside 1 to 7"), ("0", "outside 1 to 7")],
)
def test_bad_operating_days_name_the_field_and_limits(text: str, message: str) -> None:
    with pytest.raises(HubFigureError, match=f"Operating days a week: .*{message}"):
        hs.parse_whole(text, "Operating days a week", hs.OPERATING_DAYS_RANGE)


def test_percentages_and_definitions_are_parsed_or_refused() -> None:
    assert hs.parse_percent("85%", "Day-case rate") == pytest.approx(0.85)
    assert hs.parse_percent(" 72.5 ", "Day-case rate") == pytest.approx(0.725)
    with pytest.raises(HubFigureError, match="outside 0% to 100%"):
        hs.parse_percent("120", "Day-case rate")
    with pytest.raises(HubFigureError, match="not a percentage"):
        hs.parse_percent("most", "Day-case rate")
    assert hs.parse_definition(" Uncapped ") is UtilisationDefinition.UNCAPPED
    with pytest.raises(HubFigureError, match="neither 'capped' nor 'uncapped'"):
        hs.parse_definition("touch-time")
