"""Solves are jobs run by the service layer: checked on start, claimed once, forward only,
really cancelled, and never left running by a crash."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import threading
import time

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import Membership, Scenario, SolveJob, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, job_running, jobs
from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.rota import next_monday
from tests.conftest import TEST_PASSWORD
from tests.processes import (
    still_alive_after,
    wait_until_input_handed_over,
    wait_until_solving,
)


@pytest.fixture
def queued_only():
    """Jobs stay queued until a test runs them itself."""
    jobs.set_dispatcher(lambda job_id: None)
    yield
    jobs.set_dispatcher(None)


@pytest.fixture
def demo(app_db, queued_only):
    url, emails = app_db
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return url, emails, baseline


def _token(emails: dict[str, str], who: str) -> str:
    return auth.sign_in(emails[who], TEST_PASSWORD)


def _rota(weeks: int = 1, limit: float = 5) -> dict:
    return {
        "start_date": next_monday().isoformat(),
        "weeks": weeks,
        "site_codes": ["SANDWELL"],
        "time_limit_seconds": limit,
    }


def _jobs(url: str) -> list[tuple]:
    with unit_of_work(url) as session:
        return list(session.execute(sa.select(SolveJob.id, SolveJob.status)).all())


@pytest.mark.parametrize("who", ["anonymous", "viewer", "executive", "outsider"])
def test_a_caller_without_the_right_starts_nothing(demo, who: str) -> None:
    url, emails, baseline = demo
    token = "" if who == "anonymous" else _token(emails, who)
    with pytest.raises(ServiceError):
        jobs.start_job(token, baseline, "rota", _rota())
    assert _jobs(url) == []


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({**_rota(), "weeks": 0}, "Weeks"),
        ({**_rota(), "time_limit_seconds": "abc"}, "Time limit"),
        ({**_rota(), "time_limit_seconds": 100_000}, "Time limit"),
        ({**_rota(), "site_codes": []}, "Sites"),
        ({**_rota(), "db_url": "sqlite:///elsewhere.db"}, "db url"),
        ({**_rota(), "start_date": "next week"}, "Start date"),
    ],
)
def test_parameters_are_bounded_and_refused_in_words(demo, parameters: dict, named: str) -> None:
    url, emails, baseline = demo
    with pytest.raises(InvalidInputError, match=named):
        jobs.start_job(_token(emails, "workforce_lead"), baseline, "rota", parameters)
    assert _jobs(url) == []


def test_unknown_kind_is_refused(demo) -> None:
    _, emails, baseline = demo
    with pytest.raises(InvalidInputError, match="not an optimiser"):
        jobs.start_job(_token(emails, "admin"), baseline, "mine_bitcoin", {})


def test_one_active_run_per_scenario_and_kind(demo) -> None:
    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    first = jobs.start_job(lead, baseline, "rota", _rota())
    with pytest.raises(ServiceError, match="still queued"):
        jobs.start_job(lead, baseline, "rota", _rota())
    # Even a second row written past the check is refused by the database.
    with unit_of_work(url) as session, pytest.raises(sa.exc.IntegrityError):
        session.add(SolveJob(scenario_id=baseline, kind="rota", requested_by="x", status="queued"))
        session.flush()
    assert [j for j, _ in _jobs(url)] == [first]


def test_a_job_runs_from_its_row_once_and_only_moves_forward(demo) -> None:
    url, emails, baseline = demo
    job_id = jobs.start_job(_token(emails, "workforce_lead"), baseline, "rota", _rota(limit=1))
    seen: list[int] = []
    view = jobs.run_job(job_id, progress=lambda percent, message: seen.append(percent))
    assert view.status == "done", view.message
    assert seen and seen[0] <= seen[-1]
    outcome = jobs.job_view(_token(emails, "viewer"), job_id, with_result=True).rota
    assert outcome is not None
    assert outcome.stats.status in ("optimal", "feasible")
    assert outcome.dates[0] == next_monday().isoformat()
    with pytest.raises(jobs.JobStateError, match="is done, not queued"):
        jobs.run_job(job_id)
    assert not job_running._finish(job_id, "failed", message="late")
    assert jobs.read_job(job_id).status == "done"


def test_cancel_stops_the_solver(demo) -> None:
    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    job_id = jobs.start_job(lead, baseline, "rota", _rota(weeks=4, limit=120))
    ended: dict = {}
    runner = threading.Thread(target=lambda: ended.update(view=jobs.run_job(job_id)))
    started = time.monotonic()
    runner.start()
    while jobs.read_job(job_id).status != "running":
        time.sleep(0.2)
    wait_until_solving(os.getpid(), 60)
    with pytest.raises(ServiceError):  # a viewer may not cancel it
        jobs.cancel_job(_token(emails, "viewer"), job_id)
    assert jobs.cancel_job(lead, job_id).status == "cancelled"
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert ended["view"].status == "cancelled"
    assert time.monotonic() - started < 60, "the 120 s solve was not stopped"
    # The scenario can be solved again at once.
    assert jobs.start_job(lead, baseline, "rota", _rota())


def test_stop_now_keeps_the_best_rota_found_so_far(demo) -> None:
    """ "Good enough, stop now": the search stops within seconds and the job keeps its rota."""
    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    # Two weeks of both hubs: a search long enough never to end by itself within the test.
    params = {**_rota(weeks=2, limit=120), "site_codes": ["CANNOCK", "SANDWELL"]}
    job_id = jobs.start_job(lead, baseline, "rota", params)
    with pytest.raises(ServiceError, match="not started yet"):  # queued: cancel it instead
        jobs.stop_job_early(lead, job_id)
    ended: dict = {}
    runner = threading.Thread(target=lambda: ended.update(view=jobs.run_job(job_id)))
    started = time.monotonic()
    runner.start()
    while not jobs.read_job(job_id).message.startswith("Searching"):
        time.sleep(0.2)
    time.sleep(3)
    with pytest.raises(ServiceError):  # a viewer may not stop it
        jobs.stop_job_early(_token(emails, "viewer"), job_id)
    asked = jobs.stop_job_early(lead, job_id)
    assert asked.status == "running" and asked.stop_requested_by
    runner.join(timeout=60)
    assert not runner.is_alive()
    assert time.monotonic() - started < 60, "the 120 s build was not stopped"
    view = jobs.job_view(lead, job_id, with_result=True)
    assert view.status == "done", view.message
    assert "stopped early on request" in view.message and "stopped by" in view.message
    assert view.rota is not None and view.rota.has_rota and view.rota.assignments
    assert view.rota.stats.stopped == "asked"
    with pytest.raises(ServiceError, match="finished"):
        jobs.stop_job_early(lead, job_id)


def test_a_crashed_servers_runs_are_failed_at_start_up(demo) -> None:
    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    job_id = jobs.start_job(lead, baseline, "rota", _rota())
    with unit_of_work(url) as session:  # as if a process that no longer exists had claimed it
        session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == job_id)
            .values(status="running", runner=f"{jobs.runner_name().split(':')[0]}:999999")
        )
        session.commit()
    assert jobs.recover_jobs_at_startup() == 1
    view = jobs.latest_job(lead, baseline, "rota")
    assert view.status == "failed" and "restarted" in view.message
    assert jobs.start_job(lead, baseline, "rota", _rota())


def test_a_run_whose_heartbeat_stopped_is_failed(demo) -> None:
    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    job_id = jobs.start_job(lead, baseline, "rota", _rota())
    with unit_of_work(url) as session:  # another host's runner, silent for a minute
        session.execute(
            sa.update(SolveJob)
            .where(SolveJob.id == job_id)
            .values(
                status="running",
                runner="elsewhere:1",
                heartbeat_at=utc_now() - dt.timedelta(minutes=1),
            )
        )
        session.commit()
    # Starting again sweeps lost runs first, so the user is not blocked.
    second = jobs.start_job(lead, baseline, "rota", _rota())
    assert jobs.read_job(job_id).status == "failed"
    assert "stopped answering" in jobs.read_job(job_id).message
    assert second != job_id


def test_the_requesters_right_is_checked_again_when_the_run_starts(demo) -> None:
    url, emails, baseline = demo
    job_id = jobs.start_job(_token(emails, "workforce_lead"), baseline, "rota", _rota())
    with unit_of_work(url) as session:
        user_id = session.execute(
            sa.select(UserAccount.id).where(UserAccount.email == emails["workforce_lead"])
        ).scalar()
        session.execute(sa.delete(Membership).where(Membership.user_id == user_id))
        session.commit()
    view = jobs.run_job(job_id)
    assert view.status == "failed" and "may no longer" in view.message


def test_a_rebalancing_plan_is_saved_as_a_scenario_with_its_plan(demo) -> None:
    from ics_capacity.services.rebalance import save_plan_as_scenario

    url, emails, baseline = demo
    manager = _token(emails, "manager")
    with pytest.raises(ServiceError, match="Run the optimiser first"):
        save_plan_as_scenario(manager, baseline, "Plan A")
    job_id = jobs.start_job(manager, baseline, "rebalance", {"weeks": 4, "time_limit_seconds": 10})
    assert jobs.run_job(job_id).status == "done"
    with pytest.raises(ServiceError):
        save_plan_as_scenario(_token(emails, "viewer"), baseline, "Plan V")
    new_id = save_plan_as_scenario(manager, baseline, "Plan A")
    copied = jobs.latest_job(manager, new_id, "rebalance")
    assert (
        copied.status == "done"
        and copied.rebalance is not None
        and copied.rebalance == jobs.job_view(manager, job_id, with_result=True).rebalance
    )


KILLED_RUNNER = """
import sys
from ics_capacity.services import jobs
jobs.run_job(int(sys.argv[1]))
"""

REAPER = """
import ctypes, os, subprocess, sys
# PR_SET_CHILD_SUBREAPER: the runner's orphaned solver becomes this process's child, so its exit
# status can be read here instead of by init.
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
runner = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
print("runner", runner.pid, flush=True)
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
    print("ended", pid, os.waitstatus_to_exitcode(status), flush=True)
"""


def test_killing_the_server_mid_solve_leaves_nothing_running(demo, tmp_path) -> None:
    """A runner killed with SIGKILL during a solve: its solver process ends too, by its own
    watch on its parent (not by finishing its solve), and the next start-up fails the job at once,
    so the scenario can be solved again straight away."""
    import signal
    import subprocess
    import sys

    from ics_capacity.services.solve_process import PARENT_GONE_EXIT

    url, emails, baseline = demo
    lead = _token(emails, "workforce_lead")
    # Both hubs over 8 weeks with a 300 s limit: a search that is still going when it is checked.
    job_id = jobs.start_job(
        lead, baseline, "rota", {**_rota(weeks=8, limit=300), "site_codes": ["CANNOCK", "SANDWELL"]}
    )
    reaper = subprocess.Popen(
        [sys.executable, "-c", REAPER, KILLED_RUNNER, str(job_id)],
        env={**os.environ, "REFLEX_DB_URL": url},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reaper.stdout is not None
    solvers: list[int] = []
    try:
        runner = int(reaper.stdout.readline().split()[1])
        solvers = wait_until_solving(runner, 60)
        # OR-Tools loads while the solver is still reading its input: killed before it has all
        # of it, the solver would end failing to read it (seen on a loaded machine), not by
        # its watch. The runner's heartbeat then says the search is under way.
        for solver in solvers:
            wait_until_input_handed_over(runner, solver, 60)
        deadline = time.monotonic() + 30
        while not jobs.read_job(job_id).message.startswith("Searching"):
            assert time.monotonic() < deadline, jobs.read_job(job_id)
            time.sleep(0.1)
        assert jobs.read_job(job_id).status == "running"
        os.kill(runner, signal.SIGKILL)
        ended: dict[int, int] = {}  # each process's end, as the reaper saw it
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in reaper.stdout], daemon=True).start()
        deadline = time.monotonic() + 5  # the watch looks every second
        while not set(solvers) <= ended.keys() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                _, pid, code = lines.get(timeout=0.1).split()
                ended[int(pid)] = int(code)
        assert ended.get(runner) == -signal.SIGKILL
        assert {pid: ended.get(pid) for pid in solvers} == dict.fromkeys(solvers, PARENT_GONE_EXIT)
    finally:
        for pid in still_alive_after(solvers, 0):
            os.kill(pid, signal.SIGKILL)
        reaper.kill()
        reaper.wait(timeout=10)
    assert jobs.read_job(job_id).status == "running"  # nobody could record the end
    assert jobs.recover_jobs_at_startup() == 1
    view = jobs.latest_job(lead, baseline, "rota")
    assert view.status == "failed" and "restarted" in view.message
    assert jobs.start_job(lead, baseline, "rota", _rota())
