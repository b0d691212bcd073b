"""One saving path for a scenario's figures set per treatment function (the planners' levers).

A lever is a table with one row per scenario and treatment function and one numeric column:
validation shares (`ValidationSetting.share_per_year`, services/validation.py) and
independent-sector prices (`IndependentSectorPrice.price_per_case`,
services/independent_prices.py). No row means the default (the observed rate; no price). The
editor quotes the version it saw (0: no row yet); a stale version is refused naming who changed
it; a value of None removes the row; every change is audited and becomes local in the scenario's
provenance, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlmodel import Session, col, select

from ics_capacity.db.models import IndependentSectorPrice, ValidationSetting
from ics_capacity.services.provenance import mark_local
from ics_capacity.services.scenario_changes import flush_or_conflict, mark_scenario_changed
from ics_capacity.services.scenarios import ConflictError, ScenarioUse, audit, optimistic_edit

SpecialtyRow = ValidationSetting | IndependentSectorPrice


@dataclass(frozen=True)
class SpecialtyLever:
    """How one lever is stored and said: its table, column, audit action and words."""

    table: type[ValidationSetting] | type[IndependentSectorPrice]
    column: str
    entity: str
    action: str
    what: str
    """E.g. "The validation share" (followed by "for C_110")."""
    default_words: str
    """What no row means, e.g. "observed rate" or "no price"."""
    shown: Callable[[float], str]
    """A value as the audit log shows it, e.g. "40%" or "£2,500"."""


def lever_rows(
    session: Session, lever: SpecialtyLever, scenario_id: int
) -> dict[str, SpecialtyRow]:
    """The scenario's rows of a lever by treatment function."""
    rows = session.exec(select(lever.table).where(col(lever.table.scenario_id) == scenario_id))
    return {r.tfc: r for r in cast(list[SpecialtyRow], rows.all())}


def save_lever(
    use: ScenarioUse, lever: SpecialtyLever, tfc: str, value: float | None, expected_version: int
) -> None:
    """Sets (or, for None, removes) one treatment function's value of a lever, audited.

    Raises:
        ConflictError: the row changed since `expected_version`, or at the same moment.
    """
    session, principal, scenario = use.session, use.principal, use.scenario
    assert scenario.id is not None
    row = lever_rows(session, lever, scenario.id).get(tfc)
    old = None if row is None else float(getattr(row, lever.column))
    what = f"{lever.what} for {tfc}"
    if row is None:
        if expected_version != 0:
            raise ConflictError(
                f"{what} was removed since you opened it; nothing was saved. The current figures "
                "are shown."
            )
        if value is None:
            return
        row = lever.table.model_validate(
            {"scenario_id": scenario.id, "tfc": tfc, lever.column: Decimal(0)}
        )
        check: int | None = None
    else:
        check = expected_version
    shown_old = lever.default_words if old is None else lever.shown(old)
    shown_new = lever.default_words if value is None else lever.shown(value)
    with optimistic_edit(session, row, check, what):
        if value is None:
            session.delete(row)
        else:
            setattr(row, lever.column, Decimal(str(value)))
            row.updated_by = principal.email
            session.add(row)
        if shown_old != shown_new:
            audit(
                session,
                principal,
                scenario,
                lever.action,
                f"{what}: {shown_old} → {shown_new}",
                entity=lever.entity,
                entity_id=tfc,
                field=lever.column,
                old=shown_old,
                new=shown_new,
            )
            mark_local(
                session,
                scenario.id,
                lever.entity,
                tfc,
                lever.column,
                f"set on the scenario page by {principal.email}"
                if value is not None
                else f"{lever.default_words} restored on the scenario page by {principal.email}",
                principal.email,
            )
        flush_or_conflict(
            session,
            f"{what} was saved by someone else at the same moment; nothing was saved. The "
            "current figures are shown.",
        )
        mark_scenario_changed(session, scenario.id, principal.email)
