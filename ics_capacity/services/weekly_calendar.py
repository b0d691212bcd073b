"""A scenario's calendar: read, add and remove its lines, and its weekly profiles for the models.

The lines (a week range and a change) live in `scenario_calendar_change`. With England's bank
holidays and the seasonal month indices estimated from the monthly flow history
(`projections.seasonality`, from the shared NHS data folder) they make the weekly profiles of
capacity (per site) and demand that the rebalancing model and the projections both use
(`scenario_profiles`), so the two never disagree about a week.

Week 1 starts the day after the scenario's RTT snapshot (the last day of its data month), as
the projections count their weeks; a scenario without a data month starts tomorrow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import CalendarChangeRow, Scenario, Site
from ics_capacity.domain.assumptions import (
    HUB_OPERATING_DAYS_PER_WEEK,
    MAIN_SITE_OPERATING_DAYS_PER_WEEK,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.domain.weekly_calendar import (
    FLAT,
    MAX_CALENDAR_WEEKS,
    CalendarChange,
    ChangeKind,
    ChangeTarget,
    SeasonalIndex,
    WeeklyProfiles,
    weekly_profiles,
)
from ics_capacity.importers.flows import read_flows
from ics_capacity.projections.seasonality import estimate_seasonality
from ics_capacity.services.scenarios import (
    EDITABLE_STATUSES,
    FieldValueError,
    ScenarioError,
    audit,
    checked_text,
    scenario_transaction,
)
from ics_capacity.settings import nhs_data_dir

log = logging.getLogger(__name__)

FLOW_HISTORY_FILE = "waiting_list_flow_by_ics_2020-04_2022-09.csv"
NOTE_MAX = 200
PREVIEW_WEEKS = 52
_TARGET_OF_KIND = {
    ChangeKind.CLOSED: ChangeTarget.CAPACITY,
    ChangeKind.OPENS: ChangeTarget.CAPACITY,
    ChangeKind.GROWTH: ChangeTarget.DEMAND,
}


@dataclass(frozen=True)
class CalendarLine:
    """One calendar line as the scenario page lists it."""

    id: int
    weeks: str
    description: str
    created_by: str


@dataclass(frozen=True)
class CalendarView:
    """A scenario's calendar: its lines, its sites, and the weekly profile they make."""

    lines: list[CalendarLine]
    sites: list[tuple[str, str]]  # (code, name)
    start_date: dt.date
    editable: bool
    bank_holidays: list[str]  # "week 1: May Day (Mon 4 May 2026)"
    capacity_by_week: list[float]  # share of the collaborative's usual site capacity open
    demand_by_week: list[float]
    seasonal_method: str


@lru_cache(maxsize=4)
def _seasonal_index(path: str, mtime: float) -> SeasonalIndex:
    estimated = estimate_seasonality(read_flows(path))
    # Demand stays flat: its month indices forecast clock starts far worse than a flat rate in
    # the backtest (MAPE 10.4% against 6.8%, docs/benchmarks.md). Capacity keeps its August and
    # December dips, which plans must show, though they too only tie with flat on this history.
    return replace(
        estimated,
        demand=FLAT.demand,
        method=f"{estimated.method}; demand flat (its indices lost to flat in the backtest)",
    )


def seasonal_index() -> SeasonalIndex:
    """The month indices of the shared flow history; flat (and logged) when the file is absent."""
    path = nhs_data_dir() / FLOW_HISTORY_FILE
    try:
        return _seasonal_index(str(path), path.stat().st_mtime)
    except OSError:
        log.warning("no flow history at %s: weekly profiles have no seasonality", path)
        return FLAT


def calendar_start(scenario: Scenario) -> dt.date:
    """The first day of week 1: the day after the scenario's RTT snapshot (or tomorrow)."""
    if scenario.data_period is None:
        return dt.date.today() + dt.timedelta(days=1)
    first = scenario.data_period.replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


def operating_days(sites: list[Site]) -> dict[str, int]:
    """Days a week each site runs elective lists: six at an elective hub, five elsewhere."""
    return {
        s.code: HUB_OPERATING_DAYS_PER_WEEK
        if s.is_elective_hub
        else MAIN_SITE_OPERATING_DAYS_PER_WEEK
        for s in sites
    }


def _changes(session: Session, scenario_id: int) -> list[tuple[CalendarChangeRow, CalendarChange]]:
    rows = session.exec(
        select(CalendarChangeRow)
        .where(CalendarChangeRow.scenario_id == scenario_id)
        .order_by(CalendarChangeRow.first_week, CalendarChangeRow.id)  # type: ignore[arg-type]
    ).all()
    return [
        (
            r,
            CalendarChange(
                first_week=r.first_week,
                last_week=r.last_week,
                target=ChangeTarget(r.target),
                kind=ChangeKind(r.kind),
                value=r.value,
                site=r.site_code,
                note=r.note,
            ),
        )
        for r in rows
    ]


def scenario_profiles(
    session: Session, scenario: Scenario, sites: Mapping[str, int], weeks: int
) -> WeeklyProfiles:
    """The weekly profiles of a scenario's sites and demand, read inside a checked use case.

    A line naming a site the scenario no longer has (deleted after the line was added) is left
    out rather than failing the solve or the projection.
    """
    assert scenario.id is not None
    changes = [c for _, c in _changes(session, scenario.id) if c.site is None or c.site in sites]
    return weekly_profiles(
        calendar_start(scenario), min(weeks, MAX_CALENDAR_WEEKS), sites, changes, seasonal_index()
    )


def read_calendar(token: str | None, scenario_id: int) -> CalendarView:
    """The scenario's calendar lines and the first year's weekly profile they make."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        session, scenario = use.session, use.scenario
        sites = list(
            session.exec(select(Site).where(Site.scenario_id == scenario_id).order_by(Site.code))
        )
        days = operating_days(sites)
        lines = [
            CalendarLine(
                id=int(row.id or 0),
                weeks=f"{row.first_week}"
                if row.kind == ChangeKind.OPENS
                else (
                    f"{row.first_week}-{row.last_week}"
                    if row.last_week != row.first_week
                    else f"{row.first_week}"
                ),
                description=change.describe(),
                created_by=row.created_by,
            )
            for row, change in _changes(session, scenario_id)
        ]
        profiles = scenario_profiles(session, scenario, days, PREVIEW_WEEKS)
        usual = sum(days.values()) or 1
        capacity = [
            round(sum(profiles.capacity[s][w] * days[s] for s in days) / usual, 4)
            for w in range(profiles.weeks)
        ]
        holidays = [
            f"week {week}: {', '.join(names)}"
            for week, names in sorted(profiles.bank_holidays.items())
        ]
        return CalendarView(
            lines=lines,
            sites=[(s.code, s.name) for s in sites],
            start_date=profiles.start,
            editable=scenario.status in EDITABLE_STATUSES,
            bank_holidays=holidays,
            capacity_by_week=capacity,
            demand_by_week=profiles.demand,
            seasonal_method=seasonal_index().method,
        )


def _whole_number(raw: str, what: str) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise FieldValueError(f"{what}: '{raw}' is not a whole number of weeks.") from None


def add_calendar_change(
    token: str | None,
    scenario_id: int,
    *,
    first_week: str,
    last_week: str,
    kind: str,
    value: str = "",
    site_code: str = "",
    note: str = "",
) -> int:
    """Adds a calendar line to a draft scenario; returns its id.

    `kind` is closed, percent (capacity, with a site; demand without), opens (a site, ramp
    weeks in `value`) or growth (demand, percent a year). A percent line without a site changes
    demand; with a site, that site's capacity.

    Raises:
        FieldValueError: every problem with the line, each naming its field.
    """
    try:
        change_kind = ChangeKind(kind.strip())
    except ValueError:
        raise FieldValueError(f"Change: '{kind}' is not a kind of calendar change.") from None
    site = site_code.strip().upper() or None
    target = _TARGET_OF_KIND.get(
        change_kind, ChangeTarget.CAPACITY if site else ChangeTarget.DEMAND
    )
    first = _whole_number(first_week, "First week")
    last = (
        first
        if change_kind == ChangeKind.OPENS or not str(last_week).strip()
        else (_whole_number(last_week, "Last week"))
    )
    number = 0.0
    if change_kind != ChangeKind.CLOSED:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise FieldValueError(f"Value: '{value}' is not a number.") from None
    note = checked_text(note.strip(), NOTE_MAX, "A note")
    change = CalendarChange(first, last, target, change_kind, number, site, note)
    problems = change.problems()
    if target == ChangeTarget.CAPACITY and site is None and change_kind != ChangeKind.PERCENT:
        problems.append("site: choose the site that closes or opens")
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        if (
            site is not None
            and not session.exec(
                select(Site.id).where(Site.scenario_id == scenario_id, Site.code == site)
            ).first()
        ):
            problems.append(f"site: {site} is not a site of '{scenario.name}'")
        if problems:
            raise FieldValueError("Calendar line not added: " + "; ".join(problems) + ".")
        row = CalendarChangeRow(
            scenario_id=scenario_id,
            first_week=change.first_week,
            last_week=change.last_week,
            target=change.target.value,
            kind=change.kind.value,
            value=change.value,
            site_code=site,
            note=note,
            created_by=principal.email,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            principal,
            scenario,
            "calendar.add",
            f"Calendar: {change.describe()}",
            entity="scenario_calendar_change",
            entity_id=row.id,
        )
        return int(row.id or 0)


def delete_calendar_change(token: str | None, scenario_id: int, change_id: int) -> None:
    """Removes a calendar line from a draft scenario."""
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        row = session.get(CalendarChangeRow, change_id)
        if row is None or row.scenario_id != scenario_id:
            raise ScenarioError("That calendar line is not in this scenario.")
        found = dict((r.id, c) for r, c in _changes(session, scenario_id))
        words = found[row.id].describe() if row.id in found else f"line {change_id}"
        session.execute(sa.delete(CalendarChangeRow).where(col(CalendarChangeRow.id) == change_id))
        audit(
            session,
            principal,
            scenario,
            "calendar.delete",
            f"Calendar: removed '{words}'",
            entity="scenario_calendar_change",
            entity_id=change_id,
        )
