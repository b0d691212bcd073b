"""Uploads: the caller is checked before a byte is kept, files are capped, private and removed."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, uploads
from ics_capacity.services.errors import InvalidInputError, ServiceError
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security


@pytest.fixture
def world(app_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url, emails = app_db
    monkeypatch.setenv("ICS_UPLOAD_DIR", str(tmp_path / "uploads"))
    with unit_of_work(url) as session:
        draft = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return emails, draft, tmp_path / "uploads"


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("who", ["anonymous", "viewer", "executive", "outsider"])
def test_an_upload_is_refused_before_anything_is_written(world, who: str) -> None:
    emails, scenario, root = world
    token = "" if who == "anonymous" else auth.sign_in(emails[who], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        uploads.open_upload(token, scenario, "template", "theatres.csv")
    assert _files(root) == []


def test_a_file_over_the_limit_is_refused_and_deleted(world, monkeypatch) -> None:
    emails, scenario, root = world
    monkeypatch.setenv("ICS_MAX_UPLOAD_MB", "0.001")  # about 1 kB
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    writer = uploads.open_upload(manager, scenario, "template", "big.csv")
    writer.write(b"x" * 1000)
    with pytest.raises(InvalidInputError, match="larger than"):
        writer.write(b"x" * 1000)
    assert _files(root) == []


def test_names_cannot_leave_the_users_folder(world) -> None:
    emails, scenario, root = world
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    writer = uploads.open_upload(manager, scenario, "template", "../../etc/passwd\\..\\x.csv")
    writer.write(b"a,b\n1,2\n")
    staged = writer.close()
    assert staged.path.resolve().is_relative_to(root.resolve())
    assert staged.name == "x.csv"
    assert oct(staged.path.parent.parent.stat().st_mode)[-3:] == "700"


def test_a_path_is_accepted_back_only_from_the_callers_own_folder(world) -> None:
    emails, scenario, root = world
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    writer = uploads.open_upload(manager, scenario, "template", "t.csv")
    writer.write(b"a,b\n")
    staged = writer.close()
    assert uploads.staged_path(manager, str(staged.path)) == staged.path.resolve()
    with pytest.raises(InvalidInputError):
        uploads.staged_path(admin, str(staged.path))
    with pytest.raises(InvalidInputError):
        uploads.staged_path(manager, "/etc/passwd")
    uploads.discard_upload(admin, str(staged.path))  # not theirs: nothing happens
    assert staged.path.exists()
    uploads.discard_upload(manager, str(staged.path))
    assert _files(root) == []


def test_uploads_go_at_sign_out_and_after_an_hour(world) -> None:
    emails, scenario, root = world
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    for name in ("a.csv", "b.csv"):
        writer = uploads.open_upload(manager, scenario, "template", name)
        writer.write(b"a,b\n")
        writer.close()
    old = _files(root)[0].parent
    hour_ago = time.time() - 3700
    os.utime(old, (hour_ago, hour_ago))
    assert uploads.sweep_uploads(dt.timedelta(hours=1)) == 1
    assert len(_files(root)) == 1
    uploads.discard_all_uploads(manager)
    assert _files(root) == []


def test_one_check_at_a_time_per_user(world) -> None:
    emails, _, _ = world
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with uploads.user_slot(manager):
        with pytest.raises(InvalidInputError, match="still being checked"):
            with uploads.user_slot(manager):
                pass
    with uploads.user_slot(manager):  # released
        pass
