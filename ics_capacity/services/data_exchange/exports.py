"""A table, or a whole scenario, as a CSV, Excel or JSON file for a member of its collaborative.

`export_table` and `export_scenario` open `scenarios.scenario_transaction`, which checks the
user's role, then call `export_table_of` and `export_scenario_of`, which work inside an open
session without a role check. Every export is audited as a download.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from ics_capacity.db.models import (
    Collaborative,
    Scenario,
)
from ics_capacity.domain.moments import when
from ics_capacity.domain.roles import Permission
from ics_capacity.services.auth import Principal
from ics_capacity.services.data_exchange.scenario_json import _json_value, scenario_document
from ics_capacity.services.data_exchange.tables import _FIELDS, EXPORT_TABLES, scenario_table
from ics_capacity.services.scenarios import (
    ScenarioError,
    audit_download,
    scenario_transaction,
)
from ics_capacity.services.spreadsheets import csv_bytes, xlsx_bytes

EXPORT_FORMATS = ("csv", "xlsx")
SCENARIO_FORMATS = ("json", "xlsx", "csv")


def _for_people(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table with headings for people: lists joined with '; ', Decimals as numbers."""
    shown = frame.copy()
    if table == "sites":
        shown["treatment_functions"] = shown["treatment_functions"].map("; ".join)
        shown["is_elective_hub"] = shown["is_elective_hub"].map({True: "yes", False: "no"})
    if table == "rota_locks":  # a spreadsheet cell holds no time zone: say it is UTC
        shown["locked_at"] = shown["locked_at"].map(when)
    for column in shown.columns:
        if shown[column].map(lambda v: isinstance(v, Decimal)).any():
            shown[column] = shown[column].map(lambda v: float(v) if isinstance(v, Decimal) else v)
    return shown.rename(columns={f.key: f.heading for f in _FIELDS[table]})


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # utf-8-sig so that Excel opens names such as "Women's" correctly; text never a formula.
    return csv_bytes(frame)


def _xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    return xlsx_bytes(sheets)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def export_table(token: str, scenario_id: int, table: str, fmt: str) -> tuple[str, bytes]:
    """One table of a scenario as a file for a member of its collaborative.

    Args:
        token: The signed-in user's session token.
        scenario_id: The scenario.
        table: A key of `EXPORT_TABLES`.
        fmt: "csv" or "xlsx".

    Returns:
        (file name, file bytes).
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return export_table_of(use.session, use.scenario, table, fmt, use.principal)


def export_table_of(
    session: Session, scenario: Scenario, table: str, fmt: str, actor: Principal
) -> tuple[str, bytes]:
    """`export_table` inside the caller's session, without a permission check; audited."""
    if table not in EXPORT_TABLES:
        raise ScenarioError(f"'{table}' is not a table; use one of {', '.join(EXPORT_TABLES)}.")
    if fmt not in EXPORT_FORMATS:
        raise ScenarioError(f"'{fmt}' is not a table format; use csv or xlsx.")
    frame = _for_people(table, scenario_table(session, scenario.id, table))
    name = f"{_slug(scenario.name)}-{table.replace('_', '-')}.{fmt}"
    audit_download(
        session,
        actor,
        collaborative_id=scenario.collaborative_id,
        scenario=scenario,
        what=f"table:{table}",
        rows=len(frame),
        file_name=name,
    )
    if fmt == "csv":
        return name, _csv_bytes(frame)
    return name, _xlsx_bytes({EXPORT_TABLES[table]: frame})


def export_scenario(token: str, scenario_id: int, fmt: str) -> tuple[str, bytes]:
    """A whole scenario as one file for a member of its collaborative.

    Args:
        token: The signed-in user's session token.
        scenario_id: The scenario.
        fmt: "json" (re-imports losslessly with `import_scenario_json`), "xlsx" (one sheet per
            table, and a sheet describing the scenario) or "csv" (a zip of one CSV per table).

    Returns:
        (file name, file bytes).
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return export_scenario_of(use.session, use.scenario, fmt, use.principal)


def export_scenario_of(
    session: Session, scenario: Scenario, fmt: str, actor: Principal
) -> tuple[str, bytes]:
    """`export_scenario` inside the caller's session, without a permission check; audited."""
    if fmt not in SCENARIO_FORMATS:
        raise ScenarioError(f"'{fmt}' is not a scenario format; use json, xlsx or csv.")
    slug = _slug(scenario.name)

    def audited(name: str, rows: int) -> None:
        audit_download(
            session,
            actor,
            collaborative_id=scenario.collaborative_id,
            scenario=scenario,
            what=f"scenario:{fmt}",
            rows=rows,
            file_name=name,
        )

    if fmt == "json":
        document = scenario_document(session, scenario)
        text = json.dumps(document, indent=1, ensure_ascii=False, default=_json_value)
        audited(f"{slug}.json", sum(len(rows) for rows in document["tables"].values()))
        return f"{slug}.json", text.encode()
    about = pd.DataFrame(_about(session, scenario), columns=["Field", "Value"])
    tables = {t: _for_people(t, scenario_table(session, scenario.id, t)) for t in EXPORT_TABLES}
    rows = sum(len(frame) for frame in tables.values())
    if fmt == "xlsx":
        sheets = {"Scenario": about} | {EXPORT_TABLES[t]: f for t, f in tables.items()}
        audited(f"{slug}.xlsx", rows)
        return f"{slug}.xlsx", _xlsx_bytes(sheets)
    audited(f"{slug}-csv.zip", rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{slug}/scenario.csv", _csv_bytes(about))
        for table, frame in tables.items():
            archive.writestr(f"{slug}/{table.replace('_', '-')}.csv", _csv_bytes(frame))
    return f"{slug}-csv.zip", buffer.getvalue()


def _about(session: Session, scenario: Scenario) -> list[tuple[str, str]]:
    collaborative = session.get(Collaborative, scenario.collaborative_id)
    return [
        ("Scenario", scenario.name),
        ("Collaborative", f"{collaborative.name} ({collaborative.code})"),
        ("Status", scenario.status),
        ("Description", scenario.description),
        ("Data period", f"{scenario.data_period:%B %Y}" if scenario.data_period else ""),
        ("Exported", f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"),
    ]
