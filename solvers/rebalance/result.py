"""What the rebalancing optimiser returns: the plan, outcomes, levels and what binds."""

from __future__ import annotations

from pydantic import Field, computed_field

from solvers.common import SolveStats, Status
from solvers.rebalance.inputs import STAGE_ADMITTED, RebalanceSettings, Stage, _Frozen

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
    stage: Stage = Field(
        STAGE_ADMITTED,
        description="'admitted': treated (theatre, beds, day case); 'non_admitted': a first "
        "outpatient appointment in one of the hub's clinics.",
    )


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
    stage: Stage = STAGE_ADMITTED


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

    `patients_treated`, `transfers`, `waiting_at_end` and the long waiters count the lists of
    both stages; `non_admitted_seen` and `non_admitted_transfers` are the non-admitted part
    (first outpatient appointments), so the admitted figures are the differences.

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
    non_admitted_seen: float = Field(
        0.0, description="First outpatient appointments given to non-admitted lists (all sites)."
    )
    non_admitted_transfers: float = Field(
        0.0, description="Of those, appointments at another trust's site (patients moved)."
    )


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
