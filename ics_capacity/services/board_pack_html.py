"""The board pack written as one self-contained HTML document, laid out for A4.

The sections a board reads (commentary, key figures, leaving the list, the RAG, the charts, the
dated method and the assumptions with their sources) and the charts rendered to SVG at the A4
text width (`print_spec`, vl-convert), so the document needs no script or network to open.
`services/board_pack.py` builds the pack and its PDF from it.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import vl_convert as vlc

from ics_capacity.domain import assumptions as a
from ics_capacity.domain.measures import label, measure
from ics_capacity.domain.utilisation import (
    CAPPED_WORDS,
    THEATRE_CAP_LABEL,
    UNCAPPED_WORDS,
    UtilisationDefinition,
    qualified,
)
from ics_capacity.projections.inputs import DEFAULT_VALIDATION_RATE_PER_MONTH
from ics_capacity.services.projection_figures import rag_date
from ics_capacity.services.projections import (
    MONTE_CARLO_RUNS,
    RemovalFigures,
    ScenarioProjection,
    comparison_removal_figures,
    removal_figures,
)

CHART_WIDTH_PX = 680
"""Chart width in CSS pixels: A4's 210 mm less 15 mm margins each side, at 96 px an inch."""

METHOD_DATE = dt.date(2026, 12, 4)
"""When the method below was last revised (docs/projections.md)."""


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def _weeks(value: float) -> str:
    return f"{value:.0f} weeks"


KEY_FIGURES: tuple[tuple[str, str, str, Callable[[float], str], bool], ...] = (
    # (measure now, measure at the horizon, projection column, format, higher is better)
    ("waiting_list", "projected_waiting_list", "list_size", _count, False),
    ("within_18_weeks", "projected_within_18_weeks", "pct_within_18", _percent, True),
    ("over_52_weeks", "projected_over_52_weeks", "over_52", _count, False),
    ("over_65_weeks", "projected_over_65_weeks", "over_65", _count, False),
    ("over_78_weeks", "projected_over_78_weeks", "over_78", _count, False),
    ("p92_wait", "projected_p92_wait", "p92_wait_weeks", _weeks, False),
)
"""The board pack's key figures, the same measures as the Dashboard's headline."""

CHART_TITLES = {
    "fan_chart": "Waiting list: projected median and 80% band",
    "long_wait_chart": "Patients waiting over 52, 65 and 78 weeks",
    "plan_chart": "Waiting list with and without the plan",
    "bands_chart": "Patients by weeks waited: now and projected",
    "utilisation_chart": f"{label('theatre_utilisation')} by site and week",
    "beds_chart": f"{label('bed_occupancy')} by site and week",
}
"""Charts of the pack, in the order printed."""

RAG_COLOURS = {
    # status -> (background, text): NHS identity colours, text at 4.5:1 or more
    "Green": ("#007F3B", "#FFFFFF"),
    "Amber": ("#FFB81C", "#212B32"),
    "Red": ("#D5281B", "#FFFFFF"),
}


def print_spec(spec: dict, width: int = CHART_WIDTH_PX) -> dict:
    """A dashboard chart spec fixed to `width` pixels, for print (no container to fill).

    The dashboard's charts fill their container's width; vl-convert has no container, so they
    came out about 150 px wide and clipped. Interactions (zoom, legend picks) are dropped.
    """
    fixed = copy.deepcopy(spec)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("width") == "container":
                node["width"] = width
            for key in ("params",):
                node.pop(key, None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(fixed)
    fixed.pop("usermeta", None)
    fixed.pop("title", None)  # the figure's caption names the chart
    fixed["width"] = width
    fixed["autosize"] = {"type": "fit-x", "contains": "padding"}
    config = fixed.setdefault("config", {})
    config["font"] = _FONT
    config.setdefault("view", {})["continuousWidth"] = width
    return _drop_selection_conditions(fixed)


def _drop_selection_conditions(node: Any) -> Any:
    """Encodings conditioned on a dropped selection keep their value when nothing is selected."""
    if isinstance(node, dict):
        condition = node.get("condition")
        if isinstance(condition, dict) and "param" in condition:
            rest = {k: v for k, v in node.items() if k != "condition"}
            if "value" in condition:  # an empty selection selects everything
                rest["value"] = condition["value"]
            return {k: _drop_selection_conditions(v) for k, v in rest.items()}
        return {k: _drop_selection_conditions(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_selection_conditions(v) for v in node]
    return node


_FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"

_STYLE = """
@page{size:A4;margin:16mm 15mm 18mm 15mm;
 @bottom-left{content:string(footer);font:8.5pt Arial,'Liberation Sans',Helvetica,sans-serif;
  color:#4C6272}
 @bottom-right{content:"Page " counter(page) " of " counter(pages);
  font:8.5pt Arial,'Liberation Sans',Helvetica,sans-serif;color:#4C6272}}
html{font-family:Arial,'Liberation Sans',Helvetica,sans-serif;color:#212B32;font-size:10.5pt;
 line-height:1.4}
body{margin:0;background:#fff}
header{string-set:footer attr(data-footer)}
.sheet{max-width:180mm;margin:0 auto}
header{background:#005EB8;color:#fff;padding:14px 18px}
header h1{margin:0;font-size:20pt}
header p{margin:4px 0 0}
h2{font-size:14pt;margin:18px 0 6px;color:#003087;break-after:avoid}
h3{font-size:11.5pt;margin:12px 0 4px;break-after:avoid}
.chapter{break-before:page}
table{border-collapse:collapse;width:100%;margin-top:6px;break-inside:auto}
tr{break-inside:avoid}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #D8DDE0;vertical-align:top}
thead th{border-bottom:2px solid #212B32}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.better{color:#007F3B;font-weight:bold}.worse{color:#D5281B;font-weight:bold}
.commentary{border:2px solid #005EB8;border-left-width:8px;padding:8px 12px;margin:8px 0 4px;
 white-space:pre-wrap;break-inside:avoid}
.commentary.empty{color:#4C6272;font-style:italic;border-color:#AEB7BD}
figure{margin:10px 0 16px;break-inside:avoid}
figure svg{max-width:100%;height:auto}
figcaption{font-weight:bold;margin-bottom:4px}
.note{color:#4C6272;font-size:9pt}
.rag td.status{text-align:center;font-weight:bold;white-space:nowrap}
.sources td{font-size:8.5pt;overflow-wrap:anywhere}
ul{margin:4px 0;padding-left:18px}
@media screen{body{background:#E8EDEE}.sheet{background:#fff;padding:0 0 24px;margin:16px auto;
 box-shadow:0 0 4px #AEB7BD}main{padding:0 18px}}
"""


def board_pack_html(
    projection: ScenarioProjection,
    specs: dict[str, dict],
    collaborative: str,
    commentary: str = "",
    produced: dt.datetime | None = None,
) -> str:
    """The board pack of a projected scenario as one HTML document, ready for A4."""
    produced = produced or dt.datetime.now(dt.UTC)
    total = projection.deterministic.frame("total")
    weeks = int(total.iloc[-1]["week"])
    horizon = rag_date(projection.start_date, weeks) if projection.start_date else None
    at = f"in {weeks} weeks" + (f" ({horizon:%d %B %Y})" if horizon else "")
    name = html.escape(projection.scenario_name)
    compared = html.escape(projection.baseline_name or "")
    footer = html.escape(
        f"{collaborative}: board pack, {projection.scenario_name}, {produced:%d %B %Y}"
    )
    data_date = f"{projection.start_date:%d %B %Y}" if projection.start_date else "the data"
    if commentary:
        note = f'<div class="commentary" id="commentary">{html.escape(commentary)}</div>'
    else:
        note = '<div class="commentary empty" id="commentary">No commentary was added.</div>'
    comparison = (
        html.escape(projection.comparison)
        if projection.comparison
        else "This is the baseline: there is no other projection to compare it with."
    )
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Board pack: {name}</title><style>{_STYLE}</style></head>
<body><div class="sheet">
<header data-footer="{footer}"><h1>{html.escape(collaborative)}: board pack</h1>
<p>Scenario: <strong>{name}</strong>{f" · compared with {compared}" if compared else ""}</p>
<p>Waiting-list data of {data_date} · produced {produced:%d %B %Y %H:%M} UTC by the ICS
Capacity Planner</p></header>
<main>
<h2>Commentary</h2>
{note}
<h2>Key figures: member trusts, now and {html.escape(at)}</h2>
<p class="note">{comparison}</p>
{_key_figures(projection, total)}
<p class="note">All pathways of the member trusts (incomplete RTT pathways). Projected figures
are the central (deterministic) projection; the charts show the 80% band around it.
{" ".join(html.escape(n) for n in projection.notes)}</p>
<h2>Leaving the list: treatment and validation, apart</h2>
{_leaving_the_list(projection)}
<h2>Against the RTT targets</h2>
{_rag_table(projection)}
<section class="chapter"><h2>Charts</h2>
{_figures(specs)}</section>
<section class="chapter">{_method(projection, weeks, produced)}</section>
<section>{_assumptions()}</section>
</main></div></body></html>"""


def _key_figures(projection: ScenarioProjection, total: pd.DataFrame) -> str:
    now, end = total.iloc[0], total.iloc[-1]
    other = projection.baseline.frame("total").iloc[-1] if projection.baseline else None
    who = html.escape(projection.baseline_name or "")
    head = (
        "<tr><th>Measure</th><th class='n'>Now</th>"
        f"<th class='n'>{html.escape(projection.scenario_name)}</th>"
        + (f"<th class='n'>{who}</th><th class='n'>Difference</th>" if other is not None else "")
        + "</tr>"
    )
    rows = []
    for now_key, then_key, column, show, higher_better in KEY_FIGURES:
        m, t = measure(now_key), measure(then_key)
        cells = (
            f'<td title="{html.escape(t.tooltip)}">{html.escape(m.label)}</td>'
            f'<td class="n">{show(now[column])}</td><td class="n">{show(end[column])}</td>'
        )
        if other is not None:
            diff = float(end[column] - other[column])
            better = (diff > 0) == higher_better
            tone = "" if abs(diff) < 0.05 else ("better" if better else "worse")
            sign = "+" if diff > 0 else ("−" if diff < 0 else "")
            cells += (
                f'<td class="n">{show(other[column])}</td>'
                f'<td class="n {tone}">{sign}{show(abs(diff))}</td>'
            )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table id='key-figures'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _leaving_the_list(projection: ScenarioProjection) -> str:
    """Treated and removed by validation, for the scenario and its comparison, never added."""
    ours, theirs = removal_figures(projection), comparison_removal_figures(projection)
    name = html.escape(projection.scenario_name)
    who = html.escape(projection.baseline_name or "")
    head = (
        f"<tr><th>Over the {ours.weeks} weeks projected</th><th class='n'>{name}</th>"
        + (f"<th class='n'>{who}</th><th class='n'>Difference</th>" if theirs else "")
        + "</tr>"
    )

    def row(key: str, value: Callable[[RemovalFigures], float], show: Callable) -> str:
        m = measure(key) if key else None
        title = html.escape(m.label if m else "Validation's share of those leaving the list")
        tip = html.escape(m.tooltip if m else "Removed by validation over treated plus removed.")
        cells = f'<td title="{tip}">{title}</td><td class="n">{show(value(ours))}</td>'
        if theirs is not None:
            diff = value(ours) - value(theirs)
            sign = "+" if diff > 0 else ("−" if diff < 0 else "")
            cells += (
                f'<td class="n">{show(value(theirs))}</td>'
                f'<td class="n">{sign}{show(abs(diff))}</td>'
            )
        return f"<tr>{cells}</tr>"

    rows = (
        row("projected_treated", lambda f: f.treated, _count)
        + row("projected_removed_by_validation", lambda f: f.removed_by_validation, _count)
        + row("", lambda f: f.validation_share * 100, _percent)
    )
    sources = [(projection.scenario_name, ours.basis)]
    warning = ""
    if theirs is not None:
        sources.append((projection.baseline_name or "", theirs.basis))
        more = ours.removed_by_validation - theirs.removed_by_validation
        if more >= 0.5:
            warning = (
                f"{projection.scenario_name} assumes {more:,.0f} more patients removed by "
                f"validation than {projection.baseline_name}: that part of any shorter list "
                "comes from validation, not from treatment."
            )
    return (
        f"<table id='leaving-the-list'><thead>{head}</thead><tbody>{rows}</tbody></table>"
        + (f"<p><strong>{html.escape(warning)}</strong></p>" if warning else "")
        + "<p class='note'>Validation removes patients who no longer need treatment; it uses no "
        "treatment capacity and is never added to the patients treated.</p><ul class='note'>"
        + "".join(
            f"<li><strong>{html.escape(n)}</strong>: {html.escape(b)}</li>" for n, b in sources
        )
        + "</ul>"
    )


def _rag_table(projection: ScenarioProjection) -> str:
    rated = projection.rag[projection.rag["status"] != "Not projected"]
    if rated.empty:
        return "<p>No target falls within the projection.</p>"
    targets = list(dict.fromkeys(rated["target"]))
    header = "".join(f"<th class='n'>{html.escape(t)}</th>" for t in targets)
    rows = []
    for provider, group in rated.groupby("provider", sort=False):
        by_target = {r["target"]: r for _, r in group.iterrows()}
        cells = []
        for target in targets:
            row = by_target.get(target)
            if row is None:
                cells.append("<td class='status'>–</td>")
                continue
            background, text = RAG_COLOURS.get(str(row["status"]), ("#FFFFFF", "#212B32"))
            cells.append(
                f"<td class='status' style='background:{background};color:{text}'>"
                f"{html.escape(str(row['status']))} {row['value']:.1f}%</td>"
            )
        rows.append(f"<tr><th scope='row'>{html.escape(str(provider))}</th>{''.join(cells)}</tr>")
    when = []
    if projection.start_date is not None:
        for target, week in rated.groupby("target", sort=False)["week"].first().items():
            when.append(f"{target}: {rag_date(projection.start_date, int(week)):%d %B %Y}")
    return (
        f"<table class='rag' id='rag'><thead><tr><th>{html.escape(label('rag_status'))}</th>"
        f"{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='note'>Projected share of each trust's patients, rated Green (target met), "
        "Amber (within 5 points) or Red. Rated at "
        + html.escape("; ".join(when) or "the horizon")
        + ". Targets due before the data are not projected.</p>"
    )


def _figures(specs: dict[str, dict]) -> str:
    parts = []
    for name, title in CHART_TITLES.items():
        spec = specs.get(name)
        if not spec:
            continue
        svg = vlc.vegalite_to_svg(print_spec(spec))
        parts.append(f"<figure><figcaption>{html.escape(title)}</figcaption>{svg}</figure>")
    return "".join(parts)


def _method(projection: ScenarioProjection, weeks: int, produced: dt.datetime) -> str:
    data_date = f"{projection.start_date:%B %Y}" if projection.start_date else "the latest month"
    items = [
        f"Waiting lists: NHS England Referral to Treatment (RTT) waiting times, {data_date}, "
        "incomplete pathways of the member trusts by treatment function and week waited.",
        "Projection: a weekly cohort model by trust, treatment function and week waited, "
        f"{weeks} weeks ahead. New referrals arrive at the rate of the last three months; "
        "patients are treated longest-waiter first at the scenario's activity.",
        "Validation: removals without treatment continue at each list's observed rate (else "
        f"{DEFAULT_VALIDATION_RATE_PER_MONTH:.0%} of the list a month), or at the scenario's "
        "own validation share a year where its planners set one. Validation uses no treatment "
        "capacity; the pack reports it apart from the patients treated, for the scenario and "
        "its comparison, and never adds the two.",
        "Activity: the baseline reproduces today's published completions; a scenario's "
        "theatres, sessions, beds, staffed rota sessions and case mix scale its admitted "
        "treatment by the scarcer of theatre minutes and bed-days against the baseline's; a "
        "saved rebalancing plan adds the plan's treatment by trust, hub and treatment function.",
        f"Uncertainty: {MONTE_CARLO_RUNS} seeded simulations with weekly variation of 10% in "
        "demand and capacity and a 5% run-to-run level shift; bands are the 10th to 90th "
        "percentiles.",
        "Targets: the RTT standard of 92% within 18 weeks and the interim milestones named in "
        "the RAG table, rated on the projection of all pathways of the member trusts.",
        "Utilisation: theatre minutes used over theatres × sessions × session minutes at each "
        f"site, uncapped, so a site above 100% needs more than its sessions. {UNCAPPED_WORDS} "
        f"The utilisation and occupancy caps are capped figures. {CAPPED_WORDS}",
    ]
    return (
        f"<h2>Method (as revised {METHOD_DATE:%d %B %Y}; pack produced "
        f"{produced:%d %B %Y})</h2><ul>"
        + "".join(f"<li>{html.escape(i)}</li>" for i in items)
        + "</ul><p class='note'>The full method, with a worked example, is in "
        "docs/projections.md of the ics-capacity repository.</p>"
    )


def _assumption_rows() -> Iterable[tuple[str, str, str]]:
    yield "Theatre session length", f"{a.SESSION_MINUTES} minutes", a.SESSION_MINUTES_SOURCE
    yield (
        THEATRE_CAP_LABEL,
        f"{a.THEATRE_UTILISATION_CAP:.0%}",
        a.THEATRE_UTILISATION_CAP_SOURCE,
    )
    yield (
        qualified("Bed occupancy target", UtilisationDefinition.CAPPED),
        f"{a.BED_OCCUPANCY_TARGET:.0%}",
        a.BED_OCCUPANCY_TARGET_SOURCE,
    )
    yield (
        "Day-case rate expectation",
        f"{a.DAY_CASE_RATE_EXPECTATION:.0%}",
        a.DAY_CASE_RATE_EXPECTATION_SOURCE,
    )
    yield (
        "Hub sessions per theatre a week",
        str(a.HUB_SESSIONS_PER_THEATRE_PER_WEEK),
        a.HUB_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
    )
    yield (
        "Main-site sessions per theatre a week",
        str(a.MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK),
        a.MAIN_SITE_SESSIONS_PER_THEATRE_PER_WEEK_SOURCE,
    )
    yield (
        "Operating weeks a year at a hub",
        str(a.OPERATING_WEEKS_PER_YEAR),
        a.OPERATING_WEEKS_PER_YEAR_SOURCE,
    )
    yield (
        "Removals by validation (default)",
        f"{DEFAULT_VALIDATION_RATE_PER_MONTH:.0%} of the list a month",
        "Each list's own rate where it has two consecutive months of history, else the median "
        "unreported-removal rate of the monthly flow history; a scenario's own share replaces "
        "it (docs/assumptions.md §11a).",
    )
    yield "Road distance over straight line", f"{a.ROAD_FACTOR}", a.ROAD_FACTOR_SOURCE
    yield (
        "Road speed",
        f"{a.ROAD_SPEED_KM_PER_HOUR:.0f} km/h",
        a.ROAD_SPEED_KM_PER_HOUR_SOURCE,
    )
    yield (
        "Longest journey offered",
        f"{a.MAX_TRAVEL_MINUTES:.0f} minutes",
        a.MAX_TRAVEL_MINUTES_SOURCE,
    )


def _assumptions() -> str:
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td class='n'>{html.escape(v)}</td>"
        f"<td>{html.escape(s)}</td></tr>"
        for n, v, s in _assumption_rows()
    )
    return (
        "<h2>Assumptions behind these figures</h2>"
        "<table class='sources' id='assumptions'><thead><tr><th>Assumption</th>"
        "<th class='n'>Value</th><th>Source</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        "<p class='note'>Data: NHS England RTT waiting times, KH03 bed availability and "
        "occupancy, NHS workforce statistics and ODS, Open Government Licence v3.0. Every other "
        "assumption (case mix by specialty, sites, rota), with its source, is in "
        "docs/assumptions.md of the ics-capacity repository. 'ASSUMPTION' marks a value for which "
        "no published figure was found, with the reason it is reasonable.</p>"
    )
