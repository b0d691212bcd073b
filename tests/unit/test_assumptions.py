"""Keep ics_capacity/domain/assumptions.py and docs/assumptions.md in step, and sane."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest

from ics_capacity.domain import assumptions as a

DOC = Path(__file__).resolve().parents[2] / "docs" / "assumptions.md"

# West Midlands region (including Staffordshire), generous box in WGS84 degrees.
WM_LAT = (51.9, 53.3)
WM_LON = (-3.3, -1.1)

URL_RE = re.compile(r"https?://[^\s)\];,]+")


def _doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def _tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Return every pipe table in the markdown as (header cells, body rows)."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line.strip())
            continue
        if len(block) >= 2 and set(block[1].replace("|", "").strip()) <= set("-: "):
            rows = [[c.strip() for c in row.strip("|").split("|")] for row in block]
            tables.append((rows[0], rows[2:]))
        block = []
    return tables


def _table_with(text: str, *headers: str) -> list[dict[str, str]]:
    """Return the rows, as dicts, of the one table whose header has all the given cells."""
    found = [(head, body) for head, body in _tables(text) if all(h in head for h in headers)]
    assert len(found) == 1, f"expected one table with columns {headers}, found {len(found)}"
    head, body = found[0]
    return [dict(zip(head, row, strict=True)) for row in body]


def _number(cell: str) -> float:
    cell = cell.replace("`", "").strip()
    return float(Fraction(cell)) if "/" in cell else float(cell)


def _strip_code(cell: str) -> str:
    return cell.replace("`", "").strip()


def _all_sources() -> list[str]:
    sources = [
        a.SESSION_MINUTES_SOURCE,
        a.THEATRE_UTILISATION_CAP_SOURCE,
        a.BED_OCCUPANCY_TARGET_SOURCE,
        a.DAY_CASE_RATE_EXPECTATION_SOURCE,
        a.OPERATING_WEEKS_PER_YEAR_SOURCE,
        a.WEEKS_PER_MONTH_SOURCE,
        a.HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
        a.MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
        a.DEMO_COLLABORATIVE.source,
    ]
    sources += [c.source for c in a.CASE_MIX.values()]
    sources += [s.source for s in a.DEMO_SITES]
    return sources


GLOBALS = {
    "SESSION_MINUTES": a.SESSION_MINUTES,
    "THEATRE_UTILISATION_CAP": a.THEATRE_UTILISATION_CAP,
    "BED_OCCUPANCY_TARGET": a.BED_OCCUPANCY_TARGET,
    "DAY_CASE_RATE_EXPECTATION": a.DAY_CASE_RATE_EXPECTATION,
    "OPERATING_WEEKS_PER_YEAR": a.OPERATING_WEEKS_PER_YEAR,
    "WEEKS_PER_MONTH": a.WEEKS_PER_MONTH,
    "HUB_SESSIONS_PER_THEATRE_PER_WEEK": a.HUB_SESSIONS_PER_THEATRE_PER_WEEK,
    "MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK": a.MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
}


def test_global_constants_match_doc_table() -> None:
    """Every global constant appears in the doc's constants table with the same value."""
    rows = {_strip_code(r["Constant"]): r for r in _table_with(_doc_text(), "Constant", "Value")}
    assert set(rows) == set(GLOBALS)
    for name, value in GLOBALS.items():
        assert math.isclose(_number(rows[name]["Value"]), value), name
        assert rows[name]["Source"].strip(), name


def test_brief_values_of_global_constants() -> None:
    """The nationally published constants have the values the NHS sources give."""
    assert a.SESSION_MINUTES == 240
    assert a.THEATRE_UTILISATION_CAP == pytest.approx(0.85)
    assert a.BED_OCCUPANCY_TARGET == pytest.approx(0.92)
    assert a.WEEKS_PER_MONTH == pytest.approx(52 / 12)


def test_collaborative_matches_doc_table() -> None:
    """The demo collaborative's fields appear in the doc with the same values."""
    rows = {r["Field"]: r["Value"] for r in _table_with(_doc_text(), "Field", "Value")}
    c = a.DEMO_COLLABORATIVE
    assert rows["code"] == c.code == "BCPC"
    assert rows["name"] == c.name == "Black Country Provider Collaborative"
    assert rows["icb"] == c.icb == "QUA"
    assert tuple(x.strip() for x in rows["member_trusts"].split(",")) == c.member_trusts
    assert c.member_trusts == ("RBK", "RL4", "RNA", "RXK")
    assert c["code"] == "BCPC"


def test_collaborative_rejects_unknown_key() -> None:
    """Reading an unknown key from the collaborative raises KeyError like a dict."""
    with pytest.raises(KeyError):
        a.DEMO_COLLABORATIVE["nope"]


def test_case_mix_covers_every_surgical_treatment_function() -> None:
    """There is one case-mix record for each surgical treatment function of the RTT extract."""
    expected = {
        "C_100",
        "C_101",
        "C_110",
        "C_120",
        "C_130",
        "C_140",
        "C_150",
        "C_160",
        "C_170",
        "C_502",
        "X05",
    }
    assert set(a.CASE_MIX) == expected == set(a.SURGICAL_TREATMENT_FUNCTIONS)
    assert all(key == rec.tfc for key, rec in a.CASE_MIX.items())


def test_case_mix_rows_match_doc_table() -> None:
    """Each treatment function's row in the doc has the same numbers as assumptions.py."""
    rows = {r["TFC"]: r for r in _table_with(_doc_text(), "TFC", "Minutes per case")}
    assert set(rows) == set(a.CASE_MIX)
    for tfc, rec in a.CASE_MIX.items():
        row = rows[tfc]
        assert int(row["Minutes per case"]) == rec.minutes_per_case, tfc
        assert math.isclose(_number(row["Length of stay (days)"]), rec.length_of_stay_days), tfc
        assert math.isclose(_number(row["Day-case rate"]), rec.day_case_rate), tfc
        assert row["Treatment function"] == a.SURGICAL_TREATMENT_FUNCTIONS[tfc], tfc


def test_case_mix_values_are_plausible() -> None:
    """Minutes and stays are positive and no case is longer than a whole day's operating."""
    for rec in a.CASE_MIX.values():
        assert 0 < rec.minutes_per_case <= 2.5 * a.SESSION_MINUTES, rec.tfc
        assert rec.length_of_stay_days >= 1.0, rec.tfc


def test_site_rows_match_doc_table() -> None:
    """Each site's row in the doc has the same values as assumptions.py."""
    rows = {r["Code"]: r for r in _table_with(_doc_text(), "Code", "Theatres", "Postcode")}
    assert set(rows) == {s.code for s in a.DEMO_SITES}
    ints = {
        "Theatres": "theatres",
        "Sessions per theatre per week": "sessions_per_week",
        "Session minutes": "session_minutes",
        "Elective overnight beds": "elective_overnight_beds",
        "Day-case places": "day_case_places",
    }
    floats = {
        "Latitude": "latitude",
        "Longitude": "longitude",
        "Utilisation target": "utilisation_target",
        "Bed occupancy target": "bed_occupancy_target",
        "Theatre minutes per week": "theatre_minutes_per_week",
    }
    for site in a.DEMO_SITES:
        row = rows[site.code]
        assert row["Site"] == site.name
        assert row["Operator"] == site.operator_ods_code
        assert row["Elective hub"] == ("yes" if site.is_elective_hub else "no")
        assert row["Postcode"] == site.postcode
        tfcs = tuple(x.strip() for x in row["Treatment functions"].split(","))
        assert tfcs == site.treatment_functions, site.code
        for col, attr in ints.items():
            assert int(row[col]) == getattr(site, attr), (site.code, col)
        for col, attr in floats.items():
            assert math.isclose(_number(row[col]), getattr(site, attr)), (site.code, col)


def test_site_codes_are_unique_and_hubs_come_first() -> None:
    """Site codes are unique and the elective hubs are listed before the main sites."""
    codes = [s.code for s in a.DEMO_SITES]
    assert len(codes) == len(set(codes))
    hubs = [s.is_elective_hub for s in a.DEMO_SITES]
    assert hubs == sorted(hubs, reverse=True)
    assert sum(hubs) == 2


def test_every_member_trust_has_a_main_site() -> None:
    """Each member trust runs exactly one non-hub main acute site, and only members run sites."""
    operators = [s.operator_ods_code for s in a.DEMO_SITES if not s.is_elective_hub]
    assert sorted(operators) == sorted(a.DEMO_COLLABORATIVE.member_trusts)
    members = set(a.DEMO_COLLABORATIVE.member_trusts)
    assert all(s.operator_ods_code in members for s in a.DEMO_SITES)


def test_all_sources_are_non_empty() -> None:
    """Every record and constant names a source."""
    for source in _all_sources():
        assert isinstance(source, str)
        assert len(source.strip()) > 20


def test_every_source_url_is_cited_in_doc() -> None:
    """Every URL quoted in a source string is also cited in the doc."""
    doc = _doc_text()
    for source in _all_sources():
        for url in URL_RE.findall(source):
            assert url.rstrip(".") in doc, url


def test_rates_are_fractions() -> None:
    """Every rate, target and cap lies in [0, 1]."""
    rates = [
        a.THEATRE_UTILISATION_CAP,
        a.BED_OCCUPANCY_TARGET,
        a.DAY_CASE_RATE_EXPECTATION,
    ]
    rates += [c.day_case_rate for c in a.CASE_MIX.values()]
    for s in a.DEMO_SITES:
        rates += [s.utilisation_target, s.bed_occupancy_target]
    assert all(0.0 <= r <= 1.0 for r in rates)


def test_coordinates_are_in_the_west_midlands() -> None:
    """Every site lies inside a West Midlands bounding box."""
    for s in a.DEMO_SITES:
        assert WM_LAT[0] <= s.latitude <= WM_LAT[1], s.code
        assert WM_LON[0] <= s.longitude <= WM_LON[1], s.code


def test_site_treatment_functions_are_surgical() -> None:
    """Every site, hubs included, treats only surgical treatment functions with a case mix."""
    for s in a.DEMO_SITES:
        assert s.treatment_functions, s.code
        assert len(set(s.treatment_functions)) == len(s.treatment_functions), s.code
        assert set(s.treatment_functions) <= set(a.CASE_MIX), s.code


def test_orthopaedics_is_treated_at_both_hubs() -> None:
    """Trauma and orthopaedics (C_110) is a treatment function of every elective hub."""
    hubs = [s for s in a.DEMO_SITES if s.is_elective_hub]
    assert len(hubs) == 2
    assert all("C_110" in s.treatment_functions for s in hubs)


def test_site_capacity_numbers_are_positive() -> None:
    """Theatres, sessions, minutes, beds and places are positive at every site."""
    for s in a.DEMO_SITES:
        assert s.theatres > 0 and s.sessions_per_week > 0, s.code
        assert s.session_minutes == a.SESSION_MINUTES, s.code
        assert s.elective_overnight_beds > 0 and s.day_case_places > 0, s.code
        assert s.sessions_per_week <= 7 * 3, s.code


def test_theatre_minutes_per_week_formula() -> None:
    """Weekly theatre minutes are theatres x sessions x session minutes x utilisation."""
    cannock = next(s for s in a.DEMO_SITES if s.code == "CANNOCK")
    assert cannock.theatre_minutes_per_week == pytest.approx(10 * 15 * 240 * 0.85)


def test_records_are_frozen() -> None:
    """The assumption records cannot be changed after creation."""
    site = a.DEMO_SITES[0]
    with pytest.raises(AttributeError):
        site.theatres = 99  # type: ignore[misc]
