"""Reading and checking one import file of each kind, ready to write into a scenario.

`_prepare` reads a file as one of `IMPORT_KINDS` and checks it against the scenario; it
returns a summary for the preview and a function that writes the rows (through the loaders),
or raises `ImportValidationError` with every problem. Nothing here checks a role.
"""

from __future__ import annotations

import csv
import logging
import zipfile
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from ics_capacity.db.models import (
    CaseMix,
    Collaborative,
    CollaborativeMember,
    Organisation,
    RotaStaff,
    Scenario,
    Site,
)
from ics_capacity.domain.measures import label
from ics_capacity.importers.flows import read_flows
from ics_capacity.importers.kh03 import BED_COLUMNS, read_kh03
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.rota_requests import read_rota_requests
from ics_capacity.importers.rota_staff import read_rota_staff
from ics_capacity.importers.templates import TEMPLATE_LABELS, THEATRES, read_template
from ics_capacity.importers.workforce import read_workforce
from ics_capacity.services.data_exchange.loaders import (
    MAX_COUNT,
    MAX_DECIMAL,
    ImportOutcome,
    file_sha256,
    load_kh03,
    load_rtt,
    load_workforce,
    record_batch,
    rtt_database_problems,
    too_large_problems,
    too_long_problems,
)
from ics_capacity.services.data_exchange.loaders_trusts_flows_templates import (
    etr_trusts,
    flow_table,
    load_etr,
    load_flows,
    load_template,
    plan_etr,
)
from ics_capacity.services.rota_staff import check_staff_rows, replace_rota_staff
from ics_capacity.services.staff import check_request_rows, merge_requests

logger = logging.getLogger(__name__)


IMPORT_KINDS = (
    "rtt",
    "kh03",
    "workforce",
    "etr",
    "flows",
    "template",
    "rota_staff",
    "rota_requests",
)
IMPORT_KIND_LABELS = {
    "rtt": "RTT Full CSV extract",
    "kh03": "KH03 beds",
    "workforce": "Workforce staff in post",
    "etr": "ODS NHS trusts (etr)",
    "flows": "Monthly RTT flows per system",
    "template": "Template (theatres or case-mix)",
    "rota_staff": "Rota staff list",
    "rota_requests": "Rota staff requests",
}

_READ_ERRORS = (
    csv.Error,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    UnicodeError,
    pd.errors.ParserError,
    OSError,
)


@dataclass(frozen=True)
class _Prepared:
    """A file read and checked, ready to write."""

    summary: list[tuple[str, str]]
    write: Callable[[Session, Scenario, str], ImportOutcome]


def _prepare(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    ics: str | None,
    providers: Collection[str] | None,
) -> _Prepared:
    """Reads and checks the file against the scenario; raises ImportValidationError."""
    if not path.is_file():
        raise ImportValidationError([ImportProblem(path.name, None, None, None, "does not exist.")])
    if path.stat().st_size == 0:
        raise ImportValidationError(
            [ImportProblem(path.name, None, None, None, "is empty (0 bytes); nothing to import.")]
        )
    collaborative = session.get(Collaborative, scenario.collaborative_id)
    system = (ics or collaborative.icb_code).strip().upper()
    wanted = sorted({p.strip().upper() for p in providers}) if providers else None
    preparers = {
        "rtt": lambda: _prepare_rtt(path, system, wanted),
        "kh03": lambda: _prepare_kh03(session, scenario, path, wanted),
        "workforce": lambda: _prepare_workforce(session, scenario, path, wanted),
        "etr": lambda: _prepare_etr(session, scenario, path, system),
        "flows": lambda: _prepare_flows(path, system),
        "template": lambda: _prepare_template(session, scenario, path),
        "rota_staff": lambda: _prepare_rota_staff(session, scenario, path),
        "rota_requests": lambda: _prepare_rota_requests(session, scenario, path),
    }
    try:
        return preparers[kind]()
    except _READ_ERRORS as error:
        logger.info("Could not read %s as %s: %s", path.name, kind, error)
        raise ImportValidationError(
            [
                ImportProblem(
                    path.name,
                    None,
                    None,
                    None,
                    f"cannot be read as {IMPORT_KIND_LABELS[kind]}: {error}",
                )
            ]
        ) from error


def _members(session: Session, scenario: Scenario) -> list[str]:
    """ODS codes of the scenario's collaborative's member organisations."""
    return sorted(
        session.exec(
            select(Organisation.ods_code)
            .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
            .where(CollaborativeMember.collaborative_id == scenario.collaborative_id)
        ).all()
    )


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def _prepare_rtt(path: Path, ics: str, providers: list[str] | None) -> _Prepared:
    extract = read_rtt_for_system(path, ics=ics, providers=providers)
    rtt_database_problems(extract)
    counts = extract.counts
    waiting = counts[counts["part"] == "Part_2"]
    over_52 = waiting[[f"w{b:03d}" for b in range(52, 105)]].to_numpy().sum()
    summary = [
        ("Month", f"{extract.period:%B %Y}"),
        ("System (ICB)", ics),
        ("Providers", str(len(extract.providers))),
        ("Treatment functions", str(len(extract.treatment_functions))),
        ("Patients waiting", _whole(waiting["total_all"].sum())),
        ("Waiting over 52 weeks", _whole(over_52)),
        (
            "New clock starts in the month",
            _whole(counts.loc[counts["part"] == "Part_3", "total_all"].sum()),
        ),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_rtt(session, extract, scenario, path, user=user)

    return _Prepared(summary, write)


def _require_members(path: Path, members: list[str]) -> None:
    if not members:
        raise ImportValidationError(
            [
                ImportProblem(
                    path.name,
                    None,
                    None,
                    None,
                    "cannot be imported: the collaborative has no member trusts to read.",
                )
            ]
        )


def _prepare_kh03(
    session: Session, scenario: Scenario, path: Path, providers: list[str] | None
) -> _Prepared:
    trusts = providers or _members(session, scenario)
    _require_members(path, trusts)
    beds = read_kh03(path, providers=trusts)
    where = beds["ods_code"] + " " + beds["period"]
    limit = float(MAX_DECIMAL["ga_beds"])
    problems = [
        problem
        for column in BED_COLUMNS
        for problem in too_large_problems(path.name, beds[column], limit, where, column)
    ]
    if problems:
        raise ImportValidationError(problems)
    available, occupied = beds["ga_beds_available"].sum(), beds["ga_beds_occupied"].sum()
    summary = [
        ("Trusts", str(len(beds))),
        ("Quarters", ", ".join(sorted(beds["period"].unique()))),
        ("G&A beds available", f"{available:,.1f}"),
        ("G&A beds occupied", f"{occupied:,.1f}"),
        ("Occupancy", f"{occupied / available:.1%}" if available else "–"),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_kh03(session, path, scenario, trusts, user=user)

    return _Prepared(summary, write)


def _prepare_workforce(
    session: Session, scenario: Scenario, path: Path, providers: list[str] | None
) -> _Prepared:
    trusts = providers or _members(session, scenario)
    _require_members(path, trusts)
    staff = read_workforce(path, providers=trusts)
    file = path.name
    where = staff["ods_code"] + ", " + staff["staff_group"]
    problems = too_long_problems(file, staff["staff_group"], 100, "a staff group")
    problems += too_long_problems(file, staff["period"].astype(str), 30, "a period")
    problems += too_large_problems(file, staff["headcount"], MAX_COUNT, where, "headcount")
    problems += too_large_problems(file, staff["fte"], float(MAX_DECIMAL["fte"]), where, "FTE")
    if problems:
        raise ImportValidationError(problems)
    summary = [
        ("Trusts", str(staff["ods_code"].nunique())),
        ("Staff groups", str(staff["staff_group"].nunique())),
        ("Period", ", ".join(sorted(staff["period"].astype(str).unique()))),
        ("Headcount", _whole(staff["headcount"].sum())),
        ("Full-time equivalents", f"{staff['fte'].sum():,.1f}"),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_workforce(session, path, scenario, trusts, user=user)

    return _Prepared(summary, write)


def _prepare_etr(session: Session, scenario: Scenario, path: Path, icb: str) -> _Prepared:
    trusts = etr_trusts(path, icb)
    plan = plan_etr(session, trusts, scenario.collaborative_id)
    summary = [
        ("System (ICB)", icb),
        ("Open NHS trusts", str(len(trusts))),
        ("Not yet known to the app", str(len(plan.new))),
        ("Member trusts to update", str(len(plan.changed))),
    ]
    if plan.skipped:
        summary.append(
            (
                "Skipped: other collaboratives' trusts, left unchanged",
                ", ".join(sorted(plan.skipped)),
            )
        )

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_etr(session, path, scenario, icb=icb, user=user)

    return _Prepared(summary, write)


def _prepare_flows(path: Path, icb: str) -> _Prepared:
    flows = read_flows(path)
    file = path.name
    rows = flows[flows["org"] == icb]
    if rows.empty:
        systems = ", ".join(sorted(flows["org"].unique()))
        raise ImportValidationError(
            [
                ImportProblem(
                    file, None, None, icb, f"is not a system in this file; it has {systems}."
                )
            ]
        )
    where = rows["org"] + " " + rows["period"].dt.strftime("%B %Y")
    problems = too_long_problems(file, rows["org"], 10, "a system code")
    for column in ("new", "completed", "incomplete"):
        problems += too_large_problems(file, rows[column], MAX_COUNT, where, column)
    if flow_table() is None:
        problems.append(
            ImportProblem(
                file,
                None,
                None,
                None,
                "cannot be stored: this database has no table for monthly flows per system yet "
                "(system_flow).",
            )
        )
    if problems:
        raise ImportValidationError(problems)
    first, last = rows["period"].min(), rows["period"].max()
    latest = rows.loc[rows["period"].idxmax()]
    summary = [
        ("System (ICB)", icb),
        ("Months", f"{len(rows)} ({first:%B %Y} to {last:%B %Y})"),
        (f"Waiting list, {last:%B %Y}", _whole(latest["incomplete"])),
        ("New clock starts a month (average)", _whole(rows["new"].mean())),
        ("Completed pathways a month (average)", _whole(rows["completed"].mean())),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_flows(session, path, rows, scenario, icb=icb, user=user)

    return _Prepared(summary, write)


def _prepare_template(session: Session, scenario: Scenario, path: Path) -> _Prepared:
    codes = set(session.exec(select(Organisation.ods_code)).all())
    template = read_template(path, known_ods_codes=codes)
    rows = template.rows
    summary = [("Template", TEMPLATE_LABELS[template.kind])]
    if template.kind == THEATRES:
        existing = set(session.exec(select(Site.code).where(Site.scenario_id == scenario.id)).all())
        minutes = (
            rows["theatres"]
            * rows["sessions_per_week"]
            * rows["session_minutes"]
            * rows["utilisation_target"]
        )
        summary += [
            ("Sites", str(len(rows))),
            ("New sites", str(len(set(rows["site_code"]) - existing))),
            ("Elective hubs", str(int(rows["is_elective_hub"].sum()))),
            ("Theatres", _whole(rows["theatres"].sum())),
            (label("usable_theatre_hours"), _whole(minutes.sum() / 60)),
            ("Elective overnight beds", _whole(rows["elective_overnight_beds"].sum())),
            ("Day-case places", _whole(rows["day_case_places"].sum())),
        ]
    else:
        existing = set(
            session.exec(select(CaseMix.tfc).where(CaseMix.scenario_id == scenario.id)).all()
        )
        summary += [
            ("Treatment functions", str(len(rows))),
            ("New to this scenario", str(len(set(rows["tfc"]) - existing))),
        ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        return load_template(session, template, scenario, path, user=user)

    return _Prepared(summary, write)


def _prepare_rota_staff(session: Session, scenario: Scenario, path: Path) -> _Prepared:
    rows = read_rota_staff(path)
    problems = check_staff_rows(session, scenario, rows, path.name)
    if problems:
        raise ImportValidationError(problems)
    existing = set(
        session.exec(select(RotaStaff.code).where(RotaStaff.scenario_id == scenario.id)).all()
    )
    codes = {r.code for r in rows}
    summary = [
        ("People", str(len(rows))),
        ("New to this scenario", str(len(codes - existing))),
        ("Removed from the list (their locks go too)", str(len(existing - codes))),
        ("Trusts", ", ".join(sorted({r.trust for r in rows}))),
        ("Roles", ", ".join(sorted({str(r.role) for r in rows}))),
        ("Bank staff", str(sum(r.employment == "bank" for r in rows))),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        written = replace_rota_staff(session, scenario, rows, user)
        return record_batch(
            session, scenario.id, "rota_staff", path, file_sha256(path), written, user
        )

    return _Prepared(summary, write)


def _prepare_rota_requests(session: Session, scenario: Scenario, path: Path) -> _Prepared:
    rows, columns = read_rota_requests(path)
    problems = check_request_rows(session, scenario, rows, columns, path.name)
    if problems:
        raise ImportValidationError(problems)
    summary = [
        ("Requests", str(len(rows))),
        ("People", str(len({r.staff_code for r in rows}))),
        ("To work (on)", str(sum(r.kind == "on" for r in rows))),
        ("Not to work (off)", str(sum(r.kind == "off" for r in rows))),
        (
            "Dates",
            f"{min(r.on_date for r in rows):%d %b %Y} to {max(r.on_date for r in rows):%d %b %Y}",
        ),
    ]

    def write(session: Session, scenario: Scenario, user: str) -> ImportOutcome:
        added, changed = merge_requests(session, scenario, rows, user)
        return record_batch(
            session, scenario.id, "rota_requests", path, file_sha256(path), added + changed, user
        )

    return _Prepared(summary, write)
