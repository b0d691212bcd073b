"""How each field of the whole-scenario JSON is read; problems name table, row and field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ics_capacity.importers.problems import ImportProblem
from ics_capacity.services.data_exchange.loaders import MAX_COUNT
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import flow_table

_FILE = "scenario JSON"


def _problem(column: str | None, value: object, reason: str) -> ImportProblem:
    shown = None if value is None else str(value)
    return ImportProblem(_FILE, None, column, shown, reason)


# JSON key -> how to read it; a reader raises ValueError with a reason for people.
def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("is not a whole number")
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"is not between 0 and {MAX_COUNT:,}")
    return value


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError("is not a number") from error
    if not number.is_finite() or isinstance(value, bool):
        raise ValueError("is not a number")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("is not text")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("is not a number")
    return float(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("is not true or false")
    return value


def _date(value: object) -> dt.date:
    return dt.date.fromisoformat(_text(value))


def _codes(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("is not a list of treatment function codes")
    return value


_READERS: dict[str, dict[str, Callable[[object], object]]] = {
    "sites": {
        "code": _text,
        "name": _text,
        "operator_ods_code": _text,
        "is_elective_hub": _bool,
        "postcode": _optional_text,
        "latitude": _optional_float,
        "longitude": _optional_float,
        "treatment_functions": _codes,
        "source": _text,
    },
    "theatres": {
        "site_code": _text,
        "theatres": _int,
        "sessions_per_week": _int,
        "session_minutes": _int,
        "utilisation_target": _decimal,
    },
    "beds": {
        "site_code": _text,
        "elective_overnight_beds": _int,
        "day_case_places": _int,
        "occupancy_target": _decimal,
    },
    "case_mix": {
        "tfc": _text,
        "minutes_per_case": _int,
        "length_of_stay_days": _decimal,
        "day_case_rate": _decimal,
        "source": _text,
    },
    "workforce": {
        "ods_code": _text,
        "staff_group": _text,
        "period": _text,
        "headcount": _int,
        "fte": _decimal,
    },
    "waiting_list": {
        "ods_code": _text,
        "tfc": _text,
        "part": _text,
        "wait_band_weeks": _int,
        "patients": _int,
    },
    "activity": {
        "ods_code": _text,
        "tfc": _text,
        "period": _date,
        "new_clock_starts": _int,
        "completed_admitted": _int,
        "completed_non_admitted": _int,
        "waiting_total": _int,
        "waiting_unknown_clock_start": _int,
        "waiting_admitted_total": _int,
    },
    "trust_beds": {
        "ods_code": _text,
        "period": _text,
        "ga_beds_available": _decimal,
        "ga_beds_occupied": _decimal,
    },
    "rota_staff": {
        "code": _text,
        "label": _text,
        "ods_code": _text,
        "home_site_code": _text,
        "staff_group": _text,
        "role": _text,
        "grade": _text,
        "contract": _text,
        "employment": _text,
        "skills": _text,
        "sites": _text,
        "contracted_minutes_per_week": _int,
        "hourly_cost_pence": _int,
        "source": _text,
    },
    "rota_leave": {"staff_code": _text, "start_date": _date, "end_date": _date, "kind": _text},
    "rota_requests": {
        "staff_code": _text,
        "on_date": _date,
        "shift_kind": _text,
        "kind": _text,
        "weight": _int,
        "note": _text,
    },
    "rota_locks": {
        "staff_code": _text,
        "on_date": _date,
        "shift_code": _text,
        "locked_by": _text,
        "locked_at": lambda v: dt.datetime.fromisoformat(_text(v)),
    },
    "flows": {
        "icb_code": _text,
        "period": _date,
        "new_clock_starts": _int,
        "completed": _int,
        "waiting_total": _int,
    },
    "organisations": {
        "ods_code": _text,
        "name": _text,
        "icb_code": _optional_text,
        "kind": _text,
        "postcode": _optional_text,
    },
    "import_batches": {
        "kind": _text,
        "file_name": _text,
        "sha256": _text,
        "rows_written": _int,
        "imported_at": lambda v: dt.datetime.fromisoformat(_text(v)),
        "imported_by": _text,
    },
}


def _typed_tables(document: dict[str, Any]) -> tuple[dict[str, Any], list[ImportProblem]]:
    """Every row of the document read with its field's type; problems name table, row, field."""
    problems: list[ImportProblem] = []
    sources = dict(document["tables"])
    sources["organisations"] = document["organisations"]
    sources["import_batches"] = document.get("import_batches") or []
    typed: dict[str, Any] = {}
    for table, readers in _READERS.items():
        rows = sources.get(table, [])
        if table == "flows" and rows and flow_table() is None:
            problems.append(_problem("flows", None, "cannot be stored in this database yet."))
            continue
        if not isinstance(rows, list):
            problems.append(_problem(table, None, "is not a list of rows."))
            continue
        typed[table] = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                problems.append(_problem(f"{table} row {number}", None, "is not an object."))
                continue
            values = {}
            for key, read in readers.items():
                try:
                    values[key] = read(row.get(key))
                except (ValueError, TypeError) as error:
                    problems.append(
                        _problem(f"{table} row {number}, {key}", row.get(key), f"{error}.")
                    )
            typed[table].append(values)
    period = document["scenario"].get("data_period")
    try:
        typed["data_period"] = None if period is None else _date(period)
    except ValueError as error:
        problems.append(_problem("scenario.data_period", period, f"{error}."))
    return typed, problems
