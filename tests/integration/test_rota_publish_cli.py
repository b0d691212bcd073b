"""`ics-capacity rota-publish` and the published rota in `ics-capacity rota`, on SQLite and
PostgreSQL: the page's permission and audit, and every change a later build makes listed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.services.rota import rota_problem_as_operator, solve_problem
from tests.integration.test_rota_publish_service import FAST, _audited, _done_job, give_leave
from tests.integration.test_rota_service import _branch, _settings

runner = CliRunner()


def test_publish_as_a_lead_then_a_rebuild_lists_each_change(
    app_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, emails = app_db
    monkeypatch.setenv("REFLEX_DB_URL", url)
    branch = _branch(url, emails, "Rota published from the CLI")
    first = solve_problem(rota_problem_as_operator(branch.id, _settings(branch.start, **FAST), url))
    job = str(_done_job(url, branch.id, first))
    scenario = str(branch.id)

    refused = runner.invoke(app, ["rota-publish", scenario, job, "--as", emails["viewer"]])
    assert refused.exit_code == 1 and "You do not have permission to run rota" in refused.output
    hidden = runner.invoke(app, ["rota-publish", scenario, job, "--as", emails["outsider"]])
    assert hidden.exit_code == 1 and "not found" in hidden.output.lower()
    assert _audited(url, "rota.publish") == []

    done = runner.invoke(app, ["rota-publish", scenario, job, "--as", emails["workforce_lead"]])
    assert done.exit_code == 0, done.output
    assert "Published the rota" in done.output
    assert _audited(url, "rota.publish") == [done.output.strip()]

    # Leave on a day someone works in the published rota: the rebuild changes that day, says so.
    worked = next(a for a in first.assignments if a.day == 2)
    on = branch.start + dt.timedelta(days=2)
    give_leave(url, branch.id, worked.staff_id, on)
    week = ["--weeks", "1", "--sites", "SANDWELL", "--start", branch.start.isoformat()]
    options = [*week, "--time-limit", "4", "--workers", "1"]
    again = runner.invoke(app, ["rota", scenario, *options, "--json"])
    assert again.exit_code == 0, again.output
    result = json.loads(again.stdout)
    assert result["published"]["published_by"] == emails["workforce_lead"]
    assert result["published"]["days"] == 7
    changes = {(c["staff_id"], c["date"]): c for c in result["published_changes"]}
    leave = changes[worked.staff_id, on.isoformat()]
    assert (leave["was"], leave["now"], leave["why"]) == (worked.shift_id, "", "leave or a day off")

    text = runner.invoke(app, ["rota", scenario, *options])
    assert text.exit_code == 0, text.output
    assert f"Kept the rota published by {emails['workforce_lead']} (7 days shared)" in text.output
    assert f"{on.isoformat()} " in text.output and "(leave or a day off)" in text.output
