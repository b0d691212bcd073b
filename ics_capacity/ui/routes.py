"""Where pages are registered: every page is protected unless it says it is public.

A page module declares its route with `@protected_page(...)` (or, for the sign-in page only,
`@public_page(...)`). `register_pages(app)` adds them all, putting the sign-in check first in every
protected page's on_load, so a new page cannot forget it. Its own loaders run after the check and
go through the services, which check the caller again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ics_capacity.ui.state.session import SessionState

APP_TITLE = "ICS Capacity Planner"


@dataclass(frozen=True)
class PageRoute:
    """One page: its component, route, title, loaders and whether it is open to anyone."""

    component: Callable[[], rx.Component]
    route: str
    title: str
    on_load: tuple[Any, ...]
    description: str | None
    public: bool


PAGES: list[PageRoute] = []


def protected_page(
    route: str, title: str, on_load: Sequence[Any] = (), description: str | None = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Registers a page that only signed-in users reach; the sign-in check runs first."""

    def register(component: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        PAGES.append(PageRoute(component, route, title, tuple(on_load), description, False))
        return component

    return register


def public_page(
    route: str, title: str, on_load: Sequence[Any] = ()
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Registers a page anyone may open (the sign-in page)."""

    def register(component: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        PAGES.append(PageRoute(component, route, title, tuple(on_load), None, True))
        return component

    return register


def register_pages(app: rx.App) -> None:
    """Adds every registered page to the app, protected ones behind the sign-in check."""
    for page in PAGES:
        on_load = list(page.on_load)
        if not page.public:
            on_load.insert(0, SessionState.require_sign_in)
        app.add_page(
            page.component,
            route=page.route,
            title=f"{page.title} · {APP_TITLE}",
            description=page.description,
            on_load=on_load or None,
        )
