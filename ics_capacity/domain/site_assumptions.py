"""The demo's hospital sites: the two elective hubs, then each member trust's main acute site.

Part of the named planning assumptions (`ics_capacity.domain.assumptions` re-exports
`SiteAssumption` and `DEMO_SITES`); each site's `source` names where every number comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ics_capacity.domain.global_assumptions import (
    BCPC_NORTH_HUB,
    BED_OCCUPANCY_TARGET,
    HUB_SESSIONS_PER_THEATRE_PER_WEEK,
    MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
    RTT_FILE,
    SESSION_MINUTES,
    THEATRE_UTILISATION_CAP,
)

_BCPC_SANDWELL_SURVEY = "https://www.walsallhealthcare.nhs.uk/news/2025/06/18/31476"
_SWB_SANDWELL_CAMPUS = "https://swbh.nhs.uk/news/services-to-remain-on-city-and-sandwell-sites"


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
    f"trust in the {RTT_FILE}"
)
# What _MAIN_SITE_TFCS gives for RL4 and for RNA alike: every surgical function but cardiothoracic.
_SURGERY_WITHOUT_CARDIOTHORACIC = (
    "C_100",
    "C_101",
    "C_110",
    "C_120",
    "C_130",
    "C_140",
    "C_160",
    "C_502",
    "X05",
)
_TARGETS = (
    "utilisation target = THEATRE_UTILISATION_CAP; bed occupancy target = BED_OCCUPANCY_TARGET"
)


def _site(*, is_elective_hub: bool, source: str, **fields: Any) -> SiteAssumption:
    """A demo site run to the demo's standards: sessions for its kind, session length, targets."""
    return SiteAssumption(
        is_elective_hub=is_elective_hub,
        sessions_per_week=(
            HUB_SESSIONS_PER_THEATRE_PER_WEEK
            if is_elective_hub
            else MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK
        ),
        session_minutes=SESSION_MINUTES,
        utilisation_target=THEATRE_UTILISATION_CAP,
        bed_occupancy_target=BED_OCCUPANCY_TARGET,
        source=f"{source}. {_TARGETS}",
        **fields,
    )


# Data, one record a site: the records share a shape (duplicates lists them), not logic.
DEMO_SITES: tuple[SiteAssumption, ...] = (
    _site(
        code="CANNOCK",
        name="Cannock Chase Hospital",
        operator_ods_code="RL4",
        is_elective_hub=True,
        postcode="WS11 5XY",
        latitude=52.6926,
        longitude=-2.0303,
        treatment_functions=("C_110", "C_100", "C_101", "C_160", "X05"),
        theatres=10,
        elective_overnight_beds=56,
        day_case_places=24,
        source=(
            f"Hub: BCPC 'North Hub' orthopaedic elective cold site, TIF award early 2022, "
            f"{BCPC_NORTH_HUB}. Theatres: 7 after the 2014-15 rebuild (Express & Star, 18 Sep "
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
        ),
    ),
    _site(
        code="SANDWELL",
        name="Sandwell Health Campus",
        operator_ods_code="RXK",
        is_elective_hub=True,
        postcode="B71 4HJ",
        latitude=52.5289,
        longitude=-1.9939,
        treatment_functions=("C_110", "C_100", "C_502", "C_160"),
        theatres=4,
        elective_overnight_beds=16,
        day_case_places=24,
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
            "sized for a day-case-led hub; no published count found. " + _UNVERIFIED_COORDS
        ),
    ),
    _site(
        code="MANOR",
        name="Walsall Manor Hospital",
        operator_ods_code="RBK",
        is_elective_hub=False,
        postcode="WS2 9PS",
        latitude=52.5827,
        longitude=-2.0005,
        treatment_functions=("C_100", "C_110", "C_120", "C_130", "C_140", "C_502", "X05"),
        theatres=7,
        elective_overnight_beds=28,
        day_case_places=20,
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
        ),
    ),
    _site(
        code="NEWCROSS",
        name="New Cross Hospital",
        operator_ods_code="RL4",
        is_elective_hub=False,
        postcode="WV10 0QP",
        latitude=52.5988,
        longitude=-2.0949,
        treatment_functions=_SURGERY_WITHOUT_CARDIOTHORACIC,
        theatres=8,
        elective_overnight_beds=40,
        day_case_places=20,
        source=(
            "Theatres: the hospital has 17 theatres including eye and cardiothoracic "
            "(Health Estate Journal, undated, https://healthestatejournal.com/story/8877/da-"
            "vinci-facility-is-state-of-the-art); ASSUMPTION that 8 of them run elective lists "
            "now that routine surgery has moved to Cannock and the rest cover emergency, trauma, "
            f"obstetric and cardiac work. Postcode: ODS etr 2026. {_MAIN_SITE_TFCS}. Beds and "
            "day-case places: ASSUMPTION (40 elective beds, about 5% of RL4's 825 KH03 G&A beds; "
            "20 day-case places). "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/New_Cross_Hospital")
        ),
    ),
    _site(
        code="RUSSELLS",
        name="Russells Hall Hospital",
        operator_ods_code="RNA",
        is_elective_hub=False,
        postcode="DY1 2HQ",
        latitude=52.5024,
        longitude=-2.1191,
        treatment_functions=_SURGERY_WITHOUT_CARDIOTHORACIC,
        theatres=10,
        elective_overnight_beds=36,
        day_case_places=20,
        source=(
            "The Dudley Group's inpatient hospital, 'over 700 beds' with theatres (statement of "
            "purpose, http://dudleygroup.nhs.uk/about-us/quality/care-quality-commission/"
            "statement-of-purpose/). Theatres: ASSUMPTION of 10 elective theatres; no published "
            f"count found. Postcode: ODS etr 2026. {_MAIN_SITE_TFCS}. Beds and day-case places: "
            "ASSUMPTION (36 elective beds, about 6% of RNA's 635 KH03 G&A beds; 20 day-case "
            "places). "
            + _WIKI_COORDS.format("https://en.wikipedia.org/wiki/Russells_Hall_Hospital")
        ),
    ),
    _site(
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
        elective_overnight_beds=32,
        day_case_places=12,
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
            "is folded into this site in the demo. Postcode: ODS etr 2026. " + _UNVERIFIED_COORDS
        ),
    ),
)
"""The demo's sites: elective hubs first, then each member trust's main acute site."""
