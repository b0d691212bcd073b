"""The structured security log: one JSON line per security event, on `ics_capacity.security`.

Recorded: sign-ins (`sign_in`: success, failure, throttled), sign-outs, refusals (`refused`, as
the pages show them), downloads (`download`) and job cancels (`job_cancel`), each with the time
(UTC), the user, the client address, the action, the outcome and a few details. Never a password
or a session token.

The services call `security_event`; the user is passed where the service knows it, and the client
address comes from the request being handled: the UI's middleware binds it for each event
(`request_context`), taking X-Forwarded-For into account only through the configured number of
trusted proxies (`ICS_TRUSTED_PROXY_HOPS`, see `client_address`). Outside a request (the command
line, tests) the client address is empty.

Where the lines go is the deployment's choice through standard logging; `configure_security_log`
(called by the app at start-up) writes them, message only, to `ICS_SECURITY_LOG` (a file) or to
standard error, once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ics_capacity.settings import trusted_proxy_hops

logger = logging.getLogger("ics_capacity.security")


@dataclass(frozen=True)
class RequestContext:
    """Who is asking and from where, for the event being handled."""

    user: str = ""
    client: str = ""


_NOBODY = RequestContext()
_request: ContextVar[RequestContext] = ContextVar("ics_security_request", default=_NOBODY)


@contextmanager
def request_context(*, user: str = "", client: str = "") -> Iterator[None]:
    """Binds the user and client address to the security events logged inside the block."""
    token = _request.set(RequestContext(user=user, client=client))
    try:
        yield
    finally:
        _request.reset(token)


def bind_request(*, user: str = "", client: str = "") -> None:
    """Binds the user and client address for the rest of the current task (the UI middleware)."""
    _request.set(RequestContext(user=user, client=client))


def client_address(peer: str, forwarded_for: str = "", hops: int | None = None) -> str:
    """The client's address: the connection's peer, or the one the outermost trusted proxy saw.

    Behind `hops` trusted reverse proxies it is X-Forwarded-For's `hops`-th entry from the right
    (each proxy appends the address it received the request from). With no trusted proxy the
    header is ignored: any client can send one.
    """
    hops = trusted_proxy_hops() if hops is None else hops
    if hops <= 0:
        return peer
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    # Fewer entries than trusted proxies: the request did not come through them all.
    return chain[-hops] if len(chain) >= hops else peer


def security_event(action: str, outcome: str, *, user: str | None = None, **detail: object) -> None:
    """Logs one security event as a JSON line (WARNING for refusals and failures, else INFO)."""
    bound = _request.get()
    record = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "event": "security",
        "action": action,
        "outcome": outcome,
        "user": (user if user is not None else bound.user) or "",
        "client": bound.client,
        **{key: value for key, value in detail.items() if value is not None},
    }
    level = logging.INFO if outcome in ("success", "ok") else logging.WARNING
    logger.log(level, json.dumps(record, ensure_ascii=False, default=str))


def configure_security_log() -> None:
    """Sends the security log's lines, message only, to `ICS_SECURITY_LOG` or standard error."""
    if logger.handlers:
        return
    path = os.environ.get("ICS_SECURITY_LOG", "").strip()
    handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
