"""Sign-in, sessions and accounts (issue 14, "Sign-in and sessions" and "Accounts"; ASVS V2, V3).

Each test failed on the code before it: the hard lock that anyone could trigger and that answered
differently, an idle timeout of 8 hours, no way to see or end one's sessions, resets without a
forced change by an administrator of only one of a person's collaboratives, "There is no account
for X", a CLI that took the password as an option, a length-only password policy, and approvals of
one's own submission.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ics_capacity.db import models
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security

NEW_PASSWORD = "a fresh set of words"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _count_verifies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = auth._verify

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "_verify", counting)
    return calls


def _refusal(email: str, password: str, **kw) -> str:
    with pytest.raises(auth.SignInError) as refused:
        auth.sign_in(email, password, **kw)
    return str(refused.value)


def _disable(url: str, email: str) -> None:
    with unit_of_work(url) as session:
        session.execute(
            sa.update(models.UserAccount)
            .where(models.UserAccount.email == email)
            .values(is_active=False)
        )
        session.commit()


# --- Sign-in reveals nothing -------------------------------------------------------------------


def test_every_refusal_is_the_same_message_and_one_verify(app_db, monkeypatch) -> None:
    """Unknown email, wrong password and disabled account: one message, one argon2 verify each;
    a throttled attempt also costs one verify, and its message is the same for a real account
    and an unknown email."""
    url, emails = app_db
    _disable(url, emails["executive"])
    calls = _count_verifies(monkeypatch)
    answers = []
    for email, password in [
        ("nobody@nowhere.test", "not the password"),
        (emails["viewer"], "not the password"),
        (emails["executive"], TEST_PASSWORD),  # the right password of a disabled account
    ]:
        calls.clear()
        answers.append(_refusal(email, password))
        assert len(calls) == 1, f"{email}: {len(calls)} argon2 verifications"
    assert len(set(answers)) == 1, answers

    throttled = []
    start = _now()
    for email in (emails["manager"], "ghost@nowhere.test"):
        for i in range(auth.THROTTLE_FREE_FAILURES):
            _refusal(email, "not the password", now=start + dt.timedelta(milliseconds=i))
        calls.clear()
        throttled.append(_refusal(email, TEST_PASSWORD, now=start + dt.timedelta(seconds=0.5)))
        assert len(calls) == 1
    assert throttled[0] == throttled[1]
    assert throttled[0].startswith("Too many attempts; try again in 1 minute")


def test_back_off_doubles_and_no_one_can_lock_an_account_for_good(app_db) -> None:
    """After five failures in 15 minutes attempt n waits 2^(n-5) s, never more than 15 minutes;
    once the wait is over the right password works."""
    _, emails = app_db
    email, at = emails["viewer"], _now()

    def waits() -> dt.timedelta:
        with unit_of_work() as session:
            return auth.throttle_wait(session, [auth.account_key(email)], at)

    for n in range(1, 16):
        _refusal(email, "wrong password!", now=at)
        expected = 0 if n < 5 else min(2 ** (n - 5), 15 * 60)
        assert waits() == dt.timedelta(seconds=expected), n
        at += waits()  # the attacker waits exactly as long as asked
    assert expected == auth.THROTTLE_MAX_WAIT.total_seconds()  # the last wait was the cap
    assert auth.sign_in(email, TEST_PASSWORD, now=at)


def test_throttle_per_client_address_is_kept_in_the_database(app_db) -> None:
    """Failures on many emails from one address throttle that address (for everyone behind
    it, real accounts included), not another; the counts are rows every worker reads."""
    url, emails = app_db
    at = _now()
    for i in range(auth.ADDRESS_FREE_FAILURES):
        _refusal(f"guess{i}@nowhere.test", "not the password", address="203.0.113.9", now=at)
    message = _refusal(emails["admin"], TEST_PASSWORD, address="203.0.113.9", now=at)
    assert message.startswith("Too many attempts")
    assert auth.sign_in(emails["admin"], TEST_PASSWORD, address="198.51.100.7", now=at)
    with unit_of_work(url) as session:
        keys = set(session.execute(sa.select(models.SignInThrottle.key)).scalars())
    assert "address:203.0.113.9" in keys
    assert not any("nowhere.test" in k for k in keys), "emails are stored only as digests"


def test_login_page_signs_in_off_the_event_loop_with_the_client_address(monkeypatch) -> None:
    """LoginState.submit runs the argon2 work in a thread, and passes the address the trusted
    proxy saw (ICS_TRUSTED_PROXY_HOPS), not one the client wrote into X-Forwarded-For."""
    from reflex.istate.manager.memory import StateManagerMemory

    from ics_capacity.ui.pages import login
    from tests.security.test_every_event import Browser, run_async

    seen: dict = {}

    def fake_sign_in(email: str, password: str, **kw) -> str:
        try:
            asyncio.get_running_loop()
            seen["on_loop"] = True
        except RuntimeError:
            seen["on_loop"] = False
        seen.update(kw)
        return "token"

    class ProxiedBrowser(Browser):
        def _router_data(self):
            data = super()._router_data()
            data["headers"] = {"x-forwarded-for": "6.6.6.6, 192.0.2.44", "user-agent": "Firefox/1"}
            return data

    monkeypatch.setattr(login, "sign_in", fake_sign_in)
    monkeypatch.setattr(login, "hand_off", lambda token: f"code for {token}")
    monkeypatch.setenv("ICS_TRUSTED_PROXY_HOPS", "1")

    async def run() -> None:
        browser = ProxiedBrowser(StateManagerMemory(), "")
        await browser.start()
        await browser.send(
            login.LoginState, "submit", {"form": {"email": "a@b.test", "password": "x"}}
        )
        assert not browser.errors, browser.errors

    run_async(run())
    assert seen["on_loop"] is False
    assert seen["address"] == "192.0.2.44"
    assert seen["user_agent"] == "Firefox/1"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no trusted proxy: the header is the client's own words
        (1, "6.6.6.6, 192.0.2.44", "192.0.2.44"),
        (2, "6.6.6.6, 192.0.2.44, 10.0.0.2", "192.0.2.44"),
        (2, "192.0.2.44", "192.0.2.44"),  # fewer entries than hops: the leftmost
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address_counts_trusted_hops_from_the_right(hops, forwarded, expected) -> None:
    from ics_capacity.ui.http_security import client_address

    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert client_address("10.0.0.1", headers, hops) == expected


# --- Timeouts and one's own sessions -----------------------------------------------------------


def test_sessions_end_after_30_minutes_idle_and_12_hours_in_all(app_db) -> None:
    _, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    start = _now()
    with unit_of_work() as session:
        auth.principal_for(session, token, now=start + dt.timedelta(minutes=29))
        with pytest.raises(auth.NotSignedInError):
            auth.principal_for(session, token, now=start + dt.timedelta(minutes=61))
    busy = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with unit_of_work() as session:
        at = start
        while at < start + dt.timedelta(hours=11, minutes=50):
            at += dt.timedelta(minutes=20)
            auth.principal_for(session, busy, now=at)  # used every 20 minutes
        with pytest.raises(auth.NotSignedInError):
            auth.principal_for(session, busy, now=start + dt.timedelta(hours=12, minutes=1))


def test_users_see_and_end_only_their_own_sessions(app_db) -> None:
    _, emails = app_db
    laptop = auth.sign_in(emails["viewer"], TEST_PASSWORD, address="192.0.2.1", user_agent="A")
    phone = auth.sign_in(emails["viewer"], TEST_PASSWORD, address="192.0.2.2", user_agent="B")
    other = auth.sign_in(emails["manager"], TEST_PASSWORD)
    mine = auth.my_sessions(laptop)
    assert [(s.client_address, s.current) for s in mine] == [
        ("192.0.2.1", True),
        ("192.0.2.2", False),
    ]
    managers = auth.my_sessions(other)[0].session_id
    with pytest.raises(auth.AuthError):
        auth.end_my_session(laptop, managers)
    auth.current_principal(other)  # untouched
    auth.end_my_session(laptop, mine[1].session_id)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(phone)
    again = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    assert auth.end_my_other_sessions(again) == 1
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(laptop)
    fresh = auth.sign_in(emails["viewer"], TEST_PASSWORD, end_other_sessions=True)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(again)
    assert [s.current for s in auth.my_sessions(fresh)] == [True]


# --- Passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "PassWord1234", " " * 14, "123456789012", "short"]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(auth.PasswordPolicyError):
        auth.check_password_policy(password)


def test_the_bundled_list_is_large_and_named() -> None:
    from ics_capacity.domain.passwords import common_passwords
    from ics_capacity.settings import REPO_ROOT

    assert len(common_passwords()) >= 10_000
    assert "xato" in (REPO_ROOT / "docs" / "security.md").read_text().lower()
    auth.check_password_policy(TEST_PASSWORD)


def test_users_change_their_own_password_with_the_current_one(app_db) -> None:
    url, emails = app_db
    token = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    elsewhere = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    with pytest.raises(auth.SignInError):
        auth.change_own_password(token, current="not my password", new=NEW_PASSWORD)
    with pytest.raises(auth.PasswordPolicyError):
        auth.change_own_password(token, current=TEST_PASSWORD, new="password1234")
    auth.change_own_password(token, current=TEST_PASSWORD, new=NEW_PASSWORD)
    auth.current_principal(token)  # this session stays
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(elsewhere)
    assert auth.sign_in(emails["viewer"], NEW_PASSWORD)
    with unit_of_work(url) as session:
        actions = session.execute(sa.select(models.AuditEvent.action)).scalars().all()
    assert "user.password_change" in actions


def test_an_administrators_reset_forces_a_change_first(app_db) -> None:
    from ics_capacity.services.users import admin_reset_password

    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    admin_reset_password(admin, email=emails["manager"], new_password="set by the admin 1")
    token = auth.sign_in(emails["manager"], "set by the admin 1")
    with pytest.raises(auth.PasswordChangeRequiredError):
        auth.my_collaboratives(token)
    bcpc = auth.my_collaboratives(admin)[1][0].collaborative_id
    with pytest.raises(auth.PasswordChangeRequiredError):
        sc.list_scenarios(token, bcpc)
    auth.change_own_password(token, current="set by the admin 1", new=NEW_PASSWORD)
    assert sc.list_scenarios(token, bcpc)


def _in_both(url: str, email: str, roles: dict[str, str]) -> None:
    with unit_of_work(url) as session:
        rows = session.execute(sa.select(models.Collaborative.code, models.Collaborative.id))
        ids = {code: collaborative_id for code, collaborative_id in rows}
        auth.create_user(
            session,
            email=email,
            password=TEST_PASSWORD,
            display_name="Two Hats",
            memberships={ids[code]: role for code, role in roles.items()},
        )
        session.commit()


def test_a_person_in_two_collaboratives_is_reset_only_by_an_admin_of_both(app_db) -> None:
    from ics_capacity.services.users import admin_reset_password

    url, emails = app_db
    _in_both(url, "two-hats@nhs.test", {"BCPC": "viewer", "QHL": "manager"})
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)  # admin of BCPC only
    with pytest.raises(auth.PermissionDeniedError):
        admin_reset_password(admin, email="two-hats@nhs.test", new_password=NEW_PASSWORD)
    assert auth.sign_in("two-hats@nhs.test", TEST_PASSWORD)
    _in_both(url, "both-admin@nhs.test", {"BCPC": "admin", "QHL": "admin"})
    both = auth.sign_in("both-admin@nhs.test", TEST_PASSWORD)
    admin_reset_password(both, email="two-hats@nhs.test", new_password=NEW_PASSWORD)
    assert auth.sign_in("two-hats@nhs.test", NEW_PASSWORD)


def test_reset_refusals_do_not_reveal_which_accounts_exist(app_db) -> None:
    """An administrator gets the same answer for an unknown email and for someone else's
    member, through the service and through the Users page."""
    from ics_capacity.services.users import admin_reset_password

    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    answers = []
    for email in ("nobody@nowhere.test", emails["outsider"]):
        with pytest.raises(auth.AuthError) as refused:
            admin_reset_password(admin, email=email, new_password=NEW_PASSWORD)
        answers.append((type(refused.value), str(refused.value).replace(email, "X")))
    assert answers[0] == answers[1]
    assert "nobody" not in answers[0][1] and "no account" not in answers[0][1]


def test_disabling_or_removing_ends_the_persons_sessions_at_once(app_db) -> None:
    from ics_capacity.services.users import list_members, remove_member, set_account_active

    url, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)
    bcpc = auth.my_collaboratives(admin)[1][0].collaborative_id
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    set_account_active(admin, bcpc, email=emails["viewer"], active=False)
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(viewer)
    assert _refusal(emails["viewer"], TEST_PASSWORD) == auth.REFUSED_MESSAGE
    assert [m.active for m in list_members(admin, bcpc) if m.email == emails["viewer"]] == [False]
    set_account_active(admin, bcpc, email=emails["viewer"], active=True)
    assert auth.sign_in(emails["viewer"], TEST_PASSWORD)

    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    remove_member(admin, bcpc, email=emails["workforce_lead"])
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(lead)
    relogged = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    assert auth.current_principal(relogged).roles == {}
    with unit_of_work(url) as session:
        actions = set(session.execute(sa.select(models.AuditEvent.action)).scalars())
    assert {"user.disable", "user.enable", "user.remove"} <= actions
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with pytest.raises(auth.PermissionDeniedError):
        set_account_active(manager, bcpc, email=emails["viewer"], active=False)


def test_cli_set_password_reads_stdin_ends_sessions_and_is_audited(app_db) -> None:
    from ics_capacity.cli import app

    url, emails = app_db
    runner = CliRunner()
    old = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    leaked = runner.invoke(
        app, ["user", "set-password", emails["viewer"], "--password", NEW_PASSWORD]
    )
    assert leaked.exit_code != 0, "the password must never be an option"
    auth.current_principal(old)
    done = runner.invoke(app, ["user", "set-password", emails["viewer"]], input=NEW_PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert NEW_PASSWORD not in done.output
    with pytest.raises(auth.NotSignedInError):
        auth.current_principal(old)
    with pytest.raises(auth.PasswordChangeRequiredError):
        auth.current_principal(auth.sign_in(emails["viewer"], NEW_PASSWORD))
    with unit_of_work(url) as session:
        audited = session.execute(
            sa.select(models.AuditEvent.user_email).where(
                models.AuditEvent.action == "user.password_reset"
            )
        ).scalars()
        assert "cli" in set(audited)


# --- Four eyes ---------------------------------------------------------------------------------


def test_the_submitter_cannot_approve_their_own_scenario(app_db) -> None:
    _, emails = app_db
    admin = auth.sign_in(emails["admin"], TEST_PASSWORD)  # may both submit and approve
    bcpc = auth.my_collaboratives(admin)[1][0].collaborative_id
    baseline = next(s.id for s in sc.list_scenarios(admin, bcpc) if s.is_baseline)
    scenario = sc.create_scenario(admin, baseline, "Own plan")
    sc.submit_scenario(admin, scenario, 1)
    version = next(s.version for s in sc.list_scenarios(admin, bcpc) if s.id == scenario)
    with pytest.raises(auth.PermissionDeniedError):
        sc.decide_scenario(admin, scenario, version, approve=True)
    executive = auth.sign_in(emails["executive"], TEST_PASSWORD)
    sc.decide_scenario(executive, scenario, version, approve=True)
    assert next(s.status for s in sc.list_scenarios(admin, bcpc) if s.id == scenario) == "approved"
