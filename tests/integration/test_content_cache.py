"""The Overview's and the Dashboard's cached views: fresh after a change, never another's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ics_capacity.db.models import Collaborative
from ics_capacity.db.session import unit_of_work
from ics_capacity.services import auth
from ics_capacity.services.capacity import read_site_capacity, update_site_capacity
from ics_capacity.services.content_cache import ContentCache
from ics_capacity.services.dashboard import dashboard_targets, trust_charts
from ics_capacity.services.errors import ServiceError
from ics_capacity.services.overview import load_overview
from ics_capacity.services.scenarios import (
    create_scenario,
    decide_scenario,
    scenario_summary,
    submit_scenario,
)
from tests.conftest import TEST_PASSWORD


def _cannock_sessions(overview) -> int:
    return next(s.sessions_per_week for s in overview.sites if s.code == "CANNOCK")


def test_an_unchanged_overview_is_read_once_and_a_change_shows_at_the_next_load(demo) -> None:
    """Two loads share one view; approving an edited scenario shows its figures at once."""
    _url, _emails, manager, executive, baseline, collaborative = demo
    first = load_overview(manager, collaborative)
    assert first is not None and load_overview(manager, collaborative) is first

    draft = create_scenario(manager, baseline, "More Cannock sessions")
    row = next(r for r in read_site_capacity(manager, draft) if r.code == "CANNOCK")
    sessions = row.sessions_per_week + 3
    update_site_capacity(
        manager, draft, row.site_id, "sessions_per_week", str(sessions), row.theatre_version
    )
    submit_scenario(manager, draft, scenario_summary(manager, draft).version)
    decide_scenario(
        executive, draft, scenario_summary(executive, draft).version, approve=True, note="ok"
    )

    after = load_overview(manager, collaborative)
    assert after is not None and after is not first
    assert (after.scenario_id, after.plan_of_record) == (draft, True)
    assert _cannock_sessions(after) == sessions != _cannock_sessions(first)


def test_a_cached_overview_is_never_served_to_another_collaborative(demo) -> None:
    """The outsider is refused the cached Black Country view and gets only their own."""
    url, emails, manager, _executive, _baseline, collaborative = demo
    ours = load_overview(manager, collaborative)
    assert ours is not None
    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        load_overview(outsider, collaborative)
    with pytest.raises(ServiceError):
        load_overview("not-a-session", collaborative)
    with unit_of_work(url) as session:
        theirs_id = session.execute(
            sa.select(Collaborative.id).where(Collaborative.code == "QHL")
        ).scalar_one()
    theirs = load_overview(outsider, theirs_id)
    assert theirs is None or theirs.collaborative.code == "QHL"
    if theirs is not None:
        assert {t.ods_code for t in theirs.trusts}.isdisjoint({t.ods_code for t in ours.trusts})


def test_a_trusts_charts_are_cached_until_the_scenario_changes(demo) -> None:
    """A trust switch reuses the charts and targets; an edit gives new ones; outsiders refused."""
    _url, emails, manager, _executive, baseline, _collaborative = demo
    draft = create_scenario(manager, baseline, "Charts cache")
    charts = trust_charts(manager, draft, 26, "")
    assert trust_charts(manager, draft, 26, "") is charts
    targets = dashboard_targets(manager, draft, 26)
    assert dashboard_targets(manager, draft, 26) is targets

    outsider = auth.sign_in(emails["outsider"], TEST_PASSWORD)
    with pytest.raises(ServiceError):
        trust_charts(outsider, draft, 26, "")
    with pytest.raises(ServiceError):
        dashboard_targets(outsider, draft, 26)

    row = next(r for r in read_site_capacity(manager, draft) if r.code == "CANNOCK")
    update_site_capacity(
        manager,
        draft,
        row.site_id,
        "sessions_per_week",
        str(row.sessions_per_week + 5),
        row.theatre_version,
    )
    changed = trust_charts(manager, draft, 26, "")
    assert changed is not charts and changed != charts
    assert dashboard_targets(manager, draft, 26) is not targets


def test_the_cache_keeps_the_newest_views_up_to_its_size() -> None:
    """The least recently used view goes first; a view is made once per key."""
    made: list[str] = []
    cache: ContentCache[str] = ContentCache(size=2)

    def make(value: str):
        return lambda: made.append(value) or value

    assert cache.get(("a",), make("A")) == "A"
    assert cache.get(("b",), make("B")) == "B"
    assert cache.get(("a",), make("A again")) == "A"  # kept; now the newest
    assert cache.get(("c",), make("C")) == "C"  # "b" goes
    assert cache.get(("b",), make("B again")) == "B again"
    assert made == ["A", "B", "C", "B again"]
