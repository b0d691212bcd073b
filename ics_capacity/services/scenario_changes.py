"""Recording a change to a scenario's rows: when and by whom, and a same-moment save refused.

The editing use cases (capacity, hubs, hub standards, per-specialty settings, imports) call these
inside their own transaction, after writing their rows.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ics_capacity.db.models import Scenario
from ics_capacity.services.scenarios import ConflictError


def mark_scenario_changed(session: Session, scenario_id: int | None, email: str) -> None:
    """Sets the scenario's last change (now, by `email`) without touching its version.

    The version guards the scenario's name and status only, so edits of different rows of one
    scenario do not refuse each other.
    """
    session.execute(
        sa.update(Scenario)
        .where(col(Scenario.id) == scenario_id)
        .values(updated_at=dt.datetime.now(dt.UTC), updated_by=email)
        .execution_options(synchronize_session=False)
    )


def flush_or_conflict(session: Session, message: str) -> None:
    """Writes the session's changes; a row someone else added at the same moment is refused.

    Raises:
        ConflictError: With `message`, when a unique row was written concurrently; the
            transaction is rolled back, so nothing is saved.
    """
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(message) from None
