"""Home Assistant tests of the arrhub integration against the real hub.

The hub (`arrhub.app.create_app`) runs in the test's event loop on a real 127.0.0.1 port,
with its real SQLite file; its upstreams are the fakes in `tests/fakes/` (Sonarr, Radarr)
and `fake_qbittorrent.py`. The hub's own polling is parked (a day between polls) so a
test decides when it polls: `Hub.refresh()` does what the hub's collector would.
The summary's figures are the hub's own: library counts from a real library refresh
(`Hub.refresh_library()`), pending requests from the collector's snapshot of a request
manager fake, upcoming today from the fake Sonarr's calendar (`around_today`).
`tests/ha/__init__.py` has imported our `custom_components` before any of this.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
import pytest
from aiohttp import web
from argon2 import PasswordHasher
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from arrhub.adapters.resilience import RetryPolicy
from arrhub.app import create_app
from arrhub.collector import Intervals
from arrhub.keys import COLLECTOR, JOBS
from arrhub.settings import RateLimits, Settings
from arrhub.store import meta
from custom_components.arrhub.const import DOMAIN
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.servarr_catalog import episode_resource
from tests.fakes.servarr_library import fill_library
from tests.fakes.server import serve
from tests.ha.fake_qbittorrent import FakeQbState, make_qb_app, sample_qb_state

HUB_ID = "0b7a3c52-5d1e-4f6a-9c3b-2e8f1d4a6b70"
ADMIN = "admin"
ADMIN_PASSWORD = "Corr3ct-Horse!"
PARKED = 86_400.0  # the hub's collector waits a day: tests poll by hand
#: Cheap password hashing: the hub's argon2 cost is its own tests' business.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None, socket_enabled: None) -> None:
    """Load our integration; the hub and the fakes listen on real loopback ports."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's serializer (states, registry entries, flows).

    The harness defines this fixture too, but syrupy's own plugin registers later and
    wins; a conftest fixture beats both.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity enabled, as `snapshot_platform` wants (core has this fixture, PHACC not)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@dataclass
class Hub:
    """The real hub on a real port, driven over its HTTP API as a user would."""

    url: str
    runner: web.AppRunner
    session: aiohttp.ClientSession
    tmp_path: Path
    token: str = ""
    api_key: str = ""
    #: (method, path, status) of every reply the hub sent, in order.
    replies: list[tuple[str, str, int]] = field(default_factory=list)
    running: bool = True

    @property
    def app(self) -> web.Application:
        return self.runner.app

    def summary_replies(self) -> list[int]:
        return [status for _, path, status in self.replies if path == "/api/v1/summary"]

    async def stop(self) -> None:
        """Shut the hub down (its data stays): Home Assistant meets a dead port."""
        if self.running:
            self.running = False
            await self.runner.cleanup()

    async def start(self) -> None:
        """Start it again on the same port and data, as after a restart."""
        port = URL(self.url).port
        self.runner, _ = await start_hub(self.tmp_path, self.replies, port=port or 0)
        self.running = True

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
    ) -> Any:
        auth = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, f"{self.url}{path}", json=json, headers={**auth, **(headers or {})}
        ) as resp:
            text = await resp.text()
            if expect is not None:
                assert resp.status == expect, f"{method} {path}: {resp.status} {text}"
            return await resp.json() if resp.content_type.endswith("json") else text

    async def create_key(self, label: str = "home-assistant") -> str:
        reply = await self.call("POST", "/api/v1/auth/keys", json={"label": label}, expect=201)
        return str(reply["key"])

    async def revoke_keys(self) -> None:
        keys = await self.call("GET", "/api/v1/auth/keys", expect=200)
        for key in keys["items"]:
            await self.call("DELETE", f"/api/v1/auth/keys/{key['id']}", expect=204)

    async def add_instance(self, kind: str, name: str, url: str, **extra: Any) -> str:
        # The adapter's token bucket sleeps when empty, and a frozen clock never wakes it:
        # a burst of 1000 requests is more than any test makes.
        body = {"type": kind, "name": name, "url": url, "options": {"rate_per_second": 1000}}
        body |= extra
        reply = await self.call("POST", "/api/v1/instances", json=body, expect=201)
        instance_id = str(reply["id"])
        self._fast(instance_id)
        await self.refresh(instance_id)
        return instance_id

    async def patch_instance(self, instance_id: str, **changes: Any) -> None:
        await self.call("PATCH", f"/api/v1/instances/{instance_id}", json=changes, expect=200)
        self._fast(instance_id)

    async def delete_instance(self, instance_id: str) -> None:
        await self.call("DELETE", f"/api/v1/instances/{instance_id}", expect=204)

    async def refresh(self, *instance_ids: str) -> None:
        """Poll instances now, as the hub's collector would (all when none is named)."""
        collector = self.app[COLLECTOR]
        for instance_id in instance_ids or tuple(collector.snapshots()):
            if collector.adapter(instance_id) is not None:
                await collector.refresh(instance_id)

    async def refresh_library(self) -> None:
        """Read every *arr's library into the hub's cache, as its scheduled job would."""
        reply = await self.call("POST", "/api/v1/library/refresh", json={}, expect=202)
        job = await self.app[JOBS].wait(reply["job_id"])
        assert job.state == "succeeded", job

    def _fast(self, instance_id: str) -> None:
        """One attempt per poll: a down fake fails at once instead of after backoff."""
        adapter = self.app[COLLECTOR].adapter(instance_id)
        if adapter is not None:
            adapter.retry_policy = RetryPolicy(attempts=1)


@pytest.fixture
def hub_ids() -> Iterator[None]:
    """Stable hub and instance ids, so unique ids and snapshots are the same every run."""
    counter = itertools.count(1)
    original = meta.ensure_instance_id

    async def fixed_hub_id(db: Any) -> str:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (meta.INSTANCE_ID, HUB_ID),
            )
        return await original(db)

    with (
        patch(
            "arrhub.auth.passwords._HASHER",
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        ),
        patch("arrhub.app.ensure_instance_id", fixed_hub_id),
        patch(
            "arrhub.services.instances.new_instance_id",
            lambda: f"{next(counter):012x}",
        ),
    ):
        yield


async def start_hub(
    tmp_path: Path, replies: list[tuple[str, str, int]], *, port: int = 0
) -> tuple[web.AppRunner, str]:
    settings = Settings(
        data_dir=tmp_path / "hub",
        rate_limits=RateLimits(
            read=100_000,
            search=100_000,
            write=100_000,
            auth=100_000,
            polling=100_000,
            webhooks=100_000,
        ),
    )
    app = create_app(settings)

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        replies.append((request.method, request.path, response.status))

    app.on_response_prepare.append(record)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    collector = runner.app[COLLECTOR]
    collector.intervals = Intervals(
        active=PARKED, idle=PARKED, failure_min=PARKED, failure_max=PARKED, jitter=0.0
    )
    collector._rng = lambda: 1.0
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def bare_hub(tmp_path: Path, hub_ids: None) -> AsyncIterator[Hub]:
    """The hub with its admin and an API key, and no instances."""
    replies: list[tuple[str, str, int]] = []
    runner, url = await start_hub(tmp_path, replies)
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        hub = Hub(url=url, runner=runner, session=session, tmp_path=tmp_path, replies=replies)
        stack.push_async_callback(hub.stop)
        await hub.call(
            "POST",
            "/api/v1/auth/setup",
            json={"username": ADMIN, "password": ADMIN_PASSWORD},
            expect=201,
        )
        login = await hub.call(
            "POST",
            "/api/v1/auth/login",
            json={"username": ADMIN, "password": ADMIN_PASSWORD},
            expect=200,
        )
        hub.token = login["token"]
        hub.api_key = await hub.create_key()
        yield hub


@pytest.fixture
def sonarr_state(request: pytest.FixtureRequest) -> FakeArrState:
    """A Sonarr with a queue, a small generated library and three episodes around today."""
    if "clock" in request.fixturenames:
        request.getfixturevalue("clock")  # "today" is the frozen day when a test freezes it
    state = sample_state("Sonarr", queue=3)
    fill_library(
        state, series=SONARR_SERIES, episodes_per_series=EPISODES_PER_SERIES, seed=LIBRARY_SEED
    )
    state.catalog["episodes"] = around_today(series_id=1)
    return state


def around_today(*, series_id: int, first_id: int = 9001) -> list[dict[str, Any]]:
    """Calendar episodes at noon yesterday, today and tomorrow in the hub's local time zone
    (the zone its "upcoming today" counts in): one of them is today's."""
    noon = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    return [
        episode_resource(first_id + n, series_id, 1, n + 1, noon + timedelta(days=days))
        for n, days in enumerate((-1, 0, 1))
    ]


@pytest.fixture
def qb_state() -> FakeQbState:
    return sample_qb_state()


@pytest.fixture
async def unread_hub(
    bare_hub: Hub, sonarr_state: FakeArrState, qb_state: FakeQbState
) -> AsyncIterator[Hub]:
    """The hub with a Sonarr (fake) and a qBittorrent (fake), both polled once; the
    Sonarr's library not read yet."""
    async with (
        serve(make_arr_app(sonarr_state)) as sonarr_url,
        serve(make_qb_app(qb_state)) as qb_url,
    ):
        await bare_hub.add_instance("sonarr", "Sonarr", sonarr_url, api_key=DEFAULT_KEY)
        await bare_hub.add_instance("qbittorrent", "qBittorrent", qb_url)
        yield bare_hub


@pytest.fixture
async def hub(unread_hub: Hub) -> Hub:
    """`unread_hub` after a library refresh: its figures are what the hub computed."""
    await unread_hub.refresh_library()
    return unread_hub


SONARR_ID = f"{1:012x}"
QB_ID = f"{2:012x}"
#: The fake Sonarr's generated library (fixed seed and sizes).
SONARR_SERIES, EPISODES_PER_SERIES, LIBRARY_SEED = 4, 30, 7
#: What the hub's library refresh counts in it: 4 x 30 episodes, 28 of them aired, monitored
#: and without a file (the fake's `episode_flags`), every series with an episode below its
#: cutoff, and the series' `statistics.sizeOnDisk` summed.
SONARR_LIBRARY = {
    "movies": 0, "series": 4, "episodes": 120, "artists": 0, "albums": 0, "missing": 28,
    "cutoff_unmet": 4, "size_on_disk": 24_900_001_110,
}  # fmt: skip


@pytest.fixture
def config_entry(bare_hub: Hub) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="arrhub",
        unique_id=HUB_ID,
        data={CONF_URL: bare_hub.url, CONF_API_KEY: bare_hub.api_key},
        entry_id="01JARRHUBENTRY0000000000000",
    )


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@dataclass
class OddHub:
    """Not the hub: a server answering `/api/v1/system/info` as a test says, for the
    replies the real hub never gives (garbage, a future API version)."""

    url: str
    body: str = "<html>not a hub</html>"
    content_type: str = "text/html"
    status: int = 200


@pytest.fixture
async def odd_hub() -> AsyncIterator[OddHub]:
    state = OddHub(url="")

    async def info(request: web.Request) -> web.Response:
        return web.Response(status=state.status, text=state.body, content_type=state.content_type)

    app = web.Application()
    app.router.add_get("/api/v1/system/info", info)
    app.router.add_get("/api/v1/summary", info)
    async with serve(app) as url:
        state.url = url
        yield state


def system_info_json(*, api_version: int = 1, api_version_min: int = 1) -> str:
    return json.dumps(
        {
            "name": "arrhub",
            "version": "9.0.0",
            "api_version": api_version,
            "api_version_min": api_version_min,
            "instance_id": "another-hub",
            "uptime_seconds": 1.0,
            "started_at": "2025-05-01T12:00:00Z",
        }
    )


START = "2025-05-01T12:00:00+00:00"


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Frozen time on a whole second. The coordinator schedules its next poll at
    `int(now) + interval + 0.05..0.5 s` and `async_fire_time_changed` looks 0.5 s ahead,
    so from a whole second a tick of `interval` always polls and `interval - 1` never."""
    freezer.move_to(START)
    return freezer


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 30) -> None:
    """Let `seconds` pass: the coordinator's timer fires and its refresh completes."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
