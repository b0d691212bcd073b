"""A board pack rendered from a projection: charts to SVG, the HTML document, the A4 PDF.

No caller is checked here: `services/board_pack.py` renders in the web process without a job
queue, after checking the caller, and a solver worker does with one
(`services/projection_views.py`), since laying out the PDF is seconds of Python that, in a web
process, would stall every page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ics_capacity.services.board_pack_html import board_pack_html
from ics_capacity.services.projection_figures import ScenarioProjection, dashboard_chart_specs


def render_board_pack(
    projection: ScenarioProjection,
    collaborative: str,
    commentary: str,
    produced: dt.datetime,
    progress: Callable[[str], None] = lambda _step: None,
) -> tuple[str, bytes]:
    """(the pack as one self-contained HTML document, the same laid out as an A4 PDF).

    `commentary` is already checked (`board_pack.clean_commentary`); `progress` is called with
    each step as it starts.
    """
    progress("Drawing the charts")
    specs = dashboard_chart_specs(projection)
    document = board_pack_html(projection, specs, collaborative, commentary, produced)
    progress("Laying out the A4 PDF")
    return document, board_pack_pdf(document)


def board_pack_pdf(document: str) -> bytes:
    """The HTML pack laid out as an A4 PDF (WeasyPrint; no network: the HTML is self-contained)."""
    import weasyprint

    def refuse(url: str) -> dict[str, Any]:
        raise ValueError(f"the board pack fetches nothing: {url}")

    return weasyprint.HTML(string=document, url_fetcher=refuse).write_pdf()
