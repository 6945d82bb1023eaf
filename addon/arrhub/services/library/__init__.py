"""The library cache: every *arr's titles in SQLite with an FTS5 index (LIB-1, LIB-2, LIB-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from arrhub.keys import LIBRARY


class LibraryService:
    """Placeholder until the library cache lands (issue 7)."""


async def library_ctx(app: web.Application) -> AsyncIterator[None]:
    app[LIBRARY] = LibraryService()
    yield
