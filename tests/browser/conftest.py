"""The running app (reflex.testing.AppHarness) on a seeded database, and Chromium to drive it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ics_capacity.settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts"
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
def app_url(tmp_path_factory: pytest.TempPathFactory, nhs_dir: Path) -> Iterator[str]:
    """The URL of the app, served by AppHarness over a freshly seeded SQLite database."""
    from reflex.testing import AppHarness

    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    _use_project_bun()
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    upgrade("head", url)
    seed_demo(nhs_dir, db_url=url)
    previous = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = url
    try:
        with AppHarness.create(root=REPO_ROOT) as harness:
            assert harness.frontend_url is not None
            yield harness.frontend_url.rstrip("/")
    finally:
        if previous is None:
            os.environ.pop("REFLEX_DB_URL", None)
        else:
            os.environ["REFLEX_DB_URL"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page that fails the test on any error the app logs in the browser console."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "favicon" not in message.text
            else None
        ),
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"
