"""Overseerr and Jellyseerr: one request-manager API (`/api/v1`, `X-Api-Key`).

Jellyseerr is a fork of Overseerr and keeps its API; the two are told apart by the public
settings (`/settings/public`), where only Jellyseerr reports `mediaServerType`. Requests
carry no titles (only TMDB/TVDB ids), so `MediaRequest.title` stays empty. The request
status combines the request's own state (pending, approved, declined, failed) with the
state of its media (processing, partially available, available), as the web UI shows it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, ClassVar, Literal, cast

import aiohttp
from pydantic import Field

from arrhub.adapters._media_common import identify, log_level
from arrhub.adapters.base import UpstreamModel
from arrhub.adapters.categories import REQUEST_PAGE, REQUESTS_PER_INSTANCE, RequestsAdapter
from arrhub.adapters.errors import BadResponse, NotFoundUpstream, NotThatService, UpstreamFailure
from arrhub.errors import Conflict
from arrhub.models.instances import Category, InstanceConfig
from arrhub.models.upstream import (
    HealthMessage,
    HealthReport,
    LogEntry,
    MediaRequest,
    PageOf,
    ProbeResult,
    RequestCounts,
    RequestStatus,
    RequestUser,
    utc,
)

API = "api/v1"
#: Requests fetched per page when a status has no upstream filter and is filtered here.
SCAN_PAGE = 100
#: At most this many requests are scanned for such a filter (a home stack has far fewer).
SCAN_LIMIT = 5000
#: Titles (from `/movie/{id}`, `/tv/{id}`) kept per instance; requests carry only TMDB ids.
TITLE_CACHE_SIZE = 5000
#: Detail lookups in flight at once when a list needs many titles.
TITLE_FETCHES = 8
#: New titles looked up per read of the whole list (newest requests first). The instance's
#: rate limit (10/s by default) would make 2000 unseen titles take minutes in one read;
#: the rest are looked up by the following reads, so each read stays quick.
TITLE_LOOKUPS_PER_READ = 100
#: Users scanned when looking for the one a hub user is (`/user` pages of 100).
USER_SCAN_LIMIT = 2000
TMDB_POSTER = "https://image.tmdb.org/t/p/w300"

MEDIA_SERVERS = {1: "plex", 2: "jellyfin", 3: "emby"}
# RequestStatus -> the upstream's own `filter` of the same meaning, where it has one.
UPSTREAM_FILTERS: dict[RequestStatus, str] = {
    RequestStatus.PENDING: "pending",
    RequestStatus.APPROVED: "approved",
    RequestStatus.PROCESSING: "processing",
    RequestStatus.AVAILABLE: "available",
    RequestStatus.FAILED: "failed",
}


# ---- raw upstream shapes ---------------------------------------------------------------


class SeerrStatus(UpstreamModel):
    version: str
    commit_tag: str | None = None
    update_available: bool = False
    commits_behind: int = 0
    restart_required: bool = False


class SeerrUser(UpstreamModel):
    id: int | None = None
    display_name: str | None = None
    username: str | None = None
    plex_username: str | None = None
    jellyfin_username: str | None = None
    email: str | None = None

    def name(self) -> str | None:
        return (
            self.display_name
            or self.username
            or self.plex_username
            or self.jellyfin_username
            or self.email
        )

    def names(self) -> list[str]:
        """Login names and email, lower-cased: what a hub user is matched against.

        `displayName` is left out: users may set it to anything, so it proves nothing.
        """
        found = (self.username, self.plex_username, self.jellyfin_username, self.email)
        return list(dict.fromkeys(n.strip().casefold() for n in found if n and n.strip()))


class SeerrMedia(UpstreamModel):
    media_type: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    status: int | None = None
    status4k: int | None = None


class SeerrSeason(UpstreamModel):
    season_number: int


class SeerrRequest(UpstreamModel):
    id: int
    status: int
    type: str | None = None
    is4k: bool | None = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    media: SeerrMedia | None = None
    seasons: list[SeerrSeason] | None = None
    requested_by: SeerrUser | None = None


class SeerrPageInfo(UpstreamModel):
    page: int = 1
    pages: int = 0
    results: int = 0
    page_size: int | None = None


class SeerrRequestPage(UpstreamModel):
    page_info: SeerrPageInfo
    results: list[SeerrRequest]


class SeerrCounts(UpstreamModel):
    total: int = 0
    movie: int = 0
    tv: int = 0
    pending: int = 0
    approved: int = 0
    declined: int = 0
    processing: int = 0
    available: int = 0


class SeerrUserPage(UpstreamModel):
    page_info: SeerrPageInfo
    results: list[SeerrUser]


class SeerrTitle(UpstreamModel):
    """What a request shows from `/movie/{id}` (`title`, `releaseDate`) or `/tv/{id}`."""

    title: str | None = None
    name: str | None = None
    release_date: str | None = None
    first_air_date: str | None = None
    poster_path: str | None = None

    def label(self) -> str | None:
        return self.title or self.name

    def year(self) -> int | None:
        date = self.release_date or self.first_air_date or ""
        return int(date[:4]) if len(date) >= 4 and date[:4].isdigit() else None

    def poster_url(self) -> str | None:
        path = self.poster_path
        if not path:
            return None
        return path if path.startswith(("http://", "https://")) else f"{TMDB_POSTER}{path}"


class SeerrLog(UpstreamModel):
    timestamp: datetime | None = None
    level: str = "info"
    label: str | None = None
    message: str = ""


class SeerrLogPage(UpstreamModel):
    results: list[SeerrLog] = Field(default_factory=list)


# ---- mapping ----------------------------------------------------------------------------


def request_status(status: int, media_status: int | None) -> RequestStatus:
    """One status from the request's state (1-4, Jellyseerr 5) and its media's (1-5)."""
    if status == 1:
        return RequestStatus.PENDING
    if status == 3:
        return RequestStatus.DECLINED
    if status == 4:
        return RequestStatus.FAILED
    if status == 5:  # Jellyseerr: COMPLETED
        return RequestStatus.AVAILABLE
    if status == 2:
        if media_status == 5:
            return RequestStatus.AVAILABLE
        if media_status == 4:
            return RequestStatus.PARTIALLY_AVAILABLE
        if media_status == 3:
            return RequestStatus.PROCESSING
        return RequestStatus.APPROVED
    return RequestStatus.UNKNOWN


def to_media_request(raw: SeerrRequest) -> MediaRequest | None:
    media = raw.media or SeerrMedia()
    kind = raw.type or media.media_type
    if kind not in ("movie", "tv"):
        return None  # e.g. music requests of some forks: not a shape arrhub knows
    is_4k = bool(raw.is4k)
    media_status = media.status4k if is_4k else media.status
    return MediaRequest(
        id=raw.id,
        media_type=cast(Literal["movie", "tv"], kind),
        status=request_status(raw.status, media_status),
        title=None,
        tmdb_id=media.tmdb_id,
        tvdb_id=media.tvdb_id,
        requested_by=raw.requested_by.name() if raw.requested_by else None,
        created_at=utc(raw.created_at),
        updated_at=utc(raw.updated_at),
        is_4k=is_4k,
        seasons=sorted({s.season_number for s in raw.seasons or []}),
        requester_id=(
            str(raw.requested_by.id)
            if raw.requested_by and raw.requested_by.id is not None
            else None
        ),
        requester_names=raw.requested_by.names() if raw.requested_by else [],
    )


class SeerrAdapter(RequestsAdapter):
    """Shared by Overseerr and Jellyseerr; subclasses set the class facts."""

    category: ClassVar[Category] = "requests"
    capabilities: ClassVar[frozenset[str]] = frozenset({"requests", "webhooks", "logs"})
    default_port: ClassVar[int | None] = 5055
    #: What `/settings/public` says this instance is: "overseerr" or "jellyseerr".
    flavour: ClassVar[str]

    def __init__(self, config: InstanceConfig, session: aiohttp.ClientSession) -> None:
        super().__init__(config, session)
        #: (media type, TMDB id) -> its title, or None when TMDB no longer knows it.
        self._title_cache: dict[tuple[str, int], SeerrTitle | None] = {}

    def auth_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.config.api_key or ""}

    # ---- identity and health --------------------------------------------------------

    async def _status(self) -> SeerrStatus:
        """The public status; anything but a Seerr status reply means another service."""
        what = "Overseerr or Jellyseerr"
        data = await identify(self.label, what, self.get_json(f"{API}/status"))
        if not isinstance(data, dict) or "version" not in data or "commitTag" not in data:
            raise NotThatService(
                f"{self.label}: {self.base_url}/{API}/status is not a status reply of {what}"
            )
        status: SeerrStatus = self.parse(SeerrStatus, data)
        return status

    async def _public_settings(self) -> dict[str, Any]:
        data = await self.get_json(f"{API}/settings/public")
        if not isinstance(data, dict):
            raise NotThatService(f"{self.label}: unexpected public settings reply")
        return data

    async def probe(self) -> ProbeResult:
        status = await self._status()
        public = await self._public_settings()
        found = "jellyseerr" if "mediaServerType" in public else "overseerr"
        if found != self.flavour:
            other = "Jellyseerr (or Seerr)" if found == "jellyseerr" else "Overseerr"
            raise NotThatService(
                f"{self.label}: {self.base_url} is {other}, not {self.display_name}: "
                f"add it with type '{found}'"
            )
        me = await self.get_json(f"{API}/auth/me")  # /status is public: this proves the key
        if not isinstance(me, dict) or "id" not in me:
            raise BadResponse(f"{self.label}: unexpected reply to /auth/me")
        details: dict[str, Any] = {
            "commit_tag": status.commit_tag,
            "application_title": public.get("applicationTitle"),
        }
        server_type = public.get("mediaServerType")
        server = MEDIA_SERVERS.get(server_type) if isinstance(server_type, int) else None
        if server:
            details["media_server"] = server
        return ProbeResult(version=status.version, product=self.display_name, details=details)

    async def health(self) -> HealthReport:
        status = await self._status()
        messages: list[HealthMessage] = []
        if status.restart_required:
            messages.append(
                HealthMessage(
                    level="warning",
                    message="A restart is required to apply changed settings",
                    source="status",
                )
            )
        if status.update_available:
            behind = f" ({status.commits_behind} commits behind)" if status.commits_behind else ""
            messages.append(
                HealthMessage(
                    level="notice", message=f"An update is available{behind}", source="status"
                )
            )
        return HealthReport(version=status.version, messages=messages)

    async def logs(self, limit: int = 100) -> list[LogEntry]:
        data = await self.get_json(f"{API}/settings/logs", params={"take": limit, "skip": 0})
        # Older releases answered a bare list; current ones a page {pageInfo, results}.
        raw: list[SeerrLog]
        if isinstance(data, list):
            raw = self.parse(list[SeerrLog], data)
        else:
            page: SeerrLogPage = self.parse(SeerrLogPage, data)
            raw = page.results
        return [
            LogEntry(
                time=utc(entry.timestamp),
                level=log_level(entry.level),
                message=entry.message,
                logger=entry.label,
            )
            for entry in raw[:limit]
        ]

    # ---- requests -------------------------------------------------------------------

    async def _page(self, take: int, skip: int, upstream_filter: str) -> SeerrRequestPage:
        data = await self.get_json(
            f"{API}/request",
            params={"take": take, "skip": skip, "filter": upstream_filter, "sort": "added"},
        )
        page: SeerrRequestPage = self.parse(SeerrRequestPage, data)
        return page

    async def requests(
        self, *, take: int = 20, skip: int = 0, status: RequestStatus | None = None
    ) -> PageOf[MediaRequest]:
        take = max(1, take)
        skip = max(0, skip)
        page_number = skip // take + 1
        if status is None or status in UPSTREAM_FILTERS:
            upstream = "all" if status is None else UPSTREAM_FILTERS[status]
            page = await self._page(take, skip, upstream)
            records = [r for r in map(to_media_request, page.results) if r is not None]
            return PageOf[MediaRequest](
                records=records, total=page.page_info.results, page=page_number, page_size=take
            )
        # Declined, partially available, unknown: no upstream filter, so scan and filter here.
        matches: list[MediaRequest] = []
        scanned = 0
        while scanned < SCAN_LIMIT:
            page = await self._page(SCAN_PAGE, scanned, "all")
            scanned += len(page.results)
            matches.extend(
                r
                for r in map(to_media_request, page.results)
                if r is not None and r.status == status
            )
            if not page.results or scanned >= page.page_info.results:
                break
        return PageOf[MediaRequest](
            records=matches[skip : skip + take],
            total=len(matches),
            page=page_number,
            page_size=take,
        )

    async def counts(self) -> RequestCounts:
        data = await self.get_json(f"{API}/request/count")
        raw: SeerrCounts = self.parse(SeerrCounts, data)
        return RequestCounts(**raw.model_dump())

    # ---- every request, with titles; create, approve, decline (REQ-1, REQ-2) ------------

    async def _title(self, media_type: str, tmdb_id: int) -> SeerrTitle | None:
        """The title of a movie or show, cached: a request list would otherwise ask each time."""
        cache = self._title_cache
        key = (media_type, tmdb_id)
        if key in cache:
            return cache[key]
        try:
            data = await self.get_json(f"{API}/{media_type}/{tmdb_id}")
            found: SeerrTitle | None = self.parse(SeerrTitle, data)
        except NotFoundUpstream:
            found = None  # gone from TMDB: remembered, not asked again
        except UpstreamFailure:
            return None  # worth another try next time
        if len(cache) >= TITLE_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = found
        return found

    async def _with_titles(
        self, records: list[MediaRequest], new_lookups: int = TITLE_LOOKUPS_PER_READ
    ) -> list[MediaRequest]:
        """Titles filled in; each title asked for once, however many requests share it, and
        at most `new_lookups` not cached yet (the first records' first)."""
        limit = asyncio.Semaphore(TITLE_FETCHES)
        keys = dict.fromkeys((r.media_type, r.tmdb_id) for r in records if r.tmdb_id)
        cached = [k for k in keys if k in self._title_cache]
        wanted = cached + [k for k in keys if k not in self._title_cache][:new_lookups]

        async def lookup(media_type: str, tmdb_id: int) -> SeerrTitle | None:
            async with limit:
                return await self._title(media_type, tmdb_id)

        found = await asyncio.gather(*(lookup(kind, tmdb) for kind, tmdb in wanted))
        titles = dict(zip(wanted, found, strict=True))
        out = []
        for record in records:
            info = titles.get((record.media_type, record.tmdb_id or 0))
            out.append(
                record
                if info is None
                else record.model_copy(
                    update={
                        "title": info.label(),
                        "year": info.year(),
                        "poster_url": info.poster_url(),
                    }
                )
            )
        return out

    async def all_requests(self, limit: int = REQUESTS_PER_INSTANCE) -> list[MediaRequest]:
        found: dict[int, MediaRequest] = {}
        skip = 0
        while len(found) < limit:
            page = await self._page(REQUEST_PAGE, skip, "all")
            for raw in page.results:
                record = to_media_request(raw)
                if record is not None:
                    found.setdefault(record.id, record)
            skip += REQUEST_PAGE
            if not page.results or skip >= page.page_info.results:
                break
        return await self._with_titles(list(found.values())[:limit])

    def _one(self, data: Any) -> MediaRequest:
        raw: SeerrRequest = self.parse(SeerrRequest, data)
        record = to_media_request(raw)
        if record is None:
            raise BadResponse(f"{self.label}: request {raw.id} is neither a movie nor a show")
        return record

    @staticmethod
    def _request_id(key: str) -> int:
        if not key.isdigit():
            raise NotFoundUpstream(f"no request {key!r}", http_status=404)
        return int(key)

    async def get_request(self, key: str) -> MediaRequest:
        data = await self.get_json(f"{API}/request/{self._request_id(key)}")
        return (await self._with_titles([self._one(data)]))[0]

    async def create_request(
        self,
        media_type: str,
        tmdb_id: int,
        seasons: list[int] | None,
        *,
        user: RequestUser | None = None,
    ) -> MediaRequest:
        body: dict[str, Any] = {"mediaType": media_type, "mediaId": tmdb_id}
        if media_type == "tv":
            body["seasons"] = "all" if seasons is None else sorted(set(seasons))
        if user is not None:
            body["userId"] = int(user.id)  # acts for them: the key's owner needs MANAGE_USERS
        # 409: DuplicateMediaRequestError; releases before it answered 500 with the message.
        reply = await self.request(
            "POST", f"{API}/request", json_body=body, ok=lambda status: status in (409, 500)
        )
        if reply.status in (409, 500):
            message = _message(reply.body)
            if reply.status == 409 or "already" in message.casefold():
                raise Conflict(f"{self.label}: {message or 'this title is already requested'}")
            self.check_status(reply)
        return (await self._with_titles([self._one(reply.json())]))[0]

    async def set_status(self, key: str, *, approve: bool) -> MediaRequest:
        verb = "approve" if approve else "decline"
        reply = await self.request("POST", f"{API}/request/{self._request_id(key)}/{verb}")
        return (await self._with_titles([self._one(reply.json())]))[0]

    async def find_user(self, name: str) -> RequestUser | None:
        wanted = name.strip().casefold()
        skip = 0
        while skip < USER_SCAN_LIMIT:
            data = await self.get_json(
                f"{API}/user", params={"take": REQUEST_PAGE, "skip": skip, "sort": "created"}
            )
            page: SeerrUserPage = self.parse(SeerrUserPage, data)
            for user in page.results:
                if user.id is not None and wanted in user.names():
                    return RequestUser(id=str(user.id), name=user.name(), names=user.names())
            skip += REQUEST_PAGE
            if not page.results or skip >= page.page_info.results:
                break
        return None


def _message(body: bytes) -> str:
    """The `message` of an Overseerr error body, if it has one."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message.strip()[:300] if isinstance(message, str) else ""
