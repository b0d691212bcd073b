"""Malformed uploads of every kind are refused with a clear error and change nothing.

Each test takes a small valid file cut from a real one (tests/strategies.py) and lets hypothesis
damage it: a truncated row, text where a number belongs, a huge number, the wrong encoding, a
column name given twice, an empty file, a 0-byte upload. Every example must be refused by the
preview and by the commit, with problems that name the file and say what is wrong; and the
database must be exactly as it was: a full dump of every table is compared before and after the
run, and on SQLite the database file's bytes are compared after every example.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, note, settings
from sqlmodel import SQLModel

from ics_capacity.db.session import engine_for
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.data_exchange import commit_import, preview_import
from tests.conftest import TEST_PASSWORD
from tests.strategies import BASE_FILES, BaseFile, Damaged, database_dump, malformed


def _draft(emails: dict[str, str]) -> int:
    token = auth.sign_in(emails["manager"], TEST_PASSWORD)
    baseline = next(s for s in sc.list_scenarios(token, _bcpc(token)) if s.is_baseline)
    return sc.create_scenario(token, baseline.id, "Upload checks")


def _bcpc(token: str) -> int:
    _, memberships = auth.my_collaboratives(token)
    return next(m.collaborative_id for m in memberships if m.code == "BCPC")


def _awaits_flow_table(problem: ImportProblem) -> bool:
    return "system_flow" in problem.reason


def _fingerprint(url: str) -> str:
    """The SQLite file's bytes, hashed; on PostgreSQL the row count of every table.

    (The full dump of every table is compared once the run is over.)
    """
    if url.startswith("sqlite"):
        return hashlib.sha256(Path(sa.engine.make_url(url).database).read_bytes()).hexdigest()
    with engine_for(url).connect() as connection:
        return repr(
            [
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in SQLModel.metadata.sorted_tables
            ]
        )


@pytest.mark.parametrize("kind", list(BASE_FILES))
def test_malformed_files_are_refused_and_change_nothing(app_db, tmp_path: Path, kind: str) -> None:
    """Every damaged file gets problems naming the file, and the database stays byte-identical."""
    url, emails = app_db
    base: BaseFile = BASE_FILES[kind]()
    scenario_id = _draft(emails)
    role = "workforce_lead" if kind == "workforce" else "manager"
    token = auth.sign_in(emails[role], TEST_PASSWORD)
    path = tmp_path / base.name
    path.write_bytes(base.content())
    # Until the schema has a table for monthly flows, a valid flows file is refused only for that.
    valid = preview_import(token, scenario_id, kind, path)
    assert [p for p in valid.problems if not _awaits_flow_table(p)] == []

    before = database_dump(url)
    fingerprint = _fingerprint(url)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(damage=malformed(base))
    def refused(damage: Damaged) -> None:
        what = damage.what
        path.write_bytes(damage.content)
        note(f"{what}: {damage.content[:300]!r}")
        preview = preview_import(token, scenario_id, kind, path)
        assert not preview.ok, f"{what}: the preview accepted the file"
        found = [p for p in preview.problems if not _awaits_flow_table(p)]
        assert found and all(p.reason for p in found), f"{what}: not found"
        with pytest.raises(ImportValidationError) as caught:
            commit_import(token, scenario_id, kind, path)
        problems = caught.value.problems
        assert problems, what
        assert all(p.file.startswith(base.name) and p.reason.strip() for p in problems), problems
        assert base.name in str(caught.value)
        assert _fingerprint(url) == fingerprint, f"{what}: the database changed"

    refused()
    assert database_dump(url) == before


def test_a_truncated_zip_is_refused(app_db, tmp_path: Path) -> None:
    """A zip cut short in transfer is reported as unreadable, not a crash."""
    import zipfile

    url, emails = app_db
    scenario_id = _draft(emails)
    token = auth.sign_in(emails["manager"], TEST_PASSWORD)
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rtt.csv", BASE_FILES["rtt"]().content())
    data = whole.read_bytes()
    before = database_dump(url)
    for cut in (len(data) // 2, len(data) - 30):
        path = tmp_path / "rtt-april.zip"
        path.write_bytes(data[:cut])
        with pytest.raises(ImportValidationError) as caught:
            commit_import(token, scenario_id, "rtt", path)
        assert "rtt-april.zip" in str(caught.value)
    assert database_dump(url) == before
