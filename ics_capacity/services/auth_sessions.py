"""Sessions: opening, handing off to the cookie, resolving a token to a principal, ending.

A browser holds a random session token; the database keeps only its SHA-256, so a leaked database
does not leak sessions. Sessions expire after `idle_timeout()` without use
(`ICS_IDLE_TIMEOUT_MINUTES`, default 30 minutes) and `ABSOLUTE_TIMEOUT` after sign-in.
`signed_in_transaction` is the innermost prologue of every use case with a caller.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import AuthSession, Collaborative, Membership, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.services.auth_principal import (
    AuthError,
    NotSignedInError,
    PasswordChangeRequiredError,
    Principal,
    SecondFactorSetupRequiredError,
    idle_timeout,
    token_digest,
)
from ics_capacity.services.auth_throttle import ADDRESS_MAX
from ics_capacity.services.security_log import security_event

ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
HANDOFF_TIMEOUT = dt.timedelta(seconds=60)  # a sign-in's one-time code for the session cookie
USER_AGENT_MAX = 300


def open_session(
    session: Session, user: UserAccount, *, now: dt.datetime, address: str, user_agent: str
) -> str:
    """A new session of a user whose sign-in was accepted; its token (the database keeps a hash)."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_sha256=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            client_address=address[:ADDRESS_MAX],
            user_agent=user_agent[:USER_AGENT_MAX],
        )
    )
    return token


def sign_out(token: str) -> None:
    """Ends the session of the token (nothing happens for an unknown token)."""
    with unit_of_work() as session:
        email = session.exec(
            select(UserAccount.email)
            .join(AuthSession, col(AuthSession.user_id) == UserAccount.id)
            .where(AuthSession.token_sha256 == token_digest(token))
        ).first()
        session.execute(
            sa.update(AuthSession)
            .where(col(AuthSession.token_sha256) == token_digest(token))
            .values(revoked_at=utc_now())
        )
        session.commit()
    security_event("sign_out", "success" if email else "unknown session", user=email or "")


def end_sessions_of(
    session: Session,
    user_id: int | None,
    *,
    now: dt.datetime | None = None,
    keep: int | None = None,
) -> int:
    """Ends every open session of the user (but `keep`, a session id); returns how many."""
    query = sa.update(AuthSession).where(
        col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(AuthSession.id) != keep)
    result = session.execute(query.values(revoked_at=now or utc_now()))
    return int(getattr(result, "rowcount", 0) or 0)


def hand_off(token: str, *, now: dt.datetime | None = None) -> str:
    """A one-time code with which the browser collects the session as an HttpOnly cookie.

    Reflex's client storage cannot set an HttpOnly cookie, so the sign-in event hands this code to
    the browser, which posts it to the backend route `/_auth/session` (`ui/http_security.py`).
    The code is kept only as a SHA-256 and is good for `HANDOFF_TIMEOUT`, once.
    """
    now = now or utc_now()
    code = secrets.token_urlsafe(32)
    with unit_of_work() as session:
        updated = session.execute(
            sa.update(AuthSession)
            .where(
                col(AuthSession.token_sha256) == token_digest(token),
                col(AuthSession.revoked_at).is_(None),
            )
            .values(handoff_sha256=token_digest(code), handoff_expires_at=now + HANDOFF_TIMEOUT)
        )
        if not getattr(updated, "rowcount", 0):
            raise NotSignedInError()
        session.commit()
    return code


def redeem_hand_off(code: str, *, now: dt.datetime | None = None) -> str | None:
    """The session's token for a one-time code, or None for an unknown, used or stale code.

    The session gets a fresh token here, known only to the route that sets the cookie: the token
    the sign-in event saw is dead, and a code works once however many workers race for it (one
    conditional UPDATE).
    """
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    with unit_of_work() as session:
        updated = session.execute(
            sa.update(AuthSession)
            .where(
                col(AuthSession.handoff_sha256) == token_digest(code),
                col(AuthSession.handoff_expires_at) > now,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > now,
            )
            .values(token_sha256=token_digest(token), handoff_sha256=None, handoff_expires_at=None)
        )
        session.commit()
    return token if getattr(updated, "rowcount", 0) == 1 else None


def session_row(
    session: Session, token: str | None, now: dt.datetime
) -> tuple[AuthSession, UserAccount]:
    """The token's open session and its user, recording the use (at most once a minute).

    Raises:
        NotSignedInError: no token, an unknown, ended or expired session, or a disabled account.
    """
    if not token:
        raise NotSignedInError()
    row = session.exec(
        select(AuthSession, UserAccount)
        .join(UserAccount, col(UserAccount.id) == AuthSession.user_id)
        .where(AuthSession.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        raise NotSignedInError()
    auth, user = row
    if not _open(auth, now) or not user.is_active:
        raise NotSignedInError()
    # Use is recorded at most once a minute (a tenth of a shorter idle timeout), to spare writes.
    if now - auth.last_seen_at > min(dt.timedelta(minutes=1), idle_timeout() / 10):
        session.execute(
            sa.update(AuthSession).where(col(AuthSession.id) == auth.id).values(last_seen_at=now)
        )
    return auth, user


def _open(auth: AuthSession, now: dt.datetime) -> bool:
    return (
        auth.revoked_at is None
        and auth.expires_at > now
        and auth.last_seen_at + idle_timeout() > now
    )


def idle_seconds_left(token: str | None, *, now: dt.datetime | None = None) -> float:
    """Seconds until the session ends for want of use, or at its absolute limit if sooner.

    Asking is not use: the page's idle warning polls this, and it does not keep the session
    open. 0 for no session, an ended one, or a disabled account.
    """
    now = now or utc_now()
    if not token:
        return 0.0
    with unit_of_work() as session:
        row = session.exec(
            select(AuthSession, UserAccount.is_active)
            .join(UserAccount, col(UserAccount.id) == AuthSession.user_id)
            .where(AuthSession.token_sha256 == token_digest(token))
        ).first()
        if row is None or not row[1] or not _open(row[0], now):
            return 0.0
        auth = row[0]
        left = min(auth.last_seen_at + idle_timeout(), auth.expires_at) - now
        return max(0.0, left.total_seconds())


def keep_session_alive(token: str | None) -> float:
    """Records use of the session now ("Stay signed in"); returns the seconds it now has left.

    Raises:
        NotSignedInError: the session has already ended.
    """
    now = utc_now()
    with unit_of_work() as session:
        auth, _ = session_row(session, token, now)
        session.execute(
            sa.update(AuthSession).where(col(AuthSession.id) == auth.id).values(last_seen_at=now)
        )
        session.commit()
    return idle_seconds_left(token, now=now)


def principal_for(
    session: Session,
    token: str | None,
    *,
    now: dt.datetime | None = None,
    pending_change_ok: bool = False,
) -> Principal:
    """The user whose valid session the token is, read inside the caller's transaction.

    Args:
        session: The caller's transaction.
        token: The browser's session token.
        now: The current time (tests).
        pending_change_ok: Accept a user who must change their password or set up two-step
            verification (only the account's own page and its forms pass this).

    Raises:
        NotSignedInError: no token, unknown, revoked or expired session, or a disabled account.
        PasswordChangeRequiredError: the user must choose a new password first.
        SecondFactorSetupRequiredError: a collaborative of the user requires two-step
            verification, which they have not set up.
    """
    now = now or utc_now()
    _, user = session_row(session, token, now)
    if user.must_change_password and not pending_change_ok:
        raise PasswordChangeRequiredError()
    rows = session.exec(
        select(Membership.collaborative_id, Membership.role, Collaborative.require_totp)
        .join(Collaborative, col(Collaborative.id) == Membership.collaborative_id)
        .where(Membership.user_id == user.id)
    ).all()
    # An account that signs in through the organisation's identity provider has its second
    # factor there (NHS.net and Entra ID enforce MFA): the requirement is for password accounts.
    password_account = user.oidc_subject is None
    if (
        not pending_change_ok
        and password_account
        and not user.totp_enabled
        and any(r[2] for r in rows)
    ):
        raise SecondFactorSetupRequiredError()
    roles = {collaborative_id: role for collaborative_id, role, _ in rows}
    assert user.id is not None  # a stored row
    return Principal(user.id, user.email, user.display_name, roles)


@contextmanager
def signed_in_transaction(
    token: str | None, *, pending_change_ok: bool = False
) -> Iterator[tuple[Session, Principal]]:
    """One transaction of a signed-in caller; commits when the block ends cleanly.

    The innermost prologue of every use case with a caller: the session token is resolved to a
    principal inside the transaction (which also records that the session was used), and the work
    is committed only if the block raises nothing. `scenarios.scenario_transaction` and
    `scenarios.collaborative_transaction` build on it and add the role check.

    Raises:
        NotSignedInError: no valid session.
        PasswordChangeRequiredError: the user must change their password first.
    """
    with unit_of_work() as session:
        principal = principal_for(session, token, pending_change_ok=pending_change_ok)
        yield session, principal
        session.commit()


def current_principal(token: str | None) -> Principal:
    """The signed-in user of a token, in a short transaction of its own."""
    with signed_in_transaction(token) as (_, principal):
        return principal


@dataclass(frozen=True)
class SessionView:
    """One of the signed-in user's open sessions, as "Your sessions" lists them."""

    session_id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    client_address: str
    user_agent: str
    current: bool


def my_sessions(token: str | None) -> list[SessionView]:
    """The caller's open sessions, this one first, then the most recently used."""
    now = utc_now()
    with unit_of_work() as session:
        mine, _ = session_row(session, token, now)
        rows = session.exec(
            select(AuthSession)
            .where(AuthSession.user_id == mine.user_id, col(AuthSession.revoked_at).is_(None))
            .order_by(col(AuthSession.last_seen_at).desc())
        ).all()
        session.commit()
        views = [
            SessionView(
                r.id or 0,
                r.created_at,
                r.last_seen_at,
                r.client_address,
                r.user_agent,
                r.id == mine.id,
            )
            for r in rows
            if _open(r, now)
        ]
        return sorted(views, key=lambda v: not v.current)


def end_my_session(token: str | None, session_id: int) -> None:
    """Ends one of the caller's own sessions (another user's is "not found")."""
    now = utc_now()
    with unit_of_work() as session:
        mine, _ = session_row(session, token, now)
        ended = session.execute(
            sa.update(AuthSession)
            .where(
                col(AuthSession.id) == session_id,
                col(AuthSession.user_id) == mine.user_id,
                col(AuthSession.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )
        if not getattr(ended, "rowcount", 0):
            raise AuthError("That session was not found; it may have ended already.")
        session.commit()


def end_my_other_sessions(token: str | None) -> int:
    """Ends every session of the caller but this one; returns how many were ended."""
    now = utc_now()
    with unit_of_work() as session:
        mine, _ = session_row(session, token, now)
        count = end_sessions_of(session, mine.user_id, now=now, keep=mine.id)
        session.commit()
        return count


@dataclass(frozen=True)
class MembershipView:
    """A collaborative the signed-in user belongs to, with their role there."""

    collaborative_id: int
    code: str
    name: str
    role: str


def my_collaboratives(token: str | None) -> tuple[Principal, list[MembershipView]]:
    """The signed-in user and the collaboratives they belong to, by name.

    Raises:
        NotSignedInError: no valid session.
        PasswordChangeRequiredError: the user must change their password first.
    """
    with signed_in_transaction(token) as (session, principal):
        rows = session.exec(
            select(Collaborative)
            .where(col(Collaborative.id).in_(list(principal.roles)))
            .order_by(Collaborative.name)
        ).all()
        return principal, [
            MembershipView(c.id or 0, c.code, c.name, principal.roles[c.id or 0]) for c in rows
        ]


def must_change_password(token: str | None) -> bool:
    """Whether the token's user must change their password before anything else.

    Raises:
        NotSignedInError: no valid session.
    """
    with unit_of_work() as session:
        _, user = session_row(session, token, utc_now())
        session.commit()
        return user.must_change_password
