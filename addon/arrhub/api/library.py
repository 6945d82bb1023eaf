"""`/api/v1/library`: refresh, stats, search and browse, item detail, export (issue 7)."""

from __future__ import annotations

from aiohttp import web

from arrhub.errors import NotFound
from arrhub.http.middlewares import require_principal
from arrhub.http.routes import Route, body_of, json_reply, path_of, query_of
from arrhub.keys import LIBRARY
from arrhub.models.library_api import (
    ExportQuery,
    ItemPath,
    ItemsPage,
    ItemsQuery,
    JobAccepted,
    LibraryItemDetail,
    LibraryStats,
    RefreshBody,
    Schedule,
    ScheduleBody,
    StatsQuery,
)
from arrhub.timeutil import utcnow

_NO_PATH = {"items": {"__all__": {"path"}}}


async def refresh_library(request: web.Request) -> web.StreamResponse:
    body = body_of(request, RefreshBody)
    job = await request.app[LIBRARY].start_refresh(body.instance_id, "api")
    return json_reply(JobAccepted(job_id=job.id), status=202)


async def library_stats(request: web.Request) -> web.StreamResponse:
    period = query_of(request, StatsQuery).period
    return json_reply(await request.app[LIBRARY].stats(require_principal(request), period))


async def list_library_items(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    page = await request.app[LIBRARY].page(principal, query_of(request, ItemsQuery))
    exclude = None if principal.is_admin else _NO_PATH
    return web.Response(
        body=page.model_dump_json(exclude=exclude).encode(), content_type="application/json"
    )


async def get_library_item(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    item_id = path_of(request, ItemPath).item_id
    detail = await request.app[LIBRARY].detail(principal, item_id)
    exclude = None if principal.is_admin else {"path"}
    return web.Response(
        body=detail.model_dump_json(exclude=exclude).encode(), content_type="application/json"
    )


async def export_library(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    query = query_of(request, ExportQuery)
    chunks = request.app[LIBRARY].export(principal, query)
    filename = f"arrhub-library-{utcnow().date().isoformat()}.{query.format}"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8"
            if query.format == "csv"
            else "application/json",
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
    )
    await response.prepare(request)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


async def get_library_schedule(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[LIBRARY].get_schedule())


async def set_library_schedule(request: web.Request) -> web.StreamResponse:
    minutes = body_of(request, ScheduleBody).interval_minutes
    return json_reply(await request.app[LIBRARY].set_schedule(minutes))


ROUTES = (
    Route(method="POST", path="/api/v1/library/refresh", handler=refresh_library,
          access="admin", tag="library", body=RefreshBody, response=JobAccepted, status=202,
          errors=(NotFound,),
          summary="Refresh the library cache from every *arr (or one): a job",
          description="Replies 202 with the job's id; progress comes as `job.progress` "
          "events. While a refresh runs, another request gets the running job's id."),
    Route(method="GET", path="/api/v1/library/stats", handler=library_stats, access="user",
          tag="library", query=StatsQuery, response=LibraryStats,
          summary="Added and downloaded in a period, sizes by type and by instance"),
    Route(method="GET", path="/api/v1/library/items", handler=list_library_items,
          access="user", tag="library", rate="search", query=ItemsQuery, response=ItemsPage,
          summary="Search and browse movies, series and artists of every *arr",
          description="`q` matches title words as prefixes, ignores case and accents and "
          "tolerates typos; filters combine with AND. Users see titles with their tags."),
    Route(method="GET", path="/api/v1/library/items/{item_id}", handler=get_library_item,
          access="user", tag="library", path_params=ItemPath, response=LibraryItemDetail,
          errors=(NotFound,),
          summary="One title with its episodes/albums, seasons and what is missing"),
    Route(method="GET", path="/api/v1/library/export", handler=export_library, access="user",
          tag="library", rate="search", query=ExportQuery, content_type="text/csv",
          summary="The current filter as a CSV (header row) or JSON array file, streamed"),
    Route(method="GET", path="/api/v1/library/schedule", handler=get_library_schedule,
          access="admin", tag="library", response=Schedule,
          summary="How often the library refreshes by itself"),
    Route(method="PUT", path="/api/v1/library/schedule", handler=set_library_schedule,
          access="admin", tag="library", body=ScheduleBody, response=Schedule,
          summary="Set the refresh interval in minutes (0 = off)"),
)  # fmt: skip
