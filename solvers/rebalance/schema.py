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

This module gathers the public names of `inputs.py` (the instance), `result.py` (what is returned)
and `prepare.py` (`prepare` turns an input into index-based arrays, `Prepared`, for the model and
`baselines.py`; `check.py` deliberately does not use it, so that it checks results independently).
"""

from __future__ import annotations

from solvers.rebalance.inputs import (
    DEFAULT_LONG_WAIT_WEIGHTS,
    MAX_HORIZON_WEEKS,
    RESOURCE_BEDS,
    RESOURCE_CASES,
    RESOURCE_DAY_CASES,
    RESOURCE_OUTPATIENT,
    RESOURCE_THEATRE,
    STAGE_ADMITTED,
    STAGE_NON_ADMITTED,
    WAIT_BANDS,
    BedCapacity,
    CaseMix,
    DayCaseCapacity,
    Hub,
    HubKind,
    LongWaitWeight,
    Provider,
    ProviderKind,
    Queue,
    RebalanceInput,
    RebalanceSettings,
    Stage,
    TheatreCapacity,
    instance_json_schema,
    instance_problems,
)
from solvers.rebalance.prepare import (
    Arc,
    Prepared,
    Resource,
    Stream,
    plan_periods,
    prepare,
    queue_label,
)
from solvers.rebalance.result import (
    GUARDED_THRESHOLDS,
    BaselineResult,
    BindingLimit,
    GuardReport,
    HubUse,
    LevelResult,
    ModelSize,
    PlanMetrics,
    PlanRow,
    QueueOutcome,
    RebalanceResult,
    SpendLine,
    TrustMeasures,
    TrustOutcome,
)

__all__ = [
    "RESOURCE_OUTPATIENT",
    "STAGE_ADMITTED",
    "STAGE_NON_ADMITTED",
    "Stage",
    "queue_label",
    "Arc",
    "BaselineResult",
    "BedCapacity",
    "BindingLimit",
    "CaseMix",
    "DEFAULT_LONG_WAIT_WEIGHTS",
    "DayCaseCapacity",
    "GUARDED_THRESHOLDS",
    "GuardReport",
    "Hub",
    "HubKind",
    "HubUse",
    "LevelResult",
    "LongWaitWeight",
    "MAX_HORIZON_WEEKS",
    "ModelSize",
    "PlanMetrics",
    "PlanRow",
    "Prepared",
    "Provider",
    "ProviderKind",
    "Queue",
    "QueueOutcome",
    "RESOURCE_BEDS",
    "RESOURCE_CASES",
    "RESOURCE_DAY_CASES",
    "RESOURCE_THEATRE",
    "RebalanceInput",
    "RebalanceResult",
    "RebalanceSettings",
    "Resource",
    "SpendLine",
    "Stream",
    "TheatreCapacity",
    "TrustMeasures",
    "TrustOutcome",
    "WAIT_BANDS",
    "instance_json_schema",
    "instance_problems",
    "plan_periods",
    "prepare",
]
