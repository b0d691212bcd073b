"""The `ics-capacity` command line, run as an analyst would, on SQLite and PostgreSQL."""

from __future__ import annotations

import zipfile
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.models import Collaborative, UserAccount, WaitingList
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


def test_db_upgrade_and_current(empty_db_url: str, monkeypatch) -> None:  # noqa: ANN001
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


def test_seed_demo_prints_one_working_sign_in_per_role(db_url: str) -> None:
    """The demo's five accounts are printed once, and each printed password signs in."""
    from ics_capacity.services.auth import current_principal, sign_in

    result = runner.invoke(app, ["seed-demo"])
    lines = [line.split() for line in result.stdout.splitlines() if "@demo." in line]
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


def test_production_never_gets_demo_accounts(db_url: str, monkeypatch) -> None:  # noqa: ANN001
    """With ICS_ENV=production the demo data loads but no demo account is created."""
    monkeypatch.setenv("ICS_ENV", "production")
    result = runner.invoke(app, ["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "@demo." not in result.stdout
    with unit_of_work(db_url) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(UserAccount)).scalar() == 0


def test_user_add_and_set_password(db_url: str) -> None:
    """The operator adds the first administrator and can reset a lost password."""
    from ics_capacity.services.auth import current_principal, sign_in

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
            "--password",
            "first admin passphrase",
        ],
    )
    assert result.exit_code == 0, result.output
    assert list(
        current_principal(sign_in("lead@trust.nhs.uk", "first admin passphrase")).roles.values()
    ) == ["admin"]
    bad = runner.invoke(
        app,
        [
            "user",
            "add",
            "x@y.test",
            "--collaborative",
            "NOPE",
            "--password",
            "long enough password",
        ],
    )
    assert bad.exit_code == 1 and "There is no collaborative NOPE" in bad.output
    runner.invoke(
        app, ["user", "set-password", "lead@trust.nhs.uk", "--password", "second admin passphrase"]
    )
    assert sign_in("lead@trust.nhs.uk", "second admin passphrase")
