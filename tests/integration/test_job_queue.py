"""Solver workers on the job queue (Dramatiq on Redis and on RabbitMQ, and the job table itself,
`ICS_JOB_QUEUE=database`, which `make run` uses): a started job goes on the queue, a separate
`ics-capacity worker` process runs it, a worker killed mid-solve leaves nothing running once the
sweep or a restart has seen it, and a job is never run twice.

Each broker's tests are skipped, saying why, when it does not answer; on this project's machines
and in CI both run (Redis on 6379, RabbitMQ on 5672).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import ProjectionView, Scenario, SolveJob
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import (
    auth,
    board_pack,
    dashboard,
    dashboard_questions,
    job_queue,
    jobs,
    projection_views,
)
from ics_capacity.services.rota import next_monday
from ics_capacity.settings import REPO_ROOT
from tests.conftest import TEST_PASSWORD
from tests.integration.test_worker_answers import forbid_computing_here
from tests.processes import wait_until_solving

REDIS_QUEUE_URL = os.environ.get("ICS_TEST_REDIS_QUEUE_URL", "redis://127.0.0.1:6379/2")
RABBITMQ_URL = os.environ.get("ICS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    default = 6379 if parts.scheme.startswith("redis") else 5672
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default), 2):
            return True
    except OSError:
        return False


DATABASE = "database"

BROKERS = [
    pytest.param(DATABASE, id="database"),
    pytest.param(
        REDIS_QUEUE_URL,
        id="redis",
        marks=pytest.mark.skipif(
            not _answers(REDIS_QUEUE_URL), reason=f"Redis is not answering at {REDIS_QUEUE_URL}"
        ),
    ),
    pytest.param(
        RABBITMQ_URL,
        id="rabbitmq",
        marks=pytest.mark.skipif(
            not _answers(RABBITMQ_URL), reason="RabbitMQ is not answering on 127.0.0.1:5672"
        ),
    ),
]


class Workers:
    """`ics-capacity worker` processes started by a test, each logging to its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = self.folder / f"worker-{len(self.started)}.log"
        script = Path(sys.executable).with_name("ics-capacity")
        command = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-c", "from ics_capacity.cli import main; main()"]
        )
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*command, "worker", *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append((process, log))
        return process

    def log(self, index: int) -> str:
        return self.started[index][1].read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(self.log(i) for i in range(len(self.started)))

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(params=BROKERS)
def queue(request, app_db, monkeypatch, tmp_path: Path):
    """The app's jobs go to a fresh, uniquely named queue on the broker; yields the test's data."""
    broker_url = request.param
    url, emails = app_db
    monkeypatch.setenv("ICS_JOB_QUEUE", broker_url)
    monkeypatch.setenv("ICS_JOB_QUEUE_NAME", f"ics-test-{uuid.uuid4().hex[:10]}")
    jobs.set_dispatcher(None)
    job_queue._queue = None
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    workers = Workers(tmp_path)
    try:
        yield url, emails, baseline, workers
    finally:
        workers.stop_all()
        _delete_queues(broker_url)
        if job_queue._queue is not None:
            job_queue._queue.close()
            job_queue._queue = None


def _delete_queues(broker_url: str) -> None:
    if broker_url == DATABASE:
        return  # the rows are the queue, and go with the test's database
    names = [job_queue.queue_name(kind) for kind in jobs.JOB_KINDS]
    if broker_url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(broker_url)
        keys = [k for n in names for k in client.keys(f"dramatiq:*{n}*")]  # queues and ack sets
        # An ack set is named __acks__.<broker id>.<queue>: forget those brokers' heartbeats too.
        brokers = {k.decode().split(".")[1] for k in keys if b"__acks__." in k}
        if keys:
            client.delete(*keys)
        if brokers:
            client.zrem("dramatiq:__heartbeats__", *brokers)
        client.close()
        return
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    for name in names:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(name + suffix)
    connection.close()


def _token(emails: dict[str, str], who: str) -> str:
    return auth.sign_in(emails[who], TEST_PASSWORD)


def _rota(weeks: int = 1, limit: float = 5) -> dict:
    return {
        "start_date": next_monday().isoformat(),
        "weeks": weeks,
        "site_codes": ["SANDWELL"],
        "time_limit_seconds": limit,
    }


def _wait_for(job_id: int, statuses: tuple[str, ...], seconds: float) -> jobs.JobView:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        view = jobs.read_job(job_id)
        if view.status in statuses:
            return view
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} is {jobs.read_job(job_id).status}, not {statuses}")


def test_a_started_job_goes_on_the_queue_only_as_its_id(queue) -> None:
    url, emails, baseline, _ = queue
    job_id = jobs.start_job(_token(emails, "workforce_lead"), baseline, "rota", _rota())
    with unit_of_work(url) as session:
        row = session.get(SolveJob, job_id)
        assert (row.status, row.runner) == ("queued", jobs.QUEUE_RUNNER)
    # Waiting on the queue is not a lost heartbeat: the sweep leaves it queued.
    assert jobs.fail_lost_jobs(jobs.utc_now() + jobs.HEARTBEAT_TIMEOUT * 2) == 0
    if job_queue.uses_database_queue():
        # The row is the message: a worker of its kind finds it, one of another kind does not.
        assert jobs.queued_jobs_to_take(["rota"], 5) == [job_id]
        assert jobs.queued_jobs_to_take(["rebalance"], 5) == []
        return
    broker = job_queue.JobQueue.connect().broker
    consumer = broker.consume(job_queue.queue_name("rota"), prefetch=1, timeout=5000)
    try:
        message = next(m for m in consumer if m is not None)
        assert message.args == (job_id,)
        assert message.actor_name.endswith(".run_rota")
    finally:
        consumer.close()
        broker.close()


def test_a_worker_process_runs_the_job_to_done(queue) -> None:
    url, emails, baseline, workers = queue
    workers.start("--concurrency", "1", "--kinds", "rota")
    lead = _token(emails, "workforce_lead")
    job_id = jobs.start_job(lead, baseline, "rota", _rota(limit=1))
    view = _wait_for(job_id, jobs.FINISHED, 120)
    assert view.status == "done", (view.message, workers.logs())
    with unit_of_work(url) as session:
        assert session.get(SolveJob, job_id).runner.split(":")[-1] == str(workers.started[0][0].pid)
    assert jobs.job_view(lead, job_id, with_result=True).rota is not None


def test_a_worker_process_computes_the_dashboards_projection(queue, monkeypatch) -> None:
    """With a queue the Dashboard's view is made by `ics-capacity worker`, never by this (web)
    process: a worker given only rota jobs leaves it, one with the default kinds makes it."""
    url, emails, baseline, workers = queue

    def web_projects(*args, **kwargs):
        raise AssertionError("a web process projected a scenario")

    monkeypatch.setattr(dashboard, "project_scenario", web_projects)
    dashboard._SHARED_VIEWS.clear()
    manager = _token(emails, "manager")
    workers.start("--kinds", "rota")
    # Once it takes jobs, a worker that took projections would answer within a poll (0.25 s).
    deadline = time.monotonic() + 60
    while "ready" not in workers.log(0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "ready" in workers.log(0), workers.logs()
    monkeypatch.setattr(projection_views, "WAIT_SECONDS", 2.0)
    with pytest.raises(projection_views.ProjectionWaitError):
        dashboard.trust_charts(manager, baseline, 26, "")
    monkeypatch.setattr(projection_views, "WAIT_SECONDS", 120.0)
    workers.start()
    try:
        charts = dashboard.trust_charts(manager, baseline, 26, "")
    finally:
        dashboard._SHARED_VIEWS.clear()
    assert charts["fan_chart"], workers.logs()
    assert _projection_statuses(url) == ["done"]
    assert "Projection view" in workers.log(1) and "Projection view" not in workers.log(0)


def test_a_worker_process_answers_the_pages_other_projections(queue, monkeypatch) -> None:
    """The scenario page's impact, the capacity question, a member's target and the board pack
    are computed by `ics-capacity worker --kinds projection`, never by this (web) process."""
    url, emails, baseline, workers = queue
    if os.environ["ICS_JOB_QUEUE"] != DATABASE:
        pytest.skip("the answers go through the database whichever queue the jobs use")

    def web_computes(*args, **kwargs):
        raise AssertionError("a web process computed what the workers compute")

    forbid_computing_here(monkeypatch, web_computes)
    monkeypatch.setattr(board_pack, "render_board_pack", web_computes)
    monkeypatch.setattr(projection_views, "WAIT_SECONDS", 120.0)
    dashboard._SHARED_VIEWS.clear()
    dashboard._ANSWERS.clear()
    manager = _token(emails, "manager")
    workers.start("--kinds", "projection")
    try:
        impact = dashboard.scenario_impact(manager, baseline)
        projection = dashboard.scenario_projection(manager, baseline, 26)
        target, by = dashboard_questions.default_capacity_question(projection)
        answer = dashboard_questions.capacity_question(manager, baseline, 26, target, by)
        report = dashboard_questions.check_target(
            manager, baseline, 26, kind="min_within_18", value="70", over_weeks="", due=by
        )
        requested = dt.datetime.now(dt.UTC)
        pack = projection_views.wait_for(
            board_pack.board_pack_answer,
            manager,
            baseline,
            26,
            "For the board",
            requested=requested,
        )
    finally:
        dashboard._SHARED_VIEWS.clear()
        dashboard._ANSWERS.clear()
    assert impact.rows and answer.rows and report.rows, workers.logs()
    assert "70% within 18 weeks" in {r.target.split(" by ")[0] for r in report.rows}
    assert pack.pdf.startswith(b"%PDF") and "For the board" in pack.html
    with unit_of_work(url) as session:
        rows = session.execute(sa.select(ProjectionView.kind, ProjectionView.status)).all()
    assert sorted(rows) == [
        ("board_pack", "done"),
        ("capacity", "done"),
        ("dashboard", "done"),
        ("impact", "done"),
        ("targets", "done"),
    ]


@pytest.mark.fault
def test_a_worker_killed_mid_projection_hands_it_to_another(queue, monkeypatch) -> None:
    """SIGKILL while a worker projects for a waiting Dashboard: once the request is stale the
    waiting page asks again, and the next worker's view reaches it within the page's wait."""
    url, emails, baseline, workers = queue
    monkeypatch.setattr(projection_views, "STALE_AFTER", dt.timedelta(seconds=3))
    dashboard._SHARED_VIEWS.clear()
    manager = _token(emails, "manager")
    first = workers.start("--kinds", "projection")
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(dashboard.trust_charts, manager, baseline, 26, "")
        deadline = time.monotonic() + 60
        while _projection_statuses(url) != ["running"]:
            assert time.monotonic() < deadline, workers.logs()
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        workers.start("--kinds", "projection")
        try:
            charts = waiting.result(timeout=projection_views.WAIT_SECONDS + 30)
        finally:
            dashboard._SHARED_VIEWS.clear()
    assert charts["fan_chart"]
    assert _projection_statuses(url) == ["done"]
    assert "Projection view" in workers.log(1) and "Projection view" not in workers.log(0)


def _projection_statuses(url: str) -> list[str]:
    with unit_of_work(url) as session:
        return list(session.execute(sa.select(ProjectionView.status)).scalars())


@pytest.mark.fault
def test_a_worker_killed_mid_solve_leaves_nothing_running(queue) -> None:
    """SIGKILL during a 4-week rota solve: the row stays running (nobody could record the end),
    the restarted worker fails it at once, no plan is written, and the scenario solves again."""
    url, emails, baseline, workers = queue
    first = workers.start()
    lead = _token(emails, "workforce_lead")
    job_id = jobs.start_job(lead, baseline, "rota", _rota(weeks=4, limit=300))
    _wait_for(job_id, ("running",), 90)
    wait_until_solving(first.pid, 60)  # not a fixed sleep: as soon as, however loaded
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert jobs.read_job(job_id).status == "running"
    killed_at = time.monotonic()
    workers.start()  # the restart (or any worker's sweep within HEARTBEAT_TIMEOUT) ends it
    view = _wait_for(job_id, jobs.FINISHED, 30)
    assert view.status == "failed" and "restarted" in view.message, view.message
    assert time.monotonic() - killed_at < 30
    with unit_of_work(url) as session:
        assert session.get(SolveJob, job_id).result is None  # no partial plan
    again = jobs.start_job(lead, baseline, "rota", _rota(limit=1))
    assert _wait_for(again, jobs.FINISHED, 120).status == "done", workers.logs()
    assert "ended done" not in workers.log(0)


def test_two_workers_never_run_the_same_job(queue) -> None:
    """A second delivery of the same id (a redelivery, or a duplicate sent by the sweep) is
    refused by the atomic claim, whichever worker receives it."""
    _, emails, baseline, workers = queue
    workers.start()
    workers.start()
    job_id = jobs.start_job(_token(emails, "workforce_lead"), baseline, "rota", _rota(limit=1))
    database = job_queue.uses_database_queue()
    if not database:
        job_queue._shared_queue().send(job_id, "rota")  # the same id again
    assert _wait_for(job_id, jobs.FINISHED, 120).status == "done", workers.logs()
    # A worker logs the end just after it writes the row: wait for both lines, then count.
    deadline = time.monotonic() + 30
    # On the job table both workers poll the same row: one claims it; the other may see it
    # queued in the same instant and is then refused by the claim, or never sees it.
    expected = (
        (f"Job {job_id} ended",) if database else ("Skipped a delivered job", f"Job {job_id} ended")
    )
    while not all(t in workers.logs() for t in expected) and time.monotonic() < deadline:
        time.sleep(0.3)
    logs = workers.logs()
    assert logs.count(f"Job {job_id} ended") == 1, logs
    if not database:
        assert f"Run {job_id} cannot start" in logs, logs


def test_a_broker_that_does_not_answer_fails_the_job_in_words(app_db, monkeypatch) -> None:
    """No queue, no stuck job: the row is failed and the person told, not left queued."""
    from ics_capacity.services.errors import ServiceError

    url, emails = app_db
    monkeypatch.setenv("ICS_JOB_QUEUE", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    jobs.set_dispatcher(None)
    job_queue._queue = None
    with unit_of_work(url) as session:
        baseline = session.execute(sa.select(Scenario.id).where(Scenario.is_baseline)).scalar()
    lead = _token(emails, "workforce_lead")
    try:
        with pytest.raises(ServiceError, match="job queue is not answering"):
            jobs.start_job(lead, baseline, "rota", _rota())
    finally:
        job_queue._queue = None
    assert jobs.latest_job(lead, baseline, "rota").status == "failed"
