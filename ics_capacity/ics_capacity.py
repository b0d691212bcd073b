"""The Reflex app: registers the pages, each behind the sign-in check."""

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.pages.audit import AuditState, audit_page
from ics_capacity.ui.pages.dashboard import DashboardState, dashboard_page
from ics_capacity.ui.pages.data import DataState, data_page
from ics_capacity.ui.pages.login import login_page
from ics_capacity.ui.pages.overview import OverviewState, overview_page
from ics_capacity.ui.pages.rebalance import RebalanceState, rebalance_page
from ics_capacity.ui.pages.rota import RotaState, rota_page
from ics_capacity.ui.pages.scenario import ScenarioPageState, scenario_page
from ics_capacity.ui.pages.scenarios import (
    CompareState,
    ScenariosState,
    compare_page,
    scenarios_page,
)
from ics_capacity.ui.pages.users import UsersState, users_page
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState

TITLE = "ICS Capacity Planner"

app = rx.App(
    stylesheets=["/styles.css"],
    style=theme.BASE_STYLE,
    html_lang="en-GB",
)
app.add_page(login_page, route="/login", title=f"Sign in · {TITLE}")
app.add_page(
    overview_page,
    route="/",
    title=f"Overview · {TITLE}",
    description="Elective capacity, waiting lists and workforce of an NHS provider collaborative.",
    on_load=[SessionState.require_sign_in, OverviewState.load],
)
app.add_page(
    dashboard_page,
    route="/dashboard",
    title=f"Dashboard · {TITLE}",
    on_load=[SessionState.require_sign_in, DashboardState.load],
)
app.add_page(
    scenarios_page,
    route="/scenarios",
    title=f"Scenarios · {TITLE}",
    on_load=[SessionState.require_sign_in, ScenariosState.load],
)
app.add_page(
    scenario_page,
    route="/scenarios/[scenario_id]",
    title=f"Scenario · {TITLE}",
    on_load=[SessionState.require_sign_in, ScenarioPageState.open, ScenarioRoom.join],
)
app.add_page(
    rebalance_page,
    route="/rebalance",
    title=f"Rebalance · {TITLE}",
    on_load=[SessionState.require_sign_in, RebalanceState.load],
)
app.add_page(
    rota_page,
    route="/rota",
    title=f"Rota · {TITLE}",
    on_load=[SessionState.require_sign_in, RotaState.load],
)
app.add_page(
    compare_page,
    route="/compare",
    title=f"Compare scenarios · {TITLE}",
    on_load=[SessionState.require_sign_in, CompareState.load],
)
app.add_page(
    data_page,
    route="/data",
    title=f"Data · {TITLE}",
    on_load=[SessionState.require_sign_in, DataState.load],
)
app.add_page(
    audit_page,
    route="/audit",
    title=f"Audit log · {TITLE}",
    on_load=[SessionState.require_sign_in, AuditState.load],
)
app.add_page(
    users_page,
    route="/users",
    title=f"Users · {TITLE}",
    on_load=[SessionState.require_sign_in, UsersState.load],
)
