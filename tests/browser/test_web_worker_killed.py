"""A web worker killed while a browser is on the app: the others serve on, the dead one comes back.

The app runs as production runs it (`ics-capacity serve --workers 2`: the production build,
Granian with two web workers, client state in Redis) over a seeded SQLite database. A manager
signs in and opens the Scenarios page; then each of the two original web workers is killed with
SIGKILL in turn, so whichever held the browser's websocket is gone. The browser is not reloaded.

Checked after each kill: the server answers throughout, a new worker takes the dead one's place,
and the same page, still signed in, creates a scenario, which is written once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from ics_capacity.settings import REPO_ROOT
from tests.browser.steps import open_new_scenario
from tests.conftest import TEST_PASSWORD, add_test_accounts

pytestmark = [pytest.mark.browser, pytest.mark.fault]

REDIS_URL = os.environ.get("ICS_TEST_WORKER_FAULT_REDIS_URL", "redis://127.0.0.1:6379/5")
START_SECONDS = 420  # the production build on a busy 2-core machine
RESPAWN_SECONDS = 30


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in text.split()}


def _web_workers(server: subprocess.Popen) -> set[int]:
    """The Granian workers: the children of the server process (the `web_server` module)."""
    return {
        pid
        for pid in _children(server.pid)
        if b"ics_capacity.cli.web_server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, nhs_dir: Path) -> Iterator[dict]:
    import redis

    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        pytest.skip(f"Redis does not answer at {REDIS_URL}; several web workers need it")
    db_url = f"sqlite:///{tmp_path_factory.mktemp('workers') / 'app.db'}"
    upgrade("head", db_url)
    seed_demo(nhs_dir, db_url=db_url)
    accounts = add_test_accounts(db_url, nhs_dir)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("workers-log") / "serve.log").open("wb")
    environment = {
        **os.environ,
        "REFLEX_DB_URL": db_url,
        "REFLEX_REDIS_URL": REDIS_URL,
        "ICS_JOB_QUEUE": "local",  # no solve runs in this test
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "ics-capacity"), "serve", "--workers", "2"]
        + ["--port", str(port)],
        cwd=REPO_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (_answers(url) and len(_web_workers(server)) == 2):
            assert server.poll() is None, "the server stopped while starting (see serve.log)"
            assert time.monotonic() < deadline, f"no answer from {url} in {START_SECONDS} s"
            time.sleep(2)
        yield {"url": url, "server": server, "db_url": db_url, "accounts": accounts}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _kill_and_wait_for_a_new_one(server: subprocess.Popen, url: str, victim: int) -> int:
    before = _web_workers(server)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + RESPAWN_SECONDS
    while True:
        workers = _web_workers(server)
        if victim not in workers and len(workers) == 2:
            break
        assert server.poll() is None, "the whole server stopped when one web worker died"
        assert time.monotonic() < deadline, f"no new worker in {RESPAWN_SECONDS} s: {workers}"
        time.sleep(0.5)
    assert _answers(url)
    (new,) = workers - before
    return new


def test_a_killed_web_worker_is_replaced_and_the_open_page_goes_on(
    two_workers: dict, browser: Browser
) -> None:
    url, server = two_workers["url"], two_workers["server"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{url}/login")
        page.get_by_label("Email address").fill(two_workers["accounts"]["manager"])
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
        page.get_by_role("link", name="Scenarios").click()
        expect(page.get_by_role("link", name="Baseline April 2026")).to_be_visible()

        for victim in sorted(_web_workers(server)):
            _kill_and_wait_for_a_new_one(server, url, victim)

        # The same page, not reloaded: its socket reconnects to a live worker, whose state for
        # this browser comes from Redis, so the manager is still signed in and can work on.
        expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
        open_new_scenario(page, "After a web worker died")
        page.screenshot(path="/tmp/web_worker_killed.png", full_page=True)
    finally:
        context.close()
    engine = sa.create_engine(two_workers["db_url"])
    with engine.connect() as connection:
        made = connection.execute(
            sa.text("SELECT count(*) FROM scenario WHERE name = :name"),
            {"name": "After a web worker died"},
        ).scalar_one()
    engine.dispose()
    assert made == 1
