"""An administrator onboards a second system in the browser, marks a hub and rebalances it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, phone_screenshot

pytestmark = pytest.mark.browser

RTT_FILE = "rtt_full_extract_2026-04_QUA_QHL_subset.csv"


def test_admin_onboards_a_system_marks_a_hub_and_rebalances(
    pages, nhs_dir: Path, tmp_path: Path
) -> None:
    """Upload the published files, onboard QUA, mark its Wolverhampton site a hub, rebalance."""
    archive = tmp_path / "rtt-april-2026.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(nhs_dir / RTT_FILE, arcname=RTT_FILE)
    files = [
        archive,
        nhs_dir / "kh03_qmco_quarterly_trust_2018-19_2024-25.csv",
        nhs_dir / "etr_2026.csv",
        nhs_dir / "mar_2026-02_QUA_QHL_trusts_subset.csv",
    ]
    page = pages.signed_in("admin")
    page.get_by_role("link", name="Onboarding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Onboard a new system")
    page.get_by_label("ICB code of the system").fill("QUA")
    page.locator("input[type=file]").set_input_files(files)
    page.get_by_role("button", name="Upload the files").click()
    uploaded = page.get_by_role("table", name="Files uploaded")
    expect(uploaded.get_by_role("row")).to_have_count(5)
    for kind in ("RTT Full CSV extract", "KH03 beds", "ODS NHS trusts (etr)"):
        expect(uploaded).to_contain_text(kind)
    page.get_by_role("button", name="Onboard the system").click()
    expect(page.get_by_text(re.compile("^Onboarded NHS Black Country"))).to_be_visible(
        timeout=60_000
    )
    expect(page.get_by_text(re.compile("4 member trusts \\(RBK, RL4, RNA, RXK\\)"))).to_be_visible()
    phone_screenshot(page, "onboarding")

    page.get_by_role("link", name="Open the draft scenario").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Starting model (estimated)")
    page.get_by_text("Where the figures come from").click()
    figures = page.get_by_role("table").filter(has_text="Rule or source")
    expect(figures).to_contain_text("Theatres RL4: theatres")
    expect(figures).to_contain_text("RTT admitted completions (Part_1A), April 2026")

    form = page.locator("form").filter(has=page.get_by_role("button", name="Save RL4"))
    form.get_by_label("Elective hub: RL4").check()
    form.get_by_label("Sessions a week per theatre at RL4").fill("12")
    form.get_by_role("button", name="Save RL4").click()
    expect(page.get_by_text(re.compile("^Saved The Royal Wolverhampton"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="The Royal Wolverhampton")).to_contain_text(
        "Elective hub"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "onboarding-scenario.png", full_page=True)

    page.get_by_role("link", name="Rebalance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rebalance elective activity")
    page.get_by_label("Scenario", exact=True).select_option(
        label="Starting model (estimated) (draft)"
    )
    page.get_by_label("Horizon (weeks)").fill("13")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        "optimal", timeout=60_000
    )
    limits = page.get_by_role("table", name="Limits that bind, and what one more unit is worth")
    expect(limits.get_by_role("row").nth(1)).to_contain_text("full in weeks")
    phone_screenshot(page, "onboarding-rebalance")
