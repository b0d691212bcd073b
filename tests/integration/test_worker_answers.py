"""The pages' other projections computed by a worker: the scenario page's impact, the Dashboard's
capacity question and a target a member adds.

With a job queue (`ICS_JOB_QUEUE` not `local`) a web process checks the caller and the question,
asks the workers through a `projection_view` row of the answer's kind, and reads what a worker
stored; the answers equal what the web process computes without a queue. A worker here is the
projection thread of `ics-capacity worker` run in the test's process (`compute_waiting_views`);
tests/integration/test_job_queue.py runs the real worker process.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import ProjectionView, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import (
    auth,
    board_pack,
    dashboard,
    dashboard_questions,
    projection_views,
)
from ics_capacity.services.dashboard import impact_answer, scenario_impact, scenario_projection
from ics_capacity.services.dashboard_questions import (
    capacity_answer,
    capacity_question,
    check_target,
    default_capacity_question,
    target_answer,
)
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.scenarios import ScenarioError, create_scenario
from tests.conftest import TEST_PASSWORD
from tests.integration.test_projection_views import _worker

# A member's own target, as the Dashboard's form sends it.
TARGET = {"kind": "max_long_waiters", "value": "0", "over_weeks": "52", "due": "2027-03-31"}


def forbid_computing_here(monkeypatch, fails: Callable[..., object]) -> None:
    """Replaces what computes the workers' answers (projection, targets, capacity) by `fails`."""
    for module, name in (
        (dashboard, "project_scenario"),
        (dashboard, "scenario_targets"),
        (dashboard_questions, "capacity_needed"),
        (dashboard_questions, "scenario_targets"),
    ):
        monkeypatch.setattr(module, name, fails)


def _clear_caches() -> None:
    for cache in (dashboard._SHARED_VIEWS, dashboard._ANSWERS, dashboard._PROJECTIONS):
        cache.clear()


@pytest.fixture
def web(demo, monkeypatch) -> Iterator[tuple[tuple, Callable[[], None]]]:
    """The demo without a queue, and a switch that puts jobs on the job table, empties the
    caches, and fails the test if this (web) process then projects, rates targets or works out
    the capacity question itself."""
    monkeypatch.setenv("ICS_JOB_QUEUE", "local")

    def web_computes(*args, **kwargs):
        raise AssertionError("a web process computed what the workers compute")

    def on_queue() -> None:
        monkeypatch.setenv("ICS_JOB_QUEUE", "database")
        forbid_computing_here(monkeypatch, web_computes)
        _clear_caches()

    _clear_caches()
    yield demo, on_queue
    _clear_caches()


def _rows(url: str) -> list[sa.Row]:
    with unit_of_work(url) as session:
        return list(
            session.execute(
                sa.select(
                    ProjectionView.kind,
                    ProjectionView.status,
                    ProjectionView.scenario_id,
                    ProjectionView.horizon_weeks,
                    ProjectionView.params,
                    ProjectionView.started_at,
                ).order_by(ProjectionView.id)
            )
        )


def test_the_scenario_pages_impact_is_the_workers_and_the_same_as_without_a_queue(web) -> None:
    """The first look asks (an `impact` row to the year end), the worker's answer is what the web
    process computed before workers, and it reaches a process that never read it."""
    (url, _emails, manager, _executive, baseline, _collaborative), on_queue = web
    draft = create_scenario(manager, baseline, "Impact by a worker")
    local = scenario_impact(manager, draft)
    on_queue()
    assert impact_answer(manager, draft, ask=True) is None
    (asked,) = _rows(url)
    assert (asked.kind, asked.status, asked.scenario_id) == ("impact", "queued", draft)
    assert asked.horizon_weeks == local.at_week
    assert json.loads(asked.params) == {"at_date": local.at_date.isoformat()}
    with _worker():
        assert scenario_impact(manager, draft) == local
    assert [(r.kind, r.status) for r in _rows(url)] == [("impact", "done")]
    _clear_caches()  # another web process: nothing read yet, no worker needed
    assert impact_answer(manager, draft, ask=True) == local


def test_the_capacity_question_is_worked_out_by_the_worker(web) -> None:
    """The Dashboard's view, then the capacity each list needs, come from workers' rows; the
    answer equals the one computed without a queue."""
    (url, _emails, manager, _executive, baseline, _collaborative), on_queue = web
    target, by = default_capacity_question(scenario_projection(manager, baseline, 26))
    local = capacity_question(manager, baseline, 26, "65", by)
    on_queue()
    assert capacity_answer(manager, baseline, 26, "65", by, ask=True) is None
    assert [r.kind for r in _rows(url)] == ["dashboard"]  # the view first: the date needs it
    with _worker():
        answer = capacity_question(manager, baseline, 26, "65", by)
        standing = capacity_question(manager, baseline, 26, target, by)
    assert answer == local and answer.rows
    assert standing.rag_note.startswith("This is the question the RAG's")
    capacity = [json.loads(r.params) for r in _rows(url) if r.kind == "capacity"]
    assert capacity == [
        {"measure": "pct_within_18", "value": 65.0, "by_week": local.by_week},
        {"measure": "pct_within_18", "value": float(target), "by_week": local.by_week},
    ]
    assert {r.status for r in _rows(url)} == {"done"}


def test_a_members_target_is_rated_by_the_worker_against_the_stored_view(web, monkeypatch) -> None:
    """The report equals the one made without a queue, and the worker reads the Dashboard's
    stored projection rather than projecting again."""
    (url, _emails, manager, _executive, baseline, _collaborative), on_queue = web
    local = check_target(manager, baseline, 26, **TARGET)
    on_queue()
    with _worker():
        scenario_projection(manager, baseline, 26)  # the Dashboard's view, stored
        built: list[int] = []
        real_build = projection_views.build_view
        monkeypatch.setattr(
            projection_views, "build_view", lambda s, h: built.append(s) or real_build(s, h)
        )
        report = check_target(manager, baseline, 26, **TARGET)
    assert report == local
    assert built == []
    (view, rated) = _rows(url)
    assert (rated.kind, rated.status, rated.horizon_weeks) == ("targets", "done", 26)
    params = json.loads(rated.params)
    assert params["target"] == list(TARGET.values())
    with unit_of_work(url) as session:
        digest = session.execute(
            sa.select(ProjectionView.key_hash).where(ProjectionView.kind == "dashboard")
        ).scalar_one()
    assert params["view"] == digest and view.kind == "dashboard"


def test_a_caller_who_may_not_view_the_scenario_asks_for_nothing(web) -> None:
    """The outsider and a stranger are refused before any row is read or added; a bad target
    is refused before anything is asked."""
    (url, emails, manager, _executive, baseline, _collaborative), on_queue = web
    on_queue()
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    for token in (outsider, "not-a-session"):
        with pytest.raises(ServiceError):
            impact_answer(token, baseline, ask=True)
        with pytest.raises(ServiceError):
            capacity_answer(token, baseline, 26, "65", "2027-03-31", ask=True)
        with pytest.raises(ServiceError):
            target_answer(token, baseline, 26, **TARGET, ask=True)
    with pytest.raises(ServiceError, match="not a date"):
        target_answer(manager, baseline, 26, **{**TARGET, "due": "soon"}, ask=True)
    with pytest.raises(ServiceError, match="not a percentage"):
        capacity_answer(manager, baseline, 26, "most", "2027-03-31", ask=True)
    assert _rows(url) == []
    with _worker():
        scenario_impact(manager, baseline)
    with pytest.raises(ServiceError):  # nor is a stored answer served to them
        impact_answer(outsider, baseline, ask=True)


def test_a_stale_request_is_asked_again_and_a_failure_is_told_in_words(web, monkeypatch) -> None:
    """A row whose worker died goes back to queued on a later look; a worker's failure reaches
    the caller in its words, and the next caller asks again."""
    (url, _emails, manager, _executive, baseline, _collaborative), on_queue = web
    on_queue()
    assert impact_answer(manager, baseline, ask=True) is None
    with unit_of_work(url) as session:
        row = session.execute(sa.select(ProjectionView)).scalar_one()
        row.status = "running"
        row.started_at = utc_now() - projection_views.STALE_AFTER * 2
        session.commit()
    assert impact_answer(manager, baseline, ask=False) is None
    assert [(r.kind, r.status, r.started_at) for r in _rows(url)] == [("impact", "queued", None)]

    real_build = projection_views.build_answer

    def no_waiting_list(kind: str, scenario_id: int, horizon_weeks: int, params: dict):
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")

    monkeypatch.setattr(projection_views, "build_answer", no_waiting_list)
    with _worker(), pytest.raises(ScenarioError, match="no waiting list to project"):
        scenario_impact(manager, baseline)
    assert [r.status for r in _rows(url)] == ["failed"]
    monkeypatch.setattr(projection_views, "build_answer", real_build)
    with _worker():
        impact = scenario_impact(manager, baseline)
    assert impact.rows and [r.status for r in _rows(url)] == ["done"]


def test_a_request_of_an_unknown_kind_is_refused_in_words(demo) -> None:
    """A kind the worker does not know is failed with a reason, not computed as another."""
    _url, _emails, _manager, _executive, baseline, _collaborative = demo
    with pytest.raises(ServiceError, match="unknown kind"):
        projection_views.build_answer("forecast", baseline, 26, {})


def test_the_board_pack_is_rendered_by_the_worker_from_the_stored_view(web, monkeypatch) -> None:
    """Charts, HTML and PDF come from a `board_pack` row rendered by the worker from the stored
    Dashboard view; an outsider is refused before anything is asked."""
    (url, emails, manager, _executive, baseline, _collaborative), on_queue = web
    on_queue()

    def web_renders(*args, **kwargs):
        raise AssertionError("a web process rendered the board pack")

    monkeypatch.setattr(board_pack, "render_board_pack", web_renders)
    requested = dt.datetime(2026, 12, 5, 6, 30, tzinfo=dt.UTC)
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        board_pack.board_pack_answer(
            outsider, baseline, 26, "For the board", requested=requested, ask=True
        )
    assert _rows(url) == []
    steps: list[str] = []
    with _worker():
        pack = projection_views.wait_for(
            board_pack.board_pack_answer,
            manager,
            baseline,
            26,
            "For the board",
            requested=requested,
            progress=steps.append,
        )
    assert pack.pdf.startswith(b"%PDF") and "For the board" in pack.html
    assert pack.file_stem.endswith("-2026-12-05") and pack.weeks > 0
    assert "Drawing the charts and laying out the A4 PDF" in steps
    rows = _rows(url)
    assert [(r.kind, r.status) for r in rows] == [("dashboard", "done"), ("board_pack", "done")]
    params = json.loads(rows[1].params)
    assert params["commentary"] == "For the board" and params["produced"] == requested.isoformat()
    # A web process that does not keep the files (another one made the pack) reads them again
    # from the worker's stored answer.
    kept = board_pack.keep_board_pack(pack)
    board_pack._KEPT.clear()
    assert board_pack.board_pack_file(manager, kept, "pdf")[1] == pack.pdf
    assert board_pack.board_pack_file(manager, kept, "html")[1] == pack.html.encode("utf-8")


def test_a_worker_takes_a_board_pack_after_the_pages_waiting_for_their_views(web) -> None:
    """Queued before them, a pack still comes after a Dashboard's view and a page's answer."""
    (url, _emails, _manager, _executive, baseline, _collaborative), _on_queue = web
    projection_views.request_view("a" * 64, baseline, 26, kind="board_pack", params={})
    projection_views.request_view("b" * 64, baseline, 26)
    projection_views.request_view("c" * 64, baseline, 26, kind="impact", params={})
    with unit_of_work(url) as session:
        kinds = dict(session.execute(sa.select(ProjectionView.id, ProjectionView.kind)).all())
    assert [kinds[i] for i in projection_views.views_waiting(3)] == [
        "dashboard",
        "impact",
        "board_pack",
    ]
