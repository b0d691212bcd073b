"""What a job is: its states, its kinds and how pages see it.

A kind (`JOB_KINDS`) says who may start it, how its parameters are validated and bounded, how its
solver input is read from the scenario and what its finished message says. `services/jobs.py`
holds the use cases that start, watch and cancel jobs; `services/job_running.py` runs them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from ics_capacity.db.models import Scenario, SolveJob, UserAccount
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.readiness import rebalance_reasons, rota_reasons
from ics_capacity.services.results import (
    RebalanceResult,
    RotaOutcome,
    stored_rebalance,
    stored_rota,
)
from ics_capacity.services.rota_settings import MAX_POOL_SHIFTS, MAX_UPLIFT_PERCENT, POOL_DEFAULTS
from ics_capacity.services.scenarios import (
    ScenarioError,
)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
FORWARD: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "failed", "cancelled"}),
    "running": frozenset({"done", "failed", "cancelled"}),
}
"""The only state changes a job may make; a finished job never changes again."""

HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TIMEOUT = dt.timedelta(seconds=30)
QUEUE_WAIT_TIMEOUT = dt.timedelta(hours=1)
"""How long a job may wait on the broker's queue for a worker before it is failed."""
QUEUE_RUNNER = "queue"
"""The `runner` of a queued job that waits on the broker's queue rather than in a process."""
GRACE_SECONDS = 60.0
"""How long past its own time limit a solve may run (reading, model building, checking) before
the runner stops it as overdue."""


class JobStateError(ScenarioError):
    """The job is not in a state that allows this (e.g. claiming a job that is not queued)."""


# --- Parameters: validated and bounded before a job exists -------------------------------------


class RebalanceJobParameters(BaseModel):
    """What a rebalancing run may be asked for, with the bounds the service enforces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weeks: int = Field(26, ge=1, le=104, description="Horizon")
    time_limit_seconds: float = Field(10.0, ge=1, le=600, description="Time limit")
    target_wait_weeks: float = Field(18.0, ge=1, le=104, description="Target wait")
    max_travel_minutes: float = Field(60.0, ge=5, le=240, description="Longest journey")
    non_admitted: bool = Field(False, description="Move patients before their first appointment")
    clinic_factor: float = Field(1.0, ge=0, le=3, description="Clinic capacity factor")


class RotaJobParameters(BaseModel):
    """What a rota build may be asked for, with the bounds the service enforces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_date: dt.date = Field(description="Start date")
    weeks: int = Field(ge=1, le=12, description="Weeks")
    site_codes: tuple[str, ...] = Field(min_length=1, max_length=20, description="Sites")
    rule_pack: str = Field("uk_default", max_length=40, description="Rule pack")
    soft_rules: bool = False
    demand: str = Field("timetable", pattern="^(timetable|plan)$", description="Demand")
    time_limit_seconds: float = Field(20.0, ge=1, le=600, description="Time limit")
    num_workers: int = Field(2, ge=1, le=2, description="Workers")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed")
    keep_published: bool = True
    pool_scope: str = Field("site", pattern="^(site|collaborative)$", description="Pools per")
    pool_period: str = Field("week", pattern="^(week|rota)$", description="Pool caps per")
    bank_pool_shifts: int = Field(
        POOL_DEFAULTS["bank_pool_shifts"], ge=0, le=MAX_POOL_SHIFTS, description="Bank pool cap"
    )
    agency_pool_shifts: int = Field(
        POOL_DEFAULTS["agency_pool_shifts"], ge=0, le=MAX_POOL_SHIFTS, description="Agency pool cap"
    )
    bank_uplift_percent: int = Field(
        POOL_DEFAULTS["bank_uplift_percent"], ge=0, le=MAX_UPLIFT_PERCENT, description="Bank price"
    )
    agency_uplift_percent: int = Field(
        POOL_DEFAULTS["agency_uplift_percent"],
        ge=0,
        le=MAX_UPLIFT_PERCENT,
        description="Agency price",
    )


def _validated(model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the model normalises them, or one refusal naming every bad field."""
    try:
        return model.model_validate(raw).model_dump(mode="json")
    except ValidationError as error:
        fields = model.model_fields
        problems = []
        for e in error.errors():
            name = str(e["loc"][0]) if e["loc"] else "parameters"
            label = fields[name].description if name in fields else None
            problems.append(f"{label or name.replace('_', ' ')}: {e['msg'].lower()}")
        raise InvalidInputError("; ".join(problems) + ".") from error


# --- What each kind of job reads and solves ----------------------------------------------------


def _rebalance_input(session: Session, scenario: Scenario, params: dict[str, Any]) -> Any:
    from ics_capacity.services.rebalance import scenario_rebalance_input
    from ics_capacity.services.rebalance_outpatients import Outpatients
    from solvers.rebalance.schema import RebalanceSettings

    p = RebalanceJobParameters.model_validate(params)
    settings = RebalanceSettings(
        horizon_weeks=p.weeks,
        target_wait_weeks=p.target_wait_weeks,
        max_travel_minutes=p.max_travel_minutes,
    )
    outpatients = Outpatients(clinic_factor=p.clinic_factor) if p.non_admitted else None
    data = scenario_rebalance_input(
        session, scenario.id, weeks=p.weeks, settings=settings, outpatients=outpatients
    )
    return data, p.time_limit_seconds, 2


def _rota_input(session: Session, scenario: Scenario, params: dict[str, Any]) -> Any:
    from ics_capacity.services.rota import RotaSettings, rota_problem

    settings = RotaSettings.from_json(params)
    problems = settings.problems()
    if problems:
        raise InvalidInputError("; ".join(problems).capitalize() + ".")
    return rota_problem(session, scenario, settings)


def _rota_done(result: dict[str, Any]) -> str:
    stats = result["stats"]
    return f"{stats['status']} in {stats['wall_seconds']:.1f} s" + _stopped_words(
        stats.get("stopped", ""), stats["status"]
    )


def _stopped_words(stopped: str, status: str) -> str:
    """How the search ended, in words, after the status and time."""
    if status == "optimal":
        return " (proven best: no better rota exists)"
    if stopped == "asked":
        return " (stopped early on request; the best rota found so far is kept)"
    if stopped:
        return f" (the search stopped itself: {stopped})"
    return " (the time limit was reached)" if status == "feasible" else ""


def _rebalance_done(result: dict[str, Any]) -> str:
    stats = result["stats"]
    worst = (result.get("metrics") or {}).get("worst_pressure")
    tail = f"; worst pressure {worst:.2f}" if worst is not None else ""
    return f"{stats['status']} in {stats['wall_seconds']:.1f} s{tail}"


@dataclass(frozen=True)
class JobKind:
    """One kind of optimisation run: who may start it, its parameters, and how it is read."""

    permission: Permission
    parameters: type[BaseModel]
    read_input: Callable[[Session, Scenario, dict[str, Any]], Any]
    done_message: Callable[[dict[str, Any]], str]
    label: str
    missing: Callable[[Session, Scenario, dict[str, Any]], list[str]]
    """What the scenario lacks for this run (services/readiness.py); checked at the start."""


def _rebalance_missing(session: Session, scenario: Scenario, params: dict[str, Any]) -> list[str]:
    return rebalance_reasons(session, scenario)


def _rota_missing(session: Session, scenario: Scenario, params: dict[str, Any]) -> list[str]:
    return rota_reasons(session, scenario, params.get("site_codes") or ())


JOB_KINDS: dict[str, JobKind] = {
    "rebalance": JobKind(
        Permission.RUN_REBALANCE,
        RebalanceJobParameters,
        _rebalance_input,
        _rebalance_done,
        "rebalancing run",
        _rebalance_missing,
    ),
    "rota": JobKind(
        Permission.RUN_ROTA,
        RotaJobParameters,
        _rota_input,
        _rota_done,
        "rota build",
        _rota_missing,
    ),
}


def kind_of(kind: str) -> JobKind:
    """The kind of job named `kind`; an unknown name is refused in words."""
    found = JOB_KINDS.get(kind)
    if found is None:
        raise InvalidInputError(f"'{kind}' is not an optimiser.")
    return found


# --- What pages see ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it.

    A finished job's result, when asked for, is validated back into the model of its kind:
    `rota` for a rota build, `rebalance` for a rebalancing run (the other is None).
    """

    id: int
    scenario_id: int
    kind: str
    status: str
    progress: int
    message: str
    requested_by: str
    parameters: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    requested_by_name: str = ""
    stop_requested_by: str | None = None
    rota: RotaOutcome | None = None
    rebalance: RebalanceResult | None = None

    @property
    def active(self) -> bool:
        """Whether the job is still queued or running."""
        return self.status in ACTIVE


def view_of(job: SolveJob, *, with_result: bool = True, session: Session | None = None) -> JobView:
    """The job as pages see it; a stored result that does not match its model is refused.

    Raises:
        StoredResultError: The stored result cannot be read as the result of the job's kind.
    """
    name = job.requested_by
    raw = job.result if with_result and job.result else None
    if session is not None and job.requested_by_id is not None:
        user = session.get(UserAccount, job.requested_by_id)
        name = user.display_name if user is not None else name
    return JobView(
        requested_by_name=name,
        stop_requested_by=job.stop_requested_by,
        id=job.id,
        scenario_id=job.scenario_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        requested_by=job.requested_by,
        parameters=json.loads(job.parameters or "{}"),
        created_at=job.created_at,
        finished_at=job.finished_at,
        rota=stored_rota(raw, job_id=job.id) if raw and job.kind == "rota" else None,
        rebalance=stored_rebalance(raw, job_id=job.id) if raw and job.kind == "rebalance" else None,
    )
