"""One catalogue of the figures the app shows: what each one counts, for whom, when, and from where.

A figure's label on every page and export comes from here, so that two pages showing the same
label show the same number, and two figures over different populations never share a label
(issue 13, "Every figure means one thing"). Each measure says:

* its **pathways**: all incomplete RTT pathways (RTT Part_2, the published "waiting list"), the
  admitted list (Part_2A: pathways with a decision to admit), or the admitted list of the
  treatment functions the rebalancing model plans (those with a case mix);
* its **providers**: the collaborative's member trusts, or every provider of the system in the
  RTT extract (member trusts and the independent sector), or sites;
* its **time**: now (the scenario's snapshot month), at the projection's horizon, at the end of
  a rebalancing plan, or a weekly rate;
* for utilisation and occupancy, whether it is **capped** or **uncapped**, in the one definition
  of `ics_capacity.domain.utilisation` (NHS England Model Hospital's: capped counts only use
  within the planned sessions or beds, so cannot exceed 100%; uncapped counts overruns too);
* its **source**: the NHS publication or the model that produces it.

The domain layer holds only the words; services compute the numbers and pages format them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ics_capacity.domain.assumptions import SESSION_MINUTES, THEATRE_UTILISATION_CAP
from ics_capacity.domain.utilisation import UTILISATION_WORDS, UtilisationDefinition, qualified


class Pathways(StrEnum):
    """Which patients a figure counts."""

    ALL = "all incomplete pathways (RTT Part_2)"
    ADMITTED = "admitted list (RTT Part_2A)"
    ADMITTED_PLANNED = "admitted list of the planned specialties (RTT Part_2A with a case mix)"
    NONE = "not a count of patients"


class Providers(StrEnum):
    """Whose patients or capacity a figure covers."""

    MEMBERS = "member trusts"
    ALL_PROVIDERS = "all providers in the system (member trusts and independent sector)"
    SITES = "the collaborative's sites"
    PLAN_SITES = "the sites and independent providers the plan may use"


class When(StrEnum):
    """The moment (or rate) a figure describes."""

    NOW = "now: the scenario's snapshot month"
    HORIZON = "at the projection's horizon"
    PLAN_START = "at the start of the rebalancing plan (the snapshot month)"
    PLAN_END = "at the end of the rebalancing plan's horizon"
    PER_WEEK = "a week"
    TARGET_DATE = "at the target's date"
    OVER_HORIZON = "over the projection, from the snapshot to the horizon"


Utilisation = UtilisationDefinition
"""How a use of capacity is expressed: the app's one definition (`domain/utilisation.py`)."""


RTT = (
    "NHS England, Referral to Treatment (RTT) Waiting Times, Full CSV data file "
    "(https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/)"
)
KH03 = (
    "NHS England, Bed Availability and Occupancy, KH03 "
    "(https://www.england.nhs.uk/statistics/statistical-work-areas/bed-availability-and-occupancy/)"
)
WORKFORCE = (
    "NHS England, NHS Workforce Statistics, staff in post (https://digital.nhs.uk/data-and-"
    "information/publications/statistical/nhs-workforce-statistics)"
)
SITES = "The scenario's site capacity: the planners' own figures and docs/assumptions.md"
PROJECTION = "This tool's weekly cohort projection (docs/projections.md) from " + RTT
REBALANCE = "This tool's rebalancing model (docs/rebalance.md) from RTT Part_2A; " + RTT


@dataclass(frozen=True)
class Measure:
    """One figure the app shows."""

    key: str
    label: str
    definition: str
    pathways: Pathways
    providers: Providers
    when: When
    source: str
    utilisation: Utilisation | None = None

    @property
    def scope(self) -> str:
        """Population and time in words.

        E.g. "all incomplete pathways (RTT Part_2), member trusts, now: the scenario's snapshot
        month".
        """
        parts = [] if self.pathways == Pathways.NONE else [str(self.pathways)]
        parts += [str(self.providers), str(self.when)]
        if self.utilisation is not None:
            parts.append(UTILISATION_WORDS[self.utilisation].rstrip("."))
        return ", ".join(parts)

    @property
    def tooltip(self) -> str:
        """The short definition shown on hover and focus, with its scope and source."""
        return f"{self.definition} Covers {self.scope}. Source: {self.source}."


_M = Measure
_ALL, _ADM, _PLAN, _NONE = (
    Pathways.ALL,
    Pathways.ADMITTED,
    Pathways.ADMITTED_PLANNED,
    Pathways.NONE,
)
_MEM, _SYS, _SITES, _PSITES = (
    Providers.MEMBERS,
    Providers.ALL_PROVIDERS,
    Providers.SITES,
    Providers.PLAN_SITES,
)

MEASURES: tuple[Measure, ...] = (
    # --- Now: the published snapshot -----------------------------------------------------------
    _M(
        "waiting_list",
        "Waiting list (all pathways, member trusts)",
        "Patients waiting on an incomplete referral-to-treatment pathway, admitted or not.",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "waiting_list_all_providers",
        "Waiting list (all pathways, all providers in the system)",
        "Patients waiting on an incomplete referral-to-treatment pathway at any provider of the "
        "system, independent-sector providers included.",
        _ALL,
        _SYS,
        When.NOW,
        RTT,
    ),
    _M(
        "admitted_list",
        "Admitted waiting list (member trusts)",
        "Patients waiting with a decision to admit them for treatment (inpatient or day case).",
        _ADM,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "within_18_weeks",
        "Within 18 weeks (all pathways, member trusts)",
        "Share of patients with a known clock start who have waited 18 weeks or less "
        "(standard: 92%).",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "over_52_weeks",
        "Over 52 weeks (all pathways, member trusts)",
        "Patients who have waited more than 52 weeks since referral.",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "over_65_weeks",
        "Over 65 weeks (all pathways, member trusts)",
        "Patients who have waited more than 65 weeks since referral.",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "over_78_weeks",
        "Over 78 weeks (all pathways, member trusts)",
        "Patients who have waited more than 78 weeks since referral.",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "p92_wait",
        "92nd percentile wait (all pathways, member trusts)",
        "Weeks within which 92 of every 100 patients on the list have waited.",
        _ALL,
        _MEM,
        When.NOW,
        RTT,
    ),
    _M(
        "ga_beds",
        "G&A beds (member trusts)",
        "General and acute beds available, average over the quarter.",
        _NONE,
        _MEM,
        When.NOW,
        KH03,
    ),
    _M(
        "ga_occupancy",
        qualified("G&A occupancy (member trusts)", Utilisation.UNCAPPED),
        "Average general and acute beds occupied over average beds available, as published: "
        "nothing above the beds is cut off.",
        _NONE,
        _MEM,
        When.NOW,
        KH03,
        Utilisation.UNCAPPED,
    ),
    _M(
        "staff_fte",
        "Staff in post (FTE, member trusts)",
        "Full-time equivalent staff employed by the trusts.",
        _NONE,
        _MEM,
        When.NOW,
        WORKFORCE,
    ),
    _M(
        "elective_hubs",
        "Elective hubs",
        "Sites kept for planned surgery, run by a member trust.",
        _NONE,
        _SITES,
        When.NOW,
        SITES,
    ),
    _M(
        "theatres",
        "Theatres",
        "Operating theatres at the site available for elective lists.",
        _NONE,
        _SITES,
        When.NOW,
        SITES,
    ),
    _M(
        "sessions_per_theatre",
        "Sessions a week per theatre",
        "Theatre lists a week in each theatre's timetable.",
        _NONE,
        _SITES,
        When.PER_WEEK,
        SITES,
    ),
    _M(
        "usable_theatre_hours",
        qualified("Usable theatre hours a week", Utilisation.CAPPED),
        "Theatres x sessions x session length x the utilisation cap: the operating time planned "
        "to be used within the sessions (the cap is a capped utilisation).",
        _NONE,
        _SITES,
        When.PER_WEEK,
        SITES,
        Utilisation.CAPPED,
    ),
    _M(
        "elective_overnight_beds",
        "Elective overnight beds",
        "Beds kept for planned patients who stay at least one night.",
        _NONE,
        _SITES,
        When.NOW,
        SITES,
    ),
    _M(
        "day_case_places",
        "Day-case places",
        "Trolleys or chairs for patients treated and sent home the same day.",
        _NONE,
        _SITES,
        When.NOW,
        SITES,
    ),
    # --- At the projection's horizon -----------------------------------------------------------
    _M(
        "projected_waiting_list",
        "Projected waiting list (all pathways, member trusts)",
        "Patients expected to be waiting at the horizon if demand and treatment continue as the "
        "scenario sets them, longest waiters treated first.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_within_18_weeks",
        "Projected within 18 weeks (all pathways, member trusts)",
        "Share of the projected list waiting 18 weeks or less at the horizon.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_over_52_weeks",
        "Projected over 52 weeks (all pathways, member trusts)",
        "Patients expected to have waited more than 52 weeks at the horizon.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_over_65_weeks",
        "Projected over 65 weeks (all pathways, member trusts)",
        "Patients expected to have waited more than 65 weeks at the horizon.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_over_78_weeks",
        "Projected over 78 weeks (all pathways, member trusts)",
        "Patients expected to have waited more than 78 weeks at the horizon.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_p92_wait",
        "Projected 92nd percentile wait (all pathways, member trusts)",
        "Weeks within which 92 of every 100 patients on the projected list have waited.",
        _ALL,
        _MEM,
        When.HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_treated",
        "Treated over the projection (all pathways, member trusts)",
        "Pathways completed by treatment at the scenario's capacity, summed over the weeks "
        "projected. Removals by validation are not counted here.",
        _ALL,
        _MEM,
        When.OVER_HORIZON,
        PROJECTION,
    ),
    _M(
        "projected_removed_by_validation",
        "Removed by validation, not treated (all pathways, member trusts)",
        "Patients leaving the list without treatment over the weeks projected, at the scenario's "
        "validation share where it sets one, else at the observed rate of removals without "
        "treatment. Validation uses no treatment capacity.",
        _ALL,
        _MEM,
        When.OVER_HORIZON,
        PROJECTION,
    ),
    _M(
        "theatre_utilisation",
        qualified("Projected theatre utilisation", Utilisation.UNCAPPED),
        "Theatre minutes the projected admitted treatment uses over every scheduled session "
        "minute, with nothing cut off at 100%; the target is the (capped) utilisation cap.",
        _ADM,
        _SITES,
        When.PER_WEEK,
        PROJECTION,
        Utilisation.UNCAPPED,
    ),
    _M(
        "bed_occupancy",
        qualified("Projected elective bed occupancy", Utilisation.UNCAPPED),
        "Bed-days the projected overnight elective patients use over every elective bed-day, "
        "with nothing cut off at 100%; the target is the (capped) occupancy cap.",
        _ADM,
        _SITES,
        When.PER_WEEK,
        PROJECTION,
        Utilisation.UNCAPPED,
    ),
    _M(
        "rag_status",
        "RAG against the RTT targets (all pathways, member trusts)",
        "Green meets the target at its date, amber misses it by up to 5 percentage points "
        "(1 point for 52-week waits), red by more; a standing target is rated at the horizon.",
        _ALL,
        _MEM,
        When.TARGET_DATE,
        PROJECTION + "; targets: NHS Constitution and the Elective Reform Plan",
    ),
    _M(
        "treatments_now",
        "Treatments a week now (all pathways, member trusts)",
        "Pathways completed a week (admitted and not admitted) as the scenario's projection "
        "treats them: published activity moved by its capacity and saved plan.",
        _ALL,
        _MEM,
        When.PER_WEEK,
        PROJECTION,
    ),
    _M(
        "treatments_needed",
        "Treatments a week needed (all pathways, member trusts)",
        "The constant number of pathways completed a week that reaches the target share within "
        "18 weeks by the chosen date, with demand as now.",
        _ALL,
        _MEM,
        When.PER_WEEK,
        PROJECTION,
    ),
    # --- Dated targets (issue 15 §4) ------------------------------------------------------------
    _M(
        "target_projected",
        "Projected at the target's date (all pathways, per member trust)",
        "The trust's projected figure at the last week ending by the target's date: patients "
        "waiting over the target's wait, or the share within 18 weeks.",
        _ALL,
        _MEM,
        When.TARGET_DATE,
        PROJECTION,
    ),
    _M(
        "target_shortfall",
        "Short of the target at its date (all pathways, per member trust)",
        "Patients over the limit, or percentage points below the share, by which the trust's "
        "projection misses the target at its date; 0 when it meets it.",
        _ALL,
        _MEM,
        When.TARGET_DATE,
        PROJECTION,
    ),
    _M(
        "target_extra_treatments",
        "Extra treatments a week to meet the target (all pathways, per member trust)",
        "The constant extra treatment a week, from now to the target's date, that the "
        "projection's inverse question finds meets the target list by list; demand as now.",
        _ALL,
        _MEM,
        When.PER_WEEK,
        PROJECTION,
    ),
    _M(
        "target_extra_sessions",
        "Extra theatre sessions a week to meet the target (capped)",
        "The admitted share of the extra treatments x their theatre minutes per case, over a "
        f"{SESSION_MINUTES}-minute session used to the {THEATRE_UTILISATION_CAP:.0%} "
        "utilisation cap.",
        _ADM,
        _MEM,
        When.PER_WEEK,
        PROJECTION,
        Utilisation.CAPPED,
    ),
    # --- Rebalancing plan ----------------------------------------------------------------------
    _M(
        "plan_waiting_start",
        "Admitted list at the plan's start (member trusts, planned specialties)",
        "Patients with a decision to admit in the treatment functions the model plans (those "
        "with a case mix), at the snapshot month.",
        _PLAN,
        _MEM,
        When.PLAN_START,
        REBALANCE,
    ),
    _M(
        "plan_waiting_end",
        "Admitted list at the plan's end (member trusts, planned specialties)",
        "Patients of the planned admitted lists still waiting at the end of the plan's horizon.",
        _PLAN,
        _MEM,
        When.PLAN_END,
        REBALANCE,
    ),
    _M(
        "plan_over_52_end",
        "Admitted over 52 weeks at the plan's end (member trusts, planned specialties)",
        "Patients of the planned admitted lists who will have waited 52 weeks or more at the end "
        "of the plan's horizon; the Dashboard's 52-week figure counts every pathway at its own "
        "horizon instead.",
        _PLAN,
        _MEM,
        When.PLAN_END,
        REBALANCE,
    ),
    _M(
        "pressure",
        "Pressure (admitted list, planned specialties)",
        "2 x the list's mean wait / the target wait, the mean wait being list size / weekly "
        "demand: 1 means patients wait as long as the target allows, 2 means twice as long.",
        _PLAN,
        _MEM,
        When.PLAN_END,
        REBALANCE,
    ),
    _M(
        "plan_demand",
        "Admitted demand a week (planned specialties)",
        "New patients joining the trust's planned admitted lists a week: clock starts x the "
        "share of completed pathways that were admitted.",
        _PLAN,
        _MEM,
        When.PER_WEEK,
        REBALANCE,
    ),
    _M(
        "plan_own_capacity",
        "Treated a week at its own sites, without collaboration",
        "Patients of the trust's planned admitted lists its own sites treat a week when no "
        "patient moves (the model's no-collaboration plan).",
        _PLAN,
        _MEM,
        When.PER_WEEK,
        REBALANCE,
    ),
    _M(
        "plan_treated",
        "Treated a week in the plan",
        "Patients of the trust's planned admitted lists treated a week anywhere under the "
        "optimised plan.",
        _PLAN,
        _MEM,
        When.PER_WEEK,
        REBALANCE,
    ),
    _M(
        "patients_treated",
        "Patients treated over the plan",
        "Admitted patients of the planned specialties treated during the plan's horizon.",
        _PLAN,
        _MEM,
        When.PLAN_END,
        REBALANCE,
    ),
    _M(
        "patients_moved",
        "Patients moved over the plan",
        "Admitted patients treated at a site run by another trust or an independent provider "
        "during the plan's horizon.",
        _PLAN,
        _MEM,
        When.PLAN_END,
        REBALANCE,
    ),
    _M(
        "hub_use",
        qualified("Use of hub capacity in the plan, share of the cap", Utilisation.CAPPED),
        "Theatre minutes, bed-days, day-case places or cases the plan uses in a week over that "
        "week's capacity left after the utilisation or occupancy cap: 100% means full to the "
        "cap. The plan never runs past a session or above the beds.",
        _PLAN,
        _PSITES,
        When.PER_WEEK,
        REBALANCE,
        Utilisation.CAPPED,
    ),
)
"""Every measure, in the order pages usually show them."""

BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}


def measure(key: str) -> Measure:
    """The measure called `key`.

    Raises:
        KeyError: If no measure has that key.
    """
    return BY_KEY[key]


def label(key: str) -> str:
    """The label every page and export shows for the measure."""
    return BY_KEY[key].label


def tooltip(key: str) -> str:
    """The short definition shown on hover and focus."""
    return BY_KEY[key].tooltip
