"""The Curtois & Qu shift scheduling benchmark (schedulingbenchmarks.org) as a `RotaInput`.

The instance text format has seven sections (`SECTION_HORIZON`, `SECTION_SHIFTS`, `SECTION_STAFF`,
`SECTION_DAYS_OFF`, `SECTION_SHIFT_ON_REQUESTS`, `SECTION_SHIFT_OFF_REQUESTS`, `SECTION_COVER`),
comma-separated rows, `#` comments and blank lines between sections; the files' own comments name
the columns. Every rule of the benchmark maps onto a field of the general rota schema, so the same
solver core solves it with no benchmark-specific code:

* hard: shift rotation ("shifts which cannot follow this shift" on the next day), maximum shifts
  per type, minimum/maximum total minutes, minimum/maximum consecutive shifts, minimum consecutive
  days off, maximum weekends (Saturday or Sunday worked), days off; horizons start on a Monday;
* soft: shift on/off requests (weight when not granted), cover per day and shift (weight per person
  under or over the requirement).

Runs touching the first or last day are not held to the minimum-run rules (`edge_runs_exempt`),
as in Curtois & Qu's integer programming model; see docs/rota.md.

The roster CSV has the header `employee,day,shift`, one row per worked shift, day 0-based, ids as
in the instance file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from solvers.rota.schema import (
    Assignment,
    CoverRequirement,
    RotaInput,
    ShiftRequest,
    ShiftType,
    Staff,
)

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)
ROSTER_HEADER = ("employee", "day", "shift")


class CurtoisFormatError(ValueError):
    """An instance file that does not follow the benchmark format; names file, line and reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def read_curtois(path: Path | str) -> RotaInput:
    """Reads a benchmark instance file into a rota problem."""
    path = Path(path)
    return parse_curtois(path.read_text(encoding="utf-8"), source=path.name)


def parse_curtois(text: str, source: str = "instance") -> RotaInput:
    """Parses the text of a benchmark instance into a rota problem.

    Raises:
        CurtoisFormatError: listing every malformed line (1-based line numbers).
    """
    rows, problems = _section_rows(text)
    missing = [name for name in SECTIONS if name not in rows]
    if missing:
        problems.append(f"missing sections {', '.join(missing)}")

    def fields(section: str, minimum: int) -> list[tuple[int, list[str]]]:
        good = []
        for line_no, values in rows.get(section, []):
            if len(values) < minimum:
                problems.append(f"line {line_no} ({section}): expected {minimum} fields")
            else:
                good.append((line_no, values))
        return good

    def integer(line_no: int, value: str) -> int:
        try:
            return int(value)
        except ValueError:
            problems.append(f"line {line_no}: {value!r} is not a whole number")
            return 0

    horizon_rows = fields("SECTION_HORIZON", 1)
    horizon = 0
    if horizon_rows:
        line_no, values = horizon_rows[0]
        horizon = integer(line_no, values[0])

    shift_types: list[dict[str, Any]] = []
    banned: set[tuple[str, str]] = set()
    for line_no, values in fields("SECTION_SHIFTS", 2):
        shift_id = values[0]
        shift_types.append({"id": shift_id, "duration_minutes": integer(line_no, values[1])})
        for then in _bar_list(values[2] if len(values) > 2 else ""):
            banned.add((shift_id, then))

    staff_fields: dict[str, dict[str, Any]] = {}
    for line_no, values in fields("SECTION_STAFF", 8):
        max_shifts: dict[str, int] = {}
        for item in _bar_list(values[1]):
            shift_id, _, limit = item.partition("=")
            max_shifts[shift_id] = integer(line_no, limit)
        staff_fields[values[0]] = {
            "id": values[0],
            "max_shifts_per_type": max_shifts,
            "max_total_minutes": integer(line_no, values[2]),
            "min_total_minutes": integer(line_no, values[3]),
            "max_consecutive_shifts": integer(line_no, values[4]),
            "min_consecutive_shifts": integer(line_no, values[5]),
            "min_consecutive_days_off": integer(line_no, values[6]),
            "max_weekends": integer(line_no, values[7]),
            "days_off": set(),
        }
    for line_no, values in fields("SECTION_DAYS_OFF", 1):
        if values[0] not in staff_fields:
            problems.append(f"line {line_no}: days off for unknown employee {values[0]}")
            continue
        staff_fields[values[0]]["days_off"].update(integer(line_no, v) for v in values[1:] if v)

    requests: list[dict[str, Any]] = []
    for section, kind in (
        ("SECTION_SHIFT_ON_REQUESTS", "on"),
        ("SECTION_SHIFT_OFF_REQUESTS", "off"),
    ):
        for line_no, values in fields(section, 4):
            requests.append(
                {
                    "staff_id": values[0],
                    "day": integer(line_no, values[1]),
                    "shift_id": values[2],
                    "kind": kind,
                    "weight": integer(line_no, values[3]),
                }
            )
    cover: list[dict[str, Any]] = [
        {
            "day": integer(line_no, values[0]),
            "shift_id": values[1],
            "required": integer(line_no, values[2]),
            "under_weight": integer(line_no, values[3]),
            "over_weight": integer(line_no, values[4]),
        }
        for line_no, values in fields("SECTION_COVER", 5)
    ]
    if problems:
        raise CurtoisFormatError(source, problems)
    try:
        return RotaInput(
            horizon_days=horizon,
            first_weekday=0,  # "All instances start on a Monday" (the files' own comment)
            shift_types=tuple(ShiftType(**f) for f in shift_types),
            staff=tuple(Staff(**f) for f in staff_fields.values()),
            cover=tuple(CoverRequirement(**f) for f in cover),
            requests=tuple(ShiftRequest(**f) for f in requests),
            banned_successions=frozenset(banned),
            edge_runs_exempt=True,
        )
    except ValueError as error:
        raise CurtoisFormatError(source, [str(error)]) from error


def _section_rows(text: str) -> tuple[dict[str, list[tuple[int, list[str]]]], list[str]]:
    """Rows of each section as (1-based line number, stripped comma-separated values)."""
    rows: dict[str, list[tuple[int, list[str]]]] = {}
    problems: list[str] = []
    current: str | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            current = line
            rows.setdefault(current, [])
            continue
        if current is None:
            problems.append(f"line {line_no}: data before the first SECTION_ header")
            continue
        rows[current].append((line_no, [v.strip() for v in line.split(",")]))
    return rows, problems


def _bar_list(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def write_roster_csv(assignments: Iterable[Assignment], path: Path | str) -> None:
    """Writes the rota as CSV `employee,day,shift`, one row per worked shift, sorted."""
    Path(path).write_text(roster_csv_text(assignments), encoding="utf-8")


def roster_csv_text(assignments: Iterable[Assignment]) -> str:
    """The rota as CSV text `employee,day,shift`, sorted by employee then day."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROSTER_HEADER)
    for a in sorted(assignments, key=lambda a: (a.staff_id, a.day, a.shift_id)):
        writer.writerow((a.staff_id, a.day, a.shift_id))
    return buffer.getvalue()


def read_roster_csv(path: Path | str) -> list[Assignment]:
    """Reads a roster CSV (`employee,day,shift`) back into assignments."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != ROSTER_HEADER:
            raise ValueError(
                f"{path}: header must be {','.join(ROSTER_HEADER)}, found {reader.fieldnames}"
            )
        return [
            Assignment(staff_id=row["employee"], day=int(row["day"]), shift_id=row["shift"])
            for row in reader
        ]
