"""Calendar, title lookup, add and delete over every *arr instance (LIB-7, LIB-8, LIB-9)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from arrhub.keys import CATALOG


class CatalogService:
    """Placeholder until the catalog lands (issue 7)."""


async def catalog_ctx(app: web.Application) -> AsyncIterator[None]:
    app[CATALOG] = CatalogService()
    yield
