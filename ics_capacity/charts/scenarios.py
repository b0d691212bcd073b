"""Charts comparing scenarios: pure DataFrame -> Altair chart; the page receives `to_dict()`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ics_capacity.charts.palette import SCENARIO_COLOURS


def capacity_by_site(frame: pd.DataFrame, *, value: str, title: str) -> alt.Chart:
    """Grouped bars of one capacity figure per site, one colour per scenario.

    Args:
        frame: Columns `site`, `scenario` and the `value` column.
        value: The column to plot.
        title: The axis title, with units.
    """
    scenarios = list(dict.fromkeys(frame["scenario"]))
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("site:N", title=None, sort=None),
            yOffset=alt.YOffset("scenario:N", sort=scenarios),
            x=alt.X(f"{value}:Q", title=title),
            color=alt.Color(
                "scenario:N",
                sort=scenarios,
                scale=alt.Scale(domain=scenarios, range=SCENARIO_COLOURS[: len(scenarios)]),
                legend=alt.Legend(title="Scenario", orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("site:N", title="Site"),
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip(f"{value}:Q", title=title, format=",.0f"),
            ],
        )
        .properties(width="container", height=alt.Step(14))
        .configure_axis(labelFontSize=13, titleFontSize=13, labelLimit=260)
        .configure_legend(labelFontSize=13, titleFontSize=13, labelLimit=300)
        .configure_title(fontSize=16, anchor="start")
        .configure_view(stroke=None)
    )
