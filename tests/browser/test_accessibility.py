"""Every page passes axe-core's WCAG 2.2 A and AA rules, at desktop and phone widths.

The pages come from the route registry (`ui.routes.PAGES`), so a new page is checked as soon as
it is registered; one whose address needs a parameter must be added to `ADDRESSES`. Each page is
also screenshotted at 1366 and 390 px into test-artifacts/pages/ for people to look at.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

import ics_capacity.ics_capacity  # noqa: F401  (registers the pages)
from ics_capacity.ui.routes import PAGES
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
"""axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA."""

ROLE_FOR = {"/users": "admin", "/onboarding": "admin", "/audit": "manager"}
"""Who opens each page (default: a manager, who sees every control of the planning pages)."""


def _addresses(app_db_url: str, accounts: dict[str, str]) -> dict[str, str]:
    """Route -> an address that opens it on the demo (routes with parameters need real ids)."""
    from ics_capacity.services import auth
    from ics_capacity.services.scenarios import create_scenario, list_scenarios
    from tests.conftest import TEST_PASSWORD

    token = auth.sign_in(accounts["manager"], TEST_PASSWORD)
    engine = sa.create_engine(app_db_url)
    with engine.connect() as connection:
        collaborative = connection.execute(
            sa.text("SELECT id FROM collaborative WHERE code = 'BCPC'")
        ).scalar_one()
    engine.dispose()
    rows = list_scenarios(token, collaborative)
    baseline = next(s.id for s in rows if s.is_baseline)
    other = next((s.id for s in rows if not s.is_baseline), None)
    if other is None:
        other = create_scenario(token, baseline, "Accessibility check")
    return {
        "/scenarios/[scenario_id]": f"/scenarios/{other}",
        "/compare": f"/compare?ids={baseline},{other}",
    }


def _violations(page: Page) -> list[str]:
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def _settle(page: Page) -> None:
    """Waits for the page's data: its heading, no loading message, charts drawn."""
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=30_000)
    for text in ("Loading", "Opening the scenario", "Projecting"):
        expect(page.get_by_text(re.compile(f"^{text}"))).to_have_count(0, timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)


@pytest.mark.parametrize("route", [p.route for p in PAGES], ids=lambda r: r.strip("/") or "home")
def test_every_page_has_no_wcag_violations(pages, accounts, route: str) -> None:
    import os

    addresses = _addresses(os.environ["REFLEX_DB_URL"], accounts)
    public = next(p.public for p in PAGES if p.route == route)
    assert "[" not in route or route in addresses, f"add an address for {route} to ADDRESSES"
    page = pages.new("visitor") if public else pages.signed_in(ROLE_FOR.get(route, "manager"))
    page.goto(pages.app_url + addresses.get(route, route))
    _settle(page)
    problems = {}
    name = route.strip("/").replace("/", "-").replace("[", "").replace("]", "") or "overview"
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)  # charts resize to their container
        page.screenshot(path=ARTIFACTS / "pages" / f"{name}-{width}.png", full_page=True)
        found = _violations(page)
        spill = page.evaluate("document.documentElement.scrollWidth")
        if spill > width + 1:
            found.append(f"the page is {spill} px wide at {width} px: it scrolls sideways")
        if found:
            problems[width] = found
    assert problems == {}, f"axe found WCAG 2.2 A/AA violations on {route}: {problems}"
