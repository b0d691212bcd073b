"""The board pack from the Dashboard, and the Dashboard and Overview on paper and on a phone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, phone_screenshot

pytestmark = pytest.mark.browser

COMMENTARY = "Cannock's extra lists keep 52-week waits near zero; decision needed in January."


def _print_screenshot(page: Page, name: str) -> Path:
    """A screenshot of the page as printed on A4 (print media, 794 px: A4 at 96 px an inch)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-print.png"
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    page.wait_for_timeout(500)  # charts resize to their container
    page.screenshot(path=path, full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 900})
    return path


def test_commentary_goes_into_the_pdf_with_progress_then_downloads(pages, tmp_path) -> None:
    """An executive types commentary, sees the pack being made, then downloads PDF and HTML."""
    page = pages.signed_in("executive")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    waiting = page.get_by_role("group", name="Waiting list (all pathways, member trusts)")
    expect(waiting).to_contain_text("now 214,023", timeout=30_000)
    lines = [line.strip() for line in waiting.inner_text().split("\n") if line.strip()]
    headline = lines[1]  # the projected figure, as the card shows it
    assert headline[0].isdigit() and "in 104 weeks" in waiting.inner_text(), lines

    page.get_by_label("Commentary for the board").fill(COMMENTARY)
    page.get_by_role("button", name="Generate the board pack").click()
    # Progress: the steps are announced while the pack is made, then the downloads appear.
    progress = page.get_by_role("status").filter(has_text="…")
    expect(progress.first).to_be_visible(timeout=10_000)
    pdf_button = page.get_by_role("button", name="Download the board pack (PDF)")
    expect(pdf_button).to_be_visible(timeout=90_000)
    expect(progress).to_have_count(0)

    with page.expect_download() as info:
        pdf_button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".pdf"
    reader = PdfReader(target)
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    assert COMMENTARY in text and headline in text and "214,023" in text
    assert all(round(float(p.mediabox.width)) == 595 for p in reader.pages)
    # Look at it: the first pages rendered as PNGs beside the screenshots.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-l", "3", "-png", str(target), str(ARTIFACTS / "board-pack")],
        check=True,
    )

    with page.expect_download() as info:
        page.get_by_role("button", name="Download the board pack (HTML)").click()
    assert info.value.suggested_filename.endswith(".html")
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert COMMENTARY.replace("'", "&#x27;") in html

    _print_screenshot(page, "dashboard")
    # On paper the selectors, the commentary form and the navigation are left off.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_label("Commentary for the board")).to_be_hidden()
    expect(waiting).to_be_visible()
    page.emulate_media(media="screen")


def test_overview_and_dashboard_fit_a_phone_and_print(pages) -> None:
    """At 390 px nothing spills sideways from the header or the executive summary."""
    page = pages.signed_in("viewer")
    page.set_viewport_size({"width": 390, "height": 844})
    for name, link in (("overview", "Overview"), ("dashboard", "Dashboard")):
        page.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if name == "dashboard":
            cards = page.get_by_role("group", name="Waiting list (all pathways, member trusts)")
            expect(cards).to_contain_text("now 214,023", timeout=30_000)
            # The RAG as a list: every trust and target in words, the chart's grid left off.
            rag = page.locator("#rag-list li")
            expect(rag.first).to_be_visible()
            expect(rag.first).to_contain_text("Walsall Healthcare NHS Trust")
            expect(rag.filter(has_text="Red").first).to_be_visible()
            _heatmaps_fit_a_phone(page)
        # Nothing wider than the screen: the page does not scroll sideways.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} spills {overflow} px sideways at 390 px"
        for box in page.locator("header, [role=group], select, #rag-list li, caption").all():
            right = box.evaluate("e => e.getBoundingClientRect().right")
            assert right <= 390.5, f"{name}: an element ends at {right} px"
        phone_screenshot(page, f"board-pack-{name}")
        page.set_viewport_size({"width": 390, "height": 844})
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _print_screenshot(page, "overview")


def _heatmaps_fit_a_phone(page) -> None:
    """Each heatmap, drawn on a desktop and then narrowed to a phone (a tablet turned, a window
    made narrow), draws every word inside its chart, with the weeks given room beside the sites'
    names (before, the names took all but about 30 px, and the legend was cut off)."""
    charts = {
        name: page.get_by_role("figure", name=f"Projected {name} (uncapped)").locator("svg.marks")
        for name in ("theatre utilisation", "elective bed occupancy")
    }
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()  # drawn afresh on a desktop
    for chart in charts.values():
        expect(chart.locator("text", has_text="(uncapped)").first).to_be_visible(timeout=30_000)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(800)  # charts resize to their container
    for name, chart in charts.items():
        fit = chart.evaluate(
            """svg => {
                const box = svg.getBoundingClientRect();
                const out = [...svg.querySelectorAll('text')].filter(t => {
                    const r = t.getBoundingClientRect();
                    return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
                }).map(t => t.textContent);
                const cells = [...svg.querySelectorAll('.mark-rect path')];
                const left = Math.min(...cells.map(c => c.getBoundingClientRect().left));
                const right = Math.max(...cells.map(c => c.getBoundingClientRect().right));
                return {out, plot: right - left, width: box.width};
            }"""
        )
        assert fit["out"] == [], f"{name}: drawn outside the chart: {fit['out']}"
        assert fit["plot"] >= fit["width"] / 2, f"{name}: the weeks get {fit['plot']:.0f} px"
