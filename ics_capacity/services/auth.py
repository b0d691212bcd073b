"""Accounts, sign-in, sessions and the permission check every use case calls first.

Passwords are hashed with argon2id (argon2-cffi, the reference implementation's bindings). A browser
holds a random session token; the database keeps only its SHA-256, so a leaked database does not
leak sessions. Sessions expire after `IDLE_TIMEOUT` without use and `ABSOLUTE_TIMEOUT` after
sign-in. After `MAX_FAILED_SIGN_INS` wrong passwords in a row the account is locked for `LOCKOUT`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

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
    UserAccount,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.domain.roles import ROLE_LABELS, Permission, role_allows
from ics_capacity.services.security_log import security_event

IDLE_TIMEOUT = dt.timedelta(hours=8)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
MAX_FAILED_SIGN_INS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
# The longest email and name the user_account table holds (db/models.py).
EMAIL_MAX = 255
DISPLAY_NAME_MAX = 200

_hasher = PasswordHasher()
# Verifying against this when the email is unknown makes a wrong email take as long as a wrong
# password, so response times do not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")


class AuthError(ServiceError):
    """Base of the errors a person sees when signing in or being refused."""


class SignInError(AuthError):
    """Wrong email or password, or a locked or disabled account."""


class NotSignedInError(AuthError):
    """No valid session: never signed in, signed out, or expired."""

    def __init__(self) -> None:
        super().__init__("Your session has ended. Please sign in again.")


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


def token_digest(token: str) -> str:
    """The SHA-256 under which a session token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_policy(password: str) -> None:
    """Raises PasswordPolicyError for a password that is too short (NCSC: length over rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters; "
            "three random words make a good one."
        )


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


def sign_in(email: str, password: str, *, now: dt.datetime | None = None) -> str:
    """Checks the password and opens a session.

    Returns:
        The new session token, to be kept by the browser.

    Raises:
        SignInError: with a message that does not reveal whether the email exists.
    """
    now = now or utc_now()
    email = email.strip().lower()
    refused = SignInError("The email address or password is not right.")
    with unit_of_work() as session:
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
        if user is None or not user.is_active:
            _verify(_DUMMY_HASH, password)
            reason = "unknown account" if user is None else "disabled account"
            security_event("sign_in", "failure", user=email, reason=reason)
            raise refused
        if user.locked_until is not None and _aware(user.locked_until) > now:
            security_event("sign_in", "throttled", user=email, reason="account locked")
            minutes = max(1, round((_aware(user.locked_until) - now).total_seconds() / 60))
            raise SignInError(
                "Too many wrong passwords: this account is locked for another "
                f"{minutes} minute{'s' if minutes != 1 else ''}."
            )
        if not _verify(user.password_hash, password):
            user.failed_sign_ins += 1
            if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
                user.locked_until = now + LOCKOUT
                user.failed_sign_ins = 0
            session.add(user)
            session.commit()
            security_event(
                "sign_in",
                "failure",
                user=email,
                reason="wrong password",
                locked=user.locked_until is not None or None,
            )
            raise refused
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_sign_ins = 0
        user.locked_until = None
        session.add(user)
        token = secrets.token_urlsafe(32)
        session.add(
            AuthSession(
                token_sha256=token_digest(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE_TIMEOUT,
            )
        )
        session.commit()
        security_event("sign_in", "success", user=email)
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
            .where(AuthSession.token_sha256 == token_digest(token))
            .values(revoked_at=utc_now())
        )
        session.commit()
    security_event("sign_out", "success" if email else "unknown session", user=email or "")


def principal_for(
    session: Session, token: str | None, *, now: dt.datetime | None = None
) -> Principal:
    """The user whose valid session the token is, read inside the caller's transaction.

    Raises:
        NotSignedInError: no token, unknown, revoked or expired session, or a disabled account.
    """
    if not token:
        raise NotSignedInError()
    now = now or utc_now()
    row = session.exec(
        select(AuthSession, UserAccount)
        .join(UserAccount, UserAccount.id == AuthSession.user_id)
        .where(AuthSession.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        raise NotSignedInError()
    auth, user = row
    if (
        auth.revoked_at is not None
        or _aware(auth.expires_at) <= now
        or _aware(auth.last_seen_at) + IDLE_TIMEOUT <= now
        or not user.is_active
    ):
        raise NotSignedInError()
    if now - _aware(auth.last_seen_at) > dt.timedelta(minutes=1):
        session.execute(
            sa.update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=now)
        )
    roles = dict(
        session.exec(
            select(Membership.collaborative_id, Membership.role).where(
                Membership.user_id == user.id
            )
        ).all()
    )
    return Principal(user.id, user.email, user.display_name, roles)


@contextmanager
def signed_in_transaction(token: str | None) -> Iterator[tuple[Session, Principal]]:
    """One transaction of a signed-in caller; commits when the block ends cleanly.

    The innermost prologue of every use case with a caller: the session token is resolved to a
    principal inside the transaction (which also records that the session was used), and the work
    is committed only if the block raises nothing. `scenarios.scenario_transaction` and
    `scenarios.collaborative_transaction` build on it and add the role check.

    Raises:
        NotSignedInError: no valid session.
    """
    with unit_of_work() as session:
        principal = principal_for(session, token)
        yield session, principal
        session.commit()


def current_principal(token: str | None) -> Principal:
    """The signed-in user of a token, in a short transaction of its own."""
    with signed_in_transaction(token) as (_, principal):
        return principal


def reset_password(session: Session, admin: Principal, *, email: str, new_password: str) -> None:
    """An administrator sets a new password for a member of a collaborative they administer.

    The user's sessions are ended and any lockout is lifted.
    """
    check_password_policy(new_password)
    user = session.exec(select(UserAccount).where(UserAccount.email == email.lower())).first()
    if user is None:
        raise AuthError(f"There is no account for {email}.")
    shared = set(
        session.exec(select(Membership.collaborative_id).where(Membership.user_id == user.id))
    )
    administered = [c for c in shared if admin.can(Permission.MANAGE_USERS, c)]
    if not administered:
        raise PermissionDeniedError(
            "Only an administrator of one of this user's collaboratives can reset their password."
        )
    user.password_hash = _hasher.hash(new_password)
    user.password_changed_at = utc_now()
    user.failed_sign_ins = 0
    user.locked_until = None
    user.updated_by = admin.email
    session.add(user)
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )
    session.add(
        AuditEvent(
            user_email=admin.email,
            collaborative_id=administered[0],
            action="user.password_reset",
            entity="user",
            entity_id=str(user.id),
            summary=f"Password of {user.email} reset by an administrator",
        )
    )


def collaborative_ids_by_code(session: Session) -> dict[str, int]:
    """Collaborative code -> id."""
    return dict(session.exec(select(Collaborative.code, Collaborative.id)).all())


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class MembershipView:
    """A collaborative the signed-in user belongs to, with their role there."""

    collaborative_id: int
    code: str
    name: str
    role: str


def my_collaboratives(token: str | None) -> tuple[Principal, list[MembershipView]]:
    """The signed-in user and the collaboratives they belong to, by name."""
    with signed_in_transaction(token) as (session, principal):
        rows = session.exec(
            select(Collaborative)
            .where(Collaborative.id.in_(list(principal.roles)))
            .order_by(Collaborative.name)
        ).all()
        return principal, [
            MembershipView(c.id, c.code, c.name, principal.roles[c.id]) for c in rows
        ]
