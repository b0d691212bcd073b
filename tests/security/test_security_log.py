"""The security log: one JSON line per sign-in, failure, refusal, download and cancel."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from ics_capacity.services import auth
from ics_capacity.services.auth import AuthError, PermissionDeniedError
from ics_capacity.services.security_log import client_address, request_context
from ics_capacity.ui.security_context import SecurityContextMiddleware
from ics_capacity.ui.state.session import refusal

pytestmark = pytest.mark.security


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]  # each line is one JSON document


@pytest.fixture
def security_lines() -> Iterator[_Lines]:
    logger = logging.getLogger("ics_capacity.security")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_refusal_is_a_json_line_with_user_and_client(security_lines: _Lines) -> None:
    with request_context(user="viewer@bcpc.test", client="203.0.113.7"):
        refusal(PermissionDeniedError("You do not have permission to edit capacity."))
    (event,) = security_lines.events()
    assert event["action"] == "refused"
    assert event["user"] == "viewer@bcpc.test"
    assert event["client"] == "203.0.113.7"
    assert event["error"] == "PermissionDeniedError"
    assert "edit capacity" in event["reason"]


def test_sign_in_failure_and_success_are_logged_without_the_password(
    db_url: str, security_lines: _Lines
) -> None:
    from ics_capacity.db.session import unit_of_work

    with unit_of_work(db_url) as session:
        auth.create_user(
            session, email="ana@x.test", password="a long enough password", display_name="Ana"
        )
        session.commit()
    with request_context(client="198.51.100.9"), pytest.raises(AuthError):
        auth.sign_in("ana@x.test", "not her password at all")
    with pytest.raises(AuthError):
        auth.sign_in("nobody@x.test", "whatever whatever")
    token = auth.sign_in("ana@x.test", "a long enough password")
    auth.sign_out(token)
    events = security_lines.events()
    assert [(e["action"], e["outcome"], e["user"]) for e in events] == [
        ("sign_in", "failure", "ana@x.test"),
        ("sign_in", "failure", "nobody@x.test"),
        ("sign_in", "success", "ana@x.test"),
        ("sign_out", "success", "ana@x.test"),
    ]
    assert events[0]["client"] == "198.51.100.9"
    assert (events[0]["reason"], events[1]["reason"]) == ("wrong password", "unknown account")
    assert not any("password at all" in line or token in line for line in security_lines.lines)


def test_a_throttled_account_is_logged_as_throttled(db_url: str, security_lines: _Lines) -> None:
    from ics_capacity.db.session import unit_of_work

    with unit_of_work(db_url) as session:
        auth.create_user(
            session, email="bo@x.test", password="a long enough password", display_name="Bo"
        )
        session.commit()
    for _ in range(auth.THROTTLE_FREE_FAILURES + 2):
        with pytest.raises(AuthError):
            auth.sign_in("bo@x.test", "wrong wrong wrong")
    outcomes = [e["outcome"] for e in security_lines.events()]
    assert outcomes[: auth.THROTTLE_FREE_FAILURES] == ["failure"] * auth.THROTTLE_FREE_FAILURES
    assert outcomes[-1] == "throttled"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),  # no trusted proxy: the header is the client's own claim
        (1, "1.1.1.1, 198.51.100.4", "198.51.100.4"),  # the proxy's entry, not the spoofed one
        (2, "198.51.100.4, 192.0.2.10", "198.51.100.4"),
        (2, "192.0.2.10", "10.0.0.2"),  # fewer entries than proxies: not through them all
    ],
)
def test_client_address_honours_only_trusted_proxy_hops(
    hops: int, forwarded: str, expected: str
) -> None:
    assert client_address("10.0.0.2", forwarded, hops) == expected


def test_the_middleware_binds_the_client_address_for_the_event(
    monkeypatch: pytest.MonkeyPatch, security_lines: _Lines
) -> None:
    from ics_capacity.services.security_log import security_event

    monkeypatch.setenv("ICS_TRUSTED_PROXY_HOPS", "1")
    state = SimpleNamespace(
        substates={},
        router_data={
            "ip": "10.0.0.2",
            "headers": {"asgi-scope-client": "10.0.0.2", "x-forwarded-for": "198.51.100.4"},
        },
    )

    async def one_event() -> None:
        assert await SecurityContextMiddleware().preprocess(None, state, None) is None
        security_event("download", "success", user="m@x.test")

    asyncio.run(one_event())
    (event,) = security_lines.events()
    assert (event["client"], event["user"]) == ("198.51.100.4", "m@x.test")
