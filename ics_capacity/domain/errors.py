"""The one family of refusals a person may read.

A service refuses a request by raising a `ServiceError` (or a subclass) whose message is written in
planners' words: it names the field, row or rule and never carries a stack trace or a server path.
The base lives in the domain layer so that importers and projections, which sit below the services,
can raise refusals of the same family; pages catch `ServiceError` and show its message the same
way everywhere. Any other exception is a bug, logged with a reference id, never shown as text.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the server refuses, with the reason in words a planner can act on."""


class InvalidInputError(ServiceError, ValueError):
    """A value sent by the user is missing, malformed or out of bounds."""


class DatabaseUnavailableError(ServiceError):
    """The database connection was lost or the database was busy; the work was rolled back."""

    def __init__(self) -> None:
        super().__init__(
            "The database did not answer, so nothing was saved. Please try again in a moment."
        )


# What a page catches from a service call and shows as the service's words: the refusals above, and
# ValueError, which the parsers below the services (importers, typed settings) raise with a message
# written for people. Anything else is a bug, logged with a reference id.
SERVICE_ERRORS: tuple[type[Exception], ...] = (ServiceError, ValueError)
