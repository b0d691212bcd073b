"""The Dashboard's pure view builders: a projection or target report in, plain rows and text out.

No state and no components here, so each is unit-testable with a hand-built projection.
"""

from __future__ import annotations

import urllib.parse

from ics_capacity.domain.measures import label, tooltip
from ics_capacity.services.dashboard import rag_date
from ics_capacity.services.dashboard_questions import CapacityAnswer, default_capacity_question
from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.projections import (
    ScenarioProjection,
    comparison_removal_figures,
    removal_figures,
)
from ics_capacity.services.targets import TargetReport
from ics_capacity.ui.components import format as fmt

HEADLINE: tuple[tuple[str, str, str], ...] = (
    # (measure now, measure at the horizon, projection column): labels from the catalogue
    ("waiting_list", "projected_waiting_list", "list_size"),
    ("within_18_weeks", "projected_within_18_weeks", "pct_within_18"),
    ("over_52_weeks", "projected_over_52_weeks", "over_52"),
    ("over_65_weeks", "projected_over_65_weeks", "over_65"),
    ("p92_wait", "projected_p92_wait", "p92_wait_weeks"),
)


def headline_cards(
    projection: ScenarioProjection, provider: int | None = None
) -> list[dict[str, str]]:
    """The headline cards for the collaborative, or for one member trust (`provider`)."""
    if provider is None:
        total = projection.deterministic.frame("total")
    else:
        frame = projection.deterministic.frame("provider")
        total = frame[frame["provider"] == provider].sort_values("week")
    now, end = total.iloc[0], total.iloc[-1]
    weeks = int(end["week"])
    at = rag_date(projection.start_date, weeks) if projection.start_date else None
    shows = {
        "pct_within_18": lambda v: f"{v:.1f}%",
        "p92_wait_weeks": lambda v: f"{v:.0f} weeks",
    }
    items = []
    for now_key, then_key, column in HEADLINE:
        show = shows.get(column, fmt.count)
        change = end[column] - now[column]
        better = change > 0 if column == "pct_within_18" else change < 0
        items.append(
            {
                "label": label(now_key),
                "definition": f"Now: {tooltip(now_key)} Projected: {tooltip(then_key)}",
                "now": show(now[column]),
                "then": show(end[column]),
                "when": f"in {weeks} weeks" + (f" ({at:%d %b %Y})" if at else ""),
                "trend": "better" if better else ("same" if abs(change) < 1e-9 else "worse"),
            }
        )
    return items


def removal_text(projection: ScenarioProjection, provider: int | None = None) -> dict[str, str]:
    """Who leaves the list over the projection: treated, and removed by validation, apart.

    With the comparison's figures ("without the plan") beside them, so a plan that shortens the
    list only by assuming more validation is seen as such. `compared_name` is "" without one.
    """
    figures = removal_figures(projection, provider)
    compared = comparison_removal_figures(projection, provider)
    without = {"compared_name": "", "compared": "", "compared_basis": "", "compared_more": ""}
    if compared is not None:
        other = projection.baseline_name or "the comparison"
        more = figures.removed_by_validation - compared.removed_by_validation
        without = {
            "compared_name": f"Without the plan ({other})",
            "compared": (
                f"treated {fmt.count(compared.treated)} · removed by validation, not treated "
                f"{fmt.count(compared.removed_by_validation)} "
                f"({compared.validation_share:.0%} of those leaving the list)"
            ),
            "compared_basis": compared.basis,
            "compared_more": (
                f"This scenario assumes {fmt.count(more)} more patients removed by validation "
                f"than {other}: that part of a shorter list is validation, not treatment."
                if more >= 0.5
                else ""
            ),
        }
    return {
        "treated_label": label("projected_treated"),
        "treated_definition": tooltip("projected_treated"),
        "treated": fmt.count(figures.treated),
        "validated_label": label("projected_removed_by_validation"),
        "validated_definition": tooltip("projected_removed_by_validation"),
        "validated": fmt.count(figures.removed_by_validation),
        "validated_share": f"{figures.validation_share:.0%}",
        "weeks": f"over {figures.weeks} weeks",
        "basis": figures.basis,
        **without,
    }


def rag_rows(projection: ScenarioProjection) -> list[dict[str, str]]:
    """The RAG as rows of text (trust, target, status, projected share) for narrow screens."""
    rated = projection.rag[projection.rag["status"] != "Not projected"]
    return [
        {
            "trust": str(row["provider"]),
            "target": str(row["target"]),
            "status": str(row["status"]),
            "value": f"{row['value']:.1f}%",
        }
        for _, row in rated.iterrows()
    ]


def rag_note(projection: ScenarioProjection) -> str:
    """How the RAG is rated, with each target's date; "" without a dated projection."""
    rated = projection.rag.dropna(subset=["week"])
    if rated.empty or projection.start_date is None:
        return ""
    parts = []
    for target, week in rated.groupby("target", sort=False)["week"].first().items():
        parts.append(f"{target}: {rag_date(projection.start_date, int(week)):%d %B %Y}")
    return (
        "Rated on the projection of all pathways of the member trusts, each target at its "
        "date (" + "; ".join(parts) + "). Targets due before the data are not projected."
    )


def target_value(kind: str, value: float | None) -> str:
    """A target's figure as text: a share in %, or a count of patients."""
    if value is None:
        return fmt.NOT_AVAILABLE
    return f"{value:.1f}%" if kind == "min_within_18" else fmt.count(value)


TIMING = "timing"
"""Shown for a missed target that the scenario's average treatment a week would meet."""

TARGET_KEYS = (
    "trust",
    "target",
    "with_plan",
    "without_plan",
    "status",
    "shortfall",
    "treatments",
    "sessions",
)


def target_rows(report: TargetReport) -> list[dict[str, str]]:
    """Each trust against each dated target, as text."""
    rows = []
    for r in report.rows:
        if r.shortfall is None:
            short = fmt.NOT_AVAILABLE
        elif r.unit == "patients":
            short = fmt.count(r.shortfall)
        else:
            short = f"{r.shortfall:.1f} points"
        rows.append(
            {
                "trust": r.trust,
                "target": r.target,
                "with_plan": target_value(r.kind, r.with_plan),
                "without_plan": target_value(r.kind, r.without_plan),
                "status": r.status,
                "shortfall": short,
                "treatments": fmt.NOT_AVAILABLE
                if r.extra_treatments_per_week is None
                else f"0 ({TIMING})"
                if r.extra_treatments_per_week < 0.5
                else fmt.count(r.extra_treatments_per_week),
                "sessions": fmt.NOT_AVAILABLE
                if r.extra_sessions_per_week is None
                else fmt.decimal(r.extra_sessions_per_week),
            }
        )
    return rows


def target_note(report: TargetReport) -> str:
    """The sentences under the targets table: who misses, the comparison, the caveats."""
    missed = sorted({r.trust for r in report.rows if r.met is False})
    late = sorted({r.target for r in report.rows if r.met is None})
    comparison = (
        f"'Without the plan' is {report.comparison[0].lower()}{report.comparison[1:]}."
        if report.comparison
        else "This is the baseline: there is no plan to compare it with."
    )
    parts = [
        f"{len(missed)} of {len({r.trust for r in report.rows})} trusts miss at least one target."
        if missed
        else "Every trust meets every target projected.",
        comparison,
    ]
    if any(r.met is False and (r.extra_treatments_per_week or 0) < 0.5 for r in report.rows):
        parts.append(
            f"'0 ({TIMING})': with the scenario's own treatment held at its average a week up "
            "to the date the trust meets the target, so the miss comes from when treatment "
            "falls (the calendar's short weeks), not how much."
        )
    if late:
        parts.append(
            f"Beyond this {report.horizon_weeks}-week horizon or before the data, so not "
            f"projected: {'; '.join(late)}."
        )
    parts.append(report.caveat)
    return " ".join(parts)


HORIZONS = ("52", "104")


def page_vars(
    projection: ScenarioProjection, targets: TargetReport, specs: dict[str, dict], unit: str
) -> dict[str, object]:
    """The Dashboard's vars for the collaborative ('') or one member trust's id, by var name.

    The page assigns only those that differ from what it shows (`ui/state/changes.py`), so a
    trust switch sends the trust's charts and figures; the collaborative-level ones (the RAG,
    the utilisation heatmaps, the targets) are equal for every trust and are not sent again.
    """
    provider = int(unit) if unit else None
    capacity_target, capacity_by = default_capacity_question(projection)
    return {
        "projected_name": projection.scenario_name,
        "headline": headline_cards(projection, provider),
        "removal": removal_text(projection, provider),
        "capacity_target": capacity_target,
        "capacity_by": capacity_by,
        "rag_note": rag_note(projection),
        "rag_rows": rag_rows(projection),
        "target_rows": target_rows(targets),
        "target_note": target_note(targets),
        "has_plan": projection.baseline is not None,
        "trusts": [
            {"id": str(k), "name": v}
            for k, v in sorted(projection.names.items(), key=lambda kv: kv[1])
        ],
        "unit": unit,
        "unit_name": projection.names.get(provider, "") if provider else "",
        **chart_vars(specs),
    }


def chart_vars(specs: dict[str, dict]) -> dict[str, object]:
    """The chart vars for these specs, and whether the utilisation chart has anything to show."""
    return {**specs, "has_utilisation": bool(specs.get("utilisation_chart"))}


def share_link(scenario_id: int, unit: str, horizon: int) -> str:
    """The dashboard's address for this view, to bookmark or send to a colleague."""
    query = {"scenario": scenario_id, "horizon": horizon} | ({"trust": unit} if unit else {})
    return "/dashboard?" + urllib.parse.urlencode(query)


def weeks_of(raw: str) -> int:
    """The horizon chosen, in weeks; a clear message if it is not a number."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInputError(f"Horizon: '{raw}' is not a number of weeks.") from None


def capacity_rows(answer: CapacityAnswer) -> list[dict[str, str]]:
    """The capacity question's answer, a row of text per trust."""
    return [
        {
            "trust": row.trust,
            "now": fmt.count(row.now),
            "needed": fmt.count(row.needed),
            "extra": fmt.count(row.short),
            "spare": fmt.count(row.spare),
            "projected": fmt.NOT_AVAILABLE
            if row.projected_percent is None
            else f"{row.projected_percent:.1f}%",
            "status": row.status,
        }
        for row in answer.rows
    ]


def capacity_note(answer: CapacityAnswer) -> str:
    """What the capacity figures mean: the target, its date, and how the need is worked out."""
    return (
        f"Treatments a week each trust needs so that {answer.target_percent:.0f}% of its "
        f"patients wait 18 weeks or less by {answer.by_date:%d %B %Y} (week "
        f"{answer.by_week} after the data of {answer.data_date:%d %B %Y}), treating longest "
        "waiters first; demand as now; treatment now is the scenario's own projection, the one "
        "the RAG rates. Each specialty's list must reach the target with its own "
        "treatment: a trust can need fewer treatments in all and still miss the target when "
        "its spare capacity is in other specialties."
    )
