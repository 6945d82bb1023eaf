"""Media requests over Overseerr, Jellyseerr and Ombi (REQ-1, REQ-2)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from arrhub.keys import REQUESTS


class RequestsService:
    """Placeholder until the requests service lands (issue 7)."""


async def requests_ctx(app: web.Application) -> AsyncIterator[None]:
    app[REQUESTS] = RequestsService()
    yield
