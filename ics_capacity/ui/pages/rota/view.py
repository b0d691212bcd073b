"""The Rota page's pure view builders: the grid, the needs, and every sentence the page shows.

They read a `RotaOutcome` (and the filters) and return plain data, so they are unit-tested
with hand-built outcomes (`tests/unit/test_rota_view.py`), no database and no Reflex state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from ics_capacity.services.errors import InvalidInputError
from ics_capacity.services.results import RotaOutcome, SessionRow
from ics_capacity.services.rota import KIND_LABELS, MAX_WEEKS, STAFF_ROLE_LABELS, RotaSettings
from ics_capacity.services.rota_published import PublishedView
from ics_capacity.ui import theme

SECONDS_PER_WEEK = 10
MAX_TIME_LIMIT = 600
"""A build's time limit follows its weeks (10 s a week, at most 600 s) until the planner sets it."""
# Site colours with white text: each passes WCAG 2.2 AA contrast (4.5:1) for normal text.
SITE_COLOURS = (theme.NHS_DARK_BLUE, theme.NHS_GREEN, "#330072", "#7C2855", "#425563", "#8A1538")
SHORT_KIND = {"AM": "AM", "PM": "PM", "DAY": "Day", "LD": "LD", "N": "Night"}
ROLE_NAMES = {r.value: label for r, label in STAFF_ROLE_LABELS.items()}
ROLE_FILTERS = [("", "All roles"), *ROLE_NAMES.items()]
CODE_LEGEND = [
    {"code": "AM", "meaning": "Morning half of a theatre list (from 08:00)"},
    {"code": "PM", "meaning": "Afternoon half of a theatre list"},
    {"code": "Day", "meaning": "Whole theatre list day (covers AM and PM)"},
    {"code": "LD", "meaning": "Ward long day, 07:30 to 20:00"},
    {"code": "Night", "meaning": "Ward night, 19:30 to 08:00"},
    {"code": "Leave", "meaning": "On leave (no shift)"},
    {"code": "–", "meaning": "Off"},
    {"code": "🔒", "meaning": "Locked: every build keeps this cell (yellow border)"},
    {"code": "🔒 → PM", "meaning": "Locked since this rota was built: the next build applies it"},
]


def auto_time_limit(weeks: int) -> int:
    """The time limit a build of this many weeks gets unless the planner sets one."""
    return max(1, min(MAX_TIME_LIMIT, SECONDS_PER_WEEK * weeks))


@dataclasses.dataclass
class Cell:
    """One person's day in the grid."""

    text: str
    aria: str
    background: str
    colour: str
    border: str
    staff: str
    date: str
    locked: bool


@dataclasses.dataclass
class GridRow:
    """One person's row of the grid for the week shown."""

    code: str
    label: str
    role: str
    trust: str
    hours: str
    cells: list[Cell]


@dataclasses.dataclass
class NeedCell:
    """Staffed / wanted for one slot on one day."""

    text: str
    aria: str
    background: str
    colour: str


@dataclasses.dataclass
class NeedRow:
    """One site's slot and skill across the week shown."""

    label: str
    cells: list[NeedCell]


def pounds(pence: float) -> str:
    """Pence as whole pounds ("£1,235")."""
    return f"£{pence / 100:,.0f}"


def grid_rows(
    outcome: RotaOutcome, week: int, role: str, site_colour: dict[str, str], only_rostered: bool
) -> list[GridRow]:
    """The staff grid's rows for the week shown, filtered by role and by "rostered"."""
    dates = outcome.dates
    days = range(week * 7, min(len(dates), week * 7 + 7))
    shifts = outcome.shifts
    locks = {(lk.staff_id, lk.day): lk.shift_id or "" for lk in outcome.locked}
    rows = []
    for person in outcome.staff:
        if role and person.role != role:
            continue
        if only_rostered and not any(
            person.cells[d].shift or (person.code, d) in locks for d in days
        ):
            continue
        cells = []
        for day in days:
            c = person.cells[day]
            date = dt.date.fromisoformat(dates[day])
            when = f"{date:%a %d %b}"
            if c.shift:
                meta = shifts[c.shift]
                text = f"{meta.site[:3]} {SHORT_KIND[meta.kind]}"
                aria = f"{person.label}, {when}: {meta.label}"
                background, colour = site_colour.get(meta.site, theme.NHS_BLUE), "#FFFFFF"
            elif c.leave:
                text, aria = "Leave", f"{person.label}, {when}: on leave"
                background, colour = theme.NHS_BORDER, theme.NHS_TEXT
            else:
                text, aria = "–", f"{person.label}, {when}: off"
                background, colour = "#FFFFFF", theme.NHS_SECONDARY_TEXT
            target = locks.get((person.code, day))
            if target is not None and target != c.shift:
                # Locked since this rota was built: the next build applies it.
                to = shifts[target].label if target in shifts else "a day off"
                text = f"🔒 → {SHORT_KIND[shifts[target].kind] if target in shifts else 'off'}"
                aria = f"{aria} (locked to {to} from the next build)"
            elif c.locked:
                text, aria = f"🔒 {text}", f"{aria} (locked)"
            cells.append(
                Cell(
                    text=text,
                    aria=aria,
                    background=background,
                    colour=colour,
                    border=f"3px solid {theme.NHS_WARM_YELLOW}"
                    if c.locked
                    else f"1px solid {theme.NHS_BORDER}",
                    staff=person.code,
                    date=dates[day],
                    locked=c.locked,
                )
            )
        hours = person.minutes / 60
        role_name = ROLE_NAMES.get(person.role, person.role)
        rows.append(
            GridRow(
                code=person.code,
                label=person.label,
                role=f"{role_name} · based at {person.home_site_name}"
                if person.home_site_name
                else role_name,
                trust=person.trust_name or person.trust,
                hours=f"{hours:,.1f} h",
                cells=cells,
            )
        )
    return rows


def need_rows(outcome: RotaOutcome, week: int) -> list[NeedRow]:
    """The hub grid's rows: each site's slot and skill, staffed / wanted per day."""
    dates = outcome.dates
    days = list(range(week * 7, min(len(dates), week * 7 + 7)))
    grouped: dict[tuple[str, str, str], dict[int, SessionRow]] = {}
    for s in outcome.sessions:
        if s.day in days:
            grouped.setdefault((s.site, s.kind, s.skill), {})[s.day] = s
    order = {"AM": 0, "PM": 1, "LD": 2, "N": 3}
    rows = []
    for (site, kind, skill), by_day in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9), kv[0][2])
    ):
        label = f"{site} · {KIND_LABELS[kind]} · {skill_label(skill)}"
        cells = []
        for day in days:
            slot = by_day.get(day)
            if slot is None:
                cells.append(NeedCell("", f"{label}: nothing needed", "#FFFFFF", theme.NHS_TEXT))
                continue
            text = f"{slot.staffed}/{slot.required}"
            if slot.short:
                cells.append(
                    NeedCell(
                        text,
                        f"{label}, {dates[day]}: {slot.short} short",
                        theme.NHS_RED,
                        "#FFFFFF",
                    )
                )
            else:
                cells.append(
                    NeedCell(
                        text, f"{label}, {dates[day]}: fully staffed", "#FFFFFF", theme.NHS_TEXT
                    )
                )
        rows.append(NeedRow(label=label, cells=cells))
    return rows


def dates_of(when: str, dates: Sequence[str]) -> str:
    """The solver's "day 3" / "days 2-8" as the dates they are ("Thu 10 Dec")."""

    def date(match: re.Match[str]) -> str:
        day = int(match.group(0))
        return f"{dt.date.fromisoformat(dates[day]):%a %d %b}" if day < len(dates) else str(day)

    return re.sub(r"\d+", date, re.sub(r"^days? ", "", when)) if when.startswith("day") else when


def unavoidable(places_short: int | None, lower_bound: int | None) -> str:
    """Places short of required cover against the proven least any rota could leave."""
    if places_short is None:
        return ""
    short = f" Required cover: {places_short:,} place{'s' if places_short != 1 else ''} short"
    if lower_bound is None:
        return short + "; no lower bound was proven in time."
    return short + (
        f"; proven lower bound {lower_bound:,}: no rota keeping the hard rules can leave fewer "
        "with these staff (places short above it are the search's, up to it the staffing's)."
    )


def how_it_stopped(status: str, stopped: str) -> str:
    """How the search ended, honestly: proven, asked to stop, stalled or out of time."""
    if status == "optimal":
        return " The search stopped because the rota is proven best."
    if stopped == "asked":
        return " The search was stopped on request; this is the best rota it had found."
    if stopped:
        return f" The search stopped itself: {stopped}."
    if status == "feasible":
        return " The search ran to its time limit; a longer one might find a better rota."
    return ""


def skill_label(skill: str) -> str:
    """A cover skill in words ("Surgeon (urology)", a role's label)."""
    if skill.startswith("surgeon:"):
        return f"Surgeon ({skill.split(':', 1)[1]})"
    return next((label for r, label in STAFF_ROLE_LABELS.items() if r.value == skill), skill)


def shift_name(outcome: RotaOutcome, shift: str) -> str:
    """A shift as the page names it ("Off" for none; the id when the rota no longer has it)."""
    if not shift:
        return "Off"
    meta = outcome.shifts.get(shift)
    return shift if meta is None else meta.label


# --- The sentences and tables of a rota shown ---------------------------------------------------


def infeasible_lines(outcome: RotaOutcome) -> list[str]:
    """The conflicting rules of an infeasible build, one line each."""
    return [
        f"{b.name} for {b.where}" + (f" ({b.when})" if b.when else "")
        for b in outcome.infeasible_because
    ]


def stats_text(outcome: RotaOutcome) -> str:
    """The solver's honest statistics, how it stopped and the unavoidable places short."""
    stats = outcome.stats
    gap = "–" if stats.gap is None else f"{stats.gap:.2%}"
    bound = "–" if stats.bound is None else pounds(stats.bound)
    objective = "–" if stats.objective is None else pounds(stats.objective)
    return (
        f"Status {stats.status}; objective {objective}, best bound {bound}, gap {gap}; "
        f"{stats.wall_seconds:.1f} s of a {stats.time_limit_seconds:g} s limit on "
        f"{stats.num_workers} workers (seed {stats.seed}, OR-Tools "
        f"{stats.ortools_version}). Rule pack: {outcome.rule_pack}."
        + how_it_stopped(stats.status, stats.stopped)
        + unavoidable(stats.places_short, stats.places_short_lower_bound)
    )


def cost_headline(outcome: RotaOutcome) -> str:
    """The rota's cost as one sum: substantive + bank staff + the bank and agency pools."""
    cost = outcome.cost
    gaps = cost.agency_gaps
    return (
        f"Cost of the rota: {pounds(cost.total_pence)} = substantive staff "
        f"{pounds(cost.substantive.pence)} + bank staff {pounds(cost.bank.pence)} + "
        f"bank pool {pounds(cost.bank_pool.pence)} + agency pool "
        f"{pounds(cost.agency_pool.pence)}; {gaps.places:,} "
        f"place{'s' if gaps.places != 1 else ''} left short"
    )


def pooled_text(outcome: RotaOutcome) -> str:
    """Places short of staff, what the bank and agency pools fill, and what is left short."""
    cost = outcome.cost
    pooled = cost.bank_pool.places + cost.agency_pool.places
    short = pooled + cost.agency_gaps.places
    if not pooled:
        return f"{short:,} places short"
    return (
        f"{short:,} places short of staff: {cost.bank_pool.places:,} filled from the bank pool, "
        f"{cost.agency_pool.places:,} from the agency pool, {cost.agency_gaps.places:,} left short"
    )


def headline(outcome: RotaOutcome) -> str:
    """What the rota is, its gaps, the checker's verdict, bank holidays, history and late weeks."""
    names = sorted({m.site_name for m in outcome.shifts.values()})
    first, last = (dt.date.fromisoformat(d) for d in (outcome.dates[0], outcome.dates[-1]))
    weeks = outcome.settings.weeks
    text = (
        f"Rota for {' and '.join(names)}, {first:%a %d %b} to {last:%a %d %b %Y} "
        f"({weeks} week{'s' if weeks != 1 else ''}): "
        f"{len(outcome.assignments):,} shifts for {len(outcome.staff)} staff; "
        + pooled_text(outcome)
        + "; checked by the independent checker: "
        + ("no rule broken." if not outcome.hard_violations else "RULES BROKEN.")
    )
    late = [
        dates_of(b.where, outcome.dates) for b in outcome.binding_limits if b.name == "time limit"
    ]
    closed = [
        f"{dt.date.fromisoformat(d):%a %d %b} ({name})" for d, name in outcome.bank_holidays.items()
    ]
    if closed:
        opted = ", ".join(outcome.bank_holiday_list_sites)
        text += f" Bank holidays: {', '.join(closed)}: " + (
            f"no theatre lists except at {opted}; wards staffed."
            if opted
            else "no theatre lists; wards staffed."
        )
    if outcome.history is not None:
        used = outcome.history
        text += (
            f" History carried in from the {used.source}: {used.shifts:,} shifts of "
            f"{used.people} staff in the {used.days} days before; runs, rest and weekends "
            "are judged across the join."
        )
    if late:
        text += (
            f" No rota was found in time for {', '.join(late)}: only their locks are worked;"
            " give the build more time."
        )
    return text


def compliance_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """The compliance table: each rule, hard or soft, its breaches and the people at the limit."""
    return [
        {
            "rule": r.rule,
            "mode": r.mode,
            "breaches": str(r.breaches),
            "at_limit": str(r.at_limit),
        }
        for r in outcome.compliance
    ]


def cost_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """The cost table: substantive and bank staff, bank and agency pools, left short, total."""
    cost = outcome.cost
    gaps = cost.agency_gaps
    return [
        {
            "source": "Substantive staff",
            "shifts": f"{cost.substantive.shifts:,}",
            "hours": f"{cost.substantive.hours:,.1f}",
            "cost": pounds(cost.substantive.pence),
        },
        {
            "source": "Bank staff",
            "shifts": f"{cost.bank.shifts:,}",
            "hours": f"{cost.bank.hours:,.1f}",
            "cost": pounds(cost.bank.pence),
        },
        *(
            {
                "source": source,
                "shifts": f"{line.places:,}",
                "hours": "",
                "cost": pounds(line.pence),
            }
            for source, line in (
                ("Bank pool", cost.bank_pool),
                ("Agency pool", cost.agency_pool),
                ("Left short (at the agency cap, not spent)", gaps),
            )
        ),
        {
            "source": "Total",
            "shifts": "",
            "hours": "",
            "cost": pounds(cost.total_pence),
        },
    ]


def limit_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """What binds: the first 30 limits with a shortfall, their days as dates."""
    return [
        {
            "limit": b.name,
            "where": b.where,
            "when": dates_of(b.when, outcome.dates),
            "by": str(b.shortfall),
            "unit": b.unit,
        }
        for b in outcome.binding_limits
        if b.shortfall > 0
    ][:30]


def change_rows(outcome: RotaOutcome) -> list[dict[str, str]]:
    """Each published day the build changed: who, when, was, now and why."""
    return [
        {
            "person": f"{c.label} ({c.staff_id})" if c.label != c.staff_id else c.staff_id,
            "date": f"{dt.date.fromisoformat(c.date):%a %d %b}",
            "was": shift_name(outcome, c.was),
            "now": shift_name(outcome, c.now),
            "why": c.why or "to meet cover or keep a rule",
        }
        for c in outcome.published_changes
    ]


def changes_note(outcome: RotaOutcome) -> str:
    """Which published rota the build kept where possible, and how many of its days changed."""
    kept = outcome.published
    return (
        ""
        if kept is None
        else f"Kept the rota published on {kept.published_at} by {kept.published_by} where "
        f"possible ({kept.days} shared days): "
        + (
            f"{len(outcome.published_changes)} published "
            f"day{'s' if len(outcome.published_changes) != 1 else ''} changed, listed below."
            if outcome.published_changes
            else "no published day changed."
        )
    )


def site_colours(outcome: RotaOutcome) -> dict[str, str]:
    """One colour per site of the rota, in site order."""
    sites = sorted({m.site for m in outcome.shifts.values()})
    return {s: SITE_COLOURS[i % len(SITE_COLOURS)] for i, s in enumerate(sites)}


def day_headers(outcome: RotaOutcome, week: int) -> list[dict[str, str]]:
    """The grid's column headers for the week shown: date, weekend, bank holiday."""
    dates = outcome.dates[week * 7 : week * 7 + 7]
    return [
        {
            "label": f"{dt.date.fromisoformat(d):%a %d %b}",
            "weekend": "1" if dt.date.fromisoformat(d).weekday() >= 5 else "",
            "holiday": "Bank holiday" if d in outcome.bank_holidays else "",
        }
        for d in dates
    ]


def site_legend(outcome: RotaOutcome, colours: dict[str, str]) -> list[dict[str, str]]:
    """The key to the grid's sites: short code, name (code) and colour."""
    return [
        {
            "code": site[:3],
            "name": next(m.site_name for m in outcome.shifts.values() if m.site == site)
            + f" ({site})",
            "colour": colours[site],
        }
        for site in sorted(colours)
    ]


def published_rows(views: Sequence[PublishedView]) -> list[dict[str, str]]:
    """The scenario's publications: period, by, when, run and whether still current."""
    return [
        {
            "id": str(v.id),
            "period": f"{v.first_date} to {v.last_date}",
            "by": v.published_by,
            "at": v.published_at,
            "run": "" if v.job_id is None else str(v.job_id),
            "state": "Current" if v.current else f"Superseded {v.superseded_at}",
        }
        for v in views
    ]


def published_note(views: Sequence[PublishedView], outcome: RotaOutcome | None, job_id: int) -> str:
    """The "Published on … by …" note for the period of the rota shown (build `job_id`)."""
    shown = (outcome.dates[0], outcome.dates[-1]) if outcome and outcome.dates else None
    current = [v for v in views if v.current]
    mine = next((v for v in current if (v.first_date, v.last_date) == shown), None)
    if mine is not None:
        same = mine.job_id == job_id
        return (
            f"Published on {mine.published_at} by {mine.published_by}"
            f"{' (this rota)' if same else ''}: the rota of {mine.first_date} to "
            f"{mine.last_date}, run {mine.job_id}. It is read-only; anyone in the "
            "collaborative may download it."
            + (
                ""
                if same
                else " The rota shown is a later build; publishing it supersedes that one."
            )
        )
    if current:
        return (
            f"Published on {current[0].published_at} by {current[0].published_by}: the "
            f"rota of {current[0].first_date} to {current[0].last_date}."
        )
    return ""


def lock_options(outcome: RotaOutcome, role: str) -> list[dict[str, str]]:
    """What a person's cell may be locked to: a day off, or a shift of their kind of work."""
    sites = {m.site for m in outcome.shifts.values()}
    theatre = role != "ward_nurse"
    return [{"value": "off", "label": "Day off"}] + [
        {"value": code, "label": meta.label}
        for code, meta in sorted(outcome.shifts.items())
        if meta.site in sites and (meta.kind in ("AM", "PM", "DAY")) == theatre
    ]


def settings_from_form(
    start_date: str,
    weeks: str,
    time_limit: str,
    chosen_sites: Sequence[str],
    *,
    rule_pack: str,
    soft_rules: bool,
    demand: str,
    keep_published: bool,
    pools: dict[str, Any] | None = None,
) -> RotaSettings:
    """The build's settings, or one refusal naming every field that is wrong, in words."""
    problems = []
    start = weeks_n = limit = None
    try:
        start = dt.date.fromisoformat(start_date.strip())
    except ValueError:
        problems.append(
            f"First day: '{start_date}' is not a date; choose one in the date picker"
            if start_date.strip()
            else "First day: choose the first day of the rota"
        )
    try:
        weeks_n = int(weeks.strip())
        if not 1 <= weeks_n <= MAX_WEEKS:
            raise ValueError
    except ValueError:
        problems.append(f"Weeks: '{weeks}' is not a whole number of weeks from 1 to {MAX_WEEKS}")
    try:
        limit = float(time_limit.strip())
        if not 1 <= limit <= MAX_TIME_LIMIT:
            raise ValueError
    except ValueError:
        problems.append(
            f"Time limit: '{time_limit}' is not a number of seconds from 1 to "
            f"{MAX_TIME_LIMIT} (under Advanced)"
        )
    if not chosen_sites:
        problems.append("Hubs and sites: choose at least one")
    if problems or start is None or weeks_n is None or limit is None:
        raise InvalidInputError("; ".join(problems) + ".")
    return RotaSettings(
        start_date=start,
        weeks=weeks_n,
        site_codes=tuple(chosen_sites),
        rule_pack=rule_pack,
        soft_rules=soft_rules,
        demand=demand,
        time_limit_seconds=limit,
        num_workers=2,
        keep_published=keep_published,
        **(pools or {}),
    )
