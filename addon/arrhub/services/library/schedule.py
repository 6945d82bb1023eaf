"""The library refresh schedule: every N minutes (0 = off), kept in the database.

The next run's time is stored, so a restart keeps the rhythm; a run that came due
while the hub was down runs once, `STARTUP_DELAY` seconds after start (origin
`startup`), not once per missed interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from arrhub.models.library_api import JobOrigin, Schedule
from arrhub.store.jobs import JobsRepository
from arrhub.timeutil import utcnow

LOGGER = logging.getLogger(__name__)

MODULE = "library_refresh"
DEFAULT_INTERVAL = 360
#: Seconds after start before a missed (or first ever) run; tests patch it.
STARTUP_DELAY = 60.0

Runner = Callable[[JobOrigin], Awaitable[object]]


class RefreshSchedule:
    def __init__(self, repository: JobsRepository, run: Runner) -> None:
        self._repository = repository
        self._run = run
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.interval = DEFAULT_INTERVAL
        self.last_run_at: datetime | None = None
        self.next_run_at: datetime | None = None
        self._startup_until: datetime | None = None

    async def start(self) -> None:
        stored = await self._repository.schedule(MODULE)
        now = utcnow()
        startup = now + timedelta(seconds=STARTUP_DELAY)
        if stored is None:
            self.interval, self.last_run_at = DEFAULT_INTERVAL, None
            self.next_run_at = startup  # a new hub fills its cache soon after start
            self._startup_until = startup
        else:
            self.interval = stored["interval_minutes"]
            self.last_run_at = stored["last_run_at"]
            self.next_run_at = stored["next_run_at"]
            if self.interval and (self.next_run_at is None or self.next_run_at <= now):
                self.next_run_at = startup  # missed while down: once, after a delay
                self._startup_until = startup
        if not self.interval:
            self.next_run_at = None
        await self._save()
        self._task = asyncio.create_task(self._loop(), name="arrhub-library-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def view(self) -> Schedule:
        return Schedule(
            interval_minutes=self.interval,
            next_run_at=self.next_run_at,
            last_run_at=self.last_run_at,
        )

    async def set_interval(self, minutes: int) -> Schedule:
        self.interval = minutes
        now = utcnow()
        if minutes == 0:
            self.next_run_at = None
        else:
            base = self.last_run_at or now
            self.next_run_at = max(base + timedelta(minutes=minutes), now)
        self._startup_until = None
        await self._save()
        self._wake.set()
        return self.view()

    async def _save(self) -> None:
        await self._repository.save_schedule(
            MODULE, self.interval, self.last_run_at, self.next_run_at
        )

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            due = self.next_run_at
            if due is None:
                await self._wake.wait()
                continue
            wait = (due - utcnow()).total_seconds()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                continue  # woken (schedule changed) or due now: re-read next_run_at
            origin: JobOrigin = "startup" if self._startup_until == due else "schedule"
            self._startup_until = None
            now = utcnow()
            self.last_run_at = now
            self.next_run_at = now + timedelta(minutes=self.interval) if self.interval else None
            await self._save()
            try:
                await self._run(origin)
            except Exception:
                LOGGER.exception("scheduled library refresh did not start")
