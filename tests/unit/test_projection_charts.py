"""Projection charts: valid Vega-Lite specs that carry their data, tooltips, zoom and legends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import altair as alt
import numpy as np
import pytest
import vl_convert as vlc

from ics_capacity.charts.projections import (
    long_waits_fan_chart,
    plan_comparison_chart,
    rag_status_chart,
    utilisation_heatmap,
    wait_band_chart,
    waiting_list_fan_chart,
)
from ics_capacity.domain.codes import WAIT_BANDS
from ics_capacity.projections.cohort import Projection, Variation, project, simulate
from ics_capacity.projections.inputs import ProjectionInput, ResourcePools
from ics_capacity.projections.queue_kpis import rag_status
from tests.chart_specs import drawn_rows, with_long_rows

MAX_SPEC_BYTES = 60_000


@pytest.fixture(scope="module")
def plan() -> tuple[ProjectionInput, Projection]:
    rng = np.random.default_rng(2)
    waiting = rng.gamma(2.0, 40.0, size=(4, WAIT_BANDS)) * np.exp(-np.arange(WAIT_BANDS) / 30)
    pools = ResourcePools(
        names=("Cannock Chase Hospital", "New Cross Hospital"),
        theatre_minutes_per_week=np.array([30_000.0, 20_000.0]),
        theatre_utilisation_target=np.array([0.85, 0.85]),
        bed_days_per_week=np.array([280.0, 210.0]),
        bed_occupancy_target=np.array([0.92, 0.92]),
        share=np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.0, 1.0]]),
    )
    inp = ProjectionInput.create(
        provider=["RL4", "RL4", "RNA", "RNA"],
        tfc=["C_110", "C_130", "C_110", "C_130"],
        waiting=waiting,
        demand_per_week=waiting.sum(axis=1) / 30,
        capacity_per_week=waiting.sum(axis=1) / 29,
        horizon_weeks=52,
        validation_rate_per_week=0.006,
        admitted_share=0.4,
        minutes_per_case=90,
        length_of_stay_days=2.5,
        day_case_rate=0.8,
        pools=pools,
        start_date=dt.date(2026, 4, 27),
    )
    return inp, project(inp)


def spec_of(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    assert len(json.dumps(spec)) < MAX_SPEC_BYTES
    return spec


def params_of(spec: dict) -> list[dict]:
    found = list(spec.get("params", []))
    for layer in spec.get("layer", []):
        found += layer.get("params", [])
    return found


def has_tooltip(spec: dict) -> bool:
    layers = spec.get("layer", [spec])
    return any("tooltip" in layer.get("encoding", {}) for layer in layers) or (
        "tooltip" in spec.get("encoding", {})
    )


def assert_interactive(spec: dict, *, legend: bool = True) -> None:
    params = params_of(spec)
    assert any(p.get("bind") == "scales" for p in params), "no zoom"
    if legend:
        assert any(p.get("bind") == "legend" for p in params), "no legend selection"
    assert has_tooltip(spec)
    assert spec.get("width") == "container" or all(
        layer.get("width") == "container" for layer in spec.get("layer", [])
    )


def test_fan_charts_carry_the_monte_carlo_bands(plan: tuple[ProjectionInput, Projection]) -> None:
    """The waiting-list and long-wait fans embed p10, p50 and p90 for every week."""
    inp, _ = plan
    mc = simulate(
        inp, runs=50, rng=np.random.default_rng(3), variation=Variation(0.1, 0.05, 0.1, 0.05)
    )
    frame = mc.frame("total")
    spec = spec_of(waiting_list_fan_chart(frame))
    rows = drawn_rows(spec)
    assert len(rows) == 53
    last = frame[(frame["metric"] == "list_size") & (frame["week"] == 52)].iloc[0]
    assert rows[-1]["p50"] == pytest.approx(last["p50"], abs=0.5)
    assert {"p10", "p50", "p90", "week_start", "series"} <= set(rows[0])
    # Dated weeks come back as the dates of the frame: the start date, then every 7 days.
    assert [r["week_start"] for r in rows[:2]] == ["2026-04-27", "2026-05-04"]
    assert rows[-1]["week_start"] == "2027-04-26"
    assert_interactive(spec)
    long = spec_of(long_waits_fan_chart(frame))
    assert {row["series"] for row in drawn_rows(long)} == {
        "Over 52 weeks",
        "Over 65 weeks",
        "Over 78 weeks",
    }
    assert_interactive(long)


def test_plan_comparison_has_one_series_per_scenario(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """Plan vs no plan: both scenarios' weekly values are in the spec, in scenario colours."""
    inp, base = plan
    more = project(dataclasses.replace(inp, capacity_per_week=inp.capacity_per_week * 1.2))
    spec = spec_of(
        plan_comparison_chart({"No plan": base.frame(), "Plan": more.frame()}, metric="over_52")
    )
    rows = drawn_rows(spec)
    assert {row["series"] for row in rows} == {"No plan", "Plan"}
    plan_final = [r for r in rows if r["series"] == "Plan"][-1]["p50"]
    assert plan_final == pytest.approx(more.frame()["over_52"].iloc[-1], abs=0.5)
    assert_interactive(spec)


def test_utilisation_heatmap_has_every_hub_and_week(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """Hub x week cells carry the utilisation shown, with the target in the colour scale."""
    _, result = plan
    frame = result.utilisation_frame()
    spec = spec_of(utilisation_heatmap(frame))
    rows = drawn_rows(spec)
    assert len(rows) == 2 * 52
    assert {row["pool"] for row in rows} == {"Cannock Chase Hospital", "New Cross Hospital"}
    first = frame.iloc[0]
    assert rows[0]["theatre_utilisation"] == pytest.approx(first["theatre_utilisation"], abs=5e-4)
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == [0, 0.425, 0.85, 1.0, 1.2]
    assert scale["range"][2] == "#005EB8"  # NHS blue at the target

    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    # One ordered ramp: each step darker than the last, so darker always reads as fuller.
    shades = [luminance(c) for c in scale["range"]]
    assert shades == sorted(shades, reverse=True) and len(set(shades)) == len(shades)
    assert_interactive(spec, legend=False)


def test_wait_band_chart_compares_now_with_the_projection(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """Both snapshots' 105 bands are in the spec, with 18 and 52 week reference lines."""
    _, result = plan
    spec = spec_of(wait_band_chart(result.bands_frame("total")))
    rows = drawn_rows(spec)
    snapshots = {row["snapshot"] for row in rows if "snapshot" in row}
    assert snapshots == {"Now", "Week 52 (projected)"}
    assert sum(1 for row in rows if row.get("snapshot") == "Now") == WAIT_BANDS
    assert {row["weeks"] for row in rows if "weeks" in row} == {18, 52}
    assert_interactive(spec)


def test_rag_chart_shows_each_target_and_status(plan: tuple[ProjectionInput, Projection]) -> None:
    """Every provider x target cell is in the spec with its status and projected percentage."""
    _, result = plan
    rag = rag_status(result.frame("provider"), unit_columns=["provider"])
    spec = spec_of(rag_status_chart(rag, unit_column="provider"))
    rows = drawn_rows(spec)
    assert len(rows) == len(rag) == 2 * 5
    assert {row["status"] for row in rows} <= {"Green", "Amber", "Red", "Not projected"}
    cell = next(r for r in rows if r["provider"] == "RL4" and r["target"].startswith("92%"))
    expected = rag[(rag["provider"] == "RL4") & (rag["target"] == cell["target"])].iloc[0]
    assert cell["status"] == expected["status"]
    assert cell["label"] == f"{expected['value']:.1f}%"
    params = params_of(spec)
    assert any(p.get("bind") == "legend" for p in params)
    assert has_tooltip(spec)


def test_unfolded_data_draw_exactly_as_long_rows(plan: tuple[ProjectionInput, Projection]) -> None:
    """Vega's unfolding of the arrays (and days into dates) draws what plain long rows draw."""
    inp, result = plan
    mc = simulate(
        inp, runs=20, rng=np.random.default_rng(5), variation=Variation(0.1, 0.05, 0.1, 0.05)
    )
    charts = [
        waiting_list_fan_chart(mc.frame("total")),
        long_waits_fan_chart(mc.frame("total")),
        plan_comparison_chart({"No plan": result.frame(), "Plan": result.frame()}),
        utilisation_heatmap(result.utilisation_frame()),
        wait_band_chart(result.bands_frame("total")),
    ]
    for chart in charts:
        spec = chart.to_dict()
        long = with_long_rows(spec)
        assert long != spec
        assert _svg(spec) == _svg(long), spec.get("title")


def _svg(spec: dict) -> str:
    """The spec drawn as SVG, its clip and gradient ids numbered afresh (the renderer counts on
    across calls)."""
    svg = vlc.vegalite_to_svg(spec)
    found = dict.fromkeys(re.findall(r"(?:clip|gradient_)\d+", svg))
    ids = {old: f"id{i}" for i, old in enumerate(found, 1)}
    return re.sub(r"(?:clip|gradient_)\d+", lambda m: ids[m.group(0)], svg)


def test_a_long_title_breaks_into_lines_on_a_narrow_chart(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """Vega cuts off a title wider than its chart: a trust's title on a phone is drawn on several
    lines (the trust's name on its own), and on one line where the chart is wide enough."""
    _inp, result = plan
    title = "Waiting list: projected median and 80% band — Sandwell and West Birmingham Hospitals"
    spec = wait_band_chart(result.bands_frame("total"), title=title).to_dict()

    def title_lines(width: int) -> list[str]:
        svg = _svg({**spec, "width": width})
        drawn = [t for t in re.findall(r"<text[^>]*>(.*?)</text>", svg) if "Waiting list:" in t]
        assert len(drawn) == 1, drawn
        return re.findall(r"<tspan[^>]*>([^<]*)</tspan>", drawn[0]) or [drawn[0]]

    narrow = title_lines(250)
    assert len(narrow) >= 3 and all(len(line) <= 30 for line in narrow), narrow
    assert " ".join(narrow) == title.replace(" — ", " ")
    assert title_lines(900) == [title]
    short = wait_band_chart(result.bands_frame("total"), title="Waiting list").to_dict()
    assert short["title"] == {"text": "Waiting list"}


def test_a_heatmaps_long_title_is_drawn_on_its_lines_at_any_width(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """The heatmap's plot is narrow beside the sites' names, so its long title is broken into
    lines from the first drawing, not when the page lays the chart out narrower."""
    _inp, result = plan
    title = "Projected theatre utilisation (uncapped) by site and week"
    spec = utilisation_heatmap(result.utilisation_frame(), title=title).to_dict()
    assert spec["title"]["text"] == ["Projected theatre utilisation", "(uncapped) by site and week"]
    for width in (250, 900):
        svg = _svg({**spec, "width": width})
        drawn = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
        lines = spec["title"]["text"]
        at = drawn.index(lines[0])  # the legend's title lines come before it
        assert drawn[at : at + 2] == lines, (width, drawn[:6])


def test_a_heatmap_on_a_phone_shortens_the_sites_names_and_fits_its_legend(
    plan: tuple[ProjectionInput, Projection],
) -> None:
    """On a phone the sites' names would leave the weeks a sliver: the axis shortens them and the
    legend fits what is left, both on the container's width; printed, there is no container and
    the names stay whole beside a full-length legend."""
    _inp, result = plan
    spec = utilisation_heatmap(result.utilisation_frame(), measure="bed_occupancy").to_dict()
    encoding = spec["encoding"]
    limit = encoding["y"]["axis"]["labelLimit"]["expr"]
    assert "containerSize()[0] < 480" in limit
    # containerSize() alone is read once; naming the width signal redraws on every resize.
    assert limit.startswith("width >= 0 && ")
    legend = encoding["color"]["legend"]
    assert legend["title"] == ["Bed occupancy", "(uncapped)"]
    assert "containerSize()" in legend["gradientLength"]["expr"]
    svg = _svg({**spec, "width": 600})  # vl-convert: no container, as the board pack prints
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Cannock Chase Hospital" in drawn and "New Cross Hospital" in drawn
    gradient = re.search(r'<path d="M0,0h(\d+)v\d+h-\d+Z" fill="url\(#id\d+\)"', svg)
    assert gradient is not None and int(gradient.group(1)) == 200, svg[:400]
