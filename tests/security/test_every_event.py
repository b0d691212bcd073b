"""Every event handler the app registers is either public by review or refused for attackers.

Reflex lets a browser send any registered event with any payload, so the security suite does not
trust a hand-written list: `test_every_handler_is_public_or_covered` walks Reflex's own state
registry and fails when a handler of an `ics_capacity` state is neither in `PUBLIC` (reviewed, with
a reason) nor in `CASES`.

Each case is sent the way the app processes events (`reflex_base`'s `process_event` on a state tree
held by a real in-memory state manager, background handlers through a `StateProxy`, shared rooms
linked through the manager), by one browser tab that first loads the handler's page as its user.
Before the event the tab is then given the victim's ids in its server-side vars (picker
`_scenario_id`, `_job_id`, ...): more than an attacker can reach, so a refusal proves the services
check the caller themselves. Then, for each attacker,
- `anonymous` (no session), `outsider` (an administrator of another collaborative, Birmingham and
  Solihull) and, where the role may not do it, `viewer` (of the Black Country collaborative):
  the database is unchanged, no solve job was queued or claimed, and (anonymous, outsider) no
  Black Country name, code, staff code, scenario name or member email reaches the tab's state tree
  (backend vars included) or anything sent to the browser (deltas, events, downloads, decoded);
- `allowed`: a role that may do it sees the event take effect, so the refusals are the server's.

Jobs are queued but never run during a test (`jobs.set_dispatcher`); the finished rota and
rebalancing results the pages show were solved once when the module's database was built.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import datetime as dt
import io
import json
import re
import shutil
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import ics_capacity.ics_capacity  # noqa: F401  (registers every page's state)
from ics_capacity.db import models
from ics_capacity.db.session import engine_for, unit_of_work
from ics_capacity.services import auth, jobs
from ics_capacity.services import scenarios as sc
from ics_capacity.services.board_pack import build_board_pack, keep_board_pack
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.editing import read_case_mix
from ics_capacity.services.results import LockRow, RotaOutcome
from ics_capacity.services.rota import next_monday, set_lock
from ics_capacity.services.rota_published import publish_rota
from ics_capacity.services.weekly_calendar import add_calendar_change
from ics_capacity.settings import REPO_ROOT
from ics_capacity.ui.components.calendar import CalendarState
from ics_capacity.ui.components.hub_readiness import HubReadinessState
from ics_capacity.ui.components.hubs import HubsState
from ics_capacity.ui.components.independent_prices import IndependentPriceState
from ics_capacity.ui.components.validation import ValidationState
from ics_capacity.ui.pages.account import AccountState
from ics_capacity.ui.pages.audit import AuditState
from ics_capacity.ui.pages.compare import CompareState
from ics_capacity.ui.pages.dashboard import BoardPackState, DashboardState
from ics_capacity.ui.pages.data import DataState
from ics_capacity.ui.pages.onboarding import OnboardingState
from ics_capacity.ui.pages.overview import OverviewState
from ics_capacity.ui.pages.rebalance import RebalanceState
from ics_capacity.ui.pages.rota import RotaState
from ics_capacity.ui.pages.rota.pools import default_pool_form
from ics_capacity.ui.pages.rota.settings_form import MAX_ITEMS
from ics_capacity.ui.pages.scenario import ScenarioPageState
from ics_capacity.ui.pages.scenarios import ScenariosState
from ics_capacity.ui.pages.staff import StaffState
from ics_capacity.ui.pages.users import UsersState
from ics_capacity.ui.session_cookie import COOKIE, rewrite_cookie_header
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.rooms import ScenarioRoom, room_token
from ics_capacity.ui.state.session import SessionState
from tests.conftest import TEST_PASSWORD, add_test_accounts

pytestmark = pytest.mark.security

OUTSIDER = "outsider-admin@bsol.test"
THEATRES_TEMPLATE = REPO_ROOT / "docs" / "examples" / "theatres_template.csv"
BACKGROUND_TIMEOUT = 60.0
WATCHERS = {"RotaState.watch", "RebalanceState.watch"}
"""Chained events not followed: they poll a job until it ends (they are sent directly instead)."""


# --- The registry ------------------------------------------------------------------------------


def app_states() -> list[type]:
    """Every state class of this app, found through Reflex's registry of substates."""
    from reflex.state import State

    found, stack = [], [State]
    while stack:
        cls = stack.pop()
        for sub in cls.get_substates():
            stack.append(sub)
            if sub.__module__.startswith("ics_capacity."):
                found.append(sub)
    return sorted(found, key=lambda c: c.__name__)


def registered_handlers() -> list[str]:
    """'<StateClass>.<handler>' for every event handler Reflex registers for the app."""
    return sorted(f"{cls.__name__}.{name}" for cls in app_states() for name in cls.event_handlers)


# --- The world: one database per module, copied afresh for every test -------------------------


@dataclass
class World:
    """The demo database with the Black Country collaborative (the victim) prepared for attack."""

    url: str
    emails: dict[str, str]
    baseline: int
    draft: int
    submitted: int
    foreign: int  # the outsider's own scenario (Birmingham and Solihull's baseline)
    collaborative: int  # the victim: the Black Country collaborative
    rota_job: int  # finished rota build of the draft
    rebalance_job: int  # finished rebalancing run of the draft
    victim: frozenset[str]  # strings only the Black Country collaborative's members may see
    tokens: dict[str, str]  # one session of each user, signed in when the database was built
    extra: dict[str, Any] = field(default_factory=dict)

    def token(self, who: str) -> str:
        return "" if who == "anonymous" else self.tokens[who]

    def version(self, scenario_id: int) -> int:
        with unit_of_work(self.url) as session:
            return session.get(models.Scenario, scenario_id).version


@pytest.fixture(autouse=True)
def no_solver_runs():
    """Queued jobs stay queued: no solver runs in the background of a test."""
    jobs.set_dispatcher(lambda job_id: None)
    yield
    jobs.set_dispatcher(None)


def _build_template(url: str, nhs_dir: Path) -> dict[str, Any]:
    from ics_capacity.services.demo import seed_demo
    from ics_capacity.services.schema import upgrade

    upgrade("head", url)
    seed_demo(nhs_dir, db_url=url)
    emails = add_test_accounts(url, nhs_dir)
    with unit_of_work(url) as session:
        ids = dict(
            session.execute(sa.select(models.Collaborative.code, models.Collaborative.id)).all()
        )
        auth.create_user(
            session,
            email=OUTSIDER,
            password=TEST_PASSWORD,
            display_name="Outsider Admin",
            memberships={ids["QHL"]: "admin"},
        )
        session.commit()
        baselines = dict(
            session.execute(
                sa.select(models.Scenario.collaborative_id, models.Scenario.id).where(
                    models.Scenario.is_baseline
                )
            ).all()
        )
    emails["outsider"] = OUTSIDER
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    baseline = baselines[ids["BCPC"]]
    draft = sc.create_scenario(manager, baseline, "Draft plan")
    submitted = sc.create_scenario(manager, baseline, "Submitted plan")
    sc.submit_scenario(manager, submitted, 1)
    manor = next(r for r in read_site_capacity(manager, draft) if r.code == "MANOR")
    # The manager's own last change, so that "undo" has something to revert.
    update_site_capacity(manager, draft, manor.site_id, "theatres", "8", manor.theatre_version)
    with unit_of_work(url) as session:
        staff = list(
            session.execute(
                sa.select(models.RotaStaff.code)
                .where(models.RotaStaff.scenario_id == draft)
                .order_by(models.RotaStaff.code)
            ).scalars()
        )[:2]
    set_lock(lead, draft, staff[1], next_monday(), "", expected=None)  # for "unlock" to remove
    jobs.set_dispatcher(lambda job_id: None)
    try:
        rota_job = jobs.start_job(
            lead,
            draft,
            "rota",
            {
                "start_date": next_monday().isoformat(),
                "weeks": 1,
                "site_codes": ["SANDWELL"],
                "time_limit_seconds": 1,  # it runs to its limit; any finished rota will do
            },
        )
        jobs.run_job(rota_job)
        rebalance_job = jobs.start_job(
            manager, draft, "rebalance", {"weeks": 8, "time_limit_seconds": 5}
        )
        jobs.run_job(rebalance_job)
    finally:
        jobs.set_dispatcher(None)
    for job_id in (rota_job, rebalance_job):
        assert jobs.job_view(lead if job_id == rota_job else manager, job_id).status == "done"
    tokens = {who: auth.sign_in(email, TEST_PASSWORD) for who, email in emails.items()}
    return {
        "emails": emails,
        "baseline": baseline,
        "draft": draft,
        "submitted": submitted,
        "foreign": baselines[ids["QHL"]],
        "collaborative": ids["BCPC"],
        "rota_job": rota_job,
        "rebalance_job": rebalance_job,
        "victim": _victim_strings(url, ids["BCPC"], ids["QHL"]),
        "staff": staff,
        "tokens": tokens,
        # What `_built_pack` puts in the tab: built once (a projection and a PDF, 5-10 s), not
        # by each of its cases. Building writes nothing; the pack is a frozen dataclass.
        "board_pack": build_board_pack(tokens["viewer"], draft, 26, ""),
    }


def _victim_strings(url: str, victim: int, other: int) -> frozenset[str]:
    """Names and codes of the victim collaborative that the other one's members never see."""
    m = models

    def of(session, collaborative_id: int) -> set[str]:
        scenario_ids = sa.select(m.Scenario.id).where(
            m.Scenario.collaborative_id == collaborative_id
        )
        queries = [
            sa.select(m.Organisation.ods_code, m.Organisation.name)
            .join(m.CollaborativeMember, m.CollaborativeMember.organisation_id == m.Organisation.id)
            .where(m.CollaborativeMember.collaborative_id == collaborative_id),
            sa.select(m.Site.code, m.Site.name).where(m.Site.scenario_id.in_(scenario_ids)),
            sa.select(m.RotaStaff.code, m.RotaStaff.label).where(
                m.RotaStaff.scenario_id.in_(scenario_ids)
            ),
            sa.select(m.Scenario.name, m.Scenario.name).where(
                m.Scenario.collaborative_id == collaborative_id
            ),
            sa.select(m.UserAccount.email, m.UserAccount.display_name)
            .join(m.Membership, m.Membership.user_id == m.UserAccount.id)
            .where(m.Membership.collaborative_id == collaborative_id),
            sa.select(m.Collaborative.code, m.Collaborative.name).where(
                m.Collaborative.id == collaborative_id
            ),
        ]
        return {str(v) for q in queries for row in session.execute(q) for v in row if v}

    with unit_of_work(url) as session:
        strings = of(session, victim) - of(session, other)
    return frozenset(s for s in strings if len(s) >= 4)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, nhs_dir: Path) -> tuple[Path, dict]:
    """The module's prepared SQLite database, built once (about 20 s with the two solves)."""
    path = tmp_path_factory.mktemp("every-event") / "template.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REFLEX_DB_URL", url)
        facts = _build_template(url, nhs_dir)
    engine_for(url).dispose()
    return path, facts


@pytest.fixture
def world(template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh copy of the module's database, made the app's database for this test."""
    source, facts = template
    target = tmp_path / "app.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("REFLEX_DB_URL", url)
    # Single sign-on is set up (no provider is called: the users page's domain rules need it).
    monkeypatch.setenv("ICS_OIDC_ISSUER", "https://login.example.test/tenant/v2.0")
    monkeypatch.setenv("ICS_OIDC_CLIENT_ID", "ics-capacity")
    monkeypatch.setenv("ICS_OIDC_ALLOWED_DOMAINS", "sso.test")
    extra = {
        "staff": facts["staff"],
        "date": next_monday().isoformat(),
        "board_pack": facts["board_pack"],
    }
    yield World(
        url,
        facts["emails"],
        facts["baseline"],
        facts["draft"],
        facts["submitted"],
        facts["foreign"],
        facts["collaborative"],
        facts["rota_job"],
        facts["rebalance_job"],
        facts["victim"],
        facts["tokens"],
        extra,
    )
    engine_for(url).dispose()


# --- The database, before and after ------------------------------------------------------------

COUNTED_ONLY = {"waiting_list", "rtt_activity"}  # large and written only by imports: counted
# Failed password checks are counted against the caller's own account and address by design (a
# wrong current password on "Your account" is throttled like a sign-in); the rows hold no data of
# anyone else. tests/security/test_accounts.py checks them.
NOT_COMPARED = {"sign_in_throttle"}


def snapshot(url: str) -> dict[str, Any]:
    """Every row of every table (sessions: who and whether revoked; big tables: their size).

    The rows are the driver's own values in the database's order of all columns, read without
    the columns' type conversions: a row differs when any stored value does (about five times
    cheaper than converting every value of every row to a string and sorting in Python).
    """
    out: dict[str, Any] = {}
    with unit_of_work(url) as session:
        connection = session.connection()
        for table in SQLModel.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            if table.name in COUNTED_ONLY:
                out[table.name] = session.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar()
                continue
            columns = list(table.c)
            if table.name == "auth_session":  # last_seen_at moves on every use
                columns = [table.c.id, table.c.user_id, table.c.revoked_at]
            quote = connection.dialect.identifier_preparer.quote
            names = ", ".join(quote(c.name) for c in columns)
            order = ", ".join(str(n) for n in range(1, len(columns) + 1))
            out[table.name] = connection.exec_driver_sql(
                f"SELECT {names} FROM {quote(table.name)} ORDER BY {order}"
            ).all()
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def jobs_rows(url: str) -> list[tuple]:
    with unit_of_work(url) as session:
        return [
            tuple(r)
            for r in session.execute(
                sa.select(models.SolveJob.id, models.SolveJob.kind, models.SolveJob.status)
            )
        ]


# --- A browser tab, as the app's event processing sees it --------------------------------------


def run_async(coroutine) -> Any:
    """Runs a coroutine on a fresh event loop in its own thread (Playwright may own this one)."""
    context = contextvars.copy_context()  # Reflex's registration context, among others
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


def _handler_names() -> dict[str, tuple[type, str]]:
    return {
        f"{cls.get_full_name()}.{name}": (cls, name)
        for cls in app_states()
        for name in cls.event_handlers
    }


class Browser:
    """One tab: a client token whose state tree lives in the given state manager.

    Events go through `process_event` as Reflex's `BaseStateEventProcessor` sends them: a
    foreground handler under the state lock (with shared rooms linked), a background handler
    through a `StateProxy`. Events a handler chains are then processed in turn, as the browser
    would send them back, except the job watchers (which poll until a job ends).
    """

    def __init__(self, manager, session_token: str) -> None:
        self.manager = manager
        self.client = uuid.uuid4().hex
        self.session_token = session_token
        self.path, self.query = "/", {}
        self.seen: list[Any] = []  # every delta and event that reached the browser
        self.queued: list[Any] = []
        self.errors: list[str] = []  # handlers that raised (Reflex would log them and toast)
        self.names = _handler_names()

    def _context(self):
        from reflex_base.event.context import EventContext

        async def enqueue(_token: str, *events) -> None:
            self.queued.extend(events)
            self.seen.extend(events)

        async def emit_delta(_token: str, delta) -> None:
            self.seen.append(delta)

        async def emit_event(_token: str, *events) -> None:
            self.seen.extend(events)

        return EventContext(
            token=self.client,
            state_manager=self.manager,
            enqueue_impl=enqueue,
            emit_delta_impl=emit_delta,
            emit_event_impl=emit_event,
        )

    def _router_data(self) -> dict[str, Any]:
        query = f"?{urlencode(self.query)}" if self.query else ""
        return {
            "pathname": self.path,
            "asPath": self.path + query,
            "query": dict(self.query),
            "token": self.client,
            "sid": f"sid-{self.client}",
            "headers": self._headers(),
            "ip": "127.0.0.1",
        }

    def _headers(self) -> dict[str, str]:
        """The websocket handshake's headers as the app sees them: the HttpOnly session cookie
        already replaced by its digest (`ui/session_cookie.session_cookie`)."""
        if not self.session_token:
            return {}
        cookie = rewrite_cookie_header([(b"cookie", f"{COOKIE}={self.session_token}".encode())])
        return {"cookie": cookie[0][1].decode()}

    async def start(self) -> None:
        """Opens the tab: its router data carries the session cookie from now on."""
        async with self._locked(SessionState) as root:
            data = self._router_data()
            root.router_data = root._update_router_vars(data, root.router_data)

    @contextlib.asynccontextmanager
    async def _locked(self, cls: type):
        """This tab's state tree, locked, with its shared rooms linked (as for an event)."""
        from reflex.istate.manager.token import BaseStateToken
        from reflex_base.event.context import EventContext

        reset = EventContext.set(self._context())
        try:
            token = BaseStateToken(ident=self.client, cls=cls)
            async with self.manager.modify_state_with_links(token) as root:
                yield root
        finally:
            EventContext.reset(reset)

    async def send(
        self, cls: type, name: str, payload: dict | None = None, *, follow: bool = True
    ) -> None:
        from reflex_base.event.context import EventContext

        handler = cls.event_handlers[name]
        reset = EventContext.set(self._context())
        try:
            await self._process(cls, handler, payload or {})
        except Exception as error:
            self.errors.append(f"{cls.__name__}.{name}: {error!r}")
            self.seen.append(f"backend error: {error!r}")
        finally:
            EventContext.reset(reset)
        if follow:
            await self.follow()

    async def _process(self, cls: type, handler, payload: dict) -> None:
        from reflex.istate.proxy import StateProxy
        from reflex_base.event.processor.base_state_processor import process_event

        async with self._locked(cls) as root:
            data = self._router_data()
            if root.router_data != data:
                root.router_data = root._update_router_vars(data, root.router_data)
            state = await root.get_state(cls)
            if not handler.is_background:
                await process_event(handler=handler, payload=payload, state=state, root_state=root)
                return
        await asyncio.wait_for(
            process_event(
                handler=handler, payload=payload, state=StateProxy(state), root_state=None
            ),
            BACKGROUND_TIMEOUT,
        )

    async def follow(self, limit: int = 12) -> None:
        """Sends back the backend events the handlers chained, as the browser would."""
        while self.queued and limit:
            event = self.queued.pop(0)
            limit -= 1
            cls, name = self.names.get(event.name, (None, ""))
            if cls is None or f"{cls.__name__}.{name}" in WATCHERS:
                continue
            await self.send(cls, name, dict(event.payload), follow=False)

    async def put(self, values: dict[type, dict[str, Any]]) -> None:
        """Puts values straight into this tab's server-side state (the test's own hand)."""
        async with self._locked(SessionState) as root:
            for cls, names in values.items():
                state = await root.get_state(cls)
                for name, value in names.items():
                    setattr(state, name, value)

    async def read(self, fn: Callable) -> Any:
        """`fn(root)` on this tab's state tree (shared rooms linked as for an event)."""
        async with self._locked(SessionState) as root:
            return await fn(root)

    async def tree_text(self) -> str:
        """The whole state tree as text: every state's vars, backend-only ones included."""

        async def dump(root) -> str:
            parts, stack = [], [root]
            while stack:
                state = stack.pop()
                stack.extend(state.substates.values())
                parts.append(json.dumps(dict(vars(state)), default=repr, sort_keys=True))
            return "\n".join(parts)

        return await self.read(dump)

    def seen_text(self) -> str:
        """Everything sent to the browser, with downloads decoded (zips unpacked)."""
        text = json.dumps(self.seen, default=repr)
        return text + "\n" + "\n".join(decoded_downloads(text))

    def downloads(self) -> list[str]:
        return decoded_downloads(json.dumps(self.seen, default=repr))


DATA_URL = re.compile(r"data:[^;,\"']*;base64,([A-Za-z0-9+/=]+)")


def decoded_downloads(text: str) -> list[str]:
    out = []
    for match in DATA_URL.finditer(text):
        try:
            raw = base64.b64decode(match.group(1))
        except (binascii.Error, ValueError):
            continue
        if raw[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                out.extend(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        else:
            out.append(raw.decode("utf-8", "replace"))
    return out


def found(strings: frozenset[str] | set[str], text: str) -> list[str]:
    """The strings that occur in the text as whole words or codes."""
    return sorted(
        s
        for s in strings
        if s in text  # cheap, and necessary for the match: most strings are not there at all
        and re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", text)
    )


# --- The cases ---------------------------------------------------------------------------------

Setup = Callable[[World], dict[type, dict[str, Any]]]


def _nothing(_w: World) -> dict:
    return {}


def _picked(w: World) -> dict[type, dict[str, Any]]:
    """The shared picker holding the victim's draft, as if the server had accepted it."""
    return {ScenarioPicker: {"_scenario_id": w.draft, "chosen": str(w.draft)}}


def _built_pack(w: World) -> dict[type, dict[str, Any]]:
    """A board pack of the victim's draft, built by one of its viewers, held by the tab."""
    return {**_picked(w), BoardPackState: {"_pack": keep_board_pack(w.extra["board_pack"])}}


def _opened(scenario: Callable[[World], int]) -> Setup:
    def setup(w: World) -> dict[type, dict[str, Any]]:
        return {
            ScenarioPageState: {"_scenario_id": scenario(w)},
            ScenarioRoom: {"version": w.version(scenario(w))},
        }

    return setup


def _draft(w: World) -> int:
    return w.draft


def _submitted(w: World) -> int:
    return w.submitted


def _queued(kind: str) -> Setup:
    """A queued job of the victim's draft, started by its own user, watched by the tab."""

    def setup(w: World) -> dict[type, dict[str, Any]]:
        if kind == "rota":
            who, parameters = (
                "workforce_lead",
                {
                    "start_date": w.extra["date"],
                    "weeks": 1,
                    "site_codes": ["SANDWELL"],
                },
            )
        else:
            who, parameters = "manager", {"weeks": 8}
        job_id = jobs.start_job(w.token(who), w.draft, kind, parameters)
        w.extra["job"] = job_id
        state = RotaState if kind == "rota" else RebalanceState
        return {**_picked(w), state: {"_job_id": job_id}}

    return setup


def _running_rota(w: World) -> dict[type, dict[str, Any]]:
    """A rota build of the victim's draft, as its runner shows it while it searches."""
    values = _queued("rota")(w)
    with unit_of_work(w.url) as session:
        session.execute(
            sa.update(models.SolveJob)
            .where(models.SolveJob.id == w.extra["job"])
            .values(status="running", started_at=models.utc_now(), heartbeat_at=models.utc_now())
        )
        session.commit()
    return values


def _stop_asked(w: World, _tree: str) -> bool:
    with unit_of_work(w.url) as session:
        return session.get(models.SolveJob, w.extra["job"]).stop_requested_by is not None


def _finished(kind: str) -> Setup:
    def setup(w: World) -> dict[type, dict[str, Any]]:
        state = RotaState if kind == "rota" else RebalanceState
        job_id = w.rota_job if kind == "rota" else w.rebalance_job
        return {**_picked(w), state: {"_job_id": job_id}}

    return setup


def _uploaded(w: World) -> dict[type, dict[str, Any]]:
    """A checked theatres template waiting in the manager's own upload folder to be imported.

    The page keeps only the path; the service accepts it back only from the caller's own
    folder, so an attacker given the manager's path is refused.
    """
    from ics_capacity.services.uploads import open_upload

    writer = open_upload(w.token("manager"), w.draft, "template", THEATRES_TEMPLATE.name)
    writer.write(THEATRES_TEMPLATE.read_bytes())
    staged = writer.close()
    return {
        **_picked(w),
        DataState: {"kind": "template", "_upload_path": str(staged.path), "preview_ok": True},
    }


def _upload_file() -> list:
    import reflex as rx

    data = THEATRES_TEMPLATE.read_bytes()
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(THEATRES_TEMPLATE.name), size=len(data))]


def _hub_versions(w: World) -> dict[type, dict[str, Any]]:
    """The victim's draft open in the hub form, with its sites' versions as the server read them."""
    with unit_of_work(w.url) as session:
        versions = dict(
            session.execute(
                sa.select(models.Site.code, models.Site.version).where(
                    models.Site.scenario_id == w.draft
                )
            ).all()
        )
    return {HubsState: {"_scenario_id": w.draft, "_versions": versions}}


def _hub_form(w: World) -> dict:
    return {
        "form": {
            "code": "MANOR",
            "hub": "on",
            "tfcs": "C_110, C_100",
            "sessions": "12",
            "latitude": "52.58",
            "longitude": "-2.0",
        }
    }


def _readiness_versions(w: World) -> dict[type, dict[str, Any]]:
    """The victim's draft open in the hub readiness form; its hubs still have the defaults."""
    return {HubReadinessState: {"_scenario_id": w.draft, "_versions": {"CANNOCK": 0}}}


def _readiness_form(w: World) -> dict:
    return {
        "form": {
            "code": "CANNOCK",
            "days": "5",
            "weeks": "48",
            "definition": "uncapped",
            "day_case": "80",
            "cataracts": "10",
        }
    }


def _validation_versions(w: World) -> dict[type, dict[str, Any]]:
    """The victim's draft open in the validation form; ophthalmology keeps the observed rate."""
    return {ValidationState: {"_scenario_id": w.draft, "_versions": {"C_130": 0}}}


def _validation_form(w: World) -> dict:
    return {"form": {"tfc": "C_130", "value": "25"}}


def _price_versions(w: World) -> dict[type, dict[str, Any]]:
    """The victim's draft open in the price form; orthopaedics has no price yet."""
    return {IndependentPriceState: {"_scenario_id": w.draft, "_versions": {"C_110": 0}}}


def _price_form(w: World) -> dict:
    return {"form": {"tfc": "C_110", "value": "4500"}}


def _onboarding_files(w: World) -> dict[type, dict[str, Any]]:
    """The RTT extract and ODS file kept in the victim administrator's own upload folder."""
    from ics_capacity.services.uploads import open_onboarding_upload
    from ics_capacity.settings import nhs_data_dir

    kept = []
    for name in ("rtt_full_extract_2026-04_QUA_QHL_subset.csv", "etr_2026.csv"):
        writer = open_onboarding_upload(w.token("admin"), name)
        writer.write((nhs_data_dir() / name).read_bytes())
        kept.append(str(writer.close().path))
    return {OnboardingState: {"_kept": kept, "ics": "QUA"}}


def _mar_upload() -> list:
    import reflex as rx

    from ics_capacity.settings import nhs_data_dir

    path = nhs_data_dir() / "mar_2026-02_QUA_QHL_trusts_subset.csv"
    data = path.read_bytes()
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(path.name), size=len(data))]


@dataclass(frozen=True)
class Case:
    """One handler: who may send it, with what, in what state, and what it then does.

    `allowed` is the role of the control; `refused` the roles of the collaborative that may not
    (a viewer case is made when "viewer" is among them). `effect` names the control's check:
    "db" (the database changed), "job" (a job was queued), "cancelled" (the setup's job was
    cancelled), "download" (a file of the victim's data was sent), "shows" (the victim's data
    is in the tab's state), or a callable on the World and the tab's tree text.
    """

    cls: type
    handler: str
    allowed: str
    effect: str | Callable[[World, str], bool]
    payload: Callable[[World], dict] = lambda w: {}
    setup: Setup = _nothing
    refused: tuple[str, ...] = ("viewer",)
    page: str | None = "load"  # the handler class's page loader, sent first (None: none)
    route: Callable[[World], tuple[str, dict]] = lambda w: ("/", {})
    viewer_secrets: Callable[[World], set[str]] | None = None

    @property
    def name(self) -> str:
        return f"{self.cls.__name__}.{self.handler}"


def _scenario_route(w: World) -> tuple[str, dict]:
    return f"/scenarios/{w.draft}", {"scenario_id": str(w.draft)}


def _submitted_route(w: World) -> tuple[str, dict]:
    return f"/scenarios/{w.submitted}", {"scenario_id": str(w.submitted)}


def _scenario_case(
    handler: str, allowed: str, payload=lambda w: {}, *, submitted=False, effect="db", **kw
) -> Case:
    return Case(
        ScenarioPageState,
        handler,
        allowed,
        effect,
        payload,
        _opened(_submitted if submitted else _draft),
        page="open",
        route=_submitted_route if submitted else _scenario_route,
        **kw,
    )


def _calendar_of_draft(w: World) -> dict[type, dict[str, Any]]:
    """The scenario page's room holding the victim's draft, as if the tab had joined it."""
    return {ScenarioRoom: {"scenario_id": w.draft, "version": w.version(w.draft)}}


def _calendar_line(w: World) -> dict[type, dict[str, Any]]:
    """The draft with one calendar line added by its own manager."""
    w.extra["calendar_line"] = add_calendar_change(
        w.token("manager"),
        w.draft,
        first_week="1",
        last_week="2",
        kind="closed",
        site_code="CANNOCK",
    )
    return _calendar_of_draft(w)


def _calendar_case(handler: str, allowed: str, effect, payload=lambda w: {}, **kw) -> Case:
    return Case(
        CalendarState,
        handler,
        allowed,
        effect,
        payload,
        kw.pop("setup", _calendar_of_draft),
        route=_scenario_route,
        **kw,
    )


def _members_but_viewer(w: World) -> set[str]:
    return {e for role, e in w.emails.items() if role not in ("viewer", "outsider")}


def _chose(w: World, text: str) -> bool:
    return f'"_scenario_id": {w.draft}' in text and "Draft plan" in text


def _holds(text: str) -> Callable[[World, str], bool]:
    """The control of a form field kept in the tab: the tab's state holds what was typed."""

    def effect(_w: World, tree: str) -> bool:
        return text in tree

    return effect


def _cancelled(w: World) -> bool:
    return any(j[0] == w.extra["job"] and j[2] == "cancelled" for j in jobs_rows(w.url))


def _rota_form(w: World, **changes: Any) -> dict[str, Any]:
    """The rota settings form as the browser submits it: one week at Sandwell, limit automatic."""
    return {
        "start_date": w.extra["date"],
        "weeks": "1",
        "time_limit": "",
        "rule_pack": "uk_default",
        "demand": "timetable",
        "keep_published": "on",
        "site": "SANDWELL",
        **default_pool_form(),
        **changes,
    }


def _lock(staff: int, *, with_outcome: bool = False) -> Setup:
    def setup(w: World) -> dict[type, dict[str, Any]]:
        code = w.extra["staff"][staff]
        values: dict[str, Any] = {"lock_staff": code, "lock_date": w.extra["date"]}
        if with_outcome:  # what the tab showed: the cell locked to a day off
            values["_outcome"] = RotaOutcome.model_construct(
                dates=(w.extra["date"],),
                shifts={},
                staff=(),
                locked=(LockRow(staff_id=code, day=0, shift_id=None),),
            )
        else:
            values["lock_choice"] = "off"
        return {**_picked(w), RotaState: values}

    return setup


def _rota_shown(w: World) -> dict[type, dict[str, Any]]:
    """The draft's finished rota shown in the tab, ready to publish."""
    return {**_picked(w), RotaState: {"_job_id": w.rota_job, "has_rota": True}}


def _published_rota(w: World) -> dict[type, dict[str, Any]]:
    """The draft's finished rota, published by its workforce lead, listed in the tab."""
    publish_rota(w.token("workforce_lead"), w.draft, w.rota_job)
    with unit_of_work(w.url) as session:
        w.extra["published"] = session.execute(
            sa.select(sa.func.max(models.PublishedRota.id))
        ).scalar_one()
    return _picked(w)


def _case_mix_edit(w: World) -> dict:
    row = read_case_mix(w.token("manager"), w.draft)[0]
    return {
        "entity": "case_mix",
        "row_id": str(row.id),
        "field": "minutes_per_case",
        "value": "999",
        "version": str(row.version),
    }


def _cannock(w: World) -> Any:
    return next(r for r in read_site_capacity(w.token("manager"), w.draft) if r.code == "CANNOCK")


VIEWERS_OWN_PASSWORD = "the viewer's own secret words"


def _viewer_password(w: World) -> dict:
    """The viewer's password, known to the viewer alone (every test account shares one)."""
    with unit_of_work(w.url) as session:
        session.execute(
            sa.update(models.UserAccount)
            .where(models.UserAccount.email == w.emails["viewer"])
            .values(password_hash=auth.hash_password(VIEWERS_OWN_PASSWORD))
        )
        session.commit()
    return {}


def _viewer_elsewhere(w: World) -> dict:
    """A second session of the viewer, e.g. on their phone."""
    token = auth.sign_in(w.emails["viewer"], TEST_PASSWORD, address="192.0.2.2")
    w.extra["elsewhere"] = next(s.session_id for s in auth.my_sessions(token) if s.current)
    return {}


TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _domain_rule(w: World) -> dict:
    """The victim collaborative lets people of @sso.test join as viewers."""
    with unit_of_work(w.url) as session:
        rule = models.SsoDomainRule(
            collaborative_id=w.collaborative, domain="sso.test", role="viewer"
        )
        session.add(rule)
        session.commit()
        w.extra["rule"] = rule.id
    return {}


def _a_person(w: World) -> dict[type, dict[str, Any]]:
    """The tab shows the victim draft's staff, as its workforce lead would see them."""
    from ics_capacity.services.staff import list_staff

    person = list_staff(w.token("workforce_lead"), w.draft).people[0]
    w.extra["person"] = person.code
    return {**_picked(w), StaffState: {"_views": {person.code: person}, "leave_of": person.code}}


def _a_persons_leave(w: World) -> dict[type, dict[str, Any]]:
    """One span of leave of a person of the victim's draft."""
    from ics_capacity.services.staff import add_leave, list_staff

    shown = _a_person(w)
    add_leave(
        w.token("workforce_lead"),
        w.draft,
        w.extra["person"],
        kind="study_leave",
        start="2027-03-01",
        end="2027-03-02",
    )
    person = next(
        p
        for p in list_staff(w.token("workforce_lead"), w.draft).people
        if p.code == w.extra["person"]
    )
    w.extra["leave"] = person.leave[-1].id
    return shown


def _a_persons_requests(w: World) -> dict[type, dict[str, Any]]:
    """The tab shows the requests of a person of the victim's draft (none yet)."""
    shown = _a_person(w)
    shown[StaffState]["requests_of"] = w.extra["person"]
    return shown


def _a_persons_request(w: World) -> dict[type, dict[str, Any]]:
    """One request of a person of the victim's draft, shown in the tab (its id stays there)."""
    from ics_capacity.services.staff import add_request, list_staff

    shown = _a_persons_requests(w)
    lead = w.token("workforce_lead")
    add_request(lead, w.draft, w.extra["person"], {"date": _soon(), "request": "off"})
    person = next(p for p in list_staff(lead, w.draft).people if p.code == w.extra["person"])
    shown[StaffState]["_views"] = {person.code: person}
    return shown


def _soon() -> str:
    return (dt.date.today() + dt.timedelta(days=40)).isoformat()


def _requests_file(w: World) -> dict:
    import reflex as rx

    data = f"Staff code,Date,Request,Weight\n{w.extra['person']},{_soon()},on,5\n".encode()
    return {
        "files": [rx.UploadFile(file=io.BytesIO(data), path=Path("requests.csv"), size=len(data))]
    }


def _totp_on(role: str) -> Setup:
    """The role's account has two-step verification on."""

    def setup(w: World) -> dict:
        with unit_of_work(w.url) as session:
            session.execute(
                sa.update(models.UserAccount)
                .where(models.UserAccount.email == w.emails[role])
                .values(totp_secret=TOTP_KEY, totp_enabled=True)
            )
            session.commit()
        return {}

    return setup


def _viewers_totp_key(w: World) -> dict[type, dict[str, Any]]:
    """The viewer's Account page half way through setting up two-step verification."""
    with unit_of_work(w.url) as session:
        viewer = session.execute(
            sa.select(models.UserAccount.id).where(models.UserAccount.email == w.emails["viewer"])
        ).scalar_one()
    return {AccountState: {"totp_key": TOTP_KEY, "_totp_user": viewer}}


def _shows_a_new_key(_w: World, text: str) -> bool:
    return re.search(r'"totp_key": "[A-Z2-7]{32}"', text) is not None


def _lists_sessions(w: World, text: str) -> bool:
    return '"sessions": [{' in text


def _idle_unread(_w: World) -> dict[type, dict[str, Any]]:
    return {SessionState: {"idle_minutes_left": 0, "idle_warning": True}}


def _idle_read(_w: World, text: str) -> bool:
    """The session's own time left was read (and the warning, not yet due, hidden)."""
    return re.search(r'"idle_minutes_left": [1-9]', text) is not None and (
        '"idle_warning": false' in text
    )


CASES: list[Case] = [
    # Session and rooms
    Case(SessionState, "require_sign_in", "viewer", "shows", refused=(), page=None),
    Case(
        SessionState, "check_idle", "viewer", _idle_read, setup=_idle_unread, refused=(), page=None
    ),
    Case(
        SessionState,
        "stay_signed_in",
        "viewer",
        _idle_read,
        setup=_idle_unread,
        refused=(),
        page=None,
    ),
    Case(
        ScenarioRoom,
        "join",
        "viewer",
        "shows",
        refused=(),
        page=None,
        route=_scenario_route,
    ),
    Case(
        ScenarioRoom,
        "join_scenario",
        "viewer",
        "shows",
        lambda w: {"scenario_id": w.draft},
        refused=(),
        page=None,
    ),
    # Pages that read
    Case(OverviewState, "load", "viewer", "shows", refused=()),
    Case(ScenariosState, "load", "viewer", "shows", refused=()),
    Case(
        CompareState,
        "load",
        "viewer",
        "shows",
        refused=(),
        page=None,
        route=lambda w: ("/compare", {"ids": f"{w.draft},{w.submitted}"}),
    ),
    Case(
        CompareState,
        "choose_at",
        "viewer",
        "shows",
        lambda w: {"weeks": "26"},
        lambda w: {CompareState: {"_ids": [w.draft, w.submitted]}},
        refused=(),
        page=None,
    ),
    Case(
        CompareState,
        "project_outcomes",
        "viewer",
        lambda w, text: "Projected outcomes" in text,
        setup=lambda w: {CompareState: {"_ids": [w.draft, w.submitted]}},
        refused=(),
        page=None,
    ),
    Case(AuditState, "load", "manager", "shows", viewer_secrets=_members_but_viewer, page=None),
    Case(
        AuditState,
        "apply",
        "manager",
        "shows",
        lambda w: {"form": {"user": "", "action": "", "since": "", "until": ""}},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(AuditState, "download", "manager", "download", viewer_secrets=_members_but_viewer),
    Case(UsersState, "load", "admin", "shows", viewer_secrets=_members_but_viewer, page=None),
    Case(DashboardState, "load", "viewer", "shows", refused=(), page=None),
    Case(
        DashboardState,
        "choose_scenario",
        "viewer",
        _chose,
        lambda w: {"scenario_id": str(w.draft)},
        refused=(),
    ),
    Case(
        DashboardState,
        "choose_horizon",
        "viewer",
        "shows",
        lambda w: {"weeks": "52"},
        _picked,
        refused=(),
    ),
    Case(DashboardState, "run_projection", "viewer", "shows", setup=_picked, refused=()),
    Case(DashboardState, "show_plan_of_record", "viewer", "shows", setup=_picked, refused=()),
    Case(
        DashboardState,
        "choose_unit",
        "viewer",
        lambda w, text: '"unit": "RXK"' in text or "Sandwell" in text,
        lambda w: {"unit": "RXK"},
        _picked,
        refused=(),
    ),
    Case(
        DashboardState,
        "ask_capacity",
        "viewer",
        "shows",
        lambda w: {"form": {"target": "65", "by": ""}},
        _picked,
        refused=(),
    ),
    Case(
        DashboardState,
        "check_target",
        "viewer",
        "shows",
        lambda w: {
            "form": {"kind": "max_long_waiters", "value": "0", "over": "52", "due": "2026-12-31"}
        },
        _picked,
        refused=(),
    ),
    Case(
        BoardPackState,
        "generate",
        "viewer",
        "shows",
        lambda w: {"form": {"commentary": "For the board"}},
        _picked,
        refused=(),
        page=None,
    ),
    Case(BoardPackState, "build", "viewer", "shows", setup=_picked, refused=(), page=None),
    Case(
        BoardPackState,
        "download",
        "viewer",
        "download",
        lambda w: {"file_format": "html"},
        _built_pack,
        refused=(),
        page=None,
    ),
    # Scenario page: sites and hubs, provenance (ui/components/hubs.py)
    Case(HubsState, "load", "viewer", "shows", refused=(), page=None, route=_scenario_route),
    Case(
        HubsState,
        "save",
        "manager",
        "db",
        _hub_form,
        _hub_versions,
        route=_scenario_route,
    ),
    # Scenario page: hub readiness against GIRFT's standards (ui/components/hub_readiness.py)
    Case(
        HubReadinessState, "load", "viewer", "shows", refused=(), page=None, route=_scenario_route
    ),
    Case(
        HubReadinessState,
        "save",
        "manager",
        "db",
        _readiness_form,
        _readiness_versions,
        route=_scenario_route,
    ),
    # Scenario page: validation shares, not treatment (ui/components/validation.py)
    Case(ValidationState, "load", "viewer", "shows", refused=(), page=None, route=_scenario_route),
    Case(
        ValidationState,
        "save",
        "manager",
        "db",
        _validation_form,
        _validation_versions,
        route=_scenario_route,
    ),
    # Scenario page: independent-sector prices (ui/components/independent_prices.py)
    Case(
        IndependentPriceState,
        "load",
        "viewer",
        "shows",
        refused=(),
        page=None,
        route=_scenario_route,
    ),
    Case(
        IndependentPriceState,
        "save",
        "manager",
        "db",
        _price_form,
        _price_versions,
        route=_scenario_route,
    ),
    # Onboarding (administrators)
    Case(
        OnboardingState,
        "open",
        "admin",
        lambda w, text: '"allowed": true' in text,
        page=None,
    ),
    Case(
        OnboardingState,
        "upload",
        "admin",
        lambda w, text: "Monthly Activity Return" in text,
        lambda w: {"files": _mar_upload()},
        page=None,
    ),
    Case(OnboardingState, "run", "admin", "db", setup=_onboarding_files, page=None),
    # Data: imports and exports
    Case(DataState, "load", "viewer", "shows", refused=()),
    Case(
        DataState,
        "choose_scenario",
        "viewer",
        _chose,
        lambda w: {"scenario_id": str(w.draft)},
        refused=(),
    ),
    Case(
        DataState,
        "upload",
        "manager",
        lambda w, text: '"preview_ok": true' in text,
        lambda w: {"files": _upload_file()},
        lambda w: {**_picked(w), DataState: {"kind": "template"}},
    ),
    Case(DataState, "commit", "manager", "db", setup=_uploaded),
    Case(
        DataState,
        "download_table",
        "viewer",
        "download",
        lambda w: {"table": "sites", "fmt": "csv"},
        _picked,
        refused=(),
    ),
    Case(
        DataState,
        "download_scenario",
        "viewer",
        "download",
        lambda w: {"fmt": "xlsx"},
        _picked,
        refused=(),
    ),
    # Rota
    Case(RotaState, "load", "viewer", "shows", refused=()),
    Case(
        RotaState,
        "choose_scenario",
        "viewer",
        _chose,
        lambda w: {"scenario_id": str(w.draft)},
        refused=(),
    ),
    Case(RotaState, "refresh_rota", "viewer", "shows", setup=_picked, refused=()),
    Case(
        RotaState, "build", "workforce_lead", "job", lambda w: {"form_data": _rota_form(w)}, _picked
    ),
    Case(RotaState, "cancel", "workforce_lead", "cancelled", setup=_queued("rota")),
    Case(RotaState, "stop_early", "workforce_lead", _stop_asked, setup=_running_rota),
    Case(
        RotaState,
        "set_bank_holiday_lists",
        "workforce_lead",
        "db",
        lambda w: {"code": "SANDWELL", "checked": True},
        _picked,
    ),
    Case(RotaState, "watch", "viewer", "shows", setup=_finished("rota"), refused=()),
    Case(RotaState, "lock", "workforce_lead", "db", setup=_lock(0)),
    Case(RotaState, "unlock", "workforce_lead", "db", setup=_lock(1, with_outcome=True)),
    Case(
        RotaState, "download", "viewer", "download", lambda w: {"fmt": "csv"}, _picked, refused=()
    ),
    Case(RotaState, "publish", "workforce_lead", "db", setup=_rota_shown),
    Case(
        RotaState,
        "download_published",
        "viewer",
        "download",
        lambda w: {"published_id": str(w.extra["published"]), "fmt": "csv"},
        _published_rota,
        refused=(),
    ),
    # Staff
    Case(StaffState, "load", "viewer", "shows", refused=()),
    Case(
        StaffState,
        "choose_scenario",
        "viewer",
        _chose,
        lambda w: {"scenario_id": str(w.draft)},
        refused=(),
    ),
    Case(
        StaffState,
        "save",
        "workforce_lead",
        "db",
        lambda w: {
            "form": {
                "code": "MOLE-1",
                "label": "Mole",
                "trust": "RBK",
                "home_site": "MANOR",
                "role": "anaesthetist",
                "contract": "consultant_2003",
                "employment": "substantive",
                "sites": "MANOR",
                "hours": "37.5",
            }
        },
        _picked,
    ),
    Case(
        StaffState,
        "remove",
        "workforce_lead",
        "db",
        lambda w: {"code": w.extra["person"]},
        _a_person,
    ),
    Case(
        StaffState,
        "add_leave",
        "workforce_lead",
        "db",
        lambda w: {"form": {"kind": "annual_leave", "start": "2027-03-08", "end": "2027-03-09"}},
        _a_person,
    ),
    Case(
        StaffState,
        "remove_leave",
        "workforce_lead",
        "db",
        lambda w: {"leave_id": str(w.extra["leave"])},
        _a_persons_leave,
    ),
    Case(
        StaffState,
        "save_request",
        "workforce_lead",
        "db",
        lambda w: {"form": {"date": _soon(), "shift": "", "request": "off", "weight": "2"}},
        _a_persons_requests,
    ),
    Case(
        StaffState,
        "remove_request",
        "workforce_lead",
        "db",
        lambda w: {"key": "0"},
        _a_persons_request,
    ),
    Case(
        StaffState, "import_requests", "workforce_lead", "db", _requests_file, _a_persons_requests
    ),
    # Rebalance
    Case(RebalanceState, "load", "viewer", "shows", refused=()),
    Case(
        RebalanceState,
        "choose_scenario",
        "viewer",
        _chose,
        lambda w: {"scenario_id": str(w.draft)},
        refused=(),
    ),
    Case(RebalanceState, "refresh_plan", "viewer", "shows", setup=_picked, refused=()),
    Case(RebalanceState, "run", "manager", "job", setup=_picked),
    Case(RebalanceState, "cancel", "manager", "cancelled", setup=_queued("rebalance")),
    Case(RebalanceState, "watch", "viewer", "shows", setup=_finished("rebalance"), refused=()),
    Case(
        RebalanceState,
        "set_non_admitted",
        "manager",
        _holds('"non_admitted": true'),
        lambda w: {"value": True},
        _picked,
    ),
    Case(
        RebalanceState,
        "set_clinic_factor",
        "manager",
        _holds('"clinic_factor": "1.7"'),
        lambda w: {"value": "1.7"},
        _picked,
    ),
    Case(
        RebalanceState,
        "download_moves",
        "viewer",
        "download",
        lambda w: {"fmt": "csv"},
        _picked,
        refused=(),
    ),
    Case(
        RebalanceState,
        "save_as_scenario",
        "manager",
        "db",
        lambda w: {"form": {"name": "Copied plan"}},
        _picked,
    ),
    # Scenarios
    Case(
        ScenariosState,
        "create",
        "manager",
        "db",
        lambda w: {"form": {"source": str(w.baseline), "name": "Stolen copy"}},
    ),
    _scenario_case(
        "open",
        "viewer",
        refused=(),
        effect=lambda w, text: f'"_scenario_id": {w.draft}, "conflict"' in text,
    ),
    _scenario_case(
        "refresh_impact",
        "viewer",
        refused=(),
        effect=lambda w, text: "Effect by" in text,
    ),
    _scenario_case(
        "save_cell",
        "manager",
        lambda w: {
            "site_id": str(_cannock(w).site_id),
            "field": "theatres",
            "value": "13",
            "version": str(_cannock(w).theatre_version),
        },
    ),
    _scenario_case("save_figure", "manager", _case_mix_edit),
    _scenario_case("undo", "manager"),
    _scenario_case(
        "add_site",
        "manager",
        lambda w: {
            "form": {
                "code": "EVIL",
                "name": "Evil hub",
                "operator": "RNA",
                "hub": "on",
                "theatres": "9",
                "sessions": "10",
                "beds": "1",
                "day_case": "1",
                "tfcs": "C_110",
            }
        },
    ),
    _scenario_case(
        "remove_site",
        "manager",
        lambda w: {
            "site_id": str(_cannock(w).site_id),
            "version": str(_cannock(w).theatre_version),
        },
    ),
    _scenario_case("submit_for_approval", "manager"),
    _scenario_case("approve", "executive", submitted=True),
    _scenario_case("reject", "executive", submitted=True),
    _scenario_case("rename", "manager", lambda w: {"form": {"name": "Hijacked"}}),
    _scenario_case("archive", "manager"),
    _scenario_case("comment", "manager", lambda w: {"form": {"body": "spam"}}),
    _scenario_case("branch", "manager", lambda w: {"form": {"name": "Stolen copy"}}),
    # The scenario's calendar (ui/components/calendar.py)
    _calendar_case("load", "viewer", "shows", refused=(), page=None),
    _calendar_case(
        "add_change",
        "manager",
        "db",
        lambda w: {
            "form": {"kind": "closed", "site": "CANNOCK", "first_week": "1", "last_week": "2"}
        },
    ),
    _calendar_case(
        "remove_change",
        "manager",
        "db",
        lambda w: {"change_id": str(w.extra["calendar_line"])},
        setup=_calendar_line,
    ),
    # Users
    Case(
        UsersState,
        "add",
        "admin",
        "db",
        lambda w: {
            "form": {
                "email": "mole@evil.test",
                "name": "Mole",
                "role": "admin",
                "password": "a long enough password",
            }
        },
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "set_role",
        "admin",
        "db",
        lambda w: {"email": w.emails["viewer"], "role": "admin"},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "set_active",
        "admin",
        "db",
        lambda w: {"email": w.emails["viewer"], "active": False},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "remove",
        "admin",
        "db",
        lambda w: {"email": w.emails["viewer"]},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    # Your account: every signed-in user acts on their own account and sessions only
    Case(AccountState, "load", "viewer", _lists_sessions, refused=(), page=None),
    Case(
        AccountState,
        "change_password",
        "viewer",
        "db",
        lambda w: {
            "form": {
                "current_password": VIEWERS_OWN_PASSWORD,
                "new_password": "attacker chosen password",
                "confirm_password": "attacker chosen password",
            }
        },
        _viewer_password,
        refused=(),
    ),
    Case(
        AccountState,
        "end_session",
        "viewer",
        "db",
        lambda w: {"form": {"session_id": str(w.extra["elsewhere"])}},
        _viewer_elsewhere,
        refused=(),
    ),
    Case(AccountState, "end_other_sessions", "viewer", "db", setup=_viewer_elsewhere, refused=()),
    Case(AccountState, "start_totp", "viewer", _shows_a_new_key, refused=(), page=None),
    Case(
        AccountState,
        "confirm_totp",
        "viewer",
        "db",
        lambda w: {"form": {"code": pyotp.TOTP(TOTP_KEY).now()}},
        _viewers_totp_key,
        refused=(),
        page=None,
    ),
    Case(
        UsersState,
        "set_require_totp",
        "admin",
        "db",
        lambda w: {"required": True},
        _totp_on("admin"),
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "reset_two_step",
        "admin",
        "db",
        lambda w: {"email": w.emails["viewer"]},
        _totp_on("viewer"),
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "add_sso_rule",
        "admin",
        "db",
        lambda w: {"form": {"domain": "sso.test", "role": "manager"}},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "remove_sso_rule",
        "admin",
        "db",
        lambda w: {"rule_id": str(w.extra["rule"])},
        _domain_rule,
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
    Case(
        UsersState,
        "reset_password",
        "admin",
        "db",
        lambda w: {"form": {"email": w.emails["manager"], "password": "attacker chosen password"}},
        viewer_secrets=_members_but_viewer,
        page=None,
    ),
]

PUBLIC: dict[str, str] = {
    "LoginState.submit": "the sign-in form: checks a password, sets only the caller's own cookie",
    "LoginState.load": "the sign-in page: whether single sign-on is set up; reads no data",
    "LoginState.start_single_sign_on": "sends the caller's own browser to the identity provider",
    "SessionState.choose_collaborative": "navigation among the caller's own memberships",
    "ScenarioRoom.leave": "unlinks this tab from its room; reads and writes no data",
    "ScenarioRoom.heartbeat": "keeps the caller's own joined tab listed; reads no data",
    "ScenariosState.toggle": "ticks an id in the tab for comparison; reads no data",
    "ScenariosState.compare": "navigation to /compare (CompareState.load checks the ids)",
    "ScenarioPageState.set_decision_note": "keeps the note typed into the tab",
    "DataState.choose_kind": "chooses the kind of file in the tab",
    "DataState.set_ics": "keeps the ICB code typed into the tab",
    "OnboardingState.set_ics": "keeps the ICB code typed into the tab (onboard checks it)",
    "OnboardingState.set_trusts": "keeps the trusts typed into the tab (onboard checks them)",
    "RebalanceState.set_weeks": "form field kept in the tab (start_job validates it)",
    "RebalanceState.set_target_wait": "form field kept in the tab (start_job validates it)",
    "RebalanceState.set_max_travel": "form field kept in the tab (start_job validates it)",
    "RebalanceState.set_time_limit": "form field kept in the tab (start_job validates it)",
    "StaffState.edit": "fills the form from the staff already in the tab; no service",
    "StaffState.new_person": "empties the form in the tab",
    "StaffState.show_leave": "shows leave already in the tab; no service",
    "StaffState.set_filter": "display filter over the staff already in the tab",
    "StaffState.show_requests": "shows requests already in the tab; no service",
    "StaffState.choose_request": "fills the request form from requests already in the tab",
    "StaffState.new_request": "empties the request form in the tab",
    "RotaState.set_view": "display toggle",
    "RotaState.set_role_filter": "display filter: redraws the rota already in the tab",
    "RotaState.set_only_rostered": "display filter: redraws the rota already in the tab",
    "RotaState.show_week": "display: redraws another week of the rota already in the tab",
    "RotaState.pick_cell": "opens the lock panel from the rota already in the tab; no service",
    "RotaState.set_lock_choice": "lock panel field kept in the tab (set_lock checks it)",
    "RotaState.close_lock": "closes the lock panel",
}
HOLES: dict[str, str] = {}
"""Cases that reveal a hole in the app: strict xfails, to be removed with the fix."""

COVERED_ELSEWHERE: dict[str, str] = {
    "SessionState.sign_out": "test_sign_out_forgets_everything",
    **{f"{cls.__name__}.setvar": "test_setvar_reaches_only_setters" for cls in app_states()},
}


def _cases_by_name() -> dict[str, Case]:
    return {c.name: c for c in CASES}


def _params() -> list:
    out = []
    for case in CASES:
        whos = ["anonymous", "outsider"] + [w for w in case.refused if w != case.allowed]
        out.extend(
            pytest.param(
                case.name,
                who,
                id=f"{case.name}-{who}",
                marks=[pytest.mark.xfail(strict=True, reason=HOLES[f"{case.name}-{who}"])]
                if f"{case.name}-{who}" in HOLES
                else [],
            )
            for who in whos
        )
    return out


# --- The generic checkers ----------------------------------------------------------------------


@dataclass
class Outcome:
    before: dict
    after: dict
    jobs_before: list
    jobs_after: list
    tree: str
    seen: str
    downloads: list[str]
    known: str  # what the tab had before the event, and what the test gave it
    errors: list[str]  # handlers that raised during the event (Reflex logs them, toasts)


async def _fresh_tree_text() -> str:
    from reflex.istate.manager.memory import StateManagerMemory

    browser = Browser(StateManagerMemory(), "")
    return await browser.tree_text()


def send_case(world: World, case: Case, who: str) -> Outcome:
    """Loads the case's page as `who`, puts the setup in place, sends the event once."""
    from reflex.istate.manager.memory import StateManagerMemory

    token = world.token(who)
    setup = case.setup(world)
    if who in ("anonymous", "outsider"):  # the tab also claims to be the victim's administrator
        claim = {"id": str(world.collaborative), "code": "BCPC", "name": "", "role": "admin"}
        setup = {SessionState: {"memberships": [claim], "signed_in": True}, **setup}
    payload = case.payload(world)

    async def run() -> Outcome:
        browser = Browser(StateManagerMemory(), token)
        browser.path, browser.query = case.route(world)
        await browser.start()
        await browser.send(SessionState, "require_sign_in")
        if case.page and case.page in case.cls.event_handlers:
            await browser.send(case.cls, case.page)
        await browser.put(setup)
        known = await _fresh_tree_text() + json.dumps(
            [payload, {c.__name__: v for c, v in setup.items()}], default=repr
        )
        browser.seen.clear()
        browser.errors.clear()
        before, jobs_before = snapshot(world.url), jobs_rows(world.url)
        await browser.send(case.cls, case.handler, payload)
        after, jobs_after = snapshot(world.url), jobs_rows(world.url)
        return Outcome(
            before,
            after,
            jobs_before,
            jobs_after,
            await browser.tree_text(),
            browser.seen_text(),
            browser.downloads(),
            known,
            browser.errors,
        )

    return run_async(run())


def assert_refused(world: World, case: Case, who: str, outcome: Outcome) -> None:
    assert outcome.jobs_after == outcome.jobs_before, f"{who} queued or moved a job"
    assert not changed_tables(outcome.before, outcome.after), (
        f"{who} changed {changed_tables(outcome.before, outcome.after)} through {case.name}"
    )
    reached = outcome.tree + "\n" + outcome.seen
    if who in ("anonymous", "outsider"):
        secrets = world.victim - set(found(world.victim, outcome.known))
    else:
        secrets = set(case.viewer_secrets(world)) if case.viewer_secrets else set()
    leaked = found(secrets, reached)
    assert not leaked, f"{case.name} gave the {who} the victim's {leaked[:8]}"
    # A refusal is the services' answer, not a crash that happens to change nothing.
    assert not outcome.errors, f"{case.name} crashed for the {who}: {outcome.errors}"


def assert_took_effect(world: World, case: Case, outcome: Outcome) -> None:
    effect = case.effect
    if effect == "db":
        assert changed_tables(outcome.before, outcome.after), f"{case.name} changed nothing"
    elif effect == "job":
        new = set(outcome.jobs_after) - set(outcome.jobs_before)
        assert [j for j in new if j[2] == "queued"], f"{case.name} queued no job"
    elif effect == "cancelled":
        assert _cancelled(world), f"{case.name} did not cancel the job"
    elif effect == "download":
        assert found(world.victim, "\n".join(outcome.downloads)), f"{case.name} sent no file"
    elif effect == "shows":
        assert found(world.victim - set(found(world.victim, outcome.known)), outcome.tree), (
            f"{case.name} showed nothing of the scenario"
        )
    else:
        assert effect(world, outcome.tree), f"{case.name} did not do what it should"


# --- The tests ---------------------------------------------------------------------------------


def test_every_handler_is_public_or_covered() -> None:
    """A new handler fails this test until it is reviewed as public or given refusal cases."""
    handlers = registered_handlers()
    covered = set(_cases_by_name()) | set(COVERED_ELSEWHERE)
    missing = [h for h in handlers if h not in PUBLIC and h not in covered]
    assert not missing, f"handlers neither public nor covered: {missing}"
    stale = sorted((set(PUBLIC) | set(_cases_by_name())) - set(handlers))
    assert not stale, f"listed handlers that Reflex does not register: {stale}"
    assert not set(PUBLIC) & set(_cases_by_name()), "a handler is both public and covered"
    # The registry walk itself: background and upload handlers are among those found.
    assert {"RotaState.watch", "RebalanceState.watch", "DashboardState.run_projection"} <= set(
        handlers
    )
    assert "DataState.upload" in handlers
    assert len(CASES) == len(_cases_by_name()), "a handler has two case entries"


@pytest.mark.parametrize(("handler", "who"), _params())
def test_event_is_refused(world: World, handler: str, who: str) -> None:
    """Sent by an attacker: nothing changes, no job moves, nothing of the victim comes back."""
    case = _cases_by_name()[handler]
    assert_refused(world, case, who, send_case(world, case, who))


@pytest.mark.parametrize("handler", [pytest.param(c.name, id=f"{c.name}-allowed") for c in CASES])
def test_event_works_for_an_allowed_role(world: World, handler: str) -> None:
    """Control: the same event from a role that may send it does what it should."""
    case = _cases_by_name()[handler]
    assert_took_effect(world, case, send_case(world, case, case.allowed))


@pytest.mark.parametrize(
    "state_cls", [pytest.param(c, id=f"{c.__name__}.setvar") for c in app_states()]
)
def test_setvar_reaches_only_setters(world: World, state_cls: type) -> None:
    """Reflex's generic `setvar` event calls `set_<name>` and nothing else.

    So it can reach only the state's own `set_*` handlers (each public or covered above): it
    cannot set a backend var, a picker choice or a scenario id the server has not accepted.
    """
    from reflex.istate.manager.memory import StateManagerMemory

    names = [
        n
        for n in [
            *state_cls.get_fields(),
            *("_scenario_id", "_job_id", "_upload_path", "_outcome", "scenario_id", "chosen"),
        ]
        if not hasattr(state_cls, f"set_{n}")  # a setter handler: public or covered above
    ]

    async def run() -> list[str]:
        browser = Browser(StateManagerMemory(), world.token("outsider"))
        await browser.start()
        set_anyway = []
        for name in names:
            try:
                await browser.send(state_cls, "setvar", {"var_name": name, "value": world.draft})
            except Exception:
                continue

            async def value(root, name=name):
                return getattr(await root.get_state(state_cls), name, None)

            if await browser.read(value) == world.draft:
                set_anyway.append(name)
        return set_anyway

    before = snapshot(world.url)
    assert run_async(run()) == []
    assert snapshot(world.url) == before


def test_choose_scenario_keeps_no_foreign_id(world: World) -> None:
    """Every page's choose_scenario, sent by an outsider with the victim's id, leaves the picker
    on the outsider's own accepted scenario."""
    from reflex.istate.manager.memory import StateManagerMemory

    pages = [c for c in app_states() if "choose_scenario" in c.event_handlers]
    assert {p.__name__ for p in pages} >= {
        "RotaState",
        "RebalanceState",
        "DashboardState",
        "DataState",
    }

    async def run() -> list[tuple[str, int, str]]:
        browser = Browser(StateManagerMemory(), world.token("outsider"))
        await browser.start()
        await browser.send(SessionState, "require_sign_in")
        out = []
        for page in pages:
            await browser.send(page, "load")
            await browser.send(page, "choose_scenario", {"scenario_id": str(world.draft)})

            async def picked(root):
                picker = await root.get_state(ScenarioPicker)
                return picker._scenario_id, picker.chosen

            out.append((page.__name__, *await browser.read(picked)))
        return out

    for page, accepted, chosen in run_async(run()):
        assert accepted == world.foreign and chosen == str(world.foreign), page


def test_the_rota_form_refuses_unknown_oversized_and_repeated_fields(world: World) -> None:
    """A workforce lead's rota build is refused, with nothing queued and the reason shown, when
    the submitted form has a field it does not have, a value too long or not text, a field twice
    or more fields than it has; the same form without the fault queues the build (the control)."""
    from reflex.istate.manager.memory import StateManagerMemory
    from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

    def entries(*extra: tuple[str, Any]) -> dict[str, Any]:
        return {FORM_DATA_ENTRIES_KEY: [*map(list, _rota_form(world).items()), *map(list, extra)]}

    refused = {
        "has no field 'admin'": _rota_form(world, admin="1"),
        "at most 40 characters": _rota_form(world, weeks="1" * 41),
        "Field 'site': give text": _rota_form(world, site=["SANDWELL"]),
        "sent more than once": entries(("weeks", "2")),
        f"more than {MAX_ITEMS} fields": entries(*[("site", f"S{i}") for i in range(40)]),
        "Time limit: '601'": _rota_form(world, time_limit="601"),
    }

    async def run() -> tuple[list[tuple[str, str, str]], list[str]]:
        browser = Browser(StateManagerMemory(), world.token("workforce_lead"))
        await browser.start()
        await browser.send(SessionState, "require_sign_in")
        await browser.send(RotaState, "load")
        await browser.put(_picked(world))
        shown = []
        for expected, form in refused.items():
            await browser.send(RotaState, "build", {"form_data": form}, follow=False)

            async def error(root) -> tuple[str, str]:
                rota = await root.get_state(RotaState)
                return rota.form_error, rota.weeks

            shown.append((expected, *await browser.read(error)))
        return shown, browser.errors

    before = jobs_rows(world.url)
    shown, errors = run_async(run())
    assert errors == []
    for expected, message, _weeks in shown:
        assert expected in message, (expected, message)
    assert jobs_rows(world.url) == before
    # A refused form's values are kept once read (the time limit's refusal), not before.
    assert [weeks for *_, weeks in shown] == ["2", "2", "2", "2", "2", "1"]


def test_the_rota_grid_follows_the_filters_and_the_outcome(world: World) -> None:
    """The grid is drawn from the rota shown and the filters: a week, role or "rostered" change
    and a new rota each change it (and its delta reaches the browser), other events do not, and
    the tab's state still pickles for the Redis state manager."""
    from reflex.istate.manager.memory import StateManagerMemory

    async def grid(root) -> tuple[int, tuple[str, ...], str]:
        rota = await root.get_state(RotaState)
        return len(rota.grid), tuple(c.text for r in rota.grid for c in r.cells), rota.week_count

    async def run() -> dict[str, Any]:
        browser = Browser(StateManagerMemory(), world.token("workforce_lead"))
        await browser.start()
        await browser.send(SessionState, "require_sign_in")
        await browser.send(RotaState, "load")
        await browser.put(_finished("rota")(world))
        await browser.send(RotaState, "refresh_rota")
        seen: dict[str, Any] = {"built": await browser.read(grid)}
        await browser.send(RotaState, "set_only_rostered", {"value": False})
        seen["everyone"] = await browser.read(grid)
        before = len(browser.seen)
        await browser.send(RotaState, "set_role_filter", {"value": "ward_nurse"})
        seen["nurses"] = await browser.read(grid)
        seen["filtered"] = [repr(d) for d in browser.seen[before:]]
        before = len(browser.seen)
        await browser.send(RotaState, "set_view", {"value": "hub"})
        seen["unrelated"] = [repr(d) for d in browser.seen[before:]]
        await browser.put({RotaState: {"_outcome": None}})
        seen["no rota"] = await browser.read(grid)
        await browser.send(RotaState, "refresh_rota")
        seen["rebuilt"] = await browser.read(grid)

        async def pickled(root) -> tuple[int, int]:
            rota = await root.get_state(RotaState)
            copy = RotaState._deserialize(rota._serialize())  # as the Redis manager stores it
            return len(rota.grid), len(copy.grid)

        seen["pickled"] = await browser.read(pickled)
        return seen

    seen = run_async(run())
    built, everyone, nurses = seen["built"], seen["everyone"], seen["nurses"]
    assert built[0] > 0, "control: the finished rota is drawn"
    assert everyone[0] > built[0], "everyone, not only the rostered"
    assert 0 < nurses[0] < everyone[0], "ward nurses only"
    assert any("'grid" in d for d in seen["filtered"]), "control: a filter sends the grid"
    assert not any("'grid" in d for d in seen["unrelated"]), "the view switch sends no grid"
    assert seen["no rota"][0] == 0
    assert seen["rebuilt"][0] == nurses[0] and seen["rebuilt"][1] == nurses[1]
    assert seen["pickled"][0] == seen["pickled"][1] == nurses[0]


def test_cancel_by_any_means_leaves_the_victims_job(world: World) -> None:
    """An outsider cannot cancel the victim's queued job: not with the page's backend var set to
    it, not through `setvar`, not through the job service directly."""
    from ics_capacity.services.errors import ServiceError

    for case in (_cases_by_name()["RotaState.cancel"], _cases_by_name()["RebalanceState.cancel"]):
        outcome = send_case(world, case, "outsider")
        job = world.extra["job"]
        assert (job, case.cls.__name__ == "RotaState" and "rota" or "rebalance", "queued") in [
            (j[0], j[1], j[2]) for j in outcome.jobs_after
        ]
        with pytest.raises(ServiceError):
            jobs.cancel_job(world.token("outsider"), job)
        with pytest.raises(ServiceError):
            jobs.cancel_job("", job)
        assert (job, "queued") in [(j[0], j[2]) for j in jobs_rows(world.url)]


async def _in_room(manager, world: World, who: str) -> Browser:
    """A browser of `who` on the draft's page, signed in, that has asked to join its room."""
    browser = Browser(manager, world.token(who))
    browser.path, browser.query = _scenario_route(world)
    await browser.start()
    await browser.send(SessionState, "require_sign_in")
    await browser.send(ScenarioRoom, "join")
    return browser


def test_room_refuses_a_foreign_viewer_while_a_member_is_in_it(world: World) -> None:
    """With a member in the victim's room, an outsider's join is not linked and sees no rows."""
    from reflex.istate.manager.memory import StateManagerMemory

    async def run() -> tuple[str, str, list]:
        manager = StateManagerMemory()
        member = await _in_room(manager, world, "manager")
        attacker = await _in_room(manager, world, "outsider")
        await attacker.send(ScenarioRoom, "join_scenario", {"scenario_id": world.draft})

        async def room(root):
            r = await root.get_state(ScenarioRoom)
            return r._linked_to, sorted(r._present_by_client), list(r.rows)

        member_room = await member.read(room)
        assert member_room[0] == room_token(world.draft) and member_room[2], "control"
        return await attacker.read(room), await attacker.tree_text() + attacker.seen_text()

    (linked, _present, rows), text = run_async(run())
    assert linked == "" and rows == []
    assert not found(world.victim, text)


def test_heartbeat_drops_closed_tabs_and_an_outsiders_beat_changes_nothing(
    world: World,
) -> None:
    """A tab unheard for longer than the presence timeout leaves the room's list at the next
    member's heartbeat; an outsider who never joined cannot add or keep anyone."""
    from reflex.istate.manager.memory import StateManagerMemory

    async def run() -> tuple[list[str], list[str], str, str]:
        manager = StateManagerMemory()
        member = await _in_room(manager, world, "manager")
        await _in_room(manager, world, "viewer")  # a tab that will close without a word

        async def names(root) -> list[str]:
            return list((await root.get_state(ScenarioRoom)).present)

        both = await member.read(names)

        async def age(root) -> None:  # the viewer's tab went silent two minutes ago
            room = await root.get_state(ScenarioRoom)
            for person in room._present_by_client.values():
                if person["user_id"] != auth.current_principal(world.token("manager")).user_id:
                    person["seen"] -= 120

        await member.read(age)
        attacker = Browser(manager, world.token("outsider"))
        attacker.path, attacker.query = _scenario_route(world)
        await attacker.start()
        await attacker.send(ScenarioRoom, "heartbeat", {"_tick": "x"})
        await member.send(ScenarioRoom, "heartbeat", {"_tick": "x"})

        async def linked(root) -> str:
            return (await root.get_state(ScenarioRoom))._linked_to

        return (
            both,
            await member.read(names),
            await attacker.read(linked),
            (await attacker.tree_text() + attacker.seen_text()),
        )

    both, after, attacker_link, text = run_async(run())
    assert len(both) == 2, "control: both tabs listed"
    assert len(after) == 1 and after != both
    assert attacker_link == ""
    assert not found(world.victim, text)


async def _loaded(root) -> tuple:
    return (
        bool((await root.get_state(UsersState)).members),
        bool((await root.get_state(AuditState)).rows),
        bool((await root.get_state(RotaState)).grid),
        (await root.get_state(ScenarioRoom))._linked_to,
    )


async def _admin_tab(world: World, manager) -> Browser:
    """An administrator's tab with the Users, Audit and Rota pages loaded, in the draft's room."""
    admin = Browser(manager, world.token("admin"))
    await admin.start()
    await admin.send(SessionState, "require_sign_in")
    for page in (UsersState, AuditState, RotaState):
        await admin.send(page, "load")  # the rota page also joins the scenario's room
    await admin.put(_finished("rota")(world))
    await admin.send(RotaState, "refresh_rota")
    assert await admin.read(_loaded) == (True, True, True, room_token(world.draft)), "control"
    return admin


async def _room_members(world: World, manager) -> list[str]:
    from reflex.istate.manager.token import BaseStateToken

    root = await manager.get_state(BaseStateToken(ident=room_token(world.draft), cls=ScenarioRoom))
    return sorted((await root.get_state(ScenarioRoom))._present_by_client)


def test_sign_out_forgets_everything(world: World) -> None:
    """After sign-out no state of the tab holds members, audit rows, a rota or a room."""
    from reflex.istate.manager.memory import StateManagerMemory

    async def run() -> tuple:
        manager = StateManagerMemory()
        admin = await _admin_tab(world, manager)
        before = await admin.tree_text()
        await admin.send(SessionState, "sign_out")
        after = await admin.tree_text()
        return before, after, await admin.read(_loaded), await _room_members(world, manager), admin

    before, after, loaded, present, admin = run_async(run())
    assert present == [], "the tab is still listed in the scenario's room"
    assert found(world.victim, before), "control: the tab held the collaborative's data"
    assert loaded == (False, False, False, ""), admin.errors
    assert not found(world.victim, after)
    assert "/login" in admin.seen_text()


def test_an_ended_session_forgets_everything(world: World) -> None:
    """When the session has ended (signed out elsewhere, password reset), the next page load's
    sign-in check empties the tab and leaves the room before sending the user to sign in."""
    from reflex.istate.manager.memory import StateManagerMemory

    async def run() -> tuple:
        manager = StateManagerMemory()
        admin = await _admin_tab(world, manager)
        auth.sign_out(world.token("admin"))  # e.g. from another tab
        await admin.send(SessionState, "require_sign_in")
        after = await admin.tree_text()
        return after, await admin.read(_loaded), await _room_members(world, manager), admin

    after, loaded, present, admin = run_async(run())
    assert present == [], "the tab is still listed in the scenario's room"
    assert loaded == (False, False, False, ""), admin.errors
    assert not found(world.victim, after)
    assert "/login" in admin.seen_text()
