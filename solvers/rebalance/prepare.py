"""Data preparation: an instance as index-based arrays for the model and the baselines.

`check.py` deliberately does not use it, so that it checks results independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from solvers.rebalance.inputs import (
    RESOURCE_BEDS,
    RESOURCE_CASES,
    RESOURCE_DAY_CASES,
    RESOURCE_OUTPATIENT,
    RESOURCE_THEATRE,
    STAGE_ADMITTED,
    STAGE_NON_ADMITTED,
    WAIT_BANDS,
    HubKind,
    Queue,
    RebalanceInput,
)

# --- Data preparation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One first-come-first-served list: a queue's routine patients, or its clinical-priority ones.

    Cohorts are served oldest first: backlog bands from 104 down to 0, then each week's arrivals.
    """

    queue: int
    priority: bool
    backlog: np.ndarray  # patients by wait band at the start, length WAIT_BANDS
    arrivals: np.ndarray  # patients joining in each 0-based week of the horizon

    def arrived_by(self, week: int) -> float:
        """Patients who have joined the list by the end of 0-based `week` (backlog included)."""
        return float(self.backlog.sum()) + float(self.arrivals[: week + 1].sum())

    def over(self, week: int, over_weeks: int) -> float:
        """Patients, of those arrived, waiting `over_weeks` weeks or more at the end of `week`.

        A backlog patient in band b is in band b + week + 1 at the end of `week`; a patient who
        joined in week s is in band week - s.
        """
        first_band = max(0, over_weeks - week - 1)
        backlog = float(self.backlog[first_band:].sum()) if first_band < WAIT_BANDS else 0.0
        return backlog + float(self.arrivals[: max(0, week - over_weeks + 1)].sum())

    def cohorts(self, weeks: int) -> tuple[np.ndarray, np.ndarray]:
        """Cohort sizes oldest first, and each cohort's wait band at the end of week 0 (0-based).

        A cohort's band at the end of 0-based week w is that value + w: backlog band b gives
        b + 1; patients joining in 0-based week s give -s (band 0 at the end of their week).
        """
        bands = np.arange(WAIT_BANDS, 0, -1)
        sizes = self.backlog[::-1]
        arrivals = self.arrivals[:weeks]
        return np.concatenate([sizes, arrivals]), np.concatenate([bands, -np.arange(weeks)])


@dataclass(frozen=True)
class Arc:
    """A way a queue's patients can be treated: at this hub, with this travel and level-3 cost."""

    queue: int
    hub: int
    travel_minutes: float
    own_site: bool
    independent: bool
    cost: float


@dataclass(frozen=True)
class Resource:
    """One limited resource of one hub: capacity a week and use per case by treatment function."""

    hub: int
    name: str
    unit: str
    capacity_per_week: float  # usual capacity a week
    per_case: np.ndarray  # resource used by one patient, by queue slot (`Prepared.queue_tfc`)
    unit_size: float  # resource a week that one more `unit` adds
    capacity_by_week: np.ndarray  # capacity open in each 0-based week (usual x hub factor)


@dataclass
class Prepared:
    """Index-based arrays of an instance, for the model and the baselines."""

    data: RebalanceInput
    weeks: int
    periods: list[tuple[int, int]]
    tfcs: list[str]
    queues: list[Queue]
    queue_tfc: np.ndarray  # the queue's slot in `Resource.per_case` (see `prepare`)
    pressure_denominator: np.ndarray  # max(demand, floor) x target / 2, per queue
    streams: list[Stream]
    streams_of_queue: list[list[int]]
    arcs: list[Arc]
    arcs_of_queue: list[list[int]]
    resources: list[Resource]
    resources_of_hub: list[list[int]]
    stranded: list[int] = field(default_factory=list)
    thresholds: list[tuple[int, float]] = field(default_factory=list)
    real_weeks: bool = False  # some week's capacity or demand differs from the usual

    def pairs(self, arc_ids: Sequence[int] | None = None) -> list[tuple[int, int]]:
        """(stream, arc) pairs: every way each stream can be treated, limited to `arc_ids`."""
        allowed = set(range(len(self.arcs))) if arc_ids is None else set(arc_ids)
        return [
            (s, a)
            for s, stream in enumerate(self.streams)
            for a in self.arcs_of_queue[stream.queue]
            if a in allowed
        ]

    def queue_label(self, q: int) -> str:
        """'RL4 C_110', or 'RL4 C_110 non-admitted' for a non-admitted list."""
        return queue_label(self.queues[q])


def queue_label(queue: Queue) -> str:
    """'RL4 C_110', or 'RL4 C_110 non-admitted' for a non-admitted list."""
    label = f"{queue.provider} {queue.tfc}"
    return label if queue.stage == STAGE_ADMITTED else f"{label} non-admitted"


def plan_periods(weeks: int, period_weeks: int) -> list[tuple[int, int]]:
    """0-based (first week, last week) of each period; the last period may be shorter."""
    return [(s, min(s + period_weeks, weeks) - 1) for s in range(0, weeks, period_weeks)]


def prepare(data: RebalanceInput) -> Prepared:
    """Indexes the instance: streams per queue, allowed arcs, resources per hub.

    A hub is allowed for a queue when it treats the queue's treatment function and either the
    provider runs it or it is within the travel limit. Queues with nothing to treat are dropped;
    queues with no allowed hub are kept and listed as `stranded`. A non-admitted list is allowed
    only at hubs whose clinics see its treatment function (`outpatient_per_week` above 0).

    Resource use is indexed by slot: treatment function i of the case mix is slot i for
    admitted lists and slot n + i for non-admitted ones (n functions), so that theatres, beds,
    day-case places and case caps are used only by admitted lists and clinics only by
    non-admitted ones, with one `per_case` array per resource.
    """
    s = data.settings
    tfcs = [c.tfc for c in data.case_mix]
    tfc_index = {t: i for i, t in enumerate(tfcs)}
    n_tfc = len(tfcs)
    case_mix = {c.tfc: c for c in data.case_mix}
    hubs = data.hubs
    queues = [q for q in data.queues if q.waiting > 0 or q.weekly_demand > 0]
    weeks = s.horizon_weeks
    demand_factor = np.array([data.demand_factor(w) for w in range(weeks)])
    streams: list[Stream] = []
    streams_of_queue: list[list[int]] = []
    for qi, q in enumerate(queues):
        backlog = np.zeros(WAIT_BANDS)
        backlog[: len(q.waiting_list)] = q.waiting_list
        ids = [len(streams)]
        routine = demand_factor * q.weekly_demand * (1 - s.priority_share)
        streams.append(Stream(qi, False, backlog, routine))
        if s.priority_share > 0 and q.weekly_demand > 0:
            ids.append(len(streams))
            priority = demand_factor * q.weekly_demand * s.priority_share
            streams.append(Stream(qi, True, np.zeros(WAIT_BANDS), priority))
        streams_of_queue.append(ids)

    arcs: list[Arc] = []
    arcs_of_queue: list[list[int]] = []
    for qi, q in enumerate(queues):
        mine: list[int] = []
        travel = data.travel_minutes.get(q.provider, {})
        clinic = q.stage == STAGE_NON_ADMITTED
        for hi, h in enumerate(hubs):
            if clinic and h.outpatient_per_week.get(q.tfc, 0.0) <= 0:
                continue
            if not clinic and q.tfc not in h.treatment_functions:
                continue
            own = h.operator == q.provider
            minutes = travel.get(h.id)
            if not own and (minutes is None or minutes > s.max_travel_minutes):
                continue
            if not clinic and h.cases_per_week.get(q.tfc, math.inf) <= 0:
                continue
            minutes = float(minutes or 0.0)
            independent = h.kind == HubKind.INDEPENDENT_SECTOR
            cost = (
                s.travel_weight_per_minute * minutes
                + (0.0 if own else s.transfer_weight)
                + (s.independent_sector_weight if independent else 0.0)
            )
            mine.append(len(arcs))
            arcs.append(Arc(qi, hi, minutes, own, independent, cost))
        arcs_of_queue.append(mine)

    resources: list[Resource] = []
    resources_of_hub: list[list[int]] = []
    for hi, h in enumerate(hubs):
        mine = []
        factor = np.array([h.capacity_factor(w) for w in range(weeks)])

        def add(name: str, unit: str, capacity: float, per_case: np.ndarray, size: float) -> None:
            mine.append(len(resources))  # noqa: B023 - used immediately, inside the loop
            weekly = capacity * factor  # noqa: B023
            if len(per_case) == n_tfc:  # an admitted resource: no use by non-admitted slots
                per_case = np.concatenate([per_case, np.zeros(n_tfc)])
            resources.append(Resource(hi, name, unit, capacity, per_case, size, weekly))  # noqa: B023

        treats = np.array([t in h.treatment_functions for t in tfcs], dtype=float)
        if h.theatre is not None:
            per_case = treats * np.array([case_mix[t].minutes_per_case for t in tfcs])
            add(
                RESOURCE_THEATRE,
                "session",
                h.theatre.minutes_per_week,
                per_case,
                h.theatre.minutes_per_session,
            )
        if h.beds is not None:
            per_case = treats * np.array([case_mix[t].bed_days_per_case for t in tfcs])
            add(RESOURCE_BEDS, "bed", h.beds.bed_days_per_week, per_case, h.beds.bed_days_per_bed)
        if h.day_case is not None:
            per_case = treats * np.array([case_mix[t].day_case_rate for t in tfcs])
            add(
                RESOURCE_DAY_CASES,
                "day-case place",
                h.day_case.day_cases_per_week,
                per_case,
                h.day_case.patients_per_place_per_week,
            )
        for t, cap in sorted(h.cases_per_week.items()):
            per_case = np.zeros(len(tfcs))
            per_case[tfc_index[t]] = 1.0
            add(f"{RESOURCE_CASES}:{t}", "case", cap, per_case, 1.0)
        for t, cap in sorted(h.outpatient_per_week.items()):
            per_case = np.zeros(2 * n_tfc)
            per_case[n_tfc + tfc_index[t]] = 1.0
            add(f"{RESOURCE_OUTPATIENT}:{t}", "appointment", cap, per_case, 1.0)
        resources_of_hub.append(mine)

    demand = np.array([max(q.weekly_demand, s.demand_floor_per_week) for q in queues])
    return Prepared(
        data=data,
        weeks=weeks,
        periods=plan_periods(s.horizon_weeks, s.period_weeks),
        tfcs=tfcs,
        queues=queues,
        queue_tfc=np.array(
            [tfc_index[q.tfc] + (n_tfc if q.stage == STAGE_NON_ADMITTED else 0) for q in queues],
            dtype=int,
        ),
        pressure_denominator=demand * s.target_wait_weeks / 2.0,
        streams=streams,
        streams_of_queue=streams_of_queue,
        arcs=arcs,
        arcs_of_queue=arcs_of_queue,
        resources=resources,
        resources_of_hub=resources_of_hub,
        stranded=[qi for qi, a in enumerate(arcs_of_queue) if not a],
        thresholds=sorted((w.over_weeks, w.weight) for w in s.long_wait_weights if w.weight > 0),
        real_weeks=bool(
            np.any(demand_factor != 1.0)
            or any(np.any(r.capacity_by_week != r.capacity_per_week) for r in resources)
        ),
    )
