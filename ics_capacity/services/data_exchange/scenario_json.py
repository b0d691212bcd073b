"""The whole-scenario JSON document: written from a scenario, and read back into a new draft.

`scenario_document` gives a scenario with rows keyed by codes and Decimals as strings, so
`import_scenario_json` can recreate it losslessly in any database, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    Collaborative,
    ImportBatch,
    Organisation,
    RotaLock,
    RotaRequest,
    RotaStaff,
    RttActivity,
    Scenario,
    ScenarioStatus,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    TreatmentFunction,
    TrustBeds,
    WaitingList,
    Workforce,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.services.auth import Principal
from ics_capacity.services.data_exchange.json_fields import _problem, _typed_tables
from ics_capacity.services.data_exchange.loaders import ensure_treatment_functions
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import flow_table
from ics_capacity.services.data_exchange.tables import (
    _FIELDS,
    _ORG_TABLES,
    _ROTA_TABLES,
    scenario_table,
)
from ics_capacity.services.scenarios import (
    audit,
    collaborative_transaction,
    require_unique_name,
    scenario_name_checked,
)

logger = logging.getLogger(__name__)


JSON_FORMAT = "ics-capacity scenario"
JSON_FORMAT_VERSION = 1


# --- Whole-scenario JSON -----------------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # exact: "0.850", "3456.7"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def scenario_document(session: Session, scenario: Scenario) -> dict[str, Any]:
    """A scenario as a JSON-ready document: its description, every table, the files it came from.

    Rows refer to organisations by ODS code and to sites by site code, never by database id, so
    the document can be imported into any database. Decimals are strings, so nothing is rounded.
    """
    collaborative = session.get(Collaborative, scenario.collaborative_id)
    tables = {
        t: scenario_table(session, scenario.id, t).to_dict("records")
        for t in _FIELDS
        if t != "flows" or flow_table() is not None
    }
    codes = {r["operator_ods_code"] for r in tables["sites"]}
    for table in (*_ORG_TABLES, "rota_staff"):
        codes |= {r["ods_code"] for r in tables[table]}
    organisations = [
        {
            "ods_code": o.ods_code,
            "name": o.name,
            "icb_code": o.icb_code,
            "kind": o.kind,
            "postcode": o.postcode,
        }
        for o in session.exec(
            select(Organisation)
            .where(Organisation.ods_code.in_(sorted(codes)))
            .order_by(Organisation.ods_code)
        ).all()
    ]
    batches = [
        {
            "kind": b.kind,
            "file_name": b.file_name,
            "sha256": b.sha256,
            "rows_written": b.rows_written,
            "imported_at": b.imported_at,
            "imported_by": b.imported_by,
        }
        for b in session.exec(
            select(ImportBatch)
            .where(ImportBatch.scenario_id == scenario.id)
            .order_by(ImportBatch.imported_at, ImportBatch.id)
        ).all()
    ]
    return {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "status": scenario.status,
            "data_period": scenario.data_period,
            "collaborative_code": collaborative.code,
        },
        "organisations": organisations,
        "tables": _clean_nans(tables),
        "import_batches": batches,
    }


def _clean_nans(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """NaN (pandas' blank) as JSON null."""
    return {
        table: [
            {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in rows
        ]
        for table, rows in tables.items()
    }


def import_scenario_json(token: str, collaborative_id: int, data: bytes, name: str) -> int:
    """Creates a new draft scenario in a collaborative from an exported scenario JSON.

    Args:
        token: The signed-in user's session token (MANAGE_SCENARIOS in the collaborative).
        collaborative_id: Where the new scenario goes (it may differ from the exported one's).
        data: The JSON file's bytes, as `export_scenario(..., "json")` wrote them.
        name: The new scenario's name, unique in the collaborative.

    Returns:
        The new scenario's id.

    Raises:
        ImportValidationError: the file is not a scenario export, or a value is not valid;
            nothing was written.
        ScenarioError: blank or taken name.
        NotFoundError, PermissionDeniedError: not a member, or may not manage scenarios.
    """
    with collaborative_transaction(
        token, collaborative_id, Permission.MANAGE_SCENARIOS, hide_from_outsiders=True
    ) as (session, principal):
        return _import_scenario_document(session, collaborative_id, data, name, actor=principal)


def _import_scenario_document(
    session: Session, collaborative_id: int, data: bytes, name: str, *, actor: Principal
) -> int:
    """`import_scenario_json` inside the caller's session (who commits), without role checks."""
    name = scenario_name_checked(name)
    require_unique_name(session, collaborative_id, name)
    document = _parse_document(data)
    rows, problems = _typed_tables(document)
    if problems:
        raise ImportValidationError(problems)
    about = document["scenario"]
    scenario = Scenario(
        collaborative_id=collaborative_id,
        name=name,
        description=str(about.get("description") or "")[:2000],
        owner=actor.email,
        status=ScenarioStatus.DRAFT,
        data_period=rows["data_period"],
        updated_by=actor.email,
    )
    session.add(scenario)
    try:
        session.flush()
        _write_document(session, scenario, document, rows, actor.email)
        session.flush()
    except (sa.exc.IntegrityError, sa.exc.DataError) as error:
        logger.info("Scenario JSON refused by the database: %s", error.orig)
        raise ImportValidationError(
            [_problem(None, None, f"breaks a rule of the database: {error.orig}")]
        ) from error
    audit(
        session,
        actor,
        scenario,
        "data.import",
        f"Created '{name}' from the scenario JSON of '{about.get('name', '')}'",
        entity="scenario",
        new=name,
    )
    session.flush()
    return scenario.id


def _parse_document(data: bytes) -> dict[str, Any]:
    if not data:
        raise ImportValidationError([_problem(None, None, "is empty (0 bytes).")])
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeError, json.JSONDecodeError) as error:
        raise ImportValidationError([_problem(None, None, f"is not JSON: {error}")]) from error
    if not isinstance(document, dict) or document.get("format") != JSON_FORMAT:
        raise ImportValidationError(
            [_problem("format", None, f"is not '{JSON_FORMAT}'; this is not a scenario export.")]
        )
    if document.get("format_version") != JSON_FORMAT_VERSION:
        raise ImportValidationError(
            [
                _problem(
                    "format_version",
                    document.get("format_version"),
                    f"is not a version this app reads ({JSON_FORMAT_VERSION}).",
                )
            ]
        )
    problems = [
        _problem(key, None, "is missing.")
        for key, kind in (("scenario", dict), ("organisations", list), ("tables", dict))
        if not isinstance(document.get(key), kind)
    ]
    if problems:
        raise ImportValidationError(problems)
    return document


def _write_document(
    session: Session,
    scenario: Scenario,
    document: dict[str, Any],
    rows: dict[str, Any],
    user: str,
) -> None:
    ensure_treatment_functions(session)
    known = {
        o.ods_code: o.id
        for o in session.exec(
            select(Organisation).where(
                Organisation.ods_code.in_([o["ods_code"] for o in rows["organisations"]])
            )
        ).all()
    }
    for org in rows["organisations"]:
        if org["ods_code"] not in known:
            new = Organisation(**org, updated_by=user)
            session.add(new)
            session.flush()
            known[org["ods_code"]] = new.id
    tfcs = set(session.exec(select(TreatmentFunction.code)).all())
    problems = [
        _problem("organisations", code, "is used by a row but not listed in organisations.")
        for code in sorted(_referenced_codes(rows) - set(known))
    ]
    problems += [
        _problem("treatment function", code, "is not an RTT treatment function code.")
        for code in sorted(_referenced_tfcs(rows) - tfcs)
    ]
    if problems:
        raise ImportValidationError(problems)
    site_ids: dict[str, int] = {}
    for site in rows["sites"]:
        values = {
            k: v for k, v in site.items() if k not in ("operator_ods_code", "treatment_functions")
        }
        row = Site(
            scenario_id=scenario.id,
            operator_id=known[site["operator_ods_code"]],
            updated_by=user,
            **values,
        )
        session.add(row)
        session.flush()
        site_ids[site["code"]] = row.id
        session.add_all(
            SiteTreatmentFunction(site_id=row.id, tfc=t) for t in site["treatment_functions"]
        )
    missing_sites = {r["site_code"] for t in ("theatres", "beds") for r in rows[t]} - set(site_ids)
    if missing_sites:
        raise ImportValidationError(
            [
                _problem("sites", code, "is used by theatres or beds but not listed in sites.")
                for code in sorted(missing_sites)
            ]
        )
    inserts: list[tuple[Any, list[dict[str, Any]]]] = [
        (TheatreCapacity, [_site_row(r, site_ids, scenario.id, user) for r in rows["theatres"]]),
        (BedCapacity, [_site_row(r, site_ids, scenario.id, user) for r in rows["beds"]]),
        (
            CaseMix,
            [{**r, "scenario_id": scenario.id, "updated_by": user} for r in rows["case_mix"]],
        ),
        (Workforce, [_org_row(r, known, scenario.id, user) for r in rows["workforce"]]),
        (TrustBeds, [_org_row(r, known, scenario.id, user) for r in rows["trust_beds"]]),
        (WaitingList, [_org_row(r, known, scenario.id, None) for r in rows["waiting_list"]]),
        (RttActivity, [_org_row(r, known, scenario.id, None) for r in rows["activity"]]),
        (ImportBatch, [{**r, "scenario_id": scenario.id} for r in rows["import_batches"]]),
    ]
    model = flow_table()
    if model is not None:
        inserts.append((model, [{**r, "scenario_id": scenario.id} for r in rows.get("flows", [])]))
    for table, values in inserts:
        if values:
            session.execute(sa.insert(table), values)
    _write_rota_staff(session, scenario, rows, known, user)


def _write_rota_staff(
    session: Session, scenario: Scenario, rows: dict[str, Any], org_ids: dict[str, int], user: str
) -> None:
    """The rota staff list, then its people's leave, requests and locks by staff code."""
    staff_ids: dict[str, int] = {}
    for person in rows.get("rota_staff", []):
        values = {k: v for k, v in person.items() if k != "ods_code"}
        row = RotaStaff(
            **values,
            scenario_id=scenario.id,
            organisation_id=org_ids[person["ods_code"]],
            updated_by=user,
        )
        session.add(row)
        session.flush()
        staff_ids[person["code"]] = row.id
    problems = [
        _problem(f"{table} row {number}, staff_code", r["staff_code"], "is not in rota_staff.")
        for table in _ROTA_TABLES
        for number, r in enumerate(rows.get(table, []), start=1)
        if r["staff_code"] not in staff_ids
    ]
    if problems:
        raise ImportValidationError(problems)
    for table, (model, _order) in _ROTA_TABLES.items():
        values = []
        for r in rows.get(table, []):
            value = {k: v for k, v in r.items() if k != "staff_code"}
            value["staff_id"] = staff_ids[r["staff_code"]]
            if model is RotaLock:
                value["scenario_id"] = scenario.id
            elif model is RotaRequest:
                value["updated_by"] = user
            values.append(value)
        if values:
            session.execute(sa.insert(model), values)


def _referenced_codes(rows: dict[str, Any]) -> set[str]:
    codes = {s["operator_ods_code"] for s in rows["sites"]}
    for table in (*_ORG_TABLES, "rota_staff"):
        codes |= {r["ods_code"] for r in rows[table]}
    return codes


def _referenced_tfcs(rows: dict[str, Any]) -> set[str]:
    codes = {t for s in rows["sites"] for t in s["treatment_functions"]}
    for table in ("case_mix", "waiting_list", "activity"):
        codes |= {r["tfc"] for r in rows[table]}
    return codes


def _site_row(
    row: dict[str, Any], site_ids: dict[str, int], scenario_id: int, user: str
) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if k != "site_code"}
    return {
        **values,
        "site_id": site_ids[row["site_code"]],
        "scenario_id": scenario_id,
        "updated_by": user,
    }


def _org_row(
    row: dict[str, Any], org_ids: dict[str, int], scenario_id: int, user: str | None
) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if k != "ods_code"}
    values |= {"organisation_id": org_ids[row["ods_code"]], "scenario_id": scenario_id}
    if user is not None:
        values["updated_by"] = user
    return values
