"""The Reflex app: every page registers itself (protected unless public) and is added here.

At start-up the job service fails the runs that a stopped server left active, so a scenario can be
solved again at once and its users see what happened.
"""

import asyncio
import datetime as dt
import logging

import reflex as rx

from ics_capacity.services.jobs import recover_jobs_at_startup
from ics_capacity.services.production import refuse_unsafe_production_start
from ics_capacity.services.security_log import configure_security_log
from ics_capacity.services.uploads import sweep_uploads
from ics_capacity.settings import is_production, keep_uploads_hours
from ics_capacity.ui import theme
from ics_capacity.ui.http_security import security_headers
from ics_capacity.ui.pages import (  # noqa: F401  (importing a page module registers its route)
    account,
    audit,
    compare,
    dashboard,
    data,
    login,
    onboarding,
    overview,
    rebalance,
    rota,
    scenario,
    scenarios,
    staff,
    users,
)
from ics_capacity.ui.routes import register_pages
from ics_capacity.ui.security_context import SecurityContextMiddleware
from ics_capacity.ui.session_cookie import session_cookie
from ics_capacity.ui.single_sign_on import single_sign_on

if is_production():
    refuse_unsafe_production_start()

app = rx.App(
    stylesheets=["/styles.css"],
    # Names vega-embed's chart menus for screen readers (assets/a11y.js).
    head_components=[rx.script(src="/a11y.js", defer=True)],
    style=theme.BASE_STYLE,
    html_lang="en-GB",
    # The session cookie is rewritten before anything else sees the request; every answer,
    # the cookie and single sign-on routes' included, carries the security headers.
    api_transformer=[session_cookie, single_sign_on, security_headers],
)
register_pages(app)
configure_security_log()
app.add_middleware(SecurityContextMiddleware())


async def _recover_jobs() -> None:
    try:
        failed = await asyncio.to_thread(recover_jobs_at_startup)
    except Exception:
        logging.getLogger(__name__).exception("Could not recover the jobs of a stopped server")
        return
    if failed:
        logging.getLogger(__name__).warning("Failed %s run(s) left by a stopped server", failed)


app.register_lifespan_task(_recover_jobs)


async def _sweep_uploads_every_ten_minutes() -> None:
    """Deletes uploads nobody imported in time (`ICS_KEEP_UPLOADS_HOURS`), while the app runs."""
    while True:
        try:
            await asyncio.to_thread(sweep_uploads, dt.timedelta(hours=keep_uploads_hours()))
        except Exception:
            logging.getLogger(__name__).exception("Could not sweep old uploads")
        await asyncio.sleep(600)


app.register_lifespan_task(_sweep_uploads_every_ten_minutes)
