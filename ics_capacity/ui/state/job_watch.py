"""Following a job from a page: the one polling loop the Rota and Rebalance pages share.

The page keeps the job id in a backend-only var; every read goes through `jobs.job_view`, which
checks the caller again. The loop stops as soon as the page shows another job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from ics_capacity.services.errors import ServiceError
from ics_capacity.services.jobs import JobView, cancel_job, job_view
from ics_capacity.ui.state.rooms import ScenarioRoom
from ics_capacity.ui.state.session import SessionState, refusal

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


class JobWatchState(rx.State, mixin=True):
    """What a page that starts and watches a solve holds: the job, whether it runs, its progress.

    `_job_noun` names the page's job in its messages ("run", "build").
    """

    running: bool = False
    progress: int = 0
    status_text: str = ""
    _job_id: int = 0
    _job_noun: str = "job"

    def _started(self, job_id: int, status_text: str) -> None:
        """Shows a job the server has just queued as running, from nought."""
        self._job_id, self.running, self.progress = job_id, True, 0
        self.status_text = status_text

    async def _tell_the_room(self, token: str, scenario_id: int, news: str) -> None:
        """Tells colleagues in the scenario's room what this user started."""
        room = await self.get_state(ScenarioRoom)
        room._refresh(token, scenario_id, news)

    def _show_progress(self, job: JobView) -> None:
        """Puts one reading of the watched job on the page."""
        self.progress, self.running, self.status_text = job.progress, job.active, job.message

    async def _wait_for_watched(self) -> tuple[str, JobView | ServiceError | None]:
        """Waits, from a background event, for the job this page watches to end.

        Returns:
            The viewer's token, and the finished job with its result, the refusal of a read, or
            None when the page watches no job or has moved on to another.
        """
        async with self:
            session = await self.get_state(SessionState)
            token, job_id = session.token, self._job_id
        if not job_id:
            return token, None
        return token, await wait_for_job(self, token, job_id, self._show_progress)

    @rx.event
    async def cancel(self):
        """Cancels the job this page is watching (the solver stops within seconds)."""
        session = await self.get_state(SessionState)
        if not self._job_id:
            return rx.toast.info(f"There is no {self._job_noun} to cancel.")
        try:
            job = cancel_job(session.token, self._job_id)
        except ServiceError as error:
            return refusal(error)
        self.running = job.active
        self.status_text = job.message or f"The {self._job_noun} is {job.status}."
        return None
