"""A fake Ombi (v4), following its controllers (`src/Ombi/Controllers/V1`).

- Routing is case-insensitive, as ASP.NET's is.
- Auth as Ombi's `ApiKeyMiddlewear`: an `ApiKey` header (or `?apikey=`) on any `/api`
  path is checked and a wrong one answers 401 `Invalid API Key`, even on anonymous
  endpoints; without a key only the anonymous endpoints answer (`Status`, `Request/count`).
- `Status` answers a bare `200`; `Settings/about` the `AboutViewModel`.
- Movie requests are `MovieRequests`; TV requests are parents (`TvRequests`) with
  `childRequests` (one per requester), each with `seasonRequests`.
- The paged routes `Request/{movie|tv}/{count}/{position}/{order}/{status}/{availability}`
  answer `{collection, total}`; like Ombi, the TV route ignores its filter arguments.
- Creating: `POST Request/movie` (`MovieRequestViewModel`) and the v2 `POST
  /api/v2/Requests/tv` (`TvRequestViewModelV2`: TMDB id, `requestAll` or `seasons` with
  their episodes) answer a `RequestEngineResult` with HTTP 200 either way; a title already
  requested (TV: an episode already requested) is `result: false` with `errorCode`
  `AlreadyRequested` / `EpisodesAlreadyRequested`. `requestOnBehalf` names a user id of
  `state.users`. The key acts as Ombi's "API" admin, whose requests are approved at once;
  on behalf of a plain user they wait for approval.
- `Request/movie/info/{id}` and `Request/tv/{id}` answer one request, or `null`;
  `Identity/dropdown/Users` the users as `{id, username, email}`;
  `/api/v2/search/Tv/moviedb/{id}` a show's seasons and episodes (`state.shows`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.media_common import FakeFaults, fault_middleware, json_reply, override_middleware
from tests.fakes.server import recording_app

ANONYMOUS = frozenset({"/api/v1/status", "/api/v1/status/info", "/api/v1/request/count"})
Handler = Callable[[web.Request, re.Match[str]], Awaitable[web.StreamResponse]]
# FilterType: 0 none, 1 available, 2 not available, 3 approved, 4 processing, 5 pending.
# OrderType: 1 requested date asc, 2 desc, 3 title asc, 4 desc, 5 status asc, 6 desc.


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def ombi_user(name: str = "admin", alias: str | None = None) -> dict[str, Any]:
    return {
        "id": f"user-{name}",
        "userName": name,
        "alias": alias,
        "userAlias": alias or name,
        "email": f"{name}@example.test",
        "userType": 1,
    }


@dataclass
class FakeOmbiState(FakeFaults):
    api_key: str = "ombi-api-key"
    version: str = "4.47.1"
    branch: str = "Stable"
    movies: list[dict[str, Any]] = field(default_factory=list)
    tv: list[dict[str, Any]] = field(default_factory=list)
    #: `[(kind, id, "approve"|"deny")]` in the order they arrived.
    actions: list[tuple[str, int, str]] = field(default_factory=list)
    #: Users `{id, userName, email, alias, admin}`; requests name them by `userName`.
    users: list[dict[str, Any]] = field(
        default_factory=lambda: [{**ombi_user("admin"), "admin": True}]
    )
    #: TMDB id -> `{title, seasons: {season number: episode count}}` for TV lookups.
    shows: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: TMDB id -> movie title, for `POST Request/movie`.
    titles: dict[int, str] = field(default_factory=dict)
    #: Bodies of the create routes, in order: `(kind, body)`.
    created: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _ids: int = 0

    def add_user(self, name: str, *, admin: bool = False) -> dict[str, Any]:
        user = {**ombi_user(name), "admin": admin}
        self.users.append(user)
        return user

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    def add_movie(
        self,
        title: str = "A Movie",
        *,
        tmdb_id: int = 603,
        approved: bool = False,
        available: bool = False,
        denied: bool | None = None,
        user: str = "admin",
        requested: datetime | None = None,
    ) -> dict[str, Any]:
        rid = self._next()
        when = requested or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rid)
        movie = {
            "id": rid,
            "title": title,
            "theMovieDbId": tmdb_id,
            "imdbId": None,
            "overview": "",
            "posterPath": "/poster.jpg",
            "releaseDate": "2020-01-01T00:00:00",
            "status": "Released",
            "approved": approved,
            "markedAsApproved": _stamp(when) if approved else "0001-01-01T00:00:00",
            "requestedDate": _stamp(when),
            "available": available,
            "markedAsAvailable": _stamp(when) if available else None,
            "requestedUserId": f"user-{user}",
            "denied": denied,
            "markedAsDenied": "0001-01-01T00:00:00",
            "deniedReason": None,
            "requestType": 1,
            "requestedByAlias": None,
            "requestedUser": ombi_user(user),
            "canApprove": not approved and not available,
            "is4kRequest": False,
            "has4KRequest": False,
            "requestStatus": "Common.PendingApproval",
        }
        self.movies.append(movie)
        return movie

    def add_tv(
        self,
        title: str = "A Show",
        *,
        tvdb_id: int = 81189,
        tmdb_id: int = 1396,
        children: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        rid = self._next()
        show = {
            "id": rid,
            "tvDbId": tvdb_id,
            "externalProviderId": tmdb_id,
            "imdbId": None,
            "title": title,
            "overview": "",
            "posterPath": "/poster.jpg",
            "releaseDate": "2008-01-20T00:00:00",
            "status": "Ended",
            "totalSeasons": 5,
            "childRequests": [],
        }
        for child in children or [{}]:
            self.add_child(show, **child)
        self.tv.append(show)
        return show

    def add_child(
        self,
        show: dict[str, Any],
        *,
        seasons: tuple[int, ...] = (1,),
        approved: bool = False,
        available: bool = False,
        denied: bool | None = None,
        user: str = "admin",
        requested: datetime | None = None,
    ) -> dict[str, Any]:
        cid = self._next()
        when = requested or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=cid)
        child = {
            "id": cid,
            "parentRequestId": show["id"],
            "title": show["title"],
            "approved": approved,
            "available": available,
            "denied": denied,
            "requestedDate": _stamp(when),
            "requestedUserId": f"user-{user}",
            "requestedUser": ombi_user(user),
            "requestType": 0,
            "seasonRequests": [
                {"id": cid * 10 + n, "seasonNumber": n, "episodes": []} for n in seasons
            ],
        }
        show["childRequests"].append(child)
        return child

    def children(self) -> list[dict[str, Any]]:
        return [c for show in self.tv for c in show["childRequests"]]

    def counts(self) -> dict[str, int]:
        rows = self.movies + self.children()
        return {
            "pending": sum(
                not r["approved"] and not r["available"] and not r["denied"] for r in rows
            ),
            "approved": sum(r["approved"] and not r["available"] for r in rows),
            "available": sum(bool(r["available"]) for r in rows),
        }


def _movie_matches(movie: dict[str, Any], status: int, availability: int) -> bool:
    checks = {
        1: movie["available"],
        2: not movie["available"],
        3: movie["approved"],
        4: movie["approved"] and not movie["available"],
        5: not movie["approved"] and not movie["available"] and not movie["denied"],
    }
    return checks.get(status, True) and checks.get(availability, True)


def _tv_date(show: dict[str, Any]) -> str:
    """Ombi orders TV requests by their first child request's date."""
    children = show["childRequests"]
    return str(children[0]["requestedDate"]) if children else ""


def make_ombi_app(state: FakeOmbiState) -> web.Application:
    app = recording_app()
    routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            routes.append((method, re.compile(pattern + "$", re.IGNORECASE), handler))
            return handler

        return add

    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.lower().startswith("/api"):
            key = next(
                (v for k, v in request.headers.items() if k.lower() == "apikey"),
                request.query.get("apikey"),
            )
            if key is not None:
                if key.lower() != state.api_key.lower():
                    return web.Response(status=401, text="Invalid API Key")
            elif not any(m == request.method and p.match(request.path) for m, p, _ in routes):
                return web.Response(status=404)
            elif request.path.lower() not in ANONYMOUS:
                return web.Response(status=401)
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.extend([fault_middleware(state), auth, override_middleware(state)])

    @route("GET", "/api/v1/status")
    async def status(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(200)

    @route("GET", "/api/v1/status/info")
    async def info(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(state.version)

    @route("GET", "/api/v1/settings/about")
    async def about(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(
            {
                "version": state.version,
                "branch": state.branch,
                "frameworkDescription": ".NET 8.0.0",
                "osArchitecture": "X64",
                "osDescription": "Linux",
                "processArchitecture": "X64",
                "applicationBasePath": "/app/ombi",
                "ombiDatabaseType": "sqlite",
                "externalDatabaseType": "sqlite",
                "settingsDatabaseType": "sqlite",
                "storagePath": "None Specified",
                "notSupported": False,
            }
        )

    @route("GET", "/api/v1/request/count")
    async def count(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(state.counts())

    @route("GET", "/api/v1/request/movie/total")
    async def movie_total(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(len(state.movies))

    @route("GET", "/api/v1/request/tv/total")
    async def tv_total(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(len(state.tv))

    @route("GET", "/api/v1/request/movie")
    async def movies(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(state.movies)

    @route("GET", "/api/v1/request/tv")
    async def shows(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        return json_reply(state.tv)

    paged = r"/(?P<count>-?\d+)/(?P<position>-?\d+)/(?P<order>\d+)/(?P<status>\d+)/(?P<avail>\d+)"

    def _order(rows: list[dict[str, Any]], order: int, date: Callable[[Any], str]) -> None:
        if order in (1, 2):
            rows.sort(key=date, reverse=order == 2)
        elif order in (3, 4):
            rows.sort(key=lambda r: r["title"] or "", reverse=order == 4)

    @route("GET", "/api/v1/request/movie" + paged)
    async def movies_paged(_: web.Request, match: re.Match[str]) -> web.StreamResponse:
        rows = [
            m for m in state.movies if _movie_matches(m, int(match["status"]), int(match["avail"]))
        ]
        _order(rows, int(match["order"]), lambda r: r["requestedDate"])
        start, count = int(match["position"]), int(match["count"])
        return json_reply({"collection": rows[start : start + count], "total": len(rows)})

    @route("GET", "/api/v1/request/tv" + paged)
    async def tv_paged(_: web.Request, match: re.Match[str]) -> web.StreamResponse:
        rows = list(state.tv)  # Ombi's TV route never sees its filters (binding names differ)
        _order(rows, int(match["order"]), _tv_date)
        start, count = int(match["position"]), int(match["count"])
        return json_reply({"collection": rows[start : start + count], "total": len(rows)})

    def _result(request_id: int) -> web.Response:
        return json_reply(
            {
                "result": True,
                "message": None,
                "isError": False,
                "errorMessage": None,
                # ErrorCode is a non-nullable enum whose 0 is AlreadyRequested: a success
                # carries it too (only `result`/`isError` tell).
                "errorCode": "AlreadyRequested",
                "requestId": request_id,
            }
        )

    def _failure(message: str, code: str = "RequestDoesNotExist") -> web.Response:
        return json_reply(
            {"result": False, "message": None, "isError": True, "errorMessage": message,
             "errorCode": code, "requestId": 0}
        )  # fmt: skip

    async def _act(request: web.Request, kind: str, verb: str) -> web.StreamResponse:
        body = await request.json()
        rid = int(body.get("id", 0))
        rows = state.movies if kind == "movie" else state.children()
        found = next((r for r in rows if r["id"] == rid), None)
        if found is None:
            return _failure("Request does not exist")
        if verb == "approve":
            found["approved"], found["denied"] = True, False
        else:
            found["denied"], found["approved"] = True, False
            found["deniedReason"] = body.get("reason")
        state.actions.append((kind, rid, verb))
        return _result(rid)

    @route("POST", "/api/v1/request/movie/approve")
    async def approve_movie(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        return await _act(request, "movie", "approve")

    @route("PUT", "/api/v1/request/movie/deny")
    async def deny_movie(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        return await _act(request, "movie", "deny")

    @route("POST", "/api/v1/request/tv/approve")
    async def approve_tv(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        return await _act(request, "tv", "approve")

    @route("PUT", "/api/v1/request/tv/deny")
    async def deny_tv(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        return await _act(request, "tv", "deny")

    @route("GET", r"/api/v1/request/movie/info/(?P<id>\d+)")
    async def movie_info(_: web.Request, match: re.Match[str]) -> web.StreamResponse:
        found = next((m for m in state.movies if m["id"] == int(match["id"])), None)
        return json_reply(found)

    @route("GET", r"/api/v1/request/tv/(?P<id>\d+)")
    async def tv_info(_: web.Request, match: re.Match[str]) -> web.StreamResponse:
        found = next((t for t in state.tv if t["id"] == int(match["id"])), None)
        return json_reply(found)

    @route("GET", "/api/v1/identity/dropdown/users")
    async def dropdown_users(_: web.Request, __: re.Match[str]) -> web.StreamResponse:
        rows = sorted(state.users, key=lambda u: u["userName"])
        return json_reply(
            [{"id": u["id"], "username": u["userName"], "email": u["email"]} for u in rows]
        )

    @route("GET", r"/api/v2/search/tv/moviedb/(?P<id>\d+)")
    async def show_info(_: web.Request, match: re.Match[str]) -> web.StreamResponse:
        show = state.shows.get(int(match["id"]))
        if show is None:
            return json_reply(None)
        return json_reply(
            {
                "id": int(match["id"]),
                "title": show["title"],
                "seasonRequests": [
                    {
                        "seasonNumber": n,
                        "episodes": [
                            {"episodeNumber": e, "title": f"Episode {e}"}
                            for e in range(1, count + 1)
                        ],
                    }
                    for n, count in sorted(show["seasons"].items())
                ],
            }
        )

    def _requester(body: dict[str, Any]) -> dict[str, Any] | None:
        behalf = body.get("requestOnBehalf")
        if not behalf:
            return {"userName": "api", "admin": True}
        return next((u for u in state.users if u["id"] == behalf), None)

    @route("POST", "/api/v1/request/movie")
    async def request_movie(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        body = await request.json()
        state.created.append(("movie", body))
        tmdb_id = int(body.get("theMovieDbId") or 0)
        user = _requester(body)
        if user is None:
            return _failure("The user to request on behalf of was not found")
        if any(m["theMovieDbId"] == tmdb_id and not m["denied"] for m in state.movies):
            return _failure("This has already been requested", "AlreadyRequested")
        admin = bool(user["admin"])
        movie = state.add_movie(
            state.titles.get(tmdb_id, f"Movie {tmdb_id}"),
            tmdb_id=tmdb_id, approved=admin, user=user["userName"],
        )  # fmt: skip
        return _result(movie["id"])

    @route("POST", "/api/v2/requests/tv")
    async def request_tv(request: web.Request, _: re.Match[str]) -> web.StreamResponse:
        body = await request.json()
        state.created.append(("tv", body))
        tmdb_id = int(body.get("theMovieDbId") or 0)
        user = _requester(body)
        if user is None:
            return _failure("The user to request on behalf of was not found")
        known = state.shows.get(tmdb_id, {"title": f"Show {tmdb_id}", "seasons": {1: 8}})
        if body.get("requestAll"):
            wanted = set(known["seasons"])
        else:
            wanted = {s["seasonNumber"] for s in body.get("seasons", []) if s.get("episodes")}
        if not wanted:
            return _failure("No episodes to request")
        show = next((t for t in state.tv if t["externalProviderId"] == tmdb_id), None)
        if show is not None:
            had = {
                s["seasonNumber"]
                for c in show["childRequests"]
                if not c["denied"]
                for s in c["seasonRequests"]
            }
            if had & wanted:
                return _failure("This has already been requested", "EpisodesAlreadyRequested")
        admin = bool(user["admin"])
        child = {"seasons": tuple(sorted(wanted)), "approved": admin, "user": user["userName"]}
        if show is None:
            show = state.add_tv(known["title"], tmdb_id=tmdb_id, children=[child])
        else:
            state.add_child(show, **child)  # type: ignore[arg-type]
        return _result(show["id"])

    async def dispatch(request: web.Request) -> web.StreamResponse:
        for method, pattern, handler in routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return await handler(request, match)
        return web.Response(status=404)

    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
