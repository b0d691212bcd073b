"""Overview: the selected collaborative per trust and in total, as the database holds it."""

from __future__ import annotations

import reflex as rx

from ics_capacity.domain.codes import SHORT_NAMES
from ics_capacity.domain.measures import measure
from ics_capacity.services.auth import AuthError
from ics_capacity.services.overview import CollaborativeOverview, ProviderFigures, load_overview
from ics_capacity.services.scenarios import ScenarioError
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import heading, term
from ics_capacity.ui.components.widgets import notice
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.changes import assign_changed
from ics_capacity.ui.state.session import SessionState, refusal

# Column key -> heading; a heading that is a measure of the catalogue shows its definition.
TRUST_COLUMNS: list[tuple[str, str | tuple[str, str]]] = [
    ("name", "Trust"),
    ("ods_code", "ODS code"),
    ("hubs", "Elective hubs run"),
    ("waiting_list", heading("waiting_list")),
    ("admitted", heading("admitted_list")),
    ("within_18", heading("within_18_weeks")),
    ("over_52", heading("over_52_weeks")),
    ("ga_beds", heading("ga_beds")),
    ("ga_occupancy", heading("ga_occupancy")),
    ("fte", heading("staff_fte")),
]
SITE_COLUMNS: list[tuple[str, str | tuple[str, str]]] = [
    ("name", "Site"),
    ("role", "Role"),
    ("operator", "Run by"),
    ("theatres", heading("theatres")),
    ("sessions", heading("sessions_per_theatre")),
    ("theatre_hours", heading("usable_theatre_hours")),
    ("beds", heading("elective_overnight_beds")),
    ("day_case", heading("day_case_places")),
    ("specialties", "Treatment functions"),
]


def _card(key: str, value: str, note: str) -> dict[str, str]:
    m = measure(key)
    return {"key": key, "label": m.label, "definition": m.tooltip, "value": value, "note": note}


def _trust_row(figures: ProviderFigures) -> dict[str, str]:
    return {
        "name": figures.name,
        "ods_code": figures.ods_code,
        "hubs": fmt.count(figures.hubs),
        "waiting_list": fmt.count(figures.waiting_list),
        "admitted": fmt.count(figures.admitted_list),
        "within_18": fmt.percent(figures.within_18_weeks_rate),
        "over_52": fmt.count(figures.over_52_weeks),
        "ga_beds": fmt.count(figures.ga_beds_available),
        "ga_occupancy": fmt.percent(figures.ga_occupancy_rate),
        "fte": fmt.count(figures.fte),
    }


class OverviewState(rx.State):
    """The figures of the collaborative the user has chosen, formatted for the page."""

    selected_code: str = ""
    collaborative_name: str = ""
    scenario_name: str = ""
    period_note: str = ""
    headline: list[dict[str, str]] = []
    trust_rows: list[dict[str, str]] = []
    total_row: dict[str, str] = {}
    site_rows: list[dict[str, str]] = []
    plan_note: str = ""
    is_plan: bool = False
    loaded: bool = False

    @rx.event
    async def load(self):
        """Reads the chosen collaborative's overview from the database.

        Only the vars whose values changed are assigned, so reloading an unchanged overview
        sends the browser (nearly) nothing.
        """
        session = await self.get_state(SessionState)
        if not session.signed_in or not session.collaborative_id:
            assign_changed(self, {"loaded": True})
            return None
        try:
            overview = load_overview(session.token, session.collaborative_id)
        except (AuthError, ScenarioError) as error:
            self.reset()  # a refused load shows nothing of what it would have
            self.loaded = True
            return refusal(error)
        assign_changed(self, {**_view(overview), "loaded": True})
        return None


def _view(overview: CollaborativeOverview | None) -> dict[str, object]:
    """The Overview's vars for these figures (no collaborative: the tables emptied)."""
    if overview is None:
        return {
            "selected_code": "",
            "collaborative_name": "",
            "headline": [],
            "trust_rows": [],
            "site_rows": [],
            "total_row": {},
        }
    total = overview.total
    if overview.plan_of_record:
        approved = fmt.when(overview.approved_at) if overview.approved_at else "unknown date"
        plan_note = (
            f"Plan of record: '{overview.scenario_name}', approved by "
            f"{overview.approved_by or 'an executive'} on {approved}. Its sites and hubs are "
            "shown below; the Dashboard projects it week by week."
        )
    else:
        plan_note = (
            "No plan approved yet: these are the published figures of the baseline. "
            "Approving a scenario on the Scenarios page makes it the plan of record."
        )
    period = f"{overview.data_period:%B %Y}" if overview.data_period else "unknown month"
    return {
        "selected_code": overview.collaborative.code,
        "collaborative_name": overview.collaborative.name,
        "scenario_name": overview.scenario_name,
        "is_plan": overview.plan_of_record,
        "plan_note": plan_note,
        "period_note": (
            f"Waiting lists: RTT, {period}. Beds: KH03, {overview.beds_period or 'not loaded'}. "
            f"Workforce: staff in post, {overview.workforce_period or 'not loaded'}."
        ),
        "headline": [
            _card("waiting_list", fmt.count(total.waiting_list), "incomplete RTT pathways"),
            _card("within_18_weeks", fmt.percent(total.within_18_weeks_rate), "standard: 92%"),
            _card("over_52_weeks", fmt.count(total.over_52_weeks), "patients"),
            _card(
                "ga_beds",
                fmt.count(total.ga_beds_available),
                f"{fmt.percent(total.ga_occupancy_rate)} occupied (uncapped)",
            ),
            _card("staff_fte", fmt.count(total.fte), "full-time equivalent"),
            _card("elective_hubs", fmt.count(total.hubs), f"of {len(overview.sites)} sites"),
        ],
        "trust_rows": [_trust_row(t) for t in overview.trusts],
        "total_row": _trust_row(total),
        "site_rows": [
            {
                "name": s.name,
                "role": "Elective hub" if s.is_elective_hub else "Acute site",
                "operator": s.operator,
                "theatres": fmt.count(s.theatres),
                "sessions": fmt.count(s.sessions_per_week),
                "theatre_hours": fmt.count(s.theatre_minutes_per_week / 60),
                "beds": fmt.count(s.elective_overnight_beds),
                "day_case": fmt.count(s.day_case_places),
                "specialties": ", ".join(SHORT_NAMES[t] for t in s.treatment_functions),
            }
            for s in overview.sites
        ],
    }


def _headline_card(item: dict[str, str]) -> rx.Component:
    return rx.box(
        rx.text(
            term(item["label"], item["definition"]),
            size="2",
            font_weight="600",
            color=theme.NHS_SECONDARY_TEXT,
        ),
        rx.text(
            item["value"],
            font_size="32px",
            font_weight="700",
            color=theme.NHS_TEXT,
            line_height="1.2",
        ),
        rx.text(item["note"], size="2", color=theme.NHS_SECONDARY_TEXT),
        background_color=theme.NHS_WHITE,
        border_top=f"4px solid {theme.NHS_BLUE}",
        padding="16px",
        role="group",
        aria_label=item["label"],
    )


def _figures_table(
    caption: str,
    columns: list[tuple[str, str | tuple[str, str]]],
    rows,
    total: dict | None = None,
) -> rx.Component:
    numeric = {key for key, _ in columns} - {"name", "ods_code", "role", "operator", "specialties"}

    def title(label: str | tuple[str, str]) -> str | rx.Component:
        return term(*label) if isinstance(label, tuple) else label

    def cell(row, key: str, header: bool = False) -> rx.Component:
        align = "right" if key in numeric else "left"
        if header:
            return rx.el.th(
                row[key], scope="row", text_align=align, padding="10px 12px", font_weight="600"
            )
        return rx.el.td(row[key], text_align=align, padding="10px 12px")

    body_row = lambda row: rx.el.tr(  # noqa: E731
        *[cell(row, key, header=(i == 0)) for i, (key, _) in enumerate(columns)],
        border_bottom=f"1px solid {theme.NHS_BORDER}",
    )
    foot = []
    if total is not None:
        foot = [
            rx.el.tfoot(
                rx.el.tr(
                    *[cell(total, key, header=(i == 0)) for i, (key, _) in enumerate(columns)],
                    font_weight="700",
                    border_top=f"2px solid {theme.NHS_TEXT}",
                )
            )
        ]
    return rx.box(
        rx.el.table(
            rx.el.caption(
                caption,
                text_align="left",
                font_size="20px",
                font_weight="600",
                padding_bottom="12px",
            ),
            rx.el.thead(
                rx.el.tr(
                    *[
                        rx.el.th(
                            title(label),
                            scope="col",
                            padding="10px 12px",
                            text_align="right" if key in numeric else "left",
                            border_bottom=f"2px solid {theme.NHS_TEXT}",
                            font_weight="600",
                        )
                        for key, label in columns
                    ]
                )
            ),
            rx.el.tbody(rx.foreach(rows, body_row)),
            *foot,
            class_name="figures",
            width="100%",
            border_collapse="collapse",
            font_size="16px",
        ),
        background_color=theme.NHS_WHITE,
        padding="20px",
        overflow_x="auto",
        tab_index=0,  # a scrolling region keyboard users can reach
        margin_top="24px",
    )


@protected_page(
    "/",
    "Overview",
    on_load=[OverviewState.load],
    description="Elective capacity, waiting lists and workforce of an NHS provider collaborative.",
)
def overview_page() -> rx.Component:
    """The overview page."""
    return page_shell(
        rx.cond(
            OverviewState.selected_code != "",
            rx.fragment(
                rx.heading(
                    OverviewState.collaborative_name,
                    as_="h1",
                    size="8",
                    color=theme.NHS_TEXT,
                    font_weight="700",
                ),
                rx.text(
                    OverviewState.scenario_name,
                    " · ",
                    OverviewState.period_note,
                    color=theme.NHS_SECONDARY_TEXT,
                    margin_top="8px",
                ),
                notice(
                    OverviewState.plan_note,
                    " ",
                    rx.link("See the projection week by week", href="/dashboard"),
                    tone=rx.cond(OverviewState.is_plan, "success", "info"),
                    id="plan-of-record",
                ),
                rx.grid(
                    rx.foreach(OverviewState.headline, _headline_card),
                    columns=rx.breakpoints(initial="2", md="3", lg="6"),
                    spacing="4",
                    margin_top="24px",
                ),
                _figures_table(
                    "Member trusts",
                    TRUST_COLUMNS,
                    OverviewState.trust_rows,
                    OverviewState.total_row,
                ),
                _figures_table("Sites and elective hubs", SITE_COLUMNS, OverviewState.site_rows),
            ),
            rx.cond(
                OverviewState.loaded,
                rx.callout(
                    "You are not a member of any collaborative with data yet. An administrator "
                    "adds members on the Users page; `ics-capacity seed-demo` loads the demo.",
                    icon="info",
                ),
                rx.text("Loading the collaborative…", role="status"),
            ),
        ),
    )
