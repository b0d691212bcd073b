"""Approving a scenario records each trust's projection; plans are reported against it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ics_capacity.db.models import AuditEvent, RecordedBaseline
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.comparison import compare_outcomes
from ics_capacity.services.dashboard import scenario_projection
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.recorded_baseline import against_recorded_baseline
from ics_capacity.services.scenarios import (
    create_scenario,
    decide_scenario,
    scenario_summary,
    submit_scenario,
)
from ics_capacity.services.validation import set_validation_share
from tests.conftest import TEST_PASSWORD


def _recorded(url: str, scenario_id: int) -> dict[tuple[str, int], tuple[float, ...]]:
    with unit_of_work(url) as session:
        rows = session.exec(
            select(RecordedBaseline).where(RecordedBaseline.scenario_id == scenario_id)
        ).all()
        return {
            (r.ods_code, r.week): (
                r.waiting_list,
                r.within_18_weeks_share,
                r.over_52_weeks,
                r.over_65_weeks,
                r.over_78_weeks,
            )
            for r in rows
        }


def _more_sessions(manager: str, scenario_id: int) -> None:
    row = next(r for r in read_site_capacity(manager, scenario_id) if r.code == "CANNOCK")
    update_site_capacity(
        manager, scenario_id, row.site_id, "sessions_per_week", "21", row.theatre_version
    )


def test_approval_records_each_trusts_projection_and_later_edits_leave_it(demo) -> None:
    url, emails, manager, executive, baseline, _ = demo
    plan = create_scenario(manager, baseline, "Hubs phase 1")
    _more_sessions(manager, plan)
    submit_scenario(manager, plan, scenario_summary(manager, plan).version)
    decide_scenario(
        executive, plan, scenario_summary(executive, plan).version, approve=True, note="Board"
    )

    recorded = _recorded(url, plan)
    projection = scenario_projection(manager, plan, 104)
    frame = projection.deterministic.frame("provider")
    with unit_of_work(url) as session:
        ods = dict(session.execute(sa.text("SELECT id, ods_code FROM organisation")).all())
    expected = {
        (ods[int(r.provider)], int(r.week)): (
            float(r.list_size),
            float(r.pct_within_18) / 100,
            float(r.over_52),
            float(r.over_65),
            float(r.over_78),
        )
        for r in frame.itertuples()
    }
    assert len(projection.names) >= 2
    assert set(recorded) == set(expected)
    assert {week for _, week in recorded} == set(range(105))
    for key, figures in expected.items():
        assert recorded[key] == pytest.approx(figures, rel=1e-9, abs=1e-9), key

    # A later capacity edit to another draft changes that draft's projection, not the record.
    draft = create_scenario(manager, plan, "Hubs phase 2")
    _more_sessions(manager, draft)
    row = next(r for r in read_site_capacity(manager, draft) if r.code == "CANNOCK")
    update_site_capacity(
        manager, draft, row.site_id, "theatres", str(row.theatres + 2), row.theatre_version
    )
    assert _recorded(url, plan) == recorded

    report = against_recorded_baseline(manager, draft, 52)
    assert report.recorded and "'Hubs phase 1'" in report.heading
    assert emails["executive"].lower() in report.heading
    trusts = {r.ods_code for r in report.rows}
    assert trusts == {code for code, _ in recorded}
    lists = {r.ods_code: r for r in report.rows if r.measure == "Waiting list"}
    for code, row in lists.items():
        assert row.baseline == f"{recorded[(code, 52)][0]:,.0f}"
    # More theatres at Cannock shorten its trust's list against the recorded figure.
    assert any(r.verdict == "better" for r in lists.values())

    # Compare reports each scenario's trusts against the same record, at the week it compares:
    # the approved scenario itself is the same as its record on every trust and measure.
    compared = compare_outcomes(manager, [plan, draft], 52).against_baseline
    assert [r.recorded for r in compared] == [True, True]
    assert {r.verdict for r in compared[0].rows if r.verdict != "not judged"} == {"same"}
    # Treated and removed by validation are recorded too, shown apart, the same as the record.
    leaving = [r for r in compared[0].rows if r.verdict == "not judged"]
    assert {r.measure for r in leaving} == {
        "Treated, weeks 1-52",
        "Removed by validation, not treated, weeks 1-52",
    }
    assert {r.difference for r in leaving} == {"none"}
    assert all(r.baseline != "not recorded" for r in leaving)
    assert [r.verdict for r in compared[1].rows] == [r.verdict for r in report.rows]

    # The rows cannot be changed: the database refuses an UPDATE.
    with pytest.raises(sa.exc.DBAPIError), unit_of_work(url) as session:
        session.execute(sa.text("UPDATE recorded_baseline SET waiting_list = 0"))
        session.commit()
    assert _recorded(url, plan) == recorded
    with unit_of_work(url) as session:
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.scenario_id == plan)
        ).all()
    assert "baseline.record" in actions


def test_published_baseline_is_recorded_on_first_use_and_outsiders_see_nothing(demo) -> None:
    url, emails, manager, _executive, baseline, collaborative = demo
    draft = create_scenario(manager, baseline, "Draft")
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        against_recorded_baseline(outsider, draft, 26)
    with pytest.raises(ServiceError):
        against_recorded_baseline(None, draft, 26)  # type: ignore[arg-type]
    assert _recorded(url, baseline) == {}

    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    report = against_recorded_baseline(viewer, draft, 26)
    assert report.recorded and "published baseline" in report.heading
    first = _recorded(url, baseline)
    assert first
    # An unchanged copy of the baseline is the same as it, trust by trust.
    assert {r.verdict for r in report.rows} == {"same", "not judged"}
    # Asked again, it is not recorded twice.
    against_recorded_baseline(manager, draft, 13)
    with unit_of_work(url) as session:
        count = session.execute(
            sa.select(sa.func.count())
            .select_from(RecordedBaseline)
            .where(RecordedBaseline.collaborative_id == collaborative)
        ).scalar()
    assert count == len(first)


def test_a_list_shortened_only_by_more_validation_is_not_called_better(demo) -> None:
    """Issue 15 §4: validation is kept apart from treatment against the recorded baseline too."""
    url, _emails, manager, _executive, baseline, _ = demo
    draft = create_scenario(manager, baseline, "Validation only")
    set_validation_share(manager, draft, "C_110", "40", expected_version=0)

    report = against_recorded_baseline(manager, draft, 52)
    assert report.recorded
    recorded = {
        (r.ods_code, r.week): r
        for r in _rows(url, baseline)
        if r.week == 52 and r.treated_to_week is not None
    }
    assert recorded, "the published baseline records its patients treated and removed"
    by = {(r.ods_code, r.measure): r for r in report.rows}
    judged = 0
    for (code, _), base in recorded.items():
        waiting = by[(code, "Waiting list")]
        removed = by[(code, "Removed by validation, not treated, weeks 1-52")]
        treated = by[(code, "Treated, weeks 1-52")]
        assert removed.baseline == f"{base.removed_by_validation_to_week:,.0f}"
        assert treated.baseline == f"{base.treated_to_week:,.0f}"
        assert removed.verdict == treated.verdict == "not judged"
        if waiting.difference != "none":
            # The same capacity treats the same patients; the list is shorter only because more
            # are assumed removed, and the verdict says so instead of "better".
            assert waiting.verdict == "only by validation", waiting
            assert "more removed by validation" in waiting.difference
            judged += 1
    assert judged >= 1, "40% validation of trauma and orthopaedics shortens some trust's list"
    assert "only by validation" not in report.worse_trusts


def _rows(url: str, scenario_id: int) -> list[RecordedBaseline]:
    with unit_of_work(url) as session:
        rows = session.exec(
            select(RecordedBaseline).where(RecordedBaseline.scenario_id == scenario_id)
        ).all()
        session.expunge_all()
        return list(rows)
