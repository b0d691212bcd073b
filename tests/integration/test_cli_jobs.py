"""`ics-capacity jobs ...` and `--enqueue`: the command line acting as a named account, with
the pages' role checks and audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import AuditEvent, AuthSession, Scenario, SolveJob
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import jobs
from ics_capacity.services.operator import CLI_ADDRESS

runner = CliRunner()


@pytest.fixture
def queued(app_db, monkeypatch):
    """A broker is configured; its hand-off is replaced so queued jobs stay queued."""
    url, emails = app_db
    monkeypatch.setenv("ICS_JOB_QUEUE", "redis://127.0.0.1:6379/15")
    jobs.set_dispatcher(lambda job_id: None)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    yield url, emails, baseline
    jobs.set_dispatcher(None)


def _cli(*args: str):
    return runner.invoke(app, list(args))


def test_enqueue_list_show_and_cancel_as_named_accounts(queued) -> None:
    url, emails, baseline = queued
    lead, viewer, outsider = emails["workforce_lead"], emails["viewer"], emails["outsider"]
    started = _cli(
        "rota", str(baseline), "--enqueue", "--as", lead, "--weeks", "1", "--sites", "SANDWELL",
        "--time-limit", "5", "--json",
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    job_id = json.loads(started.stdout)["job_id"]
    with unit_of_work(url) as session:
        row = session.get(SolveJob, job_id)
        assert (row.status, row.kind, row.requested_by) == ("queued", "rota", lead)
        assert json.loads(row.parameters)["site_codes"] == ["SANDWELL"]

    listed = json.loads(_cli("jobs", "list", "--as", lead, "--json").stdout)["jobs"]
    assert [job["id"] for job in listed] == [job_id]
    # Another collaborative's member sees none of it, and is told the job was not found.
    assert json.loads(_cli("jobs", "list", "--as", outsider, "--json").stdout) == {"jobs": []}
    hidden = _cli("jobs", "show", str(job_id), "--as", outsider)
    assert hidden.exit_code == 1 and "not found" in hidden.output
    # A viewer may see it but not cancel it.
    assert (
        json.loads(_cli("jobs", "show", str(job_id), "--as", viewer, "--json").stdout)["status"]
        == "queued"
    )
    refused = _cli("jobs", "cancel", str(job_id), "--as", viewer)
    assert refused.exit_code == 1 and "permission" in refused.output
    assert jobs.read_job(job_id).status == "queued"

    cancelled = _cli("jobs", "cancel", str(job_id), "--as", lead, "--json")
    assert cancelled.exit_code == 0, cancelled.output
    assert json.loads(cancelled.stdout)["status"] == "cancelled"
    with unit_of_work(url) as session:
        actions = session.execute(
            sa.select(AuditEvent.action, AuditEvent.user_email).where(
                AuditEvent.entity == "solve_job", AuditEvent.entity_id == str(job_id)
            )
        ).all()
        open_cli_sessions = session.execute(
            sa.select(sa.func.count()).where(
                AuthSession.client_address == CLI_ADDRESS, AuthSession.revoked_at.is_(None)
            )
        ).scalar_one()
    assert sorted(actions) == [("rota.cancel", lead), ("rota.start", lead)]
    assert open_cli_sessions == 0, "each command's session ends with it"


def test_rebalance_enqueue_validates_like_the_page(queued) -> None:
    _url, emails, baseline = queued
    manager = emails["manager"]
    bad = _cli("rebalance", str(baseline), "--enqueue", "--as", manager, "--time-limit", "9999")
    assert bad.exit_code == 1 and "Time limit" in bad.output
    good = _cli("rebalance", str(baseline), "--enqueue", "--as", manager, "--weeks", "8")
    assert good.exit_code == 0, good.output
    assert jobs.read_job(int(good.stdout.strip())).parameters["weeks"] == 8


def test_refusals_in_words(app_db, monkeypatch) -> None:
    _url, emails = app_db
    monkeypatch.delenv("ICS_JOB_QUEUE", raising=False)
    local = _cli("rebalance", "1", "--enqueue", "--as", emails["manager"])
    assert local.exit_code == 1 and "ICS_JOB_QUEUE" in local.output
    monkeypatch.setenv("ICS_JOB_QUEUE", "redis://127.0.0.1:6379/15")
    nobody = _cli("jobs", "list", "--as", "nobody@nowhere.test")
    assert nobody.exit_code == 1 and "No active account" in nobody.output
    unnamed = _cli("jobs", "list")
    assert unnamed.exit_code == 1 and "--as EMAIL" in unnamed.output
