"""Organisations are shared: an ODS import changes only the importer's own member trusts, and
every change to a shared row is audited into each collaborative that has it as a member."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import (
    AuditEvent,
    Collaborative,
    CollaborativeMember,
    ImportBatch,
    Organisation,
    Scenario,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, scenarios
from ics_capacity.services.data_exchange import commit_import, preview_import
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security
ETR = "etr_2026.csv"


def _members(session, code: str) -> dict[str, int]:
    """ODS code -> organisation id of a collaborative's members."""
    return dict(
        session.execute(
            sa.select(Organisation.ods_code, Organisation.id)
            .join(CollaborativeMember, CollaborativeMember.organisation_id == Organisation.id)
            .join(Collaborative, Collaborative.id == CollaborativeMember.collaborative_id)
            .where(Collaborative.code == code)
        ).all()
    )


def test_an_ods_import_leaves_other_collaboratives_trusts_alone(app_db, nhs_dir: Path) -> None:
    url, emails = app_db
    with unit_of_work(url) as session:
        ids = dict(session.execute(sa.select(Collaborative.code, Collaborative.id)).all())
        bsol, black_country = _members(session, "QHL"), _members(session, "BCPC")
        assert bsol and black_country
        # Stale names everywhere, so the file has something to change in both collaboratives;
        # one Black Country trust is also a member of Birmingham and Solihull (shared).
        trusts = set(
            session.execute(
                sa.select(Organisation.ods_code).where(Organisation.kind == "nhs_trust")
            ).scalars()
        )
        shared = sorted(set(black_country) & trusts)[0]
        session.execute(sa.update(Organisation).values(name=Organisation.ods_code + " old name"))
        session.add(
            CollaborativeMember(collaborative_id=ids["QHL"], organisation_id=black_country[shared])
        )
        baseline = session.execute(
            sa.select(Scenario.id).where(
                Scenario.is_baseline, Scenario.collaborative_id == ids["BCPC"]
            )
        ).scalar_one()
        session.commit()
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    draft = scenarios.create_scenario(manager, baseline, "ODS refresh")
    with unit_of_work(url) as session:  # the draft copied the baseline's record of the file
        session.execute(sa.delete(ImportBatch).where(ImportBatch.scenario_id == draft))
        session.commit()

    # Birmingham and Solihull's file, imported by a Black Country manager: nothing of theirs moves.
    preview = preview_import(manager, draft, "etr", nhs_dir / ETR, ics="QHL")
    skipped = dict(preview.summary)["Skipped: other collaboratives' trusts, left unchanged"]
    assert set(skipped.split(", ")) == set(bsol) - set(black_country)
    assert dict(preview.summary)["Member trusts to update"] == "0"
    commit_import(manager, draft, "etr", nhs_dir / ETR, ics="QHL")
    with unit_of_work(url) as session:
        names = dict(session.execute(sa.select(Organisation.ods_code, Organisation.name)).all())
        assert all(names[code] == f"{code} old name" for code in bsol)
        assert not session.execute(
            sa.select(AuditEvent.id).where(AuditEvent.action == "organisation.update")
        ).first()
        # The same file again, for its own system: forget it was imported (one file, one record).
        session.execute(sa.delete(ImportBatch).where(ImportBatch.scenario_id == draft))
        session.commit()

    # Its own system's file: its members are updated, each change audited into every
    # collaborative that has the trust; the shared trust's change shows in both audit logs.
    commit_import(manager, draft, "etr", nhs_dir / ETR)
    with unit_of_work(url) as session:
        names = dict(session.execute(sa.select(Organisation.ods_code, Organisation.name)).all())
        updated = {code for code in black_country if names[code] != f"{code} old name"}
        assert shared in updated
        audited = session.execute(
            sa.select(
                AuditEvent.collaborative_id, AuditEvent.entity_id, AuditEvent.new_value
            ).where(AuditEvent.action == "organisation.update", AuditEvent.field == "name")
        ).all()
    assert {(c, code) for c, code, _ in audited} == {(ids["BCPC"], code) for code in updated} | {
        (ids["QHL"], shared)
    }
    assert all(new == names[code] for _, code, new in audited)
