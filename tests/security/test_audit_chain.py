"""The audit log is append-only for the application and hash-chained, so tampering shows."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.cli import app
from ics_capacity.db.audit_chain import GENESIS
from ics_capacity.db.models import AuditEvent
from ics_capacity.db.session import engine_for, unit_of_work
from ics_capacity.services.maintenance import verify_audit_chain_as_operator

pytestmark = pytest.mark.security
runner = CliRunner()


def _add_events(url: str, count: int, tag: str = "t") -> None:
    with unit_of_work(url) as session:
        for n in range(count):
            session.add(
                AuditEvent(user_email=f"{tag}@x.test", action="test.event", entity="x", summary=n)
            )
        session.commit()


def _without_triggers(url: str, statement: str) -> None:
    """Runs a statement as someone with the database owner's rights who drops the triggers."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            connection.execute(sa.text("DROP TRIGGER audit_event_no_update"))
            connection.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
        connection.execute(sa.text(statement))
    engine.dispose()


def test_rows_are_linked_and_verify_reports_intact(db_url: str) -> None:
    """Each row links to the previous one; `audit verify` counts the rows and finds no break."""
    _add_events(db_url, 3)
    _add_events(db_url, 2)
    with unit_of_work(db_url) as session:
        rows = session.exec(
            sa.select(AuditEvent.prev_hash, AuditEvent.row_hash).order_by(AuditEvent.id)
        ).all()
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "5 rows, chain intact."


def test_the_application_cannot_update_or_delete_audit_rows(db_url: str) -> None:
    """The triggers refuse UPDATE and DELETE from the app's own connection."""
    _add_events(db_url, 1)
    engine = engine_for(db_url)
    for statement in ("UPDATE audit_event SET summary = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert verify_audit_chain_as_operator(db_url).rows == 1


def test_a_changed_row_is_found(db_url: str) -> None:
    """Someone who drops the trigger and edits a row is caught by `audit verify` (exit 1)."""
    _add_events(db_url, 4)
    with unit_of_work(db_url) as session:
        third = session.exec(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()[2]
    _without_triggers(db_url, f"UPDATE audit_event SET summary = 'nothing here' WHERE id = {third}")
    report = verify_audit_chain_as_operator(db_url)
    assert (report.broken_id, report.intact) == (third, False)
    assert "content" in report.reason
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"row id {third}" in result.output


def test_a_deleted_row_is_found(db_url: str) -> None:
    """Removing a row breaks the next row's link."""
    _add_events(db_url, 4)
    with unit_of_work(db_url) as session:
        ids = session.exec(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    _without_triggers(db_url, f"DELETE FROM audit_event WHERE id = {ids[1]}")
    report = verify_audit_chain_as_operator(db_url)
    assert report.broken_id == ids[2]
    assert "prev_hash" in report.reason


def test_concurrent_writers_keep_one_chain(db_url: str) -> None:
    """Transactions writing audit rows at the same moment never link to the same head."""
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for _ in range(5):
                _add_events(db_url, 2, tag)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_audit_chain_as_operator(db_url)
    assert (report.rows, report.intact) == (40, True), report
