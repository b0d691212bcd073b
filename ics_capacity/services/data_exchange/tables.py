"""A scenario's tables as exported: their fields, headings and rows keyed by codes, not ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    Organisation,
    RotaLeave,
    RotaLock,
    RotaRequest,
    RotaStaff,
    RttActivity,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
    TrustBeds,
    WaitingList,
    Workforce,
)
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import flow_table

EXPORT_TABLES: dict[str, str] = {
    "sites": "Sites and hubs",
    "theatres": "Theatre capacity",
    "beds": "Bed capacity",
    "case_mix": "Case-mix",
    "workforce": "Workforce FTE",
    "waiting_list": "Waiting list by wait band",
    "activity": "RTT activity",
    "trust_beds": "Trust G&A beds",
    "rota_staff": "Rota staff",
    "rota_leave": "Rota leave",
    "rota_requests": "Rota requests",
    "rota_locks": "Rota locks",
}
if flow_table() is not None:
    EXPORT_TABLES["flows"] = "Monthly flows per system"


@dataclass(frozen=True)
class _Field:
    key: str  # JSON key and DataFrame column
    heading: str  # CSV and Excel column heading


_FIELDS: dict[str, tuple[_Field, ...]] = {
    "sites": (
        _Field("code", "Site code"),
        _Field("name", "Site name"),
        _Field("operator_ods_code", "Operator ODS code"),
        _Field("is_elective_hub", "Elective hub"),
        _Field("postcode", "Postcode"),
        _Field("latitude", "Latitude"),
        _Field("longitude", "Longitude"),
        _Field("treatment_functions", "Treatment functions"),
        _Field("source", "Source"),
    ),
    "theatres": (
        _Field("site_code", "Site code"),
        _Field("theatres", "Theatres"),
        _Field("sessions_per_week", "Sessions per week per theatre"),
        _Field("session_minutes", "Session minutes"),
        _Field("utilisation_target", "Utilisation target"),
    ),
    "beds": (
        _Field("site_code", "Site code"),
        _Field("elective_overnight_beds", "Elective overnight beds"),
        _Field("day_case_places", "Day-case places"),
        _Field("occupancy_target", "Bed occupancy target"),
    ),
    "case_mix": (
        _Field("tfc", "Treatment function"),
        _Field("minutes_per_case", "Minutes per case"),
        _Field("length_of_stay_days", "Length of stay days"),
        _Field("day_case_rate", "Day-case rate"),
        _Field("source", "Source"),
    ),
    "workforce": (
        _Field("ods_code", "ODS code"),
        _Field("staff_group", "Staff group"),
        _Field("period", "Period"),
        _Field("headcount", "Headcount"),
        _Field("fte", "FTE"),
    ),
    "waiting_list": (
        _Field("ods_code", "ODS code"),
        _Field("tfc", "Treatment function"),
        _Field("part", "RTT part"),
        _Field("wait_band_weeks", "Waited more than (weeks)"),
        _Field("patients", "Patients"),
    ),
    "activity": (
        _Field("ods_code", "ODS code"),
        _Field("tfc", "Treatment function"),
        _Field("period", "Month"),
        _Field("new_clock_starts", "New clock starts"),
        _Field("completed_admitted", "Completed, admitted"),
        _Field("completed_non_admitted", "Completed, non-admitted"),
        _Field("waiting_total", "Waiting"),
        _Field("waiting_unknown_clock_start", "Waiting, unknown clock start"),
        _Field("waiting_admitted_total", "Waiting for admission"),
    ),
    "trust_beds": (
        _Field("ods_code", "ODS code"),
        _Field("period", "Quarter"),
        _Field("ga_beds_available", "G&A beds available"),
        _Field("ga_beds_occupied", "G&A beds occupied"),
    ),
    "rota_staff": (
        _Field("code", "Staff code"),
        _Field("label", "Label"),
        _Field("ods_code", "Trust (ODS code)"),
        _Field("home_site_code", "Home site"),
        _Field("staff_group", "Staff group"),
        _Field("role", "Role"),
        _Field("grade", "Grade"),
        _Field("contract", "Contract"),
        _Field("employment", "Employment"),
        _Field("skills", "Skills"),
        _Field("sites", "Sites"),
        _Field("contracted_minutes_per_week", "Contracted minutes per week"),
        _Field("hourly_cost_pence", "Hourly cost (pence)"),
        _Field("source", "Source"),
    ),
    "rota_leave": (
        _Field("staff_code", "Staff code"),
        _Field("start_date", "First day"),
        _Field("end_date", "Last day"),
        _Field("kind", "Kind"),
    ),
    "rota_requests": (
        _Field("staff_code", "Staff code"),
        _Field("on_date", "Date"),
        _Field("shift_kind", "Shift"),
        _Field("kind", "Request"),
        _Field("weight", "Weight"),
        _Field("note", "Note"),
    ),
    "rota_locks": (
        _Field("staff_code", "Staff code"),
        _Field("on_date", "Date"),
        _Field("shift_code", "Shift code"),
        _Field("locked_by", "Locked by"),
        _Field("locked_at", "Locked at"),
    ),
    "flows": (
        _Field("icb_code", "System (ICB)"),
        _Field("period", "Month"),
        _Field("new_clock_starts", "New clock starts"),
        _Field("completed", "Completed pathways"),
        _Field("waiting_total", "Waiting list at month end"),
    ),
}

# Where each table's rows live, and the columns read from it besides the organisation's code.
_ORG_TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "workforce": (Workforce, ("staff_group", "period", "headcount", "fte")),
    "waiting_list": (WaitingList, ("tfc", "part", "wait_band_weeks", "patients")),
    "activity": (
        RttActivity,
        (
            "tfc",
            "period",
            "new_clock_starts",
            "completed_admitted",
            "completed_non_admitted",
            "waiting_total",
            "waiting_unknown_clock_start",
            "waiting_admitted_total",
        ),
    ),
    "trust_beds": (TrustBeds, ("period", "ga_beds_available", "ga_beds_occupied")),
}


def scenario_table(session: Session, scenario_id: int, table: str) -> pd.DataFrame:
    """One table of a scenario, keyed by codes (not database ids), in a stable order.

    Returns:
        One row per database row, columns as the table's JSON keys (`_FIELDS`); Decimal values
        stay Decimal and dates stay dates, so nothing is rounded.
    """
    keys = [f.key for f in _FIELDS[table]]
    if table == "sites":
        rows = session.execute(
            sa.select(Site, Organisation.ods_code)
            .join(Organisation, Organisation.id == Site.operator_id)
            .where(Site.scenario_id == scenario_id)
            .order_by(Site.code)
        ).all()
        tfcs: dict[int, list[str]] = {}
        for site_id, tfc in session.execute(
            sa.select(SiteTreatmentFunction.site_id, SiteTreatmentFunction.tfc)
            .join(Site, Site.id == SiteTreatmentFunction.site_id)
            .where(Site.scenario_id == scenario_id)
            .order_by(SiteTreatmentFunction.tfc)
        ):
            tfcs.setdefault(site_id, []).append(tfc)
        records = [
            {
                "code": s.code,
                "name": s.name,
                "operator_ods_code": ods,
                "is_elective_hub": s.is_elective_hub,
                "postcode": s.postcode,
                "latitude": s.latitude,
                "longitude": s.longitude,
                "treatment_functions": tfcs.get(s.id, []),
                "source": s.source,
            }
            for s, ods in rows
        ]
    elif table in ("theatres", "beds"):
        model = TheatreCapacity if table == "theatres" else BedCapacity
        columns = [getattr(model, k) for k in keys[1:]]
        records = [
            dict(zip(keys, row, strict=True))
            for row in session.execute(
                sa.select(Site.code, *columns)
                .join(Site, Site.id == model.site_id)
                .where(model.scenario_id == scenario_id)
                .order_by(Site.code)
            )
        ]
    elif table == "case_mix":
        columns = [getattr(CaseMix, k) for k in keys]
        records = [
            dict(zip(keys, row, strict=True))
            for row in session.execute(
                sa.select(*columns).where(CaseMix.scenario_id == scenario_id).order_by(CaseMix.tfc)
            )
        ]
    elif table == "rota_staff" or table in _ROTA_TABLES:
        records = _rota_records(session, scenario_id, table, keys)
    elif table == "flows":
        model = flow_table()
        records = []
        if model is not None:
            columns = [getattr(model, k) for k in keys]
            records = [
                dict(zip(keys, row, strict=True))
                for row in session.execute(
                    sa.select(*columns)
                    .where(model.scenario_id == scenario_id)
                    .order_by(model.icb_code, model.period)
                )
            ]
    else:
        model, names = _ORG_TABLES[table]
        columns = [getattr(model, n) for n in names]
        records = [
            dict(zip(keys, row, strict=True))
            for row in session.execute(
                sa.select(Organisation.ods_code, *columns)
                .join(Organisation, Organisation.id == model.organisation_id)
                .where(model.scenario_id == scenario_id)
                .order_by(Organisation.ods_code, *columns[:-1])
            )
        ]
    return pd.DataFrame.from_records(records, columns=keys)


_ROTA_TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "rota_leave": (RotaLeave, ("start_date", "kind")),
    "rota_requests": (RotaRequest, ("on_date", "shift_kind")),
    "rota_locks": (RotaLock, ("on_date",)),
}
"""A person's rows, keyed by their staff code, and the columns that order them."""


def _rota_records(
    session: Session, scenario_id: int, table: str, keys: list[str]
) -> list[dict[str, Any]]:
    """The rota staff list, or its people's leave, requests or locks, keyed by staff code."""
    if table == "rota_staff":
        rows = session.execute(
            sa.select(RotaStaff, Organisation.ods_code)
            .join(Organisation, Organisation.id == RotaStaff.organisation_id)
            .where(RotaStaff.scenario_id == scenario_id)
            .order_by(RotaStaff.code)
        ).all()
        return [
            {k: (ods if k == "ods_code" else getattr(person, k)) for k in keys}
            for person, ods in rows
        ]
    model, order = _ROTA_TABLES[table]
    rows = session.execute(
        sa.select(model, RotaStaff.code)
        .join(RotaStaff, RotaStaff.id == model.staff_id)
        .where(RotaStaff.scenario_id == scenario_id)
        .order_by(RotaStaff.code, *(getattr(model, c) for c in order))
    ).all()
    return [
        {k: (code if k == "staff_code" else getattr(row, k)) for k in keys} for row, code in rows
    ]
