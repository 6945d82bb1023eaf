"""A library refresh killed by SIGKILL mid-write leaves the old data intact (LIB-1).

A real `arrhub serve` subprocess refreshes from the fake Radarr (in this process, on a
real port). The second refresh renames every title and deletes some; the hub is killed
as soon as the first renamed rows are committed. The database must pass SQLite's and
FTS5's integrity checks, hold every old row (the deleted titles too: deletes happen
only after a complete fetch), each row either its old or its new version; after a
restart the job reads failed, "interrupted", and the next refresh completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app
from tests.fakes.servarr_library import fill_library, touch
from tests.fakes.server import serve
from tests.hub.hubproc import GENEROUS_LIMITS, HubProcesses, admin_api_key, write_settings

pytestmark = pytest.mark.slow

MOVIES = 20_000
DELETED = range(1, 200)
DEADLINE = 120.0  # a guard against a hung test, not an assertion about speed


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[HubProcesses]:
    processes = HubProcesses(tmp_path)
    yield processes
    processes.kill_all()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return conn.execute(sql).fetchall()


async def wait_job(session: aiohttp.ClientSession, url: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        async with session.get(f"{url}/api/v1/jobs/{job_id}") as resp:
            job: dict[str, Any] = await resp.json()
        if job["state"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


async def test_kill_9_mid_refresh_keeps_old_data(hubs: HubProcesses, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    write_settings(data_dir, {"rate_limits": GENEROUS_LIMITS})
    db = data_dir / "arrhub.db"
    radarr = FakeArrState(product="Radarr")
    fill_library(radarr, movies=MOVIES, seed=5)
    old_titles = {m["id"]: m["title"] for m in radarr.library["movies"]}
    async with serve(make_arr_app(radarr)) as radarr_url:
        hub = await hubs.start(data_dir)
        async with aiohttp.ClientSession() as session:
            key = await admin_api_key(session, hub.url)
            session.headers["X-Api-Key"] = key
            async with session.put(f"{hub.url}/api/v1/library/schedule",
                                   json={"interval_minutes": 0}) as resp:  # fmt: skip
                assert resp.status == 200
            async with session.post(f"{hub.url}/api/v1/instances", json={
                    "type": "radarr", "name": "radarr", "url": radarr_url,
                    "api_key": DEFAULT_KEY}) as resp:  # fmt: skip
                assert resp.status == 201, await resp.text()
            async with session.post(f"{hub.url}/api/v1/library/refresh") as resp:
                first = (await resp.json())["job_id"]
            assert (await wait_job(session, hub.url, first))["state"] == "succeeded"

            for movie in radarr.library["movies"]:
                movie["title"] = f"Renamed {movie['id']}"
            radarr.library["movies"] = [m for m in radarr.library["movies"]
                                        if m["id"] not in DELETED]  # fmt: skip
            touch(radarr)
            async with session.post(f"{hub.url}/api/v1/library/refresh") as resp:
                second = (await resp.json())["job_id"]
            deadline = time.monotonic() + DEADLINE
            while not query(db, "SELECT 1 FROM library_items WHERE title LIKE 'Renamed %' LIMIT 1"):
                assert time.monotonic() < deadline, "no renamed row was ever committed"
                await asyncio.sleep(0.005)
            hub.kill()

        rows = query(db, "SELECT upstream_id, title FROM library_items")
        renamed = sum(1 for _, title in rows if title.startswith("Renamed "))
        assert 0 < renamed < MOVIES, "killed mid-refresh, not before or after"
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        assert {r[0] for r in rows} == set(old_titles)  # every old row, deleted ones too
        for upstream_id, title in rows:
            assert title in (old_titles[upstream_id], f"Renamed {upstream_id}")
        # The FTS index agrees with its table (raises SQLITE_CORRUPT otherwise).
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("INSERT INTO library_fts (library_fts) VALUES ('integrity-check')")

        hub = await hubs.start(data_dir)
        async with aiohttp.ClientSession(headers={"X-Api-Key": key}) as session:
            async with session.get(f"{hub.url}/api/v1/jobs/{second}") as resp:
                job = await resp.json()
            assert (job["state"], job["error"]) == ("failed", "interrupted")
            async with session.post(f"{hub.url}/api/v1/library/refresh") as resp:
                third = (await resp.json())["job_id"]
            assert (await wait_job(session, hub.url, third))["state"] == "succeeded"
            async with session.get(f"{hub.url}/api/v1/library/items",
                                   params={"q": "renamed", "limit": 1}) as resp:  # fmt: skip
                assert (await resp.json())["total"] == MOVIES - len(DELETED)
        hub.kill()
    rows = query(db, "SELECT count(*), sum(title LIKE 'Renamed %') FROM library_items")
    assert rows == [(MOVIES - len(DELETED), MOVIES - len(DELETED))]
