"""Independent sector bought at a price: a scenario's price per case of each planned specialty.

The rebalancing model buys capacity from independent-sector providers (services/rebalance.py)
and reports what it costs from these prices, per provider and specialty (docs/rebalance.md).
A specialty without a price has its bought cases reported as unpriced: no national price list
per treatment function is in the shared data, so no default is invented (docs/assumptions.md
§11b). Edits go through services/specialty_settings.py (version-checked, audited, local).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ics_capacity.db.models import CaseMix, IndependentSectorPrice, Scenario, TreatmentFunction
from ics_capacity.domain.roles import Permission
from ics_capacity.services.scenarios import FieldValueError, ScenarioError, scenario_transaction
from ics_capacity.services.specialty_settings import SpecialtyLever, lever_rows, save_lever

MAX_PRICE_PER_CASE = 100_000.0
"""The largest price per case accepted (pounds): a guard against typing mistakes, not a figure."""


def pounds(value: float) -> str:
    """Pounds as a planner reads them: £2,450 or £2,450.50."""
    return f"£{value:,.0f}" if float(value).is_integer() else f"£{value:,.2f}"


PRICE = SpecialtyLever(
    table=IndependentSectorPrice,
    column="price_per_case",
    entity="independent_sector_price",
    action="independent.price",
    what="The independent-sector price per case",
    default_words="no price",
    shown=pounds,
)


@dataclass(frozen=True)
class PriceRow:
    """One planned specialty's price per case, as the scenario page's form shows it."""

    tfc: str
    name: str
    price: str
    """The price in pounds as typed back, e.g. "2450" ("" when none is set)."""
    version: int
    """The row's version; 0 when there is no price."""


def parse_price(raw: str, tfc: str) -> float | None:
    """A price typed as pounds ("2450", "£2,450.50") as a number, or None for an empty field.

    Raises:
        FieldValueError: not a number, or outside £0 to £100,000, naming the specialty.
    """
    text = raw.strip().removeprefix("£").replace(",", "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FieldValueError(
            f"Independent-sector price for {tfc}: '{raw}' is not a number of pounds; leave it "
            "empty for no price."
        ) from None
    if not math.isfinite(value) or not 0 <= value <= MAX_PRICE_PER_CASE:
        raise FieldValueError(
            f"Independent-sector price for {tfc}: '{raw}' is outside £0 to "
            f"{pounds(MAX_PRICE_PER_CASE)} a case."
        )
    return round(value, 2)


def _planned(session: Session, scenario_id: int) -> list[str]:
    """The specialties the rebalancing plans: those with a case mix in the scenario."""
    return sorted(session.exec(select(CaseMix.tfc).where(CaseMix.scenario_id == scenario_id)).all())


def _rows(session: Session, scenario: Scenario) -> list[PriceRow]:
    assert scenario.id is not None
    prices = lever_rows(session, PRICE, scenario.id)
    codes = sorted(set(_planned(session, scenario.id)) | set(prices))
    names = dict(
        session.exec(
            select(TreatmentFunction.code, TreatmentFunction.name).where(
                col(TreatmentFunction.code).in_(codes)
            )
        ).all()
    )
    return [
        PriceRow(
            tfc=tfc,
            name=str(names.get(tfc, tfc)),
            price=""
            if tfc not in prices
            else f"{float(prices[tfc].price_per_case):.2f}".removesuffix(".00"),  # type: ignore[union-attr]
            version=prices[tfc].version if tfc in prices else 0,
        )
        for tfc in codes
    ]


def independent_prices(token: str | None, scenario_id: int) -> list[PriceRow]:
    """Each planned specialty's price per case bought from independent providers; to viewers."""
    with scenario_transaction(token, scenario_id, Permission.VIEW) as use:
        return _rows(use.session, use.scenario)


def set_independent_price(
    token: str | None, scenario_id: int, tfc: str, price: str, *, expected_version: int
) -> PriceRow:
    """Sets (or, given an empty price, removes) one specialty's independent-sector price.

    Returns:
        The specialty's row as saved.

    Raises:
        FieldValueError: the price is not a number from £0 to £100,000.
        ConflictError: the price changed since `expected_version`.
        ScenarioError: the specialty is not planned in the scenario, or the caller may not edit.
    """
    with scenario_transaction(token, scenario_id, Permission.EDIT_CAPACITY, editable=True) as use:
        session, scenario = use.session, use.scenario
        assert scenario.id is not None
        known = set(_planned(session, scenario.id)) | set(lever_rows(session, PRICE, scenario.id))
        if tfc not in known:
            raise ScenarioError(
                f"Treatment function '{tfc[:20]}' is not planned in '{scenario.name}' (it has "
                "no case mix)."
            )
        save_lever(use, PRICE, tfc, parse_price(price, tfc), expected_version)
        found = [r for r in _rows(session, scenario) if r.tfc == tfc]
        return found[0] if found else PriceRow(tfc, tfc, "", 0)
