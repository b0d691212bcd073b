"""Published rotas: a workforce lead approves a build's rota for a period, read-only from then on.

`publish_rota` keeps a snapshot of a finished build's result (who, when, which run, the period):
one current publication per scenario and period, a newer one superseding the old, which stays as
history. Everyone in the collaborative sees the publications (`published_rotas`) and downloads
them (`services.rota.download_published_rota`). A later build of dates a current publication
covers keeps its days where it can (`published_days`, the solver's "minimal change") and lists
every change. docs/rota.md, "Publishing and minimal change".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from ics_capacity.db.models import PublishedRota, SolveJob, utc_now
from ics_capacity.domain.moments import when
from ics_capacity.domain.roles import Permission
from ics_capacity.services.results import PublishedUsed, RotaOutcome, stored_rota
from ics_capacity.services.scenarios import (
    ConflictError,
    NotFoundError,
    ScenarioError,
    audit,
    scenario_transaction,
)
from solvers.rota.schema import PublishedAssignment

HISTORY_SHOWN = 20
"""Publications (current and superseded) the Rota page lists, newest first."""


@dataclass(frozen=True)
class PublishedView:
    """A publication as the page lists it."""

    id: int
    first_date: str
    last_date: str
    published_by: str
    published_at: str
    job_id: int | None
    current: bool
    superseded_at: str


def publish_rota(token: str, scenario_id: int, job_id: int) -> str:
    """Publishes a finished build's rota for its period; returns a sentence for the user.

    Only who may build rotas (workforce leads, administrators) may publish; audited. A newer
    publication of the same period supersedes the current one (kept as history).

    Raises:
        NotFoundError: no finished rota build of this scenario with that id.
        ScenarioError: the build has no rota, or breaks a hard rule.
        ConflictError: that build is already the current publication, or someone published the
            same period at the same moment.
    """
    with scenario_transaction(token, scenario_id, Permission.RUN_ROTA) as use:
        session, principal, scenario = use.session, use.principal, use.scenario
        job = session.get(SolveJob, job_id)
        if (
            job is None
            or job.scenario_id != scenario.id
            or job.kind != "rota"
            or job.status != "done"
            or not job.result
        ):
            raise NotFoundError("There is no finished rota build of this scenario to publish.")
        outcome = stored_rota(job.result, job_id=job.id)
        if not outcome.has_rota:
            raise ScenarioError("This build has no rota to publish.")
        if outcome.hard_violations:
            raise ScenarioError(
                f"This rota breaks {len(outcome.hard_violations)} hard rules and cannot be "
                "published; rebuild it first."
            )
        first = dt.date.fromisoformat(outcome.dates[0])
        last = dt.date.fromisoformat(outcome.dates[-1])
        current = session.exec(
            select(PublishedRota).where(
                PublishedRota.scenario_id == scenario.id,
                PublishedRota.first_date == first,
                PublishedRota.last_date == last,
                col(PublishedRota.superseded_at).is_(None),
            )
        ).first()
        if current is not None and current.job_id == job.id:
            raise ConflictError("This rota is already the published one for its period.")
        now = utc_now()
        if current is not None:
            current.superseded_at = now
            session.add(current)
            session.flush()
        published = PublishedRota(
            scenario_id=scenario.id,
            first_date=first,
            last_date=last,
            job_id=job.id,
            published_by=principal.email,
            published_by_id=principal.user_id,
            published_at=now,
            outcome=job.result,
        )
        session.add(published)
        try:
            session.flush()  # one current publication per period is checked here
        except sa.exc.IntegrityError as error:
            raise ConflictError(
                "Someone published a rota for this period a moment ago; nothing was saved."
            ) from error
        if current is not None:
            current.superseded_by_id = published.id
            session.add(current)
        message = (
            f"Published the rota of {first:%a %d %b %Y} to {last:%a %d %b %Y} (run {job.id})"
            + (f"; it supersedes publication {current.id}." if current is not None else ".")
        )
        audit(
            session,
            principal,
            scenario,
            "rota.publish",
            message,
            entity="published_rota",
            entity_id=published.id,
            old="" if current is None else f"publication {current.id}",
            new=f"run {job.id}",
        )
        return message


def published_rotas(token: str, scenario_id: int) -> list[PublishedView]:
    """The scenario's publications, newest first (current and superseded), for any member."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        rows = use.session.exec(
            select(PublishedRota)
            .options(defer(PublishedRota.outcome))  # type: ignore[arg-type]
            .where(PublishedRota.scenario_id == use.scenario.id)
            .order_by(col(PublishedRota.id).desc())
            .limit(HISTORY_SHOWN)
        ).all()
        return [
            PublishedView(
                id=row.id or 0,
                first_date=row.first_date.isoformat(),
                last_date=row.last_date.isoformat(),
                published_by=row.published_by,
                published_at=when(row.published_at),
                job_id=row.job_id,
                current=row.superseded_at is None,
                superseded_at="" if row.superseded_at is None else when(row.superseded_at),
            )
            for row in rows
        ]


def published_outcome(session: Session, scenario_id: int, published_id: int) -> RotaOutcome:
    """One publication's rota snapshot (the caller has checked the right to see the scenario).

    Raises:
        NotFoundError: no such publication of this scenario.
    """
    row = session.get(PublishedRota, published_id)
    if row is None or row.scenario_id != scenario_id:
        raise NotFoundError("There is no such published rota of this scenario.")
    return stored_rota(row.outcome, job_id=row.job_id)


def published_days(
    session: Session, scenario_id: int, dates: list[dt.date]
) -> tuple[list[PublishedAssignment], PublishedUsed | None]:
    """The current publications' days on the build's dates, as the solver's `published` input.

    Each person of a publication gets their shift, or the day off, on each shared date; the newest
    publication wins where two overlap. People who have left the staff list and shifts the build
    no longer has are passed on all the same: the solver cannot keep them and reports the change.
    People added since have no published days.
    """
    if not dates:
        return [], None
    rows = session.exec(
        select(PublishedRota)
        .where(
            PublishedRota.scenario_id == scenario_id,
            col(PublishedRota.superseded_at).is_(None),
            PublishedRota.first_date <= dates[-1],
            PublishedRota.last_date >= dates[0],
        )
        .order_by(col(PublishedRota.published_at).desc(), col(PublishedRota.id).desc())
    ).all()
    if not rows:
        return [], None
    day_of = {d.isoformat(): i for i, d in enumerate(dates)}
    chosen: dict[tuple[str, int], str | None] = {}
    shared: set[int] = set()
    for row in rows:
        outcome = stored_rota(row.outcome, job_id=row.job_id)
        worked = {(a.staff_id, a.day): a.shift_id for a in outcome.assignments}
        for index, date in enumerate(outcome.dates):
            day = day_of.get(date)
            if day is None:
                continue
            shared.add(day)
            for person in outcome.staff:
                chosen.setdefault((person.code, day), worked.get((person.code, index)))
    newest = rows[0]
    used = PublishedUsed(
        id=newest.id or 0,
        first_date=dates[min(shared)].isoformat(),
        last_date=dates[max(shared)].isoformat(),
        published_by=newest.published_by,
        published_at=when(newest.published_at),
        days=len(shared),
    )
    kept = [
        PublishedAssignment(staff_id=staff_id, day=day, shift_id=shift_id)
        for (staff_id, day), shift_id in sorted(chosen.items())
    ]
    return kept, used
