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

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from ics_capacity.db.models import (
    Collaborative,
    CollaborativeMember,
    ImportBatch,
    Organisation,
    OrganisationKind,
    RttActivity,
    Scenario,
    ScenarioStatus,
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
from ics_capacity.importers.kh03 import read_kh03
from ics_capacity.importers.national_rtt import read_rtt_for_system
from ics_capacity.importers.ods import read_etr
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)
from ics_capacity.importers.rtt import RttExtract
from ics_capacity.importers.workforce import read_workforce

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
