"""Round trips of the Overview's load with N simulated tabs, idle and while a rota build solves.

    .venv/bin/python scripts/bench_load.py --url http://127.0.0.1:8000 \
        --email bench@example.nhs.uk --password '...' [--tabs 10] [--seconds 20] \
        [--rota-weeks 4 --rota-limit 60] [--event overview|dashboard] [--sign-ins] \
        [--server-pid PID]

Each tab is a python-socketio client on the path and namespace `/_event` (as the browser), signs in
once through the login form's handler and the session-cookie route, then sends the Overview's `load`
every second (1 s between a tab's events, as in issue 19's baseline; each tab starts at its own
random moment within the first second unless `--arrivals burst`) and times each event until its
final answer. Phase "idle" runs for `--seconds`; then the script starts a rota build of
`--rota-weeks` weeks through `jobs.start_job` (so it runs wherever this configuration runs jobs: a
worker when ICS_JOB_QUEUE is set) and measures the same load for as long as the build runs. Loopback
only; bounded in tabs and time. Prints p50/p95/max, errors and answer counts per phase, and the
build's progress gaps.

`--event dashboard` measures the Dashboard's trust switch instead: each tab opens the Dashboard
once, then asks for the next member trust (or the collaborative) every second and times it until
the projection's answer (the Dashboard state's `busy` back to false). `--sign-ins` adds a phase
of `--seconds` in which, beside the same load, one more tab signs in again and again, and reports
those sign-ins' round trips (form, cookie route, websocket reopened); `--switches` one in which
one more tab, on the Dashboard, switches trust every second, and reports those switches.
`--server-pid` (the `ics-capacity serve` process) reports the resident memory of it and its child
processes before the tabs open and after the idle phase, and the growth per open tab;
`--redis-state` (the REFLEX_REDIS_URL of a server that keeps client state in Redis, its own
database) the size of that state per open tab.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import socketio

ROUTER = {"pathname": "/", "query": {}, "asPath": "/"}


def _names() -> dict[str, str]:
    from ics_capacity.ui.pages.dashboard import DashboardState
    from ics_capacity.ui.pages.login import LoginState
    from ics_capacity.ui.pages.overview import OverviewState
    from ics_capacity.ui.pages.scenario import ScenarioPageState
    from ics_capacity.ui.state.session import SessionState

    return {
        "submit": f"{LoginState.get_full_name()}.submit",
        "require": f"{SessionState.get_full_name()}.require_sign_in",
        "load": f"{OverviewState.get_full_name()}.load",
        "dashboard": DashboardState.get_full_name(),
        "mark": f"{ScenarioPageState.get_full_name()}.set_decision_note",
    }


DASHBOARD_ROUTER = {"pathname": "/dashboard", "query": {}, "asPath": "/dashboard"}


def _resident_kb(pid: int) -> int:
    """Resident memory (kB) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        status = Path(f"/proc/{current}/status")
        if not status.exists():
            continue
        match = re.search(r"VmRSS:\s+(\d+)", status.read_text())
        total += int(match.group(1)) if match else 0
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            stack.extend(int(c) for c in task.read_text().split())
    return total


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _session_cookie(url: str, code: str) -> str:
    """`ics_session=<token>` from the backend's answer to the one-time code."""
    request = urllib.request.Request(
        f"{url}/_auth/session",
        data=urllib.parse.urlencode({"code": code, "next": "/"}).encode(),
        headers={"Origin": url},
        method="POST",
    )
    try:
        urllib.request.build_opener(_NoRedirect).open(request, timeout=30)
    except urllib.error.HTTPError as answer:  # the 303 that sets the cookie
        set_cookie = answer.headers.get("set-cookie", "")
        if answer.code == 303 and set_cookie.startswith("ics_session="):
            return set_cookie.split(";")[0]
    raise RuntimeError("the session route set no cookie: is --url the app's own origin?")


class Tab:
    """One simulated browser tab: a websocket, and a way to time one event to its final answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.on("event", self._answer, namespace="/_event")

    async def _answer(self, data: Any) -> None:
        await self.answers.put(data if isinstance(data, dict) else {})

    async def connect(self, cookie: str = "") -> None:
        """Opens the websocket as a new browser tab (a fresh client token), with its cookie."""
        headers = {"Origin": self.url, **({"Cookie": cookie} if cookie else {})}
        await self.client.connect(
            f"{self.url}?token={uuid.uuid4()}",
            socketio_path="_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers=headers,
        )

    async def sign_in(self, names: dict[str, str], email: str, password: str) -> None:
        """Signs in as the browser does, and reopens the websocket with the session cookie.

        The login form's handler answers with a one-time code, which the backend route
        `/_auth/session` exchanges for the HttpOnly session cookie.
        """
        while not self.answers.empty():
            self.answers.get_nowait()
        form = {"email": email, "password": password}
        await self.client.emit(
            "event",
            {"name": names["submit"], "payload": {"form": form}, "router_data": ROUTER},
            namespace="/_event",
        )
        code = None
        while code is None:
            answer = await asyncio.wait_for(self.answers.get(), 30)
            code = re.search(r'code\\*": \\*"([\w-]+)', json.dumps(answer))
        cookie = await asyncio.to_thread(_session_cookie, self.url, code.group(1))
        await self.client.disconnect()
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("event", self._answer, namespace="/_event")
        await self.connect(cookie)

    async def send(
        self,
        name: str,
        payload: dict[str, Any],
        timeout: float = 30.0,
        *,
        router: dict[str, Any] | None = None,
        done=None,
    ) -> float:
        """Sends one event; returns the seconds until its final answer (or until `done(answer)`)."""
        while not self.answers.empty():
            self.answers.get_nowait()
        started = time.perf_counter()
        await self.client.emit(
            "event",
            {"name": name, "payload": payload, "router_data": router or ROUTER},
            namespace="/_event",
        )
        deadline = started + timeout
        while True:
            answer = await asyncio.wait_for(self.answers.get(), deadline - time.perf_counter())
            if done(answer) if done else answer.get("final", True):
                return time.perf_counter() - started

    async def close(self) -> None:
        """Closes the websocket."""
        await self.client.disconnect()


def _projection_shown(state_name: str):
    """Whether an answer carries the Dashboard's projection: its `busy` back to false."""

    def shown(answer: dict[str, Any]) -> bool:
        delta = (answer.get("delta") or {}).get(state_name) or {}
        return delta.get("busy_rx_state_") is False

    return shown


async def _tab_loop(
    tab: Tab, send, stop: asyncio.Event, samples: list[float], errors: list[str], offset: float
) -> None:
    turn = 0
    await asyncio.sleep(offset)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            samples.append(await send(tab, turn))
        except Exception as error:  # every failure is counted, not raised
            errors.append(type(error).__name__)
        turn += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))


async def _phase(
    tabs: list[Tab], send, until, arrivals: str
) -> tuple[list[float], list[str], float]:
    """Each tab's event every second until `until()` returns, each tab at its own moment.

    People do not click in step: each tab starts at a random moment within the first second
    (seeded, so runs compare) and keeps its own rhythm. With `--arrivals burst` every tab fires
    at the same instant each second instead, the worst case for queueing: a 100-tab burst waits
    for the whole burst's work, so its p50 is about half of one second's work, however idle the
    server is between bursts.
    """
    samples: list[float] = []
    errors: list[str] = []
    stop = asyncio.Event()
    started = time.perf_counter()
    spread = random.Random(0)
    offsets = [0.0 if arrivals == "burst" else spread.uniform(0.0, 1.0) for _ in tabs]
    loops = [
        asyncio.create_task(_tab_loop(t, send, stop, samples, errors, offset))
        for t, offset in zip(tabs, offsets, strict=True)
    ]
    await until()
    stop.set()
    await asyncio.gather(*loops)
    return samples, errors, time.perf_counter() - started


def _report(label: str, samples: list[float], errors: list[str], seconds: float) -> None:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        print(f"| {label} | 0 | - | - | - | {len(errors)} | {seconds:.0f} |")
        return
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    kinds = ", ".join(f"{n} {k}" for k, n in collections.Counter(errors).most_common())
    print(
        f"| {label} | {len(ms)} | {statistics.median(ms):.0f} | {p95:.0f} | {ms[-1]:.0f} "
        f"| {len(errors)}{f' ({kinds})' if kinds else ''} | {seconds:.0f} |"
    )


async def signed_in_tabs(options: argparse.Namespace, names: dict[str, str], send) -> list[Tab]:
    """Opens and signs in `options.tabs` tabs, then measures the idle phase.

    Prints the table's head and the idle row (`options.seconds` of the chosen event), and
    returns the tabs for the next phase.
    """
    before_kb = _resident_kb(options.server_pid) if options.server_pid else 0
    tabs = [Tab(options.url) for _ in range(options.tabs)]
    for tab in tabs:
        await tab.connect()
        await tab.sign_in(names, options.email, options.password)
        await tab.send(names["require"], {})
        if options.event == "dashboard":
            await _open_dashboard(tab, names)
    what = "Overview load" if options.event == "overview" else "Dashboard trust switch"
    print(f"{len(tabs)} tabs signed in; {what} every 1 s per tab\n")
    print("| phase | answers | p50 ms | p95 ms | max ms | errors | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    async def idle() -> None:
        await asyncio.sleep(options.seconds)

    _report("idle", *await _phase(tabs, send, idle, options.arrivals))
    if options.server_pid:
        after_kb = _resident_kb(options.server_pid)
        print(
            f"\nweb server resident memory: {before_kb / 1024:.0f} MB before the tabs, "
            f"{after_kb / 1024:.0f} MB after the idle phase: "
            f"{(after_kb - before_kb) / len(tabs):.0f} kB per open tab"
        )
    if options.redis_state:
        keys, size = _redis_state_bytes(options.redis_state)
        print(
            f"client state in Redis: {keys} keys, {size / 1024:.0f} kB: "
            f"{size / 1024 / len(tabs):.1f} kB per open tab\n"
        )
    return tabs


def _redis_state_bytes(url: str) -> tuple[int, int]:
    """(keys, bytes) of the state manager's Redis database, by Redis's own MEMORY USAGE."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(count=1000))
    return len(keys), sum(client.memory_usage(k) or 0 for k in keys)


def _sender(options: argparse.Namespace, names: dict[str, str]):
    """The measured event of one tab's turn: the Overview's load, or the next trust's projection."""
    if options.event == "overview":

        async def overview(tab: Tab, _turn: int) -> float:
            # An Overview that has not changed answers with nothing (only changed vars are
            # sent), so the load is followed by a marker: a form field of another page set to
            # a fresh value, which always answers. One tab's events are processed in turn, so
            # the marker's answer comes after the load's work; its own cost is counted too.
            mark = f"bench-{uuid.uuid4().hex}"
            await tab.client.emit(
                "event",
                {"name": names["load"], "payload": {}, "router_data": ROUTER},
                namespace="/_event",
            )
            return await tab.send(
                names["mark"], {"note": mark}, done=lambda answer: mark in json.dumps(answer)
            )

        return overview
    return _trust_switch(options, names)


def _trust_switch(options: argparse.Namespace, names: dict[str, str]):
    """A Dashboard tab's turn: the next member trust (or the collaborative), until it is shown."""
    units = ["", *options.trusts.split(",")]
    shown = _projection_shown(names["dashboard"])

    async def trust_switch(tab: Tab, turn: int) -> float:
        unit = units[(turn + 1) % len(units)]
        return await tab.send(
            f"{names['dashboard']}.choose_unit",
            {"unit": unit},
            router=DASHBOARD_ROUTER,
            done=shown,
        )

    return trust_switch


async def _sign_ins(
    options: argparse.Namespace, names: dict[str, str], stop: asyncio.Event
) -> tuple[list[float], list[str]]:
    """One more tab signing in again and again until `stop`: each sign-in's seconds, and errors."""
    times: list[float] = []
    errors: list[str] = []
    while not stop.is_set():
        tab = Tab(options.url)
        started = time.perf_counter()
        try:
            await tab.connect()
            started = time.perf_counter()
            await tab.sign_in(names, options.email, options.password)
            times.append(time.perf_counter() - started)
            await tab.close()
        except Exception as error:  # every failure is counted, not raised
            errors.append(type(error).__name__)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    return times, errors


async def _open_dashboard(tab: Tab, names: dict[str, str]) -> None:
    await tab.send(
        f"{names['dashboard']}.load",
        {},
        60,
        router=DASHBOARD_ROUTER,
        done=_projection_shown(names["dashboard"]),
    )


async def _switches(
    options: argparse.Namespace, names: dict[str, str], stop: asyncio.Event
) -> tuple[list[float], list[str]]:
    """One more tab on the Dashboard switching trust every second until `stop`."""
    tab = Tab(options.url)
    await tab.connect()
    await tab.sign_in(names, options.email, options.password)
    await tab.send(names["require"], {})
    await _open_dashboard(tab, names)
    times: list[float] = []
    errors: list[str] = []
    await _tab_loop(tab, _trust_switch(options, names), stop, times, errors, 0.0)
    await tab.close()
    return times, errors


async def _beside(options: argparse.Namespace, tabs: list[Tab], send, label: str, extra) -> None:
    """A phase of `--seconds` of the tabs' load beside `extra` (sign-ins or trust switches)."""
    stop = asyncio.Event()
    other = asyncio.create_task(extra(options, _names(), stop))

    async def for_a_while() -> None:
        await asyncio.sleep(options.seconds)
        stop.set()

    samples, errors, seconds = await _phase(tabs, send, for_a_while, options.arrivals)
    _report(f"beside {label}", samples, errors, seconds)
    _report(f"the {label} themselves", *await other, seconds)


async def main_async(options: argparse.Namespace) -> None:
    """Connects and signs in the tabs, then measures idle, sign-ins and during a rota build."""
    names = _names()
    send = _sender(options, names)
    tabs = await signed_in_tabs(options, names, send)
    if options.sign_ins:
        await _beside(options, tabs, send, "sign-ins", _sign_ins)
    if options.switches:
        await _beside(options, tabs, send, "Dashboard trust switches", _switches)
    if options.rota_weeks:
        gaps: list[float] = []
        job_id = await asyncio.to_thread(_start_rota, options)

        async def while_solving() -> None:
            await _watch(job_id, gaps)

        samples, errors, seconds = await _phase(tabs, send, while_solving, options.arrivals)
        _report(f"{options.rota_weeks}-week rota solving", samples, errors, seconds)
        view = await asyncio.to_thread(_final, job_id)
        print(
            f"\nrota job {job_id}: {view.status} ({view.message}); progress updates in the "
            f"job row at most {max(gaps or [0]):.1f} s apart"
        )
    for tab in tabs:
        await tab.close()


def _start_rota(options: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from ics_capacity.db.models import Scenario
    from ics_capacity.db.session import unit_of_work
    from ics_capacity.services import auth, jobs
    from ics_capacity.services.rota import next_monday

    token = auth.sign_in(options.email, options.password)
    with unit_of_work() as session:
        baseline = session.execute(
            sa.select(Scenario.id).where(Scenario.is_baseline).order_by(Scenario.id)
        ).scalar()
    return jobs.start_job(
        token,
        baseline,
        "rota",
        {
            "start_date": next_monday().isoformat(),
            "weeks": options.rota_weeks,
            "site_codes": options.sites.split(","),
            "time_limit_seconds": options.rota_limit,
            "num_workers": options.rota_workers,
        },
    )


def _final(job_id: int) -> Any:
    from ics_capacity.services import jobs

    return jobs.read_job(job_id)


async def _watch(job_id: int, gaps: list[float]) -> None:
    last_change, last_seen = time.perf_counter(), None
    while True:
        view = await asyncio.to_thread(_final, job_id)
        if (view.progress, view.message) != last_seen:
            now = time.perf_counter()
            if last_seen is not None:
                gaps.append(now - last_change)
            last_change, last_seen = now, (view.progress, view.message)
        if view.status not in ("queued", "running"):
            return
        await asyncio.sleep(0.2)


def main() -> None:
    """Parses the options and runs the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--tabs", type=int, default=10, choices=range(1, 101), metavar="1..100")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rota-weeks", type=int, default=4)
    parser.add_argument("--rota-limit", type=float, default=60.0)
    parser.add_argument(
        "--rota-workers", type=int, default=2, help="CP-SAT search workers of the rota build."
    )
    parser.add_argument("--sites", default="SANDWELL")
    parser.add_argument("--event", choices=("overview", "dashboard"), default="overview")
    parser.add_argument(
        "--trusts", default="1,2,3,4", help="Member trust ids the Dashboard switch cycles through."
    )
    parser.add_argument("--sign-ins", action="store_true", help="Add the sign-in phase.")
    parser.add_argument(
        "--switches",
        action="store_true",
        help="Add a phase in which one more tab switches the Dashboard's trust every second.",
    )
    parser.add_argument(
        "--arrivals",
        choices=("spread", "burst"),
        default="spread",
        help="Tabs send at their own moments (spread, as people do) or all at once each second.",
    )
    parser.add_argument("--server-pid", type=int, default=0, help="ics-capacity serve's pid.")
    parser.add_argument(
        "--redis-state", default="", help="REFLEX_REDIS_URL, to report client state per tab."
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
