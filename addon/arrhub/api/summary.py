"""`GET /api/v1/summary`: everything Home Assistant's coordinator needs in one reply.

It carries a weak ETag; a client that sends it back as `If-None-Match` gets 304 while
nothing but poll times and latencies changed, so polling costs next to nothing.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from arrhub.http.middlewares import require_principal
from arrhub.http.routes import Route
from arrhub.keys import CATALOG, INSTANCE_ID, INSTANCES, LIBRARY, REQUESTS
from arrhub.services.summary import HubSummary, summary_extras, with_extras

VOLATILE = {"fetched_at", "latency_ms"}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag.removeprefix("W/") in candidates or "*" in candidates


async def get_summary(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    app = request.app
    summary = await app[INSTANCES].summary(app[INSTANCE_ID], admin=principal.is_admin)
    summary = with_extras(summary, await summary_extras(app[LIBRARY], app[REQUESTS], app[CATALOG]))
    body = summary.model_dump_json().encode()
    # A weak validator over what matters: `fetched_at` and `latency_ms` change on every
    # poll of every instance, and would turn nearly every client poll into a full reply.
    stable = summary.model_dump_json(exclude={"instances": {"__all__": VOLATILE}}).encode()
    etag = "W/" + etag_of(stable)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


ROUTES = (
    Route(
        method="GET", path="/api/v1/summary", handler=get_summary, access="user",
        tag="summary", rate="polling", response=HubSummary,
        summary="Per-instance health, counts, speeds, free space and queue sizes (ETag, 304)",
        extra_responses={304: "unchanged since the ETag sent in If-None-Match"},
    ),
)  # fmt: skip
