"""The demo collaborative: the Black Country's four acute trusts and their two elective hubs.

Waiting lists, beds and workforce come from NHS England's published files; sites, theatres, case-mix
and targets come from the cited assumptions in `ics_capacity.domain.assumptions`
(docs/assumptions.md). Everything is written in one transaction: a bad file leaves no half demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from ics_capacity.db.models import (
    CaseMix,
    Collaborative,
    Scenario,
    Site,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.assumptions import CASE_MIX, DEMO_COLLABORATIVE, DEMO_SITES
from ics_capacity.domain.starting_model import SiteCapacity
from ics_capacity.importers.rtt import read_rtt_extract
from ics_capacity.services.imports import (
    ImportOutcome,
    add_site,
    ensure_baseline_scenario,
    ensure_collaborative,
    ensure_organisations,
    ensure_treatment_functions,
    etr_organisations,
    load_kh03,
    load_rtt,
    load_workforce,
    rtt_organisations,
)
from ics_capacity.services.rota import next_monday
from ics_capacity.services.rota_staff import add_demo_rota_staff
from ics_capacity.settings import nhs_data_dir

DEMO_FILES = {
    "rtt": "rtt_full_extract_2026-04_QUA_QHL_subset.csv",
    "kh03": "kh03_qmco_quarterly_trust_2018-19_2024-25.csv",
    "workforce": "workforce_staff_group_org_Nov-25.csv",
    "etr": "etr_2026.csv",
}
SEED_USER = "demo-seed"


class DemoDataMissingError(FileNotFoundError):
    """A file the demo is built from is not where it should be."""


@dataclass
class SeedReport:
    """What seeding did: nothing if the database already held the demo."""

    created: bool
    collaborative_id: int
    scenario_id: int
    outcomes: list[ImportOutcome] = field(default_factory=list)
    rota_staff: int = 0

    def describe(self) -> str:
        """Lines for a terminal."""
        if not self.created:
            return "The demo collaborative is already in the database; nothing changed."
        return "\n".join(
            ["Loaded the Black Country demo collaborative:"]
            + [f"  {o.describe()}" for o in self.outcomes]
            + [f"  rota: {self.rota_staff} hub staff (role labels, docs/assumptions.md section 9)"]
        )


def demo_file(kind: str, data_dir: Path | None = None) -> Path:
    """The path of one of the demo's NHS files, checked to exist."""
    path = (data_dir or nhs_data_dir()) / DEMO_FILES[kind]
    if not path.is_file():
        raise DemoDataMissingError(
            f"{path} is missing: the demo is built from NHS England's published files. "
            "Set ICS_DATA_DIR to the folder that holds them."
        )
    return path


def seed_demo(data_dir: Path | None = None, *, db_url: str | None = None) -> SeedReport:
    """Loads the demo collaborative if the database does not have it yet.

    Returns:
        What was written, or that nothing was because the demo already exists.
    """
    paths = {kind: demo_file(kind, data_dir) for kind in DEMO_FILES}
    with unit_of_work(db_url) as session:
        existing = session.exec(
            select(Collaborative).where(Collaborative.code == DEMO_COLLABORATIVE.code)
        ).first()
        if existing is not None:
            baseline = session.exec(
                select(Scenario).where(
                    Scenario.collaborative_id == existing.id, Scenario.is_baseline.is_(True)
                )
            ).one()
            return SeedReport(False, existing.id, baseline.id)
        report = _seed(session, paths)
        session.commit()
        return report


def _seed(session: Session, paths: dict[str, Path]) -> SeedReport:
    ensure_treatment_functions(session)
    extract = read_rtt_extract(paths["rtt"], ics=DEMO_COLLABORATIVE.icb)
    members = list(DEMO_COLLABORATIVE.member_trusts)

    # Trusts are named as the ODS file names them; independent-sector providers as the RTT does.
    trusts = etr_organisations(paths["etr"], members)
    org_ids = ensure_organisations(session, trusts, SEED_USER)
    org_ids |= ensure_organisations(session, rtt_organisations(extract), SEED_USER)

    collaborative = ensure_collaborative(
        session,
        code=DEMO_COLLABORATIVE.code,
        name=DEMO_COLLABORATIVE.name,
        icb_code=DEMO_COLLABORATIVE.icb,
        members=[org_ids[c] for c in members],
        user=SEED_USER,
    )
    scenario = ensure_baseline_scenario(
        session, collaborative, name=f"Baseline {extract.period:%B %Y}", user=SEED_USER
    )
    outcomes = [
        load_rtt(session, extract, scenario, paths["rtt"], user=SEED_USER),
        load_kh03(session, paths["kh03"], scenario, members, user=SEED_USER),
        load_workforce(session, paths["workforce"], scenario, members, user=SEED_USER),
    ]
    _add_sites(session, scenario, org_ids)
    _add_case_mix(session, scenario)
    session.flush()
    staff = add_demo_rota_staff(session, scenario, next_monday(), SEED_USER)
    return SeedReport(True, collaborative.id, scenario.id, outcomes, staff)


def _add_sites(session: Session, scenario: Scenario, org_ids: dict[str, int]) -> None:
    """Adds the hub and trust sites with their theatres and beds, as docs/assumptions.md states."""
    for a in DEMO_SITES:
        site = Site(
            scenario_id=scenario.id,
            code=a.code,
            name=a.name,
            operator_id=org_ids[a.operator_ods_code],
            is_elective_hub=a.is_elective_hub,
            postcode=a.postcode,
            latitude=a.latitude,
            longitude=a.longitude,
            source=a.source,
            updated_by=SEED_USER,
        )
        capacity = SiteCapacity(
            treatment_functions=a.treatment_functions,
            theatres=a.theatres,
            sessions_per_week=a.sessions_per_week,
            session_minutes=a.session_minutes,
            utilisation_target=a.utilisation_target,
            elective_overnight_beds=a.elective_overnight_beds,
            day_case_places=a.day_case_places,
            occupancy_target=a.bed_occupancy_target,
        )
        add_site(session, site, capacity, SEED_USER)


def _add_case_mix(session: Session, scenario: Scenario) -> None:
    for a in CASE_MIX.values():
        session.add(
            CaseMix(
                scenario_id=scenario.id,
                tfc=a.tfc,
                minutes_per_case=a.minutes_per_case,
                length_of_stay_days=Decimal(str(a.length_of_stay_days)),
                day_case_rate=Decimal(str(a.day_case_rate)),
                source=a.source,
                updated_by=SEED_USER,
            )
        )
