"""Sign-in, sessions, throttling and password resets, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import AuditEvent, AuthSession, UserAccount
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services.users import admin_reset_password
from tests.conftest import TEST_PASSWORD


def test_sign_in_gives_a_session_with_the_users_roles(app_db) -> None:
    """A right password opens a session whose principal carries the role per collaborative."""
    url, emails = app_db
    token = auth.sign_in(emails["manager"].upper(), TEST_PASSWORD)
    principal = auth.current_principal(token)
    assert principal.email == emails["manager"]
    assert list(principal.roles.values()) == ["manager"]
    with unit_of_work(url) as session:
        stored = session.execute(sa.select(AuthSession.token_sha256)).scalars().all()
    assert token not in stored and auth.token_digest(token) in stored


def test_wrong_password_and_unknown_email_get_the_same_answer(app_db) -> None:
    """The message does not reveal whether an account exists."""
    _, emails = app_db
    with pytest.raises(auth.SignInError) as wrong:
        auth.sign_in(emails["viewer"], "not the password")
    with pytest.raises(auth.SignInError) as unknown:
        auth.sign_in("nobody@nowhere.test", "not the password")
    assert str(wrong.value) == str(unknown.value)


def test_wrong_passwords_throttle_with_back_off(app_db) -> None:
    """After five failures each attempt waits, twice as long each time; then the right password
    works again (nothing locks the account for good)."""
    _, emails = app_db
    start = dt.datetime.now(dt.UTC)
    for i in range(auth.THROTTLE_FREE_FAILURES):
        with pytest.raises(auth.SignInError, match="not right"):
            auth.sign_in(emails["viewer"], "wrong password!", now=start + dt.timedelta(seconds=i))
    last = start + dt.timedelta(seconds=auth.THROTTLE_FREE_FAILURES - 1)
    with pytest.raises(auth.SignInError, match="Too many attempts"):
        auth.sign_in(emails["viewer"], TEST_PASSWORD, now=last)
    assert auth.sign_in(emails["viewer"], TEST_PASSWORD, now=last + dt.timedelta(seconds=2))


def test_sessions_expire_when_idle_and_end_on_sign_out(app_db) -> None:
    """An idle session and a signed-out session are both refused."""
    url, emails = app_db
    token = auth.sign_in(emails["executive"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        idle = dt.datetime.now(dt.UTC) + auth.IDLE_TIMEOUT + dt.timedelta(minutes=1)
        with pytest.raises(auth.NotSignedInError):
            auth.principal_for(session, token, now=idle)
    auth.sign_out(token)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(token)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal("")


def test_admin_resets_a_members_password(app_db) -> None:
    """The new password works, the old one and the member's sessions do not, and it is audited."""
    url, emails = app_db
    old_session = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    admin_reset_password(admin, email=emails["viewer"], new_password="a brand new passphrase")
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(old_session)
    with pytest.raises(auth.SignInError):
        auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert auth.sign_in(emails["viewer"], "a brand new passphrase")
    with unit_of_work(url) as session:
        actions = session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "user.password_reset" in actions


@pytest.mark.parametrize("actor", ["manager", "outsider"])
def test_only_an_admin_of_the_collaborative_resets_passwords(app_db, actor: str) -> None:
    """A manager, or an admin-less outsider, cannot reset a member's password."""
    url, emails = app_db
    token = auth.sign_in(emails[actor], TEST_PASSWORD)
    with unit_of_work(url) as session:
        before = session.execute(
            sa.select(UserAccount.password_hash).where(UserAccount.email == emails["viewer"])
        ).scalar_one()
    with pytest.raises(auth.PermissionDeniedError):
        admin_reset_password(token, email=emails["viewer"], new_password="a brand new passphrase")
    with unit_of_work(url) as session:
        after = session.execute(
            sa.select(UserAccount.password_hash).where(UserAccount.email == emails["viewer"])
        ).scalar_one()
    assert before == after


def test_short_passwords_are_refused(app_db) -> None:
    """The password policy asks for at least twelve characters."""
    url, _ = app_db
    with unit_of_work(url) as session, pytest.raises(auth.PasswordPolicyError):
        auth.create_user(session, email="x@y.test", password="short", display_name="X")
