"""A projection kept as the tables it is read through, to be stored as JSON and read back.

The Dashboard reads a projection only through its tables (`frame`, `bands_frame`,
`utilisation_frame`), so a solver worker can compute one, store those tables, and any web
process can read them back without the engine's arrays or its input. `StoredProjection` and
`StoredSimulation` answer the same calls as `Projection` and `MonteCarloResult` for the levels
kept; `frame_to_json` and `frame_from_json` carry a table through JSON with its column types
(numbers, text, timestamps and dates), with no pickle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd


class ProjectedTables(Protocol):
    """What a deterministic projection is read through (`Projection` or `StoredProjection`)."""

    def frame(self, level: str = "total") -> pd.DataFrame:
        """Weekly measures at one level."""
        ...

    def bands_frame(self, level: str = "total") -> pd.DataFrame:
        """Patients by wait band at the snapshot weeks."""
        ...

    def utilisation_frame(self) -> pd.DataFrame:
        """Theatre and bed use per pool and week."""
        ...


class SimulatedTables(Protocol):
    """What a Monte Carlo result is read through (`MonteCarloResult` or `StoredSimulation`)."""

    def frame(self, level: str = "total") -> pd.DataFrame:
        """Quantiles of each weekly measure at one level."""
        ...

    def utilisation_frame(self) -> pd.DataFrame:
        """Quantiles of theatre and bed use per pool and week."""
        ...


@dataclass(frozen=True, eq=False)
class _StoredTables:
    """Named tables, read as the engine's results read theirs."""

    tables: dict[str, pd.DataFrame]

    def frame(self, level: str = "total") -> pd.DataFrame:
        """As `Projection.frame` and `MonteCarloResult.frame`."""
        return self._kept(f"frame:{level}")

    def utilisation_frame(self) -> pd.DataFrame:
        """As `Projection.utilisation_frame` and `MonteCarloResult.utilisation_frame`."""
        return self._kept("utilisation")

    def _kept(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise KeyError(f"'{name}' was not kept; kept: {', '.join(sorted(self.tables))}")
        # A copy: callers may add columns to what they are given, as they may to a fresh frame.
        return self.tables[name].copy()


@dataclass(frozen=True, eq=False)
class StoredSimulation(_StoredTables):
    """A Monte Carlo result's quantile tables at the levels kept ("frame:<level>")."""

    @classmethod
    def of(cls, simulation: SimulatedTables, levels: Iterable[str]) -> StoredSimulation:
        """The quantile tables of `simulation` at `levels`, and its utilisation."""
        tables = {"utilisation": simulation.utilisation_frame()}
        tables.update({f"frame:{level}": simulation.frame(level) for level in levels})
        return cls(tables)


@dataclass(frozen=True, eq=False)
class StoredProjection(_StoredTables):
    """A deterministic projection's tables at the levels kept.

    Its measures ("frame:<level>"), wait bands ("bands:<level>") and utilisation.
    """

    @classmethod
    def of(cls, projection: ProjectedTables, levels: Iterable[str]) -> StoredProjection:
        """The tables of `projection` at `levels`, and its utilisation."""
        tables = {"utilisation": projection.utilisation_frame()}
        for level in levels:
            tables[f"frame:{level}"] = projection.frame(level)
            tables[f"bands:{level}"] = projection.bands_frame(level)
        return cls(tables)

    def bands_frame(self, level: str = "total") -> pd.DataFrame:
        """As `Projection.bands_frame`."""
        return self._kept(f"bands:{level}")


def tables_to_json(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Named tables as JSON-ready dicts."""
    return {name: frame_to_json(frame) for name, frame in tables.items()}


def tables_from_json(raw: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Named tables back from `tables_to_json`."""
    return {str(name): frame_from_json(table) for name, table in raw.items()}


def frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A table as JSON-ready lists, one per column, with each column's type.

    Timestamps go as integers in their own unit, dates (`datetime.date` objects) as ISO text;
    a missing float is NaN (Python's `json` writes and reads it). The index is not kept.
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            kind, values = str(column.dtype), column.to_numpy().astype("int64").tolist()
        elif column.dtype == object and column.map(_is_date_or_none).all():
            kind, values = "date", [None if v is None else v.isoformat() for v in column]
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            kind, values = "str", [None if pd.isna(v) else str(v) for v in column]
        else:
            kind, values = str(column.dtype), column.tolist()
        columns.append({"name": str(name), "type": kind, "values": values})
    return {"columns": columns}


def frame_from_json(raw: dict[str, Any]) -> pd.DataFrame:
    """The table `frame_to_json` made."""
    data: dict[str, Any] = {}
    for column in raw["columns"]:
        kind, values = column["type"], column["values"]
        if kind.startswith("datetime64"):
            data[column["name"]] = pd.Series(np.array(values, dtype="int64").astype(kind))
        elif kind == "date":
            dates = [None if v is None else dt.date.fromisoformat(v) for v in values]
            data[column["name"]] = pd.Series(dates, dtype=object)
        elif kind == "str":
            data[column["name"]] = pd.Series(values, dtype="str")
        else:
            data[column["name"]] = pd.Series(values, dtype=kind)
    return pd.DataFrame(data)


def _is_date_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime))
