"""Charts of waiting-list projections: pure DataFrame -> Altair chart; the page gets `to_dict()`.

Every chart fills its container's width, shows a tooltip on every mark, zooms and pans on the
time (or wait) axis by dragging and scrolling, and, where it has a legend, clicking a legend
entry highlights that series. Pass one unit (the total, or one provider) per chart.

Specs stay small, because the Dashboard sends them on every change of trust and keeps them in
each tab's state: a chart embeds its data once, as one row per series (or hub, or snapshot) whose
weekly values are arrays, which Vega-Lite's flatten transform unfolds into the long rows the
marks draw (`_embedded`); values are rounded to what the chart can show (`_decimals_for`).
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from ics_capacity.charts.palette import SCENARIO_COLOURS
from ics_capacity.domain.utilisation import UtilisationDefinition, qualified

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_AQUA_GREEN = "#00A499"
NHS_WARM_YELLOW = "#FFB81C"
NHS_RED = "#D5281B"
NHS_GREEN = "#007F3B"
NHS_TEXT = "#212B32"
NHS_MID_GREY = "#AEB7BD"
NHS_PALE_GREY = "#E8EDEE"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_PURPLE = "#330072"

UTILISATION_RAMP = [NHS_PALE_GREY, NHS_LIGHT_BLUE, NHS_BLUE, NHS_DARK_BLUE, NHS_PURPLE]
"""Utilisation colours at 0, half the target, the target, 100% and 120%: one ramp, light to dark."""

RAG_COLOURS: dict[str, str] = {
    "Green": NHS_GREEN,
    "Amber": NHS_WARM_YELLOW,
    "Red": NHS_RED,
    "Not projected": NHS_MID_GREY,
}
"""RAG status -> NHS identity colour."""

LONG_WAIT_LABELS: dict[str, str] = {
    "over_52": "Over 52 weeks",
    "over_65": "Over 65 weeks",
    "over_78": "Over 78 weeks",
}
"""Long-wait measures and how the charts name them."""

ChartT = TypeVar("ChartT", alt.Chart, alt.LayerChart)

# Vega does not wrap a title: one wider than its chart is cut off at the chart's right edge (the
# Dashboard's trust titles at 390 px). `_title` breaks such a title into lines where the plot is
# narrower than the title's width, estimated at _TITLE_CHAR_PX a character (16 px bold Arial
# averages 8.5-9 px) less _TITLE_START_PX (the title starts left of the plot, over the y axis).
_TITLE_CHAR_PX = 9
_TITLE_START_PX = 60
_TITLE_LINE_CHARS = 30  # about 270 px: fits a chart 390 px wide (a phone) with its actions menu

_SERIES_COLOURS = [NHS_BLUE, NHS_WARM_YELLOW, NHS_AQUA_GREEN, NHS_DARK_BLUE, NHS_RED, NHS_GREEN]


def waiting_list_fan_chart(frame: pd.DataFrame, *, title: str = "Waiting list") -> alt.LayerChart:
    """Fan chart of the projected waiting list: p10-p90 band and median line.

    Args:
        frame: A `MonteCarloResult.frame(level)` for one unit (columns `week` or `week_start`,
            `metric`, `p10`, `p50`, `p90`); an optional `scenario` column draws one fan per
            scenario.
        title: Chart title.

    Returns:
        The chart.
    """
    return _fan_chart(frame, {"list_size": "Waiting list"}, title=title, y_title="Patients waiting")


def long_waits_fan_chart(
    frame: pd.DataFrame, *, title: str = "Patients waiting over 52, 65 and 78 weeks"
) -> alt.LayerChart:
    """Fan chart of the projected long waits (over 52, 65 and 78 weeks), one colour each.

    Args:
        frame: As for `waiting_list_fan_chart`.
        title: Chart title.

    Returns:
        The chart.
    """
    return _fan_chart(frame, LONG_WAIT_LABELS, title=title, y_title="Patients waiting")


def plan_comparison_chart(
    frames: Mapping[str, pd.DataFrame],
    *,
    metric: str = "list_size",
    title: str = "With and without the plan",
    y_title: str = "Patients waiting",
) -> alt.LayerChart:
    """One line (and band, when quantiles are given) per scenario, e.g. "No plan" and "Plan".

    Args:
        frames: Scenario name -> a `Projection.frame(level)` (the `metric` column is drawn) or
            a `MonteCarloResult.frame(level)` (its `metric` rows' p10, p50, p90 are drawn) for
            one unit.
        metric: The measure to compare, e.g. "list_size", "over_52", "pct_within_18".
        title: Chart title.
        y_title: Axis title, with units.

    Returns:
        The chart.
    """
    parts = []
    for scenario, frame in frames.items():
        if "metric" in frame.columns:
            part = frame[frame["metric"] == metric].copy()
        else:
            part = frame.copy()
            part["p50"] = part[metric]
        part["series"] = scenario
        parts.append(part)
    combined = pd.concat(parts, ignore_index=True)
    return _fan_from_series(
        combined, title=title, y_title=y_title, order=list(frames), palette=SCENARIO_COLOURS
    )


# On a phone the heatmaps' sites' names would take most of the chart's width and leave the weeks
# a sliver (and the legend, which starts where the plot starts, cut off at the card's edge): there
# the names are shortened (in full in the tooltip), and the legend fits what is left.
# Printed charts (vl-convert) have no container: its width reads 0, and they keep the defaults.
# Vega reads containerSize() once; naming the `width` signal (which follows the window's size)
# makes it read it again whenever the chart is resized (a tablet turned, a window narrowed).
_ON_A_PHONE = "width >= 0 && containerSize()[0] > 0 && containerSize()[0] < 480"
_SITE_LABEL_LIMIT = alt.ExprRef(f"{_ON_A_PHONE} ? 0.3 * containerSize()[0] : 260")
_LEGEND_LIMIT = alt.ExprRef(f"{_ON_A_PHONE} ? 0.6 * containerSize()[0] : 200")


def _broken_before_bracket(label: str) -> str | list[str]:
    """A label such as "Bed occupancy (uncapped)" on two lines, for a legend on a phone."""
    name, bracket, rest = label.partition(" (")
    return [name, f"({rest}"] if bracket else label


def utilisation_heatmap(
    frame: pd.DataFrame,
    *,
    measure: str = "theatre_utilisation",
    target: float = 0.85,
    title: str = "Projected theatre utilisation (uncapped) by hub and week",
) -> alt.Chart:
    """Heatmap of utilisation, hub (pool) x week, shaded up to the target and warm beyond it.

    Args:
        frame: `Projection.utilisation_frame()` (columns `pool`, `week` or `week_start`, and
            the measure) or `MonteCarloResult.utilisation_frame()` (its p50 is drawn).
        measure: "theatre_utilisation" or "bed_occupancy" (shares, 1 = 100%).
        target: The planned level (0.85 theatre utilisation, 0.92 bed occupancy). Colours run
            as one ordered ramp, lighter to darker: pale grey at 0, NHS blue at the target,
            dark blue at 100% and purple at 120% or more, so darker always means fuller.
        title: Chart title.

    Returns:
        The chart.
    """
    if "metric" in frame.columns:
        data = frame[frame["metric"] == measure].rename(columns={"p50": measure})
    else:
        data = frame
    x_field, x_type = _time_axis(data)
    # Shares to a tenth of a percent, as the tooltip shows them.
    values, unfold = _embedded(data, "pool", x_field, {measure: 3})
    if x_type == "temporal":
        x = alt.X(f"{x_field}:T", title="Week starting")
        x2 = alt.X2("week_end:T")
        end = "timeOffset('week', toDate(datum.week_start), 1)"
    else:
        x = alt.X(f"{x_field}:Q", title="Week")
        x2 = alt.X2("week_end:Q")
        end = "datum.week + 1"
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    # The projection never cuts use off at the sessions or beds: both figures are uncapped.
    label = qualified(
        "Theatre utilisation" if measure.startswith("theatre") else "Bed occupancy",
        UtilisationDefinition.UNCAPPED,
    )
    return _configure(
        alt.Chart(values, title=_title(title, always_broken=True), transform=unfold)
        .transform_calculate(week_end=end)
        .mark_rect()
        .encode(
            x=x,
            x2=x2,
            y=alt.Y("pool:N", title=None, sort=None, axis=alt.Axis(labelLimit=_SITE_LABEL_LIMIT)),
            color=alt.Color(
                f"{measure}:Q",
                title=label,
                scale=alt.Scale(
                    domain=[0, target / 2, target, 1.0, 1.2],
                    range=UTILISATION_RAMP,
                    interpolate="lab",
                    clamp=True,
                ),
                legend=alt.Legend(
                    title=_broken_before_bracket(label),
                    format=".0%",
                    orient="bottom",
                    titleLimit=_LEGEND_LIMIT,
                    gradientLength=_LEGEND_LIMIT,
                ),
            ),
            tooltip=[
                alt.Tooltip("pool:N", title="Hub"),
                alt.Tooltip(f"{x_field}:{'T' if x_type == 'temporal' else 'Q'}", title="Week"),
                alt.Tooltip(f"{measure}:Q", title=label, format=".1%"),
            ],
        )
        .add_params(zoom)
        .properties(width="container", height=alt.Step(22))
    )


def wait_band_chart(
    frame: pd.DataFrame,
    *,
    labels: Mapping[int, str] | None = None,
    title: str = "Patients by weeks waited: now and projected",
) -> alt.LayerChart:
    """Distribution of the list over the weekly wait bands at two or more weeks.

    Args:
        frame: `Projection.bands_frame(level)` for one unit: `week`, `wait_band_weeks`,
            `patients`.
        labels: Week -> legend label; default "Now" for week 0 and "Week n (projected)".
        title: Chart title.

    Returns:
        The chart, with reference lines at 18 and 52 weeks.
    """
    data = frame[["week", "wait_band_weeks", "patients"]].copy()
    weeks = sorted(data["week"].unique())
    names = {w: (labels or {}).get(w, "Now" if w == 0 else f"Week {w} (projected)") for w in weeks}
    data["snapshot"] = data["week"].map(names)
    order = [names[w] for w in weeks]
    values, unfold = _embedded(
        data, "snapshot", "wait_band_weeks", {"patients": _decimals_for(data[["patients"]])}
    )
    pick = alt.selection_point(fields=["snapshot"], bind="legend")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    lines = (
        alt.Chart(values, transform=unfold)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("wait_band_weeks:Q", title="Weeks waited", scale=alt.Scale(domain=[0, 105])),
            y=alt.Y("patients:Q", title="Patients"),
            color=alt.Color(
                "snapshot:N",
                sort=order,
                scale=alt.Scale(domain=order, range=_SERIES_COLOURS[: len(order)]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)),
            tooltip=[
                alt.Tooltip("snapshot:N", title="When"),
                alt.Tooltip("wait_band_weeks:Q", title="Waited (weeks, from)"),
                alt.Tooltip("patients:Q", title="Patients", format=",.0f"),
            ],
        )
        .add_params(pick, zoom)
    )
    rules = (
        alt.Chart(pd.DataFrame({"weeks": [18, 52], "label": ["18 weeks", "52 weeks"]}))
        .mark_rule(color=NHS_TEXT, strokeDash=[4, 4])
        .encode(x="weeks:Q", tooltip=[alt.Tooltip("label:N", title="Threshold")])
    )
    return _configure(
        alt.LayerChart(layer=[lines, rules], title=_title(title)).properties(
            width="container", height=280
        )
    )


def rag_status_chart(
    frame: pd.DataFrame,
    *,
    unit_column: str | None = None,
    title: str = "Against the RTT targets",
) -> alt.LayerChart:
    """RAG table: one row per unit, one column per target, coloured Green / Amber / Red.

    Args:
        frame: A `queue_kpis.rag_status` result (`target`, `value`, `goal`, `status`, `week`,
            and the unit column when there is one).
        unit_column: The unit's key column (e.g. "provider"); None for a single total.
        title: Chart title.

    Returns:
        The chart, each cell labelled with the projected percentage.
    """
    data = frame.copy()
    unit = unit_column or "unit"
    if unit_column is None:
        data[unit] = "Total"
    data = data[[unit, "target", "value", "goal", "status", "week"]].copy()
    data["label"] = data["value"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.1f}%")
    targets = list(dict.fromkeys(data["target"]))
    statuses = [s for s in RAG_COLOURS if s in set(data["status"])] or list(RAG_COLOURS)
    pick = alt.selection_point(fields=["status"], bind="legend")
    base = alt.Chart(data).encode(
        x=alt.X(
            "target:N",
            sort=targets,
            title=None,
            axis=alt.Axis(
                labelAngle=0,
                labelLimit=220,
                # Long target names on up to three lines: "65% | within 18 weeks | by March 2026".
                labelExpr=(
                    "split(replace(replace(replace(replace(datum.label, ' by ', '|by '), "
                    "' (', '|('), ' within ', '|within '), ' over ', '|over '), '|')"
                ),
            ),
        ),
        y=alt.Y(f"{unit}:N", title=None, sort=None),
        tooltip=[
            alt.Tooltip(f"{unit}:N", title="Unit"),
            alt.Tooltip("target:N", title="Target"),
            alt.Tooltip("value:Q", title="Projected (%)", format=".1f"),
            alt.Tooltip("goal:Q", title="Target (%)", format=".1f"),
            alt.Tooltip("week:Q", title="Rated at week"),
            alt.Tooltip("status:N", title="Status"),
        ],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=statuses, range=[RAG_COLOURS[s] for s in statuses]),
            legend=alt.Legend(title="Status", orient="bottom"),
        ),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.25)),
    )
    text = base.mark_text(fontSize=13, fontWeight="bold").encode(
        text="label:N",
        color=alt.condition(alt.datum.status == "Amber", alt.value(NHS_TEXT), alt.value("white")),
    )
    return _configure(
        alt.LayerChart(layer=[cells.add_params(pick), text], title=title).properties(
            width="container", height=alt.Step(36)
        )
    )


# --- internals ------------------------------------------------------------------------------


def _time_axis(frame: pd.DataFrame) -> tuple[str, str]:
    """The x field: dated weeks when the frame has them, else week numbers."""
    if "week_start" in frame.columns:
        return "week_start", "temporal"
    return "week", "quantitative"


def _embedded(
    data: pd.DataFrame, key: str, x_field: str, measures: Mapping[str, int]
) -> tuple[alt.Data, list[alt.Transform]]:
    """The frame as one row per series with its weekly values as arrays, and their unfolding.

    The transforms unfold those rows into one per `key` value x week again in the browser.
    Long rows would repeat every field name and the series' name for every week; here each
    week costs its numbers only. Dated weeks (`week_start`) travel as whole days after the
    first (`day`), and a calculation turns them back into the same UTC midnights that a
    "YYYY-MM-DD" string parses to, so axes and tooltips read as before.

    Args:
        data: Long rows: `key`, `x_field` and the measures.
        key: The column naming each series, hub or snapshot; rows keep the frame's order.
        x_field: `week_start` (dates), or a number column such as `week` or `wait_band_weeks`.
        measures: Column -> decimals to round it to.

    Returns:
        The inline data, and the flatten (and date) transforms that the chart applies first.
    """
    data = data.reset_index(drop=True)
    temporal = x_field == "week_start"
    if temporal:
        dates = pd.to_datetime(data[x_field]).dt.normalize()
        origin = dates.min()
        x_name, x_values = "day", (dates - origin).dt.days
    else:
        x_name, x_values = x_field, data[x_field]
    rows: list[dict[str, Any]] = []
    for name in dict.fromkeys(data[key]):
        mine = data[key] == name
        row: dict[str, Any] = {key: str(name), x_name: _rounded(x_values[mine], 0)}
        for column, decimals in measures.items():
            row[column] = _rounded(data.loc[mine, column], decimals)
        rows.append(row)
    unfold: list[alt.Transform] = [alt.FlattenTransform(flatten=[x_name, *measures])]
    if temporal:
        day = f"utc({origin.year}, {origin.month - 1}, {origin.day} + datum.day)"
        unfold.append(alt.CalculateTransform(calculate=f"toDate({day})", **{"as": x_field}))
    return alt.Data(values=rows), unfold


def _rounded(values: pd.Series, decimals: int) -> list[float | int | None]:
    """The values to `decimals` places, whole numbers as integers, missing ones as null."""
    rounded = values.astype(float).round(decimals)
    return [None if pd.isna(v) else int(v) if decimals == 0 else float(v) for v in rounded]


def _decimals_for(values: pd.DataFrame) -> int:
    """Decimals that keep every value within a two-thousandth of the largest (0 to 3).

    That is under 0.15 px on a 300 px axis: what is drawn does not move, and tooltips show
    whole patients anyway.
    """
    numbers = values.to_numpy(dtype=float)
    top = float(abs(numbers[~pd.isna(numbers)]).max()) if numbers.size else 0.0
    if not top > 0:
        return 0
    return min(3, max(0, math.ceil(3 - math.log10(top))))


def _fan_chart(
    frame: pd.DataFrame, metrics: Mapping[str, str], *, title: str, y_title: str
) -> alt.LayerChart:
    """Fan per measure (and per scenario, if the frame has a `scenario` column)."""
    data = frame[frame["metric"].isin(list(metrics))].copy()
    data["series"] = data["metric"].map(metrics)
    order = [metrics[m] for m in metrics if m in set(data["metric"])]
    if "scenario" in data.columns:
        data["series"] = data["scenario"].astype(str) + ": " + data["series"]
        order = list(dict.fromkeys(data["series"]))
    return _fan_from_series(data, title=title, y_title=y_title, order=order)


def _fan_from_series(
    data: pd.DataFrame,
    *,
    title: str,
    y_title: str,
    order: Sequence[str],
    palette: Sequence[str] = tuple(_SERIES_COLOURS),
) -> alt.LayerChart:
    """Median line and (when p10/p90 are present) a shaded band per `series`."""
    x_field, x_type = _time_axis(data)
    has_band = {"p10", "p90"} <= set(data.columns)
    measures = ["p50", *(["p10", "p90"] if has_band else [])]
    # One precision for the chart's series, as they share the y axis.
    decimals = _decimals_for(data[measures])
    values, unfold = _embedded(data, "series", x_field, dict.fromkeys(measures, decimals))
    x_code = "T" if x_type == "temporal" else "Q"
    x = alt.X(f"{x_field}:{x_code}", title="Week starting" if x_type == "temporal" else "Week")
    colours = [palette[i % len(palette)] for i in range(len(order))]
    colour = alt.Color(
        "series:N",
        sort=list(order),
        scale=alt.Scale(domain=list(order), range=colours),
        legend=alt.Legend(title=None, orient="bottom"),
    )
    pick = alt.selection_point(fields=["series"], bind="legend")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip(f"{x_field}:{x_code}", title="Week"),
        alt.Tooltip("p50:Q", title="Median" if has_band else "Projected", format=",.0f"),
    ]
    if has_band:
        tooltip += [
            alt.Tooltip("p10:Q", title="10th percentile", format=",.0f"),
            alt.Tooltip("p90:Q", title="90th percentile", format=",.0f"),
        ]
    base = alt.Chart().encode(x=x, color=colour, tooltip=tooltip)
    line = base.mark_line(strokeWidth=2.5).encode(
        y=alt.Y("p50:Q", title=y_title),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
    )
    layers = [line.add_params(pick, zoom)]
    if has_band:
        band = base.mark_area().encode(
            y="p10:Q",
            y2="p90:Q",
            opacity=alt.condition(pick, alt.value(0.25), alt.value(0.04)),
        )
        layers.insert(0, band)
    return _configure(
        alt.LayerChart(data=values, transform=unfold, layer=layers, title=_title(title)).properties(
            width="container", height=300
        )
    )


def _title(text: str, *, always_broken: bool = False) -> alt.TitleParams:
    """The title on one line where the chart is wide enough for it, else broken into lines.

    The lines break at " — " (before a trust's name) and between words; the choice is Vega's,
    on the chart's `width` signal, so a chart that is resized redraws its title to fit. Only for
    single and layered charts, which have that signal.

    `always_broken` draws the lines whatever the width. For the heatmaps: their plot is narrow
    beside the sites' names even on a desktop, and a title that gained lines when the page laid
    the chart out narrower than it was first drawn was cut off at the top (Chromium, 1366 px).
    """
    lines = [line for part in text.split(" — ") for line in textwrap.wrap(part, _TITLE_LINE_CHARS)]
    if len(lines) <= 1:
        return alt.TitleParams(text)
    if always_broken:
        return alt.TitleParams(text=lines)
    narrowest = len(text) * _TITLE_CHAR_PX - _TITLE_START_PX
    one, broken = json.dumps(text, ensure_ascii=False), json.dumps(lines, ensure_ascii=False)
    return alt.TitleParams(text=alt.ExprRef(f"width < {narrowest} ? {broken} : {one}"))


def _configure(chart: ChartT) -> ChartT:
    """NHS text colour and type sizes, as the other charts use."""
    return (
        chart.configure_axis(
            labelFontSize=13,
            titleFontSize=13,
            labelColor=NHS_TEXT,
            titleColor=NHS_TEXT,
            labelLimit=260,
        )
        .configure_legend(labelFontSize=13, titleFontSize=13, labelColor=NHS_TEXT, labelLimit=300)
        .configure_title(fontSize=16, anchor="start", color=NHS_TEXT)
        .configure_view(stroke=None)
    )
