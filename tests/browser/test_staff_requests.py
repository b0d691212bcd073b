"""Requests on the Staff page in Chromium: a workforce lead adds a request for a person, imports a
file of requests (a file with a wrong weight is refused, naming row and column), and sees them
listed (issue 16 §3: "Staff requests ... have a screen and an import")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


def test_a_workforce_lead_adds_and_imports_requests(pages, tmp_path: Path) -> None:
    lead = pages.signed_in("workforce_lead")
    open_new_scenario(lead, "Requests draft")
    lead.get_by_role("link", name="Staff", exact=True).click()
    expect(lead.get_by_role("heading", name="Staff", level=1, exact=True)).to_be_visible()
    lead.locator("#staff-scenario").select_option(label="Requests draft (draft)")
    table = lead.get_by_role("table", name="Staff")
    expect(table).to_contain_text("Anaesthetist")
    code = table.locator("tbody tr").first.locator("th").inner_text().strip()

    lead.get_by_role("button", name=f"Requests of {code}", exact=True).click()
    expect(lead.get_by_role("heading", name=f"Requests of {code}")).to_be_visible()
    first = dt.date.today() + dt.timedelta(days=30)
    lead.locator("#request-date").fill(first.isoformat())
    lead.get_by_label("On or off").select_option("off")
    lead.locator("#request-weight").fill("4")
    lead.locator("#request-note").fill("Sister's wedding")
    lead.get_by_role("button", name="Add request", exact=True).click()
    requests = lead.get_by_role("table", name="Requests", exact=True)
    expect(requests).to_contain_text("Sister's wedding", timeout=20_000)
    expect(requests).to_contain_text(f"{first:%a %d %b %Y}")
    expect(requests).to_contain_text("Whole day off")

    later = first + dt.timedelta(days=1)
    bad = tmp_path / "requests-bad.csv"
    bad.write_text(f"Staff code,Date,Shift,Request,Weight\n{code},{later},,on,40\n")
    lead.locator("#requests-file").set_input_files(bad)
    lead.get_by_role("button", name="Import requests").click()
    alert = lead.get_by_role("alert").filter(has_text="nothing was imported")
    expect(alert).to_contain_text("requests-bad.csv row 2, column 'Weight'", timeout=30_000)

    good = tmp_path / "requests.csv"
    good.write_text(
        f"Staff code,Date,Shift,Request,Weight,Note\n{code},{later},,on,7,From the file\n"
    )
    lead.locator("#requests-file").set_input_files(good)
    lead.get_by_role("button", name="Import requests").click()
    expect(requests).to_contain_text("From the file", timeout=30_000)
    expect(requests).to_contain_text("Wants to work")
    expect(requests.locator("tbody tr")).to_have_count(2)
    expect(lead.get_by_text("requests.csv: 1 request(s) added or changed.")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lead.screenshot(path=ARTIFACTS / "staff-requests.png", full_page=True)
