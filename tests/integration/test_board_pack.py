"""The demo's board pack as an A4 PDF, read back with pypdf as a board member would open it."""

from __future__ import annotations

import io
import pickle

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ics_capacity.db.models import AuditEvent, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, board_pack
from ics_capacity.services.board_pack import (
    COMMENTARY_MAX_CHARS,
    board_pack_file,
    build_board_pack,
    clean_commentary,
    keep_board_pack,
)
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.dashboard import scenario_projection
from ics_capacity.services.errors import InvalidInputError, ServiceError
from ics_capacity.services.projections import comparison_removal_figures, removal_figures
from ics_capacity.services.scenarios import create_scenario
from ics_capacity.services.validation import set_validation_share
from ics_capacity.ui.pages.dashboard.view import headline_cards
from tests.conftest import TEST_PASSWORD

A4_POINTS = (595.3, 841.9)
COMMENTARY = (
    "Two more theatres at Cannock bring the 52-week waiters down by spring.\n"
    "We ask the board to approve the extra sessions."
)


def _baseline(url: str) -> int:
    with unit_of_work(url) as session:
        return session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()


def _plan(manager: str, baseline: int) -> int:
    plan = create_scenario(manager, baseline, "Cannock plus two")
    row = next(r for r in read_site_capacity(manager, plan) if r.code == "CANNOCK")
    update_site_capacity(manager, plan, row.site_id, "theatres", "12", row.theatre_version)
    return plan


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() or "" for page in reader.pages)


def test_the_pdf_is_a4_and_shows_the_dashboards_figures_and_the_commentary(app_db) -> None:
    """A plan's pack: A4 pages, the Dashboard's headline, the baseline beside it, the commentary."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    plan = _plan(manager, _baseline(url))
    steps: list[str] = []

    pack = build_board_pack(viewer, plan, 104, COMMENTARY, steps.append)

    assert steps == ["Projecting the scenario", "Drawing the charts", "Laying out the A4 PDF"]
    reader, text = _text(pack.pdf)
    assert 5 <= len(reader.pages) <= 10, f"{len(reader.pages)} pages"
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_POINTS, abs=1.0), size
    flat = " ".join(text.split())
    # The commentary, as typed, on the first page.
    first = " ".join((reader.pages[0].extract_text() or "").split())
    assert " ".join(COMMENTARY.split()) in first
    # The Dashboard's headline cards for the same scenario and horizon: now and projected.
    for card in headline_cards(scenario_projection(viewer, plan, 104)):
        assert card["now"] in flat and card["then"] in flat, card
    # The comparison it is made against, and what a board needs to trust it.
    assert "Baseline April 2026" in flat and "Difference" in flat
    assert "Cannock plus two" in flat
    for heading in ("Against the RTT targets", "Charts", "Method (as revised", "Assumptions"):
        assert heading in flat
    assert f"Page 1 of {len(reader.pages)}" in flat
    # Each chart is drawn full width: text of the axes is in the PDF, not an empty frame.
    assert "Week starting" in flat and "Weeks waited" in flat
    # The HTML is the same document.
    assert " ".join(COMMENTARY.split()) in " ".join(pack.html.split())
    assert pack.html.count("<svg") >= 5


def test_the_pack_shows_validation_apart_from_treatment_beside_its_comparison(app_db) -> None:
    """A plan that assumes 40% validation in C_110: the pack gives treated and removed by
    validation for the plan and the baseline, apart, with where each rate came from, and says the
    plan assumes more validation; no figure adds the two."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    plan = create_scenario(manager, _baseline(url), "Validation sprint")
    set_validation_share(manager, plan, "C_110", "40", expected_version=0)

    pack = build_board_pack(manager, plan, 52, "")

    _, text = _text(pack.pdf)
    flat = " ".join(text.split())
    projection = scenario_projection(manager, plan, 52)
    ours, theirs = removal_figures(projection), comparison_removal_figures(projection)
    assert theirs is not None
    assert ours.removed_by_validation > theirs.removed_by_validation
    assert "Leaving the list: treatment and validation, apart" in flat
    for figures in (ours, theirs):
        assert f"{figures.treated:,.0f}" in flat and f"{figures.removed_by_validation:,.0f}" in flat
        assert f"{figures.treated + figures.removed_by_validation:,.0f}" not in flat
    # Where each rate came from: the plan's own setting, the baseline's observed rate.
    assert "the scenario's own setting" in flat and "C_110 40.0%" in flat
    assert "Baseline April 2026: Removals by validation are at each list's observed rate" in flat
    more = ours.removed_by_validation - theirs.removed_by_validation
    assert f"assumes {more:,.0f} more patients removed by validation than Baseline" in flat
    # The method and the assumptions say how validation is treated.
    assert "Validation uses no treatment capacity" in flat
    assert "Removals by validation (default)" in flat
    table = pack.html.split("id='leaving-the-list'")[1].split("</table>")[0]
    assert table.count("<tr>") == 4  # heading, treated, removed, share: no total row


def test_commentary_is_bounded_and_plain_text(app_db) -> None:
    """Over-long or control-character commentary is refused in words before anything is built."""
    url, emails = app_db
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    baseline = _baseline(url)
    with pytest.raises(InvalidInputError, match=f"at most {COMMENTARY_MAX_CHARS:,}"):
        build_board_pack(viewer, baseline, 104, "x" * (COMMENTARY_MAX_CHARS + 1))
    with pytest.raises(InvalidInputError, match="control characters"):
        clean_commentary("ok\x1b[31m")
    with pytest.raises(InvalidInputError, match="must be text"):
        clean_commentary(["a list"])
    assert clean_commentary("  one\r\ntwo  ") == "one\ntwo"
    assert clean_commentary(None) == ""


def test_only_members_get_a_pack_and_each_download_is_audited(app_db) -> None:
    """An outsider is refused; a viewer's PDF download is written to the audit log."""
    url, emails = app_db
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    baseline = _baseline(url)
    with pytest.raises(ServiceError):
        build_board_pack(outsider, baseline, 104, "")
    pack = build_board_pack(viewer, baseline, 52, "")
    _, text = _text(pack.pdf)
    assert "No commentary was added." in text
    assert "there is no other projection to compare it with" in " ".join(text.split())
    with pytest.raises(InvalidInputError, match="PDF or HTML"):
        board_pack_file(viewer, pack, "docx")
    name, data = board_pack_file(viewer, pack, "pdf")
    assert name.endswith(".pdf") and data.startswith(b"%PDF")
    with unit_of_work(url) as session:
        audited = session.execute(
            sa.select(AuditEvent.user_email, AuditEvent.entity_id).where(
                AuditEvent.action == "data.download"
            )
        ).all()
    assert [tuple(r) for r in audited] == [(emails["viewer"], "board_pack:pdf")]


def _downloads(url: str) -> list[str]:
    with unit_of_work(url) as session:
        return list(
            session.execute(
                sa.select(AuditEvent.entity_id).where(AuditEvent.action == "data.download")
            ).scalars()
        )


def test_a_page_holds_a_small_kept_pack_and_downloads_the_same_files(app_db) -> None:
    """What a tab keeps pickles to a few hundred bytes, not the files; its downloads are the
    pack's own bytes. Once this process no longer keeps the files (and no worker stored them),
    the member is told to generate it again and nothing is audited."""
    url, emails = app_db
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    pack = build_board_pack(viewer, _baseline(url), 26, COMMENTARY)
    kept = keep_board_pack(pack)
    assert len(pickle.dumps(kept)) < 1_000 and len(pickle.dumps(pack)) > 100_000
    assert board_pack_file(viewer, kept, "pdf") == board_pack_file(viewer, pack, "pdf")
    name, html = board_pack_file(viewer, kept, "html")
    assert name == f"{pack.file_stem}.html" and html == pack.html.encode("utf-8")
    assert _downloads(url) == ["board_pack:pdf", "board_pack:pdf", "board_pack:html"]

    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        board_pack_file(outsider, kept, "pdf")
    for _ in range(board_pack.KEPT_PACKS):
        keep_board_pack(pack)
    with pytest.raises(InvalidInputError, match="no longer kept.*Generate it again"):
        board_pack_file(viewer, kept, "pdf")
    assert len(_downloads(url)) == 3
