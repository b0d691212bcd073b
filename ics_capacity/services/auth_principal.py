"""What every part of sign-in shares: the principal, the errors, the session token's digest.

`Principal` is the signed-in user as the use cases see them (`require` is the permission check
every use case calls first). Also the account helpers the other auth modules use: the
collaboratives a user belongs to, and the audit rows of a change to an account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ics_capacity.db.models import AuditEvent, Membership, UserAccount
from ics_capacity.domain.errors import ServiceError
from ics_capacity.domain.roles import Permission, role_allows
from ics_capacity.settings import idle_timeout_minutes

IDLE_TIMEOUT = dt.timedelta(minutes=30)  # the default of `ICS_IDLE_TIMEOUT_MINUTES`


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
