"""Two-step verification: the authenticator app's codes (TOTP, RFC 6238), set up and reset.

A code is accepted once, for the current 30-second step or either neighbour; wrong codes are
throttled like wrong passwords (`auth_throttle`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

import pyotp
from sqlmodel import Session

from ics_capacity.db.models import UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.roles import Permission
from ics_capacity.services.auth_principal import (
    AuthError,
    PermissionDeniedError,
    Principal,
    SecondFactorNeededError,
    SignInError,
    audit_user,
    user_collaborative_ids,
)
from ics_capacity.services.auth_sessions import end_sessions_of, session_row
from ics_capacity.services.auth_throttle import (
    record_failure,
    throttle_keys,
    throttle_wait,
    throttled_message,
)
from ics_capacity.services.security_log import security_event

CODE_REFUSED = "That code is not right. Enter the code your authenticator app shows now."
TOTP_ISSUER = "ICS Capacity Planner"


def check_second_factor(
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


def my_totp_enabled(token: str | None) -> bool:
    """Whether the signed-in user has two-step verification on."""
    with unit_of_work() as session:
        _, user = session_row(session, token, utc_now())
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
        _, user = session_row(session, token, utc_now())
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
        _, user = session_row(session, token, now)
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
