"""Every download is recorded in the audit log: who, what, how many rows."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from ics_capacity.cli.data_operator import export_as_operator
from ics_capacity.db.models import AuditEvent, Scenario, SolveJob
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, board_pack, rota
from ics_capacity.services.audit_log import AuditFilter, audit_csv
from ics_capacity.services.data_exchange import export_scenario, export_table
from ics_capacity.services.scenarios import NotFoundError
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security


def _downloads(url: str) -> list[tuple[str, int | None, int | None, str, str]]:
    with unit_of_work(url) as session:
        return [
            tuple(row)
            for row in session.execute(
                sa.select(
                    AuditEvent.user_email,
                    AuditEvent.collaborative_id,
                    AuditEvent.scenario_id,
                    AuditEvent.entity_id,
                    AuditEvent.new_value,
                )
                .where(AuditEvent.action == "data.download")
                .order_by(AuditEvent.id)
            )
        ]


def test_every_download_is_audited_with_its_row_count(app_db, monkeypatch) -> None:
    url, emails = app_db
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline, collaborative = session.execute(
            sa.select(Scenario.id, Scenario.collaborative_id)
            .where(Scenario.is_baseline)
            .order_by(Scenario.id)
        ).first()

    _, table = export_table(viewer, baseline, "waiting_list", "csv")
    table_rows = len(list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))) - 1
    export_scenario(viewer, baseline, "json")
    text = audit_csv(admin, AuditFilter(collaborative_id=collaborative))
    audit_rows = len(list(csv.reader(io.StringIO(text)))) - 1
    export_as_operator(baseline, "csv", table="waiting_list")

    # The rota and the board pack: their file writers are tested elsewhere; here, the record.
    with unit_of_work(url) as session:
        session.add(SolveJob(scenario_id=baseline, kind="rota", requested_by="x", result="{}"))
        session.commit()
    built = SimpleNamespace(assignments=(1,), dates=("2027-01-04",))
    monkeypatch.setattr(rota, "stored_rota", lambda *_a, **_k: built)
    monkeypatch.setattr(rota, "export_csv", lambda _o: b"csv")
    monkeypatch.setattr(rota, "export_rows", lambda _o: [{}] * 7)
    assert rota.download_rota(viewer, baseline, "csv") == (
        f"rota-scenario-{baseline}-2027-01-04.csv",
        b"csv",
    )
    pack = board_pack.BoardPack(
        scenario_id=baseline,
        scenario_name="Baseline plan",
        file_stem="board-pack-baseline-plan-2026-12-04",
        html="<html>",
        pdf=b"%PDF",
        weeks=53,
    )
    assert board_pack.board_pack_file(viewer, pack, "pdf") == (
        "board-pack-baseline-plan-2026-12-04.pdf",
        b"%PDF",
    )
    name, _ = board_pack.board_pack_file(viewer, pack, "html")
    assert name == "board-pack-baseline-plan-2026-12-04.html"

    assert _downloads(url) == [
        (emails["viewer"], collaborative, baseline, "table:waiting_list", str(table_rows)),
        (emails["viewer"], collaborative, baseline, "scenario:json", _downloads(url)[1][4]),
        (emails["admin"], collaborative, None, "audit_log:csv", str(audit_rows)),
        ("cli", collaborative, baseline, "table:waiting_list", str(table_rows)),
        (emails["viewer"], collaborative, baseline, "rota:csv", "7"),
        (emails["viewer"], collaborative, baseline, "board_pack:pdf", "53"),
        (emails["viewer"], collaborative, baseline, "board_pack:html", "53"),
    ]
    assert table_rows > 0 and int(_downloads(url)[1][4]) > table_rows


def test_a_refused_download_records_nothing(app_db) -> None:
    url, emails = app_db
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    with pytest.raises(NotFoundError):
        export_table(outsider, baseline, "waiting_list", "csv")
    with pytest.raises(NotFoundError, match="Build a rota first"):
        rota.download_rota(viewer, baseline, "csv")
    pack = board_pack.BoardPack(baseline, "Baseline", "board-pack-baseline", "<html>", b"", 53)
    with pytest.raises(NotFoundError):
        board_pack.board_pack_file(outsider, pack, "pdf")
    assert _downloads(url) == []
