"""A fake Overseerr / Jellyseerr, following ../shared/upstream/overseerr-v1.openapi.yml.

Base `/api/v1`, routed case-insensitively as Express routes. `X-Api-Key` auth: a missing
or wrong key gets 403 with Overseerr's error body, as its `isAuthenticated` middleware
answers; `/status`, `/status/appdata` and `/settings/public` are public; unknown paths
are 404. Requests are stored in the spec's `MediaRequest` shape and filtered the way
Overseerr's request route filters them (request status and media status per `filter`,
newest first for `sort=added`). `flavour="jellyseerr"` adds what Jellyseerr adds:
`mediaServerType` in the public settings and `completed` in the counts.

Creating a request (`POST /request`) acts as the key's owner (`state.user`) or, with
`userId`, as that user of `state.users`; it is approved at once when that user has the
ADMIN or AUTO_APPROVE permission, as Overseerr does. A second request for a title with an
open (not declined) request — for shows: one of its seasons — answers 409 with the message
Overseerr's `DuplicateMediaRequestError` carries. Titles live in `state.titles`
(`/movie/{id}`, `/tv/{id}` answer `MovieDetails`/`TvDetails`; unknown ids 404 as TMDB's
miss does); `/user` pages `state.users`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web

from tests.fakes.media_common import FakeFaults, fault_middleware, json_reply
from tests.fakes.server import recording_app

API = "/api/v1"
PUBLIC = frozenset({"/status", "/status/appdata", "/settings/public"})
#: Every route of the fake, relative to `/api/v1` as in the spec: `(method, template)`.
ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/status"),
    ("GET", "/status/appdata"),
    ("GET", "/settings/public"),
    ("GET", "/settings/about"),
    ("GET", "/settings/jobs"),
    ("GET", "/settings/logs"),
    ("GET", "/auth/me"),
    ("GET", "/user"),
    ("GET", "/movie/{tmdb_id}"),
    ("GET", "/tv/{tmdb_id}"),
    ("GET", "/request"),
    ("POST", "/request"),
    ("GET", "/request/count"),
    ("GET", "/request/{request_id}"),
    ("DELETE", "/request/{request_id}"),
    ("POST", "/request/{request_id}/retry"),
    ("POST", "/request/{request_id}/{status}"),
)
FORBIDDEN = {"status": 403, "error": "You do not have permission to access this endpoint"}
FILTERS = ("all", "approved", "available", "pending", "processing", "unavailable", "failed")
SORTS = ("added", "modified")
# Request status: 1 pending, 2 approved, 3 declined, 4 failed (Jellyseerr: 5 completed).
PENDING, APPROVED, DECLINED, FAILED, COMPLETED = 1, 2, 3, 4, 5
# Media status: 1 unknown, 2 pending, 3 processing, 4 partially available, 5 available.
NOT_AVAILABLE = (1, 2, 3, 4)
# Permission bits (server/lib/permissions.ts): ADMIN, REQUEST, AUTO_APPROVE.
ADMIN_PERMISSION, REQUEST_PERMISSION, AUTO_APPROVE = 2, 32, 128
DUPLICATE = "Request for this media already exists."


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seerr_user(user_id: int = 1, name: str = "admin", **extra: Any) -> dict[str, Any]:
    """A `User` as the spec has it (plus `displayName`, which every release sends)."""
    user: dict[str, Any] = {
        "id": user_id,
        "email": f"{name}@example.test",
        "username": name,
        "plexUsername": name,
        "userType": 1,
        "permissions": 2,
        "avatar": "/avatar.png",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
        "requestCount": 0,
        "displayName": name,
    }
    user.update(extra)
    return user


@dataclass
class FakeSeerrState(FakeFaults):
    api_key: str = "seerr-api-key"
    flavour: Literal["overseerr", "jellyseerr"] = "overseerr"
    version: str = "1.34.0"
    commit_tag: str = "v1.34.0"
    update_available: bool = False
    commits_behind: int = 0
    restart_required: bool = False
    #: Jellyseerr only: 1 Plex, 2 Jellyfin, 3 Emby, 4 not configured.
    media_server_type: int = 2
    application_title: str | None = None
    user: dict[str, Any] = field(default_factory=seerr_user)
    #: Stored `MediaRequest` objects, spec shape (build them with `add_request`).
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Log lines `{timestamp, level, label, message}`, oldest first.
    logs: list[dict[str, Any]] = field(default_factory=list)
    #: `[(request id, "approve"|"decline")]` in the order they arrived.
    status_changes: list[tuple[int, str]] = field(default_factory=list)
    #: Every user (`GET /user`); the key's owner is `user`, listed first.
    users: list[dict[str, Any]] = field(default_factory=list)
    #: `(media type, tmdb id) -> {title|name, date, posterPath, seasons}` for the detail routes.
    titles: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    #: Bodies of `POST /request` in the order they arrived.
    created: list[dict[str, Any]] = field(default_factory=list)
    _media_ids: int = 500

    def __post_init__(self) -> None:
        if not any(u["id"] == self.user["id"] for u in self.users):
            self.users.insert(0, self.user)

    def add_user(self, user_id: int, name: str, **extra: Any) -> dict[str, Any]:
        """A plain user (may request, needs approval) unless `permissions` says otherwise."""
        extra.setdefault("permissions", REQUEST_PERMISSION)
        user = seerr_user(user_id, name, **extra)
        self.users.append(user)
        return user

    def add_title(
        self,
        media_type: Literal["movie", "tv"],
        tmdb_id: int,
        title: str,
        *,
        date: str = "2020-01-01",
        poster: str | None = "/poster.jpg",
        seasons: int = 2,
    ) -> None:
        self.titles[(media_type, tmdb_id)] = {
            "title": title, "date": date, "posterPath": poster, "seasons": seasons,
        }  # fmt: skip

    def add_request(
        self,
        *,
        media_type: Literal["movie", "tv"] = "movie",
        status: int = PENDING,
        media_status: int = 2,
        tmdb_id: int | None = None,
        tvdb_id: int | None = None,
        requested_by: dict[str, Any] | None = None,
        seasons: list[int] | None = None,
        is4k: bool = False,
        created_at: datetime | None = None,
        request_id: int | None = None,
    ) -> dict[str, Any]:
        rid = request_id or (max((r["id"] for r in self.requests), default=0) + 1)
        self._media_ids += 1
        created = created_at or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rid)
        stamp = _iso(created)
        user = requested_by or self.user
        media = {
            "id": self._media_ids,
            "mediaType": media_type,
            "tmdbId": tmdb_id if tmdb_id is not None else 1000 + rid,
            "tvdbId": tvdb_id if media_type == "tv" else None,
            "status": 1 if is4k else media_status,
            "status4k": media_status if is4k else 1,
            "createdAt": stamp,
            "updatedAt": stamp,
            "requests": [],
        }
        request = {
            "id": rid,
            "status": status,
            "media": media,
            "createdAt": stamp,
            "updatedAt": stamp,
            "type": media_type,
            "is4k": is4k,
            "serverId": 0,
            "profileId": 1,
            "rootFolder": "/media",
            "requestedBy": user,
            "modifiedBy": user if status != PENDING else None,
            "seasons": [
                {"id": rid * 100 + n, "seasonNumber": n, "status": status} for n in (seasons or [])
            ],
            "seasonCount": len(seasons or []),
        }
        self.requests.append(request)
        return request

    def find(self, request_id: int) -> dict[str, Any] | None:
        return next((r for r in self.requests if r["id"] == request_id), None)

    def counts(self) -> dict[str, int]:
        def media_status(r: dict[str, Any]) -> int:
            return int(r["media"]["status4k" if r["is4k"] else "status"])

        approved = [r for r in self.requests if r["status"] == APPROVED]
        counts = {
            "total": len(self.requests),
            "movie": sum(r["type"] == "movie" for r in self.requests),
            "tv": sum(r["type"] == "tv" for r in self.requests),
            "pending": sum(r["status"] == PENDING for r in self.requests),
            "approved": len(approved),
            "declined": sum(r["status"] == DECLINED for r in self.requests),
            "processing": sum(media_status(r) != 5 for r in approved),
            "available": sum(media_status(r) == 5 for r in approved),
        }
        if self.flavour == "jellyseerr":
            counts["completed"] = sum(r["status"] == COMPLETED for r in self.requests)
        return counts


def _bad_request(message: str) -> web.Response:
    return json_reply({"message": message, "errors": [{"message": message}]}, status=400)


def _number(request: web.Request, name: str, default: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(float(raw))
    except ValueError:
        return None


def make_seerr_app(state: FakeSeerrState) -> web.Application:
    app = recording_app()

    app.middlewares.append(fault_middleware(state))

    async def status(_: web.Request) -> web.Response:
        return json_reply(
            {
                "version": state.version,
                "commitTag": state.commit_tag,
                "updateAvailable": state.update_available,
                "commitsBehind": state.commits_behind,
                "restartRequired": state.restart_required,
            }
        )

    async def appdata(_: web.Request) -> web.Response:
        return json_reply({"appData": True, "appDataPath": "/app/config"})

    async def public_settings(_: web.Request) -> web.Response:
        jelly = state.flavour == "jellyseerr"
        data: dict[str, Any] = {
            "initialized": True,
            "applicationTitle": state.application_title or ("Jellyseerr" if jelly else "Overseerr"),
            "applicationUrl": "",
            "hideAvailable": False,
            "localLogin": True,
            "movie4kEnabled": False,
            "series4kEnabled": False,
            "region": "",
            "originalLanguage": "",
            "partialRequestsEnabled": True,
            "cacheImages": False,
            "vapidPublic": "",
            "enablePushRegistration": False,
            "locale": "en",
            "emailEnabled": False,
            "newPlexLogin": True,
        }
        if jelly:
            data |= {
                "mediaServerType": state.media_server_type,
                "jellyfinServerName": "Jellyfin",
                "jellyfinHost": "http://jellyfin:8096",
            }
        return json_reply(data)

    async def me(_: web.Request) -> web.Response:
        return json_reply(state.user)

    async def list_requests(request: web.Request) -> web.Response:
        take = _number(request, "take", 10)
        skip = _number(request, "skip", 0)
        if take is None or skip is None:
            return _bad_request("take and skip must be numbers")
        flt = request.query.get("filter") or "all"
        if flt not in FILTERS:
            return _bad_request(f"request/query/filter must be one of {', '.join(FILTERS)}")
        sort = request.query.get("sort") or "added"
        if sort not in SORTS:
            return _bad_request(f"request/query/sort must be one of {', '.join(SORTS)}")
        statuses: tuple[int, ...]
        if flt in ("approved", "processing", "available"):
            statuses = (APPROVED,)
        elif flt == "pending":
            statuses = (PENDING,)
        elif flt == "unavailable":
            statuses = (PENDING, APPROVED)
        elif flt == "failed":
            statuses = (FAILED,)
        else:
            statuses = (PENDING, APPROVED, DECLINED, FAILED, COMPLETED)
        media_statuses: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
        if flt == "available":
            media_statuses = (5,)
        elif flt in ("processing", "unavailable"):
            media_statuses = NOT_AVAILABLE
        by = _number(request, "requestedBy", 0)
        rows = [
            r
            for r in state.requests
            if r["status"] in statuses
            and r["media"]["status4k" if r["is4k"] else "status"] in media_statuses
            and (not by or r["requestedBy"]["id"] == by)
        ]
        key = "id" if sort == "added" else "updatedAt"
        rows.sort(key=lambda r: r[key], reverse=True)
        size = max(1, take)
        return json_reply(
            {
                "pageInfo": {
                    "pages": math.ceil(len(rows) / size),
                    "pageSize": size,
                    "results": len(rows),
                    "page": math.ceil(skip / size) + 1,
                },
                "results": rows[skip : skip + take],
            }
        )

    async def create_request(request: web.Request) -> web.Response:
        body = await request.json()
        state.created.append(body)
        if body.get("mediaType") not in ("movie", "tv") or "mediaId" not in body:
            return _bad_request("mediaType and mediaId are required")
        media_type, tmdb_id = body["mediaType"], int(body["mediaId"])
        user = state.user
        if body.get("userId") is not None:
            found = next((u for u in state.users if u["id"] == int(body["userId"])), None)
            if found is None:
                return json_reply({"message": "User not found."}, status=404)
            user = found
        seasons = body.get("seasons")
        if media_type == "tv":
            known = state.titles.get(("tv", tmdb_id), {}).get("seasons", 1)
            wanted = list(range(1, known + 1)) if seasons == "all" else list(seasons or [])
        else:
            wanted = []
        for existing in state.requests:
            same = existing["type"] == media_type and existing["media"]["tmdbId"] == tmdb_id
            open_ = existing["status"] != DECLINED and bool(existing["is4k"]) == bool(
                body.get("is4k")
            )
            had = {s["seasonNumber"] for s in existing["seasons"]}
            if same and open_ and (media_type == "movie" or had & set(wanted)):
                return json_reply({"message": DUPLICATE}, status=409)
        auto = int(user.get("permissions", 0)) & (ADMIN_PERMISSION | AUTO_APPROVE)
        created = state.add_request(
            media_type=media_type,
            tmdb_id=tmdb_id,
            tvdb_id=body.get("tvdbId"),
            seasons=wanted,
            is4k=bool(body.get("is4k")),
            status=APPROVED if auto else PENDING,
            requested_by=user,
        )
        return json_reply(created, status=201)

    async def users(request: web.Request) -> web.Response:
        take = _number(request, "take", 10) or 10
        skip = _number(request, "skip", 0) or 0
        rows = sorted(state.users, key=lambda u: u["id"])
        return json_reply(
            {
                "pageInfo": {
                    "pages": math.ceil(len(rows) / take),
                    "pageSize": take,
                    "results": len(rows),
                    "page": math.ceil(skip / take) + 1,
                },
                "results": rows[skip : skip + take],
            }
        )

    def _details(request: web.Request, media_type: str) -> web.Response:
        try:
            tmdb_id = int(request["params"]["tmdb_id"])
        except ValueError:
            tmdb_id = -1
        known = state.titles.get((media_type, tmdb_id))
        if known is None:
            what = "movie" if media_type == "movie" else "series"
            return json_reply({"message": f"Unable to retrieve {what}."}, status=404)
        common: dict[str, Any] = {
            "id": tmdb_id,
            "posterPath": known["posterPath"],
            "backdropPath": "/backdrop.jpg",
            "overview": "",
            "genres": [],
            "originalLanguage": "en",
            "popularity": 1.0,
            "voteAverage": 7.0,
            "voteCount": 10,
            "status": "Released",
        }
        if media_type == "movie":
            return json_reply(
                common
                | {"title": known["title"], "originalTitle": known["title"],
                   "releaseDate": known["date"], "runtime": 100, "adult": False}
            )  # fmt: skip
        count = known["seasons"]
        return json_reply(
            common
            | {
                "name": known["title"],
                "originalName": known["title"],
                "firstAirDate": known["date"],
                "numberOfSeasons": count,
                "seasons": [
                    {
                        "id": tmdb_id * 100 + n,
                        "seasonNumber": n,
                        "episodeCount": 8,
                        "name": f"Season {n}",
                        "airDate": known["date"],
                    }
                    for n in range(1, count + 1)
                ],
            }  # fmt: skip
        )

    async def movie(request: web.Request) -> web.Response:
        return _details(request, "movie")

    async def tv(request: web.Request) -> web.Response:
        return _details(request, "tv")

    async def count(_: web.Request) -> web.Response:
        return json_reply(state.counts())

    def _found(request: web.Request) -> dict[str, Any]:
        try:
            found = state.find(int(request["params"]["request_id"]))
        except ValueError:
            found = None
        if found is None:
            raise web.HTTPNotFound(
                text='{"status":404,"message":"Request not found."}',
                content_type="application/json",
            )
        return found

    async def get_request(request: web.Request) -> web.Response:
        return json_reply(_found(request))

    async def delete_request(request: web.Request) -> web.Response:
        state.requests.remove(_found(request))
        return web.Response(status=204)

    async def retry(request: web.Request) -> web.Response:
        found = _found(request)
        found["status"] = APPROVED
        return json_reply(found)

    async def change_status(request: web.Request) -> web.Response:
        verb = request["params"]["status"]
        if verb not in ("approve", "decline"):
            return _bad_request("status must be approve or decline")
        found = _found(request)
        found["status"] = APPROVED if verb == "approve" else DECLINED
        if verb == "approve" and found["media"]["status"] in (1, 2):
            found["media"]["status"] = 3
        found["modifiedBy"] = state.user
        found["updatedAt"] = _iso(datetime.now(UTC))
        state.status_changes.append((found["id"], verb))
        return json_reply(found)

    async def logs(request: web.Request) -> web.Response:
        take = _number(request, "take", 25) or 25
        skip = _number(request, "skip", 0) or 0
        levels = {
            "debug": ("debug", "info", "warn", "error"),
            "info": ("info", "warn", "error"),
            "warn": ("warn", "error"),
            "error": ("error",),
        }.get(request.query.get("filter") or "debug", ("debug", "info", "warn", "error"))
        rows = [line for line in reversed(state.logs) if line["level"] in levels]
        return json_reply(
            {
                "pageInfo": {
                    "pages": math.ceil(len(rows) / take),
                    "pageSize": take,
                    "results": len(rows),
                    "page": math.ceil(skip / take) + 1,
                },
                "results": rows[skip : skip + take],
            }
        )

    async def about(_: web.Request) -> web.Response:
        return json_reply(
            {
                "version": state.version,
                "totalRequests": len(state.requests),
                "totalMediaItems": len(state.requests),
                "tz": "UTC",
                "appDataPath": "/app/config",
            }
        )

    async def jobs(_: web.Request) -> web.Response:
        return json_reply(
            [
                {
                    "id": "plex-recently-added-scan",
                    "name": "Plex Recently Added Scan",
                    "type": "process",
                    "interval": "short",
                    "nextExecutionTime": "2025-01-01T00:05:00.000Z",
                    "running": False,
                }
            ]
        )

    handlers: dict[tuple[str, str], Any] = {
        ("GET", "/status"): status,
        ("GET", "/status/appdata"): appdata,
        ("GET", "/settings/public"): public_settings,
        ("GET", "/settings/about"): about,
        ("GET", "/settings/jobs"): jobs,
        ("GET", "/settings/logs"): logs,
        ("GET", "/auth/me"): me,
        ("GET", "/user"): users,
        ("GET", "/movie/{tmdb_id}"): movie,
        ("GET", "/tv/{tmdb_id}"): tv,
        ("GET", "/request"): list_requests,
        ("POST", "/request"): create_request,
        ("GET", "/request/count"): count,
        ("GET", "/request/{request_id}"): get_request,
        ("DELETE", "/request/{request_id}"): delete_request,
        ("POST", "/request/{request_id}/retry"): retry,
        ("POST", "/request/{request_id}/{status}"): change_status,
    }
    assert set(handlers) == set(ROUTES)
    compiled = [
        (method, template, _pattern(template), handlers[(method, template)])
        for method, template in ROUTES
    ]

    async def dispatch(request: web.Request) -> web.StreamResponse:
        # Express routes case-insensitively; literal segments win (listed first).
        for method, template, pattern, handler in compiled:
            match = pattern.match(request.path)
            if match is None or method != request.method:
                continue
            if template not in PUBLIC and request.headers.get("X-Api-Key") != state.api_key:
                return json_reply(FORBIDDEN, status=403)
            canned = state.overrides.get(request.path)
            if canned is not None:
                return canned.response()
            request["params"] = match.groupdict()
            response: web.StreamResponse = await handler(request)
            return response
        return json_reply({"message": "not found", "errors": [{"path": request.path}]}, 404)

    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app


def _pattern(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(API + template))
    return re.compile(regex + "/?$", re.IGNORECASE)
