"""The job runner: runs jobs as tasks, records them in SQLite, publishes their progress.

`start(module, factory, origin)` records a `queued` job, then runs `factory(context)` in a
task it keeps (never fire-and-forget). The job reports progress through its context;
progress reaches the database and the event stream at most every `PROGRESS_EVERY`
seconds. Cancelling is cooperative: `cancel()` sets a flag the job sees at its next
`context.checkpoint()` (it raises `JobCancelled` there), so a job stops between two
consistent steps, never in the middle of a write. At start, jobs a dead process left
`queued`/`running` are marked failed, "interrupted".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from arrhub.errors import NotFound
from arrhub.events import EventBus
from arrhub.keys import DATABASE, EVENTS, JOBS
from arrhub.models.library_api import Job, JobOrigin, JobsPage, JobsQuery
from arrhub.store.jobs import JobsRepository
from arrhub.timeutil import utcnow

LOGGER = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5
KEEP_JOBS = 500


class JobCancelled(Exception):
    """Raised inside a job at a checkpoint after `cancel()`."""


class JobContext:
    """What a running job sees of the runner: progress, messages, cancellation."""

    def __init__(self, runner: JobRunner, job_id: str) -> None:
        self._runner = runner
        self.job_id = job_id
        self.cancel_requested = False
        self._last_sent = 0.0

    def checkpoint(self) -> None:
        if self.cancel_requested:
            raise JobCancelled

    async def progress(self, fraction: float, message: str | None = None) -> None:
        """Report progress (0..1); written and published at most every PROGRESS_EVERY s."""
        self.checkpoint()
        now = time.monotonic()
        if now - self._last_sent < PROGRESS_EVERY:
            self._runner.update_memory(self.job_id, fraction, message)
            return
        self._last_sent = now
        await self._runner.report(self.job_id, fraction, message)


JobFactory = Callable[[JobContext], Awaitable[dict[str, Any] | None]]


class JobRunner:
    def __init__(self, repository: JobsRepository, bus: EventBus) -> None:
        self._repository = repository
        self._bus = bus
        self._jobs: dict[str, Job] = {}
        self._contexts: dict[str, JobContext] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def start_up(self) -> None:
        count = await self._repository.mark_interrupted(utcnow())
        if count:
            LOGGER.warning("%d job(s) left running by a previous process marked interrupted", count)
        await self._repository.prune(KEEP_JOBS)

    async def stop(self) -> None:
        """Cancel what runs (the process is stopping) and wait for it."""
        for job_id, context in self._contexts.items():
            context.cancel_requested = True
            task = self._tasks.get(job_id)
            if task is not None:
                task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ---- starting and observing -----------------------------------------------------------

    async def start(self, module: str, factory: JobFactory, origin: JobOrigin) -> Job:
        job = Job(
            id=secrets.token_hex(8),
            module=module,
            state="queued",
            progress=0.0,
            origin=origin,
            created_at=utcnow(),
        )
        await self._repository.save(job)
        self._jobs[job.id] = job
        context = JobContext(self, job.id)
        self._contexts[job.id] = context
        self._tasks[job.id] = asyncio.create_task(
            self._run(job.id, factory, context), name=f"arrhub-job-{module}-{job.id}"
        )
        return job

    def running(self, module: str) -> Job | None:
        """The queued or running job of `module`, if any."""
        for job in self._jobs.values():
            if job.module == module and job.state in ("queued", "running"):
                return job
        return None

    async def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id) or await self._repository.get(job_id)
        if job is None:
            raise NotFound(f"no job with id {job_id}")
        return job

    async def page(self, query: JobsQuery) -> JobsPage:
        jobs, total = await self._repository.page(
            module=query.module, state=query.state, limit=query.limit, offset=query.offset
        )
        live = [self._jobs.get(j.id, j) for j in jobs]
        return JobsPage(items=live, total=total, limit=query.limit, offset=query.offset)

    async def cancel(self, job_id: str) -> Job:
        job = await self.get(job_id)
        context = self._contexts.get(job_id)
        if context is not None and job.state in ("queued", "running"):
            context.cancel_requested = True
            job = job.model_copy(update={"message": "cancelling"})
            self._jobs[job_id] = job
        return job

    async def wait(self, job_id: str) -> Job:
        """Wait for a job of this process to end (tests, callers that need the result)."""
        task = self._tasks.get(job_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        return await self.get(job_id)

    # ---- inside ---------------------------------------------------------------------------

    def update_memory(self, job_id: str, fraction: float, message: str | None) -> None:
        job = self._jobs[job_id]
        update: dict[str, Any] = {"progress": min(max(fraction, 0.0), 1.0)}
        if message is not None:
            update["message"] = message
        self._jobs[job_id] = job.model_copy(update=update)

    async def report(self, job_id: str, fraction: float, message: str | None) -> None:
        self.update_memory(job_id, fraction, message)
        job = self._jobs[job_id]
        await self._repository.save(job)
        self._publish("job.progress", job)

    def _publish(self, event_type: str, job: Job) -> None:
        self._bus.publish(event_type, job.model_dump(mode="json"), visibility="admin")

    async def _set(self, job_id: str, **update: Any) -> Job:
        job = self._jobs[job_id].model_copy(update=update)
        self._jobs[job_id] = job
        await self._repository.save(job)
        return job

    async def _run(self, job_id: str, factory: JobFactory, context: JobContext) -> None:
        try:
            job = await self._set(job_id, state="running", started_at=utcnow())
            self._publish("job.started", job)
            try:
                result = await factory(context)
            except (JobCancelled, asyncio.CancelledError):
                job = await self._set(
                    job_id, state="cancelled", finished_at=utcnow(), message="cancelled"
                )
            except Exception as err:
                LOGGER.exception("job %s (%s) failed", job_id, job.module)
                error = str(err) or type(err).__name__
                job = await self._set(job_id, state="failed", finished_at=utcnow(), error=error)
            else:
                job = await self._set(
                    job_id,
                    state="succeeded",
                    finished_at=utcnow(),
                    progress=1.0,
                    result=result,
                    message=None if context.cancel_requested else self._jobs[job_id].message,
                )
            self._publish("job.finished", job)
        finally:
            self._contexts.pop(job_id, None)
            self._tasks.pop(job_id, None)
            # Keep finished jobs in memory a little: `get` falls back to the database.
            finished = [k for k, j in self._jobs.items() if j.state not in ("queued", "running")]
            for key in finished[:-50]:
                self._jobs.pop(key, None)


async def jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    runner = JobRunner(JobsRepository(app[DATABASE]), app[EVENTS])
    await runner.start_up()
    app[JOBS] = runner
    yield
    await runner.stop()
