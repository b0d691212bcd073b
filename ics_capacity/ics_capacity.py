"""The Reflex app: registers the pages."""

import reflex as rx

from ics_capacity.ui import theme
from ics_capacity.ui.pages.overview import OverviewState, overview_page

app = rx.App(
    stylesheets=["/styles.css"],
    style=theme.BASE_STYLE,
    html_lang="en-GB",
)
app.add_page(
    overview_page,
    route="/",
    title="Overview · ICS Capacity Planner",
    description="Elective capacity, waiting lists and workforce of an NHS provider collaborative.",
    on_load=OverviewState.load,
)
