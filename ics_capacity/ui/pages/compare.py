"""Two or three scenarios side by side (`/compare`): inputs, projected outcomes, the baseline.

`ScenariosState.compare` (`scenarios.py`) opens it with the ticked ids; `CompareState.load` checks
them through the service.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pandas as pd
import reflex as rx

from ics_capacity.charts.scenarios import capacity_by_site
from ics_capacity.domain.measures import label, measure
from ics_capacity.services.capacity import compare_scenarios
from ics_capacity.services.comparison import AT_WEEKS, ScenarioOutcome, compare_outcomes
from ics_capacity.services.errors import SERVICE_ERRORS, InvalidInputError
from ics_capacity.services.recorded_baseline import BaselineReport
from ics_capacity.ui import theme
from ics_capacity.ui.components import format as fmt
from ics_capacity.ui.components.forms import select_field
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.measures import term
from ics_capacity.ui.components.tables import cell, data_table, row_heading
from ics_capacity.ui.components.vega import vega_chart
from ics_capacity.ui.components.widgets import notice, panel, table_panel, working
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState, refusal


class CompareState(rx.State):
    """Two or three scenarios side by side."""

    names: list[str] = []
    kpi_rows: list[list[str]] = []
    differences: list[list[str]] = []
    theatre_chart: dict = {}
    beds_chart: dict = {}
    error: str = ""
    at_weeks: str = "52"
    outcome_rows: list[list[str]] = []
    outcome_caption: str = ""
    verdict: str = ""
    outcomes_busy: bool = False
    baseline_heading: str = ""
    baseline_message: str = ""
    baseline_headings: list[str] = []
    baseline_rows: list[list[str]] = []
    _ids: list[int] = []
    _request: int = 0

    @rx.var
    def kpi_headings(self) -> list[str]:
        """Headings of the key-figures table."""
        return ["Figure", *self.names]

    @rx.var
    def difference_headings(self) -> list[str]:
        """Headings of the differences table."""
        return ["Site", "Figure", *self.names]

    @rx.event
    async def load(self):
        """Reads the scenarios named in the URL (?ids=1,2,3) and compares them."""
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return None
        self.error, self._ids, self.outcome_rows, self.verdict = "", [], [], ""
        self.baseline_heading, self.baseline_rows = "", []
        try:
            ids = [int(x) for x in self.router.url.query_parameters.get("ids", "").split(",") if x]
            comparison = compare_scenarios(session.token, ids)
        except ValueError:
            self.error = "The link does not name scenarios to compare."
            return None
        except SERVICE_ERRORS as error:
            self.error = str(error)
            return refusal(error)
        self._ids = [k.scenario_id for k in comparison.kpis]
        kpis = comparison.kpis
        self.names = [k.name for k in kpis]

        def row(key: str, values: list[str]) -> list[str]:
            m = measure(key)
            return [m.label, m.tooltip, *values]

        self.kpi_rows = [
            ["Status", "", *[k.status.capitalize() for k in kpis]],
            row("waiting_list", [fmt.count(k.waiting_list) for k in kpis]),
            row("within_18_weeks", [fmt.percent(k.within_18_weeks_rate) for k in kpis]),
            row("over_52_weeks", [fmt.count(k.over_52_weeks) for k in kpis]),
            row(
                "waiting_list_all_providers",
                [fmt.count(k.waiting_list_all_providers) for k in kpis],
            ),
            row("usable_theatre_hours", [fmt.count(k.theatre_hours_per_week) for k in kpis]),
            row("elective_overnight_beds", [fmt.count(k.elective_overnight_beds) for k in kpis]),
            row("day_case_places", [fmt.count(k.day_case_places) for k in kpis]),
            row("elective_hubs", [fmt.count(k.hubs) for k in kpis]),
        ]
        self.differences = [[d.site, d.field, *d.by_scenario] for d in comparison.differences]
        frame = pd.DataFrame([dataclasses.asdict(f) for f in comparison.sites])
        self.theatre_chart = capacity_by_site(
            frame, value="theatre_hours_per_week", title=label("usable_theatre_hours")
        ).to_dict()
        self.beds_chart = capacity_by_site(
            frame, value="elective_overnight_beds", title=label("elective_overnight_beds")
        ).to_dict()
        return CompareState.project_outcomes

    @rx.event
    def choose_at(self, weeks: str):
        """Reads the projections at another week after the data."""
        if weeks not in {str(w) for w in AT_WEEKS}:
            return refusal(InvalidInputError("Compare at: choose a week from the list."))
        self.at_weeks = weeks
        return CompareState.project_outcomes

    @rx.event(background=True)
    async def project_outcomes(self):
        """Projects each scenario (off the event loop) and compares their outcomes."""
        async with self:
            session = await self.get_state(SessionState)
            token, ids, at_week = session.token, list(self._ids), int(self.at_weeks)
            self._request += 1
            request = self._request
            if len(ids) < 2:
                return
            self.outcomes_busy = True
        try:
            result = await asyncio.to_thread(compare_outcomes, token, ids, at_week)
        except SERVICE_ERRORS as error:
            async with self:
                if request == self._request:
                    self.outcomes_busy, self.outcome_rows, self.verdict = False, [], ""
                    self.baseline_heading, self.baseline_rows = "", []
            yield refusal(error)
            return
        async with self:
            if request != self._request:  # a newer choice is being projected
                return
            self.outcomes_busy = False
            self.outcome_rows, self.outcome_caption = _outcome_rows(result.outcomes)
            self.verdict = result.verdict
            (
                self.baseline_heading,
                self.baseline_message,
                self.baseline_headings,
                self.baseline_rows,
            ) = _baseline_rows(result.outcomes, result.against_baseline)


def _baseline_rows(
    outcomes: list[ScenarioOutcome], reports: list[BaselineReport]
) -> tuple[str, str, list[str], list[list[str]]]:
    """Each trust's KPIs against the recorded baseline, one column per scenario.

    Returns:
        The heading (which baseline, approved when, the week), the note, the table's headings
        and rows: trust, measure, recorded figure, then each scenario's "figure: difference
        (better/worse/same)".
    """
    if not reports or not reports[0].recorded:
        note = reports[0].message if reports else ""
        return (reports[0].heading if reports else ""), note, [], []
    first = reports[0]
    cells: dict[tuple[str, str], list[str]] = {}
    for report in reports:
        for row in report.rows:
            key = (row.trust, row.measure)
            cells.setdefault(key, [row.trust, row.measure, row.baseline])
            cells[key].append(f"{row.plan}: {row.difference} ({row.verdict})")
    width = 3 + len(reports)
    rows = [r + ["–"] * (width - len(r)) for r in cells.values()]
    headings = ["Trust", "Measure", "Recorded baseline", *[o.name for o in outcomes]]
    heading = first.heading.replace("each trust at", "each trust of each scenario at")
    return heading, first.message, headings, rows


def _weeks(week: int | None, horizon: int) -> str:
    return f"week {week}" if week is not None else f"not within {horizon} weeks"


def _outcome_rows(outcomes: list[ScenarioOutcome]) -> tuple[list[list[str]], str]:
    """Rows of the outcomes table (label, definition, one value per scenario) and its caption."""

    def row(key: str, values: list[str]) -> list[str]:
        m = measure(key)
        return [m.label, m.tooltip, *values]

    def money(pence: int | None) -> str:
        return fmt.NOT_AVAILABLE if pence is None else f"£{pence / 100:,.0f}"

    first = outcomes[0]
    when = f" ({first.at_date:%d %B %Y})" if first.at_date else ""
    caption = f"Projected outcomes {first.at_week} weeks after the data{when}"
    rows = [
        row("projected_waiting_list", [fmt.count(o.waiting_list) for o in outcomes]),
        row("projected_within_18_weeks", [fmt.percent(o.within_18_weeks) for o in outcomes]),
        row("projected_over_52_weeks", [fmt.count(o.over_52_weeks) for o in outcomes]),
        row("projected_over_65_weeks", [fmt.count(o.over_65_weeks) for o in outcomes]),
        [
            "52-week waits cleared",
            "The first projected week with no patient waiting over 52 weeks.",
            *[_weeks(o.over_52_cleared_week, o.horizon_weeks) for o in outcomes],
        ],
        [
            "65-week waits cleared",
            "The first projected week with no patient waiting over 65 weeks.",
            *[_weeks(o.over_65_cleared_week, o.horizon_weeks) for o in outcomes],
        ],
        [
            measure("projected_treated").label,
            f"{measure('projected_treated').tooltip} Here: weeks 1 to {first.at_week}.",
            *[fmt.count(o.treated) for o in outcomes],
        ],
        [
            measure("projected_removed_by_validation").label,
            f"{measure('projected_removed_by_validation').tooltip} Here: weeks 1 to "
            f"{first.at_week}. Shown apart from treatment, never added to it: a scenario that "
            "shortens the list by assuming more validation shows it here.",
            *[fmt.count(o.removed_by_validation) for o in outcomes],
        ],
        [
            "Validation rate from",
            "The scenario's own validation share a year per specialty, where its planners set "
            "one; else each list's observed rate of removals without treatment.",
            *[o.validation_source for o in outcomes],
        ],
        [
            "Rota cost",
            "The newest rota built for the scenario: substantive and bank shifts, and its gaps "
            "priced at the agency cap. '–' when no rota has been built.",
            *[money(o.rota_cost_pence) for o in outcomes],
        ],
        [
            "Staffing gaps (places short)",
            "Places the newest rota leaves unfilled. '–' when no rota has been built.",
            *[fmt.count(o.places_short) for o in outcomes],
        ],
        [
            "Patients moved by the plan",
            "Patients the saved rebalancing plan treats away from their own trust. '–' when no "
            "plan is saved (a baseline never carries one).",
            *[fmt.count(o.patients_moved) for o in outcomes],
        ],
    ]
    return rows, caption


def _grid_table(caption: str, headings, rows) -> rx.Component:
    return table_panel(
        data_table(
            caption,
            headings,
            rows,
            lambda row: [rx.foreach(row, lambda c: cell(c))],
            class_name="figures",
        )
    )


def _kpi_table(headings, rows, caption="Key figures") -> rx.Component:
    """Key figures: each row's label (with its definition on hover and focus), then values."""

    def cells(row) -> list[rx.Component]:
        return [
            row_heading(rx.cond(row[1] != "", term(row[0], row[1]), row[0]), font_weight="600"),
            rx.foreach(row[2:], lambda c: cell(c)),
        ]

    return table_panel(data_table(caption, headings, rows, cells, class_name="figures"))


def _outcomes_panel() -> rx.Component:
    """The verdict, the week to compare at, and the projected outcomes."""
    return rx.box(
        rx.hstack(
            select_field(
                "Compare at",
                "compare-at",
                [rx.el.option(f"{w} weeks after the data", value=str(w)) for w in AT_WEEKS],
                CompareState.at_weeks,
                CompareState.choose_at,
            ),
            working(CompareState.outcomes_busy, "Projecting each scenario…"),
            align="end",
            spacing="4",
            margin_top="16px",
        ),
        rx.cond(
            CompareState.verdict != "",
            notice(rx.text.strong(CompareState.verdict), id="compare-verdict", role="status"),
        ),
        rx.cond(
            CompareState.outcome_rows.length() > 0,
            _kpi_table(
                CompareState.kpi_headings, CompareState.outcome_rows, CompareState.outcome_caption
            ),
        ),
        rx.cond(
            CompareState.baseline_heading != "",
            panel(
                rx.heading(CompareState.baseline_heading, as_="h2", size="5"),
                rx.text(CompareState.baseline_message, margin_top="8px"),
                rx.cond(
                    CompareState.baseline_rows.length() > 0,
                    _grid_table(
                        "Each trust against the recorded baseline: each scenario's figure, the "
                        "difference and whether it is better or worse",
                        CompareState.baseline_headings,
                        CompareState.baseline_rows,
                    ),
                ),
                margin_top="16px",
            ),
        ),
    )


@protected_page("/compare", "Compare scenarios", on_load=[CompareState.load])
def compare_page() -> rx.Component:
    """The comparison page."""
    return page_shell(
        rx.link("← All scenarios", href="/scenarios", color=theme.NHS_BLUE),
        rx.heading("Compare scenarios", as_="h1", size="8", margin_top="8px"),
        rx.cond(
            CompareState.error != "",
            rx.text(CompareState.error, role="alert", color=theme.NHS_RED),
            rx.fragment(
                _outcomes_panel(),
                _kpi_table(CompareState.kpi_headings, CompareState.kpi_rows, "Inputs and today"),
                rx.grid(
                    panel(
                        vega_chart(
                            CompareState.theatre_chart,
                            label("usable_theatre_hours") + " by site and scenario",
                        )
                    ),
                    panel(
                        vega_chart(
                            CompareState.beds_chart, "Elective overnight beds by site and scenario"
                        )
                    ),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    margin_top="16px",
                ),
                rx.cond(
                    CompareState.differences.length() > 0,
                    _grid_table(
                        "Inputs that differ",
                        CompareState.difference_headings,
                        CompareState.differences,
                    ),
                    panel(rx.text("The scenarios have the same site capacity."), margin_top="16px"),
                ),
            ),
        ),
    )
