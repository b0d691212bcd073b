"""The rebalancing's assumptions: travel, day-case turnover and independent-sector capacity.

Used by ics_capacity/services/rebalance.py; listed in docs/assumptions.md, section "Travel", and
re-exported by `ics_capacity.domain.assumptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_capacity.domain.global_assumptions import NHSP_HUB_PRINCIPLES, RTT_FILE

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
    f"GIRFT hub principle of six-day operating, quoted by NHS Providers: {NHSP_HUB_PRINCIPLES}"
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
    f"provider completed for NHS patients in the month of the {RTT_FILE} (RTT Part_1A)"
)

CLINIC_CAPACITY_FACTOR: float = 1.0
"""First outpatient appointments a week at a trust's main site, as a multiple of its non-admitted
completions a week (RTT Part_1B); editable per run."""

CLINIC_CAPACITY_FACTOR_SOURCE = (
    "ASSUMPTION: no outpatient clinic capacity by trust and treatment function is published. "
    "A trust's clinics are taken to see, a week, what its non-admitted pathways completed a week "
    f"in the month of the {RTT_FILE} (RTT Part_1B), times this factor (1 = today's throughput)"
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
