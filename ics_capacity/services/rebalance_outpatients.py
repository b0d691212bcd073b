"""The stage before the first outpatient appointment in a scenario's rebalancing instance.

Optional per run (docs/assumptions.md, "Transfer before the first outpatient appointment"):

* each member trust's non-admitted list by wait band is RTT `Part_2` minus `Part_2A` (everyone
  waiting without a decision to admit), and its weekly demand the non-admitted completions a
  week (`Part_1B`), the list's throughput today;
* each trust's main site gets outpatient clinics seeing `clinic_factor` x those completions a week
  per treatment function; elective hubs and independent providers get none.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlmodel import Session, col, select

from ics_capacity.db.models import CaseMix, Organisation, RttActivity, Site, WaitingList
from ics_capacity.domain.assumptions import CLINIC_CAPACITY_FACTOR, MAX_CLINIC_CAPACITY_FACTOR
from ics_capacity.domain.errors import InvalidInputError
from solvers.rebalance.schema import STAGE_NON_ADMITTED, WAIT_BANDS, Hub, Queue

ADMITTED_PART = "Part_2A"
WHOLE_LIST_PART = "Part_2"


@dataclass(frozen=True)
class Outpatients:
    """The stage before the first outpatient appointment, as one run asks for it.

    `clinic_factor` scales each trust's outpatient clinics: 1 = the non-admitted completions a
    week the trust achieves today (`Part_1B`), 1.1 = a tenth more clinic appointments.
    """

    clinic_factor: float = CLINIC_CAPACITY_FACTOR

    def __post_init__(self) -> None:
        if not (0 <= self.clinic_factor <= MAX_CLINIC_CAPACITY_FACTOR):
            raise InvalidInputError(
                f"Clinic capacity factor: {self.clinic_factor:g} must be between 0 and "
                f"{MAX_CLINIC_CAPACITY_FACTOR:g}."
            )


def per_week(count: float, row: RttActivity) -> float:
    """A monthly count as a weekly rate: count x 7 / days in the month."""
    return count * 7.0 / calendar.monthrange(row.period.year, row.period.month)[1]


def non_admitted_queues(
    session: Session,
    scenario_id: int,
    members: list[Organisation],
    case_mix: dict[str, CaseMix],
    activity: dict[tuple[int, str], RttActivity],
) -> list[Queue]:
    """Each member's non-admitted list by wait band (Part_2 - Part_2A) and its weekly demand.

    The RTT extract does not separate those waiting for a first appointment from those between
    outpatient steps; the difference holds everyone without a decision to admit. A band where
    Part_2A exceeds Part_2 (rounding in the published extract) counts 0. Weekly demand is the
    non-admitted completions a week (Part_1B): the list's throughput today, taken as its
    steady-state demand because the clock starts that stay non-admitted are not published.
    """
    whole: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0] * WAIT_BANDS)
    admitted: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0] * WAIT_BANDS)
    nobody = [0.0] * WAIT_BANDS
    for band in session.exec(
        select(WaitingList).where(
            WaitingList.scenario_id == scenario_id,
            col(WaitingList.part).in_([WHOLE_LIST_PART, ADMITTED_PART]),
            col(WaitingList.organisation_id).in_([m.id for m in members]),
        )
    ).all():
        if band.tfc in case_mix:
            into = whole if band.part == WHOLE_LIST_PART else admitted
            into[(band.organisation_id, band.tfc)][band.wait_band_weeks] += band.patients
    queues = []
    for member in members:
        for tfc in sorted(case_mix):
            key = (cast(int, member.id), tfc)
            flow = activity.get(key)
            demand = round(per_week(flow.completed_non_admitted, flow), 3) if flow else 0.0
            bands = [
                max(0.0, a - b)
                for a, b in zip(whole.get(key, nobody), admitted.get(key, nobody), strict=True)
            ]
            while bands and bands[-1] == 0:
                bands = bands[:-1]
            if not bands and demand == 0:
                continue
            queues.append(
                Queue(
                    provider=member.ods_code,
                    tfc=tfc,
                    stage=STAGE_NON_ADMITTED,
                    waiting_list=bands,
                    weekly_demand=demand,
                )
            )
    return queues


def with_clinics(
    hubs: list[Hub],
    members: list[Organisation],
    sites: Sequence[Site],
    orgs: dict[int, Organisation],
    activity: dict[tuple[int, str], RttActivity],
    tfcs: set[str],
    factor: float,
) -> list[Hub]:
    """Each member's main site with clinics seeing `factor` x its non-admitted completions a week.

    Elective hubs and independent providers get no clinics: the data hold no outpatient
    capacity for them (docs/assumptions.md).
    """
    clinics: dict[str, dict[str, float]] = {}
    for member in members:
        main = _main_site(member, sites, orgs)
        if main is None:
            continue
        weekly = {
            tfc: round(per_week(row.completed_non_admitted, row) * factor, 3)
            for (org_id, tfc), row in activity.items()
            if org_id == member.id and tfc in tfcs and row.completed_non_admitted > 0
        }
        clinics[main.code] = dict(sorted(weekly.items()))
    return [
        hub.model_copy(update={"outpatient_per_week": clinics[hub.id]})
        if hub.id in clinics
        else hub
        for hub in hubs
    ]


def _main_site(
    member: Organisation, sites: Sequence[Site], orgs: dict[int, Organisation]
) -> Site | None:
    """The member's main acute site: its first site that is not an elective hub (else any)."""
    own = [s for s in sites if orgs[s.operator_id].ods_code == member.ods_code]
    main = [s for s in own if not s.is_elective_hub] or own
    return main[0] if main else None
