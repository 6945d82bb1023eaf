"""The job runner (issue 7): states in SQLite, events on the stream, cooperative cancel,
jobs of a dead process marked interrupted, and the `/api/v1/jobs` routes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.events import EventBus
from arrhub.jobs.runner import JobContext, JobRunner
from arrhub.keys import JOBS
from arrhub.models.library_api import Job
from arrhub.store.db import Database
from arrhub.store.jobs import JobsRepository
from arrhub.store.migrations import migrate
from arrhub.timeutil import utcnow
from tests.hub.conftest import api_key, assert_problem
from tests.hub.sse import SseStream


async def test_job_lifecycle_events_and_api(
    client: TestClient, app: web.Application, admin_key: str
) -> None:
    headers = api_key(admin_key)
    resp = await client.get("/api/v1/events", params={"topics": "job"}, headers=headers)
    assert resp.status == 200
    stream = SseStream(resp)
    gate = asyncio.Event()

    async def body(context: JobContext) -> dict[str, Any]:
        await context.progress(0.5, "half")
        await gate.wait()
        return {"done": 3}

    job = await app[JOBS].start("demo", body, "api")
    started = await stream.event()
    assert started.event == "job.started"
    assert started.data["data"]["id"] == job.id
    progress = await stream.event()
    assert progress.event == "job.progress"
    assert progress.data["data"]["progress"] == 0.5
    running = await (await client.get(f"/api/v1/jobs/{job.id}", headers=headers)).json()
    assert running["state"] == "running"
    assert running["message"] == "half"
    gate.set()
    finished = await stream.event()
    assert finished.event == "job.finished"
    assert finished.data["data"]["state"] == "succeeded"
    stream.close()
    reply = await (await client.get(f"/api/v1/jobs/{job.id}", headers=headers)).json()
    assert reply["state"] == "succeeded"
    assert reply["result"] == {"done": 3}
    assert reply["progress"] == 1.0
    assert reply["finished_at"].endswith("Z")
    page = await (
        await client.get("/api/v1/jobs", params={"module": "demo"}, headers=headers)
    ).json()
    assert page["total"] == 1
    assert page["items"][0]["id"] == job.id
    page = await (
        await client.get("/api/v1/jobs", params={"state": "failed"}, headers=headers)
    ).json()
    assert page["total"] == 0
    await assert_problem(
        await client.get("/api/v1/jobs/ffffffffffffffff", headers=headers), 404, "NOT_FOUND"
    )


async def test_cancel_is_cooperative(
    client: TestClient, app: web.Application, admin_key: str
) -> None:
    steps: list[int] = []
    reached = asyncio.Event()
    proceed = asyncio.Event()

    async def body(context: JobContext) -> dict[str, Any]:
        for step in range(100):
            steps.append(step)
            if step == 1:
                reached.set()
                await proceed.wait()
            await context.progress(step / 100)
        return {}

    job = await app[JOBS].start("demo", body, "api")
    await reached.wait()
    resp = await client.post(f"/api/v1/jobs/{job.id}/cancel", headers=api_key(admin_key))
    assert resp.status == 200, await resp.text()
    proceed.set()
    done = await app[JOBS].wait(job.id)
    assert done.state == "cancelled"
    assert steps == [0, 1]  # stopped at the next checkpoint, not later


async def test_failure_is_recorded(client: TestClient, app: web.Application) -> None:
    async def body(context: JobContext) -> dict[str, Any]:
        raise RuntimeError("upstream exploded")

    job = await app[JOBS].start("demo", body, "schedule")
    done = await app[JOBS].wait(job.id)
    assert (done.state, done.error, done.origin) == ("failed", "upstream exploded", "schedule")


async def test_jobs_of_a_dead_process_are_interrupted(tmp_path: Path) -> None:
    db = Database(tmp_path / "jobs.db")
    await db.open()
    try:
        await migrate(db)
        repo = JobsRepository(db)
        left = Job(id="abc123", module="library_refresh", state="running", progress=0.4,
                   origin="api", created_at=utcnow(), started_at=utcnow())  # fmt: skip
        await repo.save(left)
        done = left.model_copy(update={"id": "def456", "state": "succeeded"})
        await repo.save(done)
        await JobRunner(repo, EventBus()).start_up()
        after = await repo.get("abc123")
        assert after is not None
        assert (after.state, after.error) == ("failed", "interrupted")
        assert after.finished_at is not None
        untouched = await repo.get("def456")
        assert untouched is not None and untouched.state == "succeeded"
    finally:
        await db.close()


async def test_jobs_are_admin_only(client: TestClient, user_token: str) -> None:
    resp = await client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {user_token}"})
    await assert_problem(resp, 403, "FORBIDDEN")
