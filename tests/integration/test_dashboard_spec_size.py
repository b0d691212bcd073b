"""The Dashboard's chart specs for the demo: small, yet carrying every week's band.

Every tab on the Dashboard is sent a trust's charts at each switch and keeps them in its state
(issue 19), so their size is bounded here, on the demo's real projection; the data are read back
from the specs and compared with the projection, so shrinking can never drop a week or a value.
"""

from __future__ import annotations

import json

import pandas as pd

from ics_capacity.charts.projections import LONG_WAIT_LABELS
from ics_capacity.services.projections import dashboard_chart_specs, project_scenario
from ics_capacity.services.scenarios import create_scenario
from ics_capacity.services.targets import scenario_targets
from ics_capacity.ui.pages.dashboard import view
from tests.chart_specs import drawn_rows

MAX_TRUST_SPECS_BYTES = 50_000
"""A member trust's seven chart specs together, as compact JSON: about 40 kB (198 kB before)."""

COLLABORATIVE_CHARTS = ("rag_chart", "utilisation_chart", "beds_chart")
"""Charts of the whole collaborative, the same whichever trust is shown."""


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def _assert_carries_every_week(spec: dict, frame: pd.DataFrame, labels: dict[str, str]) -> None:
    """Each metric's p10, p50 and p90 for every week are in the spec, within its rounding."""
    expected = frame[frame["metric"].isin(list(labels))]
    drawn = {(r["series"], r["week_start"]): r for r in drawn_rows(spec)}
    wanted = {
        (labels[m], pd.Timestamp(w).date().isoformat()): row
        for (m, w), row in expected.set_index(["metric", "week_start"]).iterrows()
    }
    assert set(drawn) == set(wanted) and len(drawn) == len(expected)
    # Rounded to keep every value within a two-thousandth of the chart's largest.
    tolerance = expected[["p10", "p50", "p90"]].abs().to_numpy().max() / 2000
    for key, row in wanted.items():
        for quantile in ("p10", "p50", "p90"):
            assert abs(drawn[key][quantile] - row[quantile]) <= tolerance, (key, quantile)


def test_a_trusts_specs_are_small_and_carry_every_week(demo) -> None:
    """A trust's charts fit the bound and hold its projection's bands for all 105 weeks."""
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    draft = create_scenario(manager, baseline, "Plan")
    projection = project_scenario(manager, draft, horizon_weeks=104)
    provider = min(projection.names)
    specs = dashboard_chart_specs(projection, provider)
    assert all(specs.values()), [name for name, spec in specs.items() if not spec]
    assert _size(specs) < MAX_TRUST_SPECS_BYTES, {k: _size(v) for k, v in specs.items()}

    frame = projection.monte_carlo.frame("provider")
    mine = frame[frame["provider"] == provider]
    assert mine["week"].nunique() == 105
    _assert_carries_every_week(specs["fan_chart"], mine, {"list_size": "Waiting list"})
    _assert_carries_every_week(specs["long_wait_chart"], mine, LONG_WAIT_LABELS)


def test_a_trust_switch_sends_only_the_trusts_vars(demo) -> None:
    """From the collaborative to a trust, the collaborative's charts and tables are unchanged."""
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    projection = project_scenario(manager, baseline, horizon_weeks=52, runs=20)
    targets = scenario_targets(manager, baseline, projection)
    whole = view.page_vars(projection, targets, dashboard_chart_specs(projection), "")
    provider = min(projection.names)
    trust = view.page_vars(
        projection, targets, dashboard_chart_specs(projection, provider), str(provider)
    )
    changed = {name for name in trust if trust[name] != whole[name]}
    assert changed == {
        "headline",
        "removal",
        "unit",
        "unit_name",
        "fan_chart",
        "long_wait_chart",
        "bands_chart",
    }
    assert not changed & set(COLLABORATIVE_CHARTS)
