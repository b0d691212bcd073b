"""Shared fixtures: the NHS data folder, and fresh databases on SQLite and PostgreSQL.

Database tests take `db_url`, which runs each test once on a new SQLite file and once on a new
PostgreSQL database when PostgreSQL answers on 127.0.0.1:5432 (it does on this project's machines
and in CI); `ICS_TEST_POSTGRES_URL` points at another server. `ICS_TEST_BACKENDS` (a comma-separated
list, default `sqlite,postgresql`) narrows that: `make test-fast` sets it to `sqlite`, so the quick
loop neither probes PostgreSQL nor runs any test twice.

Passwords are hashed with cheap argon2id parameters in the test process (see `_cheap_argon2`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ics_capacity.settings import REPO_ROOT, nhs_data_dir


def _cheap_argon2() -> None:
    """Makes the test process hash passwords with argon2id at the lowest cost (1 pass, 64 KiB).

    Production's parameters (OWASP's: 2 passes over 19 MiB, `services/auth.py`) take about 30 ms a
    hash on this project's 2-core machines, and the suites sign in and create accounts thousands of
    times. Only the parameters change: the same code paths run, every verification still happens
    (tests count them), and the hashes are ordinary argon2id ones. The browser tests' AppHarness
    serves the app in this process, so it hashes the same way; a command the tests start in a
    child process verifies these hashes with production's parameters and, on a sign-in, rehashes
    them as it would an old hash (`check_needs_rehash`).
    This lives here, never in `ics_capacity`, so no setting can weaken production's hashes.
    `ICS_TEST_ARGON2=production` keeps production's parameters, to time sign-in as it really is.
    """
    if os.environ.get("ICS_TEST_ARGON2", "cheap") == "production":
        return
    from argon2 import PasswordHasher

    from ics_capacity.services import auth

    auth._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    auth._DUMMY_HASH = auth._hasher.hash("not a real password")


_cheap_argon2()

POSTGRES_ADMIN_URL = os.environ.get(
    "ICS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def nhs_dir() -> Path:
    """The folder of real NHS files; a missing folder is a failure, not a skip."""
    folder = nhs_data_dir()
    assert folder.is_dir(), f"NHS data folder {folder} is missing (set ICS_DATA_DIR)"
    return folder


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any failure means "not available"
        return False


TEST_BACKENDS = [
    name.strip()
    for name in os.environ.get("ICS_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]
_unknown = set(TEST_BACKENDS) - {"sqlite", "postgresql"}
assert TEST_BACKENDS and not _unknown, f"ICS_TEST_BACKENDS: unknown or no backend {_unknown}"
POSTGRES_AVAILABLE = "postgresql" in TEST_BACKENDS and _postgres_available()


class PostgresDatabases:
    """Creates and drops throwaway PostgreSQL databases."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def create(self) -> str:
        name = f"ics_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        from ics_capacity.db.session import engine_for

        engine_for(url).dispose()
        name = sa.engine.make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    yield databases
    databases.admin.dispose()


_ALL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_AVAILABLE, reason="PostgreSQL is not answering"),
        ],
    ),
]
BACKENDS = [param for param in _ALL_BACKENDS if param.values[0] in TEST_BACKENDS]


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no schema) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    url = databases.create()
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture
def db_url(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new database at the newest schema, made the app's configured database for the test."""
    from ics_capacity.services.schema import upgrade

    upgrade("head", empty_db_url)
    monkeypatch.setenv("REFLEX_DB_URL", empty_db_url)
    return empty_db_url


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_db_url(
    request, tmp_path_factory: pytest.TempPathFactory, nhs_dir: Path
) -> Iterator[str]:
    """A database holding the demo collaborative, shared by the read-only tests of a session."""
    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('seeded') / 'demo.db'}"
        databases = None
    else:
        databases = request.getfixturevalue("postgres")
        url = databases.create()
    upgrade("head", url)
    seed_demo(nhs_dir, db_url=url)
    try:
        yield url
    finally:
        if databases is not None:
            databases.drop(url)


# --- Signed-in users ---------------------------------------------------------------------------

TEST_PASSWORD = "correct horse battery staple"
ROLES = ("admin", "manager", "workforce_lead", "executive", "viewer")


def add_test_accounts(url: str, nhs_dir: Path) -> dict[str, str]:
    """One account per role in the demo collaborative, and an outsider who is a manager of
    Birmingham and Solihull (loaded from the same RTT extract); all with TEST_PASSWORD.

    Returns:
        Role (and "outsider") -> email.
    """
    from sqlmodel import select

    from ics_capacity.db.models import Collaborative
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services.auth import create_user
    from ics_capacity.services.data_exchange.loaders import import_rtt_extract

    emails = {}
    with unit_of_work(url) as session:
        import_rtt_extract(
            session,
            nhs_dir / "rtt_full_extract_2026-04_QUA_QHL_subset.csv",
            ics="QHL",
            user="test",
        )
        ids = dict(session.exec(select(Collaborative.code, Collaborative.id)).all())
        for role in ROLES:
            email = f"{role.replace('_', '-')}@bcpc.test"
            create_user(
                session,
                email=email,
                password=TEST_PASSWORD,
                display_name=f"{role.replace('_', ' ').title()} User",
                memberships={ids["BCPC"]: role},
            )
            emails[role] = email
        create_user(
            session,
            email="outsider@bsol.test",
            password=TEST_PASSWORD,
            display_name="Outsider User",
            memberships={ids["QHL"]: "manager"},
        )
        emails["outsider"] = "outsider@bsol.test"
        session.commit()
    return emails


@pytest.fixture(scope="session", params=BACKENDS)
def _template_db(request, tmp_path_factory: pytest.TempPathFactory, nhs_dir: Path):
    """A seeded database with test accounts, copied afresh for each test that changes data."""
    from ics_capacity.db.session import engine_for
    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
        databases = None
    else:
        databases = request.getfixturevalue("postgres")
        url = databases.create()
    upgrade("head", url)
    seed_demo(nhs_dir, db_url=url)
    emails = add_test_accounts(url, nhs_dir)
    engine_for(url).dispose()
    yield request.param, url, emails, databases
    if databases is not None:
        databases.drop(url)


@pytest.fixture
def app_db(_template_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh copy of the seeded database with accounts, made the app's database for the test.

    Yields:
        (database URL, role -> email).
    """
    import shutil as _shutil

    backend, template_url, emails, databases = _template_db
    if backend == "sqlite":
        target = tmp_path / "app.db"
        _shutil.copy(sa.engine.make_url(template_url).database, target)
        url = f"sqlite:///{target}"
    else:
        name = f"ics_test_{uuid.uuid4().hex[:12]}"
        template = sa.engine.make_url(template_url).database
        with databases.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = databases.admin.url.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    yield url, emails
    if backend != "sqlite":
        databases.drop(url)
