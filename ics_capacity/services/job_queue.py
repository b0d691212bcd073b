"""Solver workers on Dramatiq: the queue carries job ids, the `solve_job` row stays the truth.

`ICS_JOB_QUEUE` chooses the runner. `local` (the default) keeps the in-process
`jobs.LocalJobRunner` (each solve in its own child process of the web server), so the embedded
SQLite default needs no server. `database` makes the job table itself the queue: the web process
only marks a started job as the queue's, and separate `ics-capacity worker` processes poll the
table for it (`make run` starts one beside the web server, so even on one machine a solve outlives
a web restart and never competes with its event loop). A broker URL sends jobs to separate worker
processes through Dramatiq, on this host or any other:

- `amqp://guest:guest@127.0.0.1:5672/%2F` - RabbitMQ: durable queues, persistent messages, and a
  message is acknowledged only after its run ended, so a worker killed mid-solve (or a machine that
  crashed) hands the message back as soon as its connection drops.
- `redis://127.0.0.1:6379/0` - Redis: a worker moves each message it takes into its own
  acknowledgement set and heartbeats; another worker puts back the messages of a worker that has
  been silent for `heartbeat_timeout` (60 s). Redis must keep its data (AOF) to survive its restart.

Either way delivery is at least once, which is why the queue decides nothing: a delivered id is
handed to `jobs.run_job`, whose atomic claim (queued -> running) refuses a job that is already
running, finished or cancelled, so a redelivered or duplicated message can never start a second
run. A run killed with its worker leaves its row running without a heartbeat; every worker sweeps
(`jobs.fail_lost_jobs`) so that row is failed within `HEARTBEAT_TIMEOUT`, and a worker starting on
the same host fails it at once (`jobs.recover_jobs_at_startup`). A queued row whose message was
lost (a broker restarted without its data) is sent again by the sweep after `REQUEUE_AFTER`;
a job no worker takes within `jobs.QUEUE_WAIT_TIMEOUT` is failed with a message saying so.

With `database` there is no message to lose or duplicate: the row is the message, and a worker
takes the oldest queued row of its kinds with the same atomic claim. No Dramatiq broker for SQLite
is kept well enough to rely on (`dramatiq-sqlite` 0.1.0 has a requeue that cannot run and no
delayed queues), and a second queue library (Huey's SQLite storage) would double the code paths a
job can take; polling one indexed table every half second is what a broker would do here anyway.

There is one queue per kind (`<ICS_JOB_QUEUE_NAME>.rota`, `.rebalance`), so a host can be given
only the kinds it should run (`ics-capacity worker --kinds rota`).

A worker also computes the Dashboard's projections and the pages' other projections (the
scenario page's impact, the capacity question, a member's target, the board pack; kind
`projection`, on by default), so that with a queue no web process runs them: one thread of its
own takes requests from the `projection_view` table, whichever queue the jobs use
(`services/projection_views.py` says why), and never waits behind the worker's solves. They are
not jobs: no job row, no audit event.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from ics_capacity.services import jobs, projection_views

logger = logging.getLogger(__name__)

LOCAL = "local"
DATABASE = "database"
PROJECTION = "projection"
"""The worker kind that computes the Dashboard's projections (not a job kind)."""
WORKER_KINDS = (*jobs.JOB_KINDS, PROJECTION)
POLL_SECONDS = 0.5
"""How often a `database`-queue worker with a free thread looks for a queued job."""
REQUEUE_AFTER_SECONDS = 120.0
"""A queued job's message is sent again when nobody has taken it for this long (it may have
been lost with a broker that kept no data); a duplicate is refused by the claim."""


def queue_url() -> str:
    """`ICS_JOB_QUEUE`: `local` (in-process runner), `database` (the job table) or a broker URL.

    Unset, it is `REFLEX_REDIS_URL` when that is set (a deployment sharing client state through
    Redis runs its solves on workers too), else `local`, the embedded default needing no server.
    """
    chosen = os.environ.get("ICS_JOB_QUEUE", "").strip()
    return chosen or os.environ.get("REFLEX_REDIS_URL", "").strip() or LOCAL


def queue_prefix() -> str:
    """`ICS_JOB_QUEUE_NAME`: the prefix of the queues' names (default `ics-capacity`)."""
    return os.environ.get("ICS_JOB_QUEUE_NAME", "").strip() or "ics-capacity"


def queue_name(kind: str) -> str:
    """The queue that carries jobs of one kind."""
    return f"{queue_prefix()}.{kind}"


def uses_queue() -> bool:
    """Whether jobs go to separate worker processes (through a broker or the job table)."""
    return queue_url() != LOCAL


def uses_database_queue() -> bool:
    """Whether the job table itself is the queue (`ICS_JOB_QUEUE=database`)."""
    return queue_url() == DATABASE


def broker_for(url: str) -> dramatiq.Broker:
    """A Dramatiq broker for a `redis://`, `rediss://`, `amqp://` or `amqps://` URL.

    No default middleware: Dramatiq's `TimeLimit` (10 minutes by default) would raise inside a
    run, and its `Retries` would re-run a failed solve; `jobs.run_job` enforces its own time limit
    and records every failure on the row, which a user may start again.
    """
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        return RedisBroker(url=url, middleware=[])
    if scheme in ("amqp", "amqps"):
        return RabbitmqBroker(url=url, middleware=[], confirm_delivery=True)
    raise ValueError(
        f"ICS_JOB_QUEUE={url!r}: use 'local', 'database', a redis:// URL or an amqp:// "
        "(RabbitMQ) URL."
    )


def _run(job_id: int) -> None:
    """What a worker does with a delivered job id: run it if (and only if) it is still queued."""
    try:
        view = jobs.run_job(int(job_id))
    except jobs.JobStateError as error:  # redelivered, duplicated, cancelled or already swept
        logger.info("Skipped a delivered job: %s", error)
        return
    logger.info("Job %s ended %s: %s", job_id, view.status, view.message)


@dataclass
class JobQueue:
    """A broker and one actor per job kind, each on its own queue."""

    url: str
    broker: dramatiq.Broker
    actors: dict[str, dramatiq.Actor] = field(default_factory=dict)

    @classmethod
    def connect(cls, url: str | None = None) -> JobQueue:
        """The queue at `url` (default: `ICS_JOB_QUEUE`), with an actor per kind declared."""
        url = url or queue_url()
        queue = cls(url, broker_for(url))
        for kind in jobs.JOB_KINDS:
            queue.actors[kind] = dramatiq.Actor(
                _run,
                broker=queue.broker,
                actor_name=f"{queue_prefix()}.run_{kind}",
                queue_name=queue_name(kind),
                priority=0,
                options={},
            )
        return queue

    def send(self, job_id: int, kind: str) -> None:
        """Puts a job id on its kind's queue (raises if the broker does not answer)."""
        self.actors[kind].send(int(job_id))

    def close(self) -> None:
        """Closes the broker's connections."""
        self.broker.close()


_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def _shared_queue() -> JobQueue:
    global _queue
    with _queue_lock:
        if _queue is None or _queue.url != queue_url():
            _queue = JobQueue.connect()
        return _queue


def enqueue(job_id: int) -> None:
    """The dispatcher in queue mode: marks the committed row as the queue's, then sends its id.

    Raises:
        Exception: the broker did not take the message (the caller fails the job).
    """
    kind = jobs.mark_queued_on_broker(job_id)
    if kind is not None and not uses_database_queue():
        _shared_queue().send(job_id, kind)


def requeue_waiting_jobs(queue: JobQueue) -> int:
    """Sends again the ids of queue-owned jobs nobody has taken for `REQUEUE_AFTER_SECONDS`."""
    sent = 0
    for job_id, kind in jobs.queued_jobs_waiting(REQUEUE_AFTER_SECONDS):
        if kind in queue.actors:
            queue.send(job_id, kind)
            sent += 1
    if sent:
        logger.warning("Sent %s waiting job(s) again (their messages may have been lost)", sent)
    return sent


# --- The worker process -------------------------------------------------------------------------


def run_worker(
    *,
    concurrency: int = 1,
    kinds: list[str] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Runs jobs from the queue until SIGTERM/SIGINT (or `stop` is set).

    Each of `concurrency` threads takes one job at a time and supervises its solver's child
    process; the heavy search never runs in this process's interpreter. With the kind
    `projection` (in `kinds`, or by default), one more thread computes Dashboard projections
    and the pages' other answers that take projections (`services/projection_views.py`).
    """
    if not uses_queue():
        raise ValueError("ICS_JOB_QUEUE is 'local': set it to the broker's URL to run workers.")
    chosen = kinds or list(WORKER_KINDS)
    unknown = [k for k in chosen if k not in WORKER_KINDS]
    if unknown:
        raise ValueError(f"Unknown job kind(s): {', '.join(unknown)}.")
    failed = jobs.recover_jobs_at_startup()
    if failed:
        logger.warning("Failed %s run(s) left by a stopped process on this host", failed)
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    projections = None
    if PROJECTION in chosen:
        projections = threading.Thread(
            target=projection_views.compute_waiting_views,
            args=(stop,),
            name="projection",
            daemon=True,
        )
        projections.start()
    job_kinds = [k for k in chosen if k in jobs.JOB_KINDS]
    try:
        if uses_database_queue():
            _run_database_worker(concurrency, job_kinds, stop)
        elif job_kinds:
            _run_broker_worker(concurrency, job_kinds, stop)
        else:
            logger.info("Worker %s ready: projections only", jobs.runner_name())
            stop.wait()
    finally:
        stop.set()
        if projections is not None:
            projections.join(timeout=60)


def _run_broker_worker(concurrency: int, chosen: list[str], stop: threading.Event) -> None:
    """Runs jobs of the `chosen` kinds from the broker's queues until `stop`, with the sweeps."""
    queue = JobQueue.connect()
    worker = dramatiq.Worker(
        queue.broker, queues={queue_name(k) for k in chosen}, worker_threads=concurrency
    )
    # Take one message per free thread: a busy worker must not hold jobs another could run.
    worker.queue_prefetch = concurrency
    worker.start()
    logger.info(
        "Worker %s ready: %s on %s, %s thread(s)",
        jobs.runner_name(),
        ", ".join(chosen),
        _safe(queue.url),
        concurrency,
    )
    last_requeue = time.monotonic()
    try:
        while not stop.wait(jobs.HEARTBEAT_SECONDS * 2):
            try:
                jobs.fail_lost_jobs()
                if time.monotonic() - last_requeue > REQUEUE_AFTER_SECONDS / 4:
                    last_requeue = time.monotonic()
                    requeue_waiting_jobs(queue)
            except Exception:
                logger.exception("Job sweep failed")
    finally:
        worker.stop()
        queue.close()


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop` (from the main thread only, where Python takes signals)."""

    def _stop(signum: int, frame: Any) -> None:
        logger.info("Signal %s: finishing the running jobs, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)


def _run_database_worker(concurrency: int, kinds: list[str], stop: threading.Event) -> None:
    """Takes queued rows from the job table until `stop`, `concurrency` at a time.

    Each taken id goes to `_run`, whose `run_job` claims it atomically, so a row two workers saw
    at once is run by one and skipped by the other. The sweep (`fail_lost_jobs`) runs between
    polls, as the broker workers' does. A stop waits for the running jobs to end.
    """
    logger.info(
        "Worker %s ready: %s on the job table, %s thread(s)",
        jobs.runner_name(),
        ", ".join(kinds),
        concurrency,
    )
    running: set[Future[None]] = set()
    last_sweep = 0.0
    with ThreadPoolExecutor(concurrency, thread_name_prefix="job") as pool:
        while not stop.is_set():
            running = {f for f in running if not f.done()}
            try:
                if time.monotonic() - last_sweep > jobs.HEARTBEAT_SECONDS * 2:
                    last_sweep = time.monotonic()
                    jobs.fail_lost_jobs()
                free = concurrency - len(running)
                if free > 0:
                    for job_id in jobs.queued_jobs_to_take(kinds, free):
                        running.add(pool.submit(_run, job_id))
            except Exception:
                logger.exception("Polling the job table failed")
            stop.wait(POLL_SECONDS)


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
