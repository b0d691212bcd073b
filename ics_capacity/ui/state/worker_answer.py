"""Waiting for what a solver worker computes for a page, polling from the event loop.

With a job queue the web process does not project (`services/projection_views.py`): a service
asks the workers on a page's first look and answers None (or False) until one has stored the
answer. A page polls it here: each look is a short read in a thread, and between looks the page
waits on the event loop, holding no thread. Without a queue the first look computes the answer
(in its thread) as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from ics_capacity.services.projection_views import (
    PAGE_POLL_SECONDS,
    WAIT_MESSAGE,
    WAIT_SECONDS,
    ProjectionWaitError,
)

T = TypeVar("T")


async def worker_answer(look: Callable[..., T | None], *args: Any, **kwargs: Any) -> T:
    """What `look(*args, ask=..., **kwargs)` answers once it answers (ask: True the first time).

    Raises:
        ProjectionWaitError: no solver worker answered within `WAIT_SECONDS`.
        ServiceError: the service refused the caller or the question, or the worker failed.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    ask = True
    while not (found := await asyncio.to_thread(look, *args, ask=ask, **kwargs)):
        ask = False
        if loop.time() > deadline:
            raise ProjectionWaitError(WAIT_MESSAGE)
        await asyncio.sleep(PAGE_POLL_SECONDS)
    return found
