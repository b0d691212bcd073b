"""Every state-changing event handler is refused, with nothing changed, when sent directly.

Events are sent straight to the handlers of the app's real state tree (the function Reflex's event
processor calls), not through the UI, as three kinds of attacker: a viewer of the collaborative,
a manager of another collaborative, and an anonymous client with no session. Each case also runs
as a user whose role allows it, to prove the same event does change the database (so the refusal
is the server's doing, not a broken test).
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

import ics_capacity.ics_capacity  # noqa: F401  (registers every page's state)
from ics_capacity.db.models import (
    AuditEvent,
    BedCapacity,
    Membership,
    RotaLock,
    RotaStaff,
    Scenario,
    ScenarioComment,
    SolveJob,
    TheatreCapacity,
    UserAccount,
)
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services import scenarios as sc
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.editing import read_case_mix
from ics_capacity.services.rota import next_monday, set_lock
from ics_capacity.ui.pages.audit import AuditState
from ics_capacity.ui.pages.overview import OverviewState
from ics_capacity.ui.pages.rebalance import RebalanceState
from ics_capacity.ui.pages.rota import RotaState
from ics_capacity.ui.pages.scenario import ScenarioPageState
from ics_capacity.ui.pages.scenarios import ScenariosState
from ics_capacity.ui.pages.users import UsersState
from ics_capacity.ui.state.picker import ScenarioPicker
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.security

ATTACKERS = ("viewer", "outsider", "anonymous")
SNAPSHOT_TABLES = (
    SolveJob,
    Scenario,
    TheatreCapacity,
    BedCapacity,
    ScenarioComment,
    AuditEvent,
    Membership,
    UserAccount,
    RotaLock,
)


@dataclass
class World:
    """The demo database with a draft and a submitted scenario of the demo collaborative."""

    url: str
    emails: dict[str, str]
    baseline: int
    draft: int
    submitted: int
    cannock: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _jobs_stay_queued():
    """A started job is only queued here: the tests look at what the event changed."""
    from ics_capacity.services import jobs

    jobs.set_dispatcher(lambda job_id: None)
    yield
    jobs.set_dispatcher(None)


@pytest.fixture
def world(app_db) -> World:
    url, emails = app_db
    manager = auth.sign_in(emails["manager"], TEST_PASSWORD)
    with unit_of_work(url) as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    draft = sc.create_scenario(manager, baseline, "Draft plan")
    submitted = sc.create_scenario(manager, baseline, "Submitted plan")
    sc.submit_scenario(manager, submitted, 1)
    walsall = next(r for r in read_site_capacity(manager, draft) if r.code == "MANOR")
    # The manager's own last change, so that "undo" has something to revert.
    update_site_capacity(manager, draft, walsall.site_id, "theatres", "8", walsall.theatre_version)
    cannock = next(r for r in read_site_capacity(manager, draft) if r.code == "CANNOCK")
    world = World(url, emails, baseline, draft, submitted, cannock)
    world.extra["case_mix"] = read_case_mix(manager, draft)[0]
    with unit_of_work(url) as session:
        codes = session.execute(
            sa.select(RotaStaff.code).where(RotaStaff.scenario_id == draft).order_by(RotaStaff.code)
        ).scalars()
        world.extra["staff"] = list(codes)[:2]
    # A lock for the "unlock" case to remove (a day off for the second person).
    world.extra["date"] = next_monday().isoformat()
    lead = auth.sign_in(emails["workforce_lead"], TEST_PASSWORD)
    set_lock(lead, draft, world.extra["staff"][1], next_monday(), "", expected=None)
    return world


def run_async(coroutine) -> Any:  # noqa: ANN001
    """Runs a coroutine on a fresh event loop in its own thread.

    The browser tests' Playwright keeps an event loop in the main thread, so `asyncio.run` there
    would fail when both kinds of test share a pytest run.
    """
    context = contextvars.copy_context()  # Reflex's registration context, among others
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of the tables an attacker might want to change."""
    with unit_of_work(url) as session:
        return {
            t.__tablename__: sorted(
                tuple(str(v) for v in row) for row in session.execute(sa.select(t.__table__)).all()
            )
            for t in SNAPSHOT_TABLES
        }


def token_of(world: World, who: str) -> str:
    return "" if who == "anonymous" else auth.sign_in(world.emails[who], TEST_PASSWORD)


def send(
    token: str, state_cls: type, handler: str, payload: dict, room_token: str = "", **state_vars
) -> Any:
    """Sends one event to a fresh client's state tree, as the event processor would.

    With `room_token`, the scenario's room is first filled as a member would see it, so the
    attacker knows the current versions (the most an attacker could know).
    """
    from reflex.state import State

    async def run() -> Any:
        root = State(_reflex_internal_init=True)
        session = await root.get_state(SessionState)
        session.token = token
        SessionState.event_handlers["require_sign_in"].fn(session)  # every page's first on_load
        if room_token and "scenario_id" in state_vars:
            room = await root.get_state(ScenarioRoom)
            room._refresh(room_token, int(state_vars["scenario_id"]))
            room.rows = []
        target = await root.get_state(state_cls)
        for name, value in state_vars.items():
            if name == "scenario_id":
                # The worst case: as if the scenario had been accepted for this client (the
                # picker never accepts a foreign one; the services must refuse anyway).
                picker = await root.get_state(ScenarioPicker)
                picker._scenario_id = int(value)
                if state_cls is ScenarioPageState:
                    target._scenario_id = int(value)
                continue
            setattr(target, name, value)
        result = await state_cls.event_handlers[handler].fn(target, **payload)
        return result, target

    return run_async(run())


def _cases(world: World) -> dict[str, tuple]:
    """handler id -> (state class, handler, payload, state vars, who may do it)."""
    c = world.cannock
    page = {"scenario_id": world.draft}
    case_mix = world.extra["case_mix"]
    return {
        "rebalance_run": (RebalanceState, "run", {}, {"scenario_id": str(world.draft)}, "manager"),
        "rota_build": (
            RotaState,
            "build",
            {},
            {
                "scenario_id": str(world.draft),
                "chosen_sites": ["SANDWELL"],
                "start_date": world.extra["date"],
                "weeks": "1",
            },
            "workforce_lead",
        ),
        "rota_lock": (
            RotaState,
            "lock",
            {},
            {
                "scenario_id": str(world.draft),
                "lock_staff": world.extra["staff"][0],
                "lock_date": world.extra["date"],
                "lock_choice": "off",
            },
            "workforce_lead",
        ),
        "rota_unlock": (
            RotaState,
            "unlock",
            {},
            {
                "scenario_id": str(world.draft),
                "lock_staff": world.extra["staff"][1],
                "lock_date": world.extra["date"],
                "_outcome": {
                    "dates": [world.extra["date"]],
                    "staff": [],
                    "locked": [{"staff_id": world.extra["staff"][1], "day": 0, "shift_id": None}],
                },
            },
            "workforce_lead",
        ),
        "save_figure": (
            ScenarioPageState,
            "save_figure",
            {
                "entity": "case_mix",
                "row_id": str(case_mix.id),
                "field": "minutes_per_case",
                "value": "999",
                "version": str(case_mix.version),
            },
            page,
            "manager",
        ),
        "undo": (ScenarioPageState, "undo", {}, page, "manager"),
        "add_site": (
            ScenarioPageState,
            "add_site",
            {
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
            page,
            "manager",
        ),
        "remove_site": (
            ScenarioPageState,
            "remove_site",
            {"site_id": str(c.site_id), "version": str(c.theatre_version)},
            page,
            "manager",
        ),
        "save_cell": (
            ScenarioPageState,
            "save_cell",
            {
                "site_id": str(c.site_id),
                "field": "theatres",
                "value": "13",
                "version": str(c.theatre_version),
            },
            page,
            "manager",
        ),
        "submit_for_approval": (ScenarioPageState, "submit_for_approval", {}, page, "manager"),
        "approve": (
            ScenarioPageState,
            "approve",
            {},
            {"scenario_id": world.submitted},
            "executive",
        ),
        "reject": (ScenarioPageState, "reject", {}, {"scenario_id": world.submitted}, "executive"),
        "rename": (ScenarioPageState, "rename", {"form": {"name": "Hijacked"}}, page, "manager"),
        "archive": (ScenarioPageState, "archive", {}, page, "manager"),
        "comment": (ScenarioPageState, "comment", {"form": {"body": "spam"}}, page, "viewer+"),
        "branch": (ScenarioPageState, "branch", {"form": {"name": "Stolen copy"}}, page, "manager"),
        "create": (
            ScenariosState,
            "create",
            {"form": {"source": str(world.baseline), "name": "Stolen copy 2"}},
            {},
            "manager",
        ),
        "add_member": (
            UsersState,
            "add",
            {
                "form": {
                    "email": "mole@evil.test",
                    "name": "Mole",
                    "role": "admin",
                    "password": "a long enough password",
                }
            },
            {},
            "admin",
        ),
        "set_role": (
            UsersState,
            "set_role",
            {"email": world.emails["viewer"], "role": "admin"},
            {},
            "admin",
        ),
        "reset_password": (
            UsersState,
            "reset_password",
            {"form": {"email": world.emails["manager"], "password": "attacker chosen password"}},
            {},
            "admin",
        ),
    }


HANDLERS = [
    "rebalance_run",
    "rota_build",
    "rota_lock",
    "rota_unlock",
    "save_figure",
    "undo",
    "add_site",
    "remove_site",
    "save_cell",
    "submit_for_approval",
    "approve",
    "reject",
    "rename",
    "archive",
    "comment",
    "branch",
    "create",
    "add_member",
    "set_role",
    "reset_password",
]


def _allowed(who: str, rule: str) -> bool:
    if rule == "viewer+":  # commenting: every role but viewer
        return who not in ("viewer", "outsider", "anonymous")
    return who == rule


@pytest.mark.parametrize("who", ATTACKERS)
@pytest.mark.parametrize("handler_id", HANDLERS)
def test_state_changing_event_is_refused(world: World, handler_id: str, who: str) -> None:
    """The event is refused for a viewer, an outsider and an anonymous client; nothing changes."""
    state_cls, handler, payload, state_vars, rule = _cases(world)[handler_id]
    assert not _allowed(who, rule)
    before = snapshot(world.url)
    result, _ = send(
        token_of(world, who),
        state_cls,
        handler,
        payload,
        room_token=token_of(world, "admin"),
        **state_vars,
    )
    assert snapshot(world.url) == before, f"{who} changed the database through {handler}"
    assert result is not None, "a refusal must tell the browser (toast or sign-in redirect)"


@pytest.mark.parametrize("handler_id", HANDLERS)
def test_same_event_works_for_an_allowed_role(world: World, handler_id: str) -> None:
    """Control: the same event from a role that may do it does change the database."""
    state_cls, handler, payload, state_vars, rule = _cases(world)[handler_id]
    who = "manager" if rule == "viewer+" else rule
    before = snapshot(world.url)
    send(
        token_of(world, who),
        state_cls,
        handler,
        payload,
        room_token=token_of(world, "admin"),
        **state_vars,
    )
    assert snapshot(world.url) != before


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_joining_another_collaboratives_room_is_refused(world: World, who: str) -> None:
    """An outsider or anonymous client cannot link to a scenario's live room or see its rows."""
    from reflex.state import State

    async def run() -> ScenarioRoom:
        root = State(_reflex_internal_init=True)
        (await root.get_state(SessionState)).token = token_of(world, who)
        room = await root.get_state(ScenarioRoom)
        root.router_data = {
            "pathname": f"/scenarios/{world.draft}",
            "query": {"scenario_id": str(world.draft)},
        }
        root.router = type(root.router)(root.router_data)
        await ScenarioRoom.event_handlers["join"].fn(room)
        return room

    room = run_async(run())
    assert room.rows == [] and room.name == "" and not room._linked_to


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
@pytest.mark.parametrize(
    ("state_cls", "handler", "leak"),
    [
        (OverviewState, "load", "trust_rows"),
        (ScenariosState, "load", "scenarios"),
        (AuditState, "load", "rows"),
        (UsersState, "load", "members"),
    ],
)
def test_read_events_leak_nothing_across_collaboratives(
    world: World, who: str, state_cls: type, handler: str, leak: str
) -> None:
    """Loading a page's data as an outsider or anonymous client for the demo collaborative
    returns nothing of it."""
    from reflex.state import State

    async def run() -> Any:
        root = State(_reflex_internal_init=True)
        session = await root.get_state(SessionState)
        session.token = token_of(world, who)
        # Pretend the client claims membership of the demo collaborative.
        session.memberships = [
            {
                "id": str(_collaborative_id(world)),
                "code": "BCPC",
                "name": "Black Country",
                "role": "admin",
            }
        ]
        session.signed_in = True
        target = await root.get_state(state_cls)
        await state_cls.event_handlers[handler].fn(target)
        return getattr(target, leak)

    assert run_async(run()) in ([], {})


def _collaborative_id(world: World) -> int:
    with unit_of_work(world.url) as session:
        return session.execute(
            sa.select(Scenario.collaborative_id).where(Scenario.id == world.baseline)
        ).scalar()
