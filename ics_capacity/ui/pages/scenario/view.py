"""The scenario page's pure view builders: the capacity columns and the impact rows as text."""

from __future__ import annotations

from ics_capacity.domain.measures import measure
from ics_capacity.domain.utilisation import BED_CAP_LABEL, THEATRE_CAP_LABEL
from ics_capacity.services.dashboard import ImpactRow
from ics_capacity.ui.components import format as fmt

CAPACITY_COLUMNS: list[tuple[str, str, str]] = [
    # (row key, column heading, "edit" for an editable figure: version key)
    ("theatres", "Theatres", "theatre_version"),
    ("sessions_per_week", "Sessions a week per theatre", "theatre_version"),
    ("session_minutes", "Session minutes", "theatre_version"),
    ("utilisation_target", THEATRE_CAP_LABEL, "theatre_version"),
    ("elective_overnight_beds", "Elective overnight beds", "bed_version"),
    ("day_case_places", "Day-case places", "bed_version"),
    ("occupancy_target", BED_CAP_LABEL, "bed_version"),
]


def impact_row(row: ImpactRow) -> dict[str, str]:
    """One measure of the impact panel: this scenario, the comparison and the change, as text."""
    m = measure(row.measure)
    share = row.measure == "projected_within_18_weeks"
    show = fmt.percent if share else fmt.count
    change = ""
    if row.comparison is not None:
        delta = row.scenario - row.comparison
        better = delta > 0 if share else delta < 0
        if abs(delta) < (0.0005 if share else 0.5):
            change = "no change"
        else:
            amount = f"{abs(delta) * 100:.1f} points" if share else f"{abs(delta):,.0f}"
            change = f"{amount} {'better' if better else 'worse'}"
    return {
        "label": m.label,
        "definition": m.tooltip,
        "scenario": show(row.scenario),
        "comparison": show(row.comparison),
        "change": change,
    }
