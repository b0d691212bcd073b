"""The results of the rota and rebalancing runs, as typed, frozen models (issue 12, item 6).

A run's result crosses three boundaries: the solver's child process hands it back as JSON, the job
row keeps it as JSON, and the page, the CLI and the exports read it. Each of them reads the same
model, never a nested dict by key:

* `RotaOutcome` is the rota as people read it (`services.rota.describe` builds it): the grid, the
  session slots with their gaps, compliance, cost and the solver's statistics.
* `RebalanceResult` is the rebalancing solver's own result, re-exported here so that pages can
  name it without importing `solvers` (an import contract forbids that).

`stored_result` turns what a job row keeps back into the model of its kind, and refuses anything
that does not match with a `StoredResultError` that says which run and which field.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ics_capacity.domain.errors import ServiceError
from solvers.common import Status
from solvers.rebalance.schema import PlanMetrics, RebalanceResult
from solvers.rota.check_fairness import FairnessLine
from solvers.rota.pool_schema import PoolFill
from solvers.rota.schema import Assignment

__all__ = [
    "Assignment",
    "Cell",
    "ComplianceRow",
    "CostLine",
    "GapCost",
    "HardViolation",
    "LimitRow",
    "LockRow",
    "PlanMetrics",
    "PoolRow",
    "PoolUseRow",
    "RebalanceResult",
    "RotaCost",
    "RotaOutcome",
    "RotaRunSettings",
    "RotaStats",
    "PublishedChangeRow",
    "PublishedUsed",
    "SessionRow",
    "ShiftMeta",
    "StaffRow",
    "Status",
    "StoredResultError",
    "stored_rebalance",
    "stored_result",
    "stored_rota",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RotaRunSettings(_Frozen):
    """The settings a rota was built with (as `RotaSettings.to_json` writes them)."""

    start_date: str
    weeks: int
    site_codes: tuple[str, ...]
    rule_pack: str
    soft_rules: bool
    demand: str
    time_limit_seconds: float
    num_workers: int
    seed: int
    keep_published: bool = True
    pool_scope: str = "site"
    pool_period: str = "week"
    bank_pool_shifts: int = 0
    agency_pool_shifts: int = 0
    bank_uplift_percent: int = 45
    agency_uplift_percent: int = 55


class ShiftMeta(_Frozen):
    """One shift of a site as the page names it: list half, all-day list, ward long day or night.

    `start` and `end` are clock times ("08:00"); `minutes` is the shift's length.
    """

    site: str
    site_name: str
    kind: str
    label: str
    start: str
    end: str
    minutes: int


class Cell(_Frozen):
    """One person's day: the shift worked ("" = off), whether it is locked, whether on leave."""

    shift: str
    locked: bool
    leave: bool


class StaffRow(_Frozen):
    """One person's row of the rota: who they are, a cell per day and the minutes worked."""

    code: str
    label: str
    role: str
    grade: str
    trust: str
    home_site: str
    employment: str
    contract: str
    hourly_cost_pence: int
    cells: tuple[Cell, ...]
    minutes: int
    trust_name: str = ""
    home_site_name: str = ""


class LockRow(_Frozen):
    """A locked cell the build kept: staff, day (0-based) and shift (None = a day off)."""

    staff_id: str
    day: int
    shift_id: str | None


class SessionRow(_Frozen):
    """Staff of one skill wanted and staffed in one slot of one site on one day (0-based)."""

    site: str
    day: int
    kind: str
    skill: str
    role: str
    required: int
    staffed: int
    short: int
    agency_pence: int
    bank: int = 0
    """Of the places short of staff, those the bank pool fills."""
    agency: int = 0
    """Of the places short of staff, those the agency pool fills."""


class ComplianceRow(_Frozen):
    """One rule family: hard or soft, breaches found, and people or places at the limit."""

    rule: str
    family: str
    mode: str
    breaches: int
    at_limit: int


class CostLine(_Frozen):
    """Shifts, hours and pence of the staff of one kind of employment."""

    shifts: int = 0
    hours: float = 0.0
    pence: int = 0


class GapCost(_Frozen):
    """Places left short and their price at the agency cap, in pence."""

    places: int = 0
    pence: int = 0


class PoolRow(_Frozen):
    """Per site and role: places filled from the bank and agency pools, their spend, left short."""

    site: str
    role: str
    bank_shifts: int = 0
    bank_pence: int = 0
    agency_shifts: int = 0
    agency_pence: int = 0
    short: int = 0


class PoolUseRow(_Frozen):
    """One pool's use against its cap: most places in any period, in all, and the spend."""

    pool_id: str
    kind: str
    site: str
    role: str
    cap: int
    period: str
    busiest: int
    shifts: int
    pence: int
    hourly_pence: int
    capped: bool = False
    """True when the price asked was above the NHS agency price cap and the cap was paid."""


class RotaCost(_Frozen):
    """What the rota costs: staff on the list, the bank and agency pools, and what stays short.

    `agency_gaps` are the places neither the staff nor a pool fill, priced at the agency cap for
    reference (not money spent); `total_pence` is what is spent: staff and pools. `pools_checked`
    says the independent checker recomputed the pools' use, caps and spend and agreed.
    """

    substantive: CostLine
    bank: CostLine
    agency_gaps: GapCost
    gaps_by_role: dict[str, GapCost]
    total_pence: int
    bank_pool: GapCost = GapCost()
    agency_pool: GapCost = GapCost()
    pools: tuple[PoolRow, ...] = ()
    pool_use: tuple[PoolUseRow, ...] = ()
    pools_checked: bool = False


class RotaStats(_Frozen):
    """How the solve went (the solver's `SolveStats`) and the places short it proved."""

    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    wall_seconds: float = 0.0
    time_limit_seconds: float
    num_workers: int
    seed: int
    ortools_version: str
    cp_sat_status: str = ""
    stopped: str = ""
    places_short: int | None = None
    places_short_lower_bound: int | None = None


class LimitRow(_Frozen):
    """A limit that binds or conflicts: rule, where, when, by how much and in which unit."""

    name: str
    where: str
    when: str = ""
    shortfall: int = 0
    unit: str = ""


class HardViolation(_Frozen):
    """A hard rule the independent checker found broken: which, whose, when and what."""

    rule: str
    staff_id: str | None
    when: str
    detail: str


class HistoryUsed(_Frozen):
    """The shifts worked before the rota that its rolling rules counted (docs/rota.md).

    `source` says where they came from (the previous rota, or an uploaded file); `first_date` to
    `last_date` are the days covered; `ignored` names what could not be carried in, and why.
    """

    source: str
    first_date: str
    last_date: str
    days: int
    people: int
    shifts: int
    ignored: tuple[str, ...] = ()


class PublishedUsed(_Frozen):
    """The published rota a build kept where possible ("minimal change", docs/rota.md)."""

    id: int
    first_date: str
    last_date: str
    published_by: str
    published_at: str
    days: int
    """Days the published rota shares with this build."""


class PublishedChangeRow(_Frozen):
    """One published day the build changed: who, which date, was and now ("" = off), and why."""

    staff_id: str
    label: str
    date: str
    was: str
    now: str
    why: str = ""


class RotaOutcome(_Frozen):
    """A built rota as the page, the CLI and the exports read it.

    `dates` are ISO dates, one per day of the rota; days elsewhere are 0-based indexes into them.
    `shifts` is keyed by shift id ("SANDWELL-AM"). `binding_limits` keeps the first 200 limits;
    `binding_count` says how many there were. `checked_objective` is the independent checker's
    objective (None when there is no rota to check).
    """

    settings: RotaRunSettings
    dates: tuple[str, ...]
    shifts: dict[str, ShiftMeta]
    staff: tuple[StaffRow, ...]
    assignments: tuple[Assignment, ...]
    locked: tuple[LockRow, ...]
    sessions: tuple[SessionRow, ...]
    compliance: tuple[ComplianceRow, ...]
    cost: RotaCost
    staffed_sessions_per_week: dict[str, float]
    stats: RotaStats
    objective_terms: dict[str, int]
    binding_limits: tuple[LimitRow, ...]
    binding_count: int
    infeasible_because: tuple[LimitRow, ...]
    checked_objective: int | None
    hard_violations: tuple[HardViolation, ...]
    ignored_locks: tuple[str, ...]
    rule_pack: str
    bank_holidays: dict[str, str] = {}
    """England's bank holidays in the rota (ISO date: name); no lists on them unless opted in."""
    bank_holiday_list_sites: tuple[str, ...] = ()
    """Sites of the rota that run lists on bank holidays."""
    history: HistoryUsed | None = None
    """The shifts worked before day 0 that every rolling rule counted, when there were any."""
    published: PublishedUsed | None = None
    """The published rota this build kept where possible, when there was one."""
    published_changes: tuple[PublishedChangeRow, ...] = ()
    """Every published day this build changed (all of them, not a sample)."""
    pool_fills: tuple[PoolFill, ...] = ()
    """The places the bank and agency pools fill, as the solver returned them."""
    fairness: tuple[FairnessLine, ...] = ()
    """Each staff group's nights, weekends and cross-site shifts per WTE, as the checker counts."""

    @property
    def has_rota(self) -> bool:
        """True when the solver returned a rota with at least one person on it."""
        return bool(self.staff) and self.stats.status.has_solution


# --- Back from the job row ------------------------------------------------------------------


class StoredResultError(ServiceError):
    """A run's stored result does not match the result model of its kind."""


def stored_result(
    kind: str, raw: str | dict[str, Any], *, job_id: int | None = None
) -> RotaOutcome | RebalanceResult:
    """The result a job row keeps (JSON text or its parsed dict) as the model of the job's kind.

    Raises:
        StoredResultError: The kind is unknown, or the result is not JSON or does not match the
            model (the message names the run, the first fields wrong and what was expected).
    """
    if kind == "rota":
        return stored_rota(raw, job_id=job_id)
    if kind == "rebalance":
        return stored_rebalance(raw, job_id=job_id)
    raise StoredResultError(f"The result of {_run(job_id)} is of an unknown kind '{kind}'.")


def stored_rota(raw: str | dict[str, Any], *, job_id: int | None = None) -> RotaOutcome:
    """A stored rota build's result as a `RotaOutcome` (see `stored_result`)."""
    return _load(RotaOutcome, "rota build", raw, job_id)


def stored_rebalance(raw: str | dict[str, Any], *, job_id: int | None = None) -> RebalanceResult:
    """A stored rebalancing run's result as a `RebalanceResult` (see `stored_result`)."""
    return _load(RebalanceResult, "rebalancing run", raw, job_id)


_M = TypeVar("_M", bound=BaseModel)


def _load(model: type[_M], label: str, raw: str | dict[str, Any], job_id: int | None) -> _M:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return model.model_validate(_without_computed(model, data))
    except (ValueError, ValidationError) as error:
        raise StoredResultError(
            f"The stored result of {_run(job_id)} ({label}) cannot be read: "
            f"{_first_problems(error)}; start the run again."
        ) from error


def _run(job_id: int | None) -> str:
    return f"run {job_id}" if job_id is not None else "a run"


def _first_problems(error: Exception, limit: int = 3) -> str:
    if not isinstance(error, ValidationError):
        return "it is not JSON"
    found = [
        f"{'.'.join(str(p) for p in e['loc']) or 'result'}: {e['msg'].lower()}"
        for e in error.errors()[:limit]
    ]
    more = error.error_count() - len(found)
    return "; ".join(found) + (f" (and {more} more)" if more > 0 else "")


def _without_computed(model: type[BaseModel], data: Any) -> Any:
    """`data` without the computed fields a model's JSON dump adds (e.g. `RebalanceResult.status`).

    The solver's models forbid unknown fields, and a computed field read back counts as one.
    """
    if not isinstance(data, dict):
        return data
    kept = {k: v for k, v in data.items() if k not in model.model_computed_fields}
    for name, info in model.model_fields.items():
        if name in kept:
            kept[name] = _strip(info.annotation, kept[name])
    return kept


def _strip(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _without_computed(annotation, value)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
        return [_strip(args[0], v) for v in value]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _strip(args[1], v) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType) and isinstance(value, dict):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:
            return _without_computed(models[0], value)
    return value
