"""Charts of a rebalancing plan: pure DataFrame -> Altair chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ics_capacity.charts.palette import SCENARIO_COLOURS


def pressure_chart(frame: pd.DataFrame) -> alt.Chart:
    """Pressure of each trust's admitted lists at the plan's end: no collaboration vs the plan.

    The title says what the axis measures (catalogue measure `pressure`).
    """
    order = list(dict.fromkeys(frame.sort_values("pressure", ascending=False)["list"]))
    return (
        alt.Chart(
            frame,
            title="Pressure (2 × mean wait ÷ target wait) of each admitted list at the plan's end",
        )
        .mark_bar()
        .encode(
            y=alt.Y("list:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
            yOffset=alt.YOffset("plan:N"),
            x=alt.X("pressure:Q", title="Pressure: 2 × mean wait ÷ target wait (1 = on target)"),
            color=alt.Color(
                "plan:N",
                scale=alt.Scale(range=SCENARIO_COLOURS[:2]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["list:N", "plan:N", alt.Tooltip("pressure:Q", format=".2f")],
        )
        .properties(width="container", height=alt.Step(10))
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=12, titleFontSize=13)
    )
