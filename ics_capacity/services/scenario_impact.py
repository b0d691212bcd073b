"""The scenario page's impact: what a scenario's capacity does by the next year end.

The figures are read off a deterministic projection of the scenario and its comparison (its
parent, else the baseline) to the first 31 March at least 4 weeks after the data. A web process
projects them itself without a job queue (`services/dashboard.py`, `scenario_impact`), and a
solver worker does with one (`services/projection_views.py`), so both read them from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ics_capacity.services.projection_figures import ScenarioProjection
from ics_capacity.services.projections import project_scenario_as_operator

IMPACT_RUNS = 1
"""The scenario page reads the deterministic projection; one simulation run keeps it quick."""


@dataclass(frozen=True)
class ImpactRow:
    """One measure at the impact date: the scenario's value and its comparison's."""

    measure: str
    scenario: float
    comparison: float | None


@dataclass(frozen=True)
class ScenarioImpact:
    """What a scenario's capacity does by the next year end, against its parent or the baseline.

    `at_date` is the next 31 March at least 4 weeks after the data: NHS planning targets fall due
    at financial year ends. `comparison` names what the scenario is compared with (None for the
    baseline itself).
    """

    at_week: int
    at_date: dt.date
    comparison: str | None
    rows: list[ImpactRow]

    def as_json(self) -> dict:
        """JSON-ready, as a worker stores it."""
        return {
            "at_week": self.at_week,
            "at_date": self.at_date.isoformat(),
            "comparison": self.comparison,
            "rows": [[r.measure, r.scenario, r.comparison] for r in self.rows],
        }

    @classmethod
    def from_json(cls, raw: dict) -> ScenarioImpact:
        """The impact `as_json` wrote."""
        return cls(
            at_week=int(raw["at_week"]),
            at_date=dt.date.fromisoformat(raw["at_date"]),
            comparison=raw["comparison"],
            rows=[
                ImpactRow(str(m), float(s), None if c is None else float(c))
                for m, s, c in raw["rows"]
            ],
        )


def next_year_end(start: dt.date) -> tuple[int, dt.date]:
    """(weeks after `start`, date) of the first 31 March at least 4 weeks after `start`."""
    year = start.year if start < dt.date(start.year, 3, 31) else start.year + 1
    end = dt.date(year, 3, 31)
    if (end - start).days // 7 < 4:
        end = dt.date(year + 1, 3, 31)
    return (end - start).days // 7, end


def impact_of(projection: ScenarioProjection, at_week: int, at_date: dt.date) -> ScenarioImpact:
    """The impact figures at the projection's last week (the year end).

    Measures: the waiting list, the share within 18 weeks and 52+ week waiters of the member
    trusts' incomplete pathways, the scenario's beside its comparison's.
    """
    mine = projection.deterministic.frame("total").iloc[-1]
    other = projection.baseline.frame("total").iloc[-1] if projection.baseline is not None else None
    rows = [
        ImpactRow(
            measure,
            float(mine[column]) * scale,
            float(other[column]) * scale if other is not None else None,
        )
        for measure, column, scale in (
            ("projected_waiting_list", "list_size", 1.0),
            ("projected_within_18_weeks", "pct_within_18", 0.01),
            ("projected_over_52_weeks", "over_52", 1.0),
        )
    ]
    return ScenarioImpact(at_week, at_date, projection.comparison, rows)


def impact_as_operator(scenario_id: int, at_week: int, at_date: dt.date) -> ScenarioImpact:
    """The impact of a scenario to week `at_week`, computed as the operator (no caller checked).

    Only a solver worker calls this, for a web process that checked its caller and worked out
    the year end (`services/projection_views.py`). The same projection as `scenario_impact`'s.
    """
    projection = project_scenario_as_operator(
        scenario_id, horizon_weeks=at_week, runs=IMPACT_RUNS, comparison_runs=0
    )
    return impact_of(projection, at_week, at_date)
