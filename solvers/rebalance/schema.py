"""What the rebalancing optimiser takes and returns, and the data preparation before the model.

The input (`RebalanceInput`) is a whole instance: providers, their waiting lists by treatment
function and weekly wait band, weekly new demand, the sites that can treat them ("hubs": elective
hubs, trusts' main sites and independent-sector providers) with their theatre minutes, overnight
beds, day-case places and per-case caps, the case mix, travel minutes from each provider's
population to each hub, and the settings (horizon, travel limit, pressure target, weights).
Everything is validated on construction and every problem is reported, not only the first.

Weeks are 1-based in everything a person reads (results, messages) and 0-based inside the model.
Real weeks differ: each hub's `capacity_factor_by_week` scales all its resources week by week
(0 = closed, 0.8 = a week with a bank holiday, a ramp while it opens) and the instance's
`demand_factor_by_week` scales every list's weekly demand (seasonality and growth). Both default
to 1 in every week; `weekly_demand` stays the list's usual demand, which pressure is measured by.
Wait band n holds patients waiting more than n and up to n + 1 weeks, as the RTT extract counts
them; band 104 holds everyone over 104 weeks. Patient counts are planned (expected) numbers of
patients and may be fractional: this is a weekly capacity plan, not a booking list.

`prepare` turns an input into index-based arrays (`Prepared`) for `model.py` and `baselines.py`;
`check.py` deliberately does not use it, so that it checks results independently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from solvers.common import SolveStats, Status

WAIT_BANDS = 105
"""Wait bands 0..104 (band 104 holds everyone over 104 weeks)."""

MAX_HORIZON_WEEKS = 104
RESOURCE_THEATRE = "theatre_minutes"
RESOURCE_BEDS = "overnight_bed_days"
RESOURCE_DAY_CASES = "day_cases"
RESOURCE_CASES = "cases"  # per-treatment-function caps, written "cases:C_110"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- Input -----------------------------------------------------------------------------------


class ProviderKind(StrEnum):
    """Whether a provider is an NHS trust or an independent-sector provider."""

    NHS_TRUST = "nhs_trust"
    INDEPENDENT_SECTOR = "independent_sector"


class HubKind(StrEnum):
    """What kind of site a hub is."""

    ELECTIVE_HUB = "elective_hub"
    MAIN_SITE = "main_site"
    INDEPENDENT_SECTOR = "independent_sector"


class Provider(_Frozen):
    """An organisation whose patients wait (an NHS trust), or that runs a hub."""

    id: str = Field(min_length=1, max_length=20, description="ODS code, e.g. RL4.")
    name: str = ""
    kind: ProviderKind = ProviderKind.NHS_TRUST


class CaseMix(_Frozen):
    """What one case of a treatment function needs: theatre minutes, overnight stay, day case."""

    tfc: str = Field(min_length=1, max_length=6, description="RTT treatment function, e.g. C_110.")
    minutes_per_case: float = Field(gt=0, le=1440, description="In-theatre minutes per case.")
    length_of_stay_days: float = Field(
        ge=0, le=365, description="Mean nights of the patients who stay overnight."
    )
    day_case_rate: float = Field(ge=0, le=1, description="Share treated as day cases.")

    @property
    def bed_days_per_case(self) -> float:
        """Overnight bed-days one case uses on average: (1 - day-case rate) x length of stay."""
        return (1.0 - self.day_case_rate) * self.length_of_stay_days


class TheatreCapacity(_Frozen):
    """Elective theatres: minutes a week = theatres x sessions x minutes x utilisation cap."""

    theatres: float = Field(ge=0)
    sessions_per_theatre_per_week: float = Field(ge=0, le=21)
    session_minutes: float = Field(240, gt=0, le=720)
    utilisation_cap: float = Field(0.85, gt=0, le=1)

    @property
    def minutes_per_week(self) -> float:
        """Usable theatre minutes a week."""
        return (
            self.theatres
            * self.sessions_per_theatre_per_week
            * self.session_minutes
            * self.utilisation_cap
        )

    @property
    def minutes_per_session(self) -> float:
        """Usable minutes one more session a week would add."""
        return self.session_minutes * self.utilisation_cap


class BedCapacity(_Frozen):
    """Elective overnight beds: bed-days a week = beds x 7 x occupancy cap."""

    overnight_beds: float = Field(ge=0)
    occupancy_cap: float = Field(0.92, gt=0, le=1)

    @property
    def bed_days_per_week(self) -> float:
        """Overnight bed-days a week the beds can give at the occupancy cap."""
        return self.overnight_beds * 7.0 * self.occupancy_cap

    @property
    def bed_days_per_bed(self) -> float:
        """Bed-days a week one more bed would add."""
        return 7.0 * self.occupancy_cap


class DayCaseCapacity(_Frozen):
    """Day-case places (trolleys, chairs): day cases a week = places x patients per place a week."""

    places: float = Field(ge=0)
    patients_per_place_per_week: float = Field(gt=0, le=50)

    @property
    def day_cases_per_week(self) -> float:
        """Day cases a week the places can take."""
        return self.places * self.patients_per_place_per_week


class Hub(_Frozen):
    """A site where patients can be treated: elective hub, main site or independent provider.

    Independent-sector providers are capacity the collaborative may buy. A resource left out
    (None) does not limit the hub; `cases_per_week` caps cases of a treatment function a week
    (used for independent-sector providers, whose theatres are not known). `price_per_case` is
    what the collaborative pays for one case of a treatment function bought there (pounds); the
    plan's spend is reported from it, and a case without a price is reported as unpriced.
    """

    id: str = Field(min_length=1, max_length=20)
    name: str = ""
    kind: HubKind = HubKind.ELECTIVE_HUB
    operator: str | None = Field(
        None, description="Provider id of the organisation that runs the site."
    )
    treatment_functions: list[str] = Field(min_length=1)
    theatre: TheatreCapacity | None = None
    beds: BedCapacity | None = None
    day_case: DayCaseCapacity | None = None
    cases_per_week: dict[str, float] = Field(default_factory=dict)
    price_per_case: dict[str, float] = Field(
        default_factory=dict,
        description="Pounds paid per case of each treatment function bought at this hub "
        "(independent-sector providers). A treatment function left out has no known price.",
    )
    capacity_factor_by_week: list[float] = Field(
        default_factory=list,
        max_length=MAX_HORIZON_WEEKS,
        description="Share of the hub's usual capacity (every resource) open in each week of the "
        "horizon, week 1 first: 0 = closed, 0.8 = one of five days lost. Empty = 1 every week.",
    )

    def capacity_factor(self, week: int) -> float:
        """Share of usual capacity open in 0-based `week` (1 when no profile is given)."""
        return self.capacity_factor_by_week[week] if self.capacity_factor_by_week else 1.0


class Queue(_Frozen):
    """One provider's admitted waiting list for one treatment function, and its weekly demand."""

    provider: str
    tfc: str
    waiting_list: list[float] = Field(
        default_factory=list,
        max_length=WAIT_BANDS,
        description="Patients by wait band: index n = waiting more than n and up to n + 1 weeks; "
        "index 104 = over 104 weeks.",
    )
    weekly_demand: float = Field(0.0, ge=0, description="New patients joining the list a week.")

    @property
    def waiting(self) -> float:
        """Patients waiting now."""
        return float(sum(self.waiting_list))


class LongWaitWeight(_Frozen):
    """How much one patient waiting more than `over_weeks` weeks counts, per week, at level 2."""

    over_weeks: int = Field(ge=0, le=MAX_HORIZON_WEEKS + WAIT_BANDS)
    weight: float = Field(ge=0)


DEFAULT_LONG_WAIT_WEIGHTS = (
    LongWaitWeight(over_weeks=0, weight=0.01),
    LongWaitWeight(over_weeks=18, weight=0.1),
    LongWaitWeight(over_weeks=52, weight=1.0),
    LongWaitWeight(over_weeks=65, weight=1.0),
    LongWaitWeight(over_weeks=78, weight=1.0),
)


class RebalanceSettings(_Frozen):
    """Horizon, limits, targets and weights; every default is documented in docs/rebalance.md."""

    horizon_weeks: int = Field(52, ge=1, le=MAX_HORIZON_WEEKS)
    period_weeks: int = Field(
        4,
        ge=1,
        le=MAX_HORIZON_WEEKS,
        description="Weeks planned together: treatments are spread evenly over the weeks of a "
        "period and long waiters are counted at the end of each period (4 = about a month, as RTT "
        "is reported; 1 = weekly).",
    )
    max_travel_minutes: float = Field(60.0, gt=0)
    target_wait_weeks: float = Field(18.0, gt=0)
    demand_floor_per_week: float = Field(
        1.0, gt=0, description="Weekly demand used in the pressure of a list with less demand."
    )
    long_wait_weights: list[LongWaitWeight] = Field(
        default_factory=lambda: list(DEFAULT_LONG_WAIT_WEIGHTS)
    )
    travel_weight_per_minute: float = Field(1.0, ge=0)
    transfer_weight: float = Field(
        30.0, ge=0, description="Level-3 cost of treating a patient at another trust's site."
    )
    independent_sector_weight: float = Field(
        60.0, ge=0, description="Level-3 cost of a case bought from an independent provider."
    )
    priority_share: float = Field(
        0.0, ge=0, lt=1, description="Share of new demand that is clinical priority P2."
    )
    priority_max_wait_weeks: int = Field(
        4,
        ge=1,
        le=52,
        description="A P2 patient joining in week s is treated by the end of week s + this - 1.",
    )
    level_tolerance: float = Field(
        1e-6, gt=0, le=0.01, description="Relative slack when a level is fixed at its optimum."
    )
    include_baselines: bool = True
    no_trust_worse: bool = Field(
        True,
        description="Guard: no trust ends worse than without collaboration on its own worst "
        "pressure, its P2 patient-weeks overdue or its patients waiting over 52, 65 and 78 weeks "
        "at the end of the horizon (the no-collaboration plan is solved first).",
    )


class RebalanceInput(_Frozen):
    """A rebalancing instance; see docs/rebalance_instance.schema.json and docs/rebalance.md."""

    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    providers: list[Provider]
    hubs: list[Hub]
    case_mix: list[CaseMix]
    queues: list[Queue]
    travel_minutes: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Minutes from each provider's population (key) to each hub (inner key). "
        "A missing pair means the hub is not reachable from that provider.",
    )
    settings: RebalanceSettings = Field(default_factory=RebalanceSettings)
    demand_factor_by_week: list[float] = Field(
        default_factory=list,
        max_length=MAX_HORIZON_WEEKS,
        description="Each list's demand in each week of the horizon as a multiple of its usual "
        "`weekly_demand` (seasonality and growth), week 1 first. Empty = 1 every week.",
    )

    def demand_factor(self, week: int) -> float:
        """Multiple of usual weekly demand joining in 0-based `week` (1 with no profile)."""
        return self.demand_factor_by_week[week] if self.demand_factor_by_week else 1.0

    @model_validator(mode="after")
    def _references_resolve(self) -> RebalanceInput:
        problems = instance_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def hub(self, hub_id: str) -> Hub:
        """The hub with this id."""
        return next(h for h in self.hubs if h.id == hub_id)


def instance_json_schema() -> dict[str, object]:
    """The JSON Schema of an instance file, as docs/rebalance_instance.schema.json holds it."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **RebalanceInput.model_json_schema(),
    }


def _duplicates(values: Sequence[object]) -> list[object]:
    seen: set[object] = set()
    return sorted({v for v in values if v in seen or seen.add(v)}, key=str)  # type: ignore[func-returns-value]


def instance_problems(data: RebalanceInput) -> list[str]:
    """Every reason the instance cannot be solved, each naming the field; empty when it is valid."""
    problems: list[str] = []
    provider_ids = {p.id for p in data.providers}
    hub_ids = {h.id for h in data.hubs}
    tfcs = {c.tfc for c in data.case_mix}
    for label, ids in (
        ("providers", [p.id for p in data.providers]),
        ("hubs", [h.id for h in data.hubs]),
        ("case_mix", [c.tfc for c in data.case_mix]),
        ("queues", [(q.provider, q.tfc) for q in data.queues]),
    ):
        for dup in _duplicates(ids):
            problems.append(f"{label}: {dup!r} appears more than once; ids must be unique")
    for i, h in enumerate(data.hubs):
        if h.operator is not None and h.operator not in provider_ids:
            problems.append(f"hubs[{i}].operator: {h.operator!r} is not a provider id")
        for t in h.treatment_functions:
            if t not in tfcs:
                problems.append(f"hubs[{i}].treatment_functions: {t!r} has no case_mix row")
        for t, cap in h.cases_per_week.items():
            if t not in h.treatment_functions:
                problems.append(
                    f"hubs[{i}].cases_per_week: {t!r} is not one of the hub's treatment functions"
                )
            if not (cap >= 0 and math.isfinite(cap)):
                problems.append(f"hubs[{i}].cases_per_week[{t!r}]: {cap} must be 0 or more")
        for t, price in h.price_per_case.items():
            if t not in h.treatment_functions:
                problems.append(
                    f"hubs[{i}].price_per_case: {t!r} is not one of the hub's treatment functions"
                )
            if not (price >= 0 and math.isfinite(price)):
                problems.append(
                    f"hubs[{i}].price_per_case[{t!r}]: {price} must be 0 or more pounds"
                )
    for i, q in enumerate(data.queues):
        if q.provider not in provider_ids:
            problems.append(f"queues[{i}].provider: {q.provider!r} is not a provider id")
        if q.tfc not in tfcs:
            problems.append(f"queues[{i}].tfc: {q.tfc!r} has no case_mix row")
        bad = [n for n, v in enumerate(q.waiting_list) if not (v >= 0 and math.isfinite(v))]
        if bad:
            problems.append(
                f"queues[{i}].waiting_list: band {bad[0]} is {q.waiting_list[bad[0]]}; "
                "patients must be 0 or more"
            )
    for provider, row in data.travel_minutes.items():
        if provider not in provider_ids:
            problems.append(f"travel_minutes: {provider!r} is not a provider id")
        for hub, minutes in row.items():
            if hub not in hub_ids:
                problems.append(f"travel_minutes[{provider!r}]: {hub!r} is not a hub id")
            elif not (minutes >= 0 and math.isfinite(minutes)):
                problems.append(
                    f"travel_minutes[{provider!r}][{hub!r}]: {minutes} must be 0 or more"
                )
    horizon = data.settings.horizon_weeks
    for i, h in enumerate(data.hubs):
        problems.extend(
            _profile_problems(
                f"hubs[{i}].capacity_factor_by_week", h.capacity_factor_by_week, horizon
            )
        )
    problems.extend(_profile_problems("demand_factor_by_week", data.demand_factor_by_week, horizon))
    weeks = [w.over_weeks for w in data.settings.long_wait_weights]
    for dup in _duplicates(weeks):
        problems.append(f"settings.long_wait_weights: over_weeks {dup} appears more than once")
    return problems


def _profile_problems(label: str, profile: Sequence[float], horizon: int) -> list[str]:
    """A weekly profile is empty or covers the horizon, with finite factors of 0 or more."""
    if not profile:
        return []
    problems = []
    if len(profile) < horizon:
        problems.append(
            f"{label}: {len(profile)} weeks given; the horizon is {horizon} weeks, so give a "
            "factor for every week (or none)"
        )
    bad = [n for n, v in enumerate(profile) if not (v >= 0 and math.isfinite(v))]
    if bad:
        problems.append(
            f"{label}: week {bad[0] + 1} is {profile[bad[0]]}; factors must be 0 or more"
        )
    return problems


# --- Result ----------------------------------------------------------------------------------


class PlanRow(_Frozen):
    """Patients of one provider's list treated at one hub in one week, from one cohort.

    `wait_band_weeks` is the cohort's wait band at the end of the week of treatment (whole weeks
    waited): a patient in band b at the start is in band b + week; one who joined during week s
    is in band week - s. Patients from band 104 ("over 104 weeks") keep counting, so 110 means
    "at least 110 weeks".
    """

    provider: str
    tfc: str
    hub: str
    week: int = Field(ge=1)
    wait_band_weeks: int = Field(ge=0)
    patients: float = Field(ge=0)
    priority: bool = False
    transfer: bool = False
    travel_minutes: float = 0.0


class QueueOutcome(_Frozen):
    """Where one provider's list for one treatment function ends up under a plan.

    Pressure = 2 x (waiting list / weekly demand) / target wait: NHSRwaitinglist's 2 x mean wait /
    target wait, with the mean wait from Little's law. Target queue size = demand x target / 4 and
    relief capacity = demand + (waiting - target queue size) / horizon, as in NHSRwaitinglist.
    """

    provider: str
    tfc: str
    weekly_demand: float
    waiting_at_start: float
    treated: float
    waiting_at_end: float
    pressure_at_start: float
    pressure_at_end: float
    target_queue_size: float
    relief_capacity_per_week: float
    long_waiters_at_end: dict[int, float]
    reachable_hubs: list[str]
    priority_overdue: float = Field(
        0.0, description="P2 patient-weeks waited beyond the P2 limit, counted at period ends."
    )


class HubUse(_Frozen):
    """How much of one resource of one hub the plan uses, week by week."""

    hub: str
    resource: str
    unit: str
    capacity_per_week: float
    used_by_week: list[float]
    capacity_by_week: list[float] = Field(
        default_factory=list,
        description="Capacity open in each week (usual capacity x the hub's weekly factor).",
    )


class BindingLimit(_Frozen):
    """A limit that binds in the plan, with what relaxing it would be worth.

    For a full resource: `where` is the hub, `when` the run of weeks it is full, `shortfall` 0;
    `worst_pressure_reduction_per_unit` is how much the worst pressure would fall with one more
    `unit` (session, bed, day-case place, case) every week of the horizon, and
    `long_wait_reduction_per_unit` how much the level-2 long-wait score would fall with one more
    unit every week of the run (both are LP shadow prices: exact for a small change).
    For a waiting list left above its target size: `where` is "provider tfc", `shortfall` the
    patients above the target queue size at the end of the horizon.
    """

    name: str
    where: str
    when: str
    shortfall: float = 0.0
    unit: str = ""
    hub: str | None = None
    resource: str | None = None
    first_week: int | None = None
    last_week: int | None = None
    capacity_per_week: float | None = None
    used_per_week: float | None = None
    worst_pressure_reduction_per_unit: float = 0.0
    long_wait_reduction_per_unit: float = 0.0
    message: str = ""


class SpendLine(_Frozen):
    """Cases of one treatment function bought from one independent-sector provider, and their cost.

    `price_per_case` and `spend` are None when the hub has no price for the treatment function.
    """

    hub: str
    tfc: str
    cases: float
    price_per_case: float | None = None
    spend: float | None = None


class PlanMetrics(_Frozen):
    """A plan's objective values per level and the headline figures.

    `independent_sector_spend` is the pounds paid for the priced cases bought from
    independent-sector providers over the horizon; `unpriced_independent_cases` the cases bought
    where no price is known (not in the spend).
    """

    worst_pressure: float
    worst_queue: str
    long_wait_score: float
    travel_score: float
    priority_overdue: float
    patients_treated: float
    waiting_at_end: float
    transfers: float
    independent_sector_cases: float
    travel_patient_minutes: float
    long_waiters_at_end: dict[int, float]
    independent_sector_spend: float = 0.0
    unpriced_independent_cases: float = 0.0


class LevelResult(_Frozen):
    """One level of the lexicographic objective: what it minimises, its value and bound."""

    level: int
    name: str
    description: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    status: Status = Status.NO_SOLUTION_IN_TIME
    seconds: float = 0.0


class BaselineResult(_Frozen):
    """A plan made another way, reported beside the optimum (never better at level 1)."""

    name: str
    description: str
    seconds: float
    metrics: PlanMetrics
    queues: list[QueueOutcome]
    plan: list[PlanRow]
    spend: list[SpendLine] = Field(default_factory=list)


GUARDED_THRESHOLDS = (52, 65, 78)
"""Waits (weeks) over which each trust's long waiters at the end are guarded and reported."""


class TrustMeasures(_Frozen):
    """One trust's own figures under a plan: what the no-trust-worse guard holds.

    `worst_pressure` is the worst end-of-horizon pressure of the trust's lists;
    `long_waiters_at_end[w]` its patients waiting w weeks or more at the end of the horizon
    (w = 52, 65, 78), as `QueueOutcome.long_waiters_at_end` counts them; `priority_overdue` its P2
    patient-weeks waited beyond the P2 limit, counted at period ends.
    """

    worst_pressure: float
    long_waiters_at_end: dict[int, float]
    priority_overdue: float


class TrustOutcome(_Frozen):
    """One trust's figures in the plan beside the same figures without collaboration.

    `worse_on` names each measure on which the plan leaves the trust worse than without
    collaboration (beyond numerical noise); empty when no measure is worse.
    """

    provider: str
    plan: TrustMeasures
    no_collaboration: TrustMeasures
    worse_on: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def made_worse(self) -> bool:
        """True when collaboration leaves this trust worse on any of its measures."""
        return bool(self.worse_on)


class GuardReport(_Frozen):
    """What the no-trust-worse guard did, and what it cost the collaborative.

    `applied` is False when the guard is off or the no-collaboration plan was not solved in time
    (then nothing is guarded). `binding` names each trust measure the guard held at its
    no-collaboration value in some level's optimum. When something binds, the plan is re-solved
    without the guard (levels 0-2, within its own time limit) and both plans' figures are
    reported: the worst pressure, P2 patient-weeks overdue and long-wait score with and without
    the guard. The "without" figures are None when the guard binds nowhere (it then costs
    nothing) or the re-solve did not finish that level in time.
    """

    on: bool
    applied: bool
    binding: list[str] = Field(default_factory=list)
    worst_pressure_with_guard: float | None = None
    worst_pressure_without_guard: float | None = None
    priority_overdue_with_guard: float | None = None
    priority_overdue_without_guard: float | None = None
    long_wait_score_with_guard: float | None = None
    long_wait_score_without_guard: float | None = None
    seconds_without_guard: float = 0.0
    message: str = ""


class ModelSize(_Frozen):
    """How big the linear programmes were."""

    variables: int = 0
    constraints: int = 0
    periods: int = 0
    arcs: int = 0


class RebalanceResult(_Frozen):
    """The optimiser's answer: status, objective per level, the plan and what limits it."""

    stats: SolveStats
    levels: list[LevelResult] = Field(default_factory=list)
    metrics: PlanMetrics | None = None
    plan: list[PlanRow] = Field(default_factory=list)
    queues: list[QueueOutcome] = Field(default_factory=list)
    hub_use: list[HubUse] = Field(default_factory=list)
    spend: list[SpendLine] = Field(
        default_factory=list,
        description="Cases bought from each independent-sector provider per treatment function "
        "over the horizon, with the price and the spend.",
    )
    binding_limits: list[BindingLimit] = Field(default_factory=list)
    baselines: list[BaselineResult] = Field(default_factory=list)
    trusts: list[TrustOutcome] = Field(default_factory=list)
    guard: GuardReport | None = None
    settings: RebalanceSettings | None = None
    lp_algorithm: str = "GLOP"
    model_size: ModelSize = Field(default_factory=ModelSize)
    problems: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        """How the solve ended."""
        return self.stats.status

    @computed_field  # type: ignore[prop-decorator]
    @property
    def objective(self) -> float | None:
        """Level 1: the worst pressure of the plan."""
        return self.stats.objective

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bound(self) -> float | None:
        """Proven lower bound on the worst pressure."""
        return self.stats.bound

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gap(self) -> float | None:
        """|objective - bound| / max(1, |objective|) at level 1."""
        return self.stats.gap

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds(self) -> float:
        """Wall time of the whole solve, baselines included."""
        return self.stats.wall_seconds

    def baseline(self, name: str) -> BaselineResult:
        """The baseline called `name` ("no_collaboration" or "greedy_nearest_hub")."""
        return next(b for b in self.baselines if b.name == name)


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
    per_case: np.ndarray  # resource used by one case, by tfc index
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
    queue_tfc: np.ndarray
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
        """'RL4 C_110'."""
        return f"{self.queues[q].provider} {self.queues[q].tfc}"


def plan_periods(weeks: int, period_weeks: int) -> list[tuple[int, int]]:
    """0-based (first week, last week) of each period; the last period may be shorter."""
    return [(s, min(s + period_weeks, weeks) - 1) for s in range(0, weeks, period_weeks)]


def prepare(data: RebalanceInput) -> Prepared:
    """Indexes the instance: streams per queue, allowed arcs, resources per hub.

    A hub is allowed for a queue when it treats the queue's treatment function and either the
    provider runs it or it is within the travel limit. Queues with nothing to treat are dropped;
    queues with no allowed hub are kept and listed as `stranded`.
    """
    s = data.settings
    tfcs = [c.tfc for c in data.case_mix]
    tfc_index = {t: i for i, t in enumerate(tfcs)}
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
        for hi, h in enumerate(hubs):
            if q.tfc not in h.treatment_functions:
                continue
            own = h.operator == q.provider
            minutes = travel.get(h.id)
            if not own and (minutes is None or minutes > s.max_travel_minutes):
                continue
            if h.cases_per_week.get(q.tfc, math.inf) <= 0:
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
        resources_of_hub.append(mine)

    demand = np.array([max(q.weekly_demand, s.demand_floor_per_week) for q in queues])
    return Prepared(
        data=data,
        weeks=weeks,
        periods=plan_periods(s.horizon_weeks, s.period_weeks),
        tfcs=tfcs,
        queues=queues,
        queue_tfc=np.array([tfc_index[q.tfc] for q in queues], dtype=int),
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
