"""Named planning assumptions for the Black Country demo, each with its public source.

Waiting lists, G&A beds and workforce come from NHS data files (see ``docs/assumptions.md``).
Everything else needed to turn those into capacity (theatres, sessions, minutes per case,
length of stay, day-case rates, occupancy and utilisation targets) is an assumption and is
kept here, as pure data, so that planners can see and challenge every number. Each record
carries a ``source`` string naming the public page it came from (with URL) or saying
plainly that the value is an assumption and why it is reasonable.

This module holds the collaborative and the case mix per treatment function; the other topics
have a module each, and every name is importable from here:
- ``global_assumptions``: the global constants (session minutes, utilisation and occupancy
  targets, weeks) and the sources several tables quote;
- ``site_assumptions``: the demo's hospital sites (``DEMO_SITES``);
- ``rebalance_assumptions``: travel, day-case turnover and independent-sector capacity.

``docs/assumptions.md`` lists exactly these values; ``tests/unit/test_assumptions.py``
keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.domain.codes import SURGICAL_TREATMENT_FUNCTIONS as SURGICAL_CODES
from ics_capacity.domain.global_assumptions import (
    BED_OCCUPANCY_TARGET,
    BED_OCCUPANCY_TARGET_SOURCE,
    CSJ_HVLC,
    DAY_CASE_RATE_EXPECTATION,
    DAY_CASE_RATE_EXPECTATION_SOURCE,
    HUB_SESSIONS_PER_THEATRE_PER_WEEK,
    HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
    MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
    MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
    OPERATING_WEEKS_PER_YEAR,
    OPERATING_WEEKS_PER_YEAR_SOURCE,
    RTT_FILE,
    SESSION_MINUTES,
    SESSION_MINUTES_SOURCE,
    THEATRE_UTILISATION_CAP,
    THEATRE_UTILISATION_CAP_SOURCE,
    WEEKS_PER_MONTH,
    WEEKS_PER_MONTH_SOURCE,
)
from ics_capacity.domain.rebalance_assumptions import (
    CLINIC_CAPACITY_FACTOR,
    CLINIC_CAPACITY_FACTOR_SOURCE,
    DAY_CASES_PER_PLACE_PER_DAY,
    DAY_CASES_PER_PLACE_PER_DAY_SOURCE,
    HUB_OPERATING_DAYS_PER_WEEK,
    HUB_OPERATING_DAYS_PER_WEEK_SOURCE,
    INDEPENDENT_SECTOR_HEADROOM,
    INDEPENDENT_SECTOR_HEADROOM_SOURCE,
    INDEPENDENT_SITES,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK_SOURCE,
    MAX_CLINIC_CAPACITY_FACTOR,
    MAX_TRAVEL_MINUTES,
    MAX_TRAVEL_MINUTES_SOURCE,
    ROAD_FACTOR,
    ROAD_FACTOR_SOURCE,
    ROAD_SPEED_KM_PER_HOUR,
    ROAD_SPEED_KM_PER_HOUR_SOURCE,
    IndependentSiteAssumption,
)
from ics_capacity.domain.site_assumptions import (
    DEMO_SITES,
    SiteAssumption,
)

__all__ = [
    "BED_OCCUPANCY_TARGET",
    "BED_OCCUPANCY_TARGET_SOURCE",
    "CASE_MIX",
    "CaseMixAssumption",
    "CollaborativeAssumption",
    "DAY_CASES_PER_PLACE_PER_DAY",
    "DAY_CASES_PER_PLACE_PER_DAY_SOURCE",
    "DAY_CASE_RATE_EXPECTATION",
    "DAY_CASE_RATE_EXPECTATION_SOURCE",
    "DEMO_COLLABORATIVE",
    "DEMO_SITES",
    "HUB_OPERATING_DAYS_PER_WEEK",
    "HUB_OPERATING_DAYS_PER_WEEK_SOURCE",
    "HUB_SESSIONS_PER_THEATRE_PER_WEEK",
    "HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE",
    "CLINIC_CAPACITY_FACTOR",
    "CLINIC_CAPACITY_FACTOR_SOURCE",
    "INDEPENDENT_SECTOR_HEADROOM",
    "MAX_CLINIC_CAPACITY_FACTOR",
    "INDEPENDENT_SECTOR_HEADROOM_SOURCE",
    "INDEPENDENT_SITES",
    "IndependentSiteAssumption",
    "MAIN_SITE_OPERATING_DAYS_PER_WEEK",
    "MAIN_SITE_OPERATING_DAYS_PER_WEEK_SOURCE",
    "MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK",
    "MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE",
    "MAX_TRAVEL_MINUTES",
    "MAX_TRAVEL_MINUTES_SOURCE",
    "OPERATING_WEEKS_PER_YEAR",
    "OPERATING_WEEKS_PER_YEAR_SOURCE",
    "ROAD_FACTOR",
    "ROAD_FACTOR_SOURCE",
    "ROAD_SPEED_KM_PER_HOUR",
    "ROAD_SPEED_KM_PER_HOUR_SOURCE",
    "SESSION_MINUTES",
    "SESSION_MINUTES_SOURCE",
    "SURGICAL_TREATMENT_FUNCTIONS",
    "SiteAssumption",
    "THEATRE_UTILISATION_CAP",
    "THEATRE_UTILISATION_CAP_SOURCE",
    "WEEKS_PER_MONTH",
    "WEEKS_PER_MONTH_SOURCE",
]

_CASE_MIX_NOTE = (
    "ASSUMPTION: no published per-treatment-function figure was found from this machine. "
)


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CollaborativeAssumption:
    """The provider collaborative the demo models.

    Attributes:
        code: Short code used by the app.
        name: Published name of the collaborative.
        icb: ODS code of the integrated care board the trusts sit in.
        member_trusts: ODS codes of the member acute trusts.
        source: Where the membership is published.
    """

    code: str
    name: str
    icb: str
    member_trusts: tuple[str, ...]
    source: str

    def __getitem__(self, key: str) -> object:
        """Return a field by name, so the record can be read like a dict.

        Args:
            key: Field name, e.g. ``"code"`` or ``"member_trusts"``.

        Returns:
            The field's value.

        Raises:
            KeyError: If ``key`` is not a field of the record.
        """
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)


@dataclass(frozen=True)
class CaseMixAssumption:
    """Theatre time, stay and day-case share for one RTT treatment function.

    Attributes:
        tfc: RTT treatment function code, e.g. ``"C_110"``.
        minutes_per_case: Average in-theatre minutes per case (anaesthetic start to
            leaving theatre, the time counted by capped utilisation).
        length_of_stay_days: Mean length of stay in days of the patients who stay
            overnight (ordinary elective admissions); day cases use no overnight bed.
        day_case_rate: Share of admitted elective patients treated as day cases, 0..1.
        source: Public source, or a plain statement that this is an assumption and why.
    """

    tfc: str
    minutes_per_case: int
    length_of_stay_days: float
    day_case_rate: float
    source: str


# --------------------------------------------------------------------------------------
# The collaborative
# --------------------------------------------------------------------------------------
DEMO_COLLABORATIVE = CollaborativeAssumption(
    code="BCPC",
    name="Black Country Provider Collaborative",
    icb="QUA",
    member_trusts=("RBK", "RL4", "RNA", "RXK"),
    source=(
        "BCPC: https://blackcountryprovidercollaborative.nhs.uk/about-us/"
        "the-black-country-provider-collaborative/ (four acute providers); trust and ICB codes "
        "from the ODS etr 2026 file (shared/data/nhs/etr_2026.csv)"
    ),
)


# --------------------------------------------------------------------------------------
# Case mix per surgical treatment function in the RTT extract
# --------------------------------------------------------------------------------------
SURGICAL_TREATMENT_FUNCTIONS: dict[str, str] = {
    code: SHORT_NAMES[code] for code in sorted(SURGICAL_CODES)
}
"""The surgical treatment functions of the RTT extract, code to short name."""

CASE_MIX: dict[str, CaseMixAssumption] = {
    c.tfc: c
    for c in (
        CaseMixAssumption(
            tfc="C_100",
            minutes_per_case=75,
            length_of_stay_days=3.0,
            day_case_rate=0.80,
            source=_CASE_MIX_NOTE
            + "Elective general surgery is dominated by hernia repair and laparoscopic "
            "cholecystectomy (about an hour each in theatre) with some longer colorectal cases; "
            "day-case rate set a little below the 85% GIRFT expectation because of those "
            f"colorectal inpatients ({CSJ_HVLC}).",
        ),
        CaseMixAssumption(
            tfc="C_101",
            minutes_per_case=50,
            length_of_stay_days=2.0,
            day_case_rate=0.75,
            source=_CASE_MIX_NOTE
            + "Mostly cystoscopy, TURBT and stone work (short cases), with TURP and "
            "nephrectomy staying 1-3 nights; day-case rate below the 85% expectation "
            f"({CSJ_HVLC}).",
        ),
        CaseMixAssumption(
            tfc="C_110",
            minutes_per_case=100,
            length_of_stay_days=3.0,
            day_case_rate=0.70,
            source=_CASE_MIX_NOTE
            + "Hip and knee replacements (about 90-120 min) mixed with arthroscopy, hand and "
            "foot day cases (about 45 min). Stay: mean 4 days after arthroplasty in a "
            "high-volume unit in 2017-18 (Bone & Joint Open 2020, https://online.boneandjoint."
            "org.uk/Article/10.1302/2633-1462.18.BJO-2020-0047.R1), falling since (GIRFT "
            "orthopaedics follow-up, Feb 2020: https://www.gettingitrightfirsttime.co.uk/"
            "orthopaedics-follow-up/girft-orthopaedics-follow-up-report-february-2020/); "
            "Cannock patients report one night after partial knee replacement (RWT, 6 May 2025: "
            "https://royalwolverhampton.nhs.uk/news/2025/may/first-anniversary-for-specialist-"
            "programme.html).",
        ),
        CaseMixAssumption(
            tfc="C_120",
            minutes_per_case=60,
            length_of_stay_days=1.5,
            day_case_rate=0.80,
            source=_CASE_MIX_NOTE
            + "Tonsillectomy, septoplasty, sinus and ear surgery, mostly under an hour and "
            "mostly same-day; a minority stay one or two nights.",
        ),
        CaseMixAssumption(
            tfc="C_130",
            minutes_per_case=30,
            length_of_stay_days=1.0,
            day_case_rate=0.98,
            source="Derived: GIRFT HVLC productivity standard of 10 cataracts per half-day "
            f"list ({CSJ_HVLC}) gives 24 min per case; ASSUMPTION raises it to 30 min for the "
            "non-cataract mix (vitreoretinal, glaucoma, oculoplastics). Almost all eye surgery "
            "is day case; the rare overnight stay is one night.",
        ),
        CaseMixAssumption(
            tfc="C_140",
            minutes_per_case=45,
            length_of_stay_days=1.0,
            day_case_rate=0.90,
            source=_CASE_MIX_NOTE
            + "Dento-alveolar surgery (e.g. wisdom teeth) under general anaesthetic is short "
            "and same-day; a few patients stay one night.",
        ),
        CaseMixAssumption(
            tfc="C_150",
            minutes_per_case=180,
            length_of_stay_days=5.0,
            day_case_rate=0.20,
            source=_CASE_MIX_NOTE
            + "Spinal and cranial surgery are long cases with multi-night stays. No Black "
            f"Country trust has a neurosurgery waiting list in the {RTT_FILE}, so this row "
            "only matters if a site is given C_150.",
        ),
        CaseMixAssumption(
            tfc="C_160",
            minutes_per_case=60,
            length_of_stay_days=2.0,
            day_case_rate=0.85,
            source=_CASE_MIX_NOTE
            + "Skin lesions and hand surgery are short day cases; reconstructive cases are "
            "long with 2-5 night stays. Day-case rate at the 85% GIRFT expectation "
            f"({CSJ_HVLC}).",
        ),
        CaseMixAssumption(
            tfc="C_170",
            minutes_per_case=240,
            length_of_stay_days=7.0,
            day_case_rate=0.05,
            source=_CASE_MIX_NOTE
            + "Cardiac and thoracic operations fill a whole session and stay about a week. "
            f"Only 13 Black Country patients wait under C_170 in the {RTT_FILE}.",
        ),
        CaseMixAssumption(
            tfc="C_502",
            minutes_per_case=60,
            length_of_stay_days=2.0,
            day_case_rate=0.80,
            source=_CASE_MIX_NOTE
            + "Hysteroscopy and laparoscopy (short, same-day) mixed with hysterectomy "
            "(1-2 nights).",
        ),
        CaseMixAssumption(
            tfc="X05",
            minutes_per_case=60,
            length_of_stay_days=2.0,
            day_case_rate=0.80,
            source=_CASE_MIX_NOTE
            + "'Other surgical' pools smaller specialties (e.g. breast, vascular, paediatric "
            "surgery); values set to the middle of the named specialties above.",
        ),
    )
}
"""Case-mix assumptions keyed by treatment function code."""
