"""The scenario page's "Sites and hubs" form and "Where the figures come from" list.

Hubs are the collaborative's decision: each site's row is a small form (elective hub, treatment
functions, sessions a week per theatre, location) saved through `services.hubs.set_hub`, which
checks the role and the site's version. The provenance list shows each recorded figure as
published, estimated (with its rule) or local.
"""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.errors import SERVICE_ERRORS, ServiceError
from ics_capacity.services.hubs import HubSiteView, hub_sites, set_hub
from ics_capacity.services.provenance import scenario_provenance
from ics_capacity.services.scenarios import ConflictError
from ics_capacity.ui import theme
from ics_capacity.ui.components.forms import row_input
from ics_capacity.ui.components.hub_readiness import HubReadinessState
from ics_capacity.ui.components.widgets import button, field_label
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal

ENTITY_LABELS = {
    "site": "Site",
    "theatre_capacity": "Theatres",
    "bed_capacity": "Beds",
    "case_mix": "Case mix",
    "trust_beds": "G&A beds",
    "hub_standard_setting": "Hub standards",
    "validation_setting": "Validation share",
    "independent_sector_price": "Independent-sector price",
}


def _row(view: HubSiteView) -> dict[str, str]:
    return {
        "code": view.code,
        "name": view.name,
        "operator": view.operator,
        "hub": "yes" if view.is_hub else "",
        "tfcs": view.treatment_functions,
        "sessions": view.sessions_per_week,
        "latitude": view.latitude,
        "longitude": view.longitude,
        "key": f"{view.code}-{view.version}",
    }


class HubsState(rx.State):
    """The sites' hub settings and the figures' provenance of the scenario this browser opened."""

    _scenario_id: int = 0
    _versions: dict[str, int] = {}
    sites: list[dict[str, str]] = []
    provenance: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Reads the sites and provenance of the scenario in the URL, if the user may view it."""
        session = await self.get_state(SessionState)
        self._scenario_id, self.sites, self.provenance, self._versions = 0, [], [], {}
        try:
            scenario_id = int(self.router.page.params.get("scenario_id", "0"))
            views = hub_sites(session.token, scenario_id)
            figures = scenario_provenance(session.token, scenario_id)
        except ValueError:
            return None
        except ServiceError as error:
            return refusal(error)
        self._scenario_id = scenario_id
        self._versions = {v.code: v.version for v in views}
        self.sites = [_row(v) for v in views]
        self.provenance = [
            {
                "what": f"{ENTITY_LABELS.get(f.entity, f.entity)} {f.key}: "
                + f.field.replace("_", " "),
                "kind": f.kind_label,
                "rule": f.rule,
            }
            for f in figures
        ]
        return None

    @rx.event
    async def save(self, form: dict):
        """Saves one site's hub settings; the site's code comes from the form, its version here."""
        session = await self.get_state(SessionState)
        code = str(form.get("code", ""))
        try:
            saved = set_hub(
                session.token,
                self._scenario_id,
                code,
                is_hub=form.get("hub") in ("on", True, "true"),
                treatment_functions=str(form.get("tfcs", "")),
                sessions_per_week=str(form.get("sessions", "0")),
                latitude=str(form.get("latitude", "")),
                longitude=str(form.get("longitude", "")),
                expected_version=self._versions.get(code, -1),
            )
        except ConflictError as error:
            await self.load()
            return rx.toast.error(str(error), duration=10000)
        except SERVICE_ERRORS as error:
            return refusal(error)
        room = await self.get_state(ScenarioRoom)
        room._refresh(session.token, self._scenario_id, f"{session.user_name} changed {saved.name}")
        await self.load()
        # A site marked or unmarked as a hub joins or leaves the hub readiness table.
        return [rx.toast.success(f"Saved {saved.name}"), HubReadinessState.load]


def _input(row, name: str, label: str, width: str, **props) -> rx.Component:
    return row_input("hub", row, name, label, width=width, **props)


def _site_form(row) -> rx.Component:
    hub_id = "hub-" + row["code"] + "-hub"
    return rx.form(
        rx.el.input(type="hidden", name="code", value=row["code"]),
        rx.text(row["name"], " · ", row["operator"], font_weight="600", width="100%"),
        rx.flex(
            rx.hstack(
                rx.el.input(
                    type="checkbox",
                    id=hub_id,
                    name="hub",
                    default_checked=row["hub"] == "yes",
                    width="20px",
                    height="20px",
                ),
                field_label("Elective hub: " + row["code"], hub_id),
                align="center",
            ),
            # Labels name the site ("... at RL4"): each row is a form of its own.
            _input(row, "tfcs", "Treatment functions taken (codes)", "300px"),
            _input(row, "sessions", "Sessions a week per theatre", "90px", required=True),
            _input(row, "latitude", "Latitude", "110px", placeholder="e.g. 52.45"),
            _input(row, "longitude", "Longitude", "110px", placeholder="e.g. -1.93"),
            button("Save " + row["code"], type="submit"),
            gap="16px",
            wrap="wrap",
            align="end",
        ),
        on_submit=HubsState.save,
        key=row["key"],
        padding_y="12px",
        border_bottom=f"1px solid {theme.NHS_BORDER}",
    )


def hubs_panel(can_edit: rx.Var) -> rx.Component:
    """The "Sites and hubs" form, for those who may edit capacity in an editable scenario."""
    return rx.cond(
        can_edit & (HubsState.sites.length() > 0),
        rx.box(
            rx.heading("Sites and hubs", as_="h2", size="5"),
            rx.text(
                "Mark the sites that take planned work as elective hubs, choose the treatment "
                "functions each takes and its sessions. Place each site (latitude, longitude) "
                "so that the rebalance can move patients between trusts.",
                color=theme.NHS_SECONDARY_TEXT,
            ),
            rx.foreach(HubsState.sites, _site_form),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
        ),
    )


def provenance_panel() -> rx.Component:
    """Which figures are published, estimated (with the rule) or the collaborative's own."""
    return rx.cond(
        HubsState.provenance.length() > 0,
        rx.box(
            rx.el.details(
                rx.el.summary(
                    "Where the figures come from (published, estimated or local)",
                    font_size="20px",
                    font_weight="600",
                    cursor="pointer",
                ),
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col", text_align="left", padding="8px")
                                for h in ("Figure", "Source", "Rule or source")
                            ],
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            HubsState.provenance,
                            lambda f: rx.el.tr(
                                rx.el.th(f["what"], scope="row", text_align="left", padding="8px"),
                                rx.el.td(
                                    rx.el.strong(f["kind"]),
                                    padding="8px",
                                    color=rx.cond(
                                        f["kind"] == "Estimated", theme.NHS_TEXT, theme.NHS_BLUE
                                    ),
                                ),
                                rx.el.td(f["rule"], padding="8px", font_size="14px"),
                                border_bottom=f"1px solid {theme.NHS_BORDER}",
                            ),
                        )
                    ),
                    width="100%",
                    border_collapse="collapse",
                ),
            ),
            background_color=theme.NHS_WHITE,
            padding="20px",
            margin_top="16px",
            overflow_x="auto",
        ),
    )
