"""The scenario page's "Validation (not treatment)": a share of each specialty's list a year.

One row per treatment function of the scenario's waiting list, with its observed removal rate
and the scenario's own share, if set. Those who may edit capacity in an editable scenario get a
field and a Save button per row, saved through `services.validation.set_validation_share` (role,
editability and version checked there); an empty field goes back to the observed rate.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.errors import ServiceError
from ics_capacity.services.scenarios import ConflictError
from ics_capacity.services.validation import (
    ValidationRow,
    set_validation_share,
    validation_settings,
)
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.widgets import button
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal


def _row(row: ValidationRow) -> dict[str, str]:
    return {
        "tfc": row.tfc,
        "name": row.name,
        "waiting": fmt.count(row.patients_waiting),
        "observed": (
            f"{row.observed_percent}%"
            + (" (default: 3% a month)" if row.observed_is_default else "")
            if row.observed_percent
            else "not known"
        ),
        "share": row.share_percent,
        "uses": (
            f"{row.share_percent}% a year (the scenario's setting)"
            if row.share_percent
            else "the observed rate"
        ),
        "key": f"{row.tfc}-{row.version}",
    }


class ValidationState(rx.State):
    """The validation shares of the scenario this browser opened."""

    _scenario_id: int = 0
    _versions: dict[str, int] = {}
    rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Reads the shares of the scenario in the URL, if the user may view it."""
        session = await self.get_state(SessionState)
        self._scenario_id, self.rows, self._versions = 0, [], {}
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
            rows = validation_settings(session.token, scenario_id)
        except ValueError:
            return None
        except ServiceError as error:
            return refusal(error)
        self._show(scenario_id, rows)
        return None

    def _show(self, scenario_id: int, rows: list[ValidationRow]) -> None:
        self._scenario_id = scenario_id
        self._versions = {r.tfc: r.version for r in rows}
        self.rows = [_row(r) for r in rows]

    @rx.event
    async def save(self, form: dict):
        """Saves one specialty's share; its code comes from the form, its version from here."""
        session = await self.get_state(SessionState)
        tfc = str(form.get("tfc", ""))[:20]
        try:
            saved = set_validation_share(
                session.token,
                self._scenario_id,
                tfc,
                str(form.get("share", "")),
                expected_version=self._versions.get(tfc, -1),
            )
        except ConflictError as error:
            self._show(self._scenario_id, validation_settings(session.token, self._scenario_id))
            return rx.toast.error(str(error), duration=10000)
        except (ServiceError, ValueError) as error:
            return refusal(error)
        room = await self.get_state(ScenarioRoom)
        room._refresh(
            session.token,
            self._scenario_id,
            f"{session.user_name} changed the validation share for {saved.tfc}",
        )
        self._show(self._scenario_id, validation_settings(session.token, self._scenario_id))
        uses = f"{saved.share_percent}% a year" if saved.share_percent else "the observed rate"
        return rx.toast.success(f"Validation for {saved.tfc}: {uses}")


def _cell(content, **props) -> rx.Component:
    return rx.el.td(content, padding="8px", vertical_align="middle", **props)


def _form(row) -> rx.Component:
    html_id = "validation-" + row["tfc"]
    return rx.form(
        rx.el.input(type="hidden", name="tfc", value=row["tfc"]),
        rx.hstack(
            rx.el.label(
                "Validation share a year for " + row["tfc"] + " (%)",
                html_for=html_id,
                class_name="visually-hidden",
            ),
            rx.el.input(
                id=html_id,
                name="share",
                default_value=row["share"],
                placeholder="observed",
                width="90px",
                border=f"2px solid {theme.NHS_TEXT}",
                padding="6px",
            ),
            button("Save " + row["tfc"], type="submit", kind="secondary"),
            align="center",
        ),
        on_submit=ValidationState.save,
        key=row["key"],
    )


def _table_row(row, can_edit: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.th(
            row["name"] + " (" + row["tfc"] + ")",
            scope="row",
            text_align="left",
            padding="8px",
            font_weight="400",
            vertical_align="middle",
        ),
        _cell(row["waiting"], text_align="right"),
        _cell(row["observed"], text_align="right"),
        _cell(rx.cond(can_edit, _form(row), row["uses"])),
        border_bottom=f"1px solid {theme.NHS_BORDER}",
        id="validation-row-" + row["tfc"],
    )


def validation_panel(can_edit: rx.Var) -> rx.Component:
    """Each specialty's validation share; a field per row for those who may edit."""
    return rx.cond(
        ValidationState.rows.length() > 0,  # type: ignore[attr-defined]
        rx.box(
            rx.heading("Validation (not treatment)", as_="h2", size="5"),
            rx.text(
                "Validation checks that patients on the list still need treatment; those who do "
                "not leave it untreated. Set the share of each specialty's list you expect "
                "validation to remove over a year (0 to 50%). The projection then uses it instead "
                "of the observed rate of removals without treatment (which also counts patients "
                "treated elsewhere or no longer wanting treatment); leave it empty to keep the "
                "observed rate. Removals by validation are never counted as treatment: the "
                "dashboard shows them apart.",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            rx.box(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col", text_align=a, padding="8px")
                                for h, a in (
                                    ("Treatment function", "left"),
                                    ("Waiting now", "right"),
                                    ("Observed removals a year", "right"),
                                    ("Validation share a year (%)", "left"),
                                )
                            ],
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(ValidationState.rows, lambda row: _table_row(row, can_edit))
                    ),
                    width="100%",
                    border_collapse="collapse",
                ),
                overflow_x="auto",
                tab_index=0,
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
            id="validation",
        ),
    )
