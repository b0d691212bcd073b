"""The audit log's hash chain: every `audit_event` row is linked to the one before it.

One global chain over the whole table, in id order (not one chain per collaborative): operator
and account events that belong to no collaborative are covered too, a collaborative's rows keep
their links if its id is ever cleared, one check verifies everything, and one lock orders every
writer. Audit writes are small and rare next to the work they record, so one lock costs little.

Each row stores `prev_hash` (the previous row's `row_hash`, or `GENESIS` for the first row) and
`row_hash` = SHA-256 of `prev_hash`, a newline and `canonical(row)`: the row's content as JSON
with sorted keys, no spaces, and its time in UTC with microseconds. The id is not hashed; the
links fix the order, so a deleted, inserted or reordered row breaks the chain at that point.

The hash is computed in one place, a `before_flush` listener on every session, so that every
creator of an `AuditEvent` (the `scenarios.audit` helper and the few that build rows directly)
gets it without doing anything. Before reading the chain's head, the listener makes its
transaction the only audit writer until it ends:
- PostgreSQL: `pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)`, released at commit or rollback, so two
  transactions never link to the same head (ids come from the sequence after the lock, so id
  order is chain order). This relies on READ COMMITTED, PostgreSQL's default, so that the head is
  read after the lock is held.
- SQLite: a write statement that changes nothing takes the database's write lock first; SQLite
  has one writer at a time, so the head read next cannot change before the commit.

The table is append-only for the application: triggers (migration 0009) refuse UPDATE and
DELETE on both backends. `verify_chain` walks the table and names the first broken row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession

from ics_capacity.domain.moments import as_utc

GENESIS = "0" * 64
# A constant key for the advisory lock (any 64-bit number unique to this purpose).
AUDIT_CHAIN_LOCK = 7_140_001_214
HASHED_FIELDS = (
    "at",
    "user_email",
    "collaborative_id",
    "scenario_id",
    "action",
    "entity",
    "entity_id",
    "field",
    "old_value",
    "new_value",
    "summary",
)


def canonical(row: Mapping[str, Any]) -> str:
    """The row's hashed content as one canonical string (keys sorted, time in UTC, µs)."""
    content: dict[str, Any] = {name: row.get(name) for name in HASHED_FIELDS}
    at = content["at"]
    if isinstance(at, str):  # a raw SQLite value
        at = dt.datetime.fromisoformat(at)
    content["at"] = as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for name in ("collaborative_id", "scenario_id"):
        content[name] = None if content[name] is None else int(content[name])
    for name in HASHED_FIELDS[4:]:
        content[name] = "" if content[name] is None else str(content[name])
    content["v"] = 1
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash a row with this content must carry after `prev_hash`."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(row)}".encode()).hexdigest()


def lock_chain(connection: sa.Connection) -> None:
    """Makes this transaction the only audit writer until it ends (see the module's notes)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})
    else:
        connection.execute(sa.text("UPDATE audit_event SET id = id WHERE 0 = 1"))


def chain_head(connection: sa.Connection) -> str:
    """The newest row's hash, or `GENESIS` for an empty table."""
    head = connection.execute(
        sa.text("SELECT row_hash FROM audit_event ORDER BY id DESC LIMIT 1")
    ).scalar()
    return head or GENESIS


def _link_new_events(session: OrmSession, _context: Any, _instances: Any) -> None:
    """`before_flush`: gives each new AuditEvent its place in the chain, in the order added."""
    from ics_capacity.db.models import AuditEvent

    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)
    connection = session.connection()
    lock_chain(connection)
    previous = chain_head(connection)
    for event in new:
        event.at = as_utc(event.at)
        event.prev_hash = previous
        event.row_hash = row_hash(previous, {name: getattr(event, name) for name in HASHED_FIELDS})
        previous = event.row_hash
    # The unit of work inserts a mapper's new rows in the order they were added, so the ids the
    # sequence gives them follow the chain.


sa.event.listen(OrmSession, "before_flush", _link_new_events)


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found."""

    rows: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        """Whether every row links to the one before and matches its content."""
        return self.broken_id is None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Checks rows given in id order: each links to the previous one and matches its hash."""
    previous = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row["prev_hash"] != previous:
            return ChainReport(
                count,
                row["id"],
                "its prev_hash is not the previous row's hash (a row before it "
                "was removed, inserted or changed)",
            )
        if row["row_hash"] != row_hash(previous, row):
            return ChainReport(count, row["id"], "its content does not match its hash (changed)")
        previous = row["row_hash"]
    return ChainReport(count)


def verify_chain(connection: sa.Connection, batch: int = 5000) -> ChainReport:
    """Walks the whole audit table in id order, streaming, and reports the first broken row."""
    columns = ", ".join(("id", "prev_hash", "row_hash", *HASHED_FIELDS))
    result = connection.execution_options(yield_per=batch).execute(
        sa.text(f"SELECT {columns} FROM audit_event ORDER BY id")
    )
    return verify_rows(dict(row._mapping) for row in result)
