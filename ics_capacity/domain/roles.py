"""Who may do what in a collaborative: the role matrix, as data.

Roles are per collaborative (a trust's workforce lead may be a viewer in another system). The
services check these permissions on the server for every state-changing use case; the UI only uses
them to decide which buttons to show.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """A thing a user may be allowed to do in a collaborative."""

    VIEW = "view"
    EDIT_CAPACITY = "edit_capacity"
    EDIT_WORKFORCE = "edit_workforce"
    RUN_REBALANCE = "run_rebalance"
    RUN_ROTA = "run_rota"
    MANAGE_SCENARIOS = "manage_scenarios"
    COMMENT = "comment"
    SUBMIT_SCENARIO = "submit_scenario"
    APPROVE_SCENARIO = "approve_scenario"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"


ROLE_LABELS: dict[str, str] = {
    "admin": "Administrator",
    "manager": "Collaborative manager",
    "workforce_lead": "Workforce lead",
    "executive": "Executive",
    "viewer": "Viewer",
}

_EVERYONE = {Permission.VIEW, Permission.COMMENT}
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "manager": frozenset(
        _EVERYONE
        | {
            Permission.EDIT_CAPACITY,
            Permission.RUN_REBALANCE,
            Permission.MANAGE_SCENARIOS,
            Permission.SUBMIT_SCENARIO,
            Permission.VIEW_AUDIT,
        }
    ),
    "workforce_lead": frozenset(
        _EVERYONE
        | {
            Permission.EDIT_WORKFORCE,
            Permission.RUN_ROTA,
            Permission.MANAGE_SCENARIOS,
            Permission.SUBMIT_SCENARIO,
        }
    ),
    "executive": frozenset(_EVERYONE | {Permission.APPROVE_SCENARIO, Permission.VIEW_AUDIT}),
    "viewer": frozenset({Permission.VIEW}),
}


def role_allows(role: str | None, permission: Permission) -> bool:
    """Whether the role grants the permission (no role grants nothing)."""
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())
