"""Altair charts in the page: a Vega-Lite spec held in state, drawn by vega-embed in the browser.

react-vega 8 exports `VegaEmbed` (not the old `VegaLite`); it redraws when the spec changes.
"""

from __future__ import annotations

import reflex as rx


class VegaEmbed(rx.Component):
    """Draws a Vega-Lite spec (e.g. `altair.Chart.to_dict()`) with tooltips and export actions."""

    library = "react-vega@8.0.0"
    tag = "VegaEmbed"
    lib_dependencies: list[str] = ["vega-embed@7.3.0", "vega@6.4.0", "vega-lite@6.5.0"]

    spec: rx.Var[dict]
    options: rx.Var[dict]


def vega_chart(spec: rx.Var | dict, label: str) -> rx.Component:
    """A chart in a labelled figure; the export menu offers PNG and SVG downloads."""
    return rx.el.figure(
        VegaEmbed.create(
            spec=spec,
            options={
                "renderer": "svg",
                "actions": {"export": True, "source": False, "compiled": False, "editor": False},
            },
        ),
        aria_label=label,
        role="figure",
        margin="0",
        width="100%",
    )
