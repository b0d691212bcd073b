"""A one-click board pack: a self-contained HTML page with the key figures, charts and assumptions.

Charts are rendered to SVG on the server (vl-convert, the Vega project's own converter), so the
page needs no script or network to open: it can be emailed or printed to PDF from a browser.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

import vl_convert as vlc

from ics_capacity.domain import assumptions as a
from ics_capacity.domain.measures import label, measure
from ics_capacity.domain.roles import Permission
from ics_capacity.services.projections import ScenarioProjection
from ics_capacity.services.provenance import provenance_in
from ics_capacity.services.scenarios import audit_download, scenario_transaction


def _count(value: float) -> str:
    return f"{value:,.0f}"


KEY_FIGURES: tuple[tuple[str, str, str, Callable[[float], str]], ...] = (
    # (measure now, measure at the horizon, projection column, format): catalogue labels
    ("waiting_list", "projected_waiting_list", "list_size", _count),
    ("within_18_weeks", "projected_within_18_weeks", "pct_within_18", lambda v: f"{v:.1f}%"),
    ("over_52_weeks", "projected_over_52_weeks", "over_52", _count),
    ("over_65_weeks", "projected_over_65_weeks", "over_65", _count),
    ("over_78_weeks", "projected_over_78_weeks", "over_78", _count),
    ("p92_wait", "projected_p92_wait", "p92_wait_weeks", lambda v: f"{v:.0f} weeks"),
)
"""The board pack's key figures, the same measures as the Dashboard's headline."""

CHART_TITLES = {
    "fan_chart": "Waiting list: projected median and 80% band",
    "long_wait_chart": "Patients waiting over 52, 65 and 78 weeks",
    "plan_chart": "Waiting list with and without the plan",
    "bands_chart": "Patients by weeks waited: now and projected",
    "rag_chart": label("rag_status"),
    "utilisation_chart": f"{label('theatre_utilisation')} by site and week",
    "beds_chart": f"{label('bed_occupancy')} by site and week",
}

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;color:#212B32;margin:0;background:#fff}
header{background:#005EB8;color:#fff;padding:16px 32px}
main{padding:24px 32px;max-width:1100px}
h1{margin:0;font-size:28px}h2{font-size:22px;margin-top:32px}
table{border-collapse:collapse;width:100%;margin-top:8px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #D8DDE0}
th{border-bottom:2px solid #212B32}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:16px 0;page-break-inside:avoid}figcaption{font-weight:bold;margin-bottom:4px}
.note{color:#4C6272;font-size:14px}
"""


def board_pack_download(
    token: str,
    scenario_id: int,
    projection: ScenarioProjection,
    specs: dict[str, dict],
    collaborative: str,
) -> tuple[str, str]:
    """The board pack as (file name, HTML) for a member, its download audited.

    The audit row counts the weeks of projected figures in the pack.
    """
    name = f"board-pack-{projection.scenario_name.replace(' ', '-').lower()}.html"
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        estimated = [
            (f"{f.key}: {f.field.replace('_', ' ')}", f.rule)
            for f in provenance_in(use.session, scenario_id)
            if f.kind == "estimated"
        ]
        document = board_pack_html(projection, specs, collaborative, estimated)
        audit_download(
            use.session,
            use.principal,
            collaborative_id=use.scenario.collaborative_id,
            scenario=use.scenario,
            what="board_pack:html",
            rows=len(projection.deterministic.frame("total")),
            file_name=name,
        )
    return name, document


def _estimated_section(estimated: list[tuple[str, str]]) -> str:
    if not estimated:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(what)}</td><td>{html.escape(rule)}</td></tr>"
        for what, rule in estimated
    )
    return (
        '<h2>Estimated figures</h2><p class="note">Estimated from NHS England\'s published files '
        "when the system was onboarded, not the collaborative's own figures; replace them with "
        "local data on the scenario page.</p><table><thead><tr><th>Figure</th><th>Rule</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def board_pack_html(
    projection: ScenarioProjection,
    specs: dict[str, dict],
    collaborative: str,
    estimated: list[tuple[str, str]] | None = None,
) -> str:
    """The board pack of a projected scenario as one HTML document.

    `estimated` lists the scenario's figures estimated from published data (figure, rule), from
    its provenance (docs/onboarding.md); the pack names them so a board knows what is not local.
    """
    total = projection.deterministic.frame("total")
    now, end = total.iloc[0], total.iloc[-1]
    rows = [
        (measure(now_key), measure(then_key), show(now[column]), show(end[column]))
        for now_key, then_key, column, show in KEY_FIGURES
    ]
    figures = "".join(
        f"<figure><figcaption>{html.escape(CHART_TITLES.get(name, name))}</figcaption>"
        f"{vlc.vegalite_to_svg(spec)}</figure>"
        for name, spec in specs.items()
        if spec
    )
    assumptions = [
        ("Theatre session length", f"{a.SESSION_MINUTES} minutes", a.SESSION_MINUTES_SOURCE),
        (
            "Theatre utilisation cap",
            f"{a.THEATRE_UTILISATION_CAP:.0%}",
            a.THEATRE_UTILISATION_CAP_SOURCE,
        ),
        ("Bed occupancy target", f"{a.BED_OCCUPANCY_TARGET:.0%}", a.BED_OCCUPANCY_TARGET_SOURCE),
    ]
    weeks = int(end["week"])
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Board pack: {html.escape(projection.scenario_name)}</title><style>{_STYLE}</style></head>
<body><header><h1>{html.escape(collaborative)}: board pack</h1>
<div>Scenario: {html.escape(projection.scenario_name)} · produced
{dt.datetime.now(dt.UTC):%d %B %Y %H:%M} UTC by ICS Capacity Planner</div></header>
<main>
<h2>Key figures: member trusts, now and in {weeks} weeks</h2>
<table><thead><tr><th>Measure</th><th>Now</th><th>Projected</th><th>What it counts</th></tr>
</thead><tbody>
{
        "".join(
            f'<tr><td title="{html.escape(m.tooltip)}">{html.escape(m.label)}</td>'
            f'<td class="n">{n}</td><td class="n">{p}</td>'
            f'<td class="note">{html.escape(m.definition)} Projected: '
            f"{html.escape(t.definition)}</td></tr>"
            for m, t, n, p in rows
        )
    }
</tbody></table>
<p class="note">Weekly cohort model by trust, treatment function and week waited; longest waiters
treated first at today's activity; removals other than treatment at the observed rate. Bands are
the 10th to 90th percentiles of 200 seeded simulations of demand and capacity.</p>
{figures}
<h2>Assumptions behind these figures</h2>
<table><thead><tr><th>Assumption</th><th>Value</th><th>Source</th></tr></thead><tbody>
{
        "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(v)}</td><td>{html.escape(s)}</td></tr>"
            for n, v, s in assumptions
        )
    }
</tbody></table>
{_estimated_section(estimated or [])}
<p class="note">Data: NHS England RTT waiting times (April 2026), KH03 beds, NHS workforce
statistics and ODS, Open Government Licence v3.0. Every other assumption, with its source, is in
docs/assumptions.md of the ics-capacity repository.</p>
</main></body></html>"""
