"""Reading back the rows our Vega-Lite specs draw, to compare them with the frames they show.

The charts embed one row per series with its weekly values as arrays, unfolded in the browser by
a flatten transform and, for dated weeks, a calculation from whole days to dates
(`charts/projections.py`). This does the same in Python, independently of how the specs were
made, so a test fails if a week or a value is missing from a spec.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any

_DAYS_TO_DATE = re.compile(r"toDate\(utc\((\d+), (\d+), (\d+) \+ datum\.(\w+)\)\)")


def drawn_rows(spec: dict) -> list[dict[str, Any]]:
    """The rows the spec's marks draw: each distinct data of the spec and its layers, unfolded.

    Dates calculated from days come back as "YYYY-MM-DD" strings; other calculations are left
    to the browser.
    """
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for view in [spec, *spec.get("layer", [])]:
        if "data" not in view:
            continue
        transforms = view.get("transform", [])
        key = json.dumps([view["data"], transforms], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        rows += _unfolded(_values(spec, view["data"]), transforms)
    return rows


def with_long_rows(spec: dict) -> dict:
    """The same spec with its unfolding done here: plain long rows, as the charts once embedded.

    Drawn by Vega, it must look exactly like the spec itself; dates go in as "YYYY-MM-DD" strings,
    which Vega-Lite parses for a temporal field.
    """
    long = copy.deepcopy(spec)
    for view in [long, *long.get("layer", [])]:
        transforms = view.get("transform", [])
        if "data" not in view or not any("flatten" in t for t in transforms):
            continue
        view["data"] = {"values": _unfolded(_values(spec, view["data"]), transforms)}
        view["transform"] = [t for t in transforms if not _unfolds(t)]
    return long


def _unfolds(transform: dict) -> bool:
    return "flatten" in transform or bool(_DAYS_TO_DATE.fullmatch(transform.get("calculate", "")))


def _values(spec: dict, data: dict) -> list[dict[str, Any]]:
    if "values" in data:
        return list(data["values"])
    return list(spec["datasets"][data["name"]])


def _unfolded(rows: list[dict[str, Any]], transforms: list[dict]) -> list[dict[str, Any]]:
    for transform in transforms:
        if "flatten" in transform:
            fields = transform["flatten"]
            rows = [
                {**row, **dict(zip(fields, values, strict=True))}
                for row in rows
                for values in zip(*(row[f] for f in fields), strict=True)
            ]
        elif "calculate" in transform:
            found = _DAYS_TO_DATE.fullmatch(transform["calculate"])
            if found is None:
                continue
            year, month, day, field = found.groups()
            origin = dt.date(int(year), int(month) + 1, int(day))
            rows = [
                {**row, transform["as"]: (origin + dt.timedelta(days=row[field])).isoformat()}
                for row in rows
            ]
    return rows
