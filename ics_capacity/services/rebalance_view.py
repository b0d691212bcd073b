"""The rebalancing plan as the page shows it: plain rows, names, the pressure chart and who moves.

Pure reading of a finished run's result (a `RebalanceResult`, validated back from the job row),
plus the use cases that fetch the newest plan of a scenario for a member: with its trusts' and
sites' names, the scope it covers against the Overview's figures, and the plan at the grain of
"who moves where" (trust -> site by treatment function, month and wait band) as rows and as a
CSV or Excel file. Labels come from the catalogue of measures (`ics_capacity.domain.measures`).

The parts: `plan_moves` ("who moves where") and `plan_description` (the page's rows and chart);
their public names are importable from here as before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlmodel import col, select

from ics_capacity.db.models import CollaborativeMember, Organisation, Site
from ics_capacity.domain.assumptions import INDEPENDENT_SITES
from ics_capacity.domain.roles import Permission
from ics_capacity.services.jobs import JobView, latest_job
from ics_capacity.services.overview import WaitingCounts, waiting_counts
from ics_capacity.services.plan_description import PlanView, describe_plan, spend_note
from ics_capacity.services.plan_moves import (
    MOVES_COLUMNS,
    MOVES_SHOWN,
    WAIT_GROUPS,
    PlanNames,
    moves_sentence,
    wait_group,
    week_start,
    who_moves_where,
)
from ics_capacity.services.recorded_baseline import BaselineReport, against_recorded_baseline
from ics_capacity.services.results import RebalanceResult
from ics_capacity.services.scenarios import NotFoundError, ScenarioError, scenario_transaction
from ics_capacity.services.spreadsheets import csv_bytes, xlsx_bytes

__all__ = [
    "MOVES_COLUMNS",
    "MOVES_SHOWN",
    "WAIT_GROUPS",
    "PlanNames",
    "PlanView",
    "describe_plan",
    "latest_plan",
    "moves_sentence",
    "plan_moves_file",
    "spend_note",
    "wait_group",
    "week_start",
    "who_moves_where",
]


def _plan_names(token: str | None, scenario_id: int, result: RebalanceResult) -> PlanNames:
    codes = {q.provider for q in result.queues} | {row.provider for row in result.plan}
    hubs = {row.hub for row in result.plan} | {u.hub for u in result.hub_use}
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session = use.session
        orgs = dict(
            session.exec(
                select(Organisation.ods_code, Organisation.name).where(
                    col(Organisation.ods_code).in_(sorted(codes | hubs))
                )
            ).all()
        )
        sites = dict(
            session.exec(
                select(Site.code, Site.name).where(col(Site.scenario_id) == use.scenario.id)
            ).all()
        )
        members = list(
            session.exec(
                select(CollaborativeMember.organisation_id).where(
                    CollaborativeMember.collaborative_id == use.scenario.collaborative_id
                )
            ).all()
        )
        counts = waiting_counts(session, use.scenario.id, members)  # type: ignore[arg-type]
        period = use.scenario.data_period
    site_names = {h: INDEPENDENT_SITES[h].name for h in hubs if h in INDEPENDENT_SITES}
    site_names |= {h: orgs[h] for h in hubs if h in orgs and h not in site_names}
    site_names |= sites
    start = None
    if period is not None:
        start = (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return PlanNames(
        trusts={c: orgs.get(c, c) for c in codes},
        sites=site_names,
        start=start,
        members=sum(counts.values(), WaitingCounts()),
    )


def latest_plan(token: str | None, scenario_id: int) -> tuple[JobView | None, PlanView]:
    """The scenario's newest rebalancing run and, if it has a plan, the plan with names."""
    job = latest_job(token, scenario_id, "rebalance")
    if job is None or job.rebalance is None:
        return job, PlanView()
    result = job.rebalance
    view = describe_plan(result, _plan_names(token, scenario_id, result))
    weeks = result.settings.horizon_weeks if result.settings else 26
    return job, dataclasses.replace(view, **_against_baseline(token, scenario_id, weeks))


def _against_baseline(token: str | None, scenario_id: int, weeks: int) -> dict[str, Any]:
    """The plan's trusts against the recorded baseline at the plan's last week, for the page.

    The no-trust-worse guard judges each trust in the optimiser's own model of its admitted
    lists at the end of the plan's horizon; this table reads the Dashboard's projection of every
    pathway at the same week, against the figures stored when the baseline was approved. The
    note says so, so the two are not read as one measure.
    """
    try:
        report: BaselineReport = against_recorded_baseline(token or "", scenario_id, weeks)
    except ScenarioError as error:
        return {
            "baseline_heading": "Trusts against the recorded baseline",
            "baseline_message": str(error),
        }
    message = " ".join(x for x in (report.message, report.note) if x)
    if report.recorded:
        message += (
            f" These are every incomplete pathway at week {weeks}, from the projection; the "
            f"no-trust-worse guard compares each trust's admitted lists at the end of the "
            f"optimiser's horizon (week {weeks}) in its own model against no collaboration, so "
            "its long waits are of fewer patients than these."
        )
        if report.worse_trusts:
            message += (
                " Worse than the recorded baseline on some measure: "
                + ", ".join(report.worse_trusts)
                + "."
            )
    rows = [
        {
            "trust": r.trust,
            "measure": r.measure,
            "baseline": r.baseline,
            "plan": r.plan,
            "difference": r.difference,
            "verdict": r.verdict,
        }
        for r in report.rows
    ]
    return {
        "baseline_heading": report.heading,
        "baseline_message": message,
        "baseline_rows": rows,
    }


def plan_moves_file(token: str | None, scenario_id: int, fmt: str) -> tuple[bytes, str]:
    """The newest plan at the who-moves-where grain, as CSV or Excel, and a file name.

    Raises:
        NotFoundError: If the scenario has no finished plan.
    """
    job = latest_job(token, scenario_id, "rebalance")
    if job is None or job.rebalance is None:
        raise NotFoundError("Run the optimiser first.")
    result = job.rebalance
    frame = who_moves_where(result, _plan_names(token, scenario_id, result))
    frame = frame.assign(month=frame["month"].map(lambda d: f"{d:%B %Y}"))
    frame = frame.rename(columns=MOVES_COLUMNS)
    stem = f"rebalancing-plan-scenario-{scenario_id}-job-{job.id}"
    if fmt == "xlsx":
        return xlsx_bytes({"Who moves where": frame}), f"{stem}.xlsx"
    return csv_bytes(frame), f"{stem}.csv"
