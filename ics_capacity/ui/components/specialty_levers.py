"""What the scenario page's per-specialty levers share: one state mixin and one table.

A lever (the validation share, the independent-sector price) is a table of treatment functions,
each with a field and a Save button for those who may edit. The mixin loads the rows of the
scenario in the URL and saves one row, quoting the version it read; the lever's module says how
to read, save and show its rows (ui/components/validation.py, ui/components/independent_prices.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from ics_capacity.services.errors import SERVICE_ERRORS, ServiceError
from ics_capacity.services.scenarios import ConflictError
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import text_input
from ics_capacity.ui.components.widgets import button
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal


class SpecialtyLeverState(rx.State, mixin=True):
    """Rows of one lever for the scenario this browser opened; ids and versions stay here."""

    _scenario_id: int = 0
    _versions: dict[str, int] = {}
    rows: list[dict[str, str]] = []

    def _read(self, token: str | None, scenario_id: int) -> list[Any]:
        """The lever's rows from its service (each with `tfc` and `version`)."""
        raise NotImplementedError

    def _write(self, token: str | None, scenario_id: int, tfc: str, value: str, version: int):
        """Saves one row through the lever's service; returns the saved row."""
        raise NotImplementedError

    def _shown(self, row: Any) -> dict[str, str]:
        """One row as the table shows it (needs `tfc` and `key`)."""
        raise NotImplementedError

    def _said(self, saved: Any) -> str:
        """What a save changed, in words, e.g. "validation share for C_110: 40% a year"."""
        raise NotImplementedError

    @rx.event
    async def load(self):
        """Reads the rows of the scenario in the URL, if the user may view it."""
        session = await self.get_state(SessionState)
        self._scenario_id, self.rows, self._versions = 0, [], {}
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
            rows = self._read(session.token, scenario_id)
        except ValueError:
            return None
        except ServiceError as error:
            return refusal(error)
        self._show(scenario_id, rows)
        return None

    def _show(self, scenario_id: int, rows: list[Any]) -> None:
        self._scenario_id = scenario_id
        self._versions = {r.tfc: r.version for r in rows}
        self.rows = [self._shown(r) for r in rows]

    @rx.event
    async def save(self, form: dict):
        """Saves one specialty's value; its code comes from the form, its version from here."""
        session = await self.get_state(SessionState)
        tfc = str(form.get("tfc", ""))[:20]
        try:
            saved = self._write(
                session.token,
                self._scenario_id,
                tfc,
                str(form.get("value", "")),
                self._versions.get(tfc, -1),
            )
        except ConflictError as error:
            self._show(self._scenario_id, self._read(session.token, self._scenario_id))
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        said = self._said(saved)
        room = await self.get_state(ScenarioRoom)
        room._refresh(session.token, self._scenario_id, f"{session.user_name} changed the {said}")
        self._show(self._scenario_id, self._read(session.token, self._scenario_id))
        return rx.toast.success(said[0].upper() + said[1:])


def lever_form(state: type[rx.State], row, label: rx.Var, placeholder: str) -> rx.Component:
    """A row's field and Save button; the field's name is `value`, the code goes hidden."""
    html_id = state.__name__.lower() + "-" + row["tfc"]
    return rx.form(
        rx.el.input(type="hidden", name="tfc", value=row["tfc"]),
        rx.hstack(
            rx.el.label(label, html_for=html_id, class_name="visually-hidden"),
            text_input(
                html_id,
                name="value",
                default_value=row["value"],
                placeholder=placeholder,
                width="110px",
            ),
            button(row["save"], type="submit", kind="secondary"),
            align="center",
        ),
        on_submit=state.save,  # type: ignore[attr-defined]
        key=row["key"],
    )


def lever_table(
    rows: Any,
    headings: list[tuple[str, str]],
    cells: Callable[[Any], list[rx.Component]],
    row_id: str,
) -> rx.Component:
    """The lever's table: the specialty as the row header, then `cells(row)`."""
    return rx.box(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    *[rx.el.th(h, scope="col", text_align=a, padding="8px") for h, a in headings],
                    border_bottom=f"2px solid {theme.NHS_TEXT}",
                )
            ),
            rx.el.tbody(
                rx.foreach(
                    rows,
                    lambda row: rx.el.tr(
                        rx.el.th(
                            row["name"] + " (" + row["tfc"] + ")",
                            scope="row",
                            text_align="left",
                            padding="8px",
                            font_weight="400",
                            vertical_align="middle",
                        ),
                        *[rx.el.td(c, padding="8px", vertical_align="middle") for c in cells(row)],
                        border_bottom=f"1px solid {theme.NHS_BORDER}",
                        id=row_id + row["tfc"],
                    ),
                )
            ),
            width="100%",
            border_collapse="collapse",
        ),
        overflow_x="auto",
        tab_index=0,
    )


def lever_panel(
    heading: str, intro: str, table: rx.Component, rows: Any, html_id: str
) -> rx.Component:
    """The lever's section on the scenario page, shown when the scenario has rows."""
    return rx.cond(
        rows.length() > 0,
        rx.box(
            rx.heading(heading, as_="h2", size="5"),
            rx.text(intro, color=theme.NHS_SECONDARY_TEXT),
            table,
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
            id=html_id,
        ),
    )
