"""The shared workforce rota's assumptions (issue 7), each with its source (docs/assumptions.md).

What a theatre list and a ward shift need, when sessions run, what an hour of each kind of staff
costs, and how the demo's hub staff list is sized. Nothing here is in the NHS files of
`shared/data/nhs`: the workforce file gives each trust's staff in post by staff group (used to
share the demo staff list between the trusts), not who works where and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from ics_capacity.domain.staff import StaffContract, StaffRole

_HSJ_AGENCY_CAP = "https://www.hsj.co.uk/news/dh-reveals-pay-cap-for-agency-staff/5091123.article"
_AFC_PAY_2526 = "https://nhstakehomepaycalculator.co.uk/guides/nhs-pay-bands-explained"
_NICE_SG1 = "https://www.nice.org.uk/guidance/sg1"
_AFPP_STAFFING = "https://www.afpp.org.uk/careers/Standards-Guidance"


@dataclass(frozen=True)
class TeamNeed:
    """How many people of a role one theatre list needs (the skill mix)."""

    role: StaffRole
    per_list: int


THEATRE_TEAM: tuple[TeamNeed, ...] = (
    TeamNeed(StaffRole.SURGEON, 1),
    TeamNeed(StaffRole.ANAESTHETIST, 1),
    TeamNeed(StaffRole.SCRUB, 2),
    TeamNeed(StaffRole.ODP, 1),
)
"""The team one elective theatre list needs; the surgeon must operate in the list's specialty."""

THEATRE_TEAM_SOURCE = (
    "Issue 7 ('a theatre list needs 1 surgeon of its specialty, 1 anaesthetist, 2 scrub, 1 ODP'), "
    "in line with the Association for Perioperative Practice staffing guidance of two scrub "
    f"practitioners and one anaesthetic assistant per operating list ({_AFPP_STAFFING}); the "
    "circulating and recovery staff of the AfPP guidance are not rostered here"
)

THEATRE_DAY_START_MINUTE: int = 8 * 60
"""When the first theatre session of the day starts (08:00)."""

THEATRE_DAY_START_SOURCE = (
    "ASSUMPTION: an 08:00 start of the 10-hour '2.5 session' hub day (GIRFT hub principles, "
    "docs/assumptions.md section 3); trusts' own timetables vary by half an hour either way"
)

WARD_LONG_DAY = (7 * 60 + 30, 750)
"""Ward long day: starts 07:30, lasts 12 h 30 min (750 minutes, with breaks)."""

WARD_NIGHT = (19 * 60 + 30, 750)
"""Ward night: starts 19:30, lasts 12 h 30 min (ends 08:00 the next day)."""

WARD_SHIFTS_SOURCE = (
    "ASSUMPTION: the 12.5-hour long day and night (07:30-20:00, 19:30-08:00) most acute wards "
    "in England roster, with a 30-minute handover overlap; no Black Country roster was found "
    "from this machine"
)

PATIENTS_PER_WARD_NURSE: int = 8
"""Occupied elective beds per registered nurse on a ward shift (day and night)."""

PATIENTS_PER_WARD_NURSE_SOURCE = (
    "NICE safe staffing guideline SG1 (2014): more than 8 patients per registered nurse on day "
    f"shifts is a red flag associated with harm ({_NICE_SG1}); applied to nights too "
    "(ASSUMPTION: SG1 sets no separate night figure)"
)

# Hourly basic pay in pence, 2025/26, by role (the band or grade named beside it).
BASIC_HOURLY_PENCE: dict[StaffRole, int] = {
    StaffRole.SURGEON: 5262,  # consultant, first threshold GBP 109,725 / (52.14 weeks x 40 h)
    StaffRole.ANAESTHETIST: 5262,
    StaffRole.SCRUB: 1978,  # Band 6 entry GBP 38,682 / (52.14 x 37.5 h)
    StaffRole.ODP: 1978,
    StaffRole.WARD_NURSE: 1588,  # Band 5 entry GBP 31,049 / (52.14 x 37.5 h)
}
"""Basic pay an hour, 2025/26, by role, in pence."""

RESIDENT_DOCTOR_BASIC_HOURLY_PENCE: int = 3500
"""Basic pay an hour of a resident (training-grade) anaesthetist, in pence."""

BASIC_PAY_SOURCE = (
    f"Agenda for Change 2025/26 pay tables (3.6% award from 1 April 2025; {_AFC_PAY_2526}): "
    "Band 5 entry GBP 31,049, Band 6 entry GBP 38,682, over 37.5 h weeks; consultant (2003 "
    "contract) first threshold GBP 109,725 over a 40 h (10 PA) week. ASSUMPTION, not verified "
    "here: the resident doctor rate of GBP 35 an hour (a specialty registrar's basic pay over "
    "a 40 h week, before the 2016 contract's enhancements)"
)

SUBSTANTIVE_ON_COST: float = 1.35
"""Employer cost of a substantive hour over basic pay (pension, National Insurance, leave)."""

BANK_ON_COST: float = 1.45
"""Cost of a bank hour over the substantive basic rate."""

AGENCY_ON_COST: float = 1.55
"""Cost of an agency hour over the substantive basic rate: the NHS agency price cap."""

STAFF_COST_SOURCE = (
    "Agency: the NHS agency price cap of 55% above substantive basic pay, which covers agency "
    f"fees, holiday pay, pension and National Insurance (HSJ on the Department of Health rules, "
    f"{_HSJ_AGENCY_CAP}); a floor, since trusts report paying above the cap. ASSUMPTION: "
    "substantive on-costs of 35% (employer pension 23.7% of pensionable pay plus National "
    "Insurance, less the threshold) and bank at 45% (bank staff are paid the band rate plus "
    "holiday accrual and employer costs, with local incentive rates on hard-to-fill shifts), "
    "so that substantive < bank < agency as issue 7 asks"
)

_AGENCY_RULES = (
    "https://www.england.nhs.uk/reducing-expenditure-on-nhs-agency-staff-rules-and-price-caps/"
)

UNFILLED_PENCE: int = 100_000
"""What a place costs in the objective when neither the staff nor a pool fills it."""

BANK_POOL_SHIFTS_PER_WEEK: int = 10
"""Default cap of the bank pool: places a week per site and role."""

AGENCY_POOL_SHIFTS_PER_WEEK: int = 10
"""Default cap of the agency pool: places a week per site and role."""

POOLS_SOURCE = (
    "Agency price cap: NHS Improvement, 'Agency rules' (May 2018), section 5 'Price caps' and "
    "annex 2 'How the price caps are calculated': the total an hour a trust pays for an agency "
    "worker, agency fee included, is capped at the basic pay of the equivalent substantive "
    f"grade plus 55% ({_AGENCY_RULES}). The shared data holds no bank or agency figures: not "
    "the shifts a trust's bank or its agencies can supply, not the rates trusts actually pay "
    "(above the cap under the 'break glass' override), not the bank's rates. ASSUMPTION: a bank "
    "pool and an agency pool of 10 places a week each per site and role, bank at basic pay plus "
    "45% (BANK_ON_COST); a place neither staff nor a pool fills costs GBP 1,000 (UNFILLED_PENCE, "
    "a priority, not money) on top of COVER_FIRST_PENCE, more than any pool's price for a shift"
)

REQUEST_PENCE: int = 2500
"""What the rota pays (in pence) for each weight point of a wish it does not grant."""

FAIRNESS_PENCE: int = 5000
"""What one shift per WTE of spread of nights, weekends or cross-site shifts in a group costs."""

FAIRNESS_BAND_PERCENT: int = 25
"""The band around each person's pro-rata share of the group's nights, weekends, cross-site."""

FAIRNESS_BAND_PENCE: int = 5000
"""What each whole shift a person works outside that band costs."""

TRAVEL_PENCE_PER_MINUTE: int = 38
"""Cost of a minute of one-way travel to a site other than home, counting the way back."""

COVER_FIRST_PENCE: int = 50_000
"""What a place short of staff costs beyond its pool's price, so that staff fill places first."""

PUBLISHED_CHANGE_PENCE: int = 25_000
"""What each change to a published rota's day costs in a re-solve (docs/rota.md, minimal change)."""

OBJECTIVE_PRICES_SOURCE = (
    "ASSUMPTION: the rota's objective is in pence so that its levels trade off openly: a "
    "place short of staff costs COVER_FIRST_PENCE (GBP 500) plus the price of the bank or agency "
    "pool that fills it (issue 7: 'prices the gaps'), or UNFILLED_PENCE when no pool can; a "
    "shift worked costs the person's substantive or bank rate, an "
    "ungranted wish GBP 25 a weight point, each unit of spread of nights, weekends or cross-site "
    "shifts within a staff group GBP 50, and travel the HMRC approved mileage rate of 45p a mile "
    "at 25 mph (18.75p a minute, twice for the way back). GBP 500 is more than one shift can "
    "change the lower levels by (three units of spread, GBP 150; a wish of weight 10, GBP 250; "
    "an hour's round trip, about GBP 23), so cover comes first, then cost, then wishes, fairness "
    "and travel as priced"
)

HUB_STAFF_COVERAGE: float = 0.92
"""Share of the hub sessions' staff-shifts the demo staff list can fill (the rest are gaps)."""

HUB_STAFF_COVERAGE_SOURCE = (
    "ASSUMPTION: the demo's hub staff list is sized to fill 92% of the staff-shifts its sessions "
    "and wards need, counting the whole shifts that fit in each person's contracted week and one "
    "week's leave in 12, so that about 8% are gaps to price, of the order of the registered "
    "nursing vacancy rates in NHS England's quarterly NHS Vacancy Statistics"
)

CONTRACTED_MINUTES_PER_WEEK: dict[StaffContract, int] = {
    StaffContract.AGENDA_FOR_CHANGE: 2250,
    StaffContract.CONSULTANT_2003: 2400,
    StaffContract.RESIDENT_DOCTOR_2016: 2400,
}
"""Full-time contracted minutes a week by contract (37.5 h, 10 PAs of 4 h, 40 h)."""

CONTRACTED_HOURS_SOURCE = (
    "Agenda for Change full-time week of 37.5 hours (NHS terms and conditions of service "
    "handbook, section 10.1, docs/rota.md); consultant contract (2003) of 10 programmed "
    "activities of 4 hours; resident doctors' 2016 contract of 40 hours (ASSUMPTION: the "
    "common basic 40-hour week; rotas may average up to 48). Part-time working comes from the "
    "workforce file: each trust's FTE / headcount in the staff group"
)

RESIDENT_ANAESTHETIST_SHARE: float = 0.25
"""Share of the demo's anaesthetists who are resident (training-grade) doctors."""

RESIDENT_ANAESTHETIST_SHARE_SOURCE = (
    "ASSUMPTION: one anaesthetist in four on elective lists is a resident doctor (the workforce "
    "file excludes resident doctors, so the trusts' own figure is not known here)"
)

BANK_SHARE: float = 0.1
"""Share of the demo's nursing, scrub and ODP staff who work through the trusts' banks."""

BANK_SHARE_SOURCE = (
    "ASSUMPTION: one in ten of the demo's nursing, scrub and ODP places is a bank worker, so "
    "that the rota has a dearer source to draw on before agency"
)

ANNUAL_LEAVE_WEEKS_IN_12: int = 1
"""Weeks of annual leave each demo person takes in every 12 weeks."""

ANNUAL_LEAVE_SOURCE = (
    "Agenda for Change annual leave of 27 days plus 8 public holidays on appointment (section "
    "13, NHS terms and conditions of service handbook) is about 7 weeks a year, one week in "
    "7.4; the demo staggers one week in 12 across the staff (ASSUMPTION: the rest is taken "
    "outside the planning window or as public holidays)"
)

WORKFORCE_GROUP: dict[StaffRole, str] = {
    StaffRole.SURGEON: "HCHS Doctors (exc. Resident doctors and equivalents)",
    StaffRole.ANAESTHETIST: "HCHS Doctors (exc. Resident doctors and equivalents)",
    StaffRole.SCRUB: "Nurses & health visitors",
    StaffRole.ODP: "Scientific, therapeutic & technical staff",
    StaffRole.WARD_NURSE: "Nurses & health visitors",
}
"""The workforce file's staff group each rota role is drawn from (shares between trusts)."""

WORKFORCE_GROUP_SOURCE = (
    "NHS workforce turnover benchmarking, November 2025 (shared/data/nhs): staff in post by "
    "staff group. Operating department practitioners are registered allied health "
    "professionals, counted under 'Scientific, therapeutic & technical staff'"
)

GRADE: dict[StaffRole, str] = {
    StaffRole.SURGEON: "Consultant",
    StaffRole.ANAESTHETIST: "Consultant",
    StaffRole.SCRUB: "Band 6",
    StaffRole.ODP: "Band 6",
    StaffRole.WARD_NURSE: "Band 5",
}
"""The grade the demo gives each role (resident anaesthetists are 'Specialty registrar')."""

ROTA_CONSTANTS: dict[str, float] = {
    "THEATRE_DAY_START_MINUTE": THEATRE_DAY_START_MINUTE,
    "PATIENTS_PER_WARD_NURSE": PATIENTS_PER_WARD_NURSE,
    "SUBSTANTIVE_ON_COST": SUBSTANTIVE_ON_COST,
    "BANK_ON_COST": BANK_ON_COST,
    "AGENCY_ON_COST": AGENCY_ON_COST,
    "RESIDENT_DOCTOR_BASIC_HOURLY_PENCE": RESIDENT_DOCTOR_BASIC_HOURLY_PENCE,
    "REQUEST_PENCE": REQUEST_PENCE,
    "FAIRNESS_PENCE": FAIRNESS_PENCE,
    "FAIRNESS_BAND_PERCENT": FAIRNESS_BAND_PERCENT,
    "FAIRNESS_BAND_PENCE": FAIRNESS_BAND_PENCE,
    "TRAVEL_PENCE_PER_MINUTE": TRAVEL_PENCE_PER_MINUTE,
    "COVER_FIRST_PENCE": COVER_FIRST_PENCE,
    "PUBLISHED_CHANGE_PENCE": PUBLISHED_CHANGE_PENCE,
    "UNFILLED_PENCE": UNFILLED_PENCE,
    "BANK_POOL_SHIFTS_PER_WEEK": BANK_POOL_SHIFTS_PER_WEEK,
    "AGENCY_POOL_SHIFTS_PER_WEEK": AGENCY_POOL_SHIFTS_PER_WEEK,
    "HUB_STAFF_COVERAGE": HUB_STAFF_COVERAGE,
    "RESIDENT_ANAESTHETIST_SHARE": RESIDENT_ANAESTHETIST_SHARE,
    "BANK_SHARE": BANK_SHARE,
    "ANNUAL_LEAVE_WEEKS_IN_12": ANNUAL_LEAVE_WEEKS_IN_12,
}
"""The rota's scalar assumptions by name, as docs/assumptions.md section 9 lists them."""

ROTA_SOURCES: tuple[str, ...] = (
    THEATRE_TEAM_SOURCE,
    THEATRE_DAY_START_SOURCE,
    WARD_SHIFTS_SOURCE,
    PATIENTS_PER_WARD_NURSE_SOURCE,
    BASIC_PAY_SOURCE,
    STAFF_COST_SOURCE,
    OBJECTIVE_PRICES_SOURCE,
    POOLS_SOURCE,
    HUB_STAFF_COVERAGE_SOURCE,
    CONTRACTED_HOURS_SOURCE,
    RESIDENT_ANAESTHETIST_SHARE_SOURCE,
    BANK_SHARE_SOURCE,
    ANNUAL_LEAVE_SOURCE,
    WORKFORCE_GROUP_SOURCE,
)
