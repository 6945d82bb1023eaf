"""`/api/v1/calendar` and the iCalendar feed `/api/v1/calendar.ics`."""

from __future__ import annotations

from aiohttp import web

from arrhub.errors import InvalidKey, NotFound, ValidationFailed
from arrhub.http.middlewares import require_principal
from arrhub.http.routes import Route, json_reply, query_of
from arrhub.keys import CATALOG
from arrhub.models.catalog import CalendarQuery, CalendarReply, IcsQuery


async def get_calendar(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    reply = await request.app[CATALOG].calendar(principal, query_of(request, CalendarQuery))
    return json_reply(reply)


async def get_calendar_ics(request: web.Request) -> web.StreamResponse:
    principal = require_principal(request)
    body = await request.app[CATALOG].ics(principal, query_of(request, IcsQuery))
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="arrhub.ics"'},
    )


ROUTES = (
    Route(method="GET", path="/api/v1/calendar", handler=get_calendar, access="user",
          tag="calendar", query=CalendarQuery, response=CalendarReply,
          errors=(NotFound, ValidationFailed),
          summary="Episodes, movie releases and albums of every *arr, merged, by start",
          description="Dates or ISO datetimes; default today .. +7 days; at most 90 days. "
          "Instances that fail are listed in `stale_instances`; the others still answer."),
    Route(method="GET", path="/api/v1/calendar.ics", handler=get_calendar_ics, access="user",
          tag="calendar", query=IcsQuery, query_credentials=True, content_type="text/calendar",
          errors=(InvalidKey,),
          summary="The calendar as an iCalendar feed (RFC 5545) for calendar apps",
          description="Calendar apps cannot send headers: the key may come as `?api_key=sk_...` "
          "(headers work too). One VEVENT per entry with a stable UID; movie and album "
          "releases are all-day events."),
)  # fmt: skip
