"""Dashboard views and pages' other projections, computed by the solver workers for the web.

A Dashboard view is a scenario's projection over a horizon, its dated targets and the charts of
the collaborative and of each member trust: seconds of pandas work that, in a web process, holds
the interpreter and stalls every page's event loop. With a job queue (`ICS_JOB_QUEUE` is not
`local`), a web process that lacks a view therefore does not compute it: it asks for it, and
waits while a worker computes it (a page polls from its event loop, holding no thread).

The `projection_view` table is both the request and the answer, whichever queue the jobs use
(the job table, Redis or RabbitMQ). A row is keyed on the hash of the view's content key
(`services/dashboard.py`: scenario, horizon, version and the collaborative's content key), so
an edit asks for a new view and every web process, on any host, finds the one a worker made.
`request_view` adds the row `queued`; each worker has a thread that takes queued rows
(`compute_waiting_views`), claims one atomically (queued -> running: a row two workers saw is
computed once), computes it and writes the JSON `payload` with `done`, or the reason with
`failed`; then it draws each member trust's charts (`trust_charts`), so the page shows the
collaborative without waiting for them. A broker message would only say "look at the table",
which the worker's quarter-second poll of one small table already does; and a request cannot be
lost with a message.

The same rows carry a page's other answers that take a projection (the row's `kind`): the
scenario page's impact at the next year end (`impact`), the Dashboard's capacity question
(`capacity`: each list's treatment a week that meets the target) and a target a member adds to
the Dashboard's table (`targets`, rated against the stored Dashboard view) and the board pack
(`board_pack`: charts to SVG and the A4 PDF, from the stored view). Their `params` are
figures the web process checked; the answer is small JSON the page reads as the dashboard reads
its view (`build_answer`, `poll_answer`).

No caller reaches a worker: the web process checks the caller's right to view the scenario
before it reads or asks for anything (`dashboard._content_key`), and the worker is given only
the scenario id, the horizon and the checked params, and reads the scenario itself as the
operator. A request nobody finished (its worker was killed) is asked again after `STALE_AFTER`;
a failed one is asked again by the next page that wants it. Rows are not a user's record: those
older than `KEEP_FOR` are pruned.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import col

from ics_capacity.db.models import ProjectionView, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.domain.targets import DEFAULT_TARGETS, TargetError, parse_target
from ics_capacity.projections.stored_frames import (
    StoredProjection,
    StoredSimulation,
    frame_from_json,
    frame_to_json,
    tables_from_json,
    tables_to_json,
)
from ics_capacity.services.board_pack_render import render_board_pack
from ics_capacity.services.projection_figures import ScenarioProjection, dashboard_chart_specs
from ics_capacity.services.projections import (
    capacity_needed_as_operator,
    project_scenario_as_operator,
)
from ics_capacity.services.scenario_impact import impact_as_operator
from ics_capacity.services.scenarios import ScenarioError
from ics_capacity.services.targets import TargetReport, scenario_targets_as_operator

logger = logging.getLogger(__name__)

LEVELS = ("total", "provider")
"""The levels the Dashboard reads a projection at, kept in a stored view."""
WAIT_SECONDS = 90.0
"""How long a page waits for a worker's view before it says so."""
POLL_SECONDS = 0.25
"""How often a worker with nothing to do looks at the table."""
PAGE_POLL_SECONDS = 0.5
"""How often a waiting page looks (each look checks the caller and reads the content key)."""
STALE_AFTER = dt.timedelta(seconds=45)
"""A request not finished this long after it was asked or started (its worker died) is asked
again; a few times the longest projection, and shorter than a page's wait."""
ERROR_PAUSE_SECONDS = 5.0
"""How long a worker's projection thread pauses after an error before it looks again."""
KEEP_FOR = dt.timedelta(days=1)
"""How long a row is kept; pages ask again for a view they still want."""
FORMAT = 1
"""The payload's layout; a row of another layout is computed again."""


DASHBOARD, IMPACT, CAPACITY, TARGETS = "dashboard", "impact", "capacity", "targets"
BOARD_PACK = "board_pack"
"""What a request asks for (the row's `kind`): the Dashboard's view, the scenario page's impact,
the Dashboard's capacity question, a target a member adds to the Dashboard's table, or the board
pack rendered from the Dashboard's view."""

T = TypeVar("T")


class ProjectionWaitError(ScenarioError):
    """No worker finished the view in time (none runs, or all are busy)."""


@dataclass(frozen=True)
class DashboardView:
    """What the Dashboard shows of a scenario over a horizon.

    `charts` holds the chart specs of the collaborative (key '') and of each member trust (its
    provider id as text).
    """

    projection: ScenarioProjection
    targets: TargetReport
    charts: dict[str, dict[str, dict]]


def key_hash(key: tuple) -> str:
    """The content key as the row's key (SHA-256 of its JSON)."""
    return hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()


# --- The worker's side ---------------------------------------------------------------------------


def build_view(scenario_id: int, horizon_weeks: int) -> DashboardView:
    """The Dashboard's view of a scenario, computed as the operator (no caller is checked).

    The same projection (runs, seed, no Monte Carlo of the comparison) as `project_scenario`;
    the collaborative's charts only (`build_trust_charts` draws the trusts').
    """
    projection = project_scenario_as_operator(
        scenario_id, horizon_weeks=horizon_weeks, comparison_runs=0
    )
    targets = scenario_targets_as_operator(scenario_id, projection)
    return DashboardView(projection, targets, {"": dashboard_chart_specs(projection, None)})


def build_trust_charts(projection: ScenarioProjection) -> dict[str, dict[str, dict]]:
    """Each member trust's chart specs, by provider id as text."""
    return {str(p): dashboard_chart_specs(projection, p) for p in projection.names}


def build_answer(kind: str, scenario_id: int, horizon_weeks: int, params: dict[str, Any]) -> str:
    """A page's answer other than the Dashboard's view, as JSON text, computed as the operator.

    `params` are what the web process checked and wrote on the request: the year end of the
    scenario page's impact (`impact`); the measure, figure and week of the capacity question
    (`capacity`); a member's own target and the digest of the Dashboard view it is rated
    against (`targets`); the collaborative's name, the checked commentary, when the pack was
    asked for and the Dashboard view's digest (`board_pack`).

    Raises:
        ServiceError: the scenario cannot be projected, or the request is not valid (in words).
    """
    if kind == IMPACT:
        at_date = dt.date.fromisoformat(params["at_date"])
        return json.dumps(impact_as_operator(scenario_id, horizon_weeks, at_date).as_json())
    if kind == CAPACITY:
        table = capacity_needed_as_operator(
            scenario_id,
            measure=str(params["measure"]),
            value=float(params["value"]),
            by_week=int(params["by_week"]),
        )
        return json.dumps(frame_to_json(table))
    if kind == TARGETS:
        try:
            target = parse_target(*(str(part) for part in params["target"]))
        except TargetError as error:
            raise InvalidInputError(str(error)) from None
        projection = _dashboard_projection(str(params["view"]), scenario_id, horizon_weeks)
        report = scenario_targets_as_operator(scenario_id, projection, (*DEFAULT_TARGETS, target))
        return json.dumps(report.as_json())
    if kind == BOARD_PACK:
        projection = _dashboard_projection(str(params["view"]), scenario_id, horizon_weeks)
        document, pdf = render_board_pack(
            projection,
            str(params["collaborative"]),
            str(params["commentary"]),
            dt.datetime.fromisoformat(params["produced"]),
        )
        return json.dumps({"html": document, "pdf": base64.b64encode(pdf).decode("ascii")})
    raise InvalidInputError(f"A request of an unknown kind: {kind!r}.")


def _dashboard_projection(digest: str, scenario_id: int, horizon_weeks: int) -> ScenarioProjection:
    """The Dashboard's projection stored under `digest`, or projected again if it is not there.

    The digest is of a content key, so a stored view is the one projecting again would make.
    """
    row = _columns(digest, "status", "payload", "scenario_id", "horizon_weeks")
    if row is not None and row[0] == "done" and row[1] is not None:
        if (row[2], row[3]) == (scenario_id, horizon_weeks):
            try:
                return view_from_json(row[1]).projection
            except (KeyError, TypeError, ValueError):
                logger.warning("Projection view %s is not readable; projecting", digest[:12])
    return build_view(scenario_id, horizon_weeks).projection


def views_waiting(limit: int = 1) -> list[int]:
    """Ids of the oldest queued requests, board packs after the rest.

    A pack takes seconds to lay out and is asked for once, by a member who sees its steps; a
    Dashboard or a scenario page waiting behind it would stall for no reason.
    """
    with unit_of_work() as session:
        return list(
            session.execute(
                sa.select(col(ProjectionView.id))
                .where(col(ProjectionView.status) == "queued")
                .order_by(
                    sa.case((col(ProjectionView.kind) == BOARD_PACK, 1), else_=0),
                    col(ProjectionView.id),
                )
                .limit(limit)
            ).scalars()
        )


def compute_view(view_id: int) -> bool:
    """Claims a queued request and computes it; False if another worker had claimed it.

    The view is written first, so a waiting page shows the collaborative at once, then each
    member trust's charts. A failure is written on the row in words (and logged), for the
    waiting page to show; trusts' charts that could not be drawn are written as none, and the
    web process draws the one it needs.
    """
    with unit_of_work() as session:
        claimed = _changed(
            session.execute(
                sa.update(ProjectionView)
                .where(col(ProjectionView.id) == view_id, col(ProjectionView.status) == "queued")
                .values(status="running", started_at=utc_now())
            )
        )
        row = session.get(ProjectionView, view_id)
        scenario_id, horizon = (row.scenario_id, row.horizon_weeks) if row else (0, 0)
        kind, params = (row.kind, json.loads(row.params or "{}")) if row else (DASHBOARD, {})
        session.commit()
    if not claimed:
        return False
    view = None
    try:
        if kind == DASHBOARD:
            view = build_view(scenario_id, horizon)
            payload, status, message = view_to_json(view), "done", ""
        else:
            payload, status, message = build_answer(kind, scenario_id, horizon, params), "done", ""
    except ServiceError as error:
        payload, status, message = None, "failed", str(error)
    except Exception as error:
        logger.exception("Projection view %s failed", view_id)
        payload, status = None, "failed"
        message = f"The projection stopped with an error ({type(error).__name__})."
    _write(view_id, status=status, payload=payload, message=message[:500], finished_at=utc_now())
    logger.info("Projection view %s (%s) of scenario %s: %s", view_id, kind, scenario_id, status)
    if view is not None:
        try:
            charts = build_trust_charts(view.projection)
        except Exception:
            logger.exception("Projection view %s: the trusts' charts failed", view_id)
            charts = {}
        _write(view_id, trust_charts=json.dumps(charts))
    return True


def _write(view_id: int, **values: Any) -> None:
    with unit_of_work() as session:
        session.execute(
            sa.update(ProjectionView).where(col(ProjectionView.id) == view_id).values(**values)
        )
        session.commit()


def compute_waiting_views(stop: Any) -> None:
    """A worker's projection thread: computes queued requests, one at a time, until `stop`.

    Its own thread, so a Dashboard never waits behind the worker's rota builds; prunes old rows
    now and then.
    """
    last_prune = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_prune > 600:
                last_prune = time.monotonic()
                prune_views()
            waiting = views_waiting(1)
            if waiting:
                compute_view(waiting[0])
                continue
        except Exception:
            logger.exception("Computing projection views failed")
            stop.wait(ERROR_PAUSE_SECONDS)  # e.g. the database is restarting: no busy loop
        stop.wait(POLL_SECONDS)


def prune_views(now: dt.datetime | None = None) -> int:
    """Deletes rows asked for longer ago than `KEEP_FOR`; how many."""
    oldest = (now or utc_now()) - KEEP_FOR
    with unit_of_work() as session:
        deleted = _changed(
            session.execute(
                sa.delete(ProjectionView).where(col(ProjectionView.created_at) < oldest)
            )
        )
        session.commit()
    return deleted


# --- The web process's side ----------------------------------------------------------------------


def shared_view(key: tuple, scenario_id: int, horizon_weeks: int) -> DashboardView:
    """The view stored under `key`, asked of the workers and waited for when there is none.

    Call it only after checking the caller's right to view the scenario (the key says so). It
    blocks its thread while it waits; a page polls `poll_view` from its event loop instead.

    Raises:
        ScenarioError: the worker could not project the scenario (in its words).
        ProjectionWaitError: no worker finished it within `WAIT_SECONDS`.
    """
    return wait_for(poll_view, key, scenario_id, horizon_weeks)


def wait_for(look: Callable[..., T | None], *args: Any, **kwargs: Any) -> T:
    """What `look(*args, ask=..., **kwargs)` returns once it returns something; blocks the thread.

    `look` is a service's poll; `ask` is True on the first look, False on later ones. A page's
    event loop polls the same way without a thread (`ui/state/worker_answer.py`).

    Raises:
        ProjectionWaitError: it returned None for `WAIT_SECONDS`.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    found = look(*args, ask=True, **kwargs)
    while found is None:
        if time.monotonic() > deadline:
            raise ProjectionWaitError(WAIT_MESSAGE)
        time.sleep(PAGE_POLL_SECONDS)
        found = look(*args, ask=False, **kwargs)
    return found


WAIT_MESSAGE = (
    "The projection is taking longer than usual: the solver workers may be busy or stopped. "
    "Try again in a minute."
)


def poll_view(
    key: tuple, scenario_id: int, horizon_weeks: int, *, ask: bool
) -> DashboardView | None:
    """The view stored under `key`, or None while a worker computes it.

    As `poll_answer`, for the Dashboard's view and each trust's charts stored with it.

    Raises:
        ScenarioError: the worker could not project the scenario (in its words), after `ask`.
    """
    return poll_answer(key, scenario_id, horizon_weeks, ask=ask, read=_dashboard_view)


def _dashboard_view(payload: str, trusts: str | None) -> DashboardView:
    view = view_from_json(payload)
    return with_trust_charts(view, json.loads(trusts)) if trusts else view


def poll_answer(
    key: tuple,
    scenario_id: int,
    horizon_weeks: int,
    *,
    ask: bool,
    read: Callable[[str, str | None], T],
    kind: str = DASHBOARD,
    params: dict[str, Any] | None = None,
) -> T | None:
    """The answer stored under `key` as `read` makes it, or None while a worker computes it.

    `read(payload, trusts' charts)` turns the stored JSON into the answer; it raises KeyError,
    TypeError or ValueError for a payload of another layout. `kind` and `params` say what to
    compute, when it is asked (call this only after checking the caller's right to view the
    scenario and checking the params: the key says so).

    `ask` (a caller's first look) asks the workers for an answer that is missing, failed, stale
    or unreadable; later looks ask again for a missing one (pruned meanwhile) or a stale one (its
    worker died while the page waited), so another worker takes it within the page's wait.

    Raises:
        ScenarioError: the worker could not compute it (in its words), after `ask`.
    """
    digest = key_hash(key)
    status, payload, message, asked_at, trusts = _read(digest)
    if status == "done" and payload is not None:
        try:
            return read(payload, trusts)
        except (KeyError, TypeError, ValueError):  # another layout: compute it again
            logger.warning("Projection view %s is not readable; asking again", digest[:12])
            status = "unreadable"
    if status == "failed" and not ask:
        raise ScenarioError(message or "The projection could not be made.")
    stale = asked_at is not None and asked_at < utc_now() - STALE_AFTER
    if ask or stale or status in (None, "unreadable"):
        request_view(
            digest,
            scenario_id,
            horizon_weeks,
            again=status in ("failed", "unreadable"),
            kind=kind,
            params=params,
        )
    return None


def request_view(
    digest: str,
    scenario_id: int,
    horizon_weeks: int,
    *,
    again: bool = False,
    kind: str = DASHBOARD,
    params: dict[str, Any] | None = None,
) -> None:
    """Asks the workers for a view or an answer: adds its row, or queues a failed or stale one."""
    now = utc_now()
    with unit_of_work() as session:
        row = session.execute(
            sa.select(ProjectionView).where(col(ProjectionView.key_hash) == digest)
        ).scalar_one_or_none()
        if row is None:
            session.add(
                ProjectionView(
                    key_hash=digest,
                    scenario_id=scenario_id,
                    horizon_weeks=horizon_weeks,
                    kind=kind,
                    params=json.dumps(params) if params is not None else None,
                )
            )
        else:
            stale = now - STALE_AFTER
            asked_at = row.started_at or row.created_at
            if row.status == "done" and not again:
                return
            if row.status in ("queued", "running") and asked_at > stale:
                return
            row.status, row.payload, row.trust_charts, row.message = "queued", None, None, ""
            row.created_at, row.started_at, row.finished_at = now, None, None
        try:
            session.commit()
        except sa.exc.IntegrityError:  # another web process asked at the same moment
            session.rollback()


def _changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return int(cast(sa.CursorResult[Any], result).rowcount or 0)


def _columns(digest: str, *names: str) -> Any:
    """The named columns of the request under `digest`, or None."""
    table = sa.inspect(ProjectionView).local_table
    with unit_of_work() as session:
        return session.execute(
            sa.select(*(table.c[name] for name in names)).where(table.c.key_hash == digest)
        ).one_or_none()


def stored_payload(key: tuple) -> str | None:
    """The answer stored under `key` if a worker finished it, without asking for one.

    For reading again what a caller was already given (a board pack downloaded some time after
    it was made). Call it only after checking the caller's right to view the scenario.
    """
    row = _columns(key_hash(key), "status", "payload")
    return row[1] if row is not None and row[0] == "done" else None


def stored_trust_charts(key: tuple) -> dict[str, dict[str, dict]] | None:
    """Each member trust's charts of the view under `key`, waited for while its worker draws them.

    None if it drew none, or died drawing them (the caller draws the one it needs). Call it
    only after checking the caller's right to view the scenario (the key says so).
    """
    digest = key_hash(key)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = _columns(digest, "status", "trust_charts", "finished_at")
        if row is None or row[0] != "done":
            return None
        if row[1] is not None:
            return json.loads(row[1]) or None
        if row[2] is None or row[2] < utc_now() - STALE_AFTER or time.monotonic() > deadline:
            return None
        time.sleep(PAGE_POLL_SECONDS)


def with_trust_charts(view: DashboardView, charts: dict[str, dict[str, dict]]) -> DashboardView:
    """The view with the trusts' charts beside the collaborative's."""
    return DashboardView(view.projection, view.targets, {**charts, **view.charts})


def _read(
    digest: str,
) -> tuple[str | None, str | None, str, dt.datetime | None, str | None]:
    """(status, payload, message, when a worker was last asked or started, trusts' charts)."""
    row = _columns(
        digest, "status", "payload", "message", "started_at", "created_at", "trust_charts"
    )
    if row is None:
        return None, None, "", None, None
    status, payload, message, started_at, created_at, trusts = row
    active = status in ("queued", "running")
    return status, payload, message, (started_at or created_at) if active else None, trusts


# --- The payload ---------------------------------------------------------------------------------


def view_to_json(view: DashboardView) -> str:
    """The view as JSON text: the projection's tables, the targets and the chart specs."""
    p = view.projection
    return json.dumps(
        {
            "format": FORMAT,
            "scenario_name": p.scenario_name,
            "baseline_name": p.baseline_name,
            "names": {str(k): v for k, v in p.names.items()},
            "start_date": p.start_date.isoformat(),
            "comparison": p.comparison,
            "notes": list(p.notes),
            "validation_basis": p.validation_basis,
            "baseline_validation_basis": p.baseline_validation_basis,
            "deterministic": tables_to_json(StoredProjection.of(p.deterministic, LEVELS).tables),
            "monte_carlo": tables_to_json(StoredSimulation.of(p.monte_carlo, LEVELS).tables),
            "baseline": (
                tables_to_json(StoredProjection.of(p.baseline, LEVELS).tables)
                if p.baseline is not None
                else None
            ),
            "baseline_monte_carlo": (
                tables_to_json(StoredSimulation.of(p.baseline_monte_carlo, LEVELS).tables)
                if p.baseline_monte_carlo is not None
                else None
            ),
            "rag": frame_to_json(p.rag),
            "targets": view.targets.as_json(),
            "charts": view.charts,
        }
    )


def view_from_json(text: str) -> DashboardView:
    """The view `view_to_json` wrote.

    Raises:
        ValueError: the payload is of another layout.
    """
    raw = json.loads(text)
    if raw.get("format") != FORMAT:
        raise ValueError(f"projection view format {raw.get('format')!r}, not {FORMAT}")
    baseline, baseline_mc = raw["baseline"], raw["baseline_monte_carlo"]
    projection = ScenarioProjection(
        scenario_name=raw["scenario_name"],
        baseline_name=raw["baseline_name"],
        names={int(k): v for k, v in raw["names"].items()},
        deterministic=StoredProjection(tables_from_json(raw["deterministic"])),
        monte_carlo=StoredSimulation(tables_from_json(raw["monte_carlo"])),
        baseline=StoredProjection(tables_from_json(baseline)) if baseline is not None else None,
        rag=frame_from_json(raw["rag"]),
        start_date=dt.date.fromisoformat(raw["start_date"]),
        comparison=raw["comparison"],
        notes=list(raw["notes"]),
        baseline_monte_carlo=(
            StoredSimulation(tables_from_json(baseline_mc)) if baseline_mc is not None else None
        ),
        validation_basis=raw["validation_basis"],
        baseline_validation_basis=raw["baseline_validation_basis"],
    )
    return DashboardView(projection, TargetReport.from_json(raw["targets"]), raw["charts"])
