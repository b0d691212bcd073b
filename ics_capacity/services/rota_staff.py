"""The demo's hub staff list: who may be rostered onto the two elective hubs' lists and wards.

No published file says who works at a hub, so the demo builds a staff list of role labels (not
people) sized to the hubs' sessions and wards at `HUB_STAFF_COVERAGE` (docs/assumptions.md, 9),
shared between the four trusts in proportion to each trust's staff in post in the matching staff
group of the NHS workforce file (November 2025), and working part-time as each trust's FTE /
headcount says. Everyone may work at their trust's main site and at both hubs (the collaborative's
passporting agreement, an assumption named there too).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    CollaborativeMember,
    Organisation,
    RotaLeave,
    RotaStaff,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TreatmentFunction,
    Workforce,
)
from ics_capacity.domain.assumptions import HUB_OPERATING_DAYS_PER_WEEK
from ics_capacity.domain.rota_assumptions import (
    ANNUAL_LEAVE_WEEKS_IN_12,
    BANK_SHARE,
    CONTRACTED_MINUTES_PER_WEEK,
    GRADE,
    HUB_STAFF_COVERAGE,
    PATIENTS_PER_WARD_NURSE,
    RESIDENT_ANAESTHETIST_SHARE,
    THEATRE_TEAM,
    WARD_LONG_DAY,
    WORKFORCE_GROUP,
)
from ics_capacity.domain.staff import Employment, StaffContract, StaffRole
from ics_capacity.importers.problems import ImportProblem
from ics_capacity.importers.rota_staff import StaffRow
from ics_capacity.services.rota_people import hourly_cost_pence
from ics_capacity.services.rota_problem import _largest_remainder
from ics_capacity.services.rota_settings import STAFF_ROLE_LABELS
from ics_capacity.services.rota_snapshot import admitted_waiting_by_tfc, site_capacity

ROLE_CODES = {
    StaffRole.SURGEON: "SUR",
    StaffRole.ANAESTHETIST: "ANA",
    StaffRole.SCRUB: "SCR",
    StaffRole.ODP: "ODP",
    StaffRole.WARD_NURSE: "NUR",
}
LEAVE_BLOCKS = 5  # 5 x 12 weeks of staggered leave: any rota starting within the year has some
SOURCE = "Demo hub staff list, sized and shared as docs/assumptions.md section 9 says"


def add_demo_rota_staff(
    session: Session, scenario: Scenario, first_monday: dt.date, user: str
) -> int:
    """Adds the demo hub staff list and staggered annual leave to the scenario; returns people."""
    sites = session.exec(select(Site).where(Site.scenario_id == scenario.id)).all()
    hubs = [s for s in sites if s.is_elective_hub]
    orgs = {o.id: o.ods_code for o in session.exec(select(Organisation)).all()}
    main_site = {orgs[s.operator_id]: s.code for s in sites if not s.is_elective_hub}
    shares, ratios = _trust_shares(session, scenario, set(main_site))
    wanted = _people_needed(session, scenario, hubs, ratios)
    hub_codes = [h.code for h in hubs]
    count = 0
    serial: dict[tuple[str, StaffRole], int] = defaultdict(int)
    for (role, skill), people in sorted(wanted.items()):
        per_trust = _largest_remainder(people, shares[role])
        for trust, n in sorted(per_trust.items()):
            for _ in range(n):
                serial[trust, role] += 1
                number = serial[trust, role]
                contract = StaffContract.AGENDA_FOR_CHANGE
                grade = GRADE[role]
                if role in (StaffRole.SURGEON, StaffRole.ANAESTHETIST):
                    contract = StaffContract.CONSULTANT_2003
                    if (
                        role is StaffRole.ANAESTHETIST
                        and number % round(1 / RESIDENT_ANAESTHETIST_SHARE) == 0
                    ):
                        contract, grade = StaffContract.RESIDENT_DOCTOR_2016, "Specialty registrar"
                bank = (
                    contract is StaffContract.AGENDA_FOR_CHANGE
                    and number % round(1 / BANK_SHARE) == 0
                )
                employment = Employment.BANK if bank else Employment.SUBSTANTIVE
                full = CONTRACTED_MINUTES_PER_WEEK[contract]
                minutes = max(30, round(full * ratios[role].get(trust, 1.0) / 30) * 30)
                code = f"{trust}-{ROLE_CODES[role]}-{number:02d}"
                label = f"{STAFF_ROLE_LABELS[role]} {trust}-{number:02d}" + (
                    f" ({skill})" if skill else ""
                )
                person = RotaStaff(
                    scenario_id=scenario.id,
                    code=code,
                    label=label + (" · bank" if bank else ""),
                    organisation_id=next(i for i, c in orgs.items() if c == trust),
                    home_site_code=main_site[trust],
                    staff_group=WORKFORCE_GROUP[role],
                    role=role,
                    grade=grade,
                    contract=contract,
                    employment=employment,
                    skills=skill,
                    sites=",".join([main_site[trust], *hub_codes]),
                    contracted_minutes_per_week=minutes,
                    hourly_cost_pence=hourly_cost_pence(role, contract, employment),
                    source=SOURCE,
                    updated_by=user,
                )
                session.add(person)
                session.flush()
                _add_leave(session, person.id, count, first_monday)
                count += 1
    return count


def _add_leave(session: Session, staff_id: int, index: int, first_monday: dt.date) -> None:
    """One week of annual leave in every 12, staggered so that not everyone is off together."""
    week = (index * 5) % 12
    for block in range(LEAVE_BLOCKS):
        start = first_monday + dt.timedelta(weeks=block * 12 + week)
        session.add(
            RotaLeave(
                staff_id=staff_id,
                start_date=start,
                end_date=start + dt.timedelta(days=7 * ANNUAL_LEAVE_WEEKS_IN_12 - 1),
                kind="annual_leave",
            )
        )


def _trust_shares(
    session: Session, scenario: Scenario, trusts: set[str]
) -> tuple[dict[StaffRole, dict[str, float]], dict[StaffRole, dict[str, float]]]:
    """Each trust's FTE in each role's staff group, and its FTE / headcount there."""
    orgs = {o.id: o.ods_code for o in session.exec(select(Organisation)).all()}
    rows = session.exec(select(Workforce).where(Workforce.scenario_id == scenario.id)).all()
    fte: dict[str, dict[str, float]] = defaultdict(dict)
    ratio: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        trust = orgs[row.organisation_id]
        if trust in trusts and row.headcount > 0:
            fte[row.staff_group][trust] = float(row.fte)
            ratio[row.staff_group][trust] = min(1.0, float(row.fte) / row.headcount)
    shares = {
        role: fte.get(group, dict.fromkeys(trusts, 1.0)) for role, group in WORKFORCE_GROUP.items()
    }
    ratios = {role: ratio.get(group, {}) for role, group in WORKFORCE_GROUP.items()}
    return shares, ratios


def _people_needed(
    session: Session,
    scenario: Scenario,
    hubs: list[Site],
    ratios: dict[StaffRole, dict[str, float]],
) -> dict[tuple[StaffRole, str], int]:
    """People per (role, specialty) to staff `HUB_STAFF_COVERAGE` of the hubs' weekly work."""
    theatres, beds = site_capacity(session, scenario.id)
    waiting = admitted_waiting_by_tfc(session, scenario.id)
    minutes: dict[tuple[StaffRole, str], float] = defaultdict(float)
    shift_minutes: dict[StaffRole, float] = {StaffRole.WARD_NURSE: WARD_LONG_DAY[1]}
    for hub in hubs:
        theatre = theatres.get(hub.id)
        if theatre is not None and theatre.theatres > 0:
            day_minutes = (
                theatre.sessions_per_week * theatre.session_minutes / HUB_OPERATING_DAYS_PER_WEEK
            )
            week_minutes = theatre.theatres * HUB_OPERATING_DAYS_PER_WEEK * day_minutes
            for need in THEATRE_TEAM:
                shift_minutes[need.role] = day_minutes
            tfcs = sorted(
                session.exec(
                    select(SiteTreatmentFunction.tfc).where(SiteTreatmentFunction.site_id == hub.id)
                ).all()
            )
            per_tfc = _largest_remainder(
                theatre.theatres, {t: float(waiting.get(t, 0)) for t in tfcs}
            )
            for tfc, lists in per_tfc.items():
                minutes[StaffRole.SURGEON, tfc] += lists * HUB_OPERATING_DAYS_PER_WEEK * day_minutes
            for need in THEATRE_TEAM:
                if need.role is not StaffRole.SURGEON:
                    minutes[need.role, ""] += need.per_list * week_minutes
        bed = beds.get(hub.id)
        if bed is not None and bed.elective_overnight_beds > 0:
            nurses = math.ceil(
                bed.elective_overnight_beds * float(bed.occupancy_target) / PATIENTS_PER_WARD_NURSE
            )
            minutes[StaffRole.WARD_NURSE, ""] += nurses * 2 * 7 * WARD_LONG_DAY[1]
    wanted = {}
    for (role, skill), total in minutes.items():
        contract = (
            StaffContract.CONSULTANT_2003
            if role in (StaffRole.SURGEON, StaffRole.ANAESTHETIST)
            else StaffContract.AGENDA_FOR_CHANGE
        )
        mean_ratio = sum(ratios[role].values()) / len(ratios[role]) if ratios[role] else 1.0
        contracted = CONTRACTED_MINUTES_PER_WEEK[contract] * mean_ratio
        # Whole shifts fit in a contracted week, and one week in 12 is leave.
        shift = shift_minutes[role]
        usable = max(1, math.floor(contracted / shift)) * shift
        usable *= 1 - ANNUAL_LEAVE_WEEKS_IN_12 / 12
        people = round(total * HUB_STAFF_COVERAGE / usable)
        if people > 0:
            wanted[role, skill] = people
    return wanted


# --- A collaborative's own staff list (import kind "rota_staff") -------------------------------


def check_staff_rows(
    session: Session, scenario: Scenario, rows: list[StaffRow], file: str
) -> list[ImportProblem]:
    """Every way the rows do not fit the scenario: unknown trusts, sites or specialties."""
    orgs = {
        o.ods_code
        for o in session.exec(
            select(Organisation)
            .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
            .where(CollaborativeMember.collaborative_id == scenario.collaborative_id)
        ).all()
    }
    sites = set(session.exec(select(Site.code).where(Site.scenario_id == scenario.id)).all())
    tfcs = set(session.exec(select(TreatmentFunction.code)).all())
    problems = []
    for r in rows:
        if r.trust not in orgs:
            problems.append(
                ImportProblem(
                    file, r.row, "trust", r.trust, "is not a member trust of this collaborative."
                )
            )
        if r.home_site not in sites:
            problems.append(
                ImportProblem(
                    file, r.row, "home site", r.home_site, "is not a site of this scenario."
                )
            )
        unknown = [s for s in r.sites if s not in sites]
        if unknown:
            problems.append(
                ImportProblem(
                    file,
                    r.row,
                    "sites",
                    ";".join(unknown),
                    f"are not sites of this scenario ({', '.join(sorted(sites))}).",
                )
            )
        if r.role is StaffRole.SURGEON:
            bad = [t for t in r.skills if t not in tfcs]
            if bad or not r.skills:
                problems.append(
                    ImportProblem(
                        file,
                        r.row,
                        "skills",
                        ";".join(bad),
                        "must list the surgeon's RTT treatment functions (e.g. C_110).",
                    )
                )
    return problems


def replace_rota_staff(
    session: Session, scenario: Scenario, rows: list[StaffRow], user: str
) -> int:
    """Makes the scenario's staff list the file's: updates people by code, adds, removes.

    People who stay keep their row (and so their rota locks); each one's leave becomes the file's.

    Returns:
        The number of people in the list.
    """
    orgs = {o.ods_code: o.id for o in session.exec(select(Organisation)).all()}
    existing = {
        p.code: p
        for p in session.exec(select(RotaStaff).where(RotaStaff.scenario_id == scenario.id)).all()
    }
    for code in set(existing) - {r.code for r in rows}:
        session.delete(existing[code])
    session.flush()
    for r in rows:
        person = existing.get(r.code) or RotaStaff(scenario_id=scenario.id, code=r.code)
        person.label, person.organisation_id = r.label, orgs[r.trust]
        person.home_site_code, person.role, person.grade = r.home_site, r.role, r.grade
        person.contract, person.employment = r.contract, r.employment
        person.staff_group = WORKFORCE_GROUP[r.role]
        person.skills, person.sites = ",".join(r.skills), ",".join(r.sites)
        person.contracted_minutes_per_week = r.contracted_minutes_per_week
        person.hourly_cost_pence = (
            r.hourly_cost_pence
            if r.hourly_cost_pence is not None
            else hourly_cost_pence(r.role, r.contract, r.employment)
        )
        person.source, person.updated_by = "Imported staff list", user
        session.add(person)
        session.flush()
        session.execute(sa.delete(RotaLeave).where(RotaLeave.staff_id == person.id))
        session.add_all(
            RotaLeave(staff_id=person.id, start_date=start, end_date=end, kind="annual_leave")
            for start, end in r.leave
        )
    session.flush()
    return len(rows)
