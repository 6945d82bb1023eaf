"""Contract: every request the Overseerr and Jellyseerr adapters send is one the published
Overseerr OpenAPI spec (`../shared/upstream/overseerr-v1.openapi.yml`) documents, and the
fake answers in the spec's shapes.

Each public method of each adapter runs against the recording fake (with the arguments
that reach every code path: paging, each status filter, the scan for statuses the
upstream cannot filter); then every recorded request must match a path of the spec, an
allowed method, and only declared query parameters with values the schemas accept. The
method table is checked against the adapter classes, so a new public method without a
contract run fails here.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from arrhub.adapters.base import Adapter
from arrhub.adapters.registry import adapter_class
from arrhub.models.upstream import RequestStatus
from tests.adapters_helpers import open_adapter
from tests.contract.spec import (
    assert_recorded_in_spec,
    assert_reply_in_spec,
    assert_request_in_spec,
)
from tests.fakes.seerr import (
    API,
    APPROVED,
    DECLINED,
    PENDING,
    ROUTES,
    FakeSeerrState,
    make_seerr_app,
)
from tests.fakes.server import RECORDER, serve

pytestmark = pytest.mark.usefixtures("socket_enabled")

#: Transport plumbing of the base class, not operations of the upstream's API.
INFRASTRUCTURE = {"call", "request", "ensure_login", "get_json", "login", "close"}
#: Where the real servers differ from the spec: `/settings/logs` is documented as a bare
#: list but has answered a page `{pageInfo, results}` for years (both are read).
NO_REPLY_CHECK = {"/api/v1/settings/logs"}

Call = Callable[[Any], Awaitable[Any]]


async def _requests(adapter: Any) -> Any:
    await adapter.requests()
    await adapter.requests(take=5, skip=5)
    for status in RequestStatus:  # upstream filters, and the scan for the rest
        await adapter.requests(status=status, take=3)


async def _create(adapter: Any) -> Any:
    """As the key's owner, as another user, a show by seasons and whole, and a duplicate."""
    from arrhub.errors import Conflict

    user = await adapter.find_user("viewer")
    assert user is not None
    await adapter.create_request("movie", 603, None)
    await adapter.create_request("movie", 604, None, user=user)
    await adapter.create_request("tv", 1399, [1, 2])
    await adapter.create_request("tv", 1400, None)
    with pytest.raises(Conflict):
        await adapter.create_request("movie", 603, None)


async def _find_user(adapter: Any) -> Any:
    assert (await adapter.find_user("VIEWER@example.test")) is not None
    assert await adapter.find_user("nobody") is None


async def _set_status(adapter: Any) -> Any:
    await adapter.set_status("1", approve=True)
    await adapter.set_status("2", approve=False)


TABLE: dict[str, Call] = {
    "probe": lambda a: a.probe(),
    "health": lambda a: a.health(),
    "logs": lambda a: a.logs(20),
    "requests": _requests,
    "counts": lambda a: a.counts(),
    "collect": lambda a: a.collect(),
    # Issue 7 (REQ-1, REQ-2): the whole list with titles, one request, create, decide.
    "all_requests": lambda a: a.all_requests(),
    "get_request": lambda a: a.get_request("3"),
    "create_request": _create,
    "set_status": _set_status,
    "find_user": _find_user,
}
KINDS = ("overseerr", "jellyseerr")


def public_operations(cls: type[Adapter]) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and inspect.iscoroutinefunction(member)
        and name not in INFRASTRUCTURE
    }


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    body: Any


def capture_replies(app: web.Application) -> list[Reply]:
    """Keep every JSON reply the fake sends (outermost middleware)."""
    replies: list[Reply] = []

    @web.middleware
    async def capture(request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        if isinstance(resp, web.Response) and resp.content_type == "application/json":
            raw = resp.body
            if isinstance(raw, bytes | bytearray) and raw:
                replies.append(Reply(request.method, request.path, resp.status, json.loads(raw)))
        return resp

    app.middlewares.insert(0, capture)
    return replies


def sample_state(flavour: str) -> FakeSeerrState:
    state = FakeSeerrState(flavour=flavour)  # type: ignore[arg-type]
    for n in range(12):
        state.add_request(
            media_type="tv" if n % 2 else "movie",
            status=(PENDING, APPROVED, DECLINED)[n % 3],
            media_status=(2, 3, 5, 4)[n % 4],
            tvdb_id=70000 + n,
            seasons=[1] if n % 2 else None,
        )
    # Titles for most (not all: a TMDB miss must not break a list), and a second user.
    for n in range(10):
        state.add_title("tv" if n % 2 else "movie", 1001 + n, f"Title {n}")
    state.add_title("movie", 603, "The Matrix", date="1999-03-31")
    state.add_title("tv", 1399, "Game of Thrones", date="2011-04-17", seasons=8)
    state.add_user(7, "viewer", jellyfinUsername="viewer-jf")
    state.logs.append(
        {"timestamp": "2025-01-01T00:00:00.000Z", "level": "info", "label": "Server",
         "message": "ready"}
    )  # fmt: skip
    return state


@pytest.mark.parametrize("kind", KINDS)
def test_every_public_method_is_driven(kind: str) -> None:
    assert public_operations(adapter_class(kind)) == set(TABLE)


@pytest.mark.parametrize("kind", KINDS)
async def test_requests_follow_the_spec(kind: str) -> None:
    state = sample_state(kind)
    app = make_seerr_app(state)
    replies = capture_replies(app)
    async with serve(app) as url, open_adapter(kind, url, api_key=state.api_key) as adapter:
        for name, call in TABLE.items():
            before = len(app[RECORDER])
            await call(adapter)
            assert len(app[RECORDER]) > before, f"{name} sent no request"
    recorded = app[RECORDER]
    covered = assert_recorded_in_spec(kind, recorded)
    assert covered == {
        ("GET", "/status"),
        ("GET", "/settings/public"),
        ("GET", "/auth/me"),
        ("GET", "/request"),
        ("GET", "/request/count"),
        ("GET", "/settings/logs"),
        ("GET", "/request/{requestId}"),
        ("POST", "/request"),
        ("POST", "/request/{requestId}/{status}"),
        ("GET", "/user"),
        ("GET", "/movie/{movieId}"),
        ("GET", "/tv/{tvId}"),
    }
    # Paged at <= 100 per call, whatever the caller asked for.
    listed = (f"{API}/request", f"{API}/user")
    takes = {int(r.query["take"][0]) for r in recorded if r.method == "GET" and r.path in listed}
    assert max(takes) <= 100
    # Create bodies are the spec's `POST /request` body: seasons a list or "all", userId.
    bodies = state.created
    assert {"mediaType": "movie", "mediaId": 604, "userId": 7} in bodies
    assert {"mediaType": "tv", "mediaId": 1399, "seasons": [1, 2]} in bodies
    assert {"mediaType": "tv", "mediaId": 1400, "seasons": "all"} in bodies
    assert_bodies_in_spec(kind, bodies)
    # Every upstream filter the adapter uses, and "all" for the statuses it filters itself.
    filters = {
        r.query["filter"][0] for r in recorded if r.method == "GET" and r.path == f"{API}/request"
    }
    assert filters == {"all", "pending", "approved", "processing", "available", "failed"}
    # The key travels in the header, never in a URL (URLs end up in logs).
    for request in recorded:
        assert request.headers.get("X-Api-Key") == state.api_key
        assert not {"apikey", "api_key"} & set(request.query)
    # ... and what the fake answered has the spec's shapes.
    assert replies
    for reply in replies:
        if reply.path in NO_REPLY_CHECK:
            continue
        assert_reply_in_spec(kind, reply.method, reply.path, reply.status, reply.body)


@pytest.mark.parametrize("kind", KINDS)
async def test_fake_write_routes_answer_in_the_spec_shapes(kind: str) -> None:
    """The routes later issues use (create, approve, decline, retry, delete) are real."""
    state = sample_state(kind)
    app = make_seerr_app(state)
    replies = capture_replies(app)
    async with serve(app) as url, open_adapter(kind, url, api_key=state.api_key) as adapter:
        for method, path, body in (
            ("POST", f"{API}/request", {"mediaType": "movie", "mediaId": 603}),
            ("POST", f"{API}/request/1/approve", None),
            ("POST", f"{API}/request/2/decline", None),
            ("POST", f"{API}/request/3/retry", None),
            ("GET", f"{API}/request/4", None),
            ("DELETE", f"{API}/request/5", None),
            ("GET", f"{API}/settings/about", None),
            ("GET", f"{API}/settings/jobs", None),
            ("GET", f"{API}/status/appdata", None),
        ):
            reply = await adapter.request(method, path, json_body=body)
            assert reply.status in (200, 201, 204), (method, path, reply.status)
    assert state.status_changes == [(1, "approve"), (2, "decline")]
    assert state.find(5) is None
    assert_recorded_in_spec(kind, app[RECORDER])
    for reply in replies:
        assert_reply_in_spec(kind, reply.method, reply.path, reply.status, reply.body)


def test_fake_routes_exist_in_the_spec() -> None:
    """Every route the fake offers is a path and method of the real API."""
    filled = {"{request_id}": "7", "{status}": "approve", "{tmdb_id}": "603"}
    for method, template in ROUTES:
        concrete = template
        for name, value in filled.items():
            concrete = concrete.replace(name, value)
        assert_request_in_spec("overseerr", method, f"{API}{concrete}", set())


def assert_bodies_in_spec(kind: str, bodies: list[dict[str, Any]]) -> None:
    """Each body uses only the properties `POST /request` declares, with their types."""
    from tests.contract.spec import load_spec

    spec = load_spec(kind)
    operation = spec.document["paths"]["/request"]["post"]
    schema = spec.resolve(operation["requestBody"]["content"]["application/json"]["schema"])
    properties = schema["properties"]
    for body in bodies:
        assert set(schema["required"]) <= set(body), body
        for name, value in body.items():
            assert name in properties, f"{name} is not a property of POST /request"
            declared = spec.resolve(properties[name])
            if "enum" in declared:
                assert value in declared["enum"], (name, value)
            elif declared.get("type") == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool)
            elif "oneOf" in declared:  # seasons: a list of numbers, or "all"
                assert value == "all" or (
                    isinstance(value, list) and all(isinstance(n, int) for n in value)
                ), value
