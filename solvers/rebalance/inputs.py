"""What the rebalancing optimiser takes: the instance, validated on construction (see schema.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

WAIT_BANDS = 105
"""Wait bands 0..104 (band 104 holds everyone over 104 weeks)."""

MAX_HORIZON_WEEKS = 104
RESOURCE_THEATRE = "theatre_minutes"
RESOURCE_BEDS = "overnight_bed_days"
RESOURCE_DAY_CASES = "day_cases"
RESOURCE_CASES = "cases"  # per-treatment-function caps, written "cases:C_110"
RESOURCE_OUTPATIENT = "outpatient"  # first appointments a week, written "outpatient:C_110"

STAGE_ADMITTED: Literal["admitted"] = "admitted"
STAGE_NON_ADMITTED: Literal["non_admitted"] = "non_admitted"
Stage = Literal["admitted", "non_admitted"]
"""Where a list's patients are on their pathway: waiting for treatment with a decision to admit
("admitted", RTT Part_2A), or not yet decided, mostly before or between outpatient appointments
("non_admitted", Part_2 minus Part_2A)."""


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
    Non-admitted lists are seen only where `outpatient_per_week` gives the treatment function a
    clinic: unlike theatres, a clinic left out is none, never unlimited.
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
    outpatient_per_week: dict[str, float] = Field(
        default_factory=dict,
        description="First outpatient appointments a week the hub's clinics give each treatment "
        "function. Only non-admitted lists use them, and they use nothing else; a treatment "
        "function left out has no clinic here.",
    )
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
    """One provider's waiting list for one treatment function and stage, and its weekly demand.

    An admitted list is treated in theatres, beds and day-case places; a non-admitted list is
    seen in outpatient clinics (`Hub.outpatient_per_week`) and uses nothing else.
    """

    provider: str
    tfc: str
    stage: Stage = Field(
        STAGE_ADMITTED,
        description="'admitted' (decision to admit, treated in theatre) or 'non_admitted' "
        "(seen in an outpatient clinic).",
    )
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
        ("queues", [(q.provider, q.tfc, q.stage) for q in data.queues]),
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
        for t, cap in h.outpatient_per_week.items():
            if t not in tfcs:
                problems.append(f"hubs[{i}].outpatient_per_week: {t!r} has no case_mix row")
            if not (cap >= 0 and math.isfinite(cap)):
                problems.append(f"hubs[{i}].outpatient_per_week[{t!r}]: {cap} must be 0 or more")
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
