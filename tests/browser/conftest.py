"""The running app (reflex.testing.AppHarness) on a seeded database, and Chromium to drive it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ics_capacity.settings import REPO_ROOT
from tests.browser.steps import open_sign_in

# Screenshots: the production pass, which `make test` runs beside the in-process one, has its own.
ARTIFACTS = (
    REPO_ROOT
    / "test-artifacts"
    / ("production" if os.environ.get("ICS_TEST_SERVER") == "production" else "")
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _use_project_bun() -> None:
    """Points Reflex at the bun that `make` installs from the npm registry."""
    bun_bin = REPO_ROOT / ".tools" / "node_modules" / ".bin"
    if (bun_bin / "bun").exists() and str(bun_bin) not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = f"{bun_bin}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    os.environ.setdefault("REFLEX_HTTP_CLIENT_BIND_ADDRESS", "0.0.0.0")


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), "Chromium is missing: `make test` installs Debian's chromium"
    return path


@pytest.fixture(scope="session")
def accounts() -> dict[str, str]:
    """Role -> email of the test accounts in the app's database (password TEST_PASSWORD)."""
    return {}


REDIS_URL = os.environ.get("ICS_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


# Client state in-process (the embedded default), or in Redis as several backend workers share
# it (ICS_TEST_STATE_MANAGER=redis, by hand: the in-process app with Redis state). `make test`
# covers Redis state with its production pass, which runs every browser test against two web
# workers sharing state in Redis.
STATE_MANAGER = os.environ.get("ICS_TEST_STATE_MANAGER", "memory")


# The app's single sign-on points at a real OpenID provider on loopback (oidc-provider-mock), on
# `localhost` while the app is on 127.0.0.1: another site, as NHS.net's provider is.
SSO_DOMAINS = "bcpc.test,dgh.nhs.uk"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """The loopback OpenID provider's issuer URL."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


# `harness` (default): AppHarness serves the app in this process over SQLite. `production`: the
# app runs as production runs it, on PostgreSQL and Redis: `ics-capacity serve --workers 2` (the
# production build, two web workers sharing client state in Redis) and a separate `ics-capacity
# worker` taking solves from a Redis job queue. `make test` runs the browser suite both ways.
SERVER_MODE = os.environ.get("ICS_TEST_SERVER", "harness")
assert SERVER_MODE in ("harness", "production"), f"ICS_TEST_SERVER={SERVER_MODE!r}"
PRODUCTION_START_SECONDS = 420  # the production build on a busy 2-core machine
# Playwright's default of 5 s per expectation is tight for the heavier pages (a scenario page
# with its readiness tables) on a 2-core CI machine that is running the suite itself: a run
# failed once waiting 5 s for a viewer's readiness table. Production's argon2 cost and two web
# workers sharing state through Redis make round trips slower still. The assertions are the same;
# tests that pass their own timeout keep it.
expect.set_options(timeout=15_000 if SERVER_MODE == "production" else 10_000)

needs_in_process_app = pytest.mark.skipif(
    SERVER_MODE == "production",
    reason="changes the app's environment during the test, which only the in-process app shares",
)


@pytest.fixture(scope="session")
def app_url(
    tmp_path_factory: pytest.TempPathFactory,
    nhs_dir: Path,
    accounts: dict[str, str],
    oidc_provider: str,
) -> Iterator[str]:
    """The URL of the app: AppHarness over a freshly seeded SQLite database, or production's."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail(
            "The browser tests run in one pytest process (make test runs them apart from the "
            "others): several processes would build the same frontend in .web at once."
        )
    if SERVER_MODE == "production":
        yield from _production_app(tmp_path_factory, nhs_dir, accounts, oidc_provider)
        return
    from reflex.testing import AppHarness

    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade
    from tests.conftest import add_test_accounts

    _use_project_bun()
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    upgrade("head", url)
    seed_demo(nhs_dir, db_url=url)
    accounts.update(add_test_accounts(url, nhs_dir))
    previous = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = url
    os.environ.update(_test_app_environment(oidc_provider))
    if STATE_MANAGER == "redis":
        assert _redis_available(), f"ICS_TEST_STATE_MANAGER=redis but {REDIS_URL} does not answer"
        os.environ["REFLEX_REDIS_URL"] = REDIS_URL
        # Client state in Redis, but no solver worker runs in the suite: solves stay in-process.
        os.environ.setdefault("ICS_JOB_QUEUE", "local")
    else:
        os.environ.pop("REFLEX_REDIS_URL", None)
    try:
        with AppHarness.create(root=REPO_ROOT) as harness:
            assert harness.frontend_url is not None
            yield same_site_as_backend(harness.frontend_url.rstrip("/"))
    finally:
        os.environ.pop("REFLEX_REDIS_URL", None)
        if previous is None:
            os.environ.pop("REFLEX_DB_URL", None)
        else:
            os.environ["REFLEX_DB_URL"] = previous


def _test_app_environment(oidc_provider: str) -> dict[str, str]:
    """What the tests need of the app's configuration, whichever way it is served."""
    return {
        # Closed tabs leave "Also viewing" after 12 s here (45 s by default), so a test sees it.
        "ICS_PRESENCE_TIMEOUT_SECONDS": os.environ.get("ICS_PRESENCE_TIMEOUT_SECONDS", "12"),
        "ICS_OIDC_ISSUER": oidc_provider,
        "ICS_OIDC_CLIENT_ID": "ics-capacity-browser-tests",
        "ICS_OIDC_CLIENT_SECRET": "a client secret",
        "ICS_OIDC_ALLOWED_DOMAINS": SSO_DOMAINS,
    }


def _production_app(
    tmp_path_factory: pytest.TempPathFactory,
    nhs_dir: Path,
    accounts: dict[str, str],
    oidc_provider: str,
) -> Iterator[str]:
    """Seeds a throwaway PostgreSQL database and serves it as production does; yields its URL.

    Two web workers (`ics-capacity serve --workers 2`) share client state in Redis, and solves go
    through a Redis job queue (its own queue name) to a separate `ics-capacity worker`. The test
    process reads the same database (`REFLEX_DB_URL`) where a test checks what was written.
    """
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    import uuid

    import redis

    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade
    from tests.conftest import POSTGRES_ADMIN_URL, PostgresDatabases, add_test_accounts

    assert _redis_available(), f"ICS_TEST_SERVER=production needs Redis at {REDIS_URL}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    db_url = databases.create()
    upgrade("head", db_url)
    seed_demo(nhs_dir, db_url=db_url)
    accounts.update(add_test_accounts(db_url, nhs_dir))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        **_test_app_environment(oidc_provider),
        "REFLEX_DB_URL": db_url,
        "REFLEX_REDIS_URL": REDIS_URL,
        "ICS_JOB_QUEUE": REDIS_URL,
        "ICS_JOB_QUEUE_NAME": f"ics-browser-{uuid.uuid4().hex[:8]}",
    }
    logs = tmp_path_factory.mktemp("production-logs")
    bin_dir = Path(sys.executable).parent
    started: list[subprocess.Popen] = []
    for name, command in (
        ("serve", ["serve", "--workers", "2", "--port", str(port)]),
        ("worker", ["worker", "--concurrency", "2"]),
    ):
        with (logs / f"{name}.log").open("wb") as log:
            started.append(
                subprocess.Popen(
                    [str(bin_dir / "ics-capacity"), *command],
                    cwd=REPO_ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    previous = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = db_url
    os.environ.update(_test_app_environment(oidc_provider))  # the tests read them too
    try:
        deadline = time.monotonic() + PRODUCTION_START_SECONDS
        while True:
            assert all(p.poll() is None for p in started), f"a process stopped; see {logs}"
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer from {url}; see {logs}"
            time.sleep(2)
        yield url
    finally:
        for process in started:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        if previous is None:
            os.environ.pop("REFLEX_DB_URL", None)
        else:
            os.environ["REFLEX_DB_URL"] = previous
        databases.drop(db_url)
        databases.admin.dispose()


def same_site_as_backend(frontend_url: str) -> str:
    """The front end's URL on the backend's host, as a deployment serves both from one site.

    AppHarness serves the backend on 127.0.0.1 and names the front end `localhost`: two sites to
    a browser, which then never sends the SameSite=Strict session cookie with the websocket.
    """
    from reflex_base.config import get_config

    backend_host = urlsplit(get_config().api_url).hostname or "localhost"
    parts = urlsplit(frontend_url)
    return parts._replace(netloc=f"{backend_host}:{parts.port}").geturl()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Pages:
    """Opens browser contexts (separate users) and checks none of them logged an error."""

    def __init__(self, browser: Browser, app_url: str, accounts: dict[str, str], name: str):
        self.browser, self.app_url, self.accounts, self.name = browser, app_url, accounts, name
        self.opened: list[tuple[str, Page]] = []
        self.errors: list[str] = []

    def new(self, label: str = "page") -> Page:
        """A page of a new browser context (its own cookies: a separate user)."""
        context = self.browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{label}: {error}"))
        page.on("console", lambda message: self._console(label, message, page))
        self.opened.append((label, page))
        return page

    def _console(self, label: str, message, page: Page) -> None:
        # React's development build warns about list keys inside Reflex's own upload component;
        # the production build never logs it. The OpenID provider's own sign-in page (not this
        # app) asks for a stylesheet from the internet and a favicon it lacks. Every other
        # console error fails the test.
        at_provider = page.url.startswith(os.environ.get("ICS_OIDC_ISSUER") or "\0")
        if message.type == "error" and 'unique "key" prop' not in message.text and not at_provider:
            self.errors.append(f"{label}: {message.text}")

    def signed_in(self, role: str) -> Page:
        """A page of a new browser context, signed in as the test account of the role."""
        from tests.conftest import TEST_PASSWORD

        page = self.new(role)
        open_sign_in(page, f"{self.app_url}/login")
        page.get_by_label("Email address").fill(self.accounts[role])
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    def close(self) -> None:
        """Screenshots every page into the artefact folder and closes its context."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for label, page in self.opened:
            page.screenshot(path=ARTIFACTS / f"{self.name}-{label}.png", full_page=True)
            page.context.close()


def phone_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot of the page 390 px wide (a phone), then back to 1366 px."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-390.png"
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)  # charts resize to their container
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    return path


@pytest.fixture
def pages(browser: Browser, app_url: str, accounts: dict[str, str], request) -> Iterator[Pages]:
    """Browser contexts for the test, screenshotted at the end; console errors fail the test."""
    opened = Pages(browser, app_url, accounts, request.node.name)
    yield opened
    opened.close()
    assert opened.errors == [], f"the browser reported errors: {opened.errors}"


@pytest.fixture
def page(pages: Pages) -> Page:
    """One page of a new, signed-out browser context."""
    return pages.new()
