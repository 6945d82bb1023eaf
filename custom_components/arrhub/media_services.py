"""Actions about titles: the calendar, finding and adding titles, and media requests.

Each calls one hub route (several for `add_title`, which fills in the instance's first
root folder and profile when the caller leaves them out) and returns a compact,
JSON-able response; detail never goes into state attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Any

import voluptuous as vol
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .action_helpers import hub_call, known_instance, loaded_entry
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_END,
    ATTR_IN_LIBRARY_ONLY,
    ATTR_INSTANCE_ID,
    ATTR_LIMIT,
    ATTR_MONITOR,
    ATTR_MUSICBRAINZ_ID,
    ATTR_QUALITY_PROFILE_ID,
    ATTR_QUERY,
    ATTR_REQUEST_ID,
    ATTR_ROOT_FOLDER,
    ATTR_SEARCH_NOW,
    ATTR_SEASONS,
    ATTR_START,
    ATTR_STATUS,
    ATTR_TMDB_ID,
    ATTR_TVDB_ID,
    ATTR_TYPE,
    CALENDAR_TYPES,
    DOMAIN,
    MONITOR_OPTIONS,
    REQUEST_STATUSES,
    REQUEST_TYPES,
    SERVICE_ADD_TITLE,
    SERVICE_APPROVE_REQUEST,
    SERVICE_DECLINE_REQUEST,
    SERVICE_GET_CALENDAR,
    SERVICE_GET_REQUESTS,
    SERVICE_REQUEST_TITLE,
    SERVICE_SEARCH_TITLES,
    TITLE_TYPES,
)

type _Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

#: The monitor option an added title gets when the caller names none, per *arr type.
DEFAULT_MONITOR = {"sonarr": "all", "radarr": "movieOnly", "lidarr": "all"}
#: The external id each *arr type adds titles by.
EXTERNAL_ID_OF = {"sonarr": ATTR_TVDB_ID, "radarr": ATTR_TMDB_ID, "lidarr": ATTR_MUSICBRAINZ_ID}

_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
_MOMENT = vol.Any(cv.date, cv.datetime)
_POSITIVE = vol.All(vol.Coerce(int), vol.Range(min=1))

CALENDAR_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_START): _MOMENT,
        vol.Optional(ATTR_END): _MOMENT,
        vol.Optional(ATTR_TYPE): vol.In(CALENDAR_TYPES),
        vol.Optional(ATTR_INSTANCE_ID): cv.string,
    }
)
SEARCH_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_QUERY): vol.All(cv.string, vol.Length(min=1, max=200)),
        vol.Required(ATTR_TYPE): vol.In(TITLE_TYPES),
        vol.Optional(ATTR_IN_LIBRARY_ONLY, default=False): cv.boolean,
        vol.Optional(ATTR_LIMIT, default=10): vol.All(vol.Coerce(int), vol.Range(min=1, max=50)),
    }
)
ADD_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_INSTANCE_ID): cv.string,
        vol.Exclusive(ATTR_TMDB_ID, "external_id"): _POSITIVE,
        vol.Exclusive(ATTR_TVDB_ID, "external_id"): _POSITIVE,
        vol.Exclusive(ATTR_MUSICBRAINZ_ID, "external_id"): vol.All(
            cv.string, vol.Length(min=1, max=64)
        ),
        vol.Optional(ATTR_ROOT_FOLDER): cv.string,
        vol.Optional(ATTR_QUALITY_PROFILE_ID): _POSITIVE,
        vol.Optional(ATTR_MONITOR): vol.In(MONITOR_OPTIONS),
        vol.Optional(ATTR_SEARCH_NOW, default=True): cv.boolean,
    }
)
REQUESTS_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_STATUS): vol.In(REQUEST_STATUSES),
        vol.Optional(ATTR_TYPE): vol.In(REQUEST_TYPES),
        vol.Optional(ATTR_LIMIT, default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
    }
)
REQUEST_TITLE_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_TYPE): vol.In(REQUEST_TYPES),
        vol.Required(ATTR_TMDB_ID): _POSITIVE,
        vol.Optional(ATTR_SEASONS): vol.Any("all", [vol.All(vol.Coerce(int), vol.Range(min=0))]),
        vol.Optional(ATTR_INSTANCE_ID): cv.string,
    }
)
DECIDE_SCHEMA = vol.Schema(
    {**_ENTRY, vol.Required(ATTR_REQUEST_ID): vol.All(cv.string, vol.Length(min=3, max=100))}
)


def _hub_moment(value: date | datetime) -> str:
    """A date as it is; a time in UTC with `Z` (a time without zone is Home Assistant's)."""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value).isoformat().replace("+00:00", "Z")


async def _get_calendar(call: ServiceCall) -> ServiceResponse:
    """Calendar entries of every *arr in a window (default: today and the next 7 days)."""
    entry = loaded_entry(call.hass, call)
    if (instance_id := call.data.get(ATTR_INSTANCE_ID)) is not None:
        known_instance(entry, instance_id)
    start, end = call.data.get(ATTR_START), call.data.get(ATTR_END)
    page = await hub_call(
        call,
        entry.runtime_data.client.calendar(
            start=None if start is None else _hub_moment(start),
            end=None if end is None else _hub_moment(end),
            kind=call.data.get(ATTR_TYPE),
            instance_id=instance_id,
        ),
    )
    return page.as_response()


async def _search_titles(call: ServiceCall) -> ServiceResponse:
    """Titles the *arrs can add (marked when already in the library), or, with
    `in_library_only`, titles in the library."""
    entry = loaded_entry(call.hass, call)
    client = entry.runtime_data.client
    kind, query, limit = call.data[ATTR_TYPE], call.data[ATTR_QUERY], call.data[ATTR_LIMIT]
    if call.data[ATTR_IN_LIBRARY_ONLY]:
        found = await hub_call(call, client.library_search(kind, query, limit))
    else:
        found = await hub_call(call, client.lookup(kind, query))
    return {"items": [title.as_response() for title in found[:limit]]}


async def _add_title(call: ServiceCall) -> ServiceResponse:
    """Add a title to an *arr; root folder and quality profile default to its first."""
    entry = loaded_entry(call.hass, call)
    instance = known_instance(entry, call.data[ATTR_INSTANCE_ID])
    id_key = EXTERNAL_ID_OF.get(instance.type)
    if id_key is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_supported",
            translation_placeholders={"name": instance.name, "action": call.service},
        )
    if id_key not in call.data:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="external_id_needed",
            translation_placeholders={"name": instance.name, "field": id_key},
        )
    client = entry.runtime_data.client
    body: dict[str, Any] = {
        "instance_id": instance.id,
        id_key: call.data[id_key],
        "monitor": call.data.get(ATTR_MONITOR, DEFAULT_MONITOR[instance.type]),
        "search_now": call.data[ATTR_SEARCH_NOW],
    }
    root_folder = call.data.get(ATTR_ROOT_FOLDER)
    profile = call.data.get(ATTR_QUALITY_PROFILE_ID)
    if root_folder is None or profile is None or instance.type == "lidarr":
        options = await hub_call(call, client.catalog_options(instance.id))
        if not options.root_folders or not options.quality_profiles:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="nothing_to_add_with",
                translation_placeholders={"name": instance.name},
            )
        root_folder = root_folder or options.root_folders[0]
        profile = profile or options.quality_profiles[0].id
        if options.metadata_profiles:
            body["metadata_profile_id"] = options.metadata_profiles[0].id
    body["root_folder"] = root_folder
    body["quality_profile_id"] = profile
    item = await hub_call(call, client.add_title(body))
    await entry.runtime_data.coordinator.async_request_refresh()
    return item


async def _get_requests(call: ServiceCall) -> ServiceResponse:
    """Requests at the request managers, newest first, with counts per status."""
    entry = loaded_entry(call.hass, call)
    page = await hub_call(
        call,
        entry.runtime_data.client.requests(
            status=call.data.get(ATTR_STATUS),
            kind=call.data.get(ATTR_TYPE),
            limit=call.data[ATTR_LIMIT],
        ),
    )
    return page.as_response()


async def _request_title(call: ServiceCall) -> ServiceResponse:
    """Request a movie or series at a request manager (the hub's first by default)."""
    entry = loaded_entry(call.hass, call)
    body: dict[str, Any] = {"type": call.data[ATTR_TYPE], "tmdb_id": call.data[ATTR_TMDB_ID]}
    if ATTR_SEASONS in call.data:
        body["seasons"] = call.data[ATTR_SEASONS]
    if (instance_id := call.data.get(ATTR_INSTANCE_ID)) is not None:
        body["instance_id"] = known_instance(entry, instance_id).id
    created = await hub_call(call, entry.runtime_data.client.create_request(body))
    return created.as_response()


async def _approve_request(call: ServiceCall) -> ServiceResponse:
    return await _decide(call, approve=True)


async def _decline_request(call: ServiceCall) -> ServiceResponse:
    return await _decide(call, approve=False)


async def _decide(call: ServiceCall, *, approve: bool) -> ServiceResponse:
    entry = loaded_entry(call.hass, call)
    runtime = entry.runtime_data
    decided = await hub_call(
        call, runtime.client.decide_request(call.data[ATTR_REQUEST_ID], approve=approve)
    )
    await runtime.coordinator.async_request_refresh()
    return decided.as_response()


MEDIA_ACTIONS: tuple[tuple[str, _Handler, vol.Schema, SupportsResponse], ...] = (
    (SERVICE_GET_CALENDAR, _get_calendar, CALENDAR_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_SEARCH_TITLES, _search_titles, SEARCH_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_ADD_TITLE, _add_title, ADD_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_GET_REQUESTS, _get_requests, REQUESTS_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_REQUEST_TITLE, _request_title, REQUEST_TITLE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_APPROVE_REQUEST, _approve_request, DECIDE_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_DECLINE_REQUEST, _decline_request, DECIDE_SCHEMA, SupportsResponse.OPTIONAL),
)
