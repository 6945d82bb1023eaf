"""Library refresh, browse, stats, export and schedule through the hub's API, against the
fake Radarr and Sonarr on real ports (LIB-1, LIB-2, LIB-3, LIB-11)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.auth.passwords import hash_password
from arrhub.keys import AUTH, EVENTS, JOBS
from arrhub.store.library import fold
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app
from tests.fakes.servarr_library import (
    add_item,
    delete_item,
    fill_library,
    movie_resource,
    set_title,
)
from tests.fakes.server import serve
from tests.hub.conftest import ClientFactory, api_key, assert_problem, bearer, login

MOVIES = 60
SERIES, EPISODES = 5, 4


@dataclass
class Stack:
    client: TestClient
    app: web.Application
    headers: dict[str, str]
    radarr: FakeArrState
    sonarr: FakeArrState
    radarr_id: str
    sonarr_id: str

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        resp = await self.client.get(path, params=params, headers=headers or self.headers)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def refresh(self, **body: Any) -> dict[str, Any]:
        resp = await self.client.post("/api/v1/library/refresh", json=body, headers=self.headers)
        assert resp.status == 202, await resp.text()
        job = await self.app[JOBS].wait((await resp.json())["job_id"])
        assert job.state == "succeeded", job
        assert job.result is not None
        return {r["instance_id"]: r for r in job.result["instances"]}

    async def items(self, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        return await self.get("/api/v1/library/items", headers, **params)  # type: ignore[no-any-return]


async def add_instance(client: TestClient, key: str, kind: str, url: str) -> str:
    resp = await client.post(
        "/api/v1/instances",
        json={"type": kind, "name": kind, "url": url, "api_key": DEFAULT_KEY},
        headers=api_key(key),
    )
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


@pytest.fixture
async def stack(client: TestClient, app: web.Application, admin_key: str) -> AsyncIterator[Stack]:
    radarr, sonarr = FakeArrState(product="Radarr"), FakeArrState(product="Sonarr")
    fill_library(radarr, movies=MOVIES, seed=3)
    fill_library(sonarr, series=SERIES, episodes_per_series=EPISODES, seed=4)
    async with AsyncExitStack() as fakes:
        radarr_url = await fakes.enter_async_context(serve(make_arr_app(radarr)))
        sonarr_url = await fakes.enter_async_context(serve(make_arr_app(sonarr)))
        yield Stack(
            client, app, api_key(admin_key), radarr, sonarr,
            await add_instance(client, admin_key, "radarr", radarr_url),
            await add_instance(client, admin_key, "sonarr", sonarr_url),
        )  # fmt: skip


async def test_refresh_writes_only_what_changed(stack: Stack) -> None:
    first = await stack.refresh()
    assert first[stack.radarr_id]["items"] == {"added": MOVIES, "changed": 0, "unchanged": 0,
                                               "removed": 0}  # fmt: skip
    assert first[stack.sonarr_id]["children"]["added"] == SERIES * EPISODES
    page = await stack.items()
    assert page["total"] == MOVIES + SERIES
    untouched = await stack.get(f"/api/v1/library/items/{stack.radarr_id}:movie:5")
    series = await stack.get(f"/api/v1/library/items/{stack.sonarr_id}:series:1")
    assert len(series["children"]) == EPISODES
    assert series["child_count"] == EPISODES
    assert sum(s["episode_count"] for s in series["seasons"]) == EPISODES

    set_title(stack.radarr, "movies", 3, "Zyzzyva Renamed")
    delete_item(stack.radarr, "movies", 4)
    now = datetime.now(UTC)
    add_item(stack.radarr, "movies", movie_resource(
        9001, "Brand New Film", now=now, rng=random.Random(1),  # noqa: S311
        ratings=[{"votes": 1, "value": 7.0}]
    ))  # fmt: skip
    second = await stack.refresh()
    assert second[stack.radarr_id]["items"] == {"added": 1, "changed": 1,
                                                "unchanged": MOVIES - 2, "removed": 1}  # fmt: skip
    assert second[stack.sonarr_id]["items"]["unchanged"] == SERIES
    assert second[stack.sonarr_id]["children"]["unchanged"] == SERIES * EPISODES
    again = await stack.get(f"/api/v1/library/items/{stack.radarr_id}:movie:5")
    assert again["updated_at"] == untouched["updated_at"]
    found = await stack.items(q="zyzzyva")
    assert [i["upstream_id"] for i in found["items"]] == [3]
    assert (await stack.items(q="brand new"))["items"][0]["upstream_id"] == 9001
    resp = await stack.client.get(
        f"/api/v1/library/items/{stack.radarr_id}:movie:4", headers=stack.headers
    )
    await assert_problem(resp, 404, "NOT_FOUND")


@pytest.mark.parametrize("fault", ["fail_with", "truncate", "garbage"])
async def test_a_failing_instance_keeps_its_data(stack: Stack, fault: str) -> None:
    await stack.refresh()
    before = await stack.items(instance_id=stack.radarr_id, limit=500)
    delete_item(stack.radarr, "movies", 1)  # would be removed, if the fetch completed
    setattr(stack.radarr, fault, 500 if fault == "fail_with" else True)
    result = await stack.refresh()
    assert result[stack.radarr_id]["ok"] is False
    assert result[stack.radarr_id]["error"]
    assert result[stack.sonarr_id]["ok"] is True
    after = await stack.items(instance_id=stack.radarr_id, limit=500)
    assert [i["id"] for i in after["items"]] == [i["id"] for i in before["items"]]


async def test_a_second_refresh_gets_the_running_job(stack: Stack) -> None:
    stack.radarr.delay = math.inf  # the fetch hangs until the fake shuts down
    resp = await stack.client.post("/api/v1/library/refresh", headers=stack.headers)
    first = (await resp.json())["job_id"]
    resp = await stack.client.post("/api/v1/library/refresh", headers=stack.headers)
    assert resp.status == 202
    assert (await resp.json())["job_id"] == first
    job = await stack.get(f"/api/v1/jobs/{first}")
    assert job["state"] in ("queued", "running")
    assert job["origin"] == "api"
    resp = await stack.client.post(
        "/api/v1/library/refresh", json={"instance_id": "nosuchinstance"}, headers=stack.headers
    )
    assert resp.status == 202  # one refresh at a time: the running job's id


async def test_one_instance_and_unknown_instance(stack: Stack) -> None:
    result = await stack.refresh(instance_id=stack.sonarr_id)
    assert list(result) == [stack.sonarr_id]
    resp = await stack.client.post(
        "/api/v1/library/refresh", json={"instance_id": "nosuchinstance"}, headers=stack.headers
    )
    await assert_problem(resp, 404, "NOT_FOUND")


async def test_paging_through_a_large_library(client: TestClient, admin_key: str) -> None:
    radarr = FakeArrState(product="Radarr")
    fill_library(radarr, movies=5000, seed=9)
    async with serve(make_arr_app(radarr)) as url:
        await add_instance(client, admin_key, "radarr", url)
        resp = await client.post("/api/v1/library/refresh", headers=api_key(admin_key))
        job_id = (await resp.json())["job_id"]
        app: web.Application = client.server.app  # type: ignore[assignment]
        assert (await app[JOBS].wait(job_id)).state == "succeeded"
        seen: list[str] = []
        titles: list[str] = []
        for offset in range(0, 5000, 500):
            resp = await client.get("/api/v1/library/items", headers=api_key(admin_key),
                                    params={"limit": 500, "offset": offset,
                                            "sort": "title"})  # fmt: skip
            page = await resp.json()
            assert page["total"] == 5000
            seen += [i["id"] for i in page["items"]]
            titles += [fold(i["sort_title"] or i["title"]) for i in page["items"]]
        assert len(seen) == len(set(seen)) == 5000
        assert titles == sorted(titles)


async def test_filters_visibility_and_path(stack: Stack, app: web.Application) -> None:
    await stack.refresh()
    await app[AUTH].users.create("carol", await hash_password("C4rol-Pass!"), "user", ("alice",))
    user = bearer(await login(stack.client, "carol", "C4rol-Pass!"))
    mine = await stack.items(user, limit=500)
    assert mine["total"] > 0
    assert all("alice" in i["tags"] for i in mine["items"])
    assert all("path" not in i for i in mine["items"])
    tagged = await stack.items(tag="alice", limit=500)
    assert tagged["total"] == mine["total"]
    assert all(i["path"] for i in tagged["items"])
    hidden = next(i for i in (await stack.items(limit=500))["items"] if "alice" not in i["tags"])
    resp = await stack.client.get(f"/api/v1/library/items/{hidden['id']}", headers=user)
    await assert_problem(resp, 404, "NOT_FOUND")
    shown = await stack.get(f"/api/v1/library/items/{mine['items'][0]['id']}", user)
    assert "path" not in shown
    for params, check in (
        ({"type": "series"}, lambda i: i["type"] == "series"),
        ({"monitored": "false"}, lambda i: not i["monitored"]),
        ({"no_files": "true"}, lambda i: not i["has_file"]),
        ({"missing": "true"}, lambda i: i["missing_count"] > 0),
        ({"cutoff_unmet": "true"}, lambda i: i["cutoff_unmet"]),
        ({"rating_min": "6"}, lambda i: i["rating"] is not None and i["rating"] >= 6),
        ({"year_min": "1990", "year_max": "2000"}, lambda i: 1990 <= i["year"] <= 2000),
        ({"genre": "drama"}, lambda i: "Drama" in i["genres"]),
    ):
        page = await stack.items(limit=500, **params)
        assert page["total"] > 0, params
        assert all(check(i) for i in page["items"]), params
    by_size = (await stack.items(sort="size", limit=500))["items"]
    sizes = [i["size_on_disk"] for i in by_size]
    assert sizes == sorted(sizes, reverse=True)


async def test_stats_periods(stack: Stack) -> None:
    await stack.refresh()
    now = datetime.now(UTC)
    added = [datetime.fromisoformat(m["added"]) for m in stack.radarr.library["movies"]]
    for period, days in (("7d", 7), ("30d", 30), ("90d", 90)):
        stats = await stack.get("/api/v1/library/stats", period=period)
        assert stats["added"]["movies"] == sum(1 for a in added if a >= now - timedelta(days=days))
    stats = await stack.get("/api/v1/library/stats", period="all")
    assert stats["since"] is None
    assert stats["added"]["movies"] == MOVIES
    assert stats["by_type"]["movie"]["count"] == MOVIES
    assert stats["by_type"]["episode"]["count"] == SERIES * EPISODES
    assert stats["size_on_disk"] == sum(
        m["sizeOnDisk"] for m in stack.radarr.library["movies"]
    ) + sum(s["statistics"]["sizeOnDisk"] for s in stack.sonarr.library["series"])
    by_instance = {i["instance_id"]: i for i in stats["by_instance"]}
    assert by_instance[stack.radarr_id]["count"] == MOVIES
    assert by_instance[stack.radarr_id]["type"] == "radarr"
    with_file = sum(1 for m in stack.radarr.library["movies"] if m["hasFile"])
    assert stats["downloaded"]["movies"] == with_file


async def test_export_csv_and_json(stack: Stack) -> None:
    await stack.refresh()
    resp = await stack.client.get("/api/v1/library/export", params={"format": "csv",
                                  "type": "movie"}, headers=stack.headers)  # fmt: skip
    assert resp.status == 200
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert datetime.now(UTC).date().isoformat() in disposition
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert rows[0][:3] == ["id", "instance_id", "type"]
    assert len(rows) == MOVIES + 1
    assert "path" in rows[0]
    resp = await stack.client.get("/api/v1/library/export", params={"format": "json",
                                  "q": "amelie"}, headers=stack.headers)  # fmt: skip
    data = json.loads(await resp.text())
    assert isinstance(data, list)
    assert data[0]["title"] == "Amélie"


async def test_webhooks_refresh_or_forget_one_title(stack: Stack, app: web.Application) -> None:
    await stack.refresh()
    set_title(stack.radarr, "movies", 8, "Webhook Renamed")
    for event_type, movie_id in (("rename", 8), ("movie_delete", 9)):
        data = {"source": "radarr", "event_type": event_type, "ids": {"movie_id": movie_id},
                "test": False}  # fmt: skip
        app[EVENTS].publish("webhook.received", data, instance_id=stack.radarr_id)
    for _ in range(200):
        title = (await stack.get(f"/api/v1/library/items/{stack.radarr_id}:movie:8"))["title"]
        gone = (await stack.client.get(f"/api/v1/library/items/{stack.radarr_id}:movie:9",
                                       headers=stack.headers)).status == 404  # fmt: skip
        if title == "Webhook Renamed" and gone:
            break
        await asyncio.sleep(0.05)
    assert title == "Webhook Renamed"
    assert gone


async def test_service_methods_for_others(stack: Stack, app: web.Application) -> None:
    from arrhub.keys import DATABASE, LIBRARY

    await stack.refresh()
    service = app[LIBRARY]
    movie = stack.radarr.library["movies"][0]
    assert await service.find_external(tmdb_id=movie["tmdbId"]) == [
        f"{stack.radarr_id}:movie:{movie['id']}"
    ]
    counts = await service.summary_counts()
    assert counts[stack.radarr_id]["movies"] == MOVIES
    assert counts[stack.sonarr_id]["episodes"] == SERIES * EPISODES
    # Cutoff unmet in the *arr's own units: episodes for Sonarr, movies for Radarr.
    db = app[DATABASE]
    episodes_below = await db.fetch_value(
        "SELECT count(*) FROM library_children WHERE instance_id = ? AND cutoff_unmet = 1",
        (stack.sonarr_id,),
    )
    movies_below = await db.fetch_value(
        "SELECT count(*) FROM library_items WHERE instance_id = ? AND cutoff_unmet = 1",
        (stack.radarr_id,),
    )
    assert counts[stack.sonarr_id]["cutoff_unmet"] == episodes_below > 0
    assert counts[stack.radarr_id]["cutoff_unmet"] == movies_below > 0
    await service.forget(f"{stack.radarr_id}:movie:{movie['id']}")
    assert await service.find_external(tmdb_id=movie["tmdbId"]) == []
    await service.refresh_item(stack.radarr_id, "movie", movie["id"])
    assert len(await service.find_external(tmdb_id=movie["tmdbId"])) == 1


async def test_schedule_survives_a_restart(
    make_client: ClientFactory, settings: Any, client: TestClient, admin_key: str
) -> None:
    headers = api_key(admin_key)
    reply = await (await client.get("/api/v1/library/schedule", headers=headers)).json()
    assert reply["interval_minutes"] == 360
    resp = await client.put("/api/v1/library/schedule", json={"interval_minutes": 15},
                            headers=headers)  # fmt: skip
    assert resp.status == 200
    assert (await resp.json())["next_run_at"].endswith("Z")
    off = await client.put("/api/v1/library/schedule", json={"interval_minutes": 0},
                           headers=headers)  # fmt: skip
    assert (await off.json())["next_run_at"] is None
    await client.put("/api/v1/library/schedule", json={"interval_minutes": 45}, headers=headers)
    await client.close()
    again = await make_client(settings)
    reply = await (await again.get("/api/v1/library/schedule", headers=headers)).json()
    assert reply["interval_minutes"] == 45
