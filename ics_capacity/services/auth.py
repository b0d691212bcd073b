"""Accounts, sign-in, sessions and the permission check every use case calls first.

Passwords are hashed with argon2id (argon2-cffi, the reference implementation's bindings). A browser
holds a random session token; the database keeps only its SHA-256, so a leaked database does not
leak sessions. Sessions expire after `idle_timeout()` without use (`ICS_IDLE_TIMEOUT_MINUTES`,
default 30 minutes) and `ABSOLUTE_TIMEOUT` after sign-in.

Sign-in reveals nothing about which accounts exist: an unknown email, a wrong password, a disabled
account and a throttled attempt all cost one argon2 verification, and the first three get the same
message. Failures are counted per account (by the email's SHA-256, whether or not the account
exists) and per client address in `sign_in_throttle`, which every worker shares: after
`THROTTLE_FREE_FAILURES` failures (more for an address, which many staff may share), each further
attempt must wait twice as long as the last, up to `THROTTLE_MAX_WAIT`. Nothing locks an account
for good, so no one can lock a colleague out by typing their email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    AuditEvent,
    AuthSession,
    Collaborative,
    Membership,
    Role,
    SignInThrottle,
    UserAccount,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.domain.passwords import password_problem
from ics_capacity.domain.roles import ROLE_LABELS, Permission, role_allows
from ics_capacity.services.security_log import security_event
from ics_capacity.settings import idle_timeout_minutes

IDLE_TIMEOUT = dt.timedelta(minutes=30)  # the default of `ICS_IDLE_TIMEOUT_MINUTES`
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
THROTTLE_FREE_FAILURES = 5  # per account, within THROTTLE_WINDOW
ADDRESS_FREE_FAILURES = 20  # per client address: a trust's staff may share one
THROTTLE_WINDOW = dt.timedelta(minutes=15)  # failures are forgotten after this long quiet
THROTTLE_MAX_WAIT = dt.timedelta(minutes=15)
# The password hash of an account that signs in only through single sign-on: no password matches.
SINGLE_SIGN_ON_ONLY = "!single-sign-on"
HANDOFF_TIMEOUT = dt.timedelta(seconds=60)  # a sign-in's one-time code for the session cookie
REFUSED_MESSAGE = "The email address or password is not right."
CODE_REFUSED = "That code is not right. Enter the code your authenticator app shows now."
TOTP_ISSUER = "ICS Capacity Planner"
# The longest email and name the user_account table holds (db/models.py).
EMAIL_MAX = 255
DISPLAY_NAME_MAX = 200
USER_AGENT_MAX = 300
ADDRESS_MAX = 64

_hasher = PasswordHasher()
# Verifying against this when the email is unknown (or the account disabled, or the attempt
# throttled) makes every refusal cost the same as a wrong password, so response times do not
# reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def idle_timeout() -> dt.timedelta:
    """How long a session lasts without use (`ICS_IDLE_TIMEOUT_MINUTES`, default 30 minutes)."""
    return dt.timedelta(minutes=idle_timeout_minutes())


class AuthError(ServiceError):
    """Base of the errors a person sees when signing in or being refused."""


class SignInError(AuthError):
    """Wrong email or password, a disabled account, or too many attempts."""


class NotSignedInError(AuthError):
    """No valid session: never signed in, signed out, or expired."""

    def __init__(self) -> None:
        super().__init__("Your session has ended. Please sign in again.")


class PasswordChangeRequiredError(AuthError):
    """The session is valid, but the user must choose a new password before anything else."""

    def __init__(self) -> None:
        super().__init__("Choose a new password before you go on.")


class SecondFactorSetupRequiredError(PasswordChangeRequiredError):
    """The user's collaborative requires two-step verification, and they have not set it up."""

    def __init__(self) -> None:
        AuthError.__init__(
            self,
            "Your collaborative requires two-step verification: set it up before you go on.",
        )


class SecondFactorNeededError(SignInError):
    """The password was right; the code from the account's authenticator app is needed too."""

    def __init__(self) -> None:
        super().__init__("Enter the 6-digit code from your authenticator app.")


class PermissionDeniedError(AuthError):
    """The signed-in user's role does not allow the action in this collaborative."""


class PasswordPolicyError(AuthError):
    """A new password does not meet the policy."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the services see them: identity and role per collaborative."""

    user_id: int
    email: str
    display_name: str
    roles: dict[int, str] = field(default_factory=dict)

    def role_in(self, collaborative_id: int) -> str | None:
        """The user's role in the collaborative, or None if not a member."""
        return self.roles.get(collaborative_id)

    def can(self, permission: Permission, collaborative_id: int) -> bool:
        """Whether the user may do this in the collaborative."""
        return role_allows(self.role_in(collaborative_id), permission)

    def require(self, permission: Permission, collaborative_id: int) -> None:
        """Raises PermissionDeniedError unless the user may do this in the collaborative."""
        if not self.can(permission, collaborative_id):
            raise PermissionDeniedError(
                f"You do not have permission to {permission.value.replace('_', ' ')} in this "
                "collaborative."
            )


class SessionDigest(str):
    """A session token already reduced to its SHA-256, as the browser's cookie reaches the app.

    The web layer (`ui/http_security.session_cookie`) replaces the HttpOnly cookie's raw token
    with its digest before Reflex sees the request, so that the raw token is never kept in client
    state (which the Redis state manager stores). Only code that read that rewritten header builds
    this type; a plain `str` is always a raw token and is hashed.
    """


def token_digest(token: str) -> str:
    """The SHA-256 under which a session token is stored."""
    if isinstance(token, SessionDigest):
        return str(token)
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_policy(password: str) -> None:
    """Raises PasswordPolicyError for a password the policy refuses (`domain.passwords`)."""
    if problem := password_problem(password):
        raise PasswordPolicyError(problem)


def hash_password(password: str) -> str:
    """The argon2id hash of a password that meets the policy."""
    check_password_policy(password)
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    memberships: dict[int, str] | None = None,
    created_by: str = "system",
) -> UserAccount:
    """Adds an account with roles per collaborative id; the email must be new."""
    check_password_policy(password)
    email = email.strip().lower()
    if len(email) > EMAIL_MAX:
        raise InvalidInputError(f"An email address can have at most {EMAIL_MAX} characters.")
    if len(display_name.strip()) > DISPLAY_NAME_MAX:
        raise InvalidInputError(f"A name can have at most {DISPLAY_NAME_MAX} characters.")
    if session.exec(select(UserAccount.id).where(UserAccount.email == email)).first():
        raise AuthError(f"An account for {email} already exists.")
    user = UserAccount(
        email=email,
        display_name=display_name.strip() or email,
        password_hash=_hasher.hash(password),
        updated_by=created_by,
    )
    session.add(user)
    session.flush()
    for collaborative_id, role in (memberships or {}).items():
        session.add(Membership(user_id=user.id, collaborative_id=collaborative_id, role=Role(role)))
        session.add(
            AuditEvent(
                user_email=created_by,
                collaborative_id=collaborative_id,
                action="user.add",
                entity="user",
                entity_id=str(user.id),
                field="role",
                new_value=role,
                summary=f"{email} added as {ROLE_LABELS[role]}",
            )
        )
    session.flush()
    return user


# --- Sign-in -------------------------------------------------------------------------------------


def throttled_message(wait: dt.timedelta) -> str:
    """The one answer to a throttled attempt, the same whether or not the account exists."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Too many attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}."


def sign_in(
    email: str,
    password: str,
    *,
    address: str = "",
    user_agent: str = "",
    end_other_sessions: bool = False,
    code: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Checks the password (and the authenticator code, if the account uses one); opens a session.

    Every call verifies exactly one argon2 hash: the account's, or a dummy one when the email is
    unknown, the account disabled or the attempt throttled. Blocking: pages call it through
    `asyncio.to_thread`.

    Args:
        email: The account's email, in any case.
        password: The password typed.
        address: The client's address (for throttling per address and "Your sessions").
        user_agent: The browser's User-Agent, shown in "Your sessions".
        end_other_sessions: End the account's other sessions once the password is right.
        code: The 6-digit code of the account's authenticator app (two-step verification).
        now: The current time (tests).

    Returns:
        The new session token, to be kept by the browser.

    Raises:
        SignInError: `REFUSED_MESSAGE`, or `throttled_message`; neither reveals whether the email
            exists. `CODE_REFUSED` for a wrong authenticator code, which counts as a failure.
        SecondFactorNeededError: the password is right and the account needs a code.
    """
    now = now or utc_now()
    email = email.strip().lower()
    keys = throttle_keys(email, address)
    with unit_of_work() as session:
        wait = throttle_wait(session, [k for k, _ in keys], now)
        if wait > dt.timedelta(0):
            _verify(_DUMMY_HASH, password)
            security_event("sign_in", "throttled", user=email, reason="back-off")
            raise SignInError(throttled_message(wait))
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
        usable = user is not None and user.is_active
        right = _verify(
            user.password_hash if user is not None and usable else _DUMMY_HASH, password
        )
        if user is None or not usable or not right:
            record_failure(session, keys, now)
            session.commit()
            reason = (
                "unknown account"
                if user is None
                else ("disabled account" if not usable else "wrong password")
            )
            security_event("sign_in", "failure", user=email, reason=reason)
            raise SignInError(REFUSED_MESSAGE)
        if user.totp_enabled:
            _check_second_factor(session, user, code, keys, now)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.add(user)
        clear_failures(session, keys[0][0])
        if end_other_sessions:
            end_sessions_of(session, user.id, now=now)
        token = open_session(session, user, now=now, address=address, user_agent=user_agent)
        session.commit()
        security_event("sign_in", "success", user=email)
        return token


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


def _check_second_factor(
    session: Session,
    user: UserAccount,
    code: str,
    keys: list[tuple[str, int]],
    now: dt.datetime,
) -> None:
    """Accepts the user's authenticator code, once; a wrong code counts like a wrong password."""
    if not code.strip():
        raise SecondFactorNeededError()
    step = totp_step(user.totp_secret, user.totp_last_step, code, now)
    if step is None:
        record_failure(session, keys, now)
        session.commit()
        security_event("sign_in", "failure", user=user.email, reason="wrong code")
        raise SignInError(CODE_REFUSED)
    user.totp_last_step = step
    session.add(user)


def totp_step(secret: str | None, last_step: int | None, code: str, now: dt.datetime) -> int | None:
    """The 30-second step whose code this is, or None: a wrong code, or one already used.

    The current step or either neighbour is accepted, for clocks a little apart; a step no later
    than the last accepted one is refused (RFC 6238 section 5.2).
    """
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if step > (last_step if last_step is not None else -1) and hmac.compare_digest(
            totp.at(step * totp.interval), code.strip()
        ):
            return step
    return None


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


# --- Sessions ------------------------------------------------------------------------------------


def _session_row(
    session: Session, token: str | None, now: dt.datetime
) -> tuple[AuthSession, UserAccount]:
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
        auth, _ = _session_row(session, token, now)
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
    _, user = _session_row(session, token, now)
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
        mine, _ = _session_row(session, token, now)
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
        mine, _ = _session_row(session, token, now)
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
        mine, _ = _session_row(session, token, now)
        count = end_sessions_of(session, mine.user_id, now=now, keep=mine.id)
        session.commit()
        return count


# --- Two-step verification (TOTP) -------------------------------------------------------------


def my_totp_enabled(token: str | None) -> bool:
    """Whether the signed-in user has two-step verification on."""
    with unit_of_work() as session:
        _, user = _session_row(session, token, utc_now())
        session.commit()
        return user.totp_enabled


def new_totp_secret(token: str | None) -> tuple[str, str, int]:
    """A new key for the user's authenticator app: (base32 secret, otpauth:// URI, user id).

    Nothing is stored: the page keeps the key until `confirm_totp_setup` has seen a right code,
    so a setup left half way changes nothing.

    Raises:
        AuthError: two-step verification is already on (an administrator resets it).
    """
    with unit_of_work() as session:
        _, user = _session_row(session, token, utc_now())
        session.commit()
        if user.totp_enabled:
            raise AuthError("Two-step verification is already on for your account.")
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
        return secret, uri, user.id or 0


def confirm_totp_setup(
    token: str | None, secret: str, code: str, *, user_id: int, address: str = ""
) -> None:
    """Turns two-step verification on with the key, once the user's app shows the right code.

    Wrong codes are throttled like wrong passwords (the same keys and back-off). The key must
    have been made for this user (`user_id`, from `new_totp_secret`).

    Raises:
        SignInError: a wrong code, or too many attempts.
        AuthError: no setup was started for this user, or it is on already.
    """
    now = utc_now()
    with unit_of_work() as session:
        _, user = _session_row(session, token, now)
        if user.totp_enabled or user.id != user_id or not _BASE32.fullmatch(secret or ""):
            raise AuthError("Start setting up two-step verification again.")
        keys = throttle_keys(user.email, address)
        wait = throttle_wait(session, [k for k, _ in keys], now)
        if wait > dt.timedelta(0):
            raise SignInError(throttled_message(wait))
        step = totp_step(secret, None, code, now)
        if step is None:
            record_failure(session, keys, now)
            session.commit()
            raise SignInError(CODE_REFUSED)
        user.totp_secret, user.totp_enabled, user.totp_last_step = secret, True, step
        user.updated_by = user.email
        session.add(user)
        summary = f"{user.email} turned on two-step verification"
        audit_user(session, user.email, user, "user.totp_on", summary)
        session.commit()
    security_event("totp", "enabled", user=user.email)


_BASE32 = re.compile(r"[A-Z2-7]{32}")


def reset_totp(session: Session, admin: Principal, user: UserAccount) -> None:
    """An administrator of every collaborative of the user turns their two-step verification off.

    The recovery for a lost phone: the user's sessions end, and if a collaborative requires it
    they set it up again at their next sign-in.
    """
    if not all(
        admin.can(Permission.MANAGE_USERS, c) for c in user_collaborative_ids(session, user.id)
    ):
        raise PermissionDeniedError(TOTP_RESET_REFUSED)
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    user.updated_by = admin.email
    session.add(user)
    end_sessions_of(session, user.id)
    audit_user(
        session,
        admin.email,
        user,
        "user.totp_reset",
        f"Two-step verification of {user.email} reset by an administrator",
    )


TOTP_RESET_REFUSED = (
    "Two-step verification can be reset only by an administrator of every collaborative the "
    "person belongs to."
)


# --- Passwords -----------------------------------------------------------------------------------


def change_own_password(token: str | None, *, current: str, new: str, address: str = "") -> None:
    """The signed-in user changes their password, proving they know the current one.

    Also the way out of a forced change. A wrong current password counts as a failed sign-in
    (the same throttle), so a stolen session cannot be used to guess the password. The user's
    other sessions end; this one stays.

    Raises:
        SignInError: the current password is wrong, or the account is throttled.
        PasswordPolicyError: the new password does not meet the policy, or is the current one.
    """
    now = utc_now()
    check_password_policy(new)
    with unit_of_work() as session:
        mine, user = _session_row(session, token, now)
        keys = throttle_keys(user.email, address)
        wait = throttle_wait(session, [k for k, _ in keys], now)
        if wait > dt.timedelta(0):
            _verify(_DUMMY_HASH, current)
            raise SignInError(throttled_message(wait))
        if not _verify(user.password_hash, current):
            record_failure(session, keys, now)
            session.commit()
            raise SignInError("Your current password is not right.")
        if _verify(user.password_hash, new):
            raise PasswordPolicyError("Choose a password different from your current one.")
        user.password_hash = _hasher.hash(new)
        user.password_changed_at = now
        user.must_change_password = False
        user.updated_by = user.email
        session.add(user)
        clear_failures(session, keys[0][0])
        end_sessions_of(session, user.id, now=now, keep=mine.id)
        audit_user(
            session,
            user.email,
            user,
            "user.password_change",
            f"{user.email} changed their password",
        )
        session.commit()


def reset_password(session: Session, admin: Principal, *, email: str, new_password: str) -> None:
    """An administrator sets a new password for a user, who must change it at next sign-in.

    Only an administrator of every collaborative the user belongs to may do it, so one
    collaborative's administrator cannot take over a member of another. The user's sessions end
    and their sign-in throttle is lifted. An unknown email gets the same refusal as a user the
    administrator may not reset, so the form does not reveal which accounts exist.
    """
    check_password_policy(new_password)
    email = email.strip().lower()
    if email == admin.email:
        raise AuthError("Change your own password on the Your account page.")
    user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
    memberships = (
        set(session.exec(select(Membership.collaborative_id).where(Membership.user_id == user.id)))
        if user is not None
        else set()
    )
    if (
        user is None
        or not memberships
        or not all(admin.can(Permission.MANAGE_USERS, c) for c in memberships)
    ):
        raise PermissionDeniedError(RESET_REFUSED)
    user.password_hash = _hasher.hash(new_password)
    user.password_changed_at = utc_now()
    user.must_change_password = True
    unbind_single_sign_on(user)
    user.updated_by = admin.email
    session.add(user)
    clear_failures(session, account_key(user.email))
    end_sessions_of(session, user.id)
    audit_user(
        session,
        admin.email,
        user,
        "user.password_reset",
        f"Password of {user.email} reset by an administrator",
    )


RESET_REFUSED = (
    "A password can be reset only by an administrator of every collaborative the person belongs to."
)


def user_collaborative_ids(session: Session, user_id: int | None) -> list[int]:
    """The collaboratives a user belongs to."""
    return sorted(
        session.exec(select(Membership.collaborative_id).where(Membership.user_id == user_id))
    )


def audit_user(session: Session, actor: str, user: UserAccount, action: str, summary: str) -> None:
    """One audit row in each collaborative the user belongs to (their administrators see it)."""
    targets: list[int | None] = [*user_collaborative_ids(session, user.id)] or [None]
    for collaborative_id in targets:
        session.add(
            AuditEvent(
                user_email=actor,
                collaborative_id=collaborative_id,
                action=action,
                entity="user",
                entity_id=str(user.id),
                summary=summary,
            )
        )


def unbind_single_sign_on(user: UserAccount) -> None:
    """Makes an account a password account again (after a reset), under the password rules."""
    user.oidc_issuer = None
    user.oidc_subject = None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
        _, user = _session_row(session, token, utc_now())
        session.commit()
        return user.must_change_password
