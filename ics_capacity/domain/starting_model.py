"""A starting capacity model for any system, from NHS England's published files, labelled estimated.

One main site per member trust, sized from the trust's own published activity through the cited
constants of `ics_capacity.domain.assumptions` (docs/onboarding.md, "How the starting model is
estimated"). Nothing here knows a system: every figure follows from the trust's rows.

* treatment functions: the case-mix functions with patients waiting (RTT Part_2) or treated
  (Part_1A) at the trust;
* theatre minutes a week: the RTT admitted completions (Part_1A) of each case-mix function, as
  count x 7 / days in the month, x its minutes per case. The MAR's elective spells are only a
  cross-check: they count every specialty's elective spells, medical day cases (endoscopy,
  chemotherapy) included, and would size theatres for work that needs none;
* sessions and theatres: minutes / (SESSION_MINUTES x THEATRE_UTILISATION_CAP) sessions a week,
  run as theatres of MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK (rounded up);
* day-case places: admitted cases a week x the case mix's day-case rate /
  (DAY_CASES_PER_PLACE_PER_DAY x MAIN_SITE_OPERATING_DAYS_PER_WEEK), rounded up;
* elective overnight beds: ordinary (not day-case) cases a week x length of stay / 7 /
  BED_OCCUPANCY_TARGET, rounded up and capped at the trust's KH03 G&A beds (a flat share of
  G&A beds does not fit specialist trusts: `FLAT_BED_SHARE_REJECTED`);
* utilisation and occupancy caps: the national targets.

Every figure carries its provenance: its kind (published or estimated) and the rule, in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ics_capacity.domain.assumptions import (
    BED_OCCUPANCY_TARGET,
    DAY_CASES_PER_PLACE_PER_DAY,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
    SESSION_MINUTES,
    THEATRE_UTILISATION_CAP,
    CaseMixAssumption,
)

FLAT_BED_SHARE_REJECTED = (
    "A flat share of KH03 G&A beds was tried and rejected: ordinary elective spells (MAR, Feb "
    "2026) x 2 nights / 92% occupancy are 4.5% to 7.7% of the KH03 2024-25 Q4 G&A beds of the "
    "general acute trusts of the shared extract (RBK, RRK, RL4, RNA, RXK) but 16% at Birmingham "
    "Women's and Children's (RQ3) and 40% at the Royal Orthopaedic (RRJ); one share cannot fit "
    "a specialist trust, so beds follow each trust's own elective activity"
)

PUBLISHED = "published"
ESTIMATED = "estimated"
LOCAL = "local"


@dataclass(frozen=True)
class Provenance:
    """Where a figure came from: its kind and, for an estimate, the rule in words."""

    kind: str
    rule: str


@dataclass(frozen=True)
class TrustActivity:
    """What the published files say about one member trust, per week where it is a rate.

    Attributes:
        ods_code: The trust's ODS code.
        name: The trust's name.
        postcode: Headquarters postcode (ODS etr), if known.
        admitted_per_week: RTT admitted completions (Part_1A) a week, by treatment function.
        waiting_tfcs: Treatment functions with patients waiting (Part_2).
        rtt_period: The RTT month, e.g. "April 2026".
        ga_beds: KH03 average G&A beds available, if KH03 was given.
        kh03_period: The KH03 quarter, e.g. "2024-25 Q4".
        mar_elective_per_week: MAR elective spells (ordinary + day case) a week, if given.
        mar_period: The MAR month, e.g. "Feb 2026".
    """

    ods_code: str
    name: str
    postcode: str | None
    admitted_per_week: Mapping[str, float]
    waiting_tfcs: frozenset[str]
    rtt_period: str
    ga_beds: float | None = None
    kh03_period: str | None = None
    mar_elective_per_week: float | None = None
    mar_period: str | None = None


@dataclass(frozen=True)
class SiteCapacity:
    """A site's treatment functions, theatres, beds and day-case places."""

    treatment_functions: tuple[str, ...]
    theatres: int
    sessions_per_week: int
    session_minutes: int
    utilisation_target: float
    elective_overnight_beds: int
    day_case_places: int
    occupancy_target: float


@dataclass(frozen=True)
class SiteEstimate:
    """A trust's main site as the starting model sizes it, with each figure's provenance."""

    code: str
    name: str
    operator_ods_code: str
    postcode: str | None
    capacity: SiteCapacity
    provenance: dict[tuple[str, str], Provenance] = field(default_factory=dict)
    """(entity, field) -> provenance; entity is site, theatre_capacity or bed_capacity."""


def main_site_code(ods_code: str) -> str:
    """The code of a trust's main site in the starting model (its ODS code, e.g. "RRK")."""
    return ods_code


def _up(value: float) -> int:
    """Rounded up to a whole number, ignoring float noise just above an integer."""
    return max(0, math.ceil(round(value, 6)))


def estimate_main_site(
    trust: TrustActivity, case_mix: Mapping[str, CaseMixAssumption]
) -> SiteEstimate:
    """The trust's main site, sized from its published activity by the module's rules."""
    admitted = {t: v for t, v in trust.admitted_per_week.items() if t in case_mix and v > 0}
    tfcs = tuple(sorted((set(admitted) | set(trust.waiting_tfcs)) & set(case_mix)))
    cases = admitted
    cases_words = f"RTT admitted completions (Part_1A), {trust.rtt_period}, x 7 / days in the month"
    cross_check = ""
    if trust.mar_elective_per_week:
        cross_check = (
            f"; cross-check: the MAR ({trust.mar_period}) has {trust.mar_elective_per_week:,.0f} "
            f"elective spells a week in all specialties, medical day cases (endoscopy, "
            f"chemotherapy) included, so the {sum(cases.values()):,.0f} surgical cases here are "
            f"{sum(cases.values()) / trust.mar_elective_per_week:.0%} of them"
        )
    minutes = sum(cases[t] * case_mix[t].minutes_per_case for t in cases)
    sessions = minutes / (SESSION_MINUTES * THEATRE_UTILISATION_CAP)
    theatres = _up(sessions / MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK)

    day_cases = sum(cases[t] * case_mix[t].day_case_rate for t in cases)
    day_case_words = f"({cases_words}) x the case mix's day-case rate"
    per_place = DAY_CASES_PER_PLACE_PER_DAY * MAIN_SITE_OPERATING_DAYS_PER_WEEK
    places = _up(day_cases / per_place)

    bed_days = sum(
        cases[t] * (1 - case_mix[t].day_case_rate) * case_mix[t].length_of_stay_days for t in cases
    )
    beds = _up(bed_days / 7 / BED_OCCUPANCY_TARGET)
    beds_words = (
        f"({cases_words}) x (1 - the case mix's day-case rate) x its length of stay = "
        f"{bed_days:,.0f} bed-days a week, / 7 / BED_OCCUPANCY_TARGET "
        f"{BED_OCCUPANCY_TARGET:.0%}, rounded up"
    )
    if trust.ga_beds is not None and beds > trust.ga_beds:
        beds = math.floor(trust.ga_beds)
        beds_words += f", capped at the trust's {trust.ga_beds:,.0f} G&A beds (KH03)"
    elif trust.ga_beds is not None:
        beds_words += (
            f"; {beds / trust.ga_beds:.1%} of the trust's {trust.ga_beds:,.0f} G&A beds "
            f"(KH03 {trust.kh03_period})"
        )
    beds_rule = Provenance(ESTIMATED, f"{beds_words}. {FLAT_BED_SHARE_REJECTED}")
    code = main_site_code(trust.ods_code)
    sessions_rule = (
        f"{cases_words} = {sum(cases.values()):,.1f} cases a week x the case mix's minutes per "
        f"case = {minutes:,.0f} minutes, / (SESSION_MINUTES {SESSION_MINUTES} x "
        f"THEATRE_UTILISATION_CAP {THEATRE_UTILISATION_CAP:.0%}) = {sessions:,.1f} sessions a week"
    )
    provenance = {
        ("site", "name"): Provenance(
            ESTIMATED, "one site per member trust, named after the trust (ODS)"
        ),
        ("site", "postcode"): Provenance(
            PUBLISHED, "the trust's headquarters postcode in the ODS etr file"
        )
        if trust.postcode
        else Provenance(ESTIMATED, "no ODS etr file given: no postcode"),
        ("site", "location"): Provenance(
            ESTIMATED,
            "not placed: no open postcode centroid data is bundled; place the site on the "
            "scenario page (latitude, longitude) so that patients can be moved between trusts",
        ),
        ("site", "treatment_functions"): Provenance(
            ESTIMATED,
            "the case-mix treatment functions with patients waiting (RTT Part_2) or treated "
            f"(Part_1A) at the trust, {trust.rtt_period}",
        ),
        ("theatre_capacity", "theatres"): Provenance(
            ESTIMATED,
            f"{sessions_rule}, / MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK "
            f"{MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK}, rounded up{cross_check}",
        ),
        ("theatre_capacity", "sessions_per_week"): Provenance(
            ESTIMATED,
            f"MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK {MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK} "
            "(docs/assumptions.md)",
        ),
        ("theatre_capacity", "session_minutes"): Provenance(
            ESTIMATED, f"SESSION_MINUTES {SESSION_MINUTES} (GIRFT, docs/assumptions.md)"
        ),
        ("theatre_capacity", "utilisation_target"): Provenance(
            ESTIMATED, f"THEATRE_UTILISATION_CAP {THEATRE_UTILISATION_CAP:.0%} (GIRFT target)"
        ),
        ("bed_capacity", "elective_overnight_beds"): beds_rule,
        ("bed_capacity", "day_case_places"): Provenance(
            ESTIMATED,
            f"{day_case_words} = {day_cases:,.1f}, / (DAY_CASES_PER_PLACE_PER_DAY "
            f"{DAY_CASES_PER_PLACE_PER_DAY:g} x MAIN_SITE_OPERATING_DAYS_PER_WEEK "
            f"{MAIN_SITE_OPERATING_DAYS_PER_WEEK}), rounded up",
        ),
        ("bed_capacity", "occupancy_target"): Provenance(
            ESTIMATED, f"BED_OCCUPANCY_TARGET {BED_OCCUPANCY_TARGET:.0%} (NHS England planning)"
        ),
    }
    return SiteEstimate(
        code=code,
        name=f"{trust.name} (main site)",
        operator_ods_code=trust.ods_code,
        postcode=trust.postcode,
        capacity=SiteCapacity(
            treatment_functions=tfcs,
            theatres=theatres,
            sessions_per_week=MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK,
            session_minutes=SESSION_MINUTES,
            utilisation_target=THEATRE_UTILISATION_CAP,
            elective_overnight_beds=int(beds),
            day_case_places=places,
            occupancy_target=BED_OCCUPANCY_TARGET,
        ),
        provenance=provenance,
    )
