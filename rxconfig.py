import os

import reflex as rx
from reflex.plugins import RadixThemesPlugin
from reflex.plugins.sitemap import SitemapPlugin

from ics_capacity.settings import allowed_origins, database_url, trusted_proxy_hops

config = rx.Config(
    app_name="ics_capacity",
    db_url=database_url(),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        RadixThemesPlugin(theme=rx.theme(appearance="light", accent_color="blue", radius="small"))
    ],
    disable_plugins=[SitemapPlugin],
    # Client state in-process by default (no servers needed); REFLEX_REDIS_URL shares it through
    # Redis, so several backend workers see the same shared scenario rooms.
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    # Who may open the websocket and upload: ICS_ALLOWED_ORIGINS (required in production).
    cors_allowed_origins=allowed_origins() or ["https://origin-not-configured.invalid"],
    # Reverse proxies whose X-Forwarded-For is believed (ICS_TRUSTED_PROXY_HOPS, default 0).
    trusted_proxy_hops=trusted_proxy_hops(),
)
