"""A rebalancing plan at the grain of "who moves where", as rows and one sentence.

Trust -> site by treatment function, month and wait band, with the names the plan's codes stand
for (`PlanNames`). Rows name their pathway stage: treatment (the admitted list) or a first
outpatient appointment (the non-admitted list, when the run moved patients before their first
appointment); `first_appointments` lists the latter moved to another trust's clinic.

Pure: reads a finished run's result (a `RebalanceResult`); `services/rebalance_view.py` fetches it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.services.overview import WaitingCounts
from ics_capacity.services.results import RebalanceResult

STAGE_WORDS = {"admitted": "treatment", "non_admitted": "first outpatient appointment"}
"""A plan row's stage as the page and the download say it."""

WAIT_GROUPS: tuple[tuple[int, int | None, str], ...] = (
    (0, 18, "under 18 weeks"),
    (18, 40, "18 to 40 weeks"),
    (40, 52, "40 to 52 weeks"),
    (52, None, "52 weeks or more"),
)
"""Wait bands of a moved cohort, in whole weeks waited when treated: [low, high)."""

MOVES_COLUMNS = {
    "trust": "From trust",
    "specialty": "Treatment function",
    "site": "Treated at",
    "month": "From the week starting in",
    "wait_band": "Waited when treated",
    "travel_minutes": "Travel (minutes)",
    "patients": "Patients",
    "moved": "Moves to another provider",
    "stage": "Pathway stage",
    "trust_code": "Trust ODS code",
    "tfc": "Treatment function code",
    "site_code": "Site code",
}
"""The who-moves-where grain: column -> heading of the page's table and of the download."""

MOVES_SHOWN = 60
"""Moved cohorts the page lists (largest first); the download has them all."""


@dataclass(frozen=True)
class PlanNames:
    """Names the plan's codes stand for, and the scenario's figures its scope is told against."""

    trusts: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)
    start: dt.date | None = None
    members: WaitingCounts = field(default_factory=WaitingCounts)


def wait_group(band: int) -> str:
    """The wait group of a cohort treated after `band` whole weeks of waiting."""
    for low, high, name in WAIT_GROUPS:
        if band >= low and (high is None or band < high):
            return name
    return WAIT_GROUPS[-1][2]


def week_start(start: dt.date, week: int) -> dt.date:
    """The first day of plan week `week` (week 1 starts the day after the snapshot month)."""
    return start + dt.timedelta(days=7 * (week - 1))


def who_moves_where(
    result: RebalanceResult,
    names: PlanNames,
    *,
    moved_only: bool = False,
    stage: str | None = None,
) -> pd.DataFrame:
    """The plan at the grain trust -> site by treatment function, month and wait group.

    Each row sums the plan's patients of one trust's list treated at one site in the weeks that
    start in one month, whose wait when treated falls in one wait group. Travel is the trust's
    travel time to the site (the same for every cohort of the pair).

    Args:
        result: A finished rebalancing run.
        names: Trust and site names, and the plan's first day (the day after the snapshot month).
        moved_only: Keep only patients treated by another provider than their own trust.
        stage: Keep only rows of this pathway stage ("admitted" or "non_admitted"); None keeps
            both, each row naming its stage.

    Returns:
        Columns of `MOVES_COLUMNS` (month as the first day of the month), ordered by trust,
        treatment function, site, month and wait group.
    """
    start = names.start or dt.date(2000, 1, 1)
    order = {name: i for i, (_, _, name) in enumerate(WAIT_GROUPS)}
    cells: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in result.plan:
        if (moved_only and not row.transfer) or (stage is not None and row.stage != stage):
            continue
        first = week_start(start, row.week)
        key = (
            row.provider,
            row.tfc,
            row.hub,
            dt.date(first.year, first.month, 1),
            wait_group(row.wait_band_weeks),
            bool(row.transfer),
            row.stage,
        )
        cell = cells[key]
        cell[0] += row.patients
        cell[1] = max(cell[1], row.travel_minutes)
    records = [
        {
            "trust": names.trusts.get(provider, provider),
            "specialty": SHORT_NAMES.get(tfc, tfc),
            "site": names.sites.get(hub, hub),
            "month": month,
            "wait_band": group,
            "travel_minutes": round(travel),
            "patients": round(patients, 1),
            "moved": "yes" if moved else "no",
            "stage": STAGE_WORDS.get(row_stage, row_stage),
            "trust_code": provider,
            "tfc": tfc,
            "site_code": hub,
            "_order": order[group],
        }
        for (provider, tfc, hub, month, group, moved, row_stage), cell in cells.items()
        for patients, travel in [cell]
        if patients >= 0.05
    ]
    frame = pd.DataFrame(records, columns=[*MOVES_COLUMNS, "_order"])
    frame = frame.sort_values(
        ["stage", "trust", "specialty", "site", "month", "_order"], kind="stable"
    )
    return frame.drop(columns="_order").reset_index(drop=True)


def _about(patients: float) -> str:
    """A count as people say it: about 1,400; about 90; 7."""
    if patients >= 1000:
        return f"About {round(patients, -2):,.0f}"
    if patients >= 100:
        return f"About {round(patients, -1):,.0f}"
    return f"About {max(1, round(patients)):,}"


def moves_sentence(moves: pd.DataFrame) -> str:
    """One sentence on the plan's biggest move; "" when nobody moves.

    E.g. "About 1,400 patients of Walsall Healthcare NHS Trust's Trauma and Orthopaedics list
    who have waited 40 to 52 weeks go to Cannock Chase Hospital from May 2026 (25 minutes'
    travel); in all the plan moves 3,210 patients."
    """
    moved = moves[moves["moved"] == "yes"]
    if moved.empty:
        return ""
    cohorts = moved.groupby(["trust", "specialty", "site", "wait_band"], sort=False).agg(
        patients=("patients", "sum"), month=("month", "min"), travel=("travel_minutes", "max")
    )
    ranked = cohorts.sort_values("patients", ascending=False, kind="stable")
    trust, specialty, site, group = (str(x) for x in ranked.index[0])
    top = ranked.iloc[0]
    total = moved["patients"].sum()
    return (
        f"{_about(top['patients'])} patients of {trust}'s {specialty} list who have waited "
        f"{group} go to {site} from {top['month']:%B %Y} ({top['travel']:.0f} minutes' travel); "
        f"in all the plan moves {total:,.0f} patients."
    )


def first_appointments(result: RebalanceResult, names: PlanNames) -> list[dict[str, str]]:
    """First outpatient appointments moved to another trust's clinic, by trust, site, specialty.

    Empty when the run did not include the non-admitted stage or moved nobody before a first
    appointment. Largest first.
    """
    moved: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in result.plan:
        if row.stage == "non_admitted" and row.transfer:
            cell = moved[(row.provider, row.hub, row.tfc)]
            cell[0] += row.patients
            cell[1] = max(cell[1], row.travel_minutes)
    return [
        {
            "trust": names.trusts.get(provider, provider),
            "site": names.sites.get(hub, hub),
            "specialty": SHORT_NAMES.get(tfc, tfc),
            "patients": f"{round(patients):,}",
            "travel_minutes": f"{travel:.0f}",
        }
        for (provider, hub, tfc), (patients, travel) in sorted(
            moved.items(), key=lambda kv: -kv[1][0]
        )
        if patients >= 0.5
    ]


def first_appointments_note(result: RebalanceResult) -> str:
    """The non-admitted stage in a sentence: in the run or not, seen and moved."""
    m = result.metrics
    staged = any(q.stage == "non_admitted" for q in result.queues)
    if m is None or not staged:
        return (
            "This run moved only patients with a decision to admit. Tick 'Move patients before "
            "their first outpatient appointment' to plan the non-admitted lists too."
        )
    weeks = result.settings.horizon_weeks if result.settings else None
    over = f" over {weeks} weeks" if weeks else ""
    return (
        f"Before a decision to admit, the plan gives {m.non_admitted_seen:,.0f} first outpatient "
        f"appointments{over}, {m.non_admitted_transfers:,.0f} of them in another trust's "
        "clinic. The non-admitted lists are RTT Part_2 − Part_2A (everyone waiting without a "
        "decision to admit, mostly before a first appointment) and the clinics see a multiple of "
        "each trust's non-admitted completions a week (docs/assumptions.md, 11c); these moves use "
        "no theatre, bed or day-case place."
    )
