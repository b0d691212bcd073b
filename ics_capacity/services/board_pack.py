"""The board pack: an A4 PDF and the same document as self-contained HTML.

What a board reads about one scenario: the planner's commentary, the headline figures against
the projection it is compared with (its parent or the baseline), the charts drawn full width,
the RAG as a table, a dated method section and the assumptions with their sources.

Charts are rendered to SVG on the server (vl-convert, the Vega project's own converter) at the
A4 text width, so the HTML needs no script or network to open. The PDF is laid out from the
same HTML by WeasyPrint (CSS paged media: A4, page breaks, page numbers), offline; it needs
Pango, which `make install` checks for. Both are rendered in this process without a job queue,
and by a solver worker with one (`board_pack_answer`, `services/board_pack_render.py`): seconds
of Python that would stall every page of a web process.

The HTML document itself is written by `services/board_pack_html.py`; its public names are
importable from here as before.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ics_capacity.db.models import Collaborative
from ics_capacity.domain.roles import Permission
from ics_capacity.services.board_pack_html import (
    CHART_TITLES,
    CHART_WIDTH_PX,
    KEY_FIGURES,
    METHOD_DATE,
    RAG_COLOURS,
    board_pack_html,
    print_spec,
)
from ics_capacity.services.board_pack_render import board_pack_pdf, render_board_pack
from ics_capacity.services.content_cache import ContentCache
from ics_capacity.services.dashboard import polled_dashboard_view, scenario_projection
from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.job_queue import uses_queue
from ics_capacity.services.projection_figures import ScenarioProjection
from ics_capacity.services.projection_views import (
    BOARD_PACK,
    key_hash,
    poll_answer,
    stored_payload,
)
from ics_capacity.services.scenarios import audit_download, scenario_transaction

__all__ = [
    "CHART_TITLES",
    "CHART_WIDTH_PX",
    "COMMENTARY_MAX_CHARS",
    "FORMATS",
    "KEY_FIGURES",
    "METHOD_DATE",
    "RAG_COLOURS",
    "BoardPack",
    "KeptPack",
    "board_pack_answer",
    "board_pack_file",
    "board_pack_html",
    "board_pack_pdf",
    "build_board_pack",
    "clean_commentary",
    "keep_board_pack",
    "print_spec",
]

COMMENTARY_MAX_CHARS = 3000
"""Longest commentary a pack takes: about a page of A4 at the pack's type size."""

FORMATS = {"pdf": "application/pdf", "html": "text/html"}
"""The pack's file formats and their media types."""

KEPT_PACKS = 32
"""Packs a web process keeps for download, the newest (about 0.75 MB each for the demo)."""
_KEPT: ContentCache[BoardPack] = ContentCache(size=KEPT_PACKS)


@dataclass(frozen=True)
class BoardPack:
    """A generated board pack, kept by the page until it is downloaded.

    Attributes:
        scenario_id: The scenario the pack is about.
        scenario_name: Its name.
        file_stem: File name without extension, e.g. "board-pack-plan-2026-12-04".
        html: The pack as one self-contained HTML document.
        pdf: The pack as an A4 PDF.
        weeks: Weeks of projected figures in the pack (the audit counts them as rows).
        stored_key: With a job queue, the key of the worker's stored answer (kept a day).
    """

    scenario_id: int
    scenario_name: str
    file_stem: str
    html: str
    pdf: bytes
    weeks: int
    stored_key: tuple | None = None


@dataclass(frozen=True)
class KeptPack:
    """What a page holds of a generated pack: its names and where its files are, not the files.

    A tab's state is kept in the state manager (pickled into Redis with several web workers) for
    an hour after the tab closes, and the demo's pack is about 570 KB of HTML and 155 KB of PDF.
    The files stay in the web process that made or read them (`keep_board_pack`) and, with a
    job queue, in the worker's stored answer, which any web process can read.
    """

    scenario_id: int
    scenario_name: str
    file_stem: str
    weeks: int
    ref: str
    stored_key: tuple | None = None


def clean_commentary(text: object) -> str:
    """The planner's commentary, checked: plain text of at most COMMENTARY_MAX_CHARS characters.

    Line breaks are kept; other control characters are refused, as is anything longer.

    Raises:
        InvalidInputError: Naming the field and what is allowed.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise InvalidInputError("Commentary: must be text.")
    value = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > COMMENTARY_MAX_CHARS:
        raise InvalidInputError(
            f"Commentary: {len(value):,} characters; at most {COMMENTARY_MAX_CHARS:,} are allowed."
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        raise InvalidInputError("Commentary: contains control characters; use plain text.")
    return value


def build_board_pack(
    token: str,
    scenario_id: int,
    horizon_weeks: int,
    commentary: object,
    progress: Callable[[str], None] = lambda _step: None,
    produced: dt.datetime | None = None,
) -> BoardPack:
    """The board pack of a scenario for a member of its collaborative, as PDF and HTML.

    Uses the Dashboard's projection of the scenario (the same cache, so the same figures).
    Nothing is written: downloading the pack is what is audited (`board_pack_file`).

    Args:
        token: The caller's session token.
        scenario_id: The scenario.
        horizon_weeks: Weeks projected, as on the Dashboard.
        commentary: The planner's commentary, checked by `clean_commentary`.
        progress: Called with a short description of each step as it starts.
        produced: When the pack is dated (now, if not given).

    Raises:
        InvalidInputError: A bad commentary or horizon.
        ServiceError: The caller may not view the scenario.
    """
    text = clean_commentary(commentary)
    collaborative = _collaborative_name(token, scenario_id)
    progress("Projecting the scenario")
    projection = scenario_projection(token, scenario_id, horizon_weeks)
    produced = produced or dt.datetime.now(dt.UTC)
    document, pdf = render_board_pack(projection, collaborative, text, produced, progress)
    return _pack(scenario_id, projection, produced, document, pdf)


def board_pack_answer(
    token: str,
    scenario_id: int,
    horizon_weeks: int,
    commentary: object,
    *,
    requested: dt.datetime,
    ask: bool,
    progress: Callable[[str], None] = lambda _step: None,
) -> BoardPack | None:
    """`build_board_pack`, or None while a solver worker renders it (with a job queue).

    Without a queue it is built here at once, step by step. With one, the commentary and the
    caller are checked here, the Dashboard's view and then the pack are asked of the workers on
    the first look (`ask`), and `progress` says which is awaited. `requested` (when the member
    asked) dates the pack and tells one request from another.

    Raises:
        InvalidInputError: A bad commentary or horizon.
        ServiceError: The caller may not view the scenario, or the worker failed (in words).
    """
    if not uses_queue():
        return build_board_pack(
            token, scenario_id, horizon_weeks, commentary, progress, produced=requested
        )
    text = clean_commentary(commentary)
    collaborative = _collaborative_name(token, scenario_id)
    key, view = polled_dashboard_view(token, scenario_id, horizon_weeks, ask=ask)
    if view is None:
        progress("Projecting the scenario")
        return None
    progress("Drawing the charts and laying out the A4 PDF")
    answer = (BOARD_PACK, *key, text, requested.isoformat())
    stored = poll_answer(
        answer,
        scenario_id,
        horizon_weeks,
        ask=ask,
        read=lambda payload, _trusts: json.loads(payload),
        kind=BOARD_PACK,
        params={
            "view": key_hash(key),
            "collaborative": collaborative,
            "commentary": text,
            "produced": requested.isoformat(),
        },
    )
    if stored is None:
        return None
    pdf = base64.b64decode(stored["pdf"])
    return _pack(scenario_id, view.projection, requested, stored["html"], pdf, stored_key=answer)


def _collaborative_name(token: str, scenario_id: int) -> str:
    """The name of the scenario's collaborative, for a caller who may view the scenario."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        owner = use.session.get(Collaborative, use.scenario.collaborative_id)
        return owner.name if owner is not None else ""


def _pack(
    scenario_id: int,
    projection: ScenarioProjection,
    produced: dt.datetime,
    document: str,
    pdf: bytes,
    stored_key: tuple | None = None,
) -> BoardPack:
    slug = re.sub(r"[^a-z0-9]+", "-", projection.scenario_name.lower()).strip("-")[:60]
    return BoardPack(
        scenario_id=scenario_id,
        scenario_name=projection.scenario_name,
        file_stem=f"board-pack-{slug or 'scenario'}-{produced:%Y-%m-%d}",
        html=document,
        pdf=pdf,
        weeks=len(projection.deterministic.frame("total")),
        stored_key=stored_key,
    )


def keep_board_pack(pack: BoardPack) -> KeptPack:
    """Keeps the pack's files in this process, for a page to hold only the returned `KeptPack`.

    The newest `KEPT_PACKS` are kept; an older one is read again from the worker's stored
    answer (with a job queue), or must be generated again.
    """
    ref = secrets.token_urlsafe(16)
    _KEPT.put((ref,), pack)
    return KeptPack(
        scenario_id=pack.scenario_id,
        scenario_name=pack.scenario_name,
        file_stem=pack.file_stem,
        weeks=pack.weeks,
        ref=ref,
        stored_key=pack.stored_key,
    )


def _files(pack: BoardPack | KeptPack) -> BoardPack:
    """The pack with its files: kept in this process, else read from the stored answer."""
    if isinstance(pack, BoardPack):
        return pack
    found = _KEPT.find((pack.ref,))
    if found is not None:
        return found
    payload = stored_payload(pack.stored_key) if pack.stored_key is not None else None
    if payload is None:
        raise InvalidInputError(
            "Board pack: this pack is no longer kept on the server. Generate it again."
        )
    stored = json.loads(payload)
    return BoardPack(
        scenario_id=pack.scenario_id,
        scenario_name=pack.scenario_name,
        file_stem=pack.file_stem,
        html=stored["html"],
        pdf=base64.b64decode(stored["pdf"]),
        weeks=pack.weeks,
        stored_key=pack.stored_key,
    )


def board_pack_file(token: str, pack: BoardPack | KeptPack, file_format: str) -> tuple[str, bytes]:
    """One file of a generated pack for a member, its download audited.

    Returns:
        (file name, content). The audit row counts the weeks of projected figures.

    Raises:
        InvalidInputError: A format other than "pdf" or "html", or a kept pack whose files are
            no longer kept (nothing is audited then).
        ServiceError: The caller may not view the pack's scenario.
    """
    if file_format not in FORMATS:
        raise InvalidInputError("Board pack: choose PDF or HTML.")
    name = f"{pack.file_stem}.{file_format}"
    with scenario_transaction(token, pack.scenario_id, Permission.VIEW) as use:
        files = _files(pack)
        audit_download(
            use.session,
            use.principal,
            collaborative_id=use.scenario.collaborative_id,
            scenario=use.scenario,
            what=f"board_pack:{file_format}",
            rows=pack.weeks,
            file_name=name,
        )
    return name, files.pdf if file_format == "pdf" else files.html.encode("utf-8")
