"""Loading ODS trusts, the monthly flow series and the project's templates into a scenario.

The rest of the loaders, as `loaders` (RTT, KH03, workforce); the same rules: each takes the
caller's open session, writes nothing it has not first validated, and skips a file already loaded.
"""

from __future__ import annotations

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
    CollaborativeMember,
    Organisation,
    OrganisationKind,
    Scenario,
    Site,
    SiteTreatmentFunction,
    TheatreCapacity,
)
from ics_capacity.domain.codes import (
    display_org_name,
)
from ics_capacity.domain.starting_model import SiteCapacity
from ics_capacity.importers.ods import read_etr
from ics_capacity.importers.problems import (
    ImportProblem,
    ImportValidationError,
)
from ics_capacity.importers.templates import THEATRES, Template
from ics_capacity.services.data_exchange.loaders import (
    ImportOutcome,
    already_imported,
    ensure_treatment_functions,
    file_sha256,
    organisation_ids,
    record_batch,
    too_long_problems,
)
from ics_capacity.services.provenance import mark_local

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
