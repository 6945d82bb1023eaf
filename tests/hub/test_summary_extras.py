"""GET /api/v1/summary with the figures of the library, requests and catalog services.

The real hub with a fake Sonarr and a fake Overseerr on real ports. The services' methods
are replaced on the running app's objects (the other helpers' real ones may or may not be
there yet), so each test decides what they answer, fail with or how long they take.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.keys import CATALOG, LIBRARY, REQUESTS
from arrhub.services import summary as summary_module
from arrhub.services.summary import summary_extras
from tests.fakes.seerr import FakeSeerrState, make_seerr_app
from tests.fakes.servarr import DEFAULT_KEY, make_arr_app, sample_state
from tests.fakes.server import serve

COUNTS = {
    "movies": 0,
    "series": 12,
    "episodes": 340,
    "artists": 0,
    "albums": 0,
    "missing": 7,
    "cutoff_unmet": 2,
    "size_on_disk": 123_456_789,
}


@pytest.fixture
async def instances(client: TestClient, admin_key: str) -> AsyncIterator[dict[str, str]]:
    """A Sonarr and an Overseerr at the hub, both polled once."""
    headers = {"X-Api-Key": admin_key}
    async with AsyncExitStack() as stack:
        sonarr_url = await stack.enter_async_context(serve(make_arr_app(sample_state("Sonarr"))))
        seerr = FakeSeerrState(flavour="overseerr")
        seerr_url = await stack.enter_async_context(serve(make_seerr_app(seerr)))
        ids: dict[str, str] = {}
        for kind, url, key in (
            ("sonarr", sonarr_url, DEFAULT_KEY),
            ("overseerr", seerr_url, seerr.api_key),
        ):
            body = {"type": kind, "name": kind.title(), "url": url, "api_key": key}
            resp = await client.post("/api/v1/instances", json=body, headers=headers)
            assert resp.status == 201, await resp.text()
            ids[kind] = (await resp.json())["id"]
            await client.post(f"/api/v1/instances/{ids[kind]}/refresh", headers=headers)
        yield ids


def _replace(monkeypatch: pytest.MonkeyPatch, service: object, name: str, fn: Any) -> None:
    monkeypatch.setattr(service, name, fn, raising=False)


async def _summary(client: TestClient, key: str) -> tuple[dict[str, Any], str]:
    resp = await client.get("/api/v1/summary", headers={"X-Api-Key": key})
    assert resp.status == 200, await resp.text()
    return await resp.json(), resp.headers["ETag"]


async def test_extras_in_the_summary(
    client: TestClient,
    app: web.Application,
    admin_key: str,
    instances: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sonarr, seerr = instances["sonarr"], instances["overseerr"]
    days: list[date] = []

    async def summary_counts() -> dict[str, dict[str, int]]:
        return {sonarr: dict(COUNTS), "gone00000000": dict(COUNTS)}

    async def pending_counts() -> dict[str, int]:
        return {seerr: 4}

    async def upcoming_counts(day: date) -> dict[str, int]:
        days.append(day)
        return {sonarr: 3}

    _replace(monkeypatch, app[LIBRARY], "summary_counts", summary_counts)
    _replace(monkeypatch, app[REQUESTS], "pending_counts", pending_counts)
    _replace(monkeypatch, app[CATALOG], "upcoming_counts", upcoming_counts)

    summary, etag = await _summary(client, admin_key)
    by_id = {i["id"]: i for i in summary["instances"]}
    assert by_id[sonarr]["library"] == COUNTS
    assert by_id[sonarr]["upcoming_today"] == 3
    assert by_id[seerr]["pending_requests"] == 4
    # Library and calendar figures belong to *arr instances only.
    assert by_id[seerr]["library"] is None
    assert by_id[seerr]["upcoming_today"] is None
    assert summary["upcoming_today"] == 3
    assert days and isinstance(days[0], date)
    # Existing fields are all still there.
    assert summary["totals"]["instances"] == 2
    assert by_id[sonarr]["root_folders"]

    # Unchanged figures: 304; a changed count: a new ETag.
    again = await client.get(
        "/api/v1/summary", headers={"X-Api-Key": admin_key, "If-None-Match": etag}
    )
    assert again.status == 304

    async def more_pending() -> dict[str, int]:
        return {seerr: 5}

    _replace(monkeypatch, app[REQUESTS], "pending_counts", more_pending)
    changed = await client.get(
        "/api/v1/summary", headers={"X-Api-Key": admin_key, "If-None-Match": etag}
    )
    assert changed.status == 200
    assert changed.headers["ETag"] != etag
    assert {i["id"]: i for i in (await changed.json())["instances"]}[seerr]["pending_requests"] == 5


async def test_an_arr_without_cached_counts(
    client: TestClient,
    app: web.Application,
    admin_key: str,
    instances: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The library answers, but not for this instance (not refreshed yet): null there;
    a request manager the requests service does not know keeps its snapshot figure."""

    async def summary_counts() -> dict[str, dict[str, int]]:
        return {}

    async def pending_counts() -> dict[str, int]:
        return {}

    async def upcoming_counts(day: date) -> dict[str, int]:
        return {}

    _replace(monkeypatch, app[LIBRARY], "summary_counts", summary_counts)
    _replace(monkeypatch, app[REQUESTS], "pending_counts", pending_counts)
    _replace(monkeypatch, app[CATALOG], "upcoming_counts", upcoming_counts)
    summary, _ = await _summary(client, admin_key)
    by_id = {i["id"]: i for i in summary["instances"]}
    assert by_id[instances["sonarr"]]["library"] is None
    assert by_id[instances["sonarr"]]["upcoming_today"] == 0
    assert summary["upcoming_today"] == 0
    assert isinstance(by_id[instances["overseerr"]]["pending_requests"], int)


async def test_failing_services_blank_only_their_fields(
    client: TestClient,
    app: web.Application,
    admin_key: str,
    instances: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(summary_module, "EXTRA_TIMEOUT", 0.05)
    never = asyncio.Event()

    async def summary_counts() -> dict[str, dict[str, int]]:
        raise RuntimeError("library exploded")

    async def pending_counts() -> dict[str, int]:
        await never.wait()  # never answers: the timeout ends it
        return {}

    async def upcoming_counts(day: date) -> Any:
        return {instances["sonarr"]: "many"}  # the wrong shape

    _replace(monkeypatch, app[LIBRARY], "summary_counts", summary_counts)
    _replace(monkeypatch, app[REQUESTS], "pending_counts", pending_counts)
    _replace(monkeypatch, app[CATALOG], "upcoming_counts", upcoming_counts)
    summary, _ = await _summary(client, admin_key)
    by_id = {i["id"]: i for i in summary["instances"]}
    assert by_id[instances["sonarr"]]["library"] is None
    assert by_id[instances["sonarr"]]["upcoming_today"] is None
    assert summary["upcoming_today"] is None
    # The snapshot's own figure stays when the requests service cannot say.
    assert isinstance(by_id[instances["overseerr"]]["pending_requests"], int)
    assert "library counts unavailable" in caplog.text
    assert "pending requests unavailable" in caplog.text
    assert "upcoming releases have the wrong shape" in caplog.text


async def test_services_without_the_methods() -> None:
    """Before the other services have their methods: every extra is null."""
    extras = await summary_extras(object(), object(), object(), today=date(2025, 5, 1))
    assert (extras.library, extras.pending_requests, extras.upcoming_today) == (None, None, None)


async def test_extra_library_keys_are_ignored() -> None:
    class Library:
        async def summary_counts(self) -> dict[str, dict[str, int]]:
            return {"a1b2c3d4e5f6": {**COUNTS, "something_new": 1}}

    extras = await summary_extras(Library(), object(), object())
    assert extras.library is not None
    assert extras.library["a1b2c3d4e5f6"].model_dump() == COUNTS
