"""The Dashboard's views computed by a worker and shared between web processes through the database.

With a job queue (`ICS_JOB_QUEUE` not `local`) a web process never projects: it checks the
caller, asks for the view under its content key, and reads what a worker stored. A worker here is
the projection thread of `ics-capacity worker` run in the test's process
(`compute_waiting_views`); tests/integration/test_job_queue.py runs the real worker process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest
import sqlalchemy as sa

from ics_capacity.db.models import ProjectionView, Scenario, SolveJob, utc_now
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth, dashboard, projection_views
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.content_cache import collaborative_content_key
from ics_capacity.services.dashboard import (
    dashboard_ready,
    dashboard_targets,
    scenario_projection,
    trust_charts,
)
from ics_capacity.services.dashboard_questions import default_capacity_question
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.projection_views import (
    ProjectionWaitError,
    build_trust_charts,
    build_view,
    compute_view,
    compute_waiting_views,
    poll_view,
    prune_views,
    request_view,
    view_from_json,
    view_to_json,
)
from ics_capacity.services.projections import (
    dashboard_chart_specs,
    projection_headline,
    removal_figures,
)
from ics_capacity.services.scenarios import ScenarioError, create_scenario
from ics_capacity.ui.pages.dashboard import state as dashboard_state
from ics_capacity.ui.pages.dashboard import view as page
from tests.conftest import TEST_PASSWORD


@contextmanager
def _worker() -> Iterator[None]:
    """A worker's projection thread, stopped at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=compute_waiting_views, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


@pytest.fixture
def on_queue(demo, monkeypatch):
    """The demo with jobs on the job table, empty view caches, and no projection in this
    process except the worker's (`project_scenario` fails the test if the web side calls it)."""
    monkeypatch.setenv("ICS_JOB_QUEUE", "database")

    def web_projects(*args, **kwargs):
        raise AssertionError("a web process projected a scenario")

    monkeypatch.setattr(dashboard, "project_scenario", web_projects)
    dashboard._SHARED_VIEWS.clear()
    yield demo
    dashboard._SHARED_VIEWS.clear()


def _rows(url: str) -> list[sa.Row]:
    with unit_of_work(url) as session:
        return list(
            session.execute(
                sa.select(
                    ProjectionView.id,
                    ProjectionView.status,
                    ProjectionView.scenario_id,
                    ProjectionView.horizon_weeks,
                    ProjectionView.message,
                    ProjectionView.started_at,
                ).order_by(ProjectionView.id)
            )
        )


def _content_key(url: str, scenario_id: int) -> tuple:
    with unit_of_work(url) as session:
        scenario = session.get(Scenario, scenario_id)
        return collaborative_content_key(session, scenario.collaborative_id)


def test_a_stored_view_reads_back_as_the_view_it_was_made_from(demo) -> None:
    """Every table, figure, chart and target the Dashboard shows is the same after JSON."""
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    draft = create_scenario(manager, baseline, "Stored view")
    made = build_view(draft, 26)
    read = view_from_json(view_to_json(made))
    mine, theirs = made.projection, read.projection
    assert theirs.baseline is not None and mine.baseline is not None  # compared with its parent
    for level in ("total", "provider"):
        pd.testing.assert_frame_equal(
            theirs.deterministic.frame(level), mine.deterministic.frame(level)
        )
        pd.testing.assert_frame_equal(
            theirs.deterministic.bands_frame(level), mine.deterministic.bands_frame(level)
        )
        pd.testing.assert_frame_equal(
            theirs.monte_carlo.frame(level), mine.monte_carlo.frame(level)
        )
        pd.testing.assert_frame_equal(theirs.baseline.frame(level), mine.baseline.frame(level))
    pd.testing.assert_frame_equal(
        theirs.deterministic.utilisation_frame(), mine.deterministic.utilisation_frame()
    )
    pd.testing.assert_frame_equal(theirs.rag, mine.rag)
    assert (theirs.names, theirs.start_date, theirs.notes) == (
        mine.names,
        mine.start_date,
        mine.notes,
    )
    assert read.targets == made.targets
    assert read.charts == made.charts and set(made.charts) == {""}  # the trusts' come after
    trusts = build_trust_charts(mine)
    assert set(trusts) == {str(p) for p in mine.names}
    provider = next(iter(mine.names))
    assert dashboard_chart_specs(theirs, provider) == trusts[str(provider)]
    assert projection_headline(theirs) == projection_headline(mine)
    assert removal_figures(theirs, provider) == removal_figures(mine, provider)
    assert default_capacity_question(theirs) == default_capacity_question(mine)
    for unit in (None, provider):
        assert page.headline_cards(theirs, unit) == page.headline_cards(mine, unit)
        assert page.removal_text(theirs, unit) == page.removal_text(mine, unit)
    assert page.rag_rows(theirs) == page.rag_rows(mine)
    assert page.rag_note(theirs) == page.rag_note(mine)


def test_with_a_queue_the_worker_projects_and_the_web_process_only_reads(on_queue) -> None:
    """Charts, targets and projection come from one worker-made row, equal to a local projection,
    and computing it does not change the content key it is stored under."""
    url, _emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Worker view")
    local = build_view(draft, 26)  # what the web process computed before (same runs and seed)
    key_before = _content_key(url, draft)
    assert dashboard_ready(manager, draft, 26, ask=True) is False  # asked, nobody has made it
    (asked,) = _rows(url)
    assert (asked.status, asked.scenario_id, asked.horizon_weeks) == ("queued", draft, 26)

    with _worker():
        charts = trust_charts(manager, draft, 26, "")
        provider = next(iter(local.projection.names))
        trust = trust_charts(manager, draft, 26, str(provider))  # drawn after the view
    assert charts == local.charts[""]
    assert trust == build_trust_charts(local.projection)[str(provider)]
    assert dashboard_targets(manager, draft, 26) == local.targets
    assert scenario_projection(manager, draft, 26).names == local.projection.names
    assert dashboard_ready(manager, draft, 26, ask=True) is True
    (done,) = _rows(url)
    assert (done.id, done.status, done.message) == (asked.id, "done", "")
    assert _content_key(url, draft) == key_before
    with unit_of_work(url) as session:  # not a job: nothing in the users' job lists
        assert session.execute(sa.select(sa.func.count()).select_from(SolveJob)).scalar() == 0


def test_the_dashboards_page_is_read_under_one_check_of_the_caller(on_queue, monkeypatch) -> None:
    """`dashboard_page` gives what the separate reads give, checking the caller once; a trust
    not of the collaborative is refused in words and the collaborative shown instead."""
    url, emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "One check")
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    for token in (outsider, "not-a-session"):
        with pytest.raises(ServiceError):
            dashboard.dashboard_page(token, draft, 26, "", ask=True)
    assert _rows(url) == []  # refused before anything was asked
    assert dashboard.dashboard_page(manager, draft, 26, "", ask=True) is None  # asked
    with _worker():
        while dashboard.dashboard_page(manager, draft, 26, "", ask=False) is None:
            time.sleep(0.1)
    provider = str(next(iter(scenario_projection(manager, draft, 26).names)))
    checks = []
    real = dashboard.scenario_transaction
    monkeypatch.setattr(dashboard, "scenario_transaction", lambda *a: checks.append(a) or real(*a))
    shown = dashboard.dashboard_page(manager, draft, 26, provider, ask=False)
    assert len(checks) == 1
    assert shown is not None and (shown.unit, shown.refused) == (provider, None)
    assert shown.charts == trust_charts(manager, draft, 26, provider)
    assert shown.targets == dashboard_targets(manager, draft, 26)
    assert shown.projection.names == scenario_projection(manager, draft, 26).names
    stranger = dashboard.dashboard_page(manager, draft, 26, "999999", ask=False)
    assert stranger is not None and stranger.unit == ""
    assert "not a member" in str(stranger.refused)
    assert stranger.charts == trust_charts(manager, draft, 26, "")


def test_a_kept_page_is_the_page_once_this_process_holds_its_view(on_queue) -> None:
    """`kept_dashboard_page` answers None until the view (and the trust's charts) are held in
    this process, then what `dashboard_page` answers, without asking or reading anything; the
    caller is checked every time."""
    url, emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Kept view")
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    assert dashboard.kept_dashboard_page(manager, draft, 26, "") is None
    assert _rows(url) == []  # a kept page never asks the workers
    with _worker():
        while dashboard.dashboard_page(manager, draft, 26, "", ask=True) is None:
            time.sleep(0.1)
    provider = str(next(iter(scenario_projection(manager, draft, 26).names)))
    for unit in ("", provider, "999999"):
        page_now = dashboard.dashboard_page(manager, draft, 26, unit, ask=False)
        kept = dashboard.kept_dashboard_page(manager, draft, 26, unit)
        assert kept is not None and page_now is not None
        assert (kept.unit, kept.charts, kept.targets) == (
            page_now.unit,
            page_now.charts,
            page_now.targets,
        )
        assert str(kept.refused) == str(page_now.refused)
        for token in (outsider, "not-a-session"):
            with pytest.raises(ServiceError):
                dashboard.kept_dashboard_page(token, draft, 26, unit)
    dashboard._SHARED_VIEWS.clear()  # another process: stored, but not read there yet
    assert dashboard.kept_dashboard_page(manager, draft, 26, provider) is None


def test_a_kept_page_without_a_queue_is_what_this_process_projected(demo, monkeypatch) -> None:
    """Without a queue, a kept page needs the projection, targets and the trust's charts made
    here; a trust not yet drawn is None (the page draws it in the background)."""
    monkeypatch.setenv("ICS_JOB_QUEUE", "local")
    _url, _emails, manager, _executive, baseline, _collaborative = demo
    draft = create_scenario(manager, baseline, "Kept here")
    assert dashboard.kept_dashboard_page(manager, draft, 26, "") is None
    shown = dashboard.dashboard_page(manager, draft, 26, "", ask=True)
    assert shown is not None
    kept = dashboard.kept_dashboard_page(manager, draft, 26, "")
    assert kept is not None and (kept.charts, kept.targets) == (shown.charts, shown.targets)
    provider = str(next(iter(shown.projection.names)))
    assert dashboard.kept_dashboard_page(manager, draft, 26, provider) is None
    trust = dashboard.dashboard_page(manager, draft, 26, provider, ask=False)
    kept = dashboard.kept_dashboard_page(manager, draft, 26, provider)
    assert trust is not None and kept is not None and kept.charts == trust.charts
    stranger = dashboard.kept_dashboard_page(manager, draft, 26, "999999")
    assert stranger is not None and stranger.unit == "" and "not a member" in str(stranger.refused)


def test_a_pages_vars_are_built_once_per_content_key_and_trust(demo, monkeypatch) -> None:
    """The Dashboard builds a page's vars (pandas reads of the projection) once per content key
    and trust in a process, whichever member asks; an edit gives a new key and new vars."""
    monkeypatch.setenv("ICS_JOB_QUEUE", "local")
    _url, emails, manager, _executive, baseline, _collaborative = demo
    viewer = auth.sign_in(emails["viewer"], TEST_PASSWORD)
    draft = create_scenario(manager, baseline, "Vars once")
    shown = dashboard.dashboard_page(manager, draft, 26, "", ask=True)
    kept = dashboard.kept_dashboard_page(viewer, draft, 26, "")
    assert shown is not None and kept is not None and shown.key and kept.key == shown.key
    real = page.page_vars
    built: list[str] = []
    monkeypatch.setattr(page, "page_vars", lambda *args: built.append(args[3]) or real(*args))
    first = dashboard_state._page_vars(shown)
    assert dashboard_state._page_vars(kept) is first and built == [""]
    assert first == real(shown.projection, shown.targets, shown.charts, "")
    provider = str(next(iter(shown.projection.names)))
    trust = dashboard.dashboard_page(manager, draft, 26, provider, ask=False)
    assert trust is not None
    assert dashboard_state._page_vars(trust)["unit"] == provider and built == ["", provider]

    row = next(r for r in read_site_capacity(manager, draft) if r.code == "CANNOCK")
    update_site_capacity(manager, draft, row.site_id, "theatres", "14", row.theatre_version)
    edited = dashboard.dashboard_page(manager, draft, 26, "", ask=False)
    assert edited is not None and edited.key != shown.key
    assert dashboard_state._page_vars(edited) is not first and built == ["", provider, ""]


def test_another_web_process_reads_the_stored_view_without_a_worker(on_queue) -> None:
    """Once stored, a view reaches a process that never read it, with no worker running."""
    url, _emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Shared view")
    with _worker():
        charts = trust_charts(manager, draft, 26, "")
    dashboard._SHARED_VIEWS.clear()  # the other process: nothing read yet
    assert dashboard_ready(manager, draft, 26, ask=True) is True
    assert trust_charts(manager, draft, 26, "") == charts
    assert len(_rows(url)) == 1


def test_a_caller_who_may_not_view_the_scenario_asks_for_nothing(on_queue) -> None:
    """The outsider and a stranger are refused before any row is read or added."""
    url, emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Private view")
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    for token in (outsider, "not-a-session"):
        with pytest.raises(ServiceError):
            dashboard_ready(token, draft, 26, ask=True)
        with pytest.raises(ServiceError):
            trust_charts(token, draft, 26, "")
    assert _rows(url) == []
    with _worker():
        trust_charts(manager, draft, 26, "")
    with pytest.raises(ServiceError):  # nor is a stored view served to them
        trust_charts(outsider, draft, 26, "")


def test_a_trusts_charts_the_worker_could_not_draw_are_drawn_by_the_page(
    on_queue, monkeypatch
) -> None:
    """The view is shown; the one trust asked for is drawn here, once, as before workers."""
    url, _emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Trust charts fail")

    def cannot_draw(projection):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(projection_views, "build_trust_charts", cannot_draw)
    with _worker():
        assert trust_charts(manager, draft, 26, "")["fan_chart"]
        provider = next(iter(scenario_projection(manager, draft, 26).names))
        # Wait for the worker to give up on the trusts' charts before asking for one.
        while _trust_charts_column(url) is None:
            time.sleep(0.1)
    assert _trust_charts_column(url) == "{}"
    drawn = trust_charts(manager, draft, 26, str(provider))
    assert drawn["fan_chart"] and trust_charts(manager, draft, 26, str(provider)) is drawn


def _trust_charts_column(url: str) -> str | None:
    with unit_of_work(url) as session:
        return session.execute(sa.select(ProjectionView.trust_charts)).scalar_one()


def test_a_failed_projection_is_refused_in_words_and_asked_again(on_queue, monkeypatch) -> None:
    """The worker's reason reaches the page; the next page asks again, and gets the view."""
    url, _emails, manager, _executive, baseline, _collaborative = on_queue
    draft = create_scenario(manager, baseline, "Failing view")
    real_build = projection_views.build_view

    def no_waiting_list(scenario_id: int, horizon_weeks: int):
        raise ScenarioError("This scenario has no waiting list to project; import an RTT file.")

    monkeypatch.setattr(projection_views, "build_view", no_waiting_list)
    with _worker(), pytest.raises(ScenarioError, match="no waiting list to project"):
        trust_charts(manager, draft, 26, "")
    assert [r.status for r in _rows(url)] == ["failed"]

    monkeypatch.setattr(projection_views, "build_view", real_build)
    with _worker():
        assert trust_charts(manager, draft, 26, "")["fan_chart"]
    assert [r.status for r in _rows(url)] == ["done"]


def test_without_a_worker_the_page_is_told_in_words(on_queue, monkeypatch) -> None:
    """A view nobody computes ends the wait with a message, not a hang."""
    _url, _emails, manager, _executive, baseline, _collaborative = on_queue
    monkeypatch.setattr(projection_views, "WAIT_SECONDS", 0.5)
    with pytest.raises(ProjectionWaitError, match="taking longer than usual"):
        trust_charts(manager, baseline, 26, "")


def test_a_request_whose_worker_died_is_asked_again(on_queue) -> None:
    """A row left running past `STALE_AFTER` goes back to queued, even for a page already
    waiting on it (a later look, `ask=False`); a fresh one is left alone."""
    url, _emails, _manager, _executive, baseline, _collaborative = on_queue
    key = ("a content key",)
    assert poll_view(key, baseline, 26, ask=True) is None
    with unit_of_work(url) as session:
        row = session.execute(sa.select(ProjectionView)).scalar_one()
        row.status, row.started_at = "running", utc_now() - dt.timedelta(seconds=5)
        session.commit()
    assert poll_view(key, baseline, 26, ask=True) is None
    assert [r.status for r in _rows(url)] == ["running"]
    with unit_of_work(url) as session:
        row = session.execute(sa.select(ProjectionView)).scalar_one()
        row.started_at = utc_now() - projection_views.STALE_AFTER * 2
        session.commit()
    assert poll_view(key, baseline, 26, ask=False) is None
    assert [(r.status, r.started_at) for r in _rows(url)] == [("queued", None)]


def test_a_view_is_computed_once_and_old_views_are_pruned(on_queue, monkeypatch) -> None:
    """Two workers claiming one request: one computes it. Rows past `KEEP_FOR` go."""
    url, _emails, _manager, _executive, baseline, _collaborative = on_queue
    built: list[int] = []
    monkeypatch.setattr(
        projection_views, "build_view", lambda s, h: built.append(s) or build_view(s, h)
    )
    request_view("b" * 64, baseline, 26)
    (row,) = _rows(url)
    assert compute_view(row.id) is True
    assert compute_view(row.id) is False
    assert built == [baseline]
    assert prune_views(utc_now()) == 0
    assert prune_views(utc_now() + projection_views.KEEP_FOR * 2) == 1
    assert _rows(url) == []
