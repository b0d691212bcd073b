"""The scenario page's "Independent sector: price per case": one row per planned specialty.

The rebalancing plan's spend on independent-sector providers is reported from these prices.
Those who may edit capacity in an editable scenario get a field and a Save button per row, saved
through `services.independent_prices.set_independent_price` (role, editability and version
checked there); an empty field removes the price.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.independent_prices import (
    PriceRow,
    independent_prices,
    pounds,
    set_independent_price,
)
from ics_capacity.ui.components.specialty_levers import (
    SpecialtyLeverState,
    lever_form,
    lever_panel,
    lever_table,
)


class IndependentPriceState(SpecialtyLeverState, rx.State):
    """The independent-sector prices of the scenario this browser opened."""

    def _read(self, token: str | None, scenario_id: int) -> list[PriceRow]:
        return independent_prices(token, scenario_id)

    def _write(
        self, token: str | None, scenario_id: int, tfc: str, value: str, version: int
    ) -> PriceRow:
        return set_independent_price(token, scenario_id, tfc, value, expected_version=version)

    def _shown(self, row: PriceRow) -> dict[str, str]:
        return {
            "tfc": row.tfc,
            "name": row.name,
            "value": row.price,
            "shown": pounds(float(row.price)) if row.price else "no price set",
            "save": f"Save price {row.tfc}",
            "key": f"{row.tfc}-{row.version}",
        }

    def _said(self, saved: PriceRow) -> str:
        shown = pounds(float(saved.price)) + " a case" if saved.price else "no price"
        return f"independent-sector price for {saved.tfc}: {shown}"


def independent_prices_panel(can_edit: rx.Var) -> rx.Component:
    """Each planned specialty's price per case; a field per row for those who may edit."""
    rows = IndependentPriceState.rows
    return lever_panel(
        "Independent sector: price per case",
        "What the collaborative pays an independent-sector provider for one case of each "
        "planned specialty. The rebalancing plan reports its spend on the independent sector "
        "from these prices, per provider and specialty; cases of a specialty with no price are "
        "reported as unpriced, not free. No national price per specialty is in the app's data: "
        "enter your contracted prices, or the NHS Payment Scheme prices of the work you buy.",
        lever_table(
            rows,
            [("Specialty", "left"), ("Price per case (£)", "left")],
            lambda row: [
                rx.cond(
                    can_edit,
                    lever_form(
                        IndependentPriceState,
                        row,
                        "Price per case for " + row["tfc"] + " (£)",
                        "no price",
                    ),
                    row["shown"],
                ),
            ],
            "price-row-",
        ),
        rows,
        "independent-prices",
    )
