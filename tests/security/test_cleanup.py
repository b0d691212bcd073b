"""`ics-capacity cleanup` applies the retention settings and never touches the audit log."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import (
    AuditEvent,
    AuthSession,
    Collaborative,
    Scenario,
    SolveJob,
    UserAccount,
    utc_now,
)
from ics_capacity.db.session import unit_of_work

pytestmark = pytest.mark.security
runner = CliRunner()
DAY = dt.timedelta(days=1)


def _world(url: str, upload_root: Path) -> dict[str, int]:
    """Sessions and runs of every age, two uploads, and one audit row; returns a few ids."""
    now = utc_now()
    with unit_of_work(url) as session:
        collaborative = Collaborative(code="T", name="Test", icb_code="QXX")
        session.add(collaborative)
        session.flush()
        scenario = Scenario(collaborative_id=collaborative.id, name="Base")
        user = UserAccount(email="u@x.test", display_name="U", password_hash="x")
        session.add_all([scenario, user])
        session.flush()

        def auth(n: int, **times: dt.datetime) -> AuthSession:
            values = {"last_seen_at": now, "expires_at": now + DAY} | times
            return AuthSession(token_sha256=f"{n:064d}", user_id=user.id, **values)

        session.add_all(
            [
                auth(1),  # live
                auth(2, revoked_at=now - 40 * DAY),  # signed out long ago
                auth(3, expires_at=now - 31 * DAY, last_seen_at=now - 31 * DAY),  # expired
                auth(4, revoked_at=now - 2 * DAY),  # signed out recently: kept
            ]
        )

        def job(status: str, age_days: int, kind: str = "rota") -> SolveJob:
            finished = None if status in ("queued", "running") else now - age_days * DAY
            return SolveJob(
                scenario_id=scenario.id,
                kind=kind,
                status=status,
                requested_by="u@x.test",
                created_at=now - age_days * DAY,
                finished_at=finished,
                result="{}" if status == "done" else None,
            )

        old_done, newest_done, old_failed, recent_failed, running = (
            job("done", 200),
            job("done", 120),
            job("failed", 100),
            job("cancelled", 5),
            job("running", 300, kind="rebalance"),
        )
        session.add_all([old_done, newest_done, old_failed, recent_failed, running])
        session.add(AuditEvent(user_email="u@x.test", action="test", entity="x"))
        session.flush()
        ids = {"old_done": old_done.id, "newest_done": newest_done.id, "old_failed": old_failed.id}
        session.commit()
    for name, age_hours in (("old", 2), ("new", 0)):
        folder = upload_root / "user-1" / name
        folder.mkdir(parents=True)
        (folder / "file.csv").write_text("a,b\n")
        stamp = time.time() - age_hours * 3600
        os.utime(folder, (stamp, stamp))
    return ids


def _counts(url: str) -> tuple[int, int, int]:
    with unit_of_work(url) as session:
        return tuple(  # type: ignore[return-value]
            session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (AuthSession, SolveJob, AuditEvent)
        )


def test_cleanup_dry_run_then_for_real(db_url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICS_UPLOAD_DIR", str(tmp_path / "uploads"))
    ids = _world(db_url, tmp_path / "uploads")

    dry = runner.invoke(app, ["cleanup", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would delete 2 ended session(s), 2 finished optimiser run(s) and 1 temporary" in (
        dry.stdout
    )
    assert _counts(db_url) == (4, 5, 1)
    assert len(list((tmp_path / "uploads").glob("user-1/*"))) == 2

    done = runner.invoke(app, ["cleanup"])
    assert done.exit_code == 0, done.output
    assert "Deleted 2 ended session(s), 2 finished optimiser run(s) and 1 temporary" in done.stdout
    assert _counts(db_url) == (2, 3, 1)  # the audit row stays
    assert [p.name for p in (tmp_path / "uploads").glob("user-1/*")] == ["new"]
    with unit_of_work(db_url) as session:
        left = set(session.execute(sa.select(SolveJob.id)).scalars())
    assert ids["newest_done"] in left  # the scenario's current rota survives its age
    assert not {ids["old_done"], ids["old_failed"]} & left


def test_retention_settings_are_honoured_and_checked(
    db_url: str,
    tmp_path: Path,
    monkeypatch,
) -> None:
    monkeypatch.setenv("ICS_UPLOAD_DIR", str(tmp_path / "uploads"))
    _world(db_url, tmp_path / "uploads")
    monkeypatch.setenv("ICS_KEEP_SESSIONS_DAYS", "1")
    monkeypatch.setenv("ICS_KEEP_JOBS_DAYS", "1000")
    monkeypatch.setenv("ICS_KEEP_UPLOADS_HOURS", "3")
    result = runner.invoke(app, ["cleanup", "--dry-run"])
    assert "Would delete 3 ended session(s), 0 finished optimiser run(s) and 0 temporary" in (
        result.stdout
    )
    monkeypatch.setenv("ICS_KEEP_JOBS_DAYS", "ninety")
    result = runner.invoke(app, ["cleanup"])
    assert result.exit_code == 1
    assert "ICS_KEEP_JOBS_DAYS must be a number" in result.output
