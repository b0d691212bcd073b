"""Two-step verification with an authenticator app (issue 14, "An administrator can require a
second factor (TOTP)"; ASVS V2.8).

Each test failed on the code before it: a password alone signed anyone in, and an administrator
had no way to require more.
"""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import sqlalchemy as sa

from ics_capacity.db import models
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import users as us
from tests.conftest import TEST_PASSWORD
from tests.security.test_accounts import _in_both

pytestmark = pytest.mark.security


def _enrol(email: str) -> pyotp.TOTP:
    token = auth.sign_in(email, TEST_PASSWORD)
    secret, uri, user_id = auth.new_totp_secret(token)
    assert uri.startswith("otpauth://totp/") and "ICS%20Capacity%20Planner" in uri
    totp = pyotp.TOTP(secret)
    auth.confirm_totp_setup(token, secret, totp.now(), user_id=user_id)
    return totp


def test_sign_in_needs_the_code_once_on_and_each_code_works_once(app_db) -> None:
    _, emails = app_db
    email = emails["viewer"]
    totp = _enrol(email)
    with pytest.raises(auth.SecondFactorNeededError):
        auth.sign_in(email, TEST_PASSWORD)
    with pytest.raises(auth.SignInError) as wrong:
        auth.sign_in(email, TEST_PASSWORD, code="000000" if totp.now() != "000000" else "111111")
    assert str(wrong.value) == auth.CODE_REFUSED
    with pytest.raises(auth.SignInError) as refused:
        auth.sign_in(email, "a wrong password", code=totp.now())
    assert str(refused.value) == auth.REFUSED_MESSAGE, "the code is asked only after the password"
    later = auth.utc_now() + dt.timedelta(seconds=30)  # the setup used this step's code
    code = totp.at(later)
    token = auth.sign_in(email, TEST_PASSWORD, code=code, now=later)
    assert auth.current_principal(token).email == email
    with pytest.raises(auth.SignInError):
        auth.sign_in(email, TEST_PASSWORD, code=code, now=later)  # replayed
    with pytest.raises(auth.SignInError):
        auth.sign_in(email, TEST_PASSWORD, code=totp.now(), now=later)  # older than the one used


def test_code_guesses_are_throttled_like_passwords(app_db) -> None:
    _, emails = app_db
    email = emails["viewer"]
    totp = _enrol(email)
    wrong = "000000" if totp.now() != "000000" else "111111"
    for _ in range(auth.THROTTLE_FREE_FAILURES):
        with pytest.raises(auth.SignInError):
            auth.sign_in(email, TEST_PASSWORD, code=wrong)
    with pytest.raises(auth.SignInError) as throttled:
        auth.sign_in(email, TEST_PASSWORD, code=totp.now())
    assert "Too many attempts" in str(throttled.value)


def test_setting_up_needs_a_right_code_and_is_audited(app_db) -> None:
    _, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    secret, _, user_id = auth.new_totp_secret(token)
    other = auth.new_totp_secret(auth.sign_in(emails["manager"], TEST_PASSWORD))
    with pytest.raises(auth.AuthError):
        auth.confirm_totp_setup(token, "", "123456", user_id=user_id)  # nothing started
    with pytest.raises(auth.AuthError):  # a key made for someone else
        auth.confirm_totp_setup(token, other[0], pyotp.TOTP(other[0]).now(), user_id=other[2])
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    with pytest.raises(auth.SignInError):
        auth.confirm_totp_setup(token, secret, wrong, user_id=user_id)
    assert not auth.my_totp_enabled(token)
    assert auth.sign_in(emails["viewer"], TEST_PASSWORD), "an unconfirmed key changes nothing"
    auth.confirm_totp_setup(token, secret, pyotp.TOTP(secret).now(), user_id=user_id)
    assert auth.my_totp_enabled(token)
    with pytest.raises(auth.AuthError):
        auth.new_totp_secret(token)  # only an administrator's reset replaces the key
    with unit_of_work() as session:
        actions = session.execute(sa.select(models.AuditEvent.action)).scalars().all()
    assert "user.totp_on" in actions


def test_an_administrator_requires_it_and_members_must_set_it_up(app_db) -> None:
    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    collaborative = next(iter(auth.current_principal(admin).roles))
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with pytest.raises(auth.PermissionDeniedError):
        us.set_totp_required(viewer, collaborative, required=True)
    with pytest.raises(auth.PermissionDeniedError):
        outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
        us.set_totp_required(outsider, collaborative, required=True)
    with pytest.raises(auth.AuthError, match="your own account first"):
        us.set_totp_required(admin, collaborative, required=True)
    admin_code = _enrol(emails["admin"]).at(auth.utc_now() + dt.timedelta(seconds=30))
    admin = auth.sign_in(
        emails["admin"],
        TEST_PASSWORD,
        code=admin_code,
        now=auth.utc_now() + dt.timedelta(seconds=30),
    )
    us.set_totp_required(admin, collaborative, required=True)
    assert us.totp_required(admin, collaborative)
    with pytest.raises(auth.SecondFactorSetupRequiredError):
        auth.current_principal(viewer)
    assert auth.my_sessions(viewer), "the account page still works, to set it up"
    secret, _, user_id = auth.new_totp_secret(viewer)
    auth.confirm_totp_setup(viewer, secret, pyotp.TOTP(secret).now(), user_id=user_id)
    assert auth.current_principal(viewer).email == emails["viewer"]


def test_only_an_administrator_of_every_collaborative_resets_it(app_db) -> None:
    url, emails = app_db
    _in_both(url, "two-hats@nhs.test", {"BCPC": "viewer", "QHL": "manager"})
    _enrol("two-hats@nhs.test")
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)  # admin of BCPC only
    collaborative = next(iter(auth.current_principal(admin).roles))
    with pytest.raises(auth.PermissionDeniedError):
        us.admin_reset_totp(admin, collaborative, email="two-hats@nhs.test")
    _in_both(url, "both-admin@nhs.test", {"BCPC": "admin", "QHL": "admin"})
    both = auth.sign_in("both-admin@nhs.test", TEST_PASSWORD)
    us.admin_reset_totp(both, collaborative, email="two-hats@nhs.test")
    assert auth.sign_in("two-hats@nhs.test", TEST_PASSWORD), "no code asked after the reset"
