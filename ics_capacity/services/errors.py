"""The refusals every use case raises, re-exported for the pages and the command line.

Pages catch `ServiceError` and show its message the same way (`ui/state/session.refusal`); the
subclasses say why: not signed in, not allowed, not found, a conflict, or bad input.
"""

from ics_capacity.domain.errors import SERVICE_ERRORS, InvalidInputError, ServiceError
from ics_capacity.importers.problems import ImportValidationError
from ics_capacity.services.auth import (
    AuthError,
    NotSignedInError,
    PasswordPolicyError,
    PermissionDeniedError,
    SignInError,
)
from ics_capacity.services.scenarios import ConflictError, NotFoundError, ScenarioError

__all__ = [
    "SERVICE_ERRORS",
    "AuthError",
    "ConflictError",
    "ImportValidationError",
    "InvalidInputError",
    "NotFoundError",
    "NotSignedInError",
    "PasswordPolicyError",
    "PermissionDeniedError",
    "ScenarioError",
    "ServiceError",
    "SignInError",
]
