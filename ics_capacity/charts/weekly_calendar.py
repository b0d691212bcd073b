"""The weekly profile of a scenario's calendar: pure DataFrame -> Altair chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ics_capacity.charts.palette import SCENARIO_COLOURS


def weekly_profile(frame: pd.DataFrame) -> alt.Chart:
    """Lines of capacity open and demand, each as % of a usual week, by week of the plan.

    Args:
        frame: Columns `week` (1-based), `week_start` (ISO date), `measure` ("Capacity open" or
            "Demand") and `percent` (100 = a usual week).
    """
    measures = list(dict.fromkeys(frame["measure"]))
    return (
        alt.Chart(frame, title="Each week as % of a usual week")
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("week:Q", title="Week of the plan", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("percent:Q", title="% of a usual week", scale=alt.Scale(zero=True)),
            color=alt.Color(
                "measure:N",
                sort=measures,
                scale=alt.Scale(domain=measures, range=SCENARIO_COLOURS[: len(measures)]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.StrokeDash("measure:N", sort=measures, legend=None),
            tooltip=[
                alt.Tooltip("week:Q", title="Week"),
                alt.Tooltip("week_start:N", title="Starts"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("percent:Q", title="% of a usual week", format=".0f"),
            ],
        )
        .properties(width="container", height=220)
        .configure_axis(labelFontSize=13, titleFontSize=13)
        .configure_legend(labelFontSize=13)
        .configure_title(fontSize=16, anchor="start")
        .configure_view(stroke=None)
    )
