"""Every registered route, called anonymously, as a user and as an admin.

The route registry declares each route's access level; this test enumerates the routes
the router actually serves (so a route added without a declaration fails here) and proves
that the one access middleware enforces the declaration.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.http.routes import Route
from arrhub.keys import AUTH, ROUTE_SPECS

# A valid value for every path parameter any route declares. A new parameter name fails
# the test until it gets a sample here.
PATH_SAMPLES = {"key_id": "999999", "name": "docs.css", "instance_id": "nosuchinstance"}
PATH_SAMPLES["subscription_id"] = "nosuchsubscription"
PATH_SAMPLES["source"] = "nosuchsource"
PATH_SAMPLES["download_id"] = "nosuchinstance:abc"
PATH_SAMPLES["user_id"] = "999999"
PATH_SAMPLES["request_id"] = "nosuchinstance:1"
PATH_SAMPLES["item_id"] = "nosuchinstance:movie:1"
PATH_SAMPLES["job_id"] = "0123456789abcdef"
PATH_SAMPLES["exclusion_id"] = "nosuchinstance:1"


def concrete_path(route: Route) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PATH_SAMPLES, f"add a sample value for path parameter {name!r}"
        return PATH_SAMPLES[name]

    return re.sub(r"{([a-z_]+)(?::[^}]*)?}", fill, route.path)


async def call(client: TestClient, route: Route, headers: dict[str, str]) -> tuple[int, Any]:
    resp = await client.request(route.method, concrete_path(route), headers=headers)
    if resp.content_type == "text/event-stream":  # a stream never ends by itself
        resp.close()
        return resp.status, b""
    body = await resp.read()
    return resp.status, body


async def test_every_router_route_is_declared(app: web.Application) -> None:
    specs = app[ROUTE_SPECS]
    for resource_route in app.router.routes():
        assert resource_route in specs, f"{resource_route} bypasses the route registry"
    assert len(specs) >= 15


async def test_access_matrix(client: TestClient, app: web.Application, admin_key: str) -> None:
    user = await app[AUTH].users.create("matrix-user", None, "user")
    assert user is not None
    user_key = (await app[AUTH].create_key("matrix", role="user", user_id=user.id)).key
    as_anonymous: dict[str, str] = {}
    as_user = {"X-Api-Key": user_key}
    as_admin = {"X-Api-Key": admin_key}

    routes = sorted(app[ROUTE_SPECS].values(), key=lambda r: (r.path, r.method))
    checked = {"public": 0, "user": 0, "admin": 0}
    for route in routes:
        anonymous, _ = await call(client, route, as_anonymous)
        as_user_status, _ = await call(client, route, as_user)
        as_admin_status, _ = await call(client, route, as_admin)
        label = f"{route.method} {route.path} ({route.access})"
        if route.access == "public":
            assert anonymous not in (401, 403), label
        else:
            assert anonymous == 401, label
        if route.access == "admin":
            assert as_user_status == 403, label
        else:
            assert as_user_status not in (401, 403), label
        assert as_admin_status not in (401, 403), label
        checked[route.access] += 1
    assert all(checked.values()), checked


async def test_denials_are_problems(client: TestClient, app: web.Application) -> None:
    for route in app[ROUTE_SPECS].values():
        if route.access == "public":
            continue
        resp = await client.request(route.method, concrete_path(route))
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
        assert (await resp.json(content_type=None))["code"] == "AUTH_REQUIRED"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
