"""The command line acting as a named account, so it meets the same rules as that person's pages.

Commands that start, read or cancel solver jobs (`ics-capacity jobs ...`, `rebalance --enqueue`,
`rota --enqueue`) do not bypass the role checks as the data commands' server operator does:
they act as the account given with `--as EMAIL`, through the same use cases the pages call, so
a viewer's account cannot cancel a run and every change is audited under that person's name.
The server operator is trusted to name the account (they hold the database); no password is
asked. The session opened for the command is marked as the command line's, is logged in the
security log, and is ended when the command ends.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import select

from ics_capacity.db.models import AuthSession, UserAccount, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.services.auth import sign_out, token_digest
from ics_capacity.services.errors import NotFoundError
from ics_capacity.services.security_log import security_event

CLI_ADDRESS = "command line"
CLI_SESSION_LENGTH = dt.timedelta(minutes=10)
"""A command's session ends with the command, and at the latest after this."""


@contextmanager
def acting_as(email: str) -> Iterator[str]:
    """A session token of the named, active account for the length of one command.

    Raises:
        NotFoundError: no active account has this email.
    """
    email = email.strip().lower()
    now = utc_now()
    token = secrets.token_urlsafe(32)
    with unit_of_work() as session:
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
        if user is None or user.id is None or not user.is_active:
            security_event("cli_act_as", "refused", user=email, reason="no active account")
            raise NotFoundError(f"No active account has the email '{email}'.")
        session.add(
            AuthSession(
                token_sha256=token_digest(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + CLI_SESSION_LENGTH,
                client_address=CLI_ADDRESS,
                user_agent="ics-capacity command line",
            )
        )
        session.commit()
    security_event("cli_act_as", "success", user=email)
    try:
        yield token
    finally:
        sign_out(token)
