"""Dated targets for a scenario: met or short, trust by trust, and what would close the gap.

Issue 15 §4, "targets as dates".

Each member trust's projection (the Dashboard's: its capacity, calendar, rota and saved plan) is
rated against each `DatedTarget` at the target's date, beside the projection without the plan
(the scenario's parent, else the baseline). For a trust that misses one, the projection's
inverse question (`queue_kpis.capacity_to_meet_target`) gives the constant extra treatment a
week from now to the date that meets it, and that treatment is put in theatre sessions a week:
admitted share x minutes per case / (`SESSION_MINUTES` x `THEATRE_UTILISATION_CAP`, a capped
utilisation). Everything is modelled, with the projection's assumptions (docs/projections.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import SESSION_MINUTES, THEATRE_UTILISATION_CAP
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.targets import DEFAULT_TARGETS, DatedTarget, TargetKind
from ics_capacity.domain.utilisation import UtilisationDefinition
from ics_capacity.projections.inputs import ProjectionInput
from ics_capacity.projections.queue_kpis import TargetMeasure, capacity_to_meet_target
from ics_capacity.projections.targets import evaluate_targets
from ics_capacity.services.projections import ScenarioProjection, scenario_projection_input
from ics_capacity.services.rebalance import ScenarioNotFoundError
from ics_capacity.services.scenarios import scenario_transaction

SESSION_BASIS = (
    f"a theatre session is {SESSION_MINUTES} minutes used to the {THEATRE_UTILISATION_CAP:.0%} "
    f"utilisation cap ({UtilisationDefinition.CAPPED.value})"
)

CAVEAT = (
    "Modelled: the Dashboard's deterministic projection (demand as the last three months, "
    "longest waiters treated first, validation at the observed rate; docs/projections.md). "
    "The extra treatment is the constant amount a week from now to the target's date that "
    "meets it, found list by list (each specialty's list meets the target with its own "
    "treatment), so for a share within 18 weeks it is enough rather than the least; "
    f"sessions a week assume {SESSION_BASIS}."
)


@dataclass(frozen=True)
class TargetRow:
    """One trust against one dated target, with and without the plan, and what would close it."""

    trust: str
    ods_code: str
    target: str
    kind: str
    due: dt.date
    week: int | None
    with_plan: float | None
    without_plan: float | None
    met: bool | None
    met_without_plan: bool | None
    shortfall: float | None
    unit: str
    extra_treatments_per_week: float | None = None
    extra_sessions_per_week: float | None = None

    @property
    def status(self) -> str:
        """'Met', 'Missed' or 'Not projected'."""
        if self.met is None:
            return "Not projected"
        return "Met" if self.met else "Missed"

    def as_json(self) -> dict:
        """JSON-ready: dates as ISO strings, NaN as null."""
        return {
            "trust": self.trust,
            "ods_code": self.ods_code,
            "target": self.target,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "week": self.week,
            "with_plan": self.with_plan,
            "without_plan": self.without_plan,
            "status": self.status,
            "met": self.met,
            "met_without_plan": self.met_without_plan,
            "shortfall": self.shortfall,
            "unit": self.unit,
            "extra_treatments_per_week": self.extra_treatments_per_week,
            "extra_theatre_sessions_per_week": self.extra_sessions_per_week,
        }

    @classmethod
    def from_json(cls, raw: dict) -> TargetRow:
        """The row `as_json` wrote (its `status` is worked out again from `met`)."""
        return cls(
            trust=raw["trust"],
            ods_code=raw["ods_code"],
            target=raw["target"],
            kind=raw["kind"],
            due=dt.date.fromisoformat(raw["due"]),
            week=raw["week"],
            with_plan=raw["with_plan"],
            without_plan=raw["without_plan"],
            met=raw["met"],
            met_without_plan=raw["met_without_plan"],
            shortfall=raw["shortfall"],
            unit=raw["unit"],
            extra_treatments_per_week=raw["extra_treatments_per_week"],
            extra_sessions_per_week=raw["extra_theatre_sessions_per_week"],
        )


@dataclass(frozen=True)
class TargetReport:
    """Every member trust against every dated target, and how the figures were made."""

    scenario: str
    comparison: str | None
    start_date: dt.date
    horizon_weeks: int
    rows: list[TargetRow] = field(default_factory=list)
    caveat: str = CAVEAT

    def as_json(self) -> dict:
        """JSON-ready, for the CLI."""
        return {
            "scenario": self.scenario,
            "comparison": self.comparison,
            "start_date": self.start_date.isoformat(),
            "horizon_weeks": self.horizon_weeks,
            "modelled": True,
            "caveat": self.caveat,
            "rows": [r.as_json() for r in self.rows],
        }

    @classmethod
    def from_json(cls, raw: dict) -> TargetReport:
        """The report `as_json` wrote."""
        return cls(
            scenario=raw["scenario"],
            comparison=raw["comparison"],
            start_date=dt.date.fromisoformat(raw["start_date"]),
            horizon_weeks=raw["horizon_weeks"],
            rows=[TargetRow.from_json(r) for r in raw["rows"]],
            caveat=raw["caveat"],
        )


def _flag(value: Any) -> bool | None:
    """A rated flag as a Python bool; None (not projected, or no comparison) stays None."""
    return None if value is None or pd.isna(value) else bool(value)


def _number(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _series_limits(target: DatedTarget, inp: ProjectionInput, week: int) -> float | np.ndarray:
    """The target each list must meet so that its trust meets the trust's target.

    A share within 18 weeks: every list at the share (enough for the trust). No long waiters:
    none on any list (exact). At most N long waiters: each list's part of N in proportion to
    its list now (enough for the trust).
    """
    if target.kind == TargetKind.MIN_WITHIN_18 or target.value == 0:
        return target.value
    keys = inp.keys()
    size = inp.waiting.sum(axis=1)
    trust_size = pd.Series(size).groupby(keys["provider"].to_numpy()).transform("sum").to_numpy()
    return target.value * np.divide(size, trust_size, out=np.zeros_like(size), where=trust_size > 0)


def _closing_capacity(
    target: DatedTarget, inp: ProjectionInput, week: int
) -> dict[int, tuple[float, float]]:
    """Per trust: extra treatments and theatre sessions a week that meet the target by `week`."""
    table = capacity_to_meet_target(
        inp,
        measure=cast(TargetMeasure, target.measure),
        value=_series_limits(target, inp, week),
        by_week=week,
    )
    short = (table["required_capacity_per_week"] - table["capacity_per_week"]).clip(lower=0.0)
    minutes = short.to_numpy() * inp.admitted_share * inp.minutes_per_case
    sessions = minutes / (SESSION_MINUTES * THEATRE_UTILISATION_CAP)
    by_trust = (
        table.assign(treatments=short, sessions=sessions)
        .groupby("provider")[["treatments", "sessions"]]
        .sum()
    )
    return {
        int(str(p)): (float(t), float(s))
        for p, t, s in zip(
            by_trust.index, by_trust["treatments"], by_trust["sessions"], strict=True
        )
    }


def target_report(
    projection: ScenarioProjection,
    inp: ProjectionInput,
    ods: dict[int, str],
    targets: Sequence[DatedTarget] = DEFAULT_TARGETS,
) -> TargetReport:
    """Every member trust against `targets` in `projection`.

    `inp` is the same scenario's projection input, for the inverse question on missed targets.
    """
    with_plan = projection.deterministic.frame("provider")
    without = projection.baseline.frame("provider") if projection.baseline is not None else None
    start = projection.start_date
    rated = evaluate_targets(with_plan, targets, start, without)
    closing: dict[str, dict[int, tuple[float, float]]] = {}
    for target in targets:
        mine = rated[rated["target"] == target.label]
        missed = mine[[_flag(m) is False for m in mine["met"]]]
        if len(missed):
            week = int(missed["week"].iloc[0])
            closing[target.label] = _closing_capacity(target, inp, week)
    kinds = {t.label: t.kind.value for t in targets}
    rows = []
    for r in rated.to_dict("records"):
        provider = int(r["provider"])
        extra = closing.get(r["target"])
        treatments = sessions = None
        if _flag(r["met"]) is False and extra is not None and provider in extra:
            treatments, sessions = extra[provider]
        rows.append(
            TargetRow(
                trust=projection.names.get(provider, str(provider)),
                ods_code=ods.get(provider, str(provider)),
                target=str(r["target"]),
                kind=kinds[r["target"]],
                due=r["due"],
                week=None if pd.isna(r["week"]) else int(r["week"]),
                with_plan=_number(r["with_plan"]),
                without_plan=_number(r["without_plan"]),
                met=_flag(r["met"]),
                met_without_plan=_flag(r["met_without_plan"]),
                shortfall=_number(r["shortfall"]),
                unit=str(r["unit"]),
                extra_treatments_per_week=treatments,
                extra_sessions_per_week=sessions,
            )
        )
    horizon = int(with_plan["week"].max())
    return TargetReport(projection.scenario_name, projection.comparison, start, horizon, rows)


def scenario_targets(
    token: str,
    scenario_id: int,
    projection: ScenarioProjection,
    targets: Sequence[DatedTarget] = DEFAULT_TARGETS,
) -> TargetReport:
    """The Dashboard's dated targets, for a member who may view the scenario.

    `projection` is the Dashboard's (cached) projection of the same scenario and horizon.
    """
    horizon = int(projection.deterministic.frame("total")["week"].max())
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        inp, ods = scenario_projection_input(use.session, use.scenario, horizon)
    return target_report(projection, inp, ods, targets)


def scenario_targets_as_operator(
    scenario_id: int,
    projection: ScenarioProjection,
    targets: Sequence[DatedTarget] = DEFAULT_TARGETS,
    db_url: str | None = None,
) -> TargetReport:
    """The same, run as the server operator (the CLI); no caller is checked.

    Raises:
        ScenarioNotFoundError: If no scenario has this id.
    """
    horizon = int(projection.deterministic.frame("total")["week"].max())
    with unit_of_work(db_url) as session:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None:
            raise ScenarioNotFoundError(scenario_id)
        inp, ods = scenario_projection_input(session, scenario, horizon)
    return target_report(projection, inp, ods, targets)
