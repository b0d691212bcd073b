"""Where each figure of a scenario came from: published, estimated (with its rule) or local.

Onboarding records the published and estimated figures of the starting model; an edit on the
scenario page or a sites template marks the figure local from then on. The scenario page reads
them back through `scenario_provenance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import FigureProvenance, utc_now
from ics_capacity.domain.roles import Permission
from ics_capacity.services.scenarios import scenario_transaction

KIND_LABELS = {"published": "Published", "estimated": "Estimated", "local": "Local"}


@dataclass(frozen=True)
class ProvenanceView:
    """One figure's provenance as the scenario page lists it."""

    entity: str
    key: str
    field: str
    kind: str
    kind_label: str
    rule: str


def mark_local(
    session: Session, scenario_id: int, entity: str, key: str, field: str, rule: str, user: str
) -> None:
    """Records that a figure is now the collaborative's own (entered or uploaded)."""
    row = session.exec(
        select(FigureProvenance).where(
            FigureProvenance.scenario_id == scenario_id,
            FigureProvenance.entity == entity,
            FigureProvenance.entity_key == key[:20],
            FigureProvenance.field == field,
        )
    ).first()
    if row is None:
        row = FigureProvenance(
            scenario_id=scenario_id, entity=entity, entity_key=key[:20], field=field, kind="local"
        )
    row.kind, row.rule = "local", rule[:2000]
    row.recorded_at, row.recorded_by = utc_now(), user
    session.add(row)


def provenance_in(session: Session, scenario_id: int) -> list[ProvenanceView]:
    """The scenario's provenance rows in entity, key and field order (inside a use case)."""
    rows = session.exec(
        select(FigureProvenance)
        .where(FigureProvenance.scenario_id == scenario_id)
        .order_by(
            sa.asc(col(FigureProvenance.entity)),
            sa.asc(col(FigureProvenance.entity_key)),
            sa.asc(col(FigureProvenance.field)),
        )
    ).all()
    return [
        ProvenanceView(r.entity, r.entity_key, r.field, r.kind, KIND_LABELS[r.kind], r.rule)
        for r in rows
    ]


def scenario_provenance(token: str | None, scenario_id: int) -> list[ProvenanceView]:
    """Where each recorded figure of the scenario came from, for anyone who may view it."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return provenance_in(use.session, int(use.scenario.id or 0))
