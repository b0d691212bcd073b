"""The `ics-capacity` command line, run as an analyst would, on SQLite and PostgreSQL."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Collaborative, Membership, UserAccount, WaitingList
from ics_capacity.db.session import unit_of_work
from ics_capacity.services.overview import collaborative_overview
from ics_capacity.services.schema import alembic_config

RTT_FILE = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"
runner = CliRunner()


def _zipped_extract(nhs_dir: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "rtt-april-2026.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nhs_dir / RTT_FILE, arcname=RTT_FILE)
    return archive


def test_db_upgrade_and_current(empty_db_url: str, monkeypatch) -> None:
    """`db upgrade` migrates an empty database and `db current` reports the head revision."""
    monkeypatch.setenv("REFLEX_DB_URL", empty_db_url)
    assert runner.invoke(app, ["db", "current"]).stdout.strip() == "empty (no schema)"
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert runner.invoke(app, ["db", "current"]).stdout.strip() == head


def test_import_rtt_from_zip_for_one_ics(db_url: str, nhs_dir: Path, tmp_path: Path) -> None:
    """A zipped extract with --ics QHL loads Birmingham and Solihull only, with its check figure."""
    result = runner.invoke(
        app, ["import", "rtt", str(_zipped_extract(nhs_dir, tmp_path)), "--ics", "QHL"]
    )
    assert result.exit_code == 0, result.output
    with unit_of_work(db_url) as session:
        codes = session.execute(sa.select(Collaborative.code)).scalars().all()
        assert codes == ["QHL"]
        overview = collaborative_overview(
            session, session.execute(sa.select(Collaborative.id)).scalar_one()
        )
    figures = {t.ods_code: t.waiting_list for t in overview.trusts}
    assert figures["RRK"] == 90_948
    assert "RL4" not in figures


def test_import_rtt_without_ics_loads_every_system(db_url: str, nhs_dir: Path) -> None:
    """Without --ics every system in the file becomes a collaborative; re-importing is a no-op."""
    result = runner.invoke(app, ["import", "rtt", str(nhs_dir / RTT_FILE)])
    assert result.exit_code == 0, result.output
    with unit_of_work(db_url) as session:
        assert sorted(session.execute(sa.select(Collaborative.code)).scalars()) == ["QHL", "QUA"]
        rows = session.execute(sa.select(sa.func.count()).select_from(WaitingList)).scalar()
    again = runner.invoke(app, ["import", "rtt", str(nhs_dir / RTT_FILE)])
    assert again.exit_code == 0
    assert "already imported" in again.stdout
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(WaitingList)).scalar() == rows


def test_import_rtt_with_a_bad_row_writes_nothing(
    db_url: str, nhs_dir: Path, tmp_path: Path
) -> None:
    """A negative count fails the import with file, row and column named, and nothing is saved."""
    lines = (nhs_dir / RTT_FILE).read_text().splitlines(keepends=True)
    header = lines[0].split(",")
    band = header.index("Gt 05 To 06 Weeks SUM 1")
    cells = lines[1].split(",")
    cells[band] = "-7"
    lines[1] = ",".join(cells)
    bad = tmp_path / "rtt_bad.csv"
    bad.write_text("".join(lines))
    result = runner.invoke(app, ["import", "rtt", str(bad), "--ics", "QHL"])
    assert result.exit_code == 1
    assert "rtt_bad.csv row 2" in result.output
    assert "Gt 05 To 06 Weeks SUM 1" in result.output
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Collaborative)).scalar() == 0


def test_seed_demo_twice(db_url: str) -> None:
    """`seed-demo` loads the demo once and says so the second time."""
    first = runner.invoke(app, ["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Loaded the Black Country demo" in first.stdout
    second = runner.invoke(app, ["seed-demo"])
    assert "already in the database" in second.stdout


def test_seed_demo_writes_one_working_sign_in_per_role_to_a_private_file(
    db_url: str, tmp_path, monkeypatch
) -> None:
    """The demo's five accounts go to a file only its owner can read, never to the output."""
    from ics_capacity.services.auth import current_principal, sign_in

    target = tmp_path / "sign-ins.txt"
    monkeypatch.setenv("ICS_DEMO_SIGN_INS", str(target))
    result = runner.invoke(app, ["seed-demo"])
    assert "@demo." not in result.stdout
    assert oct(target.stat().st_mode)[-3:] == "600"
    lines = [line.split() for line in target.read_text().splitlines() if "@demo." in line]
    assert [parts[0] for parts in lines] == [
        "admin",
        "manager",
        "workforce_lead",
        "executive",
        "viewer",
    ]
    for role, email, password in lines:
        principal = current_principal(sign_in(email, password))
        assert list(principal.roles.values()) == [role]
    again = runner.invoke(app, ["seed-demo"])
    assert "@demo." not in again.stdout


def test_production_never_seeds_the_demo(db_url: str, monkeypatch) -> None:
    """With ICS_ENV=production `seed-demo` refuses: no demo data, no demo account."""
    monkeypatch.setenv("ICS_ENV", "production")
    result = runner.invoke(app, ["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(UserAccount)).scalar() == 0
        assert session.execute(sa.select(sa.func.count()).select_from(Collaborative)).scalar() == 0


def test_production_refuses_to_start_with_demo_accounts_or_any_origin(
    db_url: str, monkeypatch
) -> None:
    """The app's production checks name every problem; a clean setup passes."""
    from ics_capacity.services.production import production_problems

    runner.invoke(app, ["seed-demo"])
    monkeypatch.setenv("ICS_ENV", "production")
    monkeypatch.delenv("ICS_JOB_QUEUE", raising=False)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    problems = production_problems()
    assert any("ICS_ALLOWED_ORIGINS" in p for p in problems)
    assert any("demo account" in p for p in problems)
    assert any("no solve runs in a web process" in p for p in problems)
    monkeypatch.setenv("ICS_ALLOWED_ORIGINS", "https://capacity.nhs.example")
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")  # the queue's default
    with unit_of_work(db_url) as session:
        session.execute(sa.delete(Membership))
        session.execute(sa.delete(UserAccount))
        session.commit()
    assert production_problems() == []


def test_serve_needs_redis_for_several_workers_and_sets_their_number() -> None:
    from ics_capacity.cli.serve import serve_environment

    with pytest.raises(ValueError, match="REFLEX_REDIS_URL"):
        serve_environment(2, {"REFLEX_DB_URL": "sqlite:///x.db"})
    shared = {"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert serve_environment(2, shared)["GRANIAN_WORKERS"] == "2"
    assert serve_environment(1, {})["GRANIAN_WORKERS"] == "1"
    # Run by hand (not through make), it still finds the project's bun and stays offline.
    offline = serve_environment(1, {"PATH": "/usr/bin", "REFLEX_TELEMETRY_ENABLED": "true"})
    assert offline["REFLEX_USE_SYSTEM_BUN"] == "1"
    assert offline["REFLEX_TELEMETRY_ENABLED"] == "true"  # an operator's own setting wins
    assert offline["PATH"].endswith("/usr/bin")
    refused = runner.invoke(app, ["serve", "--workers", "3"], env={"REFLEX_REDIS_URL": ""})
    assert refused.exit_code == 2 and "REFLEX_REDIS_URL" in refused.output


def test_the_job_queue_defaults_to_the_redis_of_the_state(monkeypatch) -> None:
    from ics_capacity.services.job_queue import queue_url

    monkeypatch.delenv("ICS_JOB_QUEUE", raising=False)
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    assert queue_url() == "local"
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert queue_url() == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("ICS_JOB_QUEUE", "local")
    assert queue_url() == "local"


def test_production_downgrade_asks_first(db_url: str, monkeypatch) -> None:
    """`db downgrade` in production changes nothing unless the operator confirms."""
    monkeypatch.setenv("ICS_ENV", "production")
    result = runner.invoke(app, ["db", "downgrade", "base"], input="n\n")
    assert result.exit_code != 0
    assert "Nothing was changed" in result.output


def test_user_add_and_set_password(db_url: str) -> None:
    """The operator adds the first administrator and can reset a lost password; passwords come
    from standard input, never the command line."""
    from ics_capacity.services.auth import (
        PasswordChangeRequiredError,
        current_principal,
        sign_in,
    )

    runner.invoke(app, ["seed-demo", "--no-demo-users"])
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "Lead@Trust.nhs.uk",
            "--collaborative",
            "BCPC",
            "--role",
            "admin",
            "--name",
            "Lead",
        ],
        input="first admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert list(
        current_principal(sign_in("lead@trust.nhs.uk", "first admin passphrase")).roles.values()
    ) == ["admin"]
    bad = runner.invoke(
        app,
        ["user", "add", "x@y.test", "--collaborative", "NOPE"],
        input="long enough password\n",
    )
    assert bad.exit_code == 1 and "There is no collaborative NOPE" in bad.output
    result = runner.invoke(
        app, ["user", "set-password", "lead@trust.nhs.uk"], input="second admin passphrase\n"
    )
    assert result.exit_code == 0, result.output
    token = sign_in("lead@trust.nhs.uk", "second admin passphrase")
    with pytest.raises(PasswordChangeRequiredError):
        current_principal(token)


# --- import and export of scenarios --------------------------------------------------------------


def _draft_scenario(emails: dict[str, str]) -> int:
    from ics_capacity.services import auth
    from ics_capacity.services import scenarios as sc
    from tests.conftest import TEST_PASSWORD

    token = auth.sign_in(emails["manager"], TEST_PASSWORD)
    _, memberships = auth.my_collaboratives(token)
    bcpc = next(m.collaborative_id for m in memberships if m.code == "BCPC")
    baseline = next(s.id for s in sc.list_scenarios(token, bcpc) if s.is_baseline)
    return sc.create_scenario(token, baseline, "From the command line")


def test_import_template_into_a_scenario(app_db, repo_root: Path, tmp_path: Path) -> None:
    """`import template --dry-run` shows the file's figures; without it the sites are written."""
    from ics_capacity.db.models import Site, TheatreCapacity

    url, emails = app_db
    draft = _draft_scenario(emails)
    lines = (repo_root / "docs/examples/theatres_template.csv").read_text().splitlines()
    lines[1] = lines[1].replace(
        "CANNOCK,Cannock Chase Hospital,RL4,yes,WS11 5XY,52.6926,-2.0303,10,",
        "CANNOCK,Cannock Chase Hospital,RL4,yes,WS11 5XY,52.6926,-2.0303,11,",
    )
    template = tmp_path / "hubs.csv"
    template.write_text("\n".join(lines) + "\n")
    dry = runner.invoke(
        app, ["import", "template", str(template), "--scenario", str(draft), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "Theatres: 47" in dry.stdout
    result = runner.invoke(app, ["import", "template", str(template), "--scenario", str(draft)])
    assert result.exit_code == 0, result.output
    assert "template: 6 rows from hubs.csv." in result.stdout
    with unit_of_work(url) as session:
        theatres = session.execute(
            sa.select(TheatreCapacity.theatres)
            .join(Site, Site.id == TheatreCapacity.site_id)
            .where(Site.scenario_id == draft, Site.code == "CANNOCK")
        ).scalar_one()
    assert theatres == 11


def test_import_needs_a_scenario_and_reports_problems(
    app_db, nhs_dir: Path, tmp_path: Path
) -> None:
    """Kinds other than rtt need --scenario; a bad file's problems are printed and exit 1."""
    _, emails = app_db
    result = runner.invoke(
        app, ["import", "kh03", str(nhs_dir / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv")]
    )
    assert result.exit_code == 1 and "--scenario ID" in result.output
    empty = tmp_path / "beds.csv"
    empty.write_bytes(b"")
    draft = _draft_scenario(emails)
    result = runner.invoke(app, ["import", "kh03", str(empty), "--scenario", str(draft)])
    assert result.exit_code == 1 and "beds.csv: is empty (0 bytes)" in result.output


def test_import_rtt_into_a_scenario(app_db, nhs_dir: Path, tmp_path: Path) -> None:
    """With --scenario, the zipped extract's rows for the scenario's system go into that draft."""
    _, emails = app_db
    draft = _draft_scenario(emails)
    result = runner.invoke(
        app, ["import", "rtt", str(_zipped_extract(nhs_dir, tmp_path)), "--scenario", str(draft)]
    )
    assert result.exit_code == 0, result.output
    assert "rtt: 7,322 rows from rtt-april-2026.zip." in result.stdout


def test_export_scenario_in_every_format(app_db, tmp_path: Path) -> None:
    """`export` writes JSON, a workbook, a zip of CSVs, or one table."""
    import json

    import pandas as pd

    _, emails = app_db
    draft = _draft_scenario(emails)
    for fmt, name in (
        ("json", "from-the-command-line.json"),
        ("xlsx", "from-the-command-line.xlsx"),
        ("csv", "from-the-command-line-csv.zip"),
    ):
        result = runner.invoke(app, ["export", str(draft), "--format", fmt, "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 0
    document = json.loads((tmp_path / "from-the-command-line.json").read_text())
    assert document["scenario"]["name"] == "From the command line"
    out = tmp_path / "sites.csv"
    result = runner.invoke(
        app, ["export", str(draft), "--format", "csv", "--table", "sites", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 6
    bad = runner.invoke(app, ["export", str(draft), "--format", "pdf", "--out", str(tmp_path)])
    assert bad.exit_code == 1 and "not a scenario format" in bad.output
