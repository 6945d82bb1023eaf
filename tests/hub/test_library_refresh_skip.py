"""A refresh re-reads a series' episodes only when the series says they may have changed
(its statistics signature), through the hub's API against the fake Sonarr (LIB-1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.keys import JOBS
from tests.fakes.servarr import FakeArrState, make_arr_app
from tests.fakes.servarr_library import delete_item, episodes_of, fill_library, touch
from tests.fakes.server import RECORDER, serve
from tests.hub.conftest import api_key
from tests.hub.test_library_refresh import add_instance

SERIES, EPISODES = 6, 5


@dataclass
class Sonarr:
    client: TestClient
    app: web.Application
    headers: dict[str, str]
    state: FakeArrState
    fake: web.Application
    instance_id: str

    async def refresh(self) -> dict[str, Any]:
        self.fake[RECORDER].clear()
        resp = await self.client.post("/api/v1/library/refresh", json={}, headers=self.headers)
        assert resp.status == 202, await resp.text()
        job = await self.app[JOBS].wait((await resp.json())["job_id"])
        assert job.state == "succeeded" and job.result is not None, job
        (result,) = job.result["instances"]
        assert result["ok"], result
        return dict(result)

    def episode_reads(self) -> list[int]:
        return [
            int(r.query["seriesId"][0]) for r in self.fake[RECORDER] if r.path.endswith("/episode")
        ]

    async def detail(self, series_id: int) -> dict[str, Any]:
        resp = await self.client.get(
            f"/api/v1/library/items/{self.instance_id}:series:{series_id}", headers=self.headers
        )
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


@pytest.fixture
async def sonarr(client: TestClient, app: web.Application, admin_key: str) -> AsyncIterator[Sonarr]:
    state = FakeArrState(product="Sonarr")
    fill_library(state, series=SERIES, episodes_per_series=EPISODES, seed=5)
    fake = make_arr_app(state)
    async with serve(fake) as url:
        instance_id = await add_instance(client, admin_key, "sonarr", url)
        yield Sonarr(client, app, api_key(admin_key), state, fake, instance_id)


def _series(state: FakeArrState, series_id: int) -> dict[str, Any]:
    return next(s for s in state.library["series"] if s["id"] == series_id)


async def test_unchanged_series_are_not_read_again(sonarr: Sonarr) -> None:
    first = await sonarr.refresh()
    assert sorted(sonarr.episode_reads()) == list(range(1, SERIES + 1))
    assert first["children"]["added"] == SERIES * EPISODES

    second = await sonarr.refresh()
    assert sonarr.episode_reads() == []
    assert second["children"] == {"added": 0, "changed": 0,
                                  "unchanged": SERIES * EPISODES, "removed": 0}  # fmt: skip
    assert len((await sonarr.detail(3))["children"]) == EPISODES


async def test_a_series_whose_statistics_moved_is_read_again(sonarr: Sonarr) -> None:
    await sonarr.refresh()
    # Series 2: one episode renamed and one gone upstream, its statistics move with it.
    episodes = episodes_of(sonarr.state, 2)
    episodes[0] = {**episodes[0], "title": "A Renamed Chapter"}
    sonarr.state.library["episodes"][2] = episodes[:-1]
    stats = _series(sonarr.state, 2)["statistics"]
    stats["totalEpisodeCount"] = EPISODES - 1
    stats["sizeOnDisk"] += 1
    # Series 4 deleted upstream: its episodes go with it, without being read.
    delete_item(sonarr.state, "series", 4)
    touch(sonarr.state)

    result = await sonarr.refresh()
    assert sonarr.episode_reads() == [2]
    assert result["children"] == {"added": 0, "changed": 1,
                                  "unchanged": (SERIES - 2) * EPISODES + EPISODES - 2,
                                  "removed": 1 + EPISODES}  # fmt: skip
    detail = await sonarr.detail(2)
    assert len(detail["children"]) == EPISODES - 1
    assert detail["children"][0]["title"] == "A Renamed Chapter"
    assert len((await sonarr.detail(5))["children"]) == EPISODES

    await sonarr.refresh()
    assert sonarr.episode_reads() == []  # the new signature was stored


async def test_a_failed_run_reads_the_changed_series_again(sonarr: Sonarr) -> None:
    await sonarr.refresh()
    _series(sonarr.state, 1)["statistics"]["sizeOnDisk"] += 1
    touch(sonarr.state)
    sonarr.state.fail_with = 500  # the series list fails: nothing is compared or stored
    resp = await sonarr.client.post("/api/v1/library/refresh", json={}, headers=sonarr.headers)
    job = await sonarr.app[JOBS].wait((await resp.json())["job_id"])
    assert job.result is not None and job.result["failed"] == [sonarr.instance_id]
    sonarr.state.fail_with = None
    await sonarr.refresh()
    assert sonarr.episode_reads() == [1]
