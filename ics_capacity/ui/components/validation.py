"""The scenario page's "Validation (not treatment)": a share of each specialty's list a year.

One row per treatment function of the scenario's waiting list, with its observed removal rate
and the scenario's own share, if set. Those who may edit capacity in an editable scenario get a
field and a Save button per row, saved through `services.validation.set_validation_share` (role,
editability and version checked there); an empty field goes back to the observed rate.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.validation import (
    ValidationRow,
    set_validation_share,
    validation_settings,
)
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.specialty_levers import (
    SpecialtyLeverState,
    lever_form,
    lever_panel,
    lever_table,
)


def _observed(row: ValidationRow) -> str:
    if not row.observed_percent:
        return "not known"
    default = " (default: 3% a month)" if row.observed_is_default else ""
    return f"{row.observed_percent}%{default}"


class ValidationState(SpecialtyLeverState, rx.State):
    """The validation shares of the scenario this browser opened."""

    def _read(self, token: str | None, scenario_id: int) -> list[ValidationRow]:
        return validation_settings(token, scenario_id)

    def _write(
        self, token: str | None, scenario_id: int, tfc: str, value: str, version: int
    ) -> ValidationRow:
        return set_validation_share(token, scenario_id, tfc, value, expected_version=version)

    def _shown(self, row: ValidationRow) -> dict[str, str]:
        return {
            "tfc": row.tfc,
            "name": row.name,
            "waiting": fmt.count(row.patients_waiting),
            "observed": _observed(row),
            "value": row.share_percent,
            "uses": (
                f"{row.share_percent}% a year (the scenario's setting)"
                if row.share_percent
                else "the observed rate"
            ),
            "save": f"Save {row.tfc}",
            "key": f"{row.tfc}-{row.version}",
        }

    def _said(self, saved: ValidationRow) -> str:
        uses = f"{saved.share_percent}% a year" if saved.share_percent else "the observed rate"
        return f"validation share for {saved.tfc}: {uses}"


def validation_panel(can_edit: rx.Var) -> rx.Component:
    """Each specialty's validation share; a field per row for those who may edit."""
    rows = ValidationState.rows
    return lever_panel(
        "Validation (not treatment)",
        "Validation checks that patients on the list still need treatment; those who do not "
        "leave it untreated. Set the share of each specialty's list you expect validation to "
        "remove over a year (0 to 50%). The projection then uses it instead of the observed rate "
        "of removals without treatment (which also counts patients treated elsewhere or no "
        "longer wanting treatment); leave it empty to keep the observed rate. Removals by "
        "validation are never counted as treatment: the dashboard shows them apart.",
        lever_table(
            rows,
            [
                ("Treatment function", "left"),
                ("Waiting now", "right"),
                ("Observed removals a year", "right"),
                ("Validation share a year (%)", "left"),
            ],
            lambda row: [
                rx.box(row["waiting"], text_align="right"),
                rx.box(row["observed"], text_align="right"),
                rx.cond(
                    can_edit,
                    lever_form(
                        ValidationState,
                        row,
                        "Validation share a year for " + row["tfc"] + " (%)",
                        "observed",
                    ),
                    row["uses"],
                ),
            ],
            "validation-row-",
        ),
        rows,
        "validation",
    )
