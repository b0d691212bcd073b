"""Members of a collaborative: list, add, change a role, reset, disable, remove; demo accounts.

An action on a person's account as a whole (a password reset, disabling it) needs an
administrator of every collaborative the person belongs to; an action on their membership of one
collaborative (role, removal) needs an administrator of that one. Disabling, removing and resetting
end the person's sessions at once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    Collaborative,
    Membership,
    Role,
    UserAccount,
    utc_now,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import ROLE_LABELS, Permission
from ics_capacity.services.auth import (
    AuthError,
    PermissionDeniedError,
    account_key,
    audit_user,
    clear_failures,
    create_user,
    end_sessions_of,
    hash_password,
    reset_password,
    reset_totp,
    signed_in_transaction,
    unbind_single_sign_on,
    user_collaborative_ids,
)
from ics_capacity.services.scenarios import audit_collaborative, collaborative_transaction

DEMO_ROLES = ("admin", "manager", "workforce_lead", "executive", "viewer")
DEMO_EMAIL_DOMAIN = "demo.ics-capacity.invalid"


@dataclass(frozen=True)
class MemberRow:
    """A member of a collaborative as the users page lists them."""

    email: str
    display_name: str
    role: str
    role_label: str
    active: bool
    two_step: bool = False


def list_members(token: str, collaborative_id: int) -> list[MemberRow]:
    """The collaborative's members, for an administrator."""
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        _,
    ):
        rows = session.exec(
            select(UserAccount, Membership.role)
            .join(Membership, col(Membership.user_id) == UserAccount.id)
            .where(Membership.collaborative_id == collaborative_id)
            .order_by(UserAccount.email)
        ).all()
        return [
            MemberRow(u.email, u.display_name, role, ROLE_LABELS[role], u.is_active, u.totp_enabled)
            for u, role in rows
        ]


def totp_required(token: str, collaborative_id: int) -> bool:
    """Whether the collaborative requires two-step verification (for its administrators)."""
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        _,
    ):
        collaborative = session.get(Collaborative, collaborative_id)
        return bool(collaborative and collaborative.require_totp)


def add_member(
    token: str, collaborative_id: int, *, email: str, display_name: str, role: str, password: str
) -> None:
    """An administrator adds a new account with a role in their collaborative."""
    _check_role(role)
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        create_user(
            session,
            email=email,
            password=password,
            display_name=display_name,
            memberships={collaborative_id: role},
            created_by=principal.email,
        )


def change_role(token: str, collaborative_id: int, *, email: str, role: str) -> None:
    """An administrator changes a member's role (not their own, so a collaborative keeps one)."""
    _check_role(role)
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        if email.lower() == principal.email:
            raise AuthError("You cannot change your own role; ask another administrator.")
        membership = session.exec(
            select(Membership)
            .join(UserAccount, col(UserAccount.id) == Membership.user_id)
            .where(
                UserAccount.email == email.lower(), Membership.collaborative_id == collaborative_id
            )
        ).first()
        if membership is None:
            raise AuthError(f"{email} is not a member of this collaborative.")
        old, membership.role = membership.role, role
        session.add(membership)
        audit_collaborative(
            session,
            principal.email,
            collaborative_id,
            "user.role",
            f"{email}: {ROLE_LABELS[old]} → {ROLE_LABELS[role]}",
            entity="user",
            entity_id=membership.user_id,
            field="role",
            old=old,
            new=role,
        )


def admin_reset_password(token: str, *, email: str, new_password: str) -> None:
    """An administrator sets a new password for a person, who must change it at next sign-in."""
    with signed_in_transaction(token) as (session, principal):
        reset_password(session, principal, email=email, new_password=new_password)


DISABLE_REFUSED = (
    "An account can be disabled or enabled only by an administrator of every collaborative the "
    "person belongs to."
)


def set_account_active(token: str, collaborative_id: int, *, email: str, active: bool) -> None:
    """An administrator disables (or enables again) a member's account.

    Disabling ends their sessions at once. The account is the person's in every collaborative,
    so the caller must administer all of them.
    """
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        user = _member(session, collaborative_id, email)
        if user.email == principal.email:
            raise AuthError("You cannot disable your own account; ask another administrator.")
        if not all(
            principal.can(Permission.MANAGE_USERS, c)
            for c in user_collaborative_ids(session, user.id)
        ):
            raise PermissionDeniedError(DISABLE_REFUSED)
        if user.is_active == active:
            return
        user.is_active = active
        user.updated_by = principal.email
        session.add(user)
        if not active:
            end_sessions_of(session, user.id)
        audit_user(
            session,
            principal.email,
            user,
            "user.enable" if active else "user.disable",
            f"{user.email} {'enabled' if active else 'disabled'} by an administrator",
        )


def set_totp_required(token: str, collaborative_id: int, *, required: bool) -> None:
    """An administrator requires (or stops requiring) two-step verification of every member.

    Members without it are led to set it up at their next page; the change is audited. The
    administrator must have it on already, so that requiring it does not lock them out.
    """
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        collaborative = session.get(Collaborative, collaborative_id)
        if collaborative is None or collaborative.require_totp == required:
            return
        own = session.get(UserAccount, principal.user_id)
        if required and not (own and own.totp_enabled):
            raise AuthError(
                "Turn on two-step verification for your own account first (Your account page), "
                "so that requiring it does not lock you out."
            )
        collaborative.require_totp = required
        collaborative.updated_by = principal.email
        session.add(collaborative)
        audit_collaborative(
            session,
            principal.email,
            collaborative_id,
            "collaborative.require_totp",
            "Two-step verification "
            + ("required of every member" if required else "no longer required"),
            entity="collaborative",
            entity_id=collaborative_id,
            field="require_totp",
            new=str(required).lower(),
        )


def admin_reset_totp(token: str, collaborative_id: int, *, email: str) -> None:
    """An administrator turns a member's two-step verification off (a lost phone)."""
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        reset_totp(session, principal, _member(session, collaborative_id, email))


def remove_member(token: str, collaborative_id: int, *, email: str) -> None:
    """An administrator removes a member from their collaborative.

    The person's sessions end at once: a page open elsewhere must sign in again, and then sees
    only what is left to it.
    """
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        user = _member(session, collaborative_id, email)
        if user.email == principal.email:
            raise AuthError("You cannot remove yourself; ask another administrator.")
        membership = session.get(Membership, (user.id, collaborative_id))
        assert membership is not None  # _member found it
        role = membership.role
        session.delete(membership)
        end_sessions_of(session, user.id)
        audit_collaborative(
            session,
            principal.email,
            collaborative_id,
            "user.remove",
            f"{user.email} removed ({ROLE_LABELS[role]})",
            entity="user",
            entity_id=user.id,
            field="role",
            old=role,
        )


def _member(session: Session, collaborative_id: int, email: str) -> UserAccount:
    user = session.exec(
        select(UserAccount)
        .join(Membership, col(Membership.user_id) == UserAccount.id)
        .where(
            UserAccount.email == email.strip().lower(),
            Membership.collaborative_id == collaborative_id,
        )
    ).first()
    if user is None:
        raise AuthError(f"{email} is not a member of this collaborative.")
    return user


def add_user_as_operator(
    email: str, password: str, display_name: str, collaborative_code: str, role: str
) -> None:
    """The server operator adds an account (e.g. the first administrator); no role check."""
    _check_role(role)
    with unit_of_work() as session:
        collaborative = _collaborative(session, collaborative_code)
        assert collaborative.id is not None  # a stored row
        create_user(
            session,
            email=email,
            password=password,
            display_name=display_name,
            memberships={collaborative.id: role},
            created_by="cli",
        )
        session.commit()


def set_password_as_operator(email: str, password: str) -> None:
    """The server operator sets an account's password (`user set-password`); no role check.

    As after an administrator's reset, the person must change it at next sign-in; their sessions
    end, their sign-in throttle is lifted, and the reset is audited in each of their
    collaboratives (by "cli").
    """
    password_hash = hash_password(password)
    with unit_of_work() as session:
        user = session.exec(
            select(UserAccount).where(UserAccount.email == email.strip().lower())
        ).first()
        if user is None:
            raise AuthError(f"There is no account for {email}.")
        user.password_hash = password_hash
        user.password_changed_at = utc_now()
        user.must_change_password = True
        unbind_single_sign_on(user)
        user.updated_by = "cli"
        session.add(user)
        clear_failures(session, account_key(user.email))
        end_sessions_of(session, user.id)
        audit_user(
            session, "cli", user, "user.password_reset", f"Password of {user.email} reset (CLI)"
        )
        session.commit()


def _check_role(role: str) -> None:
    """Refuses a role that is not one of the app's, in words (not Role's ValueError)."""
    if role not in {r.value for r in Role}:
        known = ", ".join(f"{r.value} ({ROLE_LABELS[r.value]})" for r in Role)
        raise InvalidInputError(f"'{role}' is not a role; use one of {known}.")


def _collaborative(session: Session, code: str) -> Collaborative:
    collaborative = session.exec(select(Collaborative).where(Collaborative.code == code)).first()
    if collaborative is None:
        codes = ", ".join(session.exec(select(Collaborative.code)).all()) or "none yet"
        raise AuthError(f"There is no collaborative {code}; the database has: {codes}.")
    return collaborative


def demo_users_allowed() -> bool:
    """Demo accounts exist only outside production (`ICS_ENV=production` forbids them)."""
    return os.environ.get("ICS_ENV", "development").lower() != "production"


def create_demo_users_as_operator(collaborative_id: int) -> dict[str, tuple[str, str]]:
    """One account per role with a random password, for trying the embedded demo (`seed-demo`).

    Returns:
        Role -> (email, password); the passwords are shown once and stored only as hashes.
    """
    if not demo_users_allowed():
        raise AuthError("Demo accounts are never created when ICS_ENV=production.")
    created = {}
    with unit_of_work() as session:
        for role in DEMO_ROLES:
            email = f"{role.replace('_', '-')}@{DEMO_EMAIL_DOMAIN}"
            password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
            create_user(
                session,
                email=email,
                password=password,
                display_name=f"Demo {ROLE_LABELS[role].lower()}",
                memberships={collaborative_id: role},
                created_by="demo-seed",
            )
            created[role] = (email, password)
        session.commit()
    return created
