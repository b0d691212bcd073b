"""The history carried into a rota: the shifts of the days before it starts.

From an uploaded record (`importers/rota_history.py`) or, when none is given, from the scenario's
last rota if it ends the day before this one starts (docs/rota.md, "History carried in").
"""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, col, select

from ics_capacity.db.models import SolveJob
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rota_history import HistoryRow
from ics_capacity.services.results import HistoryUsed, RotaOutcome, StoredResultError, stored_rota
from ics_capacity.services.rota_settings import HISTORY_DAYS, PREVIOUS_ROTAS_LOOKED_AT, RotaSettings
from solvers.rota.schema import PastShift, RotaInput


def uploaded_history(
    data: RotaInput, start: dt.date, rows: list[HistoryRow], file: str
) -> tuple[list[PastShift], HistoryUsed]:
    """An uploaded record as the rota's history: every row must fit the rota's 14 days before.

    Rows of people not on this rota are left out (and said so): they cannot affect it. A shift
    this rota does not have cannot be judged (its times are not known), so it is refused.

    Raises:
        ImportValidationError: With every row whose date or shift does not fit.
    """
    first = start - dt.timedelta(days=HISTORY_DAYS)
    staff = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    problems: list[ImportProblem] = []
    past: list[PastShift] = []
    others: set[str] = set()
    for r in rows:
        if not first <= r.date < start:
            problems.append(
                ImportProblem(
                    file,
                    r.row,
                    "date",
                    r.date.isoformat(),
                    f"is not one of the {HISTORY_DAYS} days before the rota starts "
                    f"({first.isoformat()} to {(start - dt.timedelta(days=1)).isoformat()}).",
                )
            )
        if r.shift_code not in shifts:
            some = ", ".join(sorted(shifts)[:4])
            problems.append(
                ImportProblem(
                    file,
                    r.row,
                    "shift code",
                    r.shift_code,
                    f"is not a shift of this rota (such as {some}); its times are not known.",
                )
            )
        if r.staff_code not in staff:
            others.add(r.staff_code)
        elif first <= r.date < start and r.shift_code in shifts:
            past.append(
                PastShift(staff_id=r.staff_code, day=(r.date - start).days, shift_id=r.shift_code)
            )
    if problems:
        raise ImportValidationError(problems)
    ignored = (
        (f"{len(others)} people not on this rota's staff list (e.g. {min(others)})",)
        if others
        else ()
    )
    return past, _history_used(f"uploaded file {file}".strip(), start, HISTORY_DAYS, past, ignored)


def previous_rota(session: Session, scenario_id: int, start: dt.date) -> RotaOutcome | None:
    """The newest finished rota of the scenario that ends the day before `start`, if any.

    Found by the settings each build keeps (`SolveJob.parameters`), so a rebuild of the new
    period still finds the rota before it; only that one result is read.
    """
    runs = session.exec(
        select(SolveJob.id, SolveJob.parameters)
        .where(
            SolveJob.scenario_id == scenario_id,
            SolveJob.kind == "rota",
            SolveJob.status == "done",
        )
        .order_by(col(SolveJob.id).desc())
        .limit(PREVIOUS_ROTAS_LOOKED_AT)
    ).all()
    for job_id, parameters in runs:
        try:
            settings = RotaSettings.from_json(json.loads(parameters))
        except (ValueError, KeyError, TypeError):
            continue
        if settings.start_date + dt.timedelta(days=7 * settings.weeks) != start:
            continue
        job = session.get(SolveJob, job_id)
        try:
            previous = stored_rota(job.result or "", job_id=job_id) if job else None
        except StoredResultError:
            continue
        if previous is not None and previous.dates and previous.has_rota:
            last = dt.date.fromisoformat(previous.dates[-1])
            if last + dt.timedelta(days=1) == start:
                return previous
    return None


def previous_rota_history(
    previous: RotaOutcome | None, data: RotaInput, start: dt.date
) -> tuple[list[PastShift], HistoryUsed | None]:
    """The last 14 days of `previous` (the rota ending the day before `start`), if there is one."""
    if previous is None:
        return [], None
    dates = [dt.date.fromisoformat(d) for d in previous.dates]
    days = min(HISTORY_DAYS, len(dates))
    staff = {p.id for p in data.staff}
    shifts = {s.id for s in data.shift_types}
    past: list[PastShift] = []
    others: set[str] = set()
    unknown: set[str] = set()
    for a in previous.assignments:
        day = (dates[a.day] - start).days
        if day < -days:
            continue
        if a.staff_id not in staff:
            others.add(a.staff_id)
        elif a.shift_id not in shifts:
            unknown.add(a.shift_id)
        else:
            past.append(PastShift(staff_id=a.staff_id, day=day, shift_id=a.shift_id))
    ignored = []
    if others:
        ignored.append(f"{len(others)} people not on this rota's staff list (e.g. {min(others)})")
    if unknown:
        names = ", ".join(sorted(unknown))
        ignored.append(f"shifts this rota does not have, whose times are not known: {names}")
    source = f"previous rota ({previous.dates[0]} to {previous.dates[-1]})"
    return past, _history_used(source, start, days, past, tuple(ignored))


def _history_used(
    source: str, start: dt.date, days: int, past: list[PastShift], ignored: tuple[str, ...]
) -> HistoryUsed:
    return HistoryUsed(
        source=source,
        first_date=(start - dt.timedelta(days=days)).isoformat(),
        last_date=(start - dt.timedelta(days=1)).isoformat(),
        days=days,
        people=len({p.staff_id for p in past}),
        shifts=len(past),
        ignored=ignored,
    )
