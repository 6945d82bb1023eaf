"""`/api/v1/requests`: Overseerr, Jellyseerr and Ombi requests in one list; create, decide."""

from __future__ import annotations

from aiohttp import web

from arrhub.adapters.errors import Unsupported
from arrhub.errors import (
    Conflict,
    Forbidden,
    NotFound,
    UpstreamError,
    UpstreamUnavailable,
    ValidationFailed,
)
from arrhub.http.middlewares import require_principal
from arrhub.http.routes import Route, body_of, json_reply, path_of, query_of
from arrhub.keys import REQUESTS
from arrhub.models.requests import Req, RequestCreate, RequestPath, RequestsPage, RequestsQuery


async def list_requests(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    page = await request.app[REQUESTS].page(principal, query_of(request, RequestsQuery))
    return json_reply(page)


async def create_request(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    created = await request.app[REQUESTS].create(principal, body_of(request, RequestCreate))
    return json_reply(created, status=201)


async def approve_request(request: web.Request) -> web.StreamResponse:
    request_id = path_of(request, RequestPath).request_id
    return json_reply(await request.app[REQUESTS].decide(request_id, approve=True))


async def decline_request(request: web.Request) -> web.StreamResponse:
    request_id = path_of(request, RequestPath).request_id
    return json_reply(await request.app[REQUESTS].decide(request_id, approve=False))


_UPSTREAM = (UpstreamError, UpstreamUnavailable)
ROUTES: tuple[Route, ...] = (
    Route(method="GET", path="/api/v1/requests", handler=list_requests, access="user",
          tag="requests", query=RequestsQuery, response=RequestsPage, errors=(NotFound,),
          summary="Requests of every Overseerr, Jellyseerr and Ombi (users: their own), "
                  "filtered, searched, sorted, with counts",
          description="Read live from each request manager (paged upstream at 100 per call, at "
                      "most 2000 per instance, kept 15 s); one that fails is listed in "
                      "`stale_instances`. Pagination happens after merging."),
    Route(method="POST", path="/api/v1/requests", handler=create_request, access="user",
          tag="requests", body=RequestCreate, response=Req, status=201,
          errors=(Conflict, Forbidden, NotFound, ValidationFailed, Unsupported, *_UPSTREAM),
          summary="Request a movie or show (a user's request is made as their upstream user)",
          description="409 when the upstream says the title is already requested; 403 when "
                      "the caller is a user the request manager has no account for."),
    Route(method="POST", path="/api/v1/requests/{request_id}/approve", handler=approve_request,
          access="admin", tag="requests", path_params=RequestPath, response=Req,
          errors=(NotFound, Unsupported, *_UPSTREAM), summary="Approve a request"),
    Route(method="POST", path="/api/v1/requests/{request_id}/decline", handler=decline_request,
          access="admin", tag="requests", path_params=RequestPath, response=Req,
          errors=(NotFound, Unsupported, *_UPSTREAM), summary="Decline a request"),
)  # fmt: skip
