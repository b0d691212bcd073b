"""The Rota page's settings form: scenario, sites, first day and weeks, the advanced settings."""

from __future__ import annotations

import reflex as rx

from ics_capacity.services.rota import MAX_WEEKS
from ics_capacity.ui import theme
from ics_capacity.ui.components import forms
from ics_capacity.ui.components.forms import labelled_control, scenario_select
from ics_capacity.ui.components.widgets import button, job_progress, panel
from ics_capacity.ui.pages.rota.pools import POOL_FIELDS
from ics_capacity.ui.pages.rota.settings_form import MAX_VALUE_CHARS, SITE_FIELD
from ics_capacity.ui.pages.rota.state import RotaState
from ics_capacity.ui.pages.rota.view import MAX_TIME_LIMIT, SECONDS_PER_WEEK
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState

INPUT_STYLE = {**forms.INPUT_STYLE, "background": "#FFFFFF"}
"""The forms' input style on white."""


def labelled(label: str, control: rx.Component, *extra: rx.Component):
    """A control under its label, with any hint after it."""
    # min_width 0 lets a flex item shrink below its widest option on a phone.
    return labelled_control(label, control, *extra, min_width="0", max_width="100%")


def advanced() -> rx.Component:
    """Solver settings, collapsed: time limit, rule pack, soft rules, demand, bank holidays."""
    can_run = SessionState.permissions.contains("run_rota")
    return rx.el.details(
        rx.el.summary(
            "Advanced: time limit, rules, demand and bank holidays; bank and agency pools",
            font_weight="600",
            cursor="pointer",
            padding_y="4px",
        ),
        rx.flex(
            labelled(
                "Time limit (seconds)",
                rx.el.input(
                    id="time_limit",
                    name="time_limit",
                    default_value=RotaState.time_limit,
                    placeholder="automatic",
                    max_length=MAX_VALUE_CHARS,
                    width="110px",
                    inputmode="numeric",
                    aria_describedby="rota-limit-hint",
                    **INPUT_STYLE,
                ),
                rx.text(
                    f"Empty: follows the weeks ({SECONDS_PER_WEEK} s a week, at most "
                    f"{MAX_TIME_LIMIT} s)",
                    id="rota-limit-hint",
                    font_size="14px",
                    color=theme.NHS_SECONDARY_TEXT,
                ),
            ),
            labelled(
                "Rule pack",
                rx.el.select(
                    rx.foreach(
                        RotaState.rule_packs, lambda p: rx.el.option(p["label"], value=p["id"])
                    ),
                    id="rule_pack",
                    name="rule_pack",
                    default_value=RotaState.rule_pack,
                    width="100%",
                    **{**INPUT_STYLE, "max_width": "420px"},
                ),
            ),
            labelled(
                "Demand from",
                rx.el.select(
                    rx.el.option("The theatre timetable", value="timetable"),
                    rx.el.option("The latest rebalancing plan", value="plan"),
                    id="demand",
                    name="demand",
                    default_value=RotaState.demand,
                    **INPUT_STYLE,
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="start",
            margin_top="8px",
        ),
        rx.flex(
            rx.checkbox(
                "Let rules bend at a price (every breach is reported); otherwise no rule is broken",
                name="soft_rules",
                default_checked=RotaState.soft_rules,
                size="3",
            ),
            rx.checkbox(
                "Keep the published rota where possible (every change is listed)",
                name="keep_published",
                default_checked=RotaState.keep_published,
                size="3",
            ),
            margin_top="12px",
            gap="20px",
            wrap="wrap",
        ),
        pool_settings(),
        # A scenario setting saved as soon as it is ticked: these boxes send nothing on submit.
        tick_boxes(
            "Theatre lists on England's bank holidays (none unless a hub opts in; "
            "wards are always staffed)",
            rx.foreach(
                RotaState.hub_sites,
                lambda s: rx.checkbox(
                    "Lists at " + s["name"],
                    checked=RotaState.bank_holiday_sites.contains(s["code"]),
                    on_change=lambda v: RotaState.set_bank_holiday_lists(s["code"], v),
                    disabled=~(can_run & RotaState.scenario_editable),
                    size="3",
                ),
            ),
            margin_top="12px",
        ),
        id="rota-advanced",
        margin_top="16px",
        border=f"1px solid {theme.NHS_BORDER}",
        padding="8px 12px",
    )


def _pool_input(name: str, label: str) -> rx.Component:
    return labelled(
        label,
        rx.el.input(
            id=name,
            name=name,
            default_value=RotaState.pool_form[name],
            max_length=MAX_VALUE_CHARS,
            width="90px",
            inputmode="numeric",
            **INPUT_STYLE,
        ),
    )


def _pool_select(name: str, label: str, options: tuple[tuple[str, str], ...]) -> rx.Component:
    return labelled(
        label,
        rx.el.select(
            *(rx.el.option(text, value=value) for value, text in options),
            id=name,
            name=name,
            default_value=RotaState.pool_form[name],
            **INPUT_STYLE,
        ),
    )


def pool_settings() -> rx.Component:
    """Bank and agency pools: per site or collaborative, caps a week or per rota, prices."""
    return rx.el.fieldset(
        rx.el.legend(
            "Bank and agency pools for places the staff leave short (agency is paid at most the "
            "NHS agency price cap, basic pay + 55%)",
            font_weight="600",
            padding_bottom="4px",
        ),
        rx.flex(
            _pool_select(
                "pool_scope",
                "Pools per",
                (("site", "Site and role"), ("collaborative", "Role, all sites")),
            ),
            _pool_select("pool_period", "Caps per", (("week", "Week"), ("rota", "Whole rota"))),
            *(_pool_input(name, label) for name, (label, _most) in POOL_FIELDS.items()),
            gap="16px",
            wrap="wrap",
            align="start",
        ),
        id="rota-pools",
        border="none",
        padding="0",
        margin_top="12px",
    )


def tick_boxes(legend: str, boxes: rx.Component, **props) -> rx.Component:
    """A group of tick boxes under its legend, wrapping on a narrow screen."""
    return rx.el.fieldset(
        rx.el.legend(legend, font_weight="600", padding_bottom="4px"),
        rx.flex(boxes, gap="20px", wrap="wrap"),
        border="none",
        padding="0",
        **props,
    )


def _sites() -> rx.Component:
    """The hubs and sites to rota: a tick box each, sending the site's code when ticked."""
    return tick_boxes(
        "Hubs and sites",
        rx.foreach(
            RotaState.sites,
            lambda s: rx.checkbox(
                s["name"],
                name=SITE_FIELD,
                value=s["code"],
                default_checked=RotaState.chosen_sites.contains(s["code"]),
                size="3",
            ),
        ),
        margin_top="16px",
        key=RotaState.sites_key,
    )


def _build_buttons() -> rx.Component:
    """Build (the form's submit), and while a build runs: stop early, cancel."""
    can_run = SessionState.permissions.contains("run_rota")
    return rx.flex(
        rx.cond(
            can_run,
            button("Build rota", type="submit", disabled=RotaState.running),
            rx.text(
                "Your role may view rotas; a workforce lead builds them.",
                color=theme.NHS_SECONDARY_TEXT,
            ),
        ),
        rx.cond(
            RotaState.running & can_run,
            button(
                "Good enough, stop now",
                kind="secondary",
                type="button",
                on_click=RotaState.stop_early,
                disabled=RotaState.stop_requested,
                title="Stops the search and keeps the best rota found so far",
            ),
        ),
        rx.cond(
            RotaState.running & can_run,
            button("Cancel build", kind="warning", type="button", on_click=RotaState.cancel),
        ),
        margin_top="16px",
        gap="16px",
        wrap="wrap",
    )


def settings_form() -> rx.Component:
    """The build's settings as one form: first day, weeks, sites, advanced; Build submits it.

    The fields start from the state's settings and keep what is typed; only a submit sends
    them, all at once, and the server checks them together. The form is drawn afresh for another
    scenario; when only the scenario's sites change, only the tick boxes are.
    """
    # A control with an `id` is also sent under it (Reflex reads it by its ref), so each id is
    # its field's name; the tick boxes have none.
    return rx.form(
        rx.flex(
            labelled(
                "First day",
                rx.el.input(
                    id="start_date",
                    name="start_date",
                    type="date",
                    default_value=RotaState.start_date,
                    max_length=MAX_VALUE_CHARS,
                    **INPUT_STYLE,
                ),
            ),
            labelled(
                f"Weeks (1–{MAX_WEEKS})",
                rx.el.input(
                    id="weeks",
                    name="weeks",
                    default_value=RotaState.weeks,
                    max_length=MAX_VALUE_CHARS,
                    width="80px",
                    inputmode="numeric",
                    **INPUT_STYLE,
                ),
            ),
            gap="16px",
            wrap="wrap",
            align="end",
            margin_top="12px",
        ),
        _sites(),
        advanced(),
        rx.cond(
            RotaState.form_error != "",
            rx.text(
                RotaState.form_error,
                id="rota-form-error",
                role="alert",
                color=theme.NHS_RED,
                font_weight="600",
                margin_top="12px",
            ),
        ),
        _build_buttons(),
        key=RotaState.form_key,
        id="rota-settings",
        on_submit=RotaState.build,
        reset_on_submit=False,
    )


def settings_panel() -> rx.Component:
    """Scenario, the settings form (first day, weeks, sites, advanced, Build), the progress."""
    return panel(
        scenario_select("rota-scenario", RotaState.choose_scenario, background="#FFFFFF"),
        rx.cond(
            (RotaState.scenario_status != "") & ~RotaState.scenario_editable,
            rx.box(
                rx.text(
                    "This scenario is " + RotaState.scenario_status + ": you can build and "
                    "download its rota, but locks (and bank-holiday settings) will be refused. "
                    "To lock cells, choose a draft scenario or create one from it.",
                ),
                id="rota-locked-note",
                role="note",
                margin_top="12px",
                padding="8px 12px",
                border_left=f"6px solid {theme.NHS_WARM_YELLOW}",
                background_color=theme.NHS_PALE_GREY,
            ),
        ),
        settings_form(),
        job_progress(
            RotaState.status_text, RotaState.running, RotaState.progress, "Build progress"
        ),
        rx.cond(
            ScenarioRoom.last_change != "",
            rx.hstack(
                rx.text(ScenarioRoom.last_change, color=theme.NHS_SECONDARY_TEXT),
                rx.el.button(
                    "Show the newest rota",
                    on_click=RotaState.refresh_rota,
                    color=theme.NHS_BLUE,
                    text_decoration="underline",
                    background="none",
                    border="none",
                    cursor="pointer",
                ),
                margin_top="8px",
            ),
        ),
    )
