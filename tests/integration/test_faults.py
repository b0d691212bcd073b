"""Faults (`pytest -m fault`): after each, nothing is lost or half-written, the person is told
in words, and the system recovers by itself. Loopback only, bounded in time.

The worker killed with SIGKILL mid-solve is `test_job_queue.py`'s
`test_a_worker_killed_mid_solve_leaves_nothing_running` (also marked `fault`).
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, Scenario, SolveJob, TheatreCapacity
from ics_capacity.db.session import get_engine, unit_of_work
from ics_capacity.domain.errors import DatabaseUnavailableError
from ics_capacity.services import auth, job_queue, jobs
from ics_capacity.services import scenarios as sc
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.rota import next_monday
from tests.conftest import POSTGRES_AVAILABLE, TEST_PASSWORD
from tests.integration.test_job_queue import Workers

pytestmark = pytest.mark.fault


def _counts(url: str, draft: int) -> tuple[list, int]:
    with unit_of_work(url) as session:
        theatres = session.execute(
            sa.select(TheatreCapacity.site_id, TheatreCapacity.theatres, TheatreCapacity.version)
            .where(TheatreCapacity.scenario_id == draft)
            .order_by(TheatreCapacity.site_id)
        ).all()
        audits = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    return [tuple(row) for row in theatres], audits


def test_postgres_connection_dropped_mid_save(app_db) -> None:
    """The connection is killed between the capacity UPDATE and its audit row: the edit is
    refused in words, nothing of it is written, and the very next save works."""
    url, emails = app_db
    if not url.startswith("postgresql"):
        pytest.skip("kills a PostgreSQL server process; SQLite has no connection to drop")
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    draft = sc.create_scenario(manager, baseline, "Fault: dropped connection")
    site = read_site_capacity(manager, draft)[0]
    before = _counts(url, draft)

    engine = get_engine()
    admin = sa.create_engine(url, poolclass=sa.pool.NullPool)
    killed: list[int] = []

    def kill_before_audit(conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT") and not killed:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    sa.event.listen(engine, "before_cursor_execute", kill_before_audit)
    try:
        with pytest.raises(DatabaseUnavailableError, match="nothing was saved"):
            update_site_capacity(
                manager, draft, site.site_id, "theatres", str(site.theatres + 1),
                site.theatre_version,
            )  # fmt: skip
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_before_audit)
        admin.dispose()
    assert killed, "the fault was injected"
    assert _counts(url, draft) == before, "nothing of the edit was written"

    saved = update_site_capacity(
        manager, draft, site.site_id, "theatres", str(site.theatres + 1), site.theatre_version
    )
    assert saved.theatres == site.theatres + 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, on a free loopback port, keeping its data (AOF)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.mark.skipif(
    subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0,
    reason="redis-server is not installed",
)
def test_redis_restarted_while_a_job_is_queued(app_db, monkeypatch, tmp_path: Path) -> None:
    """A job waits on the Redis queue; Redis restarts; a worker started afterwards still runs
    it to done, and signed-in users (sessions live in the database) stay signed in."""
    url, emails = app_db
    if url.startswith("sqlite") and POSTGRES_AVAILABLE:
        pytest.skip("run once, on PostgreSQL + Redis as in production")
    redis = OwnRedis(tmp_path)
    redis.start()
    workers = Workers(tmp_path)
    monkeypatch.setenv("ICS_JOB_QUEUE", redis.url)
    monkeypatch.setenv("ICS_JOB_QUEUE_NAME", f"ics-fault-{uuid.uuid4().hex[:8]}")
    jobs.set_dispatcher(None)
    job_queue._queue = None
    try:
        lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
        with unit_of_work(url) as session:
            baseline = session.execute(
                sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
            ).scalar()
        job_id = jobs.start_job(
            lead,
            baseline,
            "rota",
            {
                "start_date": next_monday().isoformat(),
                "weeks": 1,
                "site_codes": ["SANDWELL"],
                "time_limit_seconds": 3,
            },
        )
        assert jobs.read_job(job_id).status == "queued"
        redis.stop()  # the restart: the message must survive it
        redis.start()
        assert auth.current_principal(lead).email == emails["workforce_lead"]
        workers.start("--concurrency", "1")
        deadline = time.monotonic() + 120
        while jobs.read_job(job_id).status in jobs.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.3)
        view = jobs.read_job(job_id)
        assert view.status == "done", (view.message, workers.logs())
        with unit_of_work(url) as session:
            assert session.get(SolveJob, job_id).result is not None
    finally:
        workers.stop_all()
        if job_queue._queue is not None:
            job_queue._queue.close()
            job_queue._queue = None
        redis.stop()
