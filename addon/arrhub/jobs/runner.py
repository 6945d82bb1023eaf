"""The job runner: runs jobs as tasks, records them in SQLite, publishes their progress."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from arrhub.keys import JOBS


class JobRunner:
    """Placeholder until the runner lands (issue 7)."""


async def jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    app[JOBS] = JobRunner()
    yield
