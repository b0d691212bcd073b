"""The starting capacity model's rules, on hand-built trusts (no database), and the MAR reader."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ics_capacity.domain.assumptions import (
    BED_OCCUPANCY_TARGET,
    CASE_MIX,
    DAY_CASES_PER_PLACE_PER_DAY,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
    SESSION_MINUTES,
    THEATRE_UTILISATION_CAP,
)
from ics_capacity.domain.starting_model import TrustActivity, estimate_main_site
from ics_capacity.importers.mar import read_mar
from ics_capacity.importers.problems import ImportValidationError


def _trust(**changes: object) -> TrustActivity:
    values: dict[str, object] = {
        "ods_code": "RXX",
        "name": "Test Hospitals NHS Trust",
        "postcode": "B1 1AA",
        "admitted_per_week": {"C_110": 20.0, "C_130": 40.0, "C_300": 99.0},
        "waiting_tfcs": frozenset({"C_110", "C_130", "C_100", "C_300"}),
        "rtt_period": "April 2026",
    }
    return TrustActivity(**(values | changes))  # type: ignore[arg-type]


def test_theatres_places_and_beds_follow_the_cited_rules() -> None:
    """Surgical cases x minutes / usable session minutes, day cases, bed-days: by hand."""
    site = estimate_main_site(_trust(), CASE_MIX)
    cap = site.capacity
    minutes = 20 * CASE_MIX["C_110"].minutes_per_case + 40 * CASE_MIX["C_130"].minutes_per_case
    sessions = minutes / (SESSION_MINUTES * THEATRE_UTILISATION_CAP)
    assert cap.theatres == math.ceil(sessions / MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK)
    day_cases = 20 * CASE_MIX["C_110"].day_case_rate + 40 * CASE_MIX["C_130"].day_case_rate
    per_place = DAY_CASES_PER_PLACE_PER_DAY * MAIN_SITE_OPERATING_DAYS_PER_WEEK
    assert cap.day_case_places == math.ceil(day_cases / per_place)
    bed_days = sum(
        n * (1 - CASE_MIX[t].day_case_rate) * CASE_MIX[t].length_of_stay_days
        for t, n in (("C_110", 20), ("C_130", 40))
    )
    assert cap.elective_overnight_beds == math.ceil(bed_days / 7 / BED_OCCUPANCY_TARGET)
    # C_300 (medicine) has no case mix: neither sized nor taken; C_100 is waiting, so taken.
    assert cap.treatment_functions == ("C_100", "C_110", "C_130")
    assert site.provenance[("site", "postcode")].kind == "published"
    assert site.provenance[("theatre_capacity", "theatres")].kind == "estimated"


def test_beds_are_capped_by_kh03_and_an_idle_trust_gets_nothing() -> None:
    """Beds never exceed the trust's G&A beds; no admitted activity means no theatres or places."""
    capped = estimate_main_site(_trust(ga_beds=2.4, kh03_period="2024-25 Q4"), CASE_MIX)
    assert capped.capacity.elective_overnight_beds == 2
    assert (
        "capped at the trust's 2 G&A beds"
        in capped.provenance[("bed_capacity", "elective_overnight_beds")].rule
    )
    idle = estimate_main_site(_trust(admitted_per_week={}), CASE_MIX)
    assert (idle.capacity.theatres, idle.capacity.day_case_places) == (0, 0)
    assert idle.capacity.elective_overnight_beds == 0


def test_mar_is_read_with_suppressed_counts_as_unknown(tmp_path: Path, nhs_dir: Path) -> None:
    """The shared MAR reads per trust; '*' is unknown, and a missing trust is a named problem."""
    mar = read_mar(nhs_dir / "mar_2026-02_QUA_QHL_trusts_subset.csv", providers=["RRK"])
    row = mar.iloc[0]
    assert (row["ordinary"], row["day_case"], row["days"]) == (1855, 11915, 28)
    header = (nhs_dir / "mar_2026-02_QUA_QHL_trusts_subset.csv").read_text().splitlines()[0]
    cells = ["2025-26", "11", "Feb 2026", "Provider", "RZZ", "X", "Y60", "M"] + ["*"] * 20
    edited = tmp_path / "mar.csv"
    edited.write_text(header + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    suppressed = read_mar(edited, providers=["RZZ"]).iloc[0]
    assert math.isnan(suppressed["ordinary"])
    with pytest.raises(ImportValidationError, match="'RAA' is not in this file"):
        read_mar(edited, providers=["RAA"])
