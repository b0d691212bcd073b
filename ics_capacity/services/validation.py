"""The validation lever: a scenario's share of each specialty's list removed by validation a year.

Validation checks that patients on a waiting list still need treatment; those who do not leave
the list untreated. Planners set, per treatment function, the share of its list they expect
validation to remove over a year (0 to 50%); the projection then uses that share instead of the
observed rate of removals without treatment, and every figure keeps removals by validation apart
from treatment (services/projections.py, docs/projections.md "Validation"). A treatment function
without a setting keeps its observed rate, shown beside the field.

Edits go through services/specialty_settings.py: the editor quotes the version it saw (0: no
setting yet), a stale version is refused naming who changed it, the change is audited and becomes
local in the scenario's provenance, all in one transaction. An empty share removes the setting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ics_capacity.db.models import (
    CollaborativeMember,
    Scenario,
    TreatmentFunction,
    ValidationSetting,
    WaitingList,
)
from ics_capacity.domain.roles import Permission
from ics_capacity.projections.inputs import (
    DEFAULT_VALIDATION_RATE_PER_MONTH,
    MAX_VALIDATION_SHARE_PER_YEAR,
    weekly_rate_from_monthly,
    yearly_share_from_weekly,
)
from ics_capacity.services.projections import observed_validation_shares
from ics_capacity.services.scenarios import (
    FieldValueError,
    ScenarioError,
    scenario_transaction,
)
from ics_capacity.services.specialty_settings import SpecialtyLever, lever_rows, save_lever

VALIDATION = SpecialtyLever(
    table=ValidationSetting,
    column="share_per_year",
    entity="validation_setting",
    action="validation.share",
    what="The validation share a year",
    default_words="observed rate",
    shown=lambda share: f"{_percent_text(share)}%",
)


@dataclass(frozen=True)
class ValidationRow:
    """One treatment function's validation share, as the scenario page's form shows it."""

    tfc: str
    name: str
    patients_waiting: float
    observed_percent: str
    """The observed removal rate as a share of the list a year, e.g. "30.9" ("" when unknown)."""
    observed_is_default: bool
    """Whether that rate is the default (the trusts' history is too short for their own)."""
    share_percent: str
    """The scenario's own share a year, e.g. "12.5"; "" when it keeps the observed rate."""
    version: int
    """The setting's row version; 0 when there is no setting."""


_DEFAULT_PER_YEAR = float(
    yearly_share_from_weekly(weekly_rate_from_monthly(DEFAULT_VALIDATION_RATE_PER_MONTH))
)


def _percent_text(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".")


def parse_share_percent(raw: str, tfc: str) -> float | None:
    """A share typed as a percent ("12", "12.5%") as 0..0.5, or None for an empty field.

    Raises:
        FieldValueError: not a number, or outside 0 to 50%, naming the treatment function.
    """
    text = raw.strip().removesuffix("%").strip()
    if not text:
        return None
    limit = f"{MAX_VALIDATION_SHARE_PER_YEAR:.0%}"
    try:
        value = float(text)
    except ValueError:
        raise FieldValueError(
            f"Validation share for {tfc}: '{raw}' is not a number; give a percent of the list a "
            f"year from 0 to {limit}, or leave it empty for the observed rate."
        ) from None
    if not math.isfinite(value) or not 0 <= value <= MAX_VALIDATION_SHARE_PER_YEAR * 100:
        raise FieldValueError(
            f"Validation share for {tfc}: '{raw}' is outside 0 to {limit} of the list a year."
        )
    return round(value / 100, 3)


def _waiting_by_tfc(session: Session, scenario: Scenario) -> dict[str, float]:
    rows = session.exec(
        select(WaitingList.tfc, sa.func.sum(WaitingList.patients))
        .join(
            CollaborativeMember,
            col(CollaborativeMember.organisation_id) == col(WaitingList.organisation_id),
        )
        .where(
            WaitingList.scenario_id == scenario.id,
            CollaborativeMember.collaborative_id == scenario.collaborative_id,
            WaitingList.part == "Part_2",
        )
        .group_by(WaitingList.tfc)
    ).all()
    return {str(tfc): float(total or 0) for tfc, total in rows}


def _settings(session: Session, scenario_id: int) -> dict[str, ValidationSetting]:
    return lever_rows(session, VALIDATION, scenario_id)  # type: ignore[return-value]


def _rows(session: Session, scenario: Scenario) -> list[ValidationRow]:
    assert scenario.id is not None
    waiting = _waiting_by_tfc(session, scenario)
    settings = _settings(session, scenario.id)
    observed = observed_validation_shares(session, scenario) if waiting else {}
    codes = sorted(set(waiting) | set(settings))
    names = dict(
        session.exec(
            select(TreatmentFunction.code, TreatmentFunction.name).where(
                col(TreatmentFunction.code).in_(codes)
            )
        ).all()
    )
    rows = []
    for tfc in codes:
        setting = settings.get(tfc)
        rows.append(
            ValidationRow(
                tfc=tfc,
                name=str(names.get(tfc, tfc)),
                patients_waiting=waiting.get(tfc, 0.0),
                observed_percent=_percent_text(observed[tfc]) if tfc in observed else "",
                observed_is_default=abs(observed.get(tfc, -1.0) - _DEFAULT_PER_YEAR) < 1e-9,
                share_percent=""
                if setting is None
                else _percent_text(float(setting.share_per_year)),
                version=0 if setting is None else setting.version,
            )
        )
    return rows


def validation_settings(token: str | None, scenario_id: int) -> list[ValidationRow]:
    """Each treatment function of the scenario's waiting list with its validation share.

    For anyone who may view the scenario.
    """
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return _rows(use.session, use.scenario)


def set_validation_share(
    token: str | None,
    scenario_id: int,
    tfc: str,
    share_percent: str,
    *,
    expected_version: int,
) -> ValidationRow:
    """Sets (or, given an empty share, removes) one treatment function's validation share.

    Args:
        token: The caller's session.
        scenario_id: A scenario the caller may edit capacity in, still editable.
        tfc: The treatment function code (one on the scenario's waiting list or already set).
        share_percent: Percent of the list removed by validation a year, 0 to 50; "" to go back
            to the observed rate.
        expected_version: The setting's version the editor saw; 0 when there was none.

    Returns:
        The treatment function's row as saved.

    Raises:
        FieldValueError: the share is not a number from 0 to 50.
        ConflictError: the setting changed since `expected_version`.
        ScenarioError: the treatment function is not in the scenario, or the caller may not
            edit it.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, scenario = use.session, use.scenario
        assert scenario.id is not None
        if tfc not in _settings(session, scenario.id) and tfc not in _waiting_by_tfc(
            session, scenario
        ):
            raise ScenarioError(
                f"Treatment function '{tfc[:20]}' has no waiting list in '{scenario.name}'."
            )
        share = parse_share_percent(share_percent, tfc)
        save_lever(use, VALIDATION, tfc, share, expected_version)
        return _row_of(session, scenario, tfc)


def _row_of(session: Session, scenario: Scenario, tfc: str) -> ValidationRow:
    found = [r for r in _rows(session, scenario) if r.tfc == tfc]
    return found[0] if found else ValidationRow(tfc, tfc, 0.0, "", False, "", 0)
