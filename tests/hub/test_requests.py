"""Requests (REQ-1, REQ-2) end to end: the real hub over a fake Overseerr, Jellyseerr and Ombi.

Everything goes through the hub's own API (and, for inbound webhooks, its webhook route
with the real secret); the fakes follow the upstreams' specs and record what they were
asked, so the tests check both what the hub answers and what it did upstream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.adapters.resilience import RetryPolicy
from arrhub.auth.passwords import hash_password
from arrhub.auth.principal import Principal
from arrhub.events import Event, Subscription
from arrhub.keys import AUTH, COLLECTOR, EVENTS, REQUESTS
from tests.fakes.ombi import FakeOmbiState, make_ombi_app
from tests.fakes.seerr import (
    APPROVED,
    DECLINED,
    FAILED,
    FakeSeerrState,
    make_seerr_app,
    seerr_user,
)
from tests.fakes.server import RECORDER, serve
from tests.hub.conftest import assert_problem, bearer, login

pytestmark = pytest.mark.usefixtures("socket_enabled")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
WATCHER = Principal(username="watcher", role="admin", via="api_key")
CAROL, CAROL_PASSWORD = "carol", "C4rol-Password!"


def at(hour: int) -> datetime:
    return datetime(2025, 3, 1, hour, tzinfo=UTC)


@dataclass
class Hub:
    client: TestClient
    app: web.Application
    key: str
    viewer: str  # token of USER ("viewer"), a plain user
    carol: str  # token of a user no request manager knows
    overseerr: FakeSeerrState
    jellyseerr: FakeSeerrState
    ombi: FakeOmbiState
    ids: dict[str, str]  # kind -> instance id
    apps: dict[str, web.Application]

    @property
    def admin(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}

    async def list(self, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        resp = await self.client.get(
            "/api/v1/requests", params=params, headers=headers or self.admin
        )
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return body

    def forget(self) -> None:
        """The fakes changed behind the hub's back: drop its short-lived copies."""
        for instance_id in self.ids.values():
            self.app[REQUESTS].forget(instance_id)


def stock_overseerr(state: FakeSeerrState) -> None:
    viewer = state.add_user(7, "viewer", email="viewer@example.test")
    state.add_title("movie", 603, "The Matrix", date="1999-03-31")
    state.add_title("tv", 1399, "Game of Thrones", date="2011-04-17", seasons=8)
    state.add_title("movie", 194, "Amélie", date="2001-04-25")
    state.add_title("movie", 604, "The Matrix Reloaded", date="2003-05-15")
    state.add_request(tmdb_id=603, requested_by=viewer, created_at=at(1))  # pending
    state.add_request(
        media_type="tv", tmdb_id=1399, status=APPROVED, media_status=3, seasons=[1, 2],
        created_at=at(5),
    )  # fmt: skip
    state.add_request(tmdb_id=194, status=DECLINED, created_at=at(3))


def stock_jellyseerr(state: FakeSeerrState) -> None:
    # Known to Jellyseerr only by a Jellyfin login, spelled in another case.
    jf_viewer = seerr_user(
        4, "jf", username=None, plexUsername=None, jellyfinUsername="Viewer",
        email="someone@example.test",
    )  # fmt: skip
    state.users.append(jf_viewer)
    state.add_title("movie", 27205, "Inception", date="2010-07-15")
    state.add_title("tv", 1668, "Friends", date="1994-09-22", seasons=10)
    state.add_request(
        tmdb_id=27205, status=APPROVED, media_status=5, requested_by=jf_viewer, created_at=at(4)
    )
    state.add_request(media_type="tv", tmdb_id=1668, status=FAILED, seasons=[1], created_at=at(2))


def stock_ombi(state: FakeOmbiState) -> None:
    state.add_user("viewer")
    state.add_user("bob")
    state.titles[438631] = "Dune"
    state.shows[1396] = {"title": "Breaking Bad", "seasons": {1: 7, 2: 13, 3: 13}}
    state.add_movie("Dune", tmdb_id=438631, user="bob", requested=at(6))
    state.add_tv(
        "Breaking Bad", tvdb_id=81189, tmdb_id=1396,
        children=[{"seasons": (1,), "user": "viewer", "requested": at(7)}],
    )  # fmt: skip


async def add_instance(client: TestClient, key: str, body: dict[str, Any]) -> str:
    resp = await client.post("/api/v1/instances", json=body, headers={"X-Api-Key": key})
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


@pytest.fixture
async def hub(
    client: TestClient, app: web.Application, admin_key: str, user_token: str
) -> AsyncIterator[Hub]:
    overseerr = FakeSeerrState()
    jellyseerr = FakeSeerrState(flavour="jellyseerr", api_key="jelly-key")
    ombi = FakeOmbiState()
    stock_overseerr(overseerr)
    stock_jellyseerr(jellyseerr)
    stock_ombi(ombi)
    apps = {
        "overseerr": make_seerr_app(overseerr),
        "jellyseerr": make_seerr_app(jellyseerr),
        "ombi": make_ombi_app(ombi),
    }
    keys = {"overseerr": overseerr.api_key, "jellyseerr": jellyseerr.api_key, "ombi": ombi.api_key}
    await app[AUTH].users.create(CAROL, await hash_password(CAROL_PASSWORD), "user")
    carol = await login(client, CAROL, CAROL_PASSWORD)
    async with AsyncExitStack() as stack:
        ids = {}
        for kind, fake in apps.items():
            url = await stack.enter_async_context(serve(fake))
            # Added at once (same second): named so that Overseerr is the default one.
            name = {"overseerr": "a-overseerr", "jellyseerr": "b-jellyseerr", "ombi": "c-ombi"}
            body = {"type": kind, "name": name[kind], "url": url, "api_key": keys[kind]}
            ids[kind] = await add_instance(client, admin_key, body)
        yield Hub(
            client=client, app=app, key=admin_key, viewer=user_token, carol=carol,
            overseerr=overseerr, jellyseerr=jellyseerr, ombi=ombi, ids=ids, apps=apps,
        )  # fmt: skip


@pytest.fixture
def watch(app: web.Application) -> Subscription:
    return app[EVENTS].subscribe(topics=["request"], principal=WATCHER)


def drain(subscription: Subscription) -> list[Event]:
    events = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        if event is not None:
            events.append(event)
    return events


def titles(page: dict[str, Any]) -> list[str | None]:
    return [item["title"] for item in page["items"]]


# ---- listing ----------------------------------------------------------------------------


async def test_admin_lists_every_manager_merged_newest_first(hub: Hub) -> None:
    page = await hub.list()
    assert titles(page) == [
        "Breaking Bad", "Dune", "Game of Thrones", "Inception", "Amélie", "Friends",
        "The Matrix",
    ]  # fmt: skip
    assert (page["total"], page["limit"], page["offset"]) == (7, 50, 0)
    assert page["stale_instances"] == []
    assert page["counts"] == {
        "pending": 3, "approved": 0, "declined": 1, "processing": 1, "available": 1,
        "failed": 1, "total": 7,
    }  # fmt: skip
    items = {item["title"]: item for item in page["items"]}
    matrix = items["The Matrix"]
    assert matrix["id"] == f"{hub.ids['overseerr']}:1"
    assert (matrix["instance_id"], matrix["upstream_id"]) == (hub.ids["overseerr"], "1")
    assert (matrix["type"], matrix["year"], matrix["status"]) == ("movie", 1999, "pending")
    assert matrix["requested_by"] == "viewer"
    assert matrix["requested_at"] == "2025-03-01T01:00:00Z"
    assert matrix["poster_url"] == "https://image.tmdb.org/t/p/w300/poster.jpg"
    thrones = items["Game of Thrones"]
    assert (thrones["status"], thrones["seasons"], thrones["year"]) == ("processing", [1, 2], 2011)
    # Ombi numbers movie and TV requests apart: the key says which.
    assert items["Dune"]["upstream_id"] == "movie-1"
    assert items["Breaking Bad"]["upstream_id"] == "tv-2"
    assert items["Breaking Bad"]["tvdb_id"] == 81189
    # Titles were looked up once per title, then served from the adapter's cache.
    await hub.list()
    hub.forget()
    await hub.list()
    details = [r.path for r in hub.apps["overseerr"][RECORDER] if "/movie/" in r.path]
    assert sorted(details) == ["/api/v1/movie/194", "/api/v1/movie/603"]


async def test_filters_search_sort_and_pages(hub: Hub) -> None:
    pending = await hub.list(status="pending")
    assert titles(pending) == ["Breaking Bad", "Dune", "The Matrix"]
    assert pending["total"] == 3
    assert pending["counts"]["total"] == 7  # counts are over everything visible
    assert titles(await hub.list(type="tv")) == ["Breaking Bad", "Game of Thrones", "Friends"]
    assert titles(await hub.list(type="movie", status="available")) == ["Inception"]
    # Case and accents ignored; every word must be in the title.
    assert titles(await hub.list(q="AMELIE")) == ["Amélie"]
    assert titles(await hub.list(q="matrix")) == ["The Matrix"]
    assert titles(await hub.list(q="of game")) == ["Game of Thrones"]
    assert (await hub.list(q="nothing like it"))["total"] == 0
    assert titles(await hub.list(sort="oldest"))[:3] == ["The Matrix", "Friends", "Amélie"]
    assert titles(await hub.list(sort="title")) == [
        "Amélie", "Breaking Bad", "Dune", "Friends", "Game of Thrones", "Inception",
        "The Matrix",
    ]  # fmt: skip
    by_status = await hub.list(sort="status")
    assert [i["status"] for i in by_status["items"]] == [
        "pending", "pending", "pending", "processing", "available", "declined", "failed",
    ]  # fmt: skip
    assert titles(by_status)[:3] == ["Breaking Bad", "Dune", "The Matrix"]  # newest first
    second = await hub.list(sort="title", limit=2, offset=2)
    assert titles(second) == ["Dune", "Friends"]
    assert (second["total"], second["limit"], second["offset"]) == (7, 2, 2)
    only = await hub.list(instance_id=hub.ids["jellyseerr"])
    assert titles(only) == ["Inception", "Friends"]
    assert only["counts"]["total"] == 2
    resp = await hub.client.get(
        "/api/v1/requests", params={"instance_id": "nosuchinstance"}, headers=hub.admin
    )
    await assert_problem(resp, 404, "NOT_FOUND")
    for bad in ({"status": "lost"}, {"sort": "random"}, {"type": "music"}, {"limit": "501"}):
        resp = await hub.client.get("/api/v1/requests", params=bad, headers=hub.admin)
        await assert_problem(resp, 422, "VALIDATION_ERROR")


async def test_a_failing_manager_is_stale_and_the_rest_answer(hub: Hub) -> None:
    ombi = hub.app[COLLECTOR].adapter(hub.ids["ombi"])
    assert ombi is not None
    ombi.retry_policy = RetryPolicy(attempts=1)  # fail at once, not after backoffs
    hub.ombi.fail_with = 500
    hub.forget()
    page = await hub.list()
    assert page["stale_instances"] == [hub.ids["ombi"]]
    assert "Dune" not in titles(page)
    assert page["total"] == 5
    hub.ombi.fail_with = None
    ombi.breaker.reset()  # as after its rest: the next read is a real attempt
    hub.forget()
    assert (await hub.list())["stale_instances"] == []


async def test_users_see_their_own_requests(hub: Hub) -> None:
    page = await hub.list(bearer(hub.viewer))
    # Overseerr by username, Jellyseerr by its Jellyfin login (other case), Ombi's TV child.
    assert titles(page) == ["Breaking Bad", "Inception", "The Matrix"]
    assert page["counts"] == {
        "pending": 2, "approved": 0, "declined": 0, "processing": 0, "available": 1,
        "failed": 0, "total": 3,
    }  # fmt: skip
    assert (await hub.list(bearer(hub.carol)))["total"] == 0
    # A display name proves nothing (users choose it): "carol" shown is not carol.
    other = seerr_user(9, "someone", displayName="carol")
    hub.overseerr.users.append(other)
    hub.overseerr.add_request(tmdb_id=604, requested_by=other, created_at=at(8))
    hub.forget()
    assert (await hub.list())["items"][0]["requested_by"] == "carol"
    assert (await hub.list(bearer(hub.carol)))["total"] == 0


# ---- creating -----------------------------------------------------------------------------


async def test_admin_creates_as_the_keys_owner(hub: Hub, watch: Subscription) -> None:
    resp = await hub.client.post(
        "/api/v1/requests", json={"type": "movie", "tmdb_id": 604}, headers=hub.admin
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    # The default instance is the first request manager added: Overseerr.
    assert created["instance_id"] == hub.ids["overseerr"]
    assert (created["title"], created["year"], created["type"]) == (
        "The Matrix Reloaded", 2003, "movie",
    )  # fmt: skip
    assert created["status"] == "approved"  # Overseerr auto-approves an admin's request
    assert hub.overseerr.created[-1] == {"mediaType": "movie", "mediaId": 604}
    events = drain(watch)
    assert [e.type for e in events] == ["request.created"]
    assert events[0].data == created
    assert events[0].visibility == "admin"
    # The new request is in the list at once (the hub dropped its copy).
    assert "The Matrix Reloaded" in titles(await hub.list())


async def test_a_user_requests_as_their_upstream_user(hub: Hub, watch: Subscription) -> None:
    resp = await hub.client.post(
        "/api/v1/requests",
        json={
            "type": "tv",
            "tmdb_id": 1399,
            "seasons": [4, 3],
            "instance_id": hub.ids["overseerr"],
        },
        headers=bearer(hub.viewer),
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert hub.overseerr.created[-1] == {
        "mediaType": "tv", "mediaId": 1399, "seasons": [3, 4], "userId": 7,
    }  # fmt: skip
    assert (created["status"], created["requested_by"], created["seasons"]) == (
        "pending", "viewer", [3, 4],
    )  # fmt: skip
    assert created["id"] in {i["id"] for i in (await hub.list(bearer(hub.viewer)))["items"]}
    assert [e.type for e in drain(watch)] == ["request.created"]
    # On Ombi the same way: requestOnBehalf = the Ombi user's id, episodes of the seasons.
    resp = await hub.client.post(
        "/api/v1/requests",
        json={"type": "tv", "tmdb_id": 1396, "seasons": [2], "instance_id": hub.ids["ombi"]},
        headers=bearer(hub.viewer),
    )
    assert resp.status == 201, await resp.text()
    kind, body = hub.ombi.created[-1]
    assert kind == "tv"
    assert body["requestOnBehalf"] == "user-viewer"
    assert body["requestAll"] is False
    assert body["seasons"] == [
        {"seasonNumber": 2, "episodes": [{"episodeNumber": n} for n in range(1, 14)]}
    ]
    show = await resp.json()
    assert (show["upstream_id"], show["seasons"], show["status"]) == ("tv-2", [1, 2], "pending")


async def test_a_user_unknown_upstream_is_refused(hub: Hub, watch: Subscription) -> None:
    before = len(hub.overseerr.requests)
    resp = await hub.client.post(
        "/api/v1/requests", json={"type": "movie", "tmdb_id": 604}, headers=bearer(hub.carol)
    )
    body = await assert_problem(resp, 403, "FORBIDDEN")
    assert "carol" in body["detail"]
    assert len(hub.overseerr.requests) == before
    assert hub.overseerr.created == []
    assert drain(watch) == []


async def test_duplicates_are_conflicts(hub: Hub, watch: Subscription) -> None:
    for instance, tmdb_id, kind in (
        ("overseerr", 603, "movie"),
        ("ombi", 438631, "movie"),
        ("ombi", 1396, "tv"),
    ):
        body: dict[str, Any] = {"type": kind, "tmdb_id": tmdb_id, "instance_id": hub.ids[instance]}
        if kind == "tv":
            body["seasons"] = [1]
        resp = await hub.client.post("/api/v1/requests", json=body, headers=hub.admin)
        await assert_problem(resp, 409, "CONFLICT")
    # Overseerr releases before 1.33 answered 500 with the same message: also a conflict.
    from tests.fakes.media_common import Payload

    hub.overseerr.overrides["/api/v1/request"] = Payload.json(
        {"message": "Request for this media already exists."}, status=500
    )
    resp = await hub.client.post(
        "/api/v1/requests", json={"type": "movie", "tmdb_id": 603}, headers=hub.admin
    )
    await assert_problem(resp, 409, "CONFLICT")
    assert drain(watch) == []
    resp = await hub.client.post(
        "/api/v1/requests", json={"type": "movie", "tmdb_id": 0}, headers=hub.admin
    )
    await assert_problem(resp, 422, "VALIDATION_ERROR")


# ---- deciding -----------------------------------------------------------------------------


async def test_approve_and_decline(hub: Hub, watch: Subscription) -> None:
    matrix = f"{hub.ids['overseerr']}:1"
    resp = await hub.client.post(f"/api/v1/requests/{matrix}/approve", headers=hub.admin)
    assert resp.status == 200, await resp.text()
    approved = await resp.json()
    assert (approved["id"], approved["status"], approved["title"]) == (
        matrix, "processing", "The Matrix",
    )  # fmt: skip
    assert hub.overseerr.find(1)["status"] == APPROVED  # type: ignore[index]
    assert hub.overseerr.status_changes == [(1, "approve")]
    # Ombi: a show is approved through each of its open child requests.
    show = f"{hub.ids['ombi']}:tv-2"
    resp = await hub.client.post(f"/api/v1/requests/{show}/approve", headers=hub.admin)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "processing"
    assert hub.ombi.actions == [("tv", 3, "approve")]
    dune = f"{hub.ids['ombi']}:movie-1"
    resp = await hub.client.post(f"/api/v1/requests/{dune}/decline", headers=hub.admin)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "declined"
    assert hub.ombi.movies[0]["denied"] is True
    events = drain(watch)
    assert [(e.type, e.data["id"]) for e in events] == [
        ("request.approved", matrix), ("request.approved", show), ("request.declined", dune),
    ]  # fmt: skip
    listed = {i["id"]: i["status"] for i in (await hub.list())["items"]}
    assert (listed[matrix], listed[dune]) == ("processing", "declined")


async def test_deciding_is_for_admins_and_known_requests(hub: Hub) -> None:
    matrix = f"{hub.ids['overseerr']}:1"
    resp = await hub.client.post(f"/api/v1/requests/{matrix}/approve", headers=bearer(hub.viewer))
    await assert_problem(resp, 403, "FORBIDDEN")
    assert hub.overseerr.status_changes == []
    for missing in (
        f"{hub.ids['overseerr']}:999",
        f"{hub.ids['ombi']}:movie-999",
        f"{hub.ids['ombi']}:999",
        "nosuchinstance:1",
    ):
        resp = await hub.client.post(f"/api/v1/requests/{missing}/decline", headers=hub.admin)
        await assert_problem(resp, 404, "NOT_FOUND")


# ---- inbound webhooks and the summary -----------------------------------------------------


def webhook(relative: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
    for path, value in changes.items():
        node = body
        *parents, last = path.split("__")
        for name in parents:
            node = node[name]
        node[last] = value
    return body


async def post_webhook(hub: Hub, source: str, body: dict[str, Any]) -> None:
    resp = await hub.client.post(f"/api/v1/webhooks/{source}/secret", headers=hub.admin)
    secret = (await resp.json())["secret"]
    resp = await hub.client.post(
        f"/api/v1/webhooks/{source}", json=body, headers={"X-Arrhub-Secret": secret}
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["duplicate"] is False
    await hub.app[REQUESTS].idle()


async def test_upstream_webhooks_become_request_events(hub: Hub, watch: Subscription) -> None:
    # Overseerr says request 3 (Amélie) became available: republished with the request.
    await post_webhook(
        hub, "overseerr",
        webhook("overseerr/1.33/MEDIA_AVAILABLE.json", request__request_id="3",
                media__tmdbId="194"),
    )  # fmt: skip
    events = drain(watch)
    assert [e.type for e in events] == ["request.available"]
    assert events[0].instance_id == hub.ids["overseerr"]
    assert events[0].data["id"] == f"{hub.ids['overseerr']}:3"
    assert events[0].data["title"] == "Amélie"
    assert events[0].data["source"] == "overseerr"
    # Ombi: a new request; its TV webhooks name a child, so the event says what the hook said.
    await post_webhook(hub, "ombi", webhook("ombi/4.47/NewRequest.json"))
    events = drain(watch)
    assert [e.type for e in events] == ["request.created"]
    assert events[0].data["source"] == "ombi"
    # A test notification and an issue are not request events.
    await post_webhook(hub, "overseerr", webhook("overseerr/1.33/ISSUE_CREATED.json"))
    assert drain(watch) == []


async def test_a_hub_change_is_announced_once(hub: Hub, watch: Subscription) -> None:
    matrix = f"{hub.ids['overseerr']}:1"
    resp = await hub.client.post(f"/api/v1/requests/{matrix}/approve", headers=hub.admin)
    assert resp.status == 200
    # Overseerr echoes the approval as a webhook: not announced a second time.
    await post_webhook(
        hub, "overseerr",
        webhook("overseerr/1.33/MEDIA_APPROVED.json", request__request_id="1",
                media__tmdbId="603"),
    )  # fmt: skip
    assert [e.type for e in drain(watch)] == ["request.approved"]
    # Ombi names the approved show by its child id: matched by the show's TVDB id instead.
    show = f"{hub.ids['ombi']}:tv-2"
    resp = await hub.client.post(f"/api/v1/requests/{show}/approve", headers=hub.admin)
    assert resp.status == 200
    await post_webhook(
        hub, "ombi",
        webhook("ombi/4.47/RequestApproved.json", requestId="3", type="TV Show",
                providerId="81189", title="Breaking Bad"),
    )  # fmt: skip
    assert [e.type for e in drain(watch)] == ["request.approved"]
    # A different event about the same request is news.
    await post_webhook(
        hub, "overseerr",
        webhook("overseerr/1.33/MEDIA_AVAILABLE.json", request__request_id="1",
                media__tmdbId="603"),
    )  # fmt: skip
    assert [e.type for e in drain(watch)] == ["request.available"]


async def test_pending_counts_come_from_the_snapshots(hub: Hub) -> None:
    service = hub.app[REQUESTS]
    for instance_id in hub.ids.values():
        await hub.app[COLLECTOR].refresh(instance_id)
    before = len(hub.apps["overseerr"][RECORDER])
    assert await service.pending_counts() == {
        hub.ids["overseerr"]: 1, hub.ids["jellyseerr"]: 0, hub.ids["ombi"]: 2,
    }  # fmt: skip
    assert len(hub.apps["overseerr"][RECORDER]) == before  # no upstream call
    resp = await hub.client.get("/api/v1/summary", headers=hub.admin)
    assert resp.status == 200, await resp.text()
    pending = {i["id"]: i["pending_requests"] for i in (await resp.json())["instances"]}
    assert pending[hub.ids["ombi"]] == 2
