"""Files in and out of a scenario: preview and import, export of tables and whole scenarios.

Imports take NHS England's files as published (RTT Full CSV extract, plain or zipped; KH03 beds;
workforce staff in post; ODS trusts; the monthly flow series) and the project's own templates
(`docs/data-templates.md`). An import is validated in full before anything is written: a preview
lists every problem with file, row, column and reason, and a commit either writes everything in
one transaction (audited as `data.import`) or raises `ImportValidationError` and writes nothing.
A file already imported into the scenario (same kind, same SHA-256) is a no-op.

Exports give any table, or a whole scenario, as CSV or Excel; a whole scenario also as JSON, which
`import_scenario_json` turns back into a new draft scenario with the same rows (lossless).

The functions taking a session token open `scenarios.scenario_transaction` (or
`collaborative_transaction`), which checks the user's role, then call the private functions taking
an open session (`_preview_into`, `import_file_in`, `_export_table_of`, ...). The command line acts
as the server operator through `import_as_operator` and `export_as_operator`, which call the same
private functions without a role check.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    BedCapacity,
    CaseMix,
    Collaborative,
    CollaborativeMember,
    ImportBatch,
    Organisation,
    RotaLeave,
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
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.measures import label
from ics_capacity.domain.moments import when
from ics_capacity.domain.roles import Permission
from ics_capacity.importers.flows import read_flows
from ics_capacity.importers.kh03 import BED_COLUMNS, read_kh03
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.problems import ImportProblem, ImportValidationError
from ics_capacity.importers.recognise import (
    SIGNATURES,
    header_of,
    is_header_problem,
    match_share,
    recognise,
)
from ics_capacity.importers.rota_requests import read_rota_requests
from ics_capacity.importers.rota_staff import read_rota_staff
from ics_capacity.importers.templates import TEMPLATE_LABELS, THEATRES, read_template
from ics_capacity.importers.workforce import read_workforce
from ics_capacity.services.auth import Principal
from ics_capacity.services.imports import (
    MAX_COUNT,
    MAX_DECIMAL,
    ImportOutcome,
    already_imported,
    ensure_treatment_functions,
    etr_trusts,
    file_sha256,
    flow_table,
    load_etr,
    load_flows,
    load_kh03,
    load_rtt,
    load_template,
    load_workforce,
    plan_etr,
    record_batch,
    rtt_database_problems,
    too_large_problems,
    too_long_problems,
)
from ics_capacity.services.rota_staff import check_staff_rows, replace_rota_staff
from ics_capacity.services.scenarios import (
    NotFoundError,
    ScenarioError,
    audit,
    audit_download,
    collaborative_transaction,
    require_editable,
    require_unique_name,
    scenario_name_checked,
    scenario_transaction,
)
from ics_capacity.services.spreadsheets import csv_bytes, xlsx_bytes
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
OPERATOR = "cli"
"""Who the command line acts as in audit rows and `updated_by`."""

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

EXPORT_FORMATS = ("csv", "xlsx")
SCENARIO_FORMATS = ("json", "xlsx", "csv")
JSON_FORMAT = "ics-capacity scenario"
JSON_FORMAT_VERSION = 1

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
class ImportPreview:
    """What importing a file would do, or everything wrong with it; nothing is written.

    Attributes:
        kind: One of `IMPORT_KINDS`.
        file_name: The file's name as the user gave it.
        ok: Whether the file can be imported (no problems).
        problems: Every problem found, with file, row, column, value and reason.
        summary: (label, value) lines a person reads, e.g. ("Patients waiting", "221,510").
        already_imported: Whether this very file (same SHA-256) is already in the scenario, so
            importing it again would change nothing.
    """

    kind: str
    file_name: str
    ok: bool
    problems: list[ImportProblem]
    summary: list[tuple[str, str]]
    already_imported: bool


@dataclass(frozen=True)
class _Prepared:
    """A file read and checked, ready to write."""

    summary: list[tuple[str, str]]
    write: Callable[[Session, Scenario, str], ImportOutcome]


def _operator() -> Principal:
    """The server operator, as whom the command line imports and exports (no role checks)."""
    return Principal(user_id=0, email=OPERATOR, display_name="Command line")


# --- Import: the signed-in user's use cases ----------------------------------------------------


def preview_import(
    token: str,
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportPreview:
    """Checks a file against a scenario and says what importing it would do; writes nothing.

    Args:
        token: The signed-in user's session token.
        scenario_id: The scenario to import into (any status: a preview changes nothing).
        kind: One of `IMPORT_KINDS`.
        path: The file, named as the user knows it (problems name `path.name`).
        ics: RTT, ODS and flows: the system (ICB code) to read; default the scenario's.
        providers: RTT, KH03 and workforce: the provider ODS codes to read; default all of the
            system (RTT) or the collaborative's member trusts (KH03, workforce).

    Raises:
        NotSignedInError, NotFoundError, PermissionDeniedError: as for any scenario use case;
            the permission is EDIT_CAPACITY (EDIT_WORKFORCE for workforce files).
        ScenarioError: unknown kind.
    """
    _check_kind(kind)
    with scenario_transaction(token, scenario_id, permission_for(kind)) as use:
        return _preview_into(use.session, use.scenario, kind, path, ics=ics, providers=providers)


def commit_import(
    token: str,
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportOutcome:
    """Imports a file into a draft (or rejected) scenario in one transaction, audited.

    Arguments as `preview_import`.

    Returns:
        What was written, or that nothing was because the file was already imported.

    Raises:
        ImportValidationError: with every problem; nothing was written.
        ScenarioError: the scenario is not editable, or the kind is unknown.
        NotSignedInError, NotFoundError, PermissionDeniedError: as `preview_import`.
    """
    _check_kind(kind)
    with scenario_transaction(token, scenario_id, permission_for(kind)) as use:
        return import_file_in(
            use.session, use.scenario, kind, path, actor=use.principal, ics=ics, providers=providers
        )


def permission_for(kind: str) -> Permission:
    """The permission importing a kind of file needs."""
    if kind in ("workforce", "rota_staff", "rota_requests"):
        return Permission.EDIT_WORKFORCE
    return Permission.EDIT_CAPACITY


def _check_kind(kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise ScenarioError(
            f"'{kind}' is not a kind of import; use one of {', '.join(IMPORT_KINDS)}."
        )


# --- Import: inside an open session, without a role check (the callers check) ------------------


def _preview_into(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportPreview:
    """`preview_import` inside the caller's session, without a permission check."""
    _check_kind(kind)
    already = False
    try:
        already = already_imported(session, scenario.id, kind, _sha256(path))
        prepared = _prepare_recognised(session, scenario, kind, path, ics=ics, providers=providers)
    except ImportValidationError as error:
        return ImportPreview(kind, path.name, False, error.problems, [], already)
    return ImportPreview(kind, path.name, True, [], prepared.summary, already)


def import_file_in(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    actor: Principal,
    ics: str | None = None,
    providers: Collection[str] | None = None,
) -> ImportOutcome:
    """`commit_import` inside the caller's session (who commits), without a permission check.

    For a use case that has checked its caller (commit_import, onboarding) or the operator.

    Raises:
        ImportValidationError: with every problem; nothing has been written to the session.
        ScenarioError: the scenario is not editable.
    """
    _check_kind(kind)
    require_editable(scenario)
    if already_imported(session, scenario.id, kind, _sha256(path)):
        return ImportOutcome(kind, path.name, 0, skipped_as_duplicate=True)
    prepared = _prepare_recognised(session, scenario, kind, path, ics=ics, providers=providers)
    outcome = prepared.write(session, scenario, actor.email)
    session.execute(
        sa.update(Scenario)
        .where(Scenario.id == scenario.id)
        .values(updated_at=dt.datetime.now(dt.UTC), updated_by=actor.email)
        .execution_options(synchronize_session=False)
    )
    audit(
        session,
        actor,
        scenario,
        "data.import",
        f"Imported {IMPORT_KIND_LABELS[kind]} {path.name} into '{scenario.name}': "
        f"{outcome.rows_written:,} rows",
        entity="import",
        entity_id=kind,
        new=path.name,
    )
    session.flush()
    return outcome


def _prepare_recognised(
    session: Session,
    scenario: Scenario,
    kind: str,
    path: Path,
    *,
    ics: str | None,
    providers: Collection[str] | None,
) -> _Prepared:
    """`_prepare`, but a file of another kind gets one problem saying what it looks like.

    Without this, a file whose header is mostly not this kind's gets a line for every column
    the reader missed.
    """
    try:
        return _prepare(session, scenario, kind, path, ics=ics, providers=providers)
    except ImportValidationError as error:
        missing = [problem for problem in error.problems if is_header_problem(problem)]
        if len(missing) < 2:
            raise
        header = header_of(path) or []
        guess = recognise(header)
        if guess == kind or (guess is None and not _mostly_missing(kind, header)):
            raise
        raise ImportValidationError([_wrong_kind(kind, guess, missing, header, path)]) from error


def _mostly_missing(kind: str, header: list[str]) -> bool:
    """Whether the header holds under half of every column set that identifies the kind."""
    signatures = SIGNATURES.get(kind, [])
    return all(match_share(header, signature) < 0.5 for signature in signatures)


def _wrong_kind(
    kind: str, guess: str | None, missing: list[ImportProblem], header: list[str], path: Path
) -> ImportProblem:
    chosen = IMPORT_KIND_LABELS[kind]
    expected = ", ".join(f"'{problem.column}'" for problem in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    if guess is not None:
        reason = (
            f"looks like the {IMPORT_KIND_LABELS[guess]} file, not a {chosen} file: its header "
            f"has that file's columns, and lacks {expected}{more}. Choose "
            f"'{IMPORT_KIND_LABELS[guess]}' as the kind of file, or upload the {chosen} file."
        )
    else:
        first = ", ".join(f"'{name}'" for name in header[:4]) or "nothing readable"
        reason = (
            f"does not look like a {chosen} file: its header row starts {first}, and lacks "
            f"{expected}{more}. Check the kind of file chosen, and that the first row names "
            "the columns."
        )
    return ImportProblem(path.name, 1, None, None, reason)


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise ImportValidationError([ImportProblem(path.name, None, None, None, "does not exist.")])
    return file_sha256(path)


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


# --- Export ------------------------------------------------------------------------------------


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
        return _export_table_of(use.session, use.scenario, table, fmt, use.principal)


def _export_table_of(
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
        return _export_scenario_of(use.session, use.scenario, fmt, use.principal)


def _export_scenario_of(
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


_FILE = "scenario JSON"


def _problem(column: str | None, value: object, reason: str) -> ImportProblem:
    shown = None if value is None else str(value)
    return ImportProblem(_FILE, None, column, shown, reason)


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


# --- The command line, as the server operator --------------------------------------------------


def _scenario_as_operator(session: Session, scenario_id: int) -> Scenario:
    """A scenario by id, for the command line (which has every right)."""
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise NotFoundError(f"Scenario {scenario_id} was not found.")
    return scenario


def import_as_operator(
    scenario_id: int,
    kind: str,
    path: Path,
    *,
    ics: str | None = None,
    providers: Collection[str] | None = None,
    dry_run: bool = False,
) -> ImportOutcome | ImportPreview:
    """Imports (or with `dry_run` previews) a file into a scenario from the command line."""
    with unit_of_work() as session:
        scenario = _scenario_as_operator(session, scenario_id)
        if dry_run:
            return _preview_into(session, scenario, kind, path, ics=ics, providers=providers)
        outcome = import_file_in(
            session, scenario, kind, path, actor=_operator(), ics=ics, providers=providers
        )
        session.commit()
        return outcome


def export_as_operator(scenario_id: int, fmt: str, table: str | None = None) -> tuple[str, bytes]:
    """A scenario (or one of its tables) as a file, for the command line; audited as the CLI."""
    with unit_of_work() as session:
        scenario = _scenario_as_operator(session, scenario_id)
        if table is not None:
            exported = _export_table_of(session, scenario, table, fmt, _operator())
        else:
            exported = _export_scenario_of(session, scenario, fmt, _operator())
        session.commit()
        return exported
