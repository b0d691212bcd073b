"""Named planning assumptions for the Black Country demo, each with its public source.

Waiting lists, G&A beds and workforce come from NHS data files (see ``docs/assumptions.md``).
Everything else needed to turn those into capacity (theatres, sessions, minutes per case,
length of stay, day-case rates, occupancy and utilisation targets) is an assumption and is
kept here, as pure data, so that planners can see and challenge every number. Each record
carries a ``source`` string naming the public page it came from (with URL) or saying
plainly that the value is an assumption and why it is reasonable.

``docs/assumptions.md`` lists exactly these values; ``tests/unit/test_assumptions.py``
keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.domain.codes import SURGICAL_TREATMENT_FUNCTIONS as SURGICAL_CODES

# --------------------------------------------------------------------------------------
# Sources quoted more than once (full titles and dates are in docs/assumptions.md).
# --------------------------------------------------------------------------------------
_BCPC_NORTH_HUB = (
    "https://blackcountryprovidercollaborative.nhs.uk/performance/system-development-report/"
    "north-hub-orthopaedic-elective-cold-site-at-cannock-chase-hospital/"
)
_BCPC_SANDWELL_SURVEY = "https://www.walsallhealthcare.nhs.uk/news/2025/06/18/31476"
_SWB_SANDWELL_CAMPUS = "https://swbh.nhs.uk/news/services-to-remain-on-city-and-sandwell-sites"
_NHSP_HUB_PRINCIPLES = (
    "https://nhsproviders.org/provider-collaboratives-building-capacity-elective-hubs/elective-hubs"
)
_HFMA_PLANNING_2324 = "https://hfma.org.uk/news/news-list/Article/2023-24-planning-guidance"
_NHSE_PLANNING_2324 = (
    "https://www.england.nhs.uk/publication/2023-24-priorities-and-operational-planning-guidance/"
)
_CSJ_HVLC = "https://content.yudu.com/web/1u0jl/0A1up6l/CSJ-January-2022/html/22.html"
_RTT_FILE = "NHS England RTT Full CSV extract April 2026 (shared/data/nhs)"
_CASE_MIX_NOTE = (
    "ASSUMPTION: no published per-treatment-function figure was found from this machine. "
)


# --------------------------------------------------------------------------------------
# Global constants
# --------------------------------------------------------------------------------------
SESSION_MINUTES: int = 240
"""Length of one theatre session (a half-day list) in minutes."""

SESSION_MINUTES_SOURCE = (
    "GIRFT elective hub principle of '2.5 session days' (i.e. 4-hour sessions in a 10-hour "
    f"day), quoted by NHS Providers: {_NHSP_HUB_PRINCIPLES}; a half-day list is scheduled as "
    "4 hours, e.g. Royal Surrey FOI 4430: https://www.royalsurrey.nhs.uk/foi-4430-operating-lists/"
)

THEATRE_UTILISATION_CAP: float = 0.85
"""Share of session time that can be used for cases (NHS 'capped theatre utilisation')."""

THEATRE_UTILISATION_CAP_SOURCE = (
    "GIRFT hub principle of 85% theatre utilisation, quoted by NHS Providers: "
    f"{_NHSP_HUB_PRINCIPLES}; NHS England's 2023/24 priorities and operational planning "
    f"guidance asks systems to increase theatre utilisation: {_NHSE_PLANNING_2324}; the "
    "capped measure is explained by Zhang, Dunstan & Pandit, 'A tutorial on capped "
    "utilisation as a metric and key performance target in NHS England's Model Hospital "
    "operating theatres database', Anesthesiology and Perioperative Science 2(4), Springer "
    "Nature, 16 Oct 2024"
)


BED_OCCUPANCY_TARGET: float = 0.92
"""Maximum planned general and acute bed occupancy."""

BED_OCCUPANCY_TARGET_SOURCE = (
    "NHS England 2023/24 priorities and operational planning guidance: adult G&A bed occupancy "
    f"no more than 92% (HFMA summary, 5 Jan 2023: {_HFMA_PLANNING_2324}); first set in the "
    "2020/21 planning guidance (HSJ: https://www.hsj.co.uk/policy-and-regulation/"
    "trusts-told-to-maintain-peak-beds-throughout-whole-year/7026832.article)"
)

DAY_CASE_RATE_EXPECTATION: float = 0.85
"""Business-as-usual expectation for the share of elective surgery done as day cases."""

DAY_CASE_RATE_EXPECTATION_SOURCE = (
    "GIRFT High Volume Low Complexity guide for systems (May 2021): 'BAU expectation of day "
    f"case rates at 85%', reproduced in Clinical Services Journal, Jan 2022: {_CSJ_HVLC}"
)

OPERATING_WEEKS_PER_YEAR: int = 48
"""Weeks per year an elective hub is expected to operate."""

OPERATING_WEEKS_PER_YEAR_SOURCE = (
    f"GIRFT hub principle of 48 operating weeks a year, quoted by NHS Providers: "
    f"{_NHSP_HUB_PRINCIPLES} (the Cannock North Hub case plans 50 weeks: {_BCPC_NORTH_HUB})"
)

WEEKS_PER_MONTH: float = 52 / 12
"""Average calendar weeks in a month, to turn weekly capacity into monthly capacity."""

WEEKS_PER_MONTH_SOURCE = "Arithmetic: 52 weeks / 12 months (calendar definition, not an estimate)"

HUB_SESSIONS_PER_THEATRE_PER_WEEK: int = 15
"""Sessions per theatre per week at an elective hub (6 days x 2.5 sessions)."""

HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE = (
    "GIRFT hub principles of six-day operating and 2.5 session days (6 x 2.5 = 15), quoted by "
    f"NHS Providers: {_NHSP_HUB_PRINCIPLES}; the Cannock North Hub plans 'a minimum of six days "
    f"a week': {_BCPC_NORTH_HUB}"
)

MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK: int = 10
"""Elective sessions per theatre per week at a main acute site (5 weekdays x 2 sessions)."""

MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE = (
    "ASSUMPTION: a weekday-only elective timetable of two 4-hour sessions a day (5 x 2 = 10), "
    "the usual pattern on acute sites where weekends are kept for emergency and trauma lists; "
    "no Black Country timetable was found from this machine"
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


@dataclass(frozen=True)
class SiteAssumption:
    """Elective capacity of one hospital site.

    Attributes:
        code: Short stable site code used by the app (not an ODS site code).
        name: Hospital name.
        operator_ods_code: ODS code of the trust that runs the site.
        is_elective_hub: True for a site ring-fenced for planned surgery.
        postcode: Site postcode.
        latitude: WGS84 latitude in degrees.
        longitude: WGS84 longitude in degrees.
        treatment_functions: RTT treatment function codes operated on at the site.
        theatres: Theatres available for elective work.
        sessions_per_week: Elective sessions per theatre per week.
        session_minutes: Minutes in one session.
        utilisation_target: Share of session time usable for cases, 0..1.
        elective_overnight_beds: Beds for elective patients who stay overnight.
        day_case_places: Day-case trolleys or chairs.
        bed_occupancy_target: Maximum planned occupancy of the overnight beds, 0..1.
        source: Public sources for each number, or the reason it is an assumption.
    """

    code: str
    name: str
    operator_ods_code: str
    is_elective_hub: bool
    postcode: str
    latitude: float
    longitude: float
    treatment_functions: tuple[str, ...]
    theatres: int
    sessions_per_week: int
    session_minutes: int
    utilisation_target: float
    elective_overnight_beds: int
    day_case_places: int
    bed_occupancy_target: float
    source: str

    @property
    def theatre_minutes_per_week(self) -> float:
        """Usable elective theatre minutes per week.

        Returns:
            theatres x sessions per week x session minutes x utilisation target.
        """
        return (
            self.theatres * self.sessions_per_week * self.session_minutes * self.utilisation_target
        )


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
            f"colorectal inpatients ({_CSJ_HVLC}).",
        ),
        CaseMixAssumption(
            tfc="C_101",
            minutes_per_case=50,
            length_of_stay_days=2.0,
            day_case_rate=0.75,
            source=_CASE_MIX_NOTE
            + "Mostly cystoscopy, TURBT and stone work (short cases), with TURP and "
            "nephrectomy staying 1-3 nights; day-case rate below the 85% expectation "
            f"({_CSJ_HVLC}).",
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
            f"list ({_CSJ_HVLC}) gives 24 min per case; ASSUMPTION raises it to 30 min for the "
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
            f"Country trust has a neurosurgery waiting list in the {_RTT_FILE}, so this row "
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
            f"({_CSJ_HVLC}).",
        ),
        CaseMixAssumption(
            tfc="C_170",
            minutes_per_case=240,
            length_of_stay_days=7.0,
            day_case_rate=0.05,
            source=_CASE_MIX_NOTE
            + "Cardiac and thoracic operations fill a whole session and stay about a week. "
            f"Only 13 Black Country patients wait under C_170 in the {_RTT_FILE}.",
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


# --------------------------------------------------------------------------------------
# Sites: the two elective hubs, then each trust's main acute site
# --------------------------------------------------------------------------------------
_WIKI_COORDS = (
    "coordinates from the hospital's English Wikipedia infobox ({}, read from a stored copy); not "
    "geocoded from the ONS Postcode Directory or postcodes.io on this machine"
)
_UNVERIFIED_COORDS = (
    "coordinates are approximate, from general knowledge of the site's location, not verified "
    "online from this machine; re-derive from the ONS Postcode Directory or postcodes.io"
)
_MAIN_SITE_TFCS = (
    f"treatment functions = surgical functions with a non-zero waiting list (Part_2) for the "
    f"trust in the {_RTT_FILE}"
)
_TARGETS = (
    "utilisation target = THEATRE_UTILISATION_CAP; bed occupancy target = BED_OCCUPANCY_TARGET"
)

DEMO_SITES: tuple[SiteAssumption, ...] = (
    SiteAssumption(
        code="CANNOCK",
        name="Cannock Chase Hospital",
        operator_ods_code="RL4",
        is_elective_hub=True,
        postcode="WS11 5XY",
        latitude=52.6926,
        longitude=-2.0303,
        treatment_functions=("C_110", "C_100", "C_101", "C_160", "X05"),
        theatres=10,
        sessions_per_week=HUB_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=56,
        day_case_places=24,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            f"Hub: BCPC 'North Hub' orthopaedic elective cold site, TIF award early 2022, "
            f"{_BCPC_NORTH_HUB}. Theatres: 7 after the 2014-15 rebuild (Express & Star, 18 Sep "
            "2014, http://www.expressandstar.com/news/2014/09/18/work-under-way-at-cannock-"
            "hospital-to-cater-for-increased-numbers/; RWT, 6 Feb 2015, https://www."
            "royalwolverhampton.nhs.uk/media/press-release-archive/press-releases-2015/"
            "investment-will-end-misery-of-cancelled-operations/) plus the 3 North Hub "
            "theatres (ASSUMPTION that they are open; not verified). Functions: orthopaedics "
            "(North Hub) plus general surgery, urology, breast (X05) and plastics moved from "
            "New Cross (Wolverhampton consultation, 2014, https://wolverhampton.gov.uk/news/"
            "six-more-weeks-have-say-over-hospital-plans). Postcode: CQC, https://www.cqc.org."
            "uk/location/RJD13/reports. Beds and day-case places: ASSUMPTION of two 28-bed "
            "elective wards (two new wards were built in 2014-15) and a 24-place day unit; "
            "no published count found. "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/Cannock_Chase_Hospital")
            + ". "
            + _TARGETS
        ),
    ),
    SiteAssumption(
        code="SANDWELL",
        name="Sandwell Health Campus",
        operator_ods_code="RXK",
        is_elective_hub=True,
        postcode="B71 4HJ",
        latitude=52.5289,
        longitude=-1.9939,
        treatment_functions=("C_110", "C_100", "C_502", "C_160"),
        theatres=4,
        sessions_per_week=HUB_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=16,
        day_case_places=24,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            "Hub: BCPC proposal (survey launched 17 Jun 2025) for a surgical hub at Sandwell "
            "Health Campus where Dudley and Sandwell & West Birmingham pool routine general "
            f"surgery, orthopaedics and gynaecology, {_BCPC_SANDWELL_SURVEY}; the demo treats "
            "it as open (ASSUMPTION, status not verified). The campus (former Sandwell General "
            "Hospital) kept day case and short stay surgery when Midland Met opened, SWB, 24 "
            f"Sep 2024, {_SWB_SANDWELL_CAMPUS}; plastics day cases were planned for Sandwell "
            "Treatment Centre (SWB, Apr 2022, https://myconnect.swbh.nhs.uk/news/heartbeat-"
            "service-transformation-and-midland-met-spotlight-on-day-case-surgery). Postcode: "
            "SWB leaflet, https://issuu.com/swbh/docs/mmuh_leaflet_hq_digital. Theatres, beds "
            "and places: ASSUMPTION (4 theatres, a 16-bed short-stay ward, 24 day-case places) "
            "sized for a day-case-led hub; no published count found. "
            + _UNVERIFIED_COORDS
            + ". "
            + _TARGETS
        ),
    ),
    SiteAssumption(
        code="MANOR",
        name="Walsall Manor Hospital",
        operator_ods_code="RBK",
        is_elective_hub=False,
        postcode="WS2 9PS",
        latitude=52.5827,
        longitude=-2.0005,
        treatment_functions=("C_100", "C_110", "C_120", "C_130", "C_140", "C_502", "X05"),
        theatres=7,
        sessions_per_week=MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=28,
        day_case_places=20,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            "Theatres: 'seventh elective operating theatre' reopened May 2021 (Express & Star, "
            "4 Jun 2021, http://www.expressandstar.com/news/health/coronavirus-covid19/2021/06/"
            "04/operating-theatres-for-elective-surgery-are-back-to-pre-covid-levels-at-walsall-"
            "manor-hospital-chiefs-reveal/); three theatres rebuilt 2024-25 with support from "
            "the Cannock elective hub (Express & Star, 23 May 2024, https://www.expressandstar."
            "com/news/local-hubs/walsall/2024/05/23/55-million-scheme-underway-to-create-three-"
            "new-hospital-operating-theatres/). Postcode: ODS etr 2026. "
            f"{_MAIN_SITE_TFCS}. Beds and day-case places: ASSUMPTION (one 28-bed elective ward, "
            "about 5% of RBK's 549 KH03 G&A beds in 2024-25 Q4; 20 places in the Surgical "
            "Daycase Centre). "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/Walsall_Manor_Hospital")
            + ". "
            + _TARGETS
        ),
    ),
    SiteAssumption(
        code="NEWCROSS",
        name="New Cross Hospital",
        operator_ods_code="RL4",
        is_elective_hub=False,
        postcode="WV10 0QP",
        latitude=52.5988,
        longitude=-2.0949,
        treatment_functions=(
            "C_100",
            "C_101",
            "C_110",
            "C_120",
            "C_130",
            "C_140",
            "C_160",
            "C_502",
            "X05",
        ),
        theatres=8,
        sessions_per_week=MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=40,
        day_case_places=20,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            "Theatres: the hospital has 17 theatres including eye and cardiothoracic "
            "(Health Estate Journal, undated, https://healthestatejournal.com/story/8877/da-"
            "vinci-facility-is-state-of-the-art); ASSUMPTION that 8 of them run elective lists "
            "now that routine surgery has moved to Cannock and the rest cover emergency, trauma, "
            f"obstetric and cardiac work. Postcode: ODS etr 2026. {_MAIN_SITE_TFCS}. Beds and "
            "day-case places: ASSUMPTION (40 elective beds, about 5% of RL4's 825 KH03 G&A beds; "
            "20 day-case places). "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/New_Cross_Hospital")
            + ". "
            + _TARGETS
        ),
    ),
    SiteAssumption(
        code="RUSSELLS",
        name="Russells Hall Hospital",
        operator_ods_code="RNA",
        is_elective_hub=False,
        postcode="DY1 2HQ",
        latitude=52.5024,
        longitude=-2.1191,
        treatment_functions=(
            "C_100",
            "C_101",
            "C_110",
            "C_120",
            "C_130",
            "C_140",
            "C_160",
            "C_502",
            "X05",
        ),
        theatres=10,
        sessions_per_week=MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=36,
        day_case_places=20,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            "The Dudley Group's inpatient hospital, 'over 700 beds' with theatres (statement of "
            "purpose, http://dudleygroup.nhs.uk/about-us/quality/care-quality-commission/"
            "statement-of-purpose/). Theatres: ASSUMPTION of 10 elective theatres; no published "
            f"count found. Postcode: ODS etr 2026. {_MAIN_SITE_TFCS}. Beds and day-case places: "
            "ASSUMPTION (36 elective beds, about 6% of RNA's 635 KH03 G&A beds; 20 day-case "
            "places). "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/Russells_Hall_Hospital")
            + ". "
            + _TARGETS
        ),
    ),
    SiteAssumption(
        code="MIDMET",
        name="Midland Metropolitan University Hospital",
        operator_ods_code="RXK",
        is_elective_hub=False,
        postcode="B66 2QT",
        latitude=52.4940,
        longitude=-1.9640,
        treatment_functions=(
            "C_100",
            "C_101",
            "C_110",
            "C_120",
            "C_130",
            "C_140",
            "C_160",
            "C_170",
            "C_502",
            "X05",
        ),
        theatres=7,
        sessions_per_week=MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        elective_overnight_beds=32,
        day_case_places=12,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=(
            "Opened 6 Oct 2024 with 11 operating theatres and two maternity theatres (Gleeds, "
            "https://www.gleeds.com/en/news-media/gleeds-celebrates-opening-of-midland-"
            "metropolitan-university-hospital/); the SWB building page lists '2 Trauma "
            "Theatres, 7 ...' (stored copy cut off there, https://www.swbh.nhs.uk/midland-"
            "metropolitan-university-hospital/midland-met-the-building/), so 7 elective "
            "theatres is an ASSUMPTION. Beds: one 32-bed adult ward (ward size from the same "
            "page; an elective orthopaedic ward C6 is listed in https://swbh.nhs.uk/"
            "our-new-hospital/guide-to-midland-met). Day-case places: ASSUMPTION (12; most "
            f"SWB day surgery stays on the two health campuses). {_MAIN_SITE_TFCS}; SWB eye "
            "surgery is done at the Birmingham and Midland Eye Centre (City Health Campus) and "
            "is folded into this site in the demo. Postcode: ODS etr 2026. "
            + _UNVERIFIED_COORDS
            + ". "
            + _TARGETS
        ),
    ),
)
"""The demo's sites: elective hubs first, then each member trust's main acute site."""


# --------------------------------------------------------------------------------------
# Rebalancing: travel, day-case turnover, independent-sector capacity (issue 6)
# Used by ics_capacity/services/rebalance.py; listed in docs/assumptions.md, section "Travel".
# --------------------------------------------------------------------------------------
_WANG_ROUTE_FACTOR = "https://arxiv.org/abs/2406.06490"
_DFT_A_ROAD_SPEED_2014 = (
    "https://gov.uk/government/statistics/congestion-on-local-a-roads-england-apr-to-jun-2014"
)
_DFT_A_ROAD_SPEED_2017 = "http://www.roadsafetyknowledgecentre.org.uk/knowledge/1724.html"
_IHPN_CHOICE = (
    "https://www.laingbuissonnews.com/healthcare-markets-content/news-healthcare-markets-content/"
    "new-data-confirms-patients-can-cut-nhs-wait-times-by-exercising-choice/"
)
_PIDMAS = "https://www.barnsleyhospital.nhs.uk/news/nhs-patients-be-offered-more-choice-about-where-they-are-treated-31-october"

ROAD_FACTOR: float = 1.3
"""Road distance over straight-line distance between a population and a site."""

ROAD_FACTOR_SOURCE = (
    "Wang, Bette, Schreckenberg & Guhr, 'How much longer do you have to drive than the crow has "
    f"to fly?' (arXiv 2406.06490, 2024, {_WANG_ROUTE_FACTOR}): across large road networks the "
    "driving distance is typically 1.3 times the straight-line distance. Straight-line "
    "distance is a good proxy for non-emergency travel to hospital (Boscoe, Henry & Zdeb 2012, "
    "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3835347/)"
)

ROAD_SPEED_KM_PER_HOUR: float = 40.0
"""Average door-to-door road speed used to turn road kilometres into minutes."""

ROAD_SPEED_KM_PER_HOUR_SOURCE = (
    "Department for Transport: average weekday morning-peak speed on local 'A' roads in England "
    f"was 24.4 mph in the year to June 2014 ({_DFT_A_ROAD_SPEED_2014}) and 25.2 mph in the year "
    f"to June 2017 ({_DFT_A_ROAD_SPEED_2017}); 25 mph = 40 km/h, a cautious speed for urban "
    "Black Country journeys"
)

MAX_TRAVEL_MINUTES: float = 60.0
"""Longest journey a patient is asked to make to another trust's site (one way)."""

MAX_TRAVEL_MINUTES_SOURCE = (
    "ASSUMPTION within published evidence: 71% of people would travel more than 30 minutes "
    f"outside their area for quicker NHS treatment (IHPN / Savanta poll, 2024: {_IHPN_CHOICE}); "
    "NHS England's Patient Initiated Digital Mutual Aid System asks patients waiting over 40 "
    f"weeks whether they would travel 50 miles, 100 miles or nationally ({_PIDMAS}). One hour "
    "is a planner's default; patients may choose to go further"
)

DAY_CASES_PER_PLACE_PER_DAY: float = 2.0
"""Day-case patients one trolley or chair takes in an operating day."""

DAY_CASES_PER_PLACE_PER_DAY_SOURCE = (
    "ASSUMPTION: one patient per day-case place per operating list, with a morning and an "
    "afternoon list a day (the two 4-hour sessions of SESSION_MINUTES); high-volume units "
    "(e.g. cataracts) turn places over more often. No published Black Country figure was found"
)

HUB_OPERATING_DAYS_PER_WEEK: int = 6
"""Days a week an elective hub's day-case unit is open."""

HUB_OPERATING_DAYS_PER_WEEK_SOURCE = (
    f"GIRFT hub principle of six-day operating, quoted by NHS Providers: {_NHSP_HUB_PRINCIPLES}"
)

MAIN_SITE_OPERATING_DAYS_PER_WEEK: int = 5
"""Days a week a main site's elective day-case unit is open."""

MAIN_SITE_OPERATING_DAYS_PER_WEEK_SOURCE = (
    "ASSUMPTION: weekday-only elective timetable, as for MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK"
)

INDEPENDENT_SECTOR_HEADROOM: float = 0.2
"""Extra NHS cases an independent provider can take, as a share of its current NHS cases."""

INDEPENDENT_SECTOR_HEADROOM_SOURCE = (
    "ASSUMPTION: no published figure of spare independent-sector capacity by provider was found "
    "from this machine. The collaborative may buy up to 20% more admitted cases a week than the "
    f"provider completed for NHS patients in the month of the {_RTT_FILE} (RTT Part_1A)"
)

CLINIC_CAPACITY_FACTOR: float = 1.0
"""First outpatient appointments a week at a trust's main site, as a multiple of its non-admitted
completions a week (RTT Part_1B); editable per run."""

CLINIC_CAPACITY_FACTOR_SOURCE = (
    "ASSUMPTION: no outpatient clinic capacity by trust and treatment function is published. "
    "A trust's clinics are taken to see, a week, what its non-admitted pathways completed a week "
    f"in the month of the {_RTT_FILE} (RTT Part_1B), times this factor (1 = today's throughput)"
)

MAX_CLINIC_CAPACITY_FACTOR: float = 3.0
"""Largest clinic capacity factor a run accepts: a guard rail against typing mistakes."""


@dataclass(frozen=True)
class IndependentSiteAssumption:
    """Where an independent-sector provider of the RTT extract treats NHS patients.

    Attributes:
        ods_code: ODS code of the provider, as in the RTT extract.
        name: Site name.
        postcode: Site postcode.
        latitude: WGS84 latitude in degrees (approximate).
        longitude: WGS84 longitude in degrees (approximate).
        source: Where the address comes from, and how the coordinates were set.
    """

    ods_code: str
    name: str
    postcode: str
    latitude: float
    longitude: float
    source: str


_APPROX_COORDS = (
    "coordinates approximate, from general knowledge of the postcode's location, not geocoded; "
    "re-derive from the ONS Postcode Directory or postcodes.io"
)

INDEPENDENT_SITES: dict[str, IndependentSiteAssumption] = {
    s.ods_code: s
    for s in (
        IndependentSiteAssumption(
            ods_code="NT242",
            name="Nuffield Health Wolverhampton Hospital",
            postcode="WV6 8LE",
            latitude=52.5926,
            longitude=-2.1659,
            source="Address: CQC, https://www.cqc.org.uk/location/1-115574857/inspection-summary "
            "(two theatres, 27 beds; orthopaedics, ophthalmology, general surgery). "
            + _APPROX_COORDS,
        ),
        IndependentSiteAssumption(
            ods_code="NPG20",
            name="SpaMedica Wolverhampton",
            postcode="WV9 5HA",
            latitude=52.6334,
            longitude=-2.1491,
            source="Address: CQC, https://www.cqc.org.uk/location/1-7927695425/inspection-summary "
            "(cataract surgery for NHS patients). " + _APPROX_COORDS,
        ),
        IndependentSiteAssumption(
            ods_code="NVC1H",
            name="Stourside Hospital",
            postcode="DY8 1UX",
            latitude=52.4596,
            longitude=-2.1437,
            source="Address: CQC, https://www.cqc.org.uk/location/1-9676859810/reports (Ramsay "
            "Health Care). " + _APPROX_COORDS,
        ),
        IndependentSiteAssumption(
            ods_code="NVC21",
            name="West Midlands Hospital",
            postcode="B63 2AH",
            latitude=52.4611,
            longitude=-2.0637,
            source="Address: CQC, https://www.cqc.org.uk/location/1-128733177/inspection-summary "
            "(Ramsay Health Care; two theatres, 34 beds). " + _APPROX_COORDS,
        ),
    )
}
"""Independent-sector sites of the demo's RTT extract, keyed by ODS code."""
