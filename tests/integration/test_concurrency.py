"""Twenty writers editing the same rows at once lose no update and corrupt nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from tests.conftest import TEST_PASSWORD

WRITERS = 20
INCREMENTS_EACH = 3
SITES = ("CANNOCK", "SANDWELL")


def _writer(token: str, scenario_id: int, index: int) -> int:
    """Adds one theatre INCREMENTS_EACH times, alternating sites, retrying refused stale edits."""
    conflicts = 0
    for step in range(INCREMENTS_EACH):
        code = SITES[(index + step) % len(SITES)]
        while True:
            row = next(r for r in read_site_capacity(token, scenario_id) if r.code == code)
            try:
                update_site_capacity(
                    token,
                    scenario_id,
                    row.site_id,
                    "theatres",
                    str(row.theatres + 1),
                    row.theatre_version,
                )
                break
            except sc.ConflictError:
                conflicts += 1
    return conflicts


def test_twenty_concurrent_writers_lose_no_update(app_db) -> None:
    """Every increment lands exactly once: final counts and the audit chain add up."""
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        base_id = session.execute(sa.select(Scenario.id).where(Scenario.is_baseline)).scalar()
    plan = sc.create_scenario(manager, base_id, "Concurrency")
    before = {r.code: r.theatres for r in read_site_capacity(manager, plan)}
    tokens = [auth.sign_in(emails["manager"], TEST_PASSWORD) for _ in range(WRITERS)]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        conflicts = list(pool.map(_writer, tokens, [plan] * WRITERS, range(WRITERS)))

    after = {r.code: r.theatres for r in read_site_capacity(manager, plan)}
    added = sum(after[c] - before[c] for c in SITES)
    assert added == WRITERS * INCREMENTS_EACH
    with unit_of_work(url) as session:
        edits = session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.old_value, AuditEvent.new_value).where(
                AuditEvent.scenario_id == plan, AuditEvent.action == "capacity.edit"
            )
        ).all()
    assert len(edits) == WRITERS * INCREMENTS_EACH
    for code in SITES:
        chain = sorted(int(old) for site, old, _ in edits if site == code)
        assert chain == list(range(before[code], after[code]))
    assert sum(conflicts) > 0, "the writers never overlapped, so the test proved nothing"
