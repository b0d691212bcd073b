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

This module holds the password hashing, sign-in and password changes, and is the one import of
the rest: `auth_principal` (the principal, the errors), `auth_sessions` (sessions and the signed-in
transaction), `auth_throttle` (the back-off) and `auth_totp` (two-step verification).
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ics_capacity.db.models import AuditEvent, Membership, Role, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.passwords import password_problem
from ics_capacity.domain.roles import ROLE_LABELS, Permission
from ics_capacity.services.auth_principal import (
    IDLE_TIMEOUT,
    AuthError,
    NotSignedInError,
    PasswordChangeRequiredError,
    PasswordPolicyError,
    PermissionDeniedError,
    Principal,
    SecondFactorNeededError,
    SecondFactorSetupRequiredError,
    SessionDigest,
    SignInError,
    audit_user,
    idle_timeout,
    token_digest,
    unbind_single_sign_on,
    user_collaborative_ids,
)
from ics_capacity.services.auth_sessions import (
    ABSOLUTE_TIMEOUT,
    HANDOFF_TIMEOUT,
    USER_AGENT_MAX,
    MembershipView,
    SessionView,
    current_principal,
    end_my_other_sessions,
    end_my_session,
    end_sessions_of,
    hand_off,
    idle_seconds_left,
    keep_session_alive,
    must_change_password,
    my_collaboratives,
    my_sessions,
    open_session,
    principal_for,
    redeem_hand_off,
    session_row,
    sign_out,
    signed_in_transaction,
)
from ics_capacity.services.auth_throttle import (
    ADDRESS_FREE_FAILURES,
    ADDRESS_MAX,
    THROTTLE_FREE_FAILURES,
    THROTTLE_MAX_WAIT,
    THROTTLE_WINDOW,
    account_key,
    clear_failures,
    record_failure,
    throttle_keys,
    throttle_wait,
    throttled_message,
)
from ics_capacity.services.auth_totp import (
    CODE_REFUSED,
    TOTP_ISSUER,
    TOTP_RESET_REFUSED,
    check_second_factor,
    confirm_totp_setup,
    my_totp_enabled,
    new_totp_secret,
    reset_totp,
    totp_step,
)
from ics_capacity.services.security_log import security_event

__all__ = [
    "ABSOLUTE_TIMEOUT",
    "ADDRESS_FREE_FAILURES",
    "ADDRESS_MAX",
    "CODE_REFUSED",
    "DISPLAY_NAME_MAX",
    "EMAIL_MAX",
    "HANDOFF_TIMEOUT",
    "IDLE_TIMEOUT",
    "REFUSED_MESSAGE",
    "RESET_REFUSED",
    "SINGLE_SIGN_ON_ONLY",
    "THROTTLE_FREE_FAILURES",
    "THROTTLE_MAX_WAIT",
    "THROTTLE_WINDOW",
    "TOTP_ISSUER",
    "TOTP_RESET_REFUSED",
    "USER_AGENT_MAX",
    "AuthError",
    "MembershipView",
    "NotSignedInError",
    "PasswordChangeRequiredError",
    "PasswordPolicyError",
    "PermissionDeniedError",
    "Principal",
    "SecondFactorNeededError",
    "SecondFactorSetupRequiredError",
    "SessionDigest",
    "SessionView",
    "SignInError",
    "account_key",
    "audit_user",
    "change_own_password",
    "check_password_policy",
    "clear_failures",
    "confirm_totp_setup",
    "create_user",
    "current_principal",
    "end_my_other_sessions",
    "end_my_session",
    "end_sessions_of",
    "hand_off",
    "hash_password",
    "idle_seconds_left",
    "idle_timeout",
    "keep_session_alive",
    "must_change_password",
    "my_collaboratives",
    "my_sessions",
    "my_totp_enabled",
    "new_totp_secret",
    "open_session",
    "principal_for",
    "record_failure",
    "redeem_hand_off",
    "reset_password",
    "reset_totp",
    "sign_in",
    "sign_out",
    "signed_in_transaction",
    "throttle_keys",
    "throttle_wait",
    "throttled_message",
    "token_digest",
    "totp_step",
    "unbind_single_sign_on",
    "user_collaborative_ids",
    "utc_now",
]

# The password hash of an account that signs in only through single sign-on: no password matches.
SINGLE_SIGN_ON_ONLY = "!single-sign-on"
REFUSED_MESSAGE = "The email address or password is not right."
# The longest email and name the user_account table holds (db/models/).
EMAIL_MAX = 255
DISPLAY_NAME_MAX = 200

# OWASP's Password Storage Cheat Sheet's first Argon2id configuration: 19 MiB, 2 passes, 1 lane.
# About 30 ms of one core, against about 200-500 ms for argon2-cffi's default (RFC 9106's second
# option: 64 MiB, 3 passes, 4 lanes) on this project's 2-core machines, where a hundred people
# signing in at nine o'clock queued for seconds and each hash held 64 MiB. Hashes made with other
# parameters are re-made with these at their next sign-in (`check_needs_rehash`).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against this when the email is unknown (or the account disabled, or the attempt
# throttled) makes every refusal cost the same as a wrong password, so response times do not
# reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")


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
            check_second_factor(session, user, code, keys, now)
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
        mine, user = session_row(session, token, now)
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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
