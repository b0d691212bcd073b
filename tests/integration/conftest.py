"""Fixtures of the integration tests that act in the demo collaborative as its members."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import Collaborative, Scenario
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def demo(app_db):
    """A fresh demo database with the Black Country baseline, a manager and an executive.

    Returns:
        (database URL, role -> email, manager's token, executive's token, baseline scenario id,
        collaborative id).
    """
    url, emails = app_db
    with unit_of_work(url) as session:
        baseline, collaborative = session.execute(
            sa.select(Scenario.id, Scenario.collaborative_id)
            .join(Collaborative, Collaborative.id == Scenario.collaborative_id)
            .where(Scenario.is_baseline, Collaborative.code == "BCPC")
        ).one()
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    executive = auth.sign_in(emails["executive"], TEST_PASSWORD)
    return url, emails, manager, executive, baseline, collaborative
