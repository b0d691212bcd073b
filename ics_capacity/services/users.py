"""Members of a collaborative: list them, add one, change a role; and the demo's accounts."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ics_capacity.db.models import AuditEvent, Collaborative, Membership, Role, UserAccount
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import ROLE_LABELS, Permission
from ics_capacity.services.auth import (
    AuthError,
    create_user,
    reset_password,
    signed_in_transaction,
)
from ics_capacity.services.scenarios import collaborative_transaction

DEMO_ROLES = ("admin", "manager", "workforce_lead", "executive", "viewer")
DEMO_EMAIL_DOMAIN = "demo.ics-capacity.invalid"


@dataclass(frozen=True)
class MemberRow:
    """A member of a collaborative as the users page lists them."""

    email: str
    display_name: str
    role: str
    role_label: str
    locked: bool


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
            MemberRow(u.email, u.display_name, role, ROLE_LABELS[role], u.locked_until is not None)
            for u, role in rows
        ]


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
        session.add(
            AuditEvent(
                user_email=principal.email,
                collaborative_id=collaborative_id,
                action="user.role",
                entity="user",
                entity_id=str(membership.user_id),
                field="role",
                old_value=old,
                new_value=role,
                summary=f"{email}: {ROLE_LABELS[old]} → {ROLE_LABELS[role]}",
            )
        )


def admin_reset_password(token: str, *, email: str, new_password: str) -> None:
    """An administrator sets a new password for one of their members."""
    with signed_in_transaction(token) as (session, principal):
        reset_password(session, principal, email=email, new_password=new_password)


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
    """The server operator sets an account's password and unlocks it; no role check."""
    from ics_capacity.services.auth import _hasher, check_password_policy

    check_password_policy(password)
    with unit_of_work() as session:
        user = session.exec(select(UserAccount).where(UserAccount.email == email.lower())).first()
        if user is None:
            raise AuthError(f"There is no account for {email}.")
        user.password_hash = _hasher.hash(password)
        user.failed_sign_ins, user.locked_until, user.updated_by = 0, None, "cli"
        session.add(user)
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
