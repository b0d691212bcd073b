"""The Rota page: the publications panel, the results and the page itself (route `/rota`)."""

from __future__ import annotations

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.components.layout import page_shell
from ics_capacity.ui.components.tables import cell, column_heading
from ics_capacity.ui.components.widgets import button, figures_table, notice, panel
from ics_capacity.ui.pages.rota.form import settings_panel
from ics_capacity.ui.pages.rota.grid import hub_grid, legend, lock_panel, staff_grid, week_picker
from ics_capacity.ui.pages.rota.state import RotaState
from ics_capacity.ui.routes import protected_page
from ics_capacity.ui.state.session import SessionState


def _publication_row(p) -> rx.Component:
    """A published rota: its period, when, by whom, from which run, its state and downloads."""
    return rx.el.tr(
        *[cell(p[key], padding="4px 8px") for key in ("period", "at", "by", "run", "state")],
        cell(
            rx.hstack(
                *[
                    button(
                        label,
                        kind="secondary",
                        on_click=RotaState.download_published(p["id"], fmt),
                        aria_label="Download the published rota of " + p["period"] + f" as {label}",
                    )
                    for label, fmt in (("CSV", "csv"), ("Excel", "xlsx"))
                ],
                spacing="2",
            ),
            padding="4px 8px",
        ),
    )


def published_panel() -> rx.Component:
    """Publish the rota shown; the publications to download; the changes to the published one."""
    can_run = SessionState.permissions.contains("run_rota")
    return panel(
        rx.heading("Published rota", as_="h2", size="5"),
        rx.cond(
            RotaState.published_note != "",
            notice(RotaState.published_note, tone="success"),
            rx.text("No rota of this scenario has been published yet.", margin_y="4px"),
        ),
        rx.cond(
            can_run,
            rx.hstack(
                button(
                    "Publish this rota",
                    on_click=RotaState.publish,
                    disabled=RotaState.running,
                    id="rota-publish",
                    white_space="nowrap",
                    flex_shrink="0",
                ),
                rx.text(
                    "Publishing makes the rota shown the approved, read-only version of its "
                    "period for everyone in the collaborative; a later publication supersedes it.",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
                align="center",
                spacing="3",
                margin_top="8px",
            ),
        ),
        rx.cond(
            RotaState.changes_note != "",
            rx.box(
                rx.heading("Changes to the published rota", as_="h3", size="4", margin_top="12px"),
                rx.text(RotaState.changes_note, id="rota-changes-note", margin_y="4px"),
                rx.cond(
                    RotaState.changes.length() > 0,
                    rx.box(
                        figures_table(
                            "Each published day this build changed",
                            ["Person", "Day", "Was", "Now", "Why"],
                            RotaState.changes,
                            ["person", "date", "was", "now", "why"],
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                ),
                id="rota-changes",
            ),
        ),
        rx.cond(
            RotaState.published.length() > 0,
            rx.box(
                rx.el.table(
                    rx.el.caption(
                        "Publications, newest first", text_align="left", font_weight="600"
                    ),
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                column_heading(h, padding="4px 8px")
                                for h in ("Period", "Published", "By", "Run", "State", "Download")
                            ]
                        )
                    ),
                    rx.el.tbody(rx.foreach(RotaState.published, _publication_row)),
                    id="rota-publications",
                    width="100%",
                ),
                overflow_x="auto",
                margin_top="12px",
                width="100%",
            ),
        ),
        margin_top="16px",
    )


def results() -> rx.Component:
    """Conflicting rules, or the rota: headline, grids, locks, publications, tables."""
    return rx.fragment(
        rx.cond(
            RotaState.infeasible.length() > 0,
            panel(
                rx.heading("These rules cannot all hold together", as_="h2", size="5"),
                rx.text(
                    "Remove a lock or let rules bend at a price; the conflicting rules are:",
                    margin_y="8px",
                ),
                rx.el.ul(rx.foreach(RotaState.infeasible, lambda t: rx.el.li(t))),
                margin_top="16px",
                border=f"3px solid {theme.NHS_RED}",
            ),
        ),
        rx.cond(
            RotaState.has_rota,
            rx.fragment(
                panel(
                    rx.text(RotaState.headline, font_weight="600", font_size="18px"),
                    rx.text(
                        RotaState.cost_headline,
                        id="rota-cost",
                        font_weight="600",
                        font_size="18px",
                        margin_top="8px",
                    ),
                    rx.text(RotaState.stats, color=theme.NHS_SECONDARY_TEXT, margin_top="4px"),
                    margin_top="16px",
                ),
                panel(
                    rx.tabs.root(
                        rx.tabs.list(
                            rx.tabs.trigger("By staff", value="staff"),
                            rx.tabs.trigger("By hub", value="hub"),
                        ),
                        rx.box(week_picker(), margin_y="12px"),
                        rx.tabs.content(
                            legend(),
                            rx.box(
                                staff_grid(),
                                overflow="auto",
                                max_height="75vh",
                                class_name="rota-scroll",
                            ),
                            value="staff",
                        ),
                        rx.tabs.content(
                            rx.box(
                                hub_grid(),
                                overflow="auto",
                                max_height="75vh",
                                class_name="rota-scroll",
                            ),
                            value="hub",
                        ),
                        value=RotaState.view,
                        on_change=RotaState.set_view,
                    ),
                    margin_top="16px",
                ),
                lock_panel(),
                published_panel(),
                figures_table(
                    "Compliance with each rule",
                    ["Rule", "Hard or soft", "Breaches", "People at the limit"],
                    RotaState.compliance,
                    ["rule", "mode", "breaches", "at_limit"],
                ),
                rx.cond(
                    RotaState.fairness.length() > 0,
                    rx.box(
                        figures_table(
                            "Fairness per whole-time equivalent (WTE)",
                            [
                                "Staff group",
                                "Shifts counted",
                                "Per WTE, fewest to most",
                                "Outside the band",
                            ],
                            RotaState.fairness,
                            ["group", "kind", "range", "outside"],
                        ),
                        rx.text(
                            "Each person's count is divided by their whole-time equivalent, so "
                            "a half-time member's 2 nights stand beside a full-timer's 4. The "
                            "band is each person's pro-rata share of their group's total, give "
                            "or take the percentage shown.",
                            color=theme.NHS_SECONDARY_TEXT,
                            max_width="70em",
                            id="rota-fairness-note",
                        ),
                    ),
                ),
                figures_table(
                    "Cost of the rota",
                    ["Source", "Shifts or places", "Hours", "Cost"],
                    RotaState.cost,
                    ["source", "shifts", "hours", "cost"],
                ),
                rx.cond(
                    RotaState.pools.length() > 0,
                    figures_table(
                        "Bank and agency pools by site and role",
                        [
                            "Site",
                            "Role",
                            "Bank places",
                            "Bank spend",
                            "Agency places",
                            "Agency spend",
                            "Left short",
                        ],
                        RotaState.pools,
                        ["site", "role", "bank", "bank_cost", "agency", "agency_cost", "short"],
                    ),
                ),
                rx.cond(
                    RotaState.pool_note != "",
                    rx.text(RotaState.pool_note, id="rota-pool-note", max_width="70em"),
                ),
                rx.cond(
                    RotaState.limits.length() > 0,
                    figures_table(
                        "What binds: shortfalls and rule breaches",
                        ["Limit", "Where", "When", "By", "Unit"],
                        RotaState.limits,
                        ["limit", "where", "when", "by", "unit"],
                    ),
                ),
            ),
        ),
    )


@protected_page("/rota", "Rota", on_load=[RotaState.load])
def rota_page() -> rx.Component:
    """The shared workforce rota page."""
    return page_shell(
        rx.heading("Shared workforce rota", as_="h1", size="8"),
        rx.text(
            "Build one rota for the hubs' theatre lists and wards from the staff of every trust: "
            "each list needs a surgeon of its specialty, an anaesthetist, two scrub practitioners "
            "and an ODP; wards need a registered nurse per eight occupied beds. The rota keeps "
            "the UK working-time rules of the chosen pack, uses substantive staff before bank, "
            "then fills gaps from bank and agency pools within their caps (agency at most the "
            "NHS price cap) and reports what is left short.",
            color=theme.NHS_SECONDARY_TEXT,
            margin_y="8px",
            max_width="70em",
        ),
        settings_panel(),
        results(),
    )
