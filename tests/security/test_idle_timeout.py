"""The idle timeout and its warning (issue 14, "Timeouts: 30 minutes idle with a warning before";
ASVS V3.3.2).

Each test failed on the code before it: a session left alone simply ended, with no warning on the
page and no way to keep it open, and the timeout could not be configured.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ics_capacity.db import models
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security


def _last_used(minutes_ago: float) -> None:
    with unit_of_work() as session:
        session.execute(
            sa.update(models.AuthSession).values(
                last_seen_at=auth.utc_now() - dt.timedelta(minutes=minutes_ago)
            )
        )
        session.commit()


def _last_seen() -> list[dt.datetime]:
    with unit_of_work() as session:
        return list(session.execute(sa.select(models.AuthSession.last_seen_at)).scalars())


def test_asking_how_long_is_left_is_not_use(app_db) -> None:
    _, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    _last_used(25)
    before = _last_seen()
    left = auth.idle_seconds_left(token)
    assert 4 * 60 < left <= 5 * 60
    assert _last_seen() == before, "the page's check kept the session open"
    later = auth.utc_now() + dt.timedelta(minutes=6)
    assert auth.idle_seconds_left(token, now=later) == 0
    assert 29 * 60 < auth.keep_session_alive(token) <= 30 * 60
    assert auth.idle_seconds_left("not a token") == 0


def test_the_idle_timeout_is_configurable(app_db, monkeypatch: pytest.MonkeyPatch) -> None:
    _, emails = app_db
    monkeypatch.setenv("ICS_IDLE_TIMEOUT_MINUTES", "2")
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert 60 < auth.idle_seconds_left(token) <= 120
    _last_used(2.1)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(token)


def test_the_page_warns_before_the_timeout_and_stay_signed_in_keeps_the_session(app_db) -> None:
    from reflex.istate.manager.memory import StateManagerMemory

    from ics_capacity.ui.state.session import SessionState
    from tests.security.test_every_event import Browser, run_async

    _, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)

    async def read(tab: Browser) -> tuple[bool, int]:
        async with tab._locked(SessionState) as root:
            session = await root.get_state(SessionState)
            return session.idle_warning, session.idle_minutes_left

    async def run() -> list[tuple[bool, int]]:
        tab = Browser(StateManagerMemory(), token)
        await tab.start()
        await tab.send(SessionState, "require_sign_in")
        seen = [await read(tab)]
        _last_used(28.5)
        await tab.send(SessionState, "check_idle")
        seen.append(await read(tab))
        assert "icsIdleTimer" in tab.seen_text(), "the next check is timed on the page"
        await tab.send(SessionState, "stay_signed_in")
        seen.append(await read(tab))
        _last_used(31)
        await tab.send(SessionState, "check_idle")
        seen.append(await read(tab))
        assert "/login?next=" in tab.seen_text()
        return seen

    loaded, warned, kept, ended = run_async(run())
    assert loaded == (False, 30)
    assert warned == (True, 2)
    assert kept == (False, 30)
    assert ended == (False, 0), "the ended session's tab was emptied"
