"""What a production deployment (`ICS_ENV=production`) must have before it serves anyone."""

from __future__ import annotations

from sqlmodel import select

from ics_capacity.db.models import UserAccount
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import ServiceError
from ics_capacity.services.users import DEMO_EMAIL_DOMAIN
from ics_capacity.settings import allowed_origins


class UnsafeProductionError(ServiceError):
    """The deployment is not safe to serve; the message says what to fix."""


def production_problems() -> list[str]:
    """Everything that makes this deployment unsafe to serve, in words an operator can act on."""
    problems = []
    if not allowed_origins() or "*" in allowed_origins():
        problems.append(
            "set ICS_ALLOWED_ORIGINS to the site's own origin(s), e.g. https://capacity.nhs.example"
        )
    from ics_capacity.services.job_queue import uses_queue

    if not uses_queue():
        problems.append(
            "set ICS_JOB_QUEUE (or REFLEX_REDIS_URL) to a Redis or RabbitMQ URL, or to "
            "'database', and run `ics-capacity worker`: in production no solve runs in a web "
            "process"
        )
    with unit_of_work() as session:
        demo = session.exec(
            select(UserAccount.email).where(UserAccount.email.endswith(f"@{DEMO_EMAIL_DOMAIN}"))
        ).all()
    if demo:
        problems.append(
            f"remove the {len(demo)} demo account(s) (@{DEMO_EMAIL_DOMAIN}); "
            "production databases must hold real accounts only"
        )
    return problems


def refuse_unsafe_production_start() -> None:
    """Raises UnsafeProductionError listing every problem, so the app does not start."""
    problems = production_problems()
    if problems:
        raise UnsafeProductionError(
            "ICS_ENV=production, but the app will not start: " + "; ".join(problems) + "."
        )
