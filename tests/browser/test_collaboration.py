"""Two users in two browsers: live updates, edit conflicts and approval."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import open_new_scenario

pytestmark = pytest.mark.browser


class DelayableLink:
    """Relays a page's websocket to the app, able to hold back what the server sends."""

    def __init__(self, page) -> None:
        self.held: list = []
        self.holding = False
        self.release_pending = False
        self.client = None
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        self.client = ws

        def to_server(message) -> None:
            server.send(message)
            if self.release_pending and "save_cell" in str(message):
                self.release_pending = False
                self.holding = False
                for held in self.held:
                    ws.send(held)
                self.held.clear()

        def to_page(message) -> None:
            if self.holding:
                self.held.append(message)
            else:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    def hold(self) -> None:
        """Stops delivering the server's messages to the page (they are kept, in order)."""
        self.holding = True

    def release_after_next_save(self) -> None:
        """Delivers the held messages once the page has sent its next cell save."""
        self.release_pending = True


def test_live_update_conflict_and_approval(pages) -> None:
    """One edits, the other sees it without reloading; a stale edit conflicts; an executive
    approves the submitted scenario and the manager sees the approval live."""
    manager = pages.signed_in("manager")
    url = open_new_scenario(manager, "Saturday lists at Cannock")
    admin = pages.signed_in("admin")
    link = DelayableLink(admin)
    admin.goto(url)
    expect(admin.get_by_role("heading", level=1)).to_have_text("Saturday lists at Cannock")
    expect(manager.get_by_role("status").filter(has_text="Also viewing")).to_contain_text(
        "Admin User"
    )
    # "Also viewing" lists the others, never the person looking.
    expect(manager.locator("p", has_text="Also viewing")).not_to_contain_text("Manager User")

    # The manager edits; the admin's page shows it without reloading.
    cell = manager.get_by_label("Theatres at Cannock Chase Hospital")
    cell.fill("12")
    cell.press("Tab")
    expect(admin.get_by_label("Theatres at Cannock Chase Hospital")).to_have_value("12")
    expect(admin.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "changed theatres at Cannock Chase Hospital"
    )

    # Both edit the same figure. The admin's browser has not yet received the manager's save
    # (its websocket deliveries are held back, as on a slow link), so it sends the old version
    # and is refused; once the deliveries arrive it shows the conflict and the saved value.
    manager_sessions = manager.get_by_label("Sessions a week per theatre at Sandwell Health Campus")
    admin_sessions = admin.get_by_label("Sessions a week per theatre at Sandwell Health Campus")
    link.hold()
    manager_sessions.fill("16")
    manager_sessions.press("Tab")
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "sessions a week per theatre at Sandwell"
    )
    admin_sessions.fill("17")
    link.release_after_next_save()
    admin_sessions.press("Tab")
    expect(admin.get_by_role("alert").filter(has_text="not saved")).to_contain_text(
        "manager@bcpc.test"
    )
    expect(admin_sessions).to_have_value("16")
    expect(manager_sessions).to_have_value("16")

    # The manager submits; an executive approves; the manager sees it live.
    manager.get_by_role("button", name="Submit for approval").click()
    expect(manager.get_by_text("Submitted", exact=True)).to_be_visible()
    executive = pages.signed_in("executive")
    executive.goto(url)
    executive.get_by_label("Decision note (optional)").fill("Agreed at the board")
    executive.get_by_role("button", name="Approve").click()
    expect(executive.get_by_text("Approved by executive@bcpc.test")).to_be_visible()
    expect(manager.get_by_text("Approved by executive@bcpc.test")).to_be_visible()
    expect(manager.get_by_label("Theatres at Cannock Chase Hospital")).to_have_count(0)


def test_viewer_cannot_edit_and_audit_log_records_changes(pages) -> None:
    """A viewer sees no edit fields; the manager's changes appear in the audit log and its CSV."""
    manager = pages.signed_in("manager")
    url = open_new_scenario(manager, "Audit trail check")
    cell = manager.get_by_label("Day-case places at Walsall Manor Hospital")
    cell.fill("24")
    cell.press("Tab")
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "day-case places"
    )
    viewer = pages.signed_in("viewer")
    viewer.goto(url)
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Audit trail check")
    expect(viewer.get_by_role("table", name="Site capacity")).to_contain_text("24")
    expect(viewer.get_by_role("textbox")).to_have_count(0)
    expect(viewer.get_by_role("link", name="Audit log")).to_have_count(0)

    manager.get_by_role("link", name="Audit log").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Audit log")
    changes = manager.get_by_role("table", name="Changes")
    expect(changes.get_by_role("row", name=re.compile("Day-case places 20 → 24"))).to_have_count(1)
    with manager.expect_download() as download:
        manager.get_by_role("button", name="Download CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert "capacity.edit" in text and "Day-case places 20 → 24" in text


def test_compare_two_scenarios_with_charts(pages) -> None:
    """Ticking two scenarios shows the figure that differs and bar charts drawn in SVG."""
    manager = pages.signed_in("manager")
    open_new_scenario(manager, "Compare me")
    cell = manager.get_by_label("Theatres at Sandwell Health Campus")
    cell.fill("6")
    cell.press("Tab")
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "theatres at Sandwell"
    )
    manager.get_by_role("link", name="All scenarios").click()
    for name in ("Compare Baseline April 2026", "Compare Compare me"):
        manager.get_by_label(name).click()
        expect(manager.get_by_label(name)).to_be_checked()
    manager.get_by_role("button", name="Compare ticked scenarios").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Compare scenarios")
    differences = manager.get_by_role("table", name="Inputs that differ")
    expect(
        differences.get_by_role("row", name=re.compile("Sandwell Health Campus"))
    ).to_contain_text("4")
    chart = manager.get_by_role(
        "figure", name="Usable theatre hours a week (capped) by site and scenario"
    )
    # Six sites x two scenarios = twelve bars.
    expect(chart.locator("svg g.mark-rect path")).to_have_count(12)


def test_edit_case_mix_add_a_hub_and_undo(pages) -> None:
    """A manager edits a case-mix figure, undoes it, and adds a new elective hub."""
    manager = pages.signed_in("manager")
    open_new_scenario(manager, "Case-mix and hubs")
    minutes = manager.get_by_label("Theatre minutes per case for Trauma and Orthopaedics")
    original = minutes.input_value()
    minutes.fill("abc")
    minutes.press("Tab")
    expect(manager.get_by_role("alert").filter(has_text="not a number")).to_be_visible()
    minutes.fill("150")
    minutes.press("Tab")
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text(
        "theatre minutes per case"
    )
    manager.get_by_role("button", name="Undo my last change").click()
    expect(manager.get_by_role("status").filter(has_text="Latest change")).to_contain_text("Undid")
    expect(minutes).to_have_value(original)

    manager.get_by_label("Code", exact=True).fill("DGHUB")
    manager.get_by_label("Name", exact=True).fill("Dudley Day Surgery Hub")
    manager.get_by_label("Run by (trust ODS code)").fill("RNA")
    manager.get_by_label("Treatment functions (codes, comma-separated)").fill("C_110, C_130")
    manager.get_by_label("Elective hub", exact=True).check()
    manager.get_by_role("button", name="Add site").click()
    sites = manager.get_by_role("table", name="Site capacity")
    expect(sites.get_by_role("row", name=re.compile("Dudley Day Surgery Hub"))).to_contain_text(
        "Elective hub"
    )


def test_a_closed_tab_leaves_also_viewing_within_the_timeout(pages) -> None:
    """Closing a tab sends nothing; its heartbeat stops and the others stop listing its user
    (the suite runs with a 12 s presence timeout; the default is 45 s, inside a minute)."""
    manager = pages.signed_in("manager")
    manager.get_by_role("link", name="Scenarios").click()
    manager.get_by_role("link", name="Baseline April 2026").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Baseline April 2026")
    url = manager.url
    viewer = pages.signed_in("viewer")
    viewer.goto(url)
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Baseline April 2026")
    also = manager.locator("p", has_text="Also viewing")
    expect(also).to_contain_text("Viewer User")
    # Names, never emails, and never the person looking.
    expect(also).not_to_contain_text("@")
    expect(viewer.locator("p", has_text="Also viewing")).not_to_contain_text("Viewer User")

    viewer.context.close()  # like closing the window: no "leave" event is sent
    pages.opened = [(label, page) for label, page in pages.opened if page is not viewer]
    expect(manager.locator("p", has_text="Also viewing")).to_have_count(0, timeout=30_000)
