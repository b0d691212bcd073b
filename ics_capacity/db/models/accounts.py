"""Accounts, roles and sign-in.

Users, single sign-on domain rules, memberships, sessions and the sign-in throttle.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ics_capacity.db.models.base import (
    Audited,
    _non_negative,
    _timestamp,
)
from ics_capacity.db.utc import UTCDateTime

# --- Accounts, roles, collaboration ----------------------------------------------------------


class Role(StrEnum):
    """What a user may do in one collaborative."""

    ADMIN = "admin"
    MANAGER = "manager"
    WORKFORCE_LEAD = "workforce_lead"
    EXECUTIVE = "executive"
    VIEWER = "viewer"


class UserAccount(Audited, table=True):
    """A person who signs in with an email address and a password (argon2id hash)."""

    __tablename__ = "user_account"
    __table_args__ = (sa.UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    display_name: str = Field(max_length=200)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", ondelete="SET NULL"
    )
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Set by an administrator's or the operator's reset: the next sign-in leads to a change of
    # password before anything else.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    password_changed_at: dt.datetime = _timestamp()
    # Two-step verification (TOTP, RFC 6238): the base32 secret once the user starts setting it
    # up, `totp_enabled` once they have proved their app shows the right codes, and the last
    # 30-second step whose code was accepted (a code works once).
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    totp_last_step: int | None = Field(default=None)
    # Single sign-on: the OpenID provider and its subject (`sub`) this account is bound to at its
    # first sign-in there. Later sign-ins must present the same subject, so an email address that
    # the provider reassigns to someone else does not open this account.
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255)


class SsoDomainRule(Audited, table=True):
    """An administrator's rule: people of this email domain join the collaborative with this role.

    Applied at a person's first single sign-on, when no account has their email yet; an account
    an administrator added by email is used as it is.
    """

    __tablename__ = "sso_domain_rule"
    __table_args__ = (
        sa.UniqueConstraint("collaborative_id", "domain"),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'workforce_lead', 'executive', 'viewer')",
            name="role_is_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    collaborative_id: int = Field(foreign_key="collaborative.id", index=True, ondelete="CASCADE")
    domain: str = Field(max_length=253)
    role: str = Field(max_length=20)


class Membership(SQLModel, table=True):
    """A user's role in a collaborative; users see only the collaboratives they belong to."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'workforce_lead', 'executive', 'viewer')",
            name="role_is_known",
        ),
    )

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    collaborative_id: int = Field(
        foreign_key="collaborative.id", primary_key=True, ondelete="CASCADE"
    )
    role: str = Field(max_length=20)


class AuthSession(SQLModel, table=True):
    """A signed-in browser: only the SHA-256 of its random token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = _timestamp()
    last_seen_at: dt.datetime = _timestamp()
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Shown to the user in "Your sessions", so they can tell their browsers apart.
    client_address: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    user_agent: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    # The SHA-256 of the one-time code with which the browser collects its HttpOnly cookie
    # (`auth.hand_off`), and when that code stops working.
    handoff_sha256: str | None = Field(default=None, max_length=64, unique=True)
    handoff_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account and per client address, shared by every worker.

    `key` is `account:<SHA-256 of the email>` (whether or not the account exists, so throttling
    reveals nothing) or `address:<client address>`. After `auth.THROTTLE_FREE_FAILURES` failures
    each further attempt must wait until `blocked_until`, doubling up to `auth.THROTTLE_MAX_WAIT`.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (*_non_negative("failures"),)

    key: str = Field(primary_key=True, max_length=100)
    failures: int = Field(default=0)
    last_failure_at: dt.datetime = _timestamp(index=True)
    blocked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
