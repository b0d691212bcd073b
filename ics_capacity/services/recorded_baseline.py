"""The recorded baseline: each trust's projected figures, stored when a scenario is approved.

A collaborative's recorded baseline is the scenario it approved last, with the Dashboard's
projection of that scenario as it stood at the moment of approval: per member trust and week
0..104, the waiting list, the share within 18 weeks and the 52, 65 and 78+ week waiters
(`RecordedBaseline` rows, written once and never changed; triggers refuse UPDATE). Approving a
scenario records it in the approval's own transaction (`record_approval`). The published baseline
is approved when it is imported, before its capacity and case mix are all loaded, so it is
recorded the first time a page asks for the recorded baseline and none exists yet
(`_record_published_baseline`), as the system, audited.

Pages report each trust's plan against these stored figures, so an edit made after an approval
never moves the baseline a plan is judged by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    AuditEvent,
    Organisation,
    RecordedBaseline,
    Scenario,
    ScenarioStatus,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.services.dashboard import MAX_HORIZON_WEEKS, scenario_projection
from ics_capacity.services.projections import (
    PROJECTION_METHOD,
    trust_week_figures,
    with_flows_to_week,
)
from ics_capacity.services.scenarios import ScenarioError, scenario_transaction

SAME_COUNT = 0.5
"""Counts of patients closer than this are the same (a projection's fractions are not people)."""
SAME_SHARE = 0.0005
"""Shares within 18 weeks closer than this (0.05 percentage points) are the same."""

MEASURES: tuple[tuple[str, str, bool], ...] = (
    ("waiting_list", "Waiting list", False),
    ("within_18_weeks_share", "Within 18 weeks", True),
    ("over_52_weeks", "52+ weeks", False),
    ("over_65_weeks", "65+ weeks", False),
    ("over_78_weeks", "78+ weeks", False),
)
"""(field, heading, higher is better) of each figure a trust is reported on."""


def record_approval(session: Session, approved_by: str, scenario: Scenario) -> int:
    """Stores `scenario`'s per-trust projection as approved now, in the caller's transaction.

    Called by the approval itself, after the status is set. A scenario with nothing to project
    (no member trusts or no waiting list) records nothing; the pages then say no baseline is
    recorded.

    Returns:
        The number of rows written (trusts × 105 weeks), 0 when nothing could be projected.
    """
    try:
        figures = trust_week_figures(session, scenario)
    except ScenarioError:
        return 0
    approved_at = scenario.decided_at or scenario.created_at
    assert scenario.id is not None  # a scenario read from the database
    session.add_all(
        RecordedBaseline(
            collaborative_id=scenario.collaborative_id,
            scenario_id=scenario.id,
            scenario_name=scenario.name,
            approved_at=approved_at,
            approved_by=approved_by,
            method=PROJECTION_METHOD,
            ods_code=f.ods_code,
            trust_name=f.trust_name[:200],
            week=f.week,
            at_date=f.at_date,
            waiting_list=f.waiting_list,
            within_18_weeks_share=f.within_18_weeks_share,
            over_52_weeks=f.over_52_weeks,
            over_65_weeks=f.over_65_weeks,
            over_78_weeks=f.over_78_weeks,
            treated_to_week=f.treated_to_week,
            removed_by_validation_to_week=f.removed_by_validation_to_week,
        )
        for f in figures
    )
    trusts = len({f.ods_code for f in figures})
    session.add(
        AuditEvent(
            user_email=approved_by,
            collaborative_id=scenario.collaborative_id,
            scenario_id=scenario.id,
            action="baseline.record",
            entity="recorded_baseline",
            entity_id=str(scenario.id),
            field="approved_at",
            new_value=approved_at.isoformat(),
            summary=f"Recorded '{scenario.name}' as the baseline: the projection of its "
            f"{trusts} member trusts, weeks 0-{MAX_HORIZON_WEEKS}",
        )
    )
    session.flush()
    return len(figures)


def _newest_recording(session: Session, collaborative_id: int) -> tuple[int, dt.datetime] | None:
    row = session.exec(
        select(RecordedBaseline.scenario_id, RecordedBaseline.approved_at)
        .where(RecordedBaseline.collaborative_id == collaborative_id)
        .order_by(col(RecordedBaseline.approved_at).desc(), col(RecordedBaseline.id).desc())
    ).first()
    return (int(row[0]), row[1]) if row is not None else None


def _record_published_baseline(session: Session, collaborative_id: int) -> None:
    """Records the collaborative's published baseline, if it has one and nothing is recorded.

    Written by the system in the caller's transaction; of two pages asking at once, the second
    meets the unique key at its commit (`against_recorded_baseline` then reads the first's rows).
    """
    baseline = session.exec(
        select(Scenario).where(
            Scenario.collaborative_id == collaborative_id,
            col(Scenario.is_baseline).is_(True),
            Scenario.status == ScenarioStatus.APPROVED,
        )
    ).first()
    if baseline is None:
        return
    record_approval(session, "system (published baseline, recorded on first use)", baseline)


@dataclass(frozen=True)
class TrustAgainstBaseline:
    """One trust's figure on one measure: recorded baseline, plan, difference and verdict.

    `verdict` is "better", "worse" or "same"; `difference` is plan minus baseline, in words.
    """

    trust: str
    ods_code: str
    measure: str
    baseline: str
    plan: str
    difference: str
    verdict: str


@dataclass(frozen=True)
class BaselineReport:
    """Every trust's KPIs for a scenario against the collaborative's recorded baseline.

    `recorded` is False when no baseline is recorded yet (then `message` says so and `rows` is
    empty). `heading` names the baseline, who approved it and when, and the week compared;
    `note` says when the scenario is the published baseline (its projection carries no plan).
    """

    recorded: bool
    heading: str
    message: str
    week: int
    rows: list[TrustAgainstBaseline]
    worse_trusts: list[str]
    note: str = ""


def _figure(value: float, share: bool) -> str:
    return f"{value:.1%}" if share else f"{value:,.0f}"


def _difference(diff: float, share: bool) -> str:
    if abs(diff) < (SAME_SHARE if share else SAME_COUNT):
        return "none"
    if share:
        return f"{diff * 100:+.1f} points"
    return f"{diff:+,.0f}"


def _verdict(diff: float, share: bool, higher_is_better: bool) -> str:
    if abs(diff) < (SAME_SHARE if share else SAME_COUNT):
        return "same"
    return "better" if (diff > 0) == higher_is_better else "worse"


def _more_validation(base: RecordedBaseline, plan: dict[str, float] | None) -> float | None:
    """Patients the plan assumes validation removes beyond the baseline's, weeks 1 to the week.

    None when the baseline did not record its removals (approved before they were recorded) or
    the trust is not projected.
    """
    if plan is None or base.removed_by_validation_to_week is None:
        return None
    return plan["removed_by_validation_to_week"] - base.removed_by_validation_to_week


def _net_of_validation(shorter: float, more_validation: float | None) -> tuple[str, str]:
    """The verdict and difference of a list `shorter` than the baseline's, validation set apart.

    A list shortened only by assuming validation removes more patients is not better: its verdict
    says so. Where part of the fall is validation's, the difference says how much.
    """
    difference = _difference(-shorter, False)
    if more_validation is None or more_validation < SAME_COUNT:
        return "better", difference
    if more_validation >= shorter - SAME_COUNT:
        return (
            "only by validation",
            f"{difference}, all of it from {more_validation:,.0f} more removed by validation",
        )
    return "better", f"{difference}, of which {more_validation:,.0f} from more validation"


LEAVING_MEASURES: tuple[tuple[str, str], ...] = (
    ("treated_to_week", "Treated"),
    ("removed_by_validation_to_week", "Removed by validation, not treated"),
)
"""(field, heading) of the patients who left the list, reported apart and never added together."""


def _leaving_rows(
    base: RecordedBaseline, plan: dict[str, float] | None, week: int
) -> list[TrustAgainstBaseline]:
    """A trust's patients treated and removed by validation in weeks 1 to `week`, both sides.

    These are not judged better or worse: more removals by validation are an assumption, not an
    achievement, and the waiting list's verdict already sets them apart.
    """
    rows = []
    for field, heading in LEAVING_MEASURES:
        recorded = getattr(base, field)
        after = None if plan is None else plan[field]
        if recorded is None:
            baseline, difference = "not recorded", "–"
        else:
            baseline = _figure(float(recorded), False)
            difference = "–" if after is None else _difference(after - float(recorded), False)
        rows.append(
            TrustAgainstBaseline(
                trust=base.trust_name,
                ods_code=base.ods_code,
                measure=f"{heading}, weeks 1-{week}",
                baseline=baseline,
                plan="not projected" if after is None else _figure(after, False),
                difference=difference,
                verdict="not judged",
            )
        )
    return rows


def against_recorded_baseline(token: str, scenario_id: int, week: int) -> BaselineReport:
    """Each member trust's projected KPIs for the scenario at `week` beside the recorded baseline.

    The plan's figures are the Dashboard's projection of the scenario (its capacity and saved
    plan); the baseline's are the rows stored when the baseline was approved. Both read the same
    week after the data, so one method judges both.

    Raises:
        ScenarioError: `week` outside 0..104, or nothing to project.
        ServiceError: the caller may not view the scenario.
    """
    if not 0 <= week <= MAX_HORIZON_WEEKS:
        raise ScenarioError(f"Week {week} is not within 0 to {MAX_HORIZON_WEEKS}.")
    try:
        with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
            if _newest_recording(use.session, use.scenario.collaborative_id) is None:
                _record_published_baseline(use.session, use.scenario.collaborative_id)
    except sa.exc.IntegrityError:
        pass  # another page recorded the published baseline at the same moment
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session, collaborative = use.session, use.scenario.collaborative_id
        is_baseline = use.scenario.is_baseline
        newest = _newest_recording(session, collaborative)
        recorded = (
            session.exec(
                select(RecordedBaseline).where(
                    RecordedBaseline.scenario_id == newest[0],
                    RecordedBaseline.approved_at == newest[1],
                    RecordedBaseline.week == week,
                )
            ).all()
            if newest is not None
            else []
        )
        ods = dict(session.exec(select(Organisation.id, Organisation.ods_code)).all())
    if not recorded:
        return BaselineReport(
            recorded=False,
            heading="No baseline is recorded yet",
            message="No baseline is recorded yet for this collaborative: a scenario's trust "
            "figures are recorded when an executive approves it (the published baseline when "
            "it has a waiting list to project). Until then no trust can be judged against one.",
            week=week,
            rows=[],
            worse_trusts=[],
        )
    first = recorded[0]
    projection = scenario_projection(token, scenario_id, MAX_HORIZON_WEEKS)
    frame = with_flows_to_week(projection.deterministic.frame("provider"))
    frame = frame[frame["week"] == week]
    plan_by_code = {
        ods.get(int(r["provider"]), str(r["provider"])): {
            "waiting_list": float(r["list_size"]),
            "within_18_weeks_share": float(r["pct_within_18"]) / 100,
            "over_52_weeks": float(r["over_52"]),
            "over_65_weeks": float(r["over_65"]),
            "over_78_weeks": float(r["over_78"]),
            "treated_to_week": float(r["treated_to_week"]),
            "removed_by_validation_to_week": float(r["validated_to_week"]),
        }
        for r in frame.to_dict("records")
    }
    rows: list[TrustAgainstBaseline] = []
    worse: list[str] = []
    for base in sorted(recorded, key=lambda r: r.trust_name):
        plan = plan_by_code.get(base.ods_code)
        more_validation = _more_validation(base, plan)
        for field, heading, higher_is_better in MEASURES:
            share = field == "within_18_weeks_share"
            before = float(getattr(base, field))
            after = None if plan is None else plan[field]
            verdict = (
                "not projected"
                if after is None
                else _verdict(after - before, share, higher_is_better)
            )
            difference = "–" if after is None else _difference(after - before, share)
            if field == "waiting_list" and after is not None and verdict == "better":
                verdict, difference = _net_of_validation(before - after, more_validation)
            if verdict == "worse" and base.trust_name not in worse:
                worse.append(base.trust_name)
            rows.append(
                TrustAgainstBaseline(
                    trust=base.trust_name,
                    ods_code=base.ods_code,
                    measure=heading,
                    baseline=_figure(before, share),
                    plan="not projected" if after is None else _figure(after, share),
                    difference=difference,
                    verdict=verdict,
                )
            )
        rows.extend(_leaving_rows(base, plan, week))
    approved = first.approved_at
    when = f"{approved:%d %b %Y %H:%M} UTC"
    at = f"week {week}" + (f" ({first.at_date:%d %b %Y})" if first.at_date else "")
    return BaselineReport(
        recorded=True,
        heading=f"Against the recorded baseline '{first.scenario_name}', approved {when} by "
        f"{first.approved_by}: each trust at {at}",
        message=f"The baseline's figures were stored when it was approved ({first.method}); "
        f"the plan's are the Dashboard's projection of '{projection.scenario_name}' now. "
        "Lower is better for the waiting list and long waits, higher for the share within 18 "
        "weeks. Patients treated and removed by validation are shown apart and not judged; a "
        "list shorter only because more are assumed removed by validation is not called better.",
        week=week,
        rows=rows,
        worse_trusts=worse,
        note=(
            "This is the published baseline, projected on published activity: a plan solved "
            "on it shows here once saved as a scenario of its own."
            if is_baseline
            else ""
        ),
    )
