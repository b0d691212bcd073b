"""A scenario's projection, and the figures and charts read off it (no database).

`ScenarioProjection` is what `services/projections.py` returns; the headline at the horizon,
the patients treated and removed by validation, and the dashboard's Vega-Lite specs are
computed from it here. Its projections are read only through their tables, so they may be the
engine's results or the tables a solver worker stored (`projections/stored_frames.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ics_capacity.charts import projections as charts
from ics_capacity.domain.measures import label
from ics_capacity.projections.stored_frames import ProjectedTables, SimulatedTables


def rag_date(start: dt.date, week: int) -> dt.date:
    """The date a projected week's figures apply to: `week` weeks after the snapshot."""
    return start + dt.timedelta(weeks=week)


@dataclass
class ScenarioProjection:
    """A scenario's projection, and the projection it is compared with ("without the plan").

    The comparison is the scenario's parent when it has one, else the collaborative's baseline;
    `baseline_name` and `baseline` hold it (None for the baseline itself), `comparison` says
    which in words. `notes` say what moved treatment away from today's published activity
    (capacity changes, a rota, a rebalancing plan and capacity it uses beyond the trusts' own).
    """

    scenario_name: str
    baseline_name: str | None
    names: dict[int, str]
    deterministic: ProjectedTables
    monte_carlo: SimulatedTables
    baseline: ProjectedTables | None
    rag: pd.DataFrame
    start_date: dt.date
    comparison: str | None = None
    notes: list[str] = field(default_factory=list)
    baseline_monte_carlo: SimulatedTables | None = None
    validation_basis: str = ""
    baseline_validation_basis: str = ""


HEADLINE_MEASURES: dict[str, str] = {
    "waiting_list": "list_size",
    "within_18_weeks": "pct_within_18",
    "over_52_weeks": "over_52",
    "over_65_weeks": "over_65",
    "over_78_weeks": "over_78",
}
"""The headline figures at the horizon, by JSON key, and the projection measure each reads."""


def _headline_figures(
    deterministic: ProjectedTables, monte_carlo: SimulatedTables | None
) -> dict[str, dict[str, float | None]]:
    total = deterministic.frame("total")
    end = total.iloc[-1]
    bands = monte_carlo.frame("total") if monte_carlo is not None else None
    figures: dict[str, dict[str, float | None]] = {}
    for key, metric in HEADLINE_MEASURES.items():
        scale = 0.01 if metric == "pct_within_18" else 1.0  # a percent as a share 0-1
        p10 = p90 = None
        if bands is not None:
            row = bands[(bands["metric"] == metric) & (bands["week"] == end["week"])].iloc[0]
            p10, p90 = float(row["p10"]) * scale, float(row["p90"]) * scale
        figures[key] = {"median": float(end[metric]) * scale, "p10": p10, "p90": p90}
    return figures


@dataclass(frozen=True)
class RemovalFigures:
    """Patients leaving the list over a projection, treatment and validation kept apart."""

    weeks: int
    joined: float
    treated: float
    removed_by_validation: float
    basis: str

    @property
    def validation_share(self) -> float:
        """Removals by validation as a share of all who left the list (0 when none left)."""
        total = self.treated + self.removed_by_validation
        return self.removed_by_validation / total if total > 0 else 0.0


def removal_figures(
    projection: ScenarioProjection, provider: int | None = None, up_to_week: int | None = None
) -> RemovalFigures:
    """Patients joining, treated and removed by validation over the projection's horizon.

    Read from the deterministic projection (weeks 1 to the horizon, or to `up_to_week`), for the
    collaborative or one member trust. Validation is never counted as treatment.
    """
    return _removals(projection.deterministic, projection.validation_basis, provider, up_to_week)


def comparison_removal_figures(
    projection: ScenarioProjection, provider: int | None = None, up_to_week: int | None = None
) -> RemovalFigures | None:
    """The same figures for the projection's comparison ("without the plan"), None without one.

    Shown beside the scenario's so that a plan which shortens the list only by assuming more
    validation is seen as such (issue 15 §4).
    """
    if projection.baseline is None:
        return None
    return _removals(
        projection.baseline, projection.baseline_validation_basis, provider, up_to_week
    )


def _removals(
    projected: ProjectedTables, basis: str, provider: int | None, up_to_week: int | None
) -> RemovalFigures:
    if provider is None:
        frame = projected.frame("total")
    else:
        frame = projected.frame("provider")
        frame = frame[frame["provider"] == provider]
    if up_to_week is not None:
        frame = frame[frame["week"] <= up_to_week]
    weeks = frame[frame["week"] > 0]
    return RemovalFigures(
        weeks=int(frame["week"].max()),
        joined=float(weeks["demand"].sum()),
        treated=float(weeks["treated"].sum()),
        removed_by_validation=float(weeks["validated"].sum()),
        basis=basis,
    )


def projection_headline(projection: ScenarioProjection) -> dict[str, Any]:
    """The dashboard's headline at the horizon, with and without the plan, JSON-ready.

    `median` is the deterministic projection (the figure the dashboard's headline cards show);
    `p10` and `p90` are the Monte Carlo run's 80% band at the same week. `within_18_weeks` is a
    share 0-1.
    """
    total = projection.deterministic.frame("total")
    weeks = int(total["week"].iloc[-1])
    without = None
    compared = comparison_removal_figures(projection)
    if projection.baseline is not None and compared is not None:
        without = {
            "scenario": projection.baseline_name,
            **_headline_figures(projection.baseline, projection.baseline_monte_carlo),
            "treated": round(compared.treated, 1),
            "removed_by_validation": round(compared.removed_by_validation, 1),
            "validation_basis": projection.baseline_validation_basis,
        }
    return {
        "scenario": projection.scenario_name,
        "horizon_weeks": weeks,
        "start_date": projection.start_date.isoformat() if projection.start_date else None,
        "at_date": (projection.start_date + dt.timedelta(weeks=weeks)).isoformat()
        if projection.start_date
        else None,
        **_headline_figures(projection.deterministic, projection.monte_carlo),
        "treated": round(removal_figures(projection).treated, 1),
        "removed_by_validation": round(removal_figures(projection).removed_by_validation, 1),
        "validation_basis": projection.validation_basis,
        "comparison": projection.comparison,
        "without_plan": without,
        "notes": list(projection.notes),
    }


def _unit_frame(frame: pd.DataFrame, provider: int | None) -> pd.DataFrame:
    return frame if provider is None else frame[frame["provider"] == provider]


def dashboard_chart_specs(
    projection: ScenarioProjection, provider: int | None = None
) -> dict[str, dict]:
    """The dashboard's Vega-Lite specs for the collaborative, or for one member trust.

    Returns:
        Chart name -> spec; {} where there is nothing to draw.
    """
    level = "total" if provider is None else "provider"
    who = "" if provider is None else f" — {projection.names.get(provider, provider)}"
    det = projection.deterministic
    mc = _unit_frame(projection.monte_carlo.frame(level), provider)
    specs = {
        "fan_chart": charts.waiting_list_fan_chart(
            mc, title=f"Waiting list: projected median and 80% band{who}"
        ).to_dict(),
        "long_wait_chart": charts.long_waits_fan_chart(
            mc, title=f"Patients waiting over 52, 65 and 78 weeks{who}"
        ).to_dict(),
        "bands_chart": charts.wait_band_chart(
            _unit_frame(det.bands_frame(level), provider)
        ).to_dict(),
        "rag_chart": charts.rag_status_chart(
            projection.rag[projection.rag["status"] != "Not projected"], unit_column="provider"
        ).to_dict(),
        "utilisation_chart": {},
        "beds_chart": {},
        "plan_chart": {},
    }
    utilisation = det.utilisation_frame()
    if not utilisation.empty:
        specs["utilisation_chart"] = charts.utilisation_heatmap(
            utilisation, title=f"{label('theatre_utilisation')} by site and week"
        ).to_dict()
        specs["beds_chart"] = charts.utilisation_heatmap(
            utilisation,
            measure="bed_occupancy",
            target=0.92,
            title=f"{label('bed_occupancy')} by site and week",
        ).to_dict()
    if projection.baseline is not None:
        specs["plan_chart"] = charts.plan_comparison_chart(
            {
                f"Without the plan ({projection.baseline_name})": _unit_frame(
                    projection.baseline.frame(level), provider
                ),
                f"With the plan ({projection.scenario_name})": _unit_frame(
                    det.frame(level), provider
                ),
            },
            metric="list_size",
            title=f"Waiting list with and without the plan{who}",
        ).to_dict()
    return specs
