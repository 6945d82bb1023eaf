"""A typed asyncio client of the arrhub hub API (`/api/v1`).

Shaped like python-overseerr's client: the session is injected (Home Assistant's shared
one), every call goes through one `_request` under a timeout, transport failures map to a
small exception tree, and replies are parsed into frozen models at this boundary.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
from yarl import URL

from .const import REQUEST_TIMEOUT
from .models import (
    TITLE_TO_LIBRARY_TYPE,
    BlocklistResult,
    CalendarPage,
    CatalogOptions,
    ClientState,
    DownloadsPage,
    HubSummary,
    InstanceHealth,
    MediaRequest,
    RequestsPage,
    Subscription,
    SystemInfo,
    TitleResult,
    library_item_response,
)

#: Problem codes that mean "these credentials will not do" (docs/api.md, Errors).
AUTH_CODES = frozenset({"AUTH_REQUIRED", "INVALID_KEY", "FORBIDDEN"})


class ArrhubError(Exception):
    """Anything that went wrong talking to the hub; `code` is the hub's problem code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class ArrhubConnectionError(ArrhubError):
    """The hub could not be reached, timed out, or failed (5xx)."""


class ArrhubAuthError(ArrhubError):
    """The hub rejected the API key (401, 403)."""


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: bytes
    etag: str | None


class ArrhubClient:
    """One hub, one API key; cheap to create, holds no connection of its own."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self._base = URL(url.rstrip("/"))
        self._headers = {"X-Api-Key": api_key, "Accept": "application/json"}
        self._session = session
        self._timeout = timeout
        self._summary_etag: str | None = None
        self._summary: HubSummary | None = None

    @property
    def url(self) -> str:
        return str(self._base)

    def _url(self, path: str) -> URL:
        return self._base.joinpath(*path.split("/"))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> _Reply:
        """The one place a request leaves: timeout, error mapping, problem decoding."""
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method,
                    self._url(path),
                    headers={**self._headers, **(headers or {})},
                    json=json_body,
                    params=params,
                ) as resp,
            ):
                reply = _Reply(resp.status, await resp.read(), resp.headers.get("ETag"))
        except TimeoutError as err:
            raise ArrhubConnectionError(
                f"the hub did not answer within {self._timeout:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise ArrhubConnectionError(str(err) or type(err).__name__) from err
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise _problem(reply)
        return reply

    async def _json(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        reply = await self._request(method, path, json_body=json_body, params=params)
        return _decoded(reply.body)

    async def system_info(self) -> SystemInfo:
        """Who the hub is; needs only a valid key, so it is the connection test."""
        return _parsed(SystemInfo.from_dict, await self._json("GET", "api/v1/system/info"))

    async def summary(self) -> HubSummary:
        """The summary; while the hub answers 304 this returns the very same object."""
        headers = {"If-None-Match": self._summary_etag} if self._summary_etag else None
        reply = await self._request("GET", "api/v1/summary", headers=headers)
        if reply.status == HTTPStatus.NOT_MODIFIED and self._summary is not None:
            return self._summary
        if reply.status == HTTPStatus.NOT_MODIFIED:
            raise ArrhubError("the hub answered 304 to a request without an ETag")
        summary = _parsed(HubSummary.from_dict, _decoded(reply.body))
        self._summary, self._summary_etag = summary, reply.etag
        return summary

    async def instance_health(self, instance_id: str) -> InstanceHealth:
        raw = await self._json("GET", f"api/v1/instances/{instance_id}/health")
        return _parsed(InstanceHealth.from_dict, raw)

    async def refresh_instance(self, instance_id: str) -> InstanceHealth:
        """Poll one upstream now (admin); answers its health."""
        raw = await self._json("POST", f"api/v1/instances/{instance_id}/refresh")
        return _parsed(InstanceHealth.from_dict, raw)

    async def set_paused(self, instance_id: str, paused: bool) -> ClientState:
        """Pause or resume a whole download client (admin)."""
        action = "pause" if paused else "resume"
        raw = await self._json("POST", f"api/v1/downloads/clients/{instance_id}/{action}")
        return _parsed(ClientState.from_dict, raw)

    async def set_alt_speed(self, instance_id: str, enabled: bool) -> ClientState:
        """Turn a download client's alternative speed limits on or off (admin)."""
        raw = await self._json(
            "PUT",
            f"api/v1/downloads/clients/{instance_id}/alt-speed",
            json_body={"enabled": enabled},
        )
        return _parsed(ClientState.from_dict, raw)

    async def downloads(
        self, *, instance_id: str | None = None, state: str | None = None, limit: int = 50
    ) -> DownloadsPage:
        """One page of the hub's joined download list (clients and *arr queues)."""
        params = {"limit": str(limit)}
        if instance_id is not None:
            params["instance"] = instance_id
        if state is not None:
            params["status"] = state
        raw = await self._json("GET", "api/v1/downloads", params=params)
        return _parsed(DownloadsPage.from_dict, raw)

    async def blocklist(self, download_id: str) -> BlocklistResult:
        """Blocklist a download's release in its *arr, which searches for another."""
        raw = await self._json("POST", f"api/v1/downloads/{download_id}/blocklist")
        return _parsed(BlocklistResult.from_dict, raw)

    async def calendar(
        self,
        *,
        start: str | None = None,
        end: str | None = None,
        kind: str | None = None,
        instance_id: str | None = None,
    ) -> CalendarPage:
        """Calendar entries of every *arr between `start` and `end` (ISO dates or times)."""
        params = _params(start=start, end=end, type=kind, instance_id=instance_id)
        raw = await self._json("GET", "api/v1/calendar", params=params)
        return _parsed(CalendarPage.from_dict, raw)

    async def lookup(self, kind: str, query: str) -> list[TitleResult]:
        """Titles the *arrs find online (`tv`, `movie`, `music`), marked when in the library."""
        raw = await self._json("GET", "api/v1/lookup", params={"type": kind, "q": query})
        return _parsed(lambda r: [TitleResult.from_lookup(i) for i in _items(r)], raw)

    async def library_search(self, kind: str, query: str, limit: int) -> list[TitleResult]:
        """Titles in the hub's library cache matching `query` (full text)."""
        params = {"type": TITLE_TO_LIBRARY_TYPE[kind], "q": query, "limit": str(limit)}
        raw = await self._json("GET", "api/v1/library/items", params=params)
        return _parsed(lambda r: [TitleResult.from_library(i) for i in _items(r)], raw)

    async def catalog_options(self, instance_id: str) -> CatalogOptions:
        """Root folders, profiles and monitor options of an *arr, for adding titles."""
        raw = await self._json("GET", "api/v1/catalog/options", params={"instance_id": instance_id})
        return _parsed(CatalogOptions.from_dict, raw)

    async def add_title(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a title to an *arr (admin); answers the new library item, trimmed."""
        raw = await self._json("POST", "api/v1/library/items", json_body=body)
        return _parsed(library_item_response, raw)

    async def requests(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 50
    ) -> RequestsPage:
        params = _params(status=status, type=kind, limit=str(limit))
        raw = await self._json("GET", "api/v1/requests", params=params)
        return _parsed(RequestsPage.from_dict, raw)

    async def create_request(self, body: dict[str, Any]) -> MediaRequest:
        raw = await self._json("POST", "api/v1/requests", json_body=body)
        return _parsed(MediaRequest.from_dict, raw)

    async def decide_request(self, request_id: str, *, approve: bool) -> MediaRequest:
        """Approve or decline a request (admin)."""
        action = "approve" if approve else "decline"
        raw = await self._json("POST", f"api/v1/requests/{request_id}/{action}")
        return _parsed(MediaRequest.from_dict, raw)

    async def subscriptions(self, url: str) -> list[Subscription]:
        """The hub's outbound webhook subscriptions to exactly `url` (admin)."""
        raw = await self._json("GET", "api/v1/subscriptions", params={"url": url})
        return _parsed(lambda r: [Subscription.from_dict(i) for i in _items(r)], raw)

    async def create_subscription(
        self, url: str, secret: str, events: list[str], description: str
    ) -> Subscription:
        body = {"url": url, "secret": secret, "events": events, "description": description}
        raw = await self._json("POST", "api/v1/subscriptions", json_body=body)
        return _parsed(Subscription.from_dict, raw)

    async def update_subscription(self, subscription_id: str, **changes: Any) -> Subscription:
        raw = await self._json(
            "PATCH", f"api/v1/subscriptions/{subscription_id}", json_body=changes
        )
        return _parsed(Subscription.from_dict, raw)

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._request("DELETE", f"api/v1/subscriptions/{subscription_id}")


def _params(**values: str | None) -> dict[str, str]:
    """Query parameters without the ones left out."""
    return {key: value for key, value in values.items() if value is not None}


def _items(raw: Any) -> list[Any]:
    items = raw.get("items") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ValueError("items is not a list")
    return items


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as err:
        raise ArrhubError("the hub sent a reply that is not JSON") from err


def _parsed[T](parse: Callable[[Any], T], raw: Any) -> T:
    try:
        return parse(raw)
    except (ValueError, TypeError) as err:
        raise ArrhubError(f"the hub sent an unexpected reply: {err}") from err


def _problem(reply: _Reply) -> ArrhubError:
    """Map an RFC 9457 problem (or any error reply) to our exception tree."""
    code: str | None = None
    detail = ""
    try:
        body = json.loads(reply.body)
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        detail = str(body.get("detail") or body.get("title") or "")
    message = detail or f"HTTP {reply.status}"
    if reply.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) or code in AUTH_CODES:
        return ArrhubAuthError(message, status=reply.status, code=code)
    if reply.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ArrhubConnectionError(message, status=reply.status, code=code)
    return ArrhubError(message, status=reply.status, code=code)
