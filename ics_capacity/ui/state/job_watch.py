"""Following a job from a page: the one polling loop the Rota and Rebalance pages share.

The page keeps the job id in a backend-only var; every read goes through `jobs.job_view`, which
checks the caller again. The loop stops as soon as the page shows another job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ics_capacity.services.errors import ServiceError
from ics_capacity.services.jobs import JobView, job_view

WATCH_SECONDS = 1.0


async def wait_for_job(
    state: Any, token: str, job_id: int, show_progress: Callable[[JobView], None]
) -> JobView | ServiceError | None:
    """Shows the job's progress each second until it ends, then reads it with its result.

    Args:
        state: The page's state (a background event's proxy); it must have `_job_id` and
            `running`, and `show_progress` is called inside `async with state`.
        token: The viewer's session token.
        job_id: The job the page watches.
        show_progress: Puts one reading of the job on the page.

    Returns:
        The finished job with its result; the refusal, if the server refused a read (the page is
        then no longer running); or None when the page moved on to another job.
    """
    while True:
        try:
            job = await asyncio.to_thread(job_view, token, job_id)
        except ServiceError as error:
            async with state:
                state.running = False
            return error
        async with state:
            if state._job_id != job_id:  # another scenario or run is shown now
                return None
            show_progress(job)
        if not job.active:
            break
        await asyncio.sleep(WATCH_SECONDS)
    try:
        return await asyncio.to_thread(job_view, token, job_id, with_result=True)
    except ServiceError as error:
        return error
