"""Single sign-on: who a person the organisation's identity provider vouched for is here.

The OpenID Connect exchange itself is in `services/oidc.py`; this module takes its verified claims
and decides, as the administrators set it up:

- an account bound to the provider's subject (`sub`) signs in as itself;
- otherwise an account with the verified email (one an administrator added) is bound to the
  subject at this first sign-in, and signs in;
- otherwise, if an administrator of a collaborative has a **domain rule** for the email's domain,
  a new account is made with that rule's role in each such collaborative, audited there;
- otherwise the person is refused, with a message that tells them whom to ask.

Only the domains in `ICS_OIDC_ALLOWED_DOMAINS` may sign in at all, so a tenant that many
organisations share (NHS.net) does not let every account in. Administrators are never made by a
domain rule: they are added by name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ics_capacity.db.models import Membership, Role, SsoDomainRule, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import ROLE_LABELS, Permission
from ics_capacity.services.auth import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    SINGLE_SIGN_ON_ONLY,
    PermissionDeniedError,
    SignInError,
    open_session,
)
from ics_capacity.services.scenarios import audit_collaborative, collaborative_transaction
from ics_capacity.services.security_log import security_event
from ics_capacity.settings import oidc_allowed_domains, oidc_configured

NOT_SET_UP = (
    "Your organisation's account is not set up for ICS Capacity Planner. Ask an administrator of "
    "your collaborative to add you."
)
NO_VERIFIED_EMAIL = (
    "Your organisation's sign-in did not give a verified email address, so it cannot be matched "
    "to a member. Ask your IT service desk."
)
SUBJECT_CHANGED = (
    "This email address is already linked to a different account at your organisation. Ask an "
    "administrator of your collaborative to reset the account."
)
# What the sign-in page says after a single sign-on that did not open a session, by the short
# code the callback puts in its address (`/login?sso=CODE`): never the provider's own words.
MESSAGES = {
    "not-set-up": NOT_SET_UP,
    "no-email": NO_VERIFIED_EMAIL,
    "subject": SUBJECT_CHANGED,
    "expired": "That sign-in took too long or was started in another window. Please try again.",
    "cancelled": "Sign-in at your organisation was cancelled. Please try again.",
    "failed": (
        "Your organisation's sign-in service could not be reached or gave an answer that could "
        "not be checked. Please try again; if it keeps happening, tell your administrator."
    ),
    "off": "Single sign-on is not set up on this server. Sign in with your email and password.",
}
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
RULE_ROLES = tuple(r.value for r in Role if r.value != "admin")


class SingleSignOnRefusedError(SignInError):
    """The provider vouched for the person, but they may not sign in here."""

    @property
    def code(self) -> str:
        """The short code of `MESSAGES` that says why."""
        return next((c for c, m in MESSAGES.items() if m == str(self)), "not-set-up")


def email_domain(email: str) -> str:
    """The part after the @, in lower case."""
    return email.rpartition("@")[2].strip().lower()


def domain_allowed(domain: str, allowed: list[str] | None = None) -> bool:
    """Whether the server lets people of this domain (or a sub-domain of an allowed one) in."""
    allowed = oidc_allowed_domains() if allowed is None else allowed
    return any(domain == a or domain.endswith("." + a) for a in allowed)


def sign_in_with_provider(
    claims: Mapping[str, object],
    *,
    issuer: str,
    address: str = "",
    user_agent: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Opens a session for the person in a verified ID token's claims; returns its token.

    Args:
        claims: The ID token's claims, already verified (signature, issuer, audience, expiry,
            nonce) by `services.oidc`.
        issuer: The provider's issuer, which with `sub` names the person for good.
        address: The client's address, for "Your sessions" and the security log.
        user_agent: The browser's User-Agent.
        now: The current time (tests).

    Raises:
        SingleSignOnRefusedError: no verified email, a domain the server does not allow, a
            disabled account, an email bound to another subject, or no account and no rule.
    """
    now = now or utc_now()
    subject = str(claims.get("sub") or "")
    email = str(claims.get("email") or claims.get("preferred_username") or "").strip().lower()
    # Entra ID gives no `email_verified`; its `email` is the tenant's own. Where a provider says
    # the address is unverified, it is not used to match anyone.
    if not subject or "@" not in email or claims.get("email_verified") is False:
        security_event("sign_in", "failure", user=email, reason="sso: no verified email")
        raise SingleSignOnRefusedError(NO_VERIFIED_EMAIL)
    if len(email) > EMAIL_MAX or not domain_allowed(email_domain(email)):
        security_event("sign_in", "failure", user=email, reason="sso: domain not allowed")
        raise SingleSignOnRefusedError(NOT_SET_UP)
    with unit_of_work() as session:
        user = _bound_user(session, issuer, subject) or _user_by_email(session, email)
        if user is not None and user.oidc_subject not in (None, subject):
            security_event("sign_in", "failure", user=email, reason="sso: subject changed")
            raise SingleSignOnRefusedError(SUBJECT_CHANGED)
        if user is None:
            user = _join_by_domain_rules(session, claims, email, issuer, subject)
        if user is None or not user.is_active:
            reason = "sso: no account or rule" if user is None else "sso: disabled account"
            security_event("sign_in", "failure", user=email, reason=reason)
            raise SingleSignOnRefusedError(NOT_SET_UP)
        if user.oidc_subject is None:
            _bind(session, user, issuer, subject)
        token = open_session(session, user, now=now, address=address, user_agent=user_agent)
        session.commit()
    security_event("sign_in", "success", user=email, reason="sso")
    return token


def _bound_user(session: Session, issuer: str, subject: str) -> UserAccount | None:
    return session.exec(
        select(UserAccount).where(
            UserAccount.oidc_issuer == issuer, UserAccount.oidc_subject == subject
        )
    ).first()


def _user_by_email(session: Session, email: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.email == email)).first()


def _bind(session: Session, user: UserAccount, issuer: str, subject: str) -> None:
    """Binds an account an administrator added by email to the provider's subject, for good.

    From now on it signs in only through the provider (no password matches), until an
    administrator resets its password.
    """
    user.oidc_issuer = issuer
    user.oidc_subject = subject
    user.password_hash = SINGLE_SIGN_ON_ONLY
    user.must_change_password = False
    user.updated_by = "single sign-on"
    session.add(user)
    for collaborative_id in session.exec(
        select(Membership.collaborative_id).where(Membership.user_id == user.id)
    ):
        audit_collaborative(
            session,
            user.email,
            collaborative_id,
            "user.sso_bind",
            f"{user.email} now signs in through the organisation's single sign-on",
            entity="user",
            entity_id=user.id,
        )


def _join_by_domain_rules(
    session: Session, claims: Mapping[str, object], email: str, issuer: str, subject: str
) -> UserAccount | None:
    """A new account with the roles that administrators' rules give the email's domain."""
    rules = session.exec(
        select(SsoDomainRule).where(SsoDomainRule.domain == email_domain(email))
    ).all()
    if not rules:
        return None
    name = str(claims.get("name") or "").strip()[:DISPLAY_NAME_MAX] or email
    user = UserAccount(
        email=email,
        display_name=name,
        password_hash=SINGLE_SIGN_ON_ONLY,
        oidc_issuer=issuer,
        oidc_subject=subject,
        updated_by="single sign-on",
    )
    session.add(user)
    session.flush()
    user_id = user.id
    assert user_id is not None  # flushed
    for rule in rules:
        session.add(
            Membership(user_id=user_id, collaborative_id=rule.collaborative_id, role=rule.role)
        )
        audit_collaborative(
            session,
            email,
            rule.collaborative_id,
            "user.add",
            f"{email} joined as {ROLE_LABELS[rule.role]} at first single sign-on "
            f"(rule for @{rule.domain})",
            entity="user",
            entity_id=user.id,
            field="role",
            new=rule.role,
        )
    session.flush()
    return user


# --- Administrators' domain rules ----------------------------------------------------------------


@dataclass(frozen=True)
class DomainRuleRow:
    """A domain rule as the users page lists it."""

    id: int
    domain: str
    role: str
    role_label: str


def list_domain_rules(token: str | None, collaborative_id: int) -> list[DomainRuleRow]:
    """The collaborative's domain rules, for an administrator."""
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        _,
    ):
        rules = session.exec(
            select(SsoDomainRule)
            .where(SsoDomainRule.collaborative_id == collaborative_id)
            .order_by(col(SsoDomainRule.domain))
        ).all()
        return [DomainRuleRow(r.id or 0, r.domain, r.role, ROLE_LABELS[r.role]) for r in rules]


def add_domain_rule(token: str | None, collaborative_id: int, *, domain: str, role: str) -> None:
    """An administrator lets people of an email domain join at first single sign-on, with a role.

    Raises:
        InvalidInputError: single sign-on is not set up, the domain is malformed or not one the
            server allows, the role is unknown or is administrator, or the rule exists.
    """
    domain = domain.strip().lower().lstrip("@")
    if not oidc_configured():
        raise InvalidInputError(
            "Single sign-on is not set up on this server (ICS_OIDC_ISSUER, ICS_OIDC_CLIENT_ID and "
            "ICS_OIDC_ALLOWED_DOMAINS; docs/operations.md)."
        )
    if not _DOMAIN.match(domain):
        raise InvalidInputError(f"'{domain[:80]}' is not an email domain, such as nhs.net.")
    if not domain_allowed(domain):
        allowed = ", ".join(oidc_allowed_domains())
        raise InvalidInputError(
            f"This server lets only these domains sign in: {allowed}. Ask its operator to add "
            f"{domain}."
        )
    if role not in RULE_ROLES:
        raise InvalidInputError(
            "A domain rule gives one of these roles: "
            + ", ".join(ROLE_LABELS[r] for r in RULE_ROLES)
            + ". Administrators are added by name."
        )
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        exists = session.exec(
            select(SsoDomainRule.id).where(
                SsoDomainRule.collaborative_id == collaborative_id, SsoDomainRule.domain == domain
            )
        ).first()
        if exists:
            raise InvalidInputError(f"There is already a rule for @{domain}; remove it first.")
        rule = SsoDomainRule(
            collaborative_id=collaborative_id, domain=domain, role=role, updated_by=principal.email
        )
        session.add(rule)
        session.flush()
        audit_collaborative(
            session,
            principal.email,
            collaborative_id,
            "sso.rule_add",
            f"People of @{domain} join as {ROLE_LABELS[role]} at first single sign-on",
            entity="sso_domain_rule",
            entity_id=rule.id,
            field="role",
            new=role,
        )


def remove_domain_rule(token: str | None, collaborative_id: int, *, rule_id: int) -> None:
    """An administrator removes a domain rule; accounts it made keep their membership."""
    with collaborative_transaction(token, collaborative_id, Permission.MANAGE_USERS) as (
        session,
        principal,
    ):
        rule = session.get(SsoDomainRule, rule_id)
        if rule is None or rule.collaborative_id != collaborative_id:
            raise PermissionDeniedError("That rule is not one of this collaborative's.")
        session.delete(rule)
        audit_collaborative(
            session,
            principal.email,
            collaborative_id,
            "sso.rule_remove",
            f"People of @{rule.domain} no longer join at first single sign-on",
            entity="sso_domain_rule",
            entity_id=rule_id,
        )
