"""Views cached per backend process, keyed on the content they read (services only).

A page that many people keep open (the Overview, the Dashboard) asks for the same figures again
and again; building them reads many rows, and with a hundred tabs that work is most of what a
web worker does. A view is therefore kept under a *content key*: the collaborative, the
scenario, and the newest change of the collaborative's content (every change of capacity,
demand, case-mix, membership or status writes an audit event in the same transaction, and a
finished optimiser run writes its job row), so an edit never shows figures from before it.

The caller is always checked first, inside the transaction that reads the key: a key is only
read by someone allowed to see its collaborative, and every key names its collaborative, so a
cached view never reaches another collaborative's members.

This cache is one process's. With a job queue, the Dashboard's views are also shared between
web processes, on any host, through the database under the same keys
(`services/projection_views.py`): the solver workers compute them, and each web process keeps
here the ones it read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col

from ics_capacity.db.models import AuditEvent, ImportBatch, Scenario, SolveJob

View = TypeVar("View")


def collaborative_content_key(session: Session, collaborative_id: int) -> tuple:
    """(database, collaborative, newest audit event, finished runs, newest import) of one.

    Call it only inside a use case that has checked the caller's right to see the collaborative.
    Events and runs are the whole collaborative's, not one scenario's: a projection also reads
    its parent and the baseline, and the Overview shows whichever scenario is the plan.
    """
    scenarios = sa.select(col(Scenario.id)).where(
        col(Scenario.collaborative_id) == collaborative_id
    )
    last_change = session.execute(
        sa.select(sa.func.max(AuditEvent.id)).where(
            sa.or_(
                col(AuditEvent.collaborative_id) == collaborative_id,
                col(AuditEvent.scenario_id).in_(scenarios),
            )
        )
    ).scalar()
    # The newest finished run and how many have finished: runs can end out of order.
    runs = session.execute(
        sa.select(sa.func.max(SolveJob.id), sa.func.count()).where(
            col(SolveJob.scenario_id).in_(scenarios), col(SolveJob.status) == "done"
        )
    ).one()
    # Files loaded into a scenario (an operator's national extract, a trust's upload) record a
    # batch whether or not a person's edit is audited beside it.
    last_import = session.execute(
        sa.select(sa.func.max(ImportBatch.id)).where(col(ImportBatch.scenario_id).in_(scenarios))
    ).scalar()
    # The database too: ids and audit counters repeat between databases (a test's fresh copy, a
    # restored backup), so the same numbers can stand for other content.
    database = str(session.get_bind().engine.url)
    return (database, collaborative_id, last_change, *runs, last_import)


class ContentCache(Generic[View]):
    """The last `size` views made, by content key; safe to share between threads.

    Views are shared between callers: they must not be changed once made.
    """

    def __init__(self, size: int) -> None:
        self._views: OrderedDict[tuple, View] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], View]) -> View:
        """The view kept under `key`, or `make()`'s, kept for the next caller."""
        found = self.find(key)
        if found is not None:
            return found
        view = make()
        self.put(key, view)
        return view

    def find(self, key: tuple) -> View | None:
        """The view kept under `key`, if any."""
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        return None

    def put(self, key: tuple, view: View) -> None:
        """Keeps `view` under `key`, forgetting the least recently used beyond `size`."""
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self._size:
                self._views.popitem(last=False)

    def clear(self) -> None:
        """Forgets every view (tests)."""
        with self._lock:
            self._views.clear()
