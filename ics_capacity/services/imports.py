"""Loading NHS England's published files into a scenario, one transaction per file.

Each loader takes an open session (the caller's unit of work) and writes nothing it has not first
validated: the importers raise `ImportValidationError` with every problem before a row is written.
A file already loaded into the scenario (same kind, same SHA-256) is skipped, so re-importing is a
no-op.

Values the importers accept but the database cannot hold (counts over 2,147,483,647, text longer
than its column) are reported as problems here too, before anything is written, so that a file
never fails half-way through its writes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db import models
from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    CaseMix,
    Collaborative,
    CollaborativeMember,
    ImportBatch,
    Organisation,
    OrganisationKind,
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
from ics_capacity.domain.codes import (
    SURGICAL_TREATMENT_FUNCTIONS,
    TREATMENT_FUNCTIONS,
    WAIT_BANDS,
    display_org_name,
    wait_band_label,
)
from ics_capacity.domain.starting_model import SiteCapacity
from ics_capacity.importers.kh03 import read_kh03
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.ods import read_etr
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)
from ics_capacity.importers.rtt import RttExtract
from ics_capacity.importers.templates import THEATRES, Template
from ics_capacity.importers.workforce import read_workforce
from ics_capacity.services.provenance import mark_local

BAND_COLUMNS = [f"w{i:03d}" for i in range(WAIT_BANDS)]
WAITING_PARTS = ("Part_2", "Part_2A")


@dataclass(frozen=True)
class ImportOutcome:
    """What one file did to a scenario."""

    kind: str
    file_name: str
    rows_written: int
    skipped_as_duplicate: bool = False

    def describe(self) -> str:
        """One line for a person: what was loaded, or why nothing was."""
        if self.skipped_as_duplicate:
            return f"{self.kind}: {self.file_name} was already imported; nothing changed."
        return f"{self.kind}: {self.rows_written:,} rows from {self.file_name}."


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def already_imported(session: Session, scenario_id: int, kind: str, sha256: str) -> bool:
    """Whether a file with this SHA-256 was already imported into the scenario as `kind`."""
    found = session.exec(
        select(ImportBatch.id).where(
            ImportBatch.scenario_id == scenario_id,
            ImportBatch.kind == kind,
            ImportBatch.sha256 == sha256,
        )
    ).first()
    return found is not None


def record_batch(
    session: Session, scenario_id: int, kind: str, path: Path, sha256: str, rows: int, user: str
) -> ImportOutcome:
    """Records the file as imported into the scenario (its hash makes re-import a no-op)."""
    session.add(
        ImportBatch(
            scenario_id=scenario_id,
            kind=kind,
            file_name=path.name,
            sha256=sha256,
            rows_written=rows,
            imported_by=user,
        )
    )
    return ImportOutcome(kind=kind, file_name=path.name, rows_written=rows)


def ensure_treatment_functions(session: Session) -> None:
    """Adds any RTT treatment function the database does not have yet."""
    known = set(session.exec(select(TreatmentFunction.code)).all())
    for code, name in TREATMENT_FUNCTIONS.items():
        if code not in known:
            session.add(
                TreatmentFunction(
                    code=code, name=name, is_surgical=code in SURGICAL_TREATMENT_FUNCTIONS
                )
            )
    session.flush()


def ensure_organisations(session: Session, orgs: pd.DataFrame, user: str) -> dict[str, int]:
    """Adds organisations not yet known; returns ODS code -> id for every code in `orgs`.

    `orgs` has columns ods_code, name, icb_code, kind and optionally postcode.
    """
    codes = orgs["ods_code"].tolist()
    existing = {
        o.ods_code: o
        for o in session.exec(select(Organisation).where(Organisation.ods_code.in_(codes))).all()
    }
    for row in orgs.itertuples(index=False):
        if row.ods_code in existing:
            continue
        org = Organisation(
            ods_code=row.ods_code,
            name=display_org_name(row.name),
            icb_code=row.icb_code,
            kind=row.kind,
            postcode=getattr(row, "postcode", None),
            updated_by=user,
        )
        session.add(org)
        existing[row.ods_code] = org
    session.flush()
    return {code: org.id for code, org in existing.items()}


def organisation_ids(session: Session) -> dict[str, int]:
    """ODS code -> id of every organisation in the database."""
    return {code: id_ for code, id_ in session.exec(select(Organisation.ods_code, Organisation.id))}


def ensure_collaborative(
    session: Session, *, code: str, name: str, icb_code: str, members: Collection[int], user: str
) -> Collaborative:
    """The collaborative with this code, created with these member organisations if new."""
    collaborative = session.exec(select(Collaborative).where(Collaborative.code == code)).first()
    if collaborative is None:
        collaborative = Collaborative(code=code, name=name, icb_code=icb_code, updated_by=user)
        session.add(collaborative)
        session.flush()
    current = set(
        session.exec(
            select(CollaborativeMember.organisation_id).where(
                CollaborativeMember.collaborative_id == collaborative.id
            )
        ).all()
    )
    for org_id in set(members) - current:
        session.add(CollaborativeMember(collaborative_id=collaborative.id, organisation_id=org_id))
    session.flush()
    return collaborative


def ensure_baseline_scenario(
    session: Session, collaborative: Collaborative, *, name: str, user: str
) -> Scenario:
    """The collaborative's baseline scenario (the published position), created if missing."""
    scenario = session.exec(
        select(Scenario).where(
            Scenario.collaborative_id == collaborative.id, Scenario.is_baseline.is_(True)
        )
    ).first()
    if scenario is None:
        scenario = Scenario(
            collaborative_id=collaborative.id,
            name=name,
            description="The position as NHS England published it, before any plan.",
            owner=user,
            status=ScenarioStatus.APPROVED,
            is_baseline=True,
            updated_by=user,
        )
        session.add(scenario)
        session.flush()
    return scenario


def rtt_organisations(extract: RttExtract) -> pd.DataFrame:
    """The extract's providers as organisation rows: NHS trusts have three-character R/T codes."""
    orgs = extract.providers.copy()
    is_trust = orgs["ods_code"].str.len().eq(3) & orgs["ods_code"].str[0].isin(["R", "T"])
    orgs["kind"] = OrganisationKind.INDEPENDENT_SECTOR.value
    orgs.loc[is_trust, "kind"] = OrganisationKind.NHS_TRUST.value
    return orgs[["ods_code", "name", "icb_code", "kind"]]


def load_rtt(
    session: Session, extract: RttExtract, scenario: Scenario, path: Path, *, user: str
) -> ImportOutcome:
    """Replaces the scenario's waiting list and RTT activity for the extract's providers."""
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "rtt", sha256):
        return ImportOutcome("rtt", path.name, 0, skipped_as_duplicate=True)
    ensure_treatment_functions(session)
    org_ids = ensure_organisations(session, rtt_organisations(extract), user)
    provider_ids = [org_ids[c] for c in extract.providers["ods_code"]]

    for table in (WaitingList, RttActivity):
        session.execute(
            sa.delete(table).where(
                table.scenario_id == scenario.id, table.organisation_id.in_(provider_ids)
            )
        )

    counts = extract.counts
    waiting = counts[counts["part"].isin(WAITING_PARTS)]
    long = waiting.melt(
        id_vars=["ods_code", "tfc", "part"],
        value_vars=BAND_COLUMNS,
        var_name="band",
        value_name="patients",
    )
    long = long[long["patients"] > 0]
    waiting_rows = [
        {
            "scenario_id": scenario.id,
            "organisation_id": org_ids[code],
            "tfc": tfc,
            "part": part,
            "wait_band_weeks": int(band[1:]),
            "patients": int(patients),
        }
        for code, tfc, part, band, patients in long.itertuples(index=False)
    ]
    if waiting_rows:
        session.execute(sa.insert(WaitingList), waiting_rows)

    by_part = counts.pivot_table(
        index=["ods_code", "tfc"], columns="part", values="total_all", aggfunc="sum", fill_value=0
    )
    unknown = counts[counts["part"] == "Part_2"].set_index(["ods_code", "tfc"])[
        "unknown_clock_start"
    ]
    activity_rows = []
    for (code, tfc), row in by_part.iterrows():
        activity_rows.append(
            {
                "scenario_id": scenario.id,
                "organisation_id": org_ids[code],
                "tfc": tfc,
                "period": extract.period,
                "new_clock_starts": int(row.get("Part_3", 0)),
                "completed_admitted": int(row.get("Part_1A", 0)),
                "completed_non_admitted": int(row.get("Part_1B", 0)),
                "waiting_total": int(row.get("Part_2", 0)),
                "waiting_unknown_clock_start": int(unknown.get((code, tfc), 0)),
                "waiting_admitted_total": int(row.get("Part_2A", 0)),
            }
        )
    if activity_rows:
        session.execute(sa.insert(RttActivity), activity_rows)
    scenario.data_period = extract.period
    session.add(scenario)
    return record_batch(
        session, scenario.id, "rtt", path, sha256, len(waiting_rows) + len(activity_rows), user
    )


def import_rtt_extract(
    session: Session, path: Path, *, ics: str | None = None, user: str
) -> list[ImportOutcome]:
    """Loads waiting lists from an RTT extract into each system's baseline scenario.

    With `ics`, only that system's providers are read; without it, every system in the file is
    loaded. A system's collaborative (code = ICB code) and baseline are created on first import;
    its members are the NHS trusts the extract lists under that ICB.
    """
    extract = read_rtt_for_system(path, ics=ics)
    rtt_database_problems(extract)
    outcomes = []
    for icb_code, providers in extract.providers.groupby("icb_code", sort=True):
        part = dataclasses.replace(
            extract,
            providers=providers.reset_index(drop=True),
            counts=extract.counts[extract.counts["ods_code"].isin(providers["ods_code"])],
        )
        outcomes.append(_import_system(session, part, path, icb_code=str(icb_code), user=user))
    return outcomes


def _import_system(
    session: Session, extract: RttExtract, path: Path, *, icb_code: str, user: str
) -> ImportOutcome:
    orgs = rtt_organisations(extract)
    org_ids = ensure_organisations(session, orgs, user)
    trusts = orgs[orgs["kind"] == OrganisationKind.NHS_TRUST.value]["ods_code"]
    icb_name = str(extract.providers["icb_name"].iloc[0])
    collaborative = ensure_collaborative(
        session,
        code=icb_code,
        name=display_org_name(icb_name),
        icb_code=icb_code,
        members=[org_ids[c] for c in trusts],
        user=user,
    )
    scenario = ensure_baseline_scenario(
        session, collaborative, name=f"Baseline {extract.period:%B %Y}", user=user
    )
    outcome = load_rtt(session, extract, scenario, path, user=user)
    return dataclasses.replace(outcome, kind=f"rtt {icb_code}")


def load_kh03(
    session: Session, path: Path, scenario: Scenario, providers: Collection[str], *, user: str
) -> ImportOutcome:
    """Replaces the scenario's trust G&A beds with the latest KH03 quarter for each provider."""
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "kh03", sha256):
        return ImportOutcome("kh03", path.name, 0, skipped_as_duplicate=True)
    beds = read_kh03(path, providers=providers)
    org_ids = organisation_ids(session)
    ids = [org_ids[c] for c in beds["ods_code"]]
    session.execute(
        sa.delete(TrustBeds).where(
            TrustBeds.scenario_id == scenario.id, TrustBeds.organisation_id.in_(ids)
        )
    )
    for row in beds.itertuples(index=False):
        session.add(
            TrustBeds(
                scenario_id=scenario.id,
                organisation_id=org_ids[row.ods_code],
                period=row.period,
                ga_beds_available=Decimal(f"{row.ga_beds_available:.1f}"),
                ga_beds_occupied=Decimal(f"{row.ga_beds_occupied:.1f}"),
                updated_by=user,
            )
        )
    return record_batch(session, scenario.id, "kh03", path, sha256, len(beds), user)


def load_workforce(
    session: Session, path: Path, scenario: Scenario, providers: Collection[str], *, user: str
) -> ImportOutcome:
    """Replaces the scenario's staff-in-post FTE by staff group for the providers."""
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "workforce", sha256):
        return ImportOutcome("workforce", path.name, 0, skipped_as_duplicate=True)
    staff = read_workforce(path, providers=providers)
    org_ids = organisation_ids(session)
    ids = [org_ids[c] for c in staff["ods_code"].unique()]
    session.execute(
        sa.delete(Workforce).where(
            Workforce.scenario_id == scenario.id, Workforce.organisation_id.in_(ids)
        )
    )
    for row in staff.itertuples(index=False):
        session.add(
            Workforce(
                scenario_id=scenario.id,
                organisation_id=org_ids[row.ods_code],
                staff_group=row.staff_group,
                period=str(row.period),
                headcount=int(row.headcount),
                fte=Decimal(f"{row.fte:.2f}"),
                updated_by=user,
            )
        )
    return record_batch(session, scenario.id, "workforce", path, sha256, len(staff), user)


def etr_organisations(path: Path, codes: Collection[str]) -> pd.DataFrame:
    """NHS trust organisation rows for the ODS codes, named and placed as the ODS file has them."""
    etr = read_etr(path, codes=codes)
    etr = etr.assign(kind=OrganisationKind.NHS_TRUST.value)
    return etr[["ods_code", "name", "icb_code", "kind", "postcode"]]


# --- What the database can hold --------------------------------------------------------------

MAX_COUNT = 2_147_483_647
"""Largest count an INTEGER column holds on PostgreSQL (and the app's SQLite schema)."""

MAX_DECIMAL = {"ga_beds": Decimal("99999999.9"), "fte": Decimal("99999999.99")}
"""Largest beds (NUMERIC(9, 1)) and FTE (NUMERIC(10, 2)) the database holds."""


def too_long_problems(
    file: str, values: pd.Series, limit: int, what: str, column: str | None = None
) -> list[ImportProblem]:
    """A problem for each distinct text longer than the database column holds."""
    long = values[values.astype(str).str.len() > limit].drop_duplicates()
    return [
        ImportProblem(
            file, None, column, str(v), f"is longer than {limit} characters, too long for {what}."
        )
        for v in long
    ]


def too_large_problems(
    file: str, values: pd.Series, limit: float, where: pd.Series, column: str | None
) -> list[ImportProblem]:
    """A problem for each value over what the database holds, saying where it is.

    The importers have already refused negative counts, so a negative value here is a count too
    large for 64-bit integers that wrapped round when converted: it is too large as well.
    """
    over = (values > limit) | (values < 0)
    return [
        ImportProblem(
            file,
            None,
            column,
            f"{values[i]:,.0f}" if values[i] >= 0 else None,
            f"({where[i]}) is more than the database can hold ({limit:,}).",
        )
        for i in values.index[over.to_numpy()]
    ]


def rtt_database_problems(extract: RttExtract) -> None:
    """Raises ImportValidationError for codes, names or counts the tables cannot hold."""
    file = extract.source_file
    providers = extract.providers
    problems = too_long_problems(file, providers["ods_code"], 10, "an ODS code")
    problems += too_long_problems(file, providers["name"], 200, "an organisation name")
    problems += too_long_problems(file, providers["icb_code"], 5, "an ICB code")
    counts = extract.counts
    where = counts["ods_code"] + ", " + counts["tfc"] + ", " + counts["part"]
    for column in (*BAND_COLUMNS, "total", "unknown_clock_start", "total_all"):
        label = wait_band_label(int(column[1:])) if column in BAND_COLUMNS else column
        problems += too_large_problems(file, counts[column], MAX_COUNT, where, label)
    if problems:
        raise ImportValidationError(problems)


# --- ODS trusts, flows and the project's templates ---------------------------------------------


@dataclass(frozen=True)
class EtrPlan:
    """What an ODS (etr) import into a collaborative's scenario would do to organisations.

    Organisations are shared by every collaborative, so an import may change only the importing
    collaborative's own member organisations; a trust that is only another collaborative's member
    is left as it is and reported as skipped. Unknown trusts are added (they are nobody's yet).
    """

    new: list[str]
    changed: list[str]
    skipped: list[str]


def _org_values(row: Any) -> tuple[str, str, str | None]:
    """(name, ICB, postcode) as the organisation table keeps them, from a row of the file."""
    return display_org_name(row.name), row.icb_code, row.postcode or None


def _members_by_org(session: Session, org_ids: Collection[int]) -> dict[int, set[int]]:
    rows = session.exec(
        select(CollaborativeMember.organisation_id, CollaborativeMember.collaborative_id).where(
            col(CollaborativeMember.organisation_id).in_(list(org_ids))
        )
    ).all()
    members: dict[int, set[int]] = {}
    for org_id, collaborative_id in rows:
        members.setdefault(org_id, set()).add(collaborative_id)
    return members


def plan_etr(session: Session, trusts: pd.DataFrame, collaborative_id: int) -> EtrPlan:
    """Which trusts of the file would be added, changed, or skipped as another's (see EtrPlan)."""
    existing = {
        o.ods_code: o
        for o in session.exec(
            select(Organisation).where(Organisation.ods_code.in_(trusts["ods_code"].tolist()))
        ).all()
    }
    members = _members_by_org(session, [o.id for o in existing.values() if o.id is not None])
    new: list[str] = []
    changed: list[str] = []
    skipped: list[str] = []
    for row in trusts.itertuples(index=False):
        org = existing.get(row.ods_code)
        if org is None:
            new.append(row.ods_code)
        elif (org.name, org.icb_code, org.postcode) != _org_values(row):
            mine = collaborative_id in members.get(org.id or 0, set())
            (changed if mine else skipped).append(row.ods_code)
    return EtrPlan(new, changed, skipped)


def load_etr(
    session: Session, path: Path, scenario: Scenario, *, icb: str, user: str
) -> ImportOutcome:
    """Adds the ICB's open NHS trusts from the ODS file and updates its own members' details.

    Names, ICB and postcodes change only for the scenario's collaborative's own member trusts
    (`plan_etr`); other collaboratives' trusts are left as they are.
    Organisations are shared reference data: each change is audited into every collaborative
    that has the organisation as a member. The file is recorded against the scenario it was
    imported into, so re-importing it there is a no-op.
    """
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "etr", sha256):
        return ImportOutcome("etr", path.name, 0, skipped_as_duplicate=True)
    trusts = etr_trusts(path, icb)
    plan = plan_etr(session, trusts, scenario.collaborative_id)
    orgs = {
        o.ods_code: o
        for o in session.exec(
            select(Organisation).where(col(Organisation.ods_code).in_(plan.changed))
        ).all()
    }
    members = _members_by_org(session, [o.id for o in orgs.values() if o.id is not None])
    written = 0
    for row in trusts.itertuples(index=False):
        name, icb_code, postcode = _org_values(row)
        if row.ods_code in plan.new:
            session.add(
                Organisation(
                    ods_code=row.ods_code,
                    name=name,
                    icb_code=icb_code,
                    kind=OrganisationKind.NHS_TRUST.value,
                    postcode=postcode,
                    updated_by=user,
                )
            )
            written += 1
        elif row.ods_code in orgs:
            org = orgs[row.ods_code]
            old = {"name": org.name, "icb_code": org.icb_code, "postcode": org.postcode}
            org.name, org.icb_code, org.postcode = name, icb_code, postcode
            org.updated_by = user
            session.add(org)
            written += 1
            _audit_shared_change(session, org, old, members.get(org.id or 0, set()), user, path)
    session.flush()
    return record_batch(session, scenario.id, "etr", path, sha256, written, user)


def _audit_shared_change(
    session: Session,
    org: Organisation,
    old: dict[str, str | None],
    collaborative_ids: set[int],
    user: str,
    path: Path,
) -> None:
    """One audit row per changed field in every collaborative that has the organisation."""
    for collaborative_id in sorted(collaborative_ids):
        for field, before in old.items():
            after = getattr(org, field)
            if before == after:
                continue
            session.add(
                AuditEvent(
                    user_email=user,
                    collaborative_id=collaborative_id,
                    action="organisation.update",
                    entity="organisation",
                    entity_id=org.ods_code,
                    field=field,
                    old_value=before or "",
                    new_value=after or "",
                    summary=f"{org.ods_code} {field} changed by the ODS import of {path.name}"[
                        :500
                    ],
                )
            )


def etr_trusts(path: Path, icb: str) -> pd.DataFrame:
    """The ICB's open trusts from the ODS file, checked to fit the organisation table."""
    etr = read_etr(path, icb=icb)
    trusts = etr[etr["closed"].isna()]
    file = path.name
    problems = too_long_problems(file, trusts["ods_code"], 10, "an ODS code", "1 (code)")
    problems += too_long_problems(file, trusts["name"], 200, "an organisation name", "2 (name)")
    problems += too_long_problems(file, trusts["postcode"], 10, "a postcode", "10 (postcode)")
    problems += too_long_problems(file, trusts["icb_code"], 5, "an ICB code", "4 (ICB)")
    problems += [
        ImportProblem(
            file, None, "1 (code)", code, "appears more than once; each trust has one row."
        )
        for code in sorted(set(trusts.loc[trusts["ods_code"].duplicated(), "ods_code"]))
    ]
    if trusts.empty:
        problems.append(
            ImportProblem(file, None, "4 (ICB)", icb, "has no open trusts in this file.")
        )
    if problems:
        raise ImportValidationError(problems)
    return trusts


def flow_table() -> type | None:
    """The table of monthly flows per system, if this database schema has one.

    The flow series is per system (ICB), not per provider, so it has no place in `rtt_activity`;
    it is stored in `system_flow` once the schema adds that table (`SystemFlow`).
    """
    return getattr(models, "SystemFlow", None)


def load_flows(
    session: Session, path: Path, flows: pd.DataFrame, scenario: Scenario, *, icb: str, user: str
) -> ImportOutcome:
    """Replaces the scenario's monthly flows of the system `icb` with those in the file."""
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "flows", sha256):
        return ImportOutcome("flows", path.name, 0, skipped_as_duplicate=True)
    table = flow_table()
    if table is None:
        raise ImportValidationError(
            [
                ImportProblem(
                    path.name,
                    None,
                    None,
                    None,
                    "is valid, but this database has no table for monthly flows per system yet "
                    "(system_flow); nothing was written.",
                )
            ]
        )
    session.execute(sa.delete(table).where(table.scenario_id == scenario.id, table.icb_code == icb))
    rows = [
        {
            "scenario_id": scenario.id,
            "icb_code": icb,
            "period": period.date(),
            "new_clock_starts": int(new),
            "completed": int(completed),
            "waiting_total": int(incomplete),
        }
        for period, new, completed, incomplete in flows[
            ["period", "new", "completed", "incomplete"]
        ].itertuples(index=False)
    ]
    if rows:
        session.execute(sa.insert(table), rows)
    return record_batch(session, scenario.id, "flows", path, sha256, len(rows), user)


def load_template(
    session: Session, template: Template, scenario: Scenario, path: Path, *, user: str
) -> ImportOutcome:
    """Adds or updates the scenario's sites (theatres template) or case-mix rows.

    Rows are matched by site code or treatment function; rows of the scenario the file does not
    mention are left as they are.
    """
    sha256 = file_sha256(path)
    if already_imported(session, scenario.id, "template", sha256):
        return ImportOutcome("template", path.name, 0, skipped_as_duplicate=True)
    if template.kind == THEATRES:
        written = _upsert_sites(session, template.rows, scenario, user)
    else:
        written = _upsert_case_mix(session, template.rows, scenario, user)
    session.flush()
    return record_batch(session, scenario.id, "template", path, sha256, written, user)


def _rate(value: float) -> Decimal:
    return Decimal(f"{value:.3f}")


def add_site(session: Session, site: Site, capacity: SiteCapacity, user: str) -> Site:
    """Adds a new site with its treatment functions, theatre row and bed row (flushed)."""
    session.add(site)
    session.flush()
    site_id = int(site.id or 0)
    session.add_all(
        SiteTreatmentFunction(site_id=site_id, tfc=t) for t in capacity.treatment_functions
    )
    session.add(
        TheatreCapacity(
            scenario_id=site.scenario_id,
            site_id=site_id,
            theatres=capacity.theatres,
            sessions_per_week=capacity.sessions_per_week,
            session_minutes=capacity.session_minutes,
            utilisation_target=Decimal(str(capacity.utilisation_target)),
            updated_by=user,
        )
    )
    session.add(
        BedCapacity(
            scenario_id=site.scenario_id,
            site_id=site_id,
            elective_overnight_beds=capacity.elective_overnight_beds,
            day_case_places=capacity.day_case_places,
            occupancy_target=Decimal(str(capacity.occupancy_target)),
            updated_by=user,
        )
    )
    return site


def _upsert_sites(session: Session, rows: pd.DataFrame, scenario: Scenario, user: str) -> int:
    org_ids = organisation_ids(session)
    sites = {s.code: s for s in session.exec(select(Site).where(Site.scenario_id == scenario.id))}
    theatres = {
        t.site_id: t
        for t in session.exec(
            select(TheatreCapacity).where(TheatreCapacity.scenario_id == scenario.id)
        )
    }
    beds = {
        b.site_id: b
        for b in session.exec(select(BedCapacity).where(BedCapacity.scenario_id == scenario.id))
    }
    for row in rows.to_dict("records"):
        values = {
            "name": row["site_name"],
            "operator_id": org_ids[row["operator_ods_code"]],
            "is_elective_hub": bool(row["is_elective_hub"]),
            "postcode": row["postcode"],
            "latitude": None if pd.isna(row["latitude"]) else float(row["latitude"]),
            "longitude": None if pd.isna(row["longitude"]) else float(row["longitude"]),
            "source": row["source"],
        }
        site = sites.get(row["site_code"])
        if site is None:
            site = Site(scenario_id=scenario.id, code=row["site_code"], updated_by=user, **values)
            session.add(site)
            session.flush()
        else:
            _set_changed(site, values, user)
        session.add(site)
        if row["treatment_functions"] is not None:
            session.execute(
                sa.delete(SiteTreatmentFunction).where(SiteTreatmentFunction.site_id == site.id)
            )
            session.add_all(
                SiteTreatmentFunction(site_id=site.id, tfc=code)
                for code in row["treatment_functions"]
            )
        theatre_values = {
            "theatres": int(row["theatres"]),
            "sessions_per_week": int(row["sessions_per_week"]),
            "session_minutes": int(row["session_minutes"]),
            "utilisation_target": _rate(row["utilisation_target"]),
        }
        bed_values = {
            "elective_overnight_beds": int(row["elective_overnight_beds"]),
            "day_case_places": int(row["day_case_places"]),
            "occupancy_target": _rate(row["occupancy_target"]),
        }
        for existing, table, values_ in (
            (theatres.get(site.id), TheatreCapacity, theatre_values),
            (beds.get(site.id), BedCapacity, bed_values),
        ):
            if existing is None:
                session.add(
                    table(scenario_id=scenario.id, site_id=site.id, updated_by=user, **values_)
                )
            else:
                _set_changed(existing, values_, user)
                session.add(existing)
        rule = _template_rule("sites", row["source"])
        for entity, names in (
            ("site", ("name", "is_elective_hub", "postcode", "location", "treatment_functions")),
            ("theatre_capacity", tuple(theatre_values)),
            ("bed_capacity", tuple(bed_values)),
        ):
            for name in names:
                mark_local(session, scenario.id, entity, site.code, name, rule, user)
    return len(rows)


def _template_rule(template: str, source: str | None) -> str:
    """A template figure's provenance rule: uploaded, and the source its row gives."""
    rule = f"uploaded in the {template} template"
    return f"{rule}; source: {source}" if source else rule


def _upsert_case_mix(session: Session, rows: pd.DataFrame, scenario: Scenario, user: str) -> int:
    ensure_treatment_functions(session)
    existing = {
        c.tfc: c for c in session.exec(select(CaseMix).where(CaseMix.scenario_id == scenario.id))
    }
    for row in rows.to_dict("records"):
        values = {
            "minutes_per_case": int(row["minutes_per_case"]),
            "length_of_stay_days": Decimal(f"{row['length_of_stay_days']:.2f}"),
            "day_case_rate": _rate(row["day_case_rate"]),
            "source": row["source"],
        }
        current = existing.get(row["tfc"])
        if current is None:
            session.add(CaseMix(scenario_id=scenario.id, tfc=row["tfc"], updated_by=user, **values))
        else:
            _set_changed(current, values, user)
            session.add(current)
        rule = _template_rule("case-mix", row["source"])
        for name in ("minutes_per_case", "length_of_stay_days", "day_case_rate"):
            mark_local(session, scenario.id, "case_mix", row["tfc"], name, rule, user)
    return len(rows)


def _set_changed(row: object, values: dict[str, object], user: str) -> None:
    """Sets only the values that differ, so an unchanged row keeps its version."""
    changed = False
    for name, value in values.items():
        old = getattr(row, name)
        same = (
            Decimal(str(old)) == Decimal(str(value))
            if isinstance(old, Decimal | float) and value is not None and old is not None
            else old == value
        )
        if not same:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_by = user  # type: ignore[attr-defined]
