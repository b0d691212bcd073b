"""History carried into a new rota by the service: the previous rota, or an uploaded record.

One hub (Sandwell) over one week, solved for a few seconds on one worker. The new rota is held to
the independent checker with the history in its problem, so no rule breaks across the join.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import SolveJob, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.importers.rota_history import HistoryRow
from ics_capacity.services.results import RotaOutcome
from ics_capacity.services.rota import HISTORY_DAYS, rota_problem_as_operator, solve_problem
from solvers.rota.check import check_rota
from tests.integration.test_rota_service import HUB, QUICK, _branch, _settings


def _save_as_done_job(url: str, scenario_id: int, outcome: RotaOutcome) -> None:
    """Stores a built rota as the scenario's newest finished rota job, as a worker would."""
    with unit_of_work(url) as session:
        session.add(
            SolveJob(
                scenario_id=scenario_id,
                kind="rota",
                status="done",
                progress=100,
                requested_by="workforce-lead@bcpc.test",
                parameters=outcome.settings.model_dump_json(),
                result=outcome.model_dump_json(),
                finished_at=utc_now(),
            )
        )
        session.commit()


def test_the_previous_rota_is_carried_in_when_it_ends_the_day_before(app_db) -> None:
    url, emails = app_db
    branch = _branch(url, emails, "Rota with history")
    first_problem = rota_problem_as_operator(branch.id, _settings(branch.start, **QUICK), url)
    assert first_problem.history is None
    first = solve_problem(first_problem)
    assert first.assignments
    _save_as_done_job(url, branch.id, first)

    later = branch.start + dt.timedelta(days=7)
    problem = rota_problem_as_operator(branch.id, _settings(later, **QUICK), url)
    used = problem.history
    assert used is not None and used.source.startswith("previous rota")
    assert (used.days, used.first_date, used.last_date) == (
        7,
        branch.start.isoformat(),
        (later - dt.timedelta(days=1)).isoformat(),
    )
    carried = {(p.staff_id, p.day, p.shift_id) for p in problem.data.history}
    assert carried == {(a.staff_id, a.day - 7, a.shift_id) for a in first.assignments}
    assert used.shifts == len(carried) and used.people == len(
        {a.staff_id for a in first.assignments}
    )

    second = solve_problem(problem)
    assert second.history == used
    assert second.hard_violations == ()
    assert check_rota(problem.data, second.assignments).violations == ()

    # Rebuilding the second week, once it is the newest rota, still carries the first in.
    _save_as_done_job(url, branch.id, second)
    again = rota_problem_as_operator(branch.id, _settings(later), url)
    assert again.history == used

    # A rota that does not start the day after the last one ends carries nothing in.
    gap = rota_problem_as_operator(branch.id, _settings(later + dt.timedelta(days=1)), url)
    assert gap.history is None and gap.data.history == ()


def test_an_uploaded_record_is_carried_in_and_checked(app_db) -> None:
    url, emails = app_db
    branch = _branch(url, emails, "Rota with uploaded history")
    settings = _settings(branch.start)
    plain = rota_problem_as_operator(branch.id, settings, url)
    night = plain.data.shift(f"{HUB}-N")
    nurse = next(p.id for p in plain.data.staff if p.group == "ward_nurse" and p.may_work_at(night))
    nights = [
        HistoryRow(
            row=2 + k,
            staff_code=nurse,
            date=branch.start - dt.timedelta(days=k + 1),
            shift_code=f"{HUB}-N",
        )
        for k in range(4)
    ]
    stranger = HistoryRow(
        row=9,
        staff_code="NOT-HERE",
        date=branch.start - dt.timedelta(days=1),
        shift_code=f"{HUB}-N",
    )
    problem = rota_problem_as_operator(branch.id, settings, url, [*nights, stranger], "nights.csv")
    used = problem.history
    assert used is not None and used.source == "uploaded file nights.csv"
    assert (used.days, used.people, used.shifts) == (HISTORY_DAYS, 1, 4)
    assert used.ignored == ("1 people not on this rota's staff list (e.g. NOT-HERE)",)
    outcome = solve_problem(problem)
    assert check_rota(problem.data, outcome.assignments).violations == ()
    # A night on day -1 ends at 08:00 on day 0: 11 h of daily rest (WTR) before any shift.
    banned = {then for first, then in problem.data.banned_successions if first == f"{HUB}-N"}
    assert f"{HUB}-LD" in banned
    assert not [
        a
        for a in outcome.assignments
        if a.staff_id == nurse and a.day == 0 and a.shift_id in banned
    ]

    bad = [
        HistoryRow(row=2, staff_code=nurse, date=branch.start, shift_code=f"{HUB}-N"),
        HistoryRow(
            row=3, staff_code=nurse, date=branch.start - dt.timedelta(days=2), shift_code="MARS-N"
        ),
    ]
    with pytest.raises(ImportValidationError) as raised:
        rota_problem_as_operator(branch.id, settings, url, bad, "bad.csv")
    text = str(raised.value)
    assert (
        f"bad.csv row 2, column 'date': '{branch.start.isoformat()}' is not one of the 14 days"
        in text
    )
    assert "bad.csv row 3, column 'shift code': 'MARS-N' is not a shift of this rota" in text


def test_the_cli_reads_a_history_file_and_reports_it(app_db, tmp_path: Path) -> None:
    url, emails = app_db
    branch = _branch(url, emails, "Rota from the command line")
    path = tmp_path / "history.csv"
    day = (branch.start - dt.timedelta(days=1)).isoformat()
    path.write_text(f"Staff code,Date,Shift code\nNOT-HERE,{day},{HUB}-N\n", encoding="utf-8")
    args = [
        "rota",
        str(branch.id),
        "--weeks",
        "1",
        "--sites",
        HUB,
        "--start",
        branch.start.isoformat(),
        "--time-limit",
        "3",
        "--workers",
        "1",
        "--json",
        "--history",
        str(path),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["history"]["source"] == "uploaded file history.csv"
    assert summary["history"]["days"] == HISTORY_DAYS

    path.write_text(f"Staff code,Date,Shift code\nX,{day},NOPE\n", encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "'NOPE' is not a shift of this rota" in result.output
