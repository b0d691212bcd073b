"""Sign-in throttling: failures counted per account and per client address, shared by workers.

Failures are counted per account (by the email's SHA-256, whether or not the account exists) and
per client address in `sign_in_throttle`: after `THROTTLE_FREE_FAILURES` failures (more for an
address, which many staff may share), each further attempt must wait twice as long as the last, up
to `THROTTLE_MAX_WAIT`. Nothing locks an account for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import SignInThrottle

THROTTLE_FREE_FAILURES = 5  # per account, within THROTTLE_WINDOW
ADDRESS_FREE_FAILURES = 20  # per client address: a trust's staff may share one
THROTTLE_WINDOW = dt.timedelta(minutes=15)  # failures are forgotten after this long quiet
THROTTLE_MAX_WAIT = dt.timedelta(minutes=15)
ADDRESS_MAX = 64  # the longest client address kept (db/models/)


def throttled_message(wait: dt.timedelta) -> str:
    """The one answer to a throttled attempt, the same whether or not the account exists."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Too many attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}."


def throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    """The throttle rows an attempt counts against, with the failures each allows free.

    The account's key comes first. It is the email's SHA-256, so an unknown email is throttled
    exactly like a real one and the table holds no address book.
    """
    keys = [(f"account:{hashlib.sha256(email.encode()).hexdigest()}", THROTTLE_FREE_FAILURES)]
    if address:
        keys.append((f"address:{address[:ADDRESS_MAX]}", ADDRESS_FREE_FAILURES))
    return keys


def throttle_wait(session: Session, keys: list[str], now: dt.datetime) -> dt.timedelta:
    """How long the attempt must still wait: the longest of its keys' waits (zero: go ahead)."""
    waits = [
        until - now
        for until in session.exec(
            select(SignInThrottle.blocked_until).where(col(SignInThrottle.key).in_(keys))
        ).all()
        if until is not None
    ]
    return max([dt.timedelta(0), *waits])


def record_failure(session: Session, keys: list[tuple[str, int]], now: dt.datetime) -> None:
    """Counts a failure against each key and sets its back-off; workers agree through the row.

    The row is created if missing (insert, ignoring a conflict) and then changed under the
    database's write lock (`FOR UPDATE` on PostgreSQL; SQLite's one writer), so two workers
    counting at once lose no failure. Rows quiet for longer than the window start again; rows
    nobody has touched for a day are removed.
    """
    session.execute(
        sa.delete(SignInThrottle).where(
            col(SignInThrottle.last_failure_at) < now - dt.timedelta(days=1)
        )
    )
    for key, free in keys:
        _insert_if_missing(session, key, now)
        row = session.exec(
            select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        ).one()
        quiet_since = row.blocked_until or row.last_failure_at
        if now - quiet_since > THROTTLE_WINDOW:
            row.failures, row.blocked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= free:
            seconds = 2.0 ** min(row.failures - free, 20)
            row.blocked_until = now + min(dt.timedelta(seconds=seconds), THROTTLE_MAX_WAIT)
        session.add(row)
    session.flush()


def clear_failures(session: Session, key: str) -> None:
    """Forgets an account's failures (after a right password or a reset)."""
    session.execute(sa.delete(SignInThrottle).where(col(SignInThrottle.key) == key))


def account_key(email: str) -> str:
    """The throttle key of an account's email."""
    return throttle_keys(email.strip().lower(), "")[0][0]


def _insert_if_missing(session: Session, key: str, now: dt.datetime) -> None:
    """Adds a throttle row with no failures unless the key has one (a race is no error)."""
    values = {"key": key, "failures": 0, "last_failure_at": now}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(SignInThrottle).values(values).on_conflict_do_nothing())
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    session.execute(sqlite_insert(SignInThrottle).values(values).on_conflict_do_nothing())
