"""The rota as files: CSV of the shifts and gaps, and an Excel workbook with a grid per site."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ics_capacity.domain.staff import StaffRole
from ics_capacity.services.results import RotaOutcome
from ics_capacity.services.rota_settings import KIND_LABELS, STAFF_ROLE_LABELS
from ics_capacity.services.spreadsheets import csv_dicts, xlsx_bytes

# --- Exports -----------------------------------------------------------------------------------

# The CSV's columns, in order: one per key of `export_rows`' rows.
EXPORT_COLUMNS = tuple(
    "date staff name role trust employment site shift start end hours locked".split()
)


def export_rows(outcome: RotaOutcome) -> list[dict[str, Any]]:
    """One row per worked shift of a described rota, in date then staff order."""
    rows = []
    for person in outcome.staff:
        for day, cell in enumerate(person.cells):
            if not cell.shift:
                continue
            meta = outcome.shifts[cell.shift]
            rows.append(
                {
                    "date": outcome.dates[day],
                    "staff": person.code,
                    "name": person.label,
                    "role": STAFF_ROLE_LABELS.get(StaffRole(person.role), person.role),
                    "trust": person.trust,
                    "employment": person.employment,
                    "site": meta.site,
                    "shift": KIND_LABELS[meta.kind],
                    "start": meta.start,
                    "end": meta.end,
                    "hours": round(meta.minutes / 60, 2),
                    "locked": "yes" if cell.locked else "",
                }
            )
    return sorted(rows, key=lambda r: (r["date"], r["staff"]))


GAP_COLUMNS = (
    "date",
    "site",
    "slot",
    "skill",
    "required",
    "staffed",
    "short",
    "bank_pool",
    "agency_pool",
    "left_short",
    "agency_cost_gbp",
)


def gap_rows(outcome: RotaOutcome) -> list[dict[str, Any]]:
    """One row per session slot short of staff: what the pools fill, and what stays short.

    `agency_cost_gbp` prices the places left short at the agency cap, for reference.
    """
    return [
        {
            "date": outcome.dates[r.day],
            "site": r.site,
            "slot": KIND_LABELS[r.kind],
            "skill": r.skill,
            "required": r.required,
            "staffed": r.staffed,
            "short": r.short,
            "bank_pool": r.bank,
            "agency_pool": r.agency,
            "left_short": r.short - r.bank - r.agency,
            "agency_cost_gbp": round((r.short - r.bank - r.agency) * r.agency_pence / 100, 2),
        }
        for r in outcome.sessions
        if r.short
    ]


FAIRNESS_COLUMNS = (
    "group",
    "kind",
    "people",
    "fewest_per_wte",
    "most_per_wte",
    "band_percent",
    "shifts_beyond_band",
    "outside_band",
)


def fairness_sheet_rows(outcome: RotaOutcome) -> list[dict[str, Any]]:
    """Each staff group's nights, weekends and away shifts per WTE, and who is outside the band."""
    names = {person.code: person.label for person in outcome.staff}
    return [
        {
            "group": line.group,
            "kind": line.kind,
            "people": line.people,
            "fewest_per_wte": line.fewest / 100,
            "most_per_wte": line.most / 100,
            "band_percent": line.band_percent,
            "shifts_beyond_band": line.band_shifts,
            "outside_band": ", ".join(names.get(code, code) for code in line.outside),
        }
        for line in outcome.fairness
    ]


def export_csv(outcome: RotaOutcome) -> bytes:
    """The rota as CSV (one row per worked shift)."""
    return csv_dicts(EXPORT_COLUMNS, export_rows(outcome), "\n")


GRID_KINDS = {"AM": "AM", "PM": "PM", "DAY": "Day", "LD": "LD", "N": "Night"}
"""The cell codes of the printable grids (the page's key uses the same)."""


def grid_sheets(outcome: RotaOutcome) -> dict[str, tuple[str, Any]]:
    """One printable staff x day grid per site and week: {sheet name: (page title, frame)}.

    Rows are the people with a shift at the site that week (by role, then name); a cell is the
    shift's code (AM, PM, Day, LD, Night), "at SITE" for a shift elsewhere, "Leave" on leave,
    "off" otherwise; "(locked)" is added to a locked cell.
    """
    import pandas as pd

    dates = [dt.date.fromisoformat(d) for d in outcome.dates]
    sites = sorted({m.site for m in outcome.shifts.values()})
    names = {m.site: m.site_name for m in outcome.shifts.values()}
    role_order = {r.value: i for i, r in enumerate(STAFF_ROLE_LABELS)}
    sheets: dict[str, tuple[str, Any]] = {}
    for site in sites:
        for week in range(math.ceil(len(dates) / 7)):
            days = range(week * 7, min(len(dates), week * 7 + 7))
            people = sorted(
                (
                    p
                    for p in outcome.staff
                    if any(
                        p.cells[d].shift and outcome.shifts[p.cells[d].shift].site == site
                        for d in days
                    )
                ),
                key=lambda p: (role_order.get(p.role, 99), p.label),
            )
            rows = []
            for person in people:
                row: dict[str, Any] = {
                    "Staff": person.label,
                    "Role": STAFF_ROLE_LABELS.get(StaffRole(person.role), person.role),
                    "Trust": person.trust_name or person.trust,
                }
                for d in days:
                    cell = person.cells[d]
                    meta = outcome.shifts.get(cell.shift) if cell.shift else None
                    if meta is not None and meta.site == site:
                        text = GRID_KINDS[meta.kind]
                    elif meta is not None:
                        text = f"at {meta.site}"
                    else:
                        text = "Leave" if cell.leave else "off"
                    row[_grid_day(dates[d], outcome)] = text + (" (locked)" if cell.locked else "")
                rows.append(row)
            columns = ["Staff", "Role", "Trust", *(_grid_day(dates[d], outcome) for d in days)]
            first = dates[week * 7]
            name = f"{site[:18]} wk{week + 1} {first:%d %b}"
            title = (
                f"{names[site]}: rota for week {week + 1}, {first:%a %d %b %Y} to "
                f"{dates[days[-1]]:%a %d %b %Y}"
            )
            sheets[name] = (title, pd.DataFrame(rows, columns=columns))
    return sheets


def _grid_day(date: dt.date, outcome: RotaOutcome) -> str:
    holiday = " (bank holiday)" if date.isoformat() in outcome.bank_holidays else ""
    return f"{date:%a %d %b}{holiday}"


def export_xlsx(outcome: RotaOutcome) -> bytes:
    """The rota as an Excel workbook: shifts, gaps, compliance, fairness, cost, printable grids.

    Besides the list of shifts (Rota), the gaps, the compliance report, fairness per WTE by
    staff group and kind, and the cost, one
    printable staff x day grid per site and week (`grid_sheets`; A4 landscape, fitted to the
    page width, the header row repeated on every page). No cell is a formula.
    """
    import pandas as pd

    cost = outcome.cost
    grids = grid_sheets(outcome)
    return xlsx_bytes(
        {
            "Rota": pd.DataFrame(export_rows(outcome), columns=list(EXPORT_COLUMNS)),
            # Explicit columns, so that a rota without gaps still has a headed Gaps sheet.
            "Gaps": pd.DataFrame(gap_rows(outcome), columns=list(GAP_COLUMNS)),
            "Compliance": pd.DataFrame([r.model_dump() for r in outcome.compliance]),
            "Fairness": pd.DataFrame(fairness_sheet_rows(outcome), columns=list(FAIRNESS_COLUMNS)),
            "Cost": pd.DataFrame(
                [
                    {"source": "Substantive", **cost.substantive.model_dump()},
                    {"source": "Bank", **cost.bank.model_dump()},
                    {
                        "source": "Bank pool",
                        "shifts": cost.bank_pool.places,
                        "pence": cost.bank_pool.pence,
                    },
                    {
                        "source": "Agency pool",
                        "shifts": cost.agency_pool.places,
                        "pence": cost.agency_pool.pence,
                    },
                    {
                        "source": "Left short (at the agency cap, not spent)",
                        "shifts": cost.agency_gaps.places,
                        "pence": cost.agency_gaps.pence,
                    },
                    {"source": "Total", "pence": cost.total_pence},
                ]
            ),
            **{name: frame for name, (_title, frame) in grids.items()},
        },
        printable={name: title for name, (title, _frame) in grids.items()},
    )
