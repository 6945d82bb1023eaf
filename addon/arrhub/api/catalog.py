"""Look up titles at the *arrs, add and delete them, root folders and profiles for pickers;
search now, rescan and monitor one title (library actions)."""

from __future__ import annotations

from aiohttp import web

from arrhub.errors import Conflict, NotFound, UpstreamError, UpstreamUnavailable, ValidationFailed
from arrhub.http.routes import Route, body_of, json_reply, path_of, query_of
from arrhub.keys import CATALOG
from arrhub.models.catalog import (
    AddBody,
    CatalogOptions,
    DeleteQuery,
    DeleteReply,
    ExclusionPath,
    ExclusionsPage,
    ExclusionsQuery,
    ItemPath,
    LookupQuery,
    LookupReply,
    OptionsQuery,
)
from arrhub.models.library_actions import (
    CommandAccepted,
    MonitorBody,
    MonitorReply,
    SearchBody,
)
from arrhub.models.library_api import LibraryItem


async def lookup_titles(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[CATALOG].lookup(query_of(request, LookupQuery)))


async def catalog_options(request: web.Request) -> web.StreamResponse:
    instance_id = query_of(request, OptionsQuery).instance_id
    return json_reply(await request.app[CATALOG].options(instance_id))


async def add_library_item(request: web.Request) -> web.StreamResponse:
    item = await request.app[CATALOG].add(body_of(request, AddBody))
    return json_reply(item, status=201)


async def delete_library_item(request: web.Request) -> web.StreamResponse:
    item_id = path_of(request, ItemPath).item_id
    reply = await request.app[CATALOG].delete(item_id, query_of(request, DeleteQuery))
    return json_reply(reply)


async def list_exclusions(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[CATALOG].exclusions(query_of(request, ExclusionsQuery)))


async def delete_exclusion(request: web.Request) -> web.StreamResponse:
    await request.app[CATALOG].delete_exclusion(path_of(request, ExclusionPath).exclusion_id)
    return web.Response(status=204)


# ---- library actions (LIB-3, LIB-9) ----


async def search_library_item(request: web.Request) -> web.StreamResponse:
    item_id = path_of(request, ItemPath).item_id
    reply = await request.app[CATALOG].actions.search(item_id, body_of(request, SearchBody))
    return json_reply(reply, status=202)


async def rescan_library_item(request: web.Request) -> web.StreamResponse:
    item_id = path_of(request, ItemPath).item_id
    return json_reply(await request.app[CATALOG].actions.rescan(item_id), status=202)


async def update_library_item(request: web.Request) -> web.StreamResponse:
    item_id = path_of(request, ItemPath).item_id
    monitored = body_of(request, MonitorBody).monitored
    return json_reply(await request.app[CATALOG].actions.set_monitored(item_id, monitored))


# ---- end library actions ----

_UPSTREAM = (UpstreamError, UpstreamUnavailable)
ROUTES = (
    Route(method="GET", path="/api/v1/lookup", handler=lookup_titles, access="user",
          tag="catalog", query=LookupQuery, response=LookupReply, rate="search",
          errors=(NotFound, ValidationFailed, *_UPSTREAM),
          summary="Search titles through an *arr's lookup, marking those already in the "
          "library or excluded"),
    Route(method="GET", path="/api/v1/catalog/options", handler=catalog_options, access="user",
          tag="catalog", query=OptionsQuery, response=CatalogOptions,
          errors=(NotFound, *_UPSTREAM),
          summary="Root folders, quality and metadata profiles and monitor options, for adds"),
    Route(method="POST", path="/api/v1/library/items", handler=add_library_item,
          access="admin", tag="catalog", body=AddBody, response=LibraryItem, status=201,
          errors=(NotFound, Conflict, ValidationFailed, *_UPSTREAM),
          summary="Add a title to an *arr (409 when it is already there)"),
    Route(method="DELETE", path="/api/v1/library/items/{item_id}", handler=delete_library_item,
          access="admin", tag="catalog", path_params=ItemPath, query=DeleteQuery,
          response=DeleteReply, errors=(NotFound, *_UPSTREAM),
          summary="Delete a title from its *arr, optionally with files and an import "
          "exclusion"),
    Route(method="GET", path="/api/v1/library/exclusions", handler=list_exclusions,
          access="admin", tag="catalog", query=ExclusionsQuery, response=ExclusionsPage,
          errors=(NotFound,),
          summary="The import exclusion lists of every *arr"),
    Route(method="DELETE", path="/api/v1/library/exclusions/{exclusion_id}",
          handler=delete_exclusion, access="admin", tag="catalog", path_params=ExclusionPath,
          status=204, errors=(NotFound, *_UPSTREAM),
          summary="Remove an import exclusion"),
    # ---- library actions (LIB-3, LIB-9) ----
    Route(method="POST", path="/api/v1/library/items/{item_id}/search",
          handler=search_library_item, access="admin", tag="catalog", path_params=ItemPath,
          body=SearchBody, response=CommandAccepted, status=202,
          errors=(NotFound, ValidationFailed, *_UPSTREAM),
          summary="Search now for a title, one season or some episodes/albums",
          description="Starts the *arr's search command (SeriesSearch, SeasonSearch, "
          "EpisodeSearch, MoviesSearch, ArtistSearch, AlbumSearch) and answers 202 with it; "
          "the body is optional."),
    Route(method="POST", path="/api/v1/library/items/{item_id}/rescan",
          handler=rescan_library_item, access="admin", tag="catalog", path_params=ItemPath,
          response=CommandAccepted, status=202,
          errors=(NotFound, ValidationFailed, *_UPSTREAM),
          summary="Rescan a title's folder on disk (RescanSeries, RescanMovie, RefreshArtist)"),
    Route(method="PATCH", path="/api/v1/library/items/{item_id}",
          handler=update_library_item, access="admin", tag="catalog", path_params=ItemPath,
          body=MonitorBody, response=MonitorReply,
          errors=(NotFound, ValidationFailed, *_UPSTREAM),
          summary="Monitor or unmonitor a title (artists: the watchlist)",
          description="Changes `monitored` through the *arr's bulk editor and re-reads the "
          "title into the library cache."),
)  # fmt: skip
