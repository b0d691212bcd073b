"""The demo collaborative: the Black Country, onboarded as any system is, plus its local layer.

`seed_demo` runs the onboarding use case (`services/onboarding.py`) for the Black Country's ICB
(QUA) with NHS England's published files: waiting lists, beds, workforce and trusts are published
figures. The demo's own knowledge goes on top as a documented local layer
(`domain/demo_local_layer.py`): the collaborative's name and members, and its sites (the two
elective hubs and the four main acute sites, with theatres and beds) given to onboarding as a
sites template, so each figure is recorded as local with its cited source; then the hub staff
list for the rota. Everything is written in one transaction: a bad file leaves no half demo.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from ics_capacity.db.models import Collaborative, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.demo_local_layer import (
    COLLABORATIVE,
    SITES_TEMPLATE_NAME,
    sites_template_rows,
)
from ics_capacity.importers.templates import THEATRE_COLUMNS
from ics_capacity.services.auth import Principal
from ics_capacity.services.onboarding import OnboardingFiles, onboard_in
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
SEED_ACTOR = Principal(user_id=0, email=SEED_USER, display_name="Demo seed")


class DemoDataMissingError(FileNotFoundError):
    """A file the demo is built from is not where it should be."""


@dataclass
class SeedReport:
    """What seeding did: nothing if the database already held the demo."""

    created: bool
    collaborative_id: int
    scenario_id: int
    lines: list[str] = field(default_factory=list)
    rota_staff: int = 0

    def describe(self) -> str:
        """Lines for a terminal."""
        if not self.created:
            return "The demo collaborative is already in the database; nothing changed."
        return "\n".join(
            [f"Loaded the Black Country demo collaborative, onboarded as ICB {COLLABORATIVE.icb}:"]
            + [f"  {line}" for line in self.lines]
            + [
                f"  local layer: the {COLLABORATIVE.name} ({COLLABORATIVE.code}) and its "
                f"{len(sites_template_rows())} sites (docs/assumptions.md sections 4 and 6)",
                f"  rota: {self.rota_staff} hub staff (role labels, docs/assumptions.md section 9)",
            ]
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


def write_sites_template(folder: Path) -> Path:
    """Writes the local layer's sites as a theatres template (CSV) in `folder`; returns its path."""
    headings = {c.key: c.names[0] for c in THEATRE_COLUMNS}
    path = folder / SITES_TEMPLATE_NAME
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings.values())
        for row in sites_template_rows():
            writer.writerow(row[key] for key in headings)
    return path


def seed_demo(data_dir: Path | None = None, *, db_url: str | None = None) -> SeedReport:
    """Loads the demo collaborative if the database does not have it yet.

    Returns:
        What was written, or that nothing was because the demo already exists.
    """
    paths = {kind: demo_file(kind, data_dir) for kind in DEMO_FILES}
    with unit_of_work(db_url) as session, tempfile.TemporaryDirectory(prefix="demo-") as folder:
        existing = session.exec(
            select(Collaborative).where(Collaborative.code == COLLABORATIVE.code)
        ).first()
        if existing is not None:
            baseline = session.exec(
                select(Scenario).where(
                    Scenario.collaborative_id == existing.id, Scenario.is_baseline.is_(True)
                )
            ).one()
            return SeedReport(False, int(existing.id or 0), int(baseline.id or 0))
        files = OnboardingFiles(
            rtt=paths["rtt"],
            kh03=paths["kh03"],
            workforce=paths["workforce"],
            etr=paths["etr"],
            templates=(write_sites_template(Path(folder)),),
        )
        onboarded = onboard_in(
            session,
            ics=COLLABORATIVE.icb,
            files=files,
            actor=SEED_ACTOR,
            trusts=COLLABORATIVE.member_trusts,
            collaborative_code=COLLABORATIVE.code,
            collaborative_name=COLLABORATIVE.name,
            draft=False,
        )
        published = session.get(Scenario, onboarded.baseline_id)
        assert published is not None
        staff = add_demo_rota_staff(session, published, next_monday(), SEED_USER)
        session.commit()
        return SeedReport(
            True, onboarded.collaborative_id, onboarded.baseline_id, onboarded.lines, staff
        )
