"""The executive dashboard's questions, answered for a member: projection, trusts, capacity.

The page only shows what these return. A projection, a trust's charts and the targets table are
cached per backend process, keyed on the scenario *and the content it reads*
(`services/content_cache.py`): the newest audit event of its collaborative (every change of
capacity, demand, case-mix or status writes one in the same transaction; a projection also reads
its parent and the baseline) and the newest finished optimiser run. An edit therefore never shows
figures from before it. The caller's right to see the scenario is checked on every request,
cached or not.

Where a miss is computed depends on the job queue (`services/job_queue.py`). With `local` (the
embedded default, no worker) this process projects, as before. With a queue, web processes
never project: the whole view (projection, targets and every trust's charts) is asked of the
solver workers and shared between web processes through the database
(`services/projection_views.py`), and each web process keeps the views it read in memory. So
are the other answers that take projections: the scenario page's impact (`impact_answer`), and
the capacity question and a target a member adds (`services/dashboard_questions.py`, which uses
the keyed helpers here: `checked_key`, `keyed_projection`, `polled_view`, `polled_answer`). Each
of these checks the caller here, then answers at once, or None while a worker computes (a page
polls it from its event loop); `scenario_impact` waits for the same answer in its thread, for
callers that are not pages.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ics_capacity.domain.errors import InvalidInputError
from ics_capacity.domain.roles import Permission
from ics_capacity.services.content_cache import ContentCache, collaborative_content_key
from ics_capacity.services.job_queue import uses_queue
from ics_capacity.services.projection_figures import rag_date
from ics_capacity.services.projection_views import (
    IMPACT,
    DashboardView,
    poll_answer,
    poll_view,
    shared_view,
    stored_trust_charts,
    wait_for,
    with_trust_charts,
)
from ics_capacity.services.projections import (
    ScenarioProjection,
    dashboard_chart_specs,
    project_scenario,
)
from ics_capacity.services.scenario_impact import (
    IMPACT_RUNS,
    ImpactRow,
    ScenarioImpact,
    impact_of,
    next_year_end,
)
from ics_capacity.services.scenarios import scenario_transaction
from ics_capacity.services.targets import TargetReport, scenario_targets

MAX_HORIZON_WEEKS = 104
_PROJECTIONS: ContentCache[ScenarioProjection] = ContentCache(size=8)
# A few scenarios' worth of trusts (the collaborative and up to ~7 members each).
_CHART_SPECS: ContentCache[dict[str, dict]] = ContentCache(size=32)
_TARGET_REPORTS: ContentCache[TargetReport] = ContentCache(size=8)
# Views the solver workers computed (with a job queue), as read from the database.
_SHARED_VIEWS: ContentCache[DashboardView] = ContentCache(size=8)
# The workers' smaller answers (impact, capacity question, a member's target), as read.
_ANSWERS: ContentCache[Any] = ContentCache(size=32)

__all__ = [
    "IMPACT_RUNS",
    "MAX_HORIZON_WEEKS",
    "ImpactRow",
    "ScenarioImpact",
    "DashboardPage",
    "dashboard_page",
    "dashboard_ready",
    "dashboard_targets",
    "kept_dashboard_page",
    "check_horizon",
    "checked_key",
    "keyed_projection",
    "polled_answer",
    "polled_view",
    "scenario_data_date",
    "impact_answer",
    "next_year_end",
    "polled_dashboard_view",
    "rag_date",
    "scenario_impact",
    "scenario_projection",
    "trust_charts",
]


def checked_key(token: str, scenario_id: int, horizon_weeks: int) -> tuple:
    """(scenario, horizon, its version, the collaborative's content key), after checking the caller.

    The collaborative's content, not only the scenario's: a projection also reads its parent
    (the comparison) and the baseline (the calibration of its capacity).
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return (
            use.scenario.id,
            horizon_weeks,
            use.scenario.version,
            *collaborative_content_key(use.session, use.scenario.collaborative_id),
        )


def scenario_projection(token: str, scenario_id: int, horizon_weeks: int) -> ScenarioProjection:
    """The scenario's projection for a member, from the cache while the scenario is unchanged."""
    check_horizon(horizon_weeks)
    return keyed_projection(checked_key(token, scenario_id, horizon_weeks), token)


def keyed_projection(key: tuple, token: str) -> ScenarioProjection:
    """The projection under a checked content key: the workers' (with a queue) or made here."""
    scenario_id, horizon_weeks = key[0], key[1]
    if uses_queue():
        return _worker_view(key, scenario_id, horizon_weeks).projection
    return _PROJECTIONS.get(
        key, lambda: project_scenario(token, scenario_id, horizon_weeks=horizon_weeks)
    )


@dataclass(frozen=True)
class DashboardPage:
    """What the Dashboard shows for the collaborative or one member trust, read under one check.

    `unit` is the trust shown ('' for the collaborative); `refused` says why the trust asked for
    is not shown (it is not a member), and the collaborative is shown instead. `key` is the
    content key all three were read under: the same key and unit always give the same page, so
    a page may keep what it builds from them.
    """

    projection: ScenarioProjection
    targets: TargetReport
    charts: dict[str, dict]
    unit: str
    refused: InvalidInputError | None = None
    key: tuple = ()


def dashboard_page(
    token: str, scenario_id: int, horizon_weeks: int, unit: str, *, ask: bool
) -> DashboardPage | None:
    """The projection, dated targets and charts the Dashboard shows; None while a worker works.

    With a job queue the view is the workers' (`ask`, a page's first look, asks for it). One
    check of the caller and one content key serve all three, where separate calls made one each:
    a trust switch is the Dashboard's most frequent event.
    """
    check_horizon(horizon_weeks)
    key = checked_key(token, scenario_id, horizon_weeks)
    if uses_queue() and polled_view(key, scenario_id, horizon_weeks, ask=ask) is None:
        return None
    projection = keyed_projection(key, token)
    targets = _targets(key, token, projection)
    try:
        return DashboardPage(projection, targets, _trust_charts(key, token, unit), unit, key=key)
    except InvalidInputError as error:  # a trust not of this collaborative: show all
        charts = _trust_charts(key, token, "")
        return DashboardPage(projection, targets, charts, "", error, key=key)


def kept_dashboard_page(
    token: str, scenario_id: int, horizon_weeks: int, unit: str
) -> DashboardPage | None:
    """`dashboard_page` from what this process keeps in memory, or None where it would not do.

    None where a projection or chart would be made here, or a view read from the database: a
    page then waits for `dashboard_page` off its tab's lock. Otherwise the answer is a check of
    the caller and dictionary reads, quick enough for a page to answer a trust switch (its most
    frequent event) within the event itself, with one load of the tab's state instead of three.
    """
    check_horizon(horizon_weeks)
    key = checked_key(token, scenario_id, horizon_weeks)
    if uses_queue():
        shared = _SHARED_VIEWS.find(key)
        if shared is None:
            return None
        projection, targets = shared.projection, shared.targets

        def kept_charts(provider: int | None) -> dict[str, dict] | None:
            return shared.charts.get("" if provider is None else str(provider))
    else:
        kept_projection = _PROJECTIONS.find(key)
        kept_targets = _TARGET_REPORTS.find(("targets", *key))
        if kept_projection is None or kept_targets is None:
            return None
        projection, targets = kept_projection, kept_targets

        def kept_charts(provider: int | None) -> dict[str, dict] | None:
            return _CHART_SPECS.find(("charts", *key, provider))

    try:
        provider, refused = _member(projection, unit), None
    except InvalidInputError as error:  # a trust not of this collaborative: show all
        provider, refused = None, error
    charts = kept_charts(provider)
    if charts is None:
        return None
    return DashboardPage(projection, targets, charts, "" if refused else unit, refused, key=key)


def _member(projection: ScenarioProjection, unit: str) -> int | None:
    """The member trust a unit names (None: the collaborative), or InvalidInputError."""
    try:
        provider = int(unit) if unit else None
    except ValueError:
        raise InvalidInputError("That trust is not a member of the collaborative.") from None
    if provider is not None and provider not in projection.names:
        raise InvalidInputError("That trust is not a member of the collaborative.")
    return provider


def _worker_view(key: tuple, scenario_id: int, horizon_weeks: int) -> DashboardView:
    """The workers' view under a checked content key, kept in this process once read."""
    return _SHARED_VIEWS.get(key, lambda: shared_view(key, scenario_id, horizon_weeks))


def dashboard_ready(token: str, scenario_id: int, horizon_weeks: int, *, ask: bool) -> bool:
    """Whether the Dashboard's view can be read now without waiting for a worker.

    With a job queue, a view no web process has read yet is asked of the workers (`ask`, a
    page's first look) and this says False until one has stored it; a page polls this from its
    event loop rather than holding a thread while it waits. Without a queue it is always True:
    the reads compute the view in this process.

    Raises:
        ScenarioError: the worker could not project the scenario (in its words).
    """
    check_horizon(horizon_weeks)
    if not uses_queue():
        return True
    key = checked_key(token, scenario_id, horizon_weeks)
    return polled_view(key, scenario_id, horizon_weeks, ask=ask) is not None


def polled_dashboard_view(
    token: str, scenario_id: int, horizon_weeks: int, *, ask: bool
) -> tuple[tuple, DashboardView | None]:
    """(the view's content key, the workers' view or None while one computes it), with a queue.

    For a service that renders what the workers make from the view (the board pack); the
    caller's right to view the scenario is checked first.
    """
    check_horizon(horizon_weeks)
    key = checked_key(token, scenario_id, horizon_weeks)
    return key, polled_view(key, scenario_id, horizon_weeks, ask=ask)


def check_horizon(horizon_weeks: int) -> None:
    """Refuses a horizon the Dashboard does not offer, before any work is asked for."""
    if not 4 <= horizon_weeks <= MAX_HORIZON_WEEKS:
        raise InvalidInputError(f"Horizon: 4 to {MAX_HORIZON_WEEKS} weeks.")


def polled_view(
    key: tuple, scenario_id: int, horizon_weeks: int, *, ask: bool
) -> DashboardView | None:
    """The workers' view under a checked content key, or None while one computes it."""
    found = _SHARED_VIEWS.find(key)
    if found is not None:
        return found
    view = poll_view(key, scenario_id, horizon_weeks, ask=ask)
    if view is not None:
        _SHARED_VIEWS.put(key, view)
    return view


def polled_answer(
    key: tuple,
    scenario_id: int,
    horizon_weeks: int,
    *,
    ask: bool,
    kind: str,
    params: dict[str, Any],
    read: Callable[[dict], Any],
) -> Any:
    """A worker's answer under a checked key (`read` from its JSON), or None while it computes.

    Kept in this process once read, like the views.
    """
    found = _ANSWERS.find(key)
    if found is not None:
        return found
    answer = poll_answer(
        key,
        scenario_id,
        horizon_weeks,
        ask=ask,
        read=lambda payload, _trusts: read(json.loads(payload)),
        kind=kind,
        params=params,
    )
    if answer is not None:
        _ANSWERS.put(key, answer)
    return answer


def trust_charts(token: str, scenario_id: int, horizon_weeks: int, unit: str) -> dict[str, dict]:
    """The dashboard's chart specs for the collaborative ('') or one member trust's id.

    Cached with the projection's content key and the trust: switching between trusts of an
    unchanged scenario builds each trust's charts once per process.
    """
    return _trust_charts(checked_key(token, scenario_id, horizon_weeks), token, unit)


def _trust_charts(key: tuple, token: str, unit: str) -> dict[str, dict]:
    """`trust_charts` under a checked content key."""
    scenario_id, horizon_weeks = key[0], key[1]
    shared = _worker_view(key, scenario_id, horizon_weeks) if uses_queue() else None
    projection = shared.projection if shared is not None else keyed_projection(key, token)
    provider = _member(projection, unit)
    if shared is not None:
        found = shared.charts.get("" if provider is None else str(provider))
        if found is not None:
            return found
        drawn = stored_trust_charts(key)  # the worker draws the trusts' after the view
        if drawn is not None:
            shared = with_trust_charts(shared, drawn)
            _SHARED_VIEWS.put(key, shared)
            if str(provider) in shared.charts:
                return shared.charts[str(provider)]
        projection = shared.projection  # it could not draw them: draw this one here
    return _CHART_SPECS.get(
        ("charts", *key, provider), lambda: dashboard_chart_specs(projection, provider)
    )


def dashboard_targets(token: str, scenario_id: int, horizon_weeks: int) -> TargetReport:
    """The Dashboard's dated targets (the default set) for the scenario's projection, cached.

    Keyed like the projection, whose content it reads besides the scenario's input rows.
    """
    key = checked_key(token, scenario_id, horizon_weeks)
    return _targets(key, token, keyed_projection(key, token))


def _targets(key: tuple, token: str, projection: ScenarioProjection) -> TargetReport:
    """`dashboard_targets` under a checked content key, for its projection."""
    scenario_id, horizon_weeks = key[0], key[1]
    if uses_queue():
        return _worker_view(key, scenario_id, horizon_weeks).targets
    return _TARGET_REPORTS.get(
        ("targets", *key), lambda: scenario_targets(token, scenario_id, projection)
    )


def scenario_data_date(token: str, scenario_id: int) -> dt.date:
    """The last day of the month of the scenario's published data (its RTT period)."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        period = use.scenario.data_period
    if period is None:
        raise InvalidInputError("This scenario has no data period; import an RTT file first.")
    next_month = (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return next_month - dt.timedelta(days=1)


# --- Impact of a scenario's capacity, for the scenario page -------------------------------------


def scenario_impact(token: str, scenario_id: int) -> ScenarioImpact:
    """The effect of the scenario's capacity on the waiting list at the next year end.

    The scenario page shows it within about 2 s of an edit: a deterministic projection of the
    scenario and its comparison (parent, else the baseline), cached per content like the
    Dashboard's (`services/scenario_impact.py` says what is measured). With a job queue a solver
    worker projects it, and this blocks its thread while it waits (a page polls `impact_answer`).
    """
    return wait_for(impact_answer, token, scenario_id)


def impact_answer(token: str, scenario_id: int, *, ask: bool) -> ScenarioImpact | None:
    """`scenario_impact`, or None while a solver worker projects it (with a job queue).

    Without a queue it is projected here at once. With one, the caller is checked and the year
    end worked out here, and the projection is asked of the workers on the first look (`ask`).

    Raises:
        ScenarioError: the worker could not project the scenario (in its words).
    """
    start = scenario_data_date(token, scenario_id)
    weeks, at_date = next_year_end(start)
    key = (IMPACT, *checked_key(token, scenario_id, weeks))
    if uses_queue():
        return polled_answer(
            key,
            scenario_id,
            weeks,
            ask=ask,
            kind=IMPACT,
            params={"at_date": at_date.isoformat()},
            read=ScenarioImpact.from_json,
        )
    projection = _PROJECTIONS.get(
        key,
        lambda: project_scenario(token, scenario_id, horizon_weeks=weeks, runs=IMPACT_RUNS),
    )
    return impact_of(projection, weeks, at_date)
