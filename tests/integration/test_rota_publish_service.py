"""Publishing a rota: who may, what is kept, and a later build keeping it where possible.

A workforce lead publishes a finished build; viewers and other collaboratives are refused (and
nothing is saved); the publication is audited, read-only and downloadable by every member; a
newer one for the same period supersedes it. A rebuild of the same week after someone's leave
keeps the published days it can and lists every change, the leave among the causes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ics_capacity.db.models import (
    AuditEvent,
    PublishedRota,
    RotaLeave,
    RotaStaff,
    SolveJob,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.results import RotaOutcome
from ics_capacity.services.rota import (
    download_published_rota,
    rota_problem_as_operator,
    solve_problem,
)
from ics_capacity.services.rota_published import publish_rota, published_rotas
from tests.integration.test_rota_service import _branch, _settings, _token

FAST = {"time_limit_seconds": 4.0}


def _done_job(url: str, scenario_id: int, outcome: RotaOutcome) -> int:
    with unit_of_work(url) as session:
        job = SolveJob(
            scenario_id=scenario_id,
            kind="rota",
            status="done",
            progress=100,
            requested_by="workforce-lead@bcpc.test",
            parameters="{}",
            result=outcome.model_dump_json(),
            finished_at=utc_now(),
        )
        session.add(job)
        session.commit()
        return job.id or 0


def give_leave(url: str, scenario_id: int, staff_code: str, on: dt.date) -> None:
    """A day of annual leave for one of the scenario's rota staff."""
    with unit_of_work(url) as session:
        person = session.exec(
            select(RotaStaff).where(
                RotaStaff.scenario_id == scenario_id, RotaStaff.code == staff_code
            )
        ).one()
        session.add(
            RotaLeave(staff_id=person.id or 0, start_date=on, end_date=on, kind="annual_leave")
        )
        session.commit()


def _audited(url: str, action: str) -> list[str]:
    with unit_of_work(url) as session:
        return list(
            session.exec(select(AuditEvent.summary).where(AuditEvent.action == action)).all()
        )


def test_publish_is_for_workforce_leads_audited_and_downloadable_by_members(app_db) -> None:
    url, emails = app_db
    branch = _branch(url, emails, "Rota to publish")
    outcome = solve_problem(
        rota_problem_as_operator(branch.id, _settings(branch.start, **FAST), url)
    )
    assert outcome.has_rota and outcome.hard_violations == ()
    job = _done_job(url, branch.id, outcome)

    for role in ("viewer", "executive", "manager"):
        with pytest.raises(auth.PermissionDeniedError):
            publish_rota(_token(emails, role), branch.id, job)
    with pytest.raises(sc.NotFoundError):
        publish_rota(_token(emails, "outsider"), branch.id, job)
    with pytest.raises(sc.NotFoundError):
        published_rotas(_token(emails, "outsider"), branch.id)
    with unit_of_work(url) as session:
        assert session.exec(select(sa.func.count()).select_from(PublishedRota)).one() == 0

    message = publish_rota(branch.lead, branch.id, job)
    assert "Published the rota" in message and f"run {job}" in message
    assert _audited(url, "rota.publish") == [message]
    with pytest.raises(sc.ConflictError):
        publish_rota(branch.lead, branch.id, job)  # already the current one

    viewer = _token(emails, "viewer")
    (shown,) = published_rotas(viewer, branch.id)
    assert shown.current and shown.job_id == job
    assert shown.published_by == emails["workforce_lead"]
    assert shown.first_date == branch.start.isoformat()
    name, data = download_published_rota(viewer, branch.id, shown.id, "csv")
    assert name.startswith("published-rota-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(outcome.assignments)
    with pytest.raises(sc.NotFoundError):
        download_published_rota(_token(emails, "outsider"), branch.id, shown.id, "csv")

    # A newer build of the same week supersedes it; the old one stays as history.
    newer = _done_job(url, branch.id, outcome)
    publish_rota(_token(emails, "admin"), branch.id, newer)
    listed = published_rotas(viewer, branch.id)
    assert [(p.job_id, p.current) for p in listed] == [(newer, True), (job, False)]


def test_a_rebuild_after_leave_keeps_the_published_rota_and_lists_each_change(app_db) -> None:
    url, emails = app_db
    branch = _branch(url, emails, "Rota minimal change")
    settings = _settings(branch.start, **FAST)
    first = solve_problem(rota_problem_as_operator(branch.id, settings, url))
    publish_rota(branch.lead, branch.id, _done_job(url, branch.id, first))

    unchanged_problem = rota_problem_as_operator(branch.id, settings, url)
    assert unchanged_problem.published is not None
    assert unchanged_problem.published.days == 7
    assert unchanged_problem.data.published_weight > 0

    # Leave for someone who works day 2 of the published rota.
    worked = next(a for a in first.assignments if a.day == 2)
    on = branch.start + dt.timedelta(days=2)
    give_leave(url, branch.id, worked.staff_id, on)
    problem = rota_problem_as_operator(branch.id, settings, url)
    again = solve_problem(problem)
    assert again.hard_violations == ()
    assert again.checked_objective == again.stats.objective
    assert again.published is not None
    was = {(a.staff_id, a.day): a.shift_id for a in first.assignments}
    now = {(a.staff_id, a.day): a.shift_id for a in again.assignments}
    diff = {
        (code, branch.start + dt.timedelta(days=d))
        for code in {r.code for r in first.staff}
        for d in range(7)
        if was.get((code, d)) != now.get((code, d))
    }
    listed = {(c.staff_id, dt.date.fromisoformat(c.date)) for c in again.published_changes}
    assert listed == diff
    leave = [
        c
        for c in again.published_changes
        if c.staff_id == worked.staff_id and c.date == on.isoformat()
    ]
    assert [(c.was, c.now, c.why) for c in leave] == [(worked.shift_id, "", "leave or a day off")]

    # Asked not to keep it, the build passes no published rota at all.
    free = rota_problem_as_operator(branch.id, _settings(branch.start, keep_published=False), url)
    assert free.published is None and free.data.published == ()
