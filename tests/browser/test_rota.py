"""A workforce lead builds the shared rota in the browser, locks a cell and re-solves around it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.steps import build_and_wait_for_this_build, open_new_scenario

pytestmark = pytest.mark.browser


def _new_scenario(page: Page, name: str) -> None:
    """Branches a draft from the (approved, read-only) baseline: locks need an editable one."""
    open_new_scenario(page, name)


def test_build_lock_and_rebuild_keeps_the_lock(pages) -> None:
    """The rota is built, a worked cell is locked to a day off, and the rebuilt rota keeps it."""
    page = pages.signed_in("workforce_lead")
    _new_scenario(page, "Rota lock test")
    page.get_by_role("link", name="Rota").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared workforce rota")
    page.get_by_label("Scenario", exact=True).select_option(label="Rota lock test (draft)")
    page.get_by_role("checkbox", name=re.compile("Cannock")).click()
    expect(page.get_by_role("checkbox", name=re.compile("Cannock"))).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("Sandwell"))).to_be_checked()
    # Solver settings are folded away under "Advanced"; an empty time limit follows the weeks.
    limit = page.get_by_label("Time limit (seconds)")
    expect(limit).to_be_hidden()
    page.get_by_label("Weeks (1–12)").fill("1")
    page.get_by_text("Advanced: time limit, rules, demand and bank holidays").click()
    expect(limit).to_have_value("")
    expect(limit).to_have_attribute("placeholder", "automatic")
    expect(page.locator("#rota-limit-hint")).to_have_text(re.compile("Empty: follows the weeks"))
    expect(page.get_by_role("checkbox", name=re.compile("Lists at Sandwell"))).not_to_be_checked()
    limit.fill("6")
    # Bad values are refused in one message naming each field; the form keeps what was typed.
    page.get_by_label("Weeks (1–12)").fill("abc")
    page.get_by_label("Bank pool cap (places)").fill("many")
    page.get_by_role("button", name="Build rota").click()
    error = page.locator("#rota-form-error")
    expect(error).to_contain_text("Weeks: 'abc' is not a whole number")
    expect(error).to_contain_text("Bank pool cap (places): 'many' is not a whole number")
    expect(limit).to_have_value("6")
    expect(page.get_by_label("Weeks (1–12)")).to_have_value("abc")
    expect(page.get_by_label("Bank pool cap (places)")).to_have_value("many")
    expect(page.get_by_role("checkbox", name=re.compile("^Cannock"))).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^Sandwell"))).to_be_checked()
    page.get_by_label("Weeks (1–12)").fill("1")
    page.get_by_label("Bank pool cap (places)").fill("10")
    page.get_by_role("button", name="Build rota").click()
    # The page stays usable while the solve runs: progress shows and the view can change.
    expect(page.get_by_role("progressbar", name="Build progress")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Finished")).to_contain_text(
        re.compile("optimal|feasible"), timeout=90_000
    )
    expect(page.locator("#rota-form-error")).to_have_count(0)
    expect(page.get_by_text("no rule broken.")).to_be_visible()
    # Places short beside the proven least any rota could leave (issue 16).
    proof = re.compile(r"Required cover: [\d,]+ places? short; proven lower bound [\d,]+: no rota")
    expect(page.get_by_text(proof)).to_be_visible()
    # One cost with its parts, and a key to the grid's sites and codes.
    expect(page.locator("#rota-cost")).to_contain_text(
        re.compile(r"Cost of the rota: £[\d,]+ = substantive staff £[\d,]+ \+ bank staff")
    )
    # Fairness per whole-time equivalent, with the band around each person's share (issue 16).
    fairness = page.get_by_role("table", name="Fairness per whole-time equivalent (WTE)")
    expect(
        fairness.get_by_role("row").filter(has_text="Ward nurse").filter(has_text="Night shifts")
    ).to_contain_text(re.compile(r"\d+\.\d to \d+\.\d"))
    expect(fairness).to_contain_text(
        re.compile(r"None: all within ±25% of their share|beyond ±25%")
    )
    legend = page.locator("#rota-legend")
    expect(legend).to_contain_text("Sandwell")
    expect(legend).to_contain_text("Ward night, 19:30 to 08:00")
    expect(legend).to_contain_text("Locked: every build keeps this cell")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTIFACTS / f"rota-built-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    grid = page.get_by_role("table", name=re.compile("Rota by staff"))
    # On paper: the whole grid (no scroll box), its cells as text, the controls left off.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Build rota")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(grid.get_by_role("button").first).to_be_visible()
    last = grid.get_by_role("row").last
    assert last.evaluate("r => r.closest('.rota-scroll').scrollHeight") == last.evaluate(
        "r => r.closest('.rota-scroll').clientHeight"
    ), "the printed grid is cut by its scroll box"
    page.screenshot(path=ARTIFACTS / "rota-print.png", full_page=True)
    page.emulate_media(media="screen")
    worked = grid.get_by_role("button", name=re.compile(r"Sandwell.*list$")).first
    name = worked.get_attribute("aria-label")
    assert name is not None
    person, when = name.split(", ")[0], name.split(", ")[1].split(":")[0]
    worked.click()
    expect(
        page.get_by_role("heading", name=re.compile(f"Lock {re.escape(person)}"))
    ).to_be_visible()
    page.get_by_label("Lock to").select_option(label="Day off")
    page.get_by_role("button", name="Lock", exact=True).click()
    pending = (
        f"{person}, {when}: {name.split(': ', 1)[1]} (locked to a day off from the next build)"
    )
    expect(grid.get_by_role("button", name=pending)).to_be_visible()

    build_and_wait_for_this_build(page, "Build rota")
    expect(grid.get_by_role("button", name=f"{person}, {when}: off (locked)")).to_be_visible()
    expect(page.get_by_role("table", name="Compliance with each rule")).to_contain_text(
        "Locked assignments kept"
    )
    page.screenshot(path=ARTIFACTS / "rota-by-staff.png", full_page=True)
    page.get_by_role("tab", name="By hub").click()
    hub = page.get_by_role("table", name=re.compile("Rota by hub"))
    expect(hub).to_contain_text("SANDWELL · Morning list · Anaesthetist")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("date,staff,name,role,trust,employment,site,shift")


def test_viewer_sees_the_rota_but_cannot_build(pages) -> None:
    """A viewer opens the page without a build button (the server refuses: tests/security)."""
    page = pages.signed_in("viewer")
    page.get_by_role("link", name="Rota").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared workforce rota")
    expect(page.get_by_role("button", name="Build rota")).to_have_count(0)
    expect(page.get_by_text("Your role may view rotas")).to_be_visible()


def test_a_colleague_sees_a_new_rota_live(pages) -> None:
    """An executive on the Rota page hears of the workforce lead's build and can show it."""
    lead = pages.signed_in("workforce_lead")
    _new_scenario(lead, "Rota watch")
    lead.get_by_role("link", name="Rota").click()
    lead.get_by_label("Scenario", exact=True).select_option(label="Rota watch (draft)")
    lead.get_by_role("checkbox", name=re.compile("Cannock")).click()
    lead.get_by_label("Weeks (1–12)").fill("1")
    lead.get_by_text("Advanced: time limit, rules, demand and bank holidays").click()
    lead.get_by_label("Time limit (seconds)").fill("4")

    executive = pages.signed_in("executive")
    executive.get_by_role("link", name="Rota").click()
    executive.get_by_label("Scenario", exact=True).select_option(label="Rota watch (draft)")
    expect(executive.get_by_role("table", name=re.compile("Rota by staff"))).to_have_count(0)

    build_and_wait_for_this_build(lead, "Build rota")
    expect(executive.get_by_text("Workforce Lead User built a rota")).to_be_visible(timeout=15_000)
    executive.get_by_role("button", name="Show the newest rota").click()
    expect(executive.get_by_role("table", name=re.compile("Rota by staff"))).to_be_visible()
    expect(executive.get_by_role("button", name="Build rota")).to_have_count(0)


def test_bank_and_agency_pools_fill_gaps_within_their_caps(pages) -> None:
    """At a main site the hub staff cannot cover, the pools fill up to their caps; the rest stays
    short, agency is paid at the NHS price cap, and the checker agrees with the pools' use."""
    page = pages.signed_in("workforce_lead")
    _new_scenario(page, "Rota pools test")
    page.get_by_role("link", name="Rota").click()
    page.get_by_label("Scenario", exact=True).select_option(label="Rota pools test (draft)")
    for hub in ("Cannock", "Sandwell"):
        checkbox = page.get_by_role("checkbox", name=re.compile(hub))
        if checkbox.is_checked():
            checkbox.click()
        expect(checkbox).not_to_be_checked()
    page.get_by_role("checkbox", name=re.compile("Walsall Manor")).click()
    page.get_by_label("Weeks (1–12)").fill("1")
    page.get_by_text("Advanced: time limit, rules, demand and bank holidays").click()
    page.get_by_label("Time limit (seconds)").fill("6")
    pools = page.locator("#rota-pools")
    expect(pools).to_contain_text("NHS agency price cap")
    expect(page.get_by_label("Bank pool cap (places)")).to_have_value("10")
    # A cap that is not a number is refused in words naming the field.
    page.get_by_label("Bank pool cap (places)").fill("many")
    page.get_by_role("button", name="Build rota").click()
    expect(page.locator("#rota-form-error")).to_contain_text(
        "Bank pool cap (places): 'many' is not a whole number"
    )
    page.get_by_label("Bank pool cap (places)").fill("3")
    page.get_by_label("Agency pool cap (places)").fill("5")
    page.get_by_label("Agency price over basic pay (%)").fill("80")
    page.screenshot(path=ARTIFACTS / "rota-pool-settings.png", full_page=True)
    build_and_wait_for_this_build(page, "Build rota")
    table = page.get_by_role("table", name="Bank and agency pools by site and role")
    expect(table).to_contain_text("MANOR")
    anaesthetists = table.get_by_role("row").filter(has_text="Anaesthetist")
    # 3 places from the bank and 5 from agency a week: the caps bind; the rest is left short.
    expect(anaesthetists).to_contain_text(re.compile(r"MANOR\s*Anaesthetist\s*3\s*£[\d,]+\s*5"))
    note = page.locator("#rota-pool-note")
    expect(note).to_contain_text("A bank pool of 3 and an agency pool of 5 places a week")
    expect(note).to_contain_text("agency at basic pay + 55% (held to the NHS agency price cap")
    expect(note).to_contain_text("At their cap: agency MANOR Anaesthetist")
    expect(note).to_contain_text("re-checked by the independent checker")
    expect(page.locator("#rota-cost")).to_contain_text(re.compile(r"bank pool £[\d,]+ \+ agency"))
    expect(page.get_by_role("table", name="Cost of the rota")).to_contain_text("Agency pool")
    page.get_by_role(
        "table", name="Bank and agency pools by site and role"
    ).scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "rota-pools.png", full_page=True)
