"""The demo's global planning constants, and the sources several assumption tables quote.

Part of the named planning assumptions (`ics_capacity.domain.assumptions`, which re-exports every
constant here); `docs/assumptions.md` lists the values and `tests/unit/test_assumptions.py` keeps
the two in step.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# Sources quoted more than once (full titles and dates are in docs/assumptions.md).
# --------------------------------------------------------------------------------------
BCPC_NORTH_HUB = (
    "https://blackcountryprovidercollaborative.nhs.uk/performance/system-development-report/"
    "north-hub-orthopaedic-elective-cold-site-at-cannock-chase-hospital/"
)
NHSP_HUB_PRINCIPLES = (
    "https://nhsproviders.org/provider-collaboratives-building-capacity-elective-hubs/elective-hubs"
)
_HFMA_PLANNING_2324 = "https://hfma.org.uk/news/news-list/Article/2023-24-planning-guidance"
_NHSE_PLANNING_2324 = (
    "https://www.england.nhs.uk/publication/2023-24-priorities-and-operational-planning-guidance/"
)
CSJ_HVLC = "https://content.yudu.com/web/1u0jl/0A1up6l/CSJ-January-2022/html/22.html"
RTT_FILE = "NHS England RTT Full CSV extract April 2026 (shared/data/nhs)"


# --------------------------------------------------------------------------------------
# Global constants
# --------------------------------------------------------------------------------------
SESSION_MINUTES: int = 240
"""Length of one theatre session (a half-day list) in minutes."""

SESSION_MINUTES_SOURCE = (
    "GIRFT elective hub principle of '2.5 session days' (i.e. 4-hour sessions in a 10-hour "
    f"day), quoted by NHS Providers: {NHSP_HUB_PRINCIPLES}; a half-day list is scheduled as "
    "4 hours, e.g. Royal Surrey FOI 4430: https://www.royalsurrey.nhs.uk/foi-4430-operating-lists/"
)

THEATRE_UTILISATION_CAP: float = 0.85
"""Share of session time that can be used for cases (NHS 'capped theatre utilisation')."""

THEATRE_UTILISATION_CAP_SOURCE = (
    "GIRFT hub principle of 85% theatre utilisation, quoted by NHS Providers: "
    f"{NHSP_HUB_PRINCIPLES}; NHS England's 2023/24 priorities and operational planning "
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
    f"case rates at 85%', reproduced in Clinical Services Journal, Jan 2022: {CSJ_HVLC}"
)

OPERATING_WEEKS_PER_YEAR: int = 48
"""Weeks per year an elective hub is expected to operate."""

OPERATING_WEEKS_PER_YEAR_SOURCE = (
    f"GIRFT hub principle of 48 operating weeks a year, quoted by NHS Providers: "
    f"{NHSP_HUB_PRINCIPLES} (the Cannock North Hub case plans 50 weeks: {BCPC_NORTH_HUB})"
)

WEEKS_PER_MONTH: float = 52 / 12
"""Average calendar weeks in a month, to turn weekly capacity into monthly capacity."""

WEEKS_PER_MONTH_SOURCE = "Arithmetic: 52 weeks / 12 months (calendar definition, not an estimate)"

HUB_SESSIONS_PER_THEATRE_PER_WEEK: int = 15
"""Sessions per theatre per week at an elective hub (6 days x 2.5 sessions)."""

HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE = (
    "GIRFT hub principles of six-day operating and 2.5 session days (6 x 2.5 = 15), quoted by "
    f"NHS Providers: {NHSP_HUB_PRINCIPLES}; the Cannock North Hub plans 'a minimum of six days "
    f"a week': {BCPC_NORTH_HUB}"
)

MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK: int = 10
"""Elective sessions per theatre per week at a main acute site (5 weekdays x 2 sessions)."""

MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE = (
    "ASSUMPTION: a weekday-only elective timetable of two 4-hour sessions a day (5 x 2 = 10), "
    "the usual pattern on acute sites where weekends are kept for emergency and trauma lists; "
    "no Black Country timetable was found from this machine"
)
