"""Ombi: requests for Plex, Emby and Jellyfin households (`ApiKey` header, `/api/v1`).

Quirks handled here:
- `/api/v1/Status` is anonymous and answers a bare `200`; it is how a URL is recognised as
  Ombi. Ombi checks the `ApiKey` header on every `/api` path, so the key is proven by
  `/api/v1/Settings/about`, which also names the version.
- Movie and TV requests are separate lists. The unfiltered view merges the two paged lists
  (`Request/{movie|tv}/{count}/{position}/{order}/{status}/{availability}`), newest first.
  Ombi's TV route ignores its filter arguments (they are bound by a different name), and
  it has no "denied" filter at all, so filtered views read the full lists and filter here.
- A TV request is a parent with one child request per requester and season set; arrhub
  shows the parent, its status summarising the children.
- Counts: `Request/count` has pending, approved (= approved, not yet available) and
  available; declined requests are not counted by Ombi.
- Movie and TV requests are numbered separately, so a request's key says which it is
  (`movie-12`, `tv-7`). Approving or declining a TV request acts on its child requests
  (`Request/tv/approve`, `Request/tv/deny` take a child's id): every child still open.
- Creating: movies through `POST Request/movie` (`theMovieDbId`); shows through the v2
  `POST /api/v2/Requests/tv`, the one that takes a TMDB id (v1's wants a TVDB id and is
  obsolete). Ombi requests episodes, so a season list is turned into that season's episodes
  from `/api/v2/search/Tv/moviedb/{id}`. A refusal comes back as HTTP 200 with
  `{result: false, errorCode, errorMessage}`; `AlreadyRequested` is a conflict.
- On someone's behalf: `requestOnBehalf` = the Ombi user's id (from
  `Identity/dropdown/Users`), allowed for the API key (Ombi treats it as an admin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import Field

from arrhub.adapters._media_common import identify
from arrhub.adapters.base import LIBRARY_MAX_REPLY, UpstreamModel, gather_all
from arrhub.adapters.categories import REQUEST_PAGE, REQUESTS_PER_INSTANCE, RequestsAdapter
from arrhub.adapters.errors import BadResponse, NotFoundUpstream, NotThatService
from arrhub.adapters.registry import register
from arrhub.errors import Conflict
from arrhub.models.instances import Category, InstanceType
from arrhub.models.upstream import (
    MediaRequest,
    PageOf,
    ProbeResult,
    RequestCounts,
    RequestStatus,
    RequestUser,
    utc,
)

API = "api/v1"
ORDER_REQUESTED_DESC = 2  # Ombi's OrderType.RequestedDateDesc
FILTER_NONE = 0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
API_V2 = "api/v2"
TMDB_POSTER = "https://image.tmdb.org/t/p/w300"
DUPLICATE_CODES = frozenset({"AlreadyRequested", "EpisodesAlreadyRequested"})


class OmbiAbout(UpstreamModel):
    version: str
    branch: str | None = None
    framework_description: str | None = None
    os_description: str | None = None
    ombi_database_type: str | None = None


class OmbiUser(UpstreamModel):
    id: str | None = None
    user_name: str | None = None
    alias: str | None = None
    user_alias: str | None = None
    email: str | None = None

    def name(self) -> str | None:
        return self.alias or self.user_alias or self.user_name

    def names(self) -> list[str]:
        """Login name and email, lower-cased (an alias is a label, not an identity)."""
        return _names(self.user_name, self.email)


class OmbiDropdownUser(UpstreamModel):
    """`Identity/dropdown/Users`: `{id, username, email}`."""

    id: str
    username: str | None = None
    email: str | None = None


class OmbiResult(UpstreamModel):
    """`RequestEngineResult`: HTTP 200 whether or not it worked."""

    result: bool = False
    message: str | None = None
    is_error: bool = False
    error_message: str | None = None
    error_code: str | int | None = None
    request_id: int = 0


class OmbiEpisode(UpstreamModel):
    episode_number: int


class OmbiShowSeason(UpstreamModel):
    season_number: int
    episodes: list[OmbiEpisode] = Field(default_factory=list)


class OmbiShowInfo(UpstreamModel):
    """What creating a TV request needs of `/api/v2/search/Tv/moviedb/{id}`."""

    season_requests: list[OmbiShowSeason] = Field(default_factory=list)


def _names(*values: str | None) -> list[str]:
    return list(dict.fromkeys(v.strip().casefold() for v in values if v and v.strip()))


def _poster(path: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith(("http://", "https://")) else f"{TMDB_POSTER}{path}"


def _year(value: datetime | None) -> int | None:
    moment = _date(value)
    return moment.year if moment is not None else None


class OmbiBaseRequest(UpstreamModel):
    id: int
    title: str | None = None
    approved: bool = False
    available: bool = False
    denied: bool | None = None
    requested_date: datetime | None = None
    requested_user: OmbiUser | None = None
    requested_by_alias: str | None = None

    def status(self) -> RequestStatus:
        if self.available:
            return RequestStatus.AVAILABLE
        if self.denied:
            return RequestStatus.DECLINED
        if self.approved:
            return RequestStatus.PROCESSING  # Ombi: "Processing Request"
        return RequestStatus.PENDING

    def user(self) -> str | None:
        if self.requested_user and self.requested_user.name():
            return self.requested_user.name()
        return self.requested_by_alias


class OmbiMovieRequest(OmbiBaseRequest):
    the_movie_db_id: int | None = None
    is4k_request: bool | None = Field(None, alias="is4kRequest")
    release_date: datetime | None = None
    poster_path: str | None = None


class OmbiSeasonRequest(UpstreamModel):
    season_number: int


class OmbiChildRequest(OmbiBaseRequest):
    season_requests: list[OmbiSeasonRequest] | None = None


class OmbiTvRequest(UpstreamModel):
    id: int
    title: str | None = None
    tv_db_id: int | None = None
    external_provider_id: int | None = None
    child_requests: list[OmbiChildRequest] | None = None
    release_date: datetime | None = None
    poster_path: str | None = None


class OmbiMoviePage(UpstreamModel):
    total: int = 0
    collection: list[OmbiMovieRequest] = Field(default_factory=list)


class OmbiTvPage(UpstreamModel):
    total: int = 0
    collection: list[OmbiTvRequest] = Field(default_factory=list)


class OmbiCounts(UpstreamModel):
    pending: int = 0
    approved: int = 0
    available: int = 0


def _date(value: datetime | None) -> datetime | None:
    """Ombi's dates are naive UTC; `0001-01-01` means unset."""
    moment = utc(value)
    if moment is None or moment < EPOCH:
        return None
    return moment


def _positive(value: int | None) -> int | None:
    return value if value else None


def movie_request(raw: OmbiMovieRequest) -> MediaRequest:
    return MediaRequest(
        id=raw.id,
        media_type="movie",
        status=raw.status(),
        title=raw.title,
        tmdb_id=_positive(raw.the_movie_db_id),
        requested_by=raw.user(),
        created_at=_date(raw.requested_date),
        is_4k=bool(raw.is4k_request),
        year=_year(raw.release_date),
        poster_url=_poster(raw.poster_path),
        requester_id=raw.requested_user.id if raw.requested_user else None,
        requester_names=raw.requested_user.names() if raw.requested_user else [],
    )


def tv_status(children: list[OmbiChildRequest]) -> RequestStatus:
    states = [child.status() for child in children]
    if not states:
        return RequestStatus.UNKNOWN
    if all(s is RequestStatus.AVAILABLE for s in states):
        return RequestStatus.AVAILABLE
    if RequestStatus.PENDING in states:
        return RequestStatus.PENDING
    if all(s is RequestStatus.DECLINED for s in states):
        return RequestStatus.DECLINED
    if RequestStatus.AVAILABLE in states:
        return RequestStatus.PARTIALLY_AVAILABLE
    return RequestStatus.PROCESSING


def tv_request(raw: OmbiTvRequest) -> MediaRequest:
    children = raw.child_requests or []
    dates = [d for d in (_date(c.requested_date) for c in children) if d is not None]
    users = [u for u in (c.user() for c in children) if u]
    seasons = {s.season_number for c in children for s in c.season_requests or []}
    return MediaRequest(
        id=raw.id,
        media_type="tv",
        status=tv_status(children),
        title=raw.title,
        tmdb_id=_positive(raw.external_provider_id),
        tvdb_id=_positive(raw.tv_db_id),
        requested_by=users[0] if users else None,
        created_at=min(dates) if dates else None,
        seasons=sorted(seasons),
        year=_year(raw.release_date),
        poster_url=_poster(raw.poster_path),
        requester_id=next((c.requested_user.id for c in children if c.requested_user), None),
        # Each child is one person's request: all of them may see the show's request.
        requester_names=list(
            dict.fromkeys(n for c in children if c.requested_user for n in c.requested_user.names())
        ),
    )


def _newest_first(requests: list[MediaRequest]) -> list[MediaRequest]:
    return sorted(
        requests,
        key=lambda r: (r.created_at or EPOCH, r.media_type, r.id),
        reverse=True,
    )


@register
class OmbiAdapter(RequestsAdapter):
    kind: ClassVar[InstanceType] = "ombi"
    display_name: ClassVar[str] = "Ombi"
    category: ClassVar[Category] = "requests"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"requests", "webhooks", "create_request", "approve"}
    )
    default_port: ClassVar[int | None] = 3579

    def auth_headers(self) -> dict[str, str]:
        return {"ApiKey": self.config.api_key or ""}

    async def probe(self) -> ProbeResult:
        reply = await identify(
            self.label,
            "Ombi",
            self.request("GET", f"{API}/Status", authenticate=False),
        )
        try:
            alive = reply.json()
        except BadResponse:
            alive = None
        if alive not in (200, "OK", "200"):
            raise NotThatService(
                f"{self.label}: {self.base_url}/{API}/Status is not Ombi's status reply"
            )
        data = await self.get_json(f"{API}/Settings/about")
        if not isinstance(data, dict) or not (
            "ombiDatabaseType" in data or "frameworkDescription" in data
        ):
            raise NotThatService(f"{self.label}: {API}/Settings/about is not Ombi's")
        about: OmbiAbout = self.parse(OmbiAbout, data)
        return ProbeResult(
            version=about.version,
            product="Ombi",
            details={"branch": about.branch, "database": about.ombi_database_type},
        )

    # ---- requests -------------------------------------------------------------------

    async def _paged(self, kind: str, count: int) -> Any:
        path = f"{API}/Request/{kind}/{count}/0/{ORDER_REQUESTED_DESC}/{FILTER_NONE}/{FILTER_NONE}"
        return await self.get_json(path)

    async def _all(self) -> list[MediaRequest]:
        movies_raw, tv_raw = await gather_all(
            self.get_json(
                f"{API}/Request/movie", timeout=self.library_timeout, max_bytes=LIBRARY_MAX_REPLY
            ),
            self.get_json(
                f"{API}/Request/tv", timeout=self.library_timeout, max_bytes=LIBRARY_MAX_REPLY
            ),
        )
        movies: list[OmbiMovieRequest] = self.parse(list[OmbiMovieRequest], movies_raw)
        shows: list[OmbiTvRequest] = self.parse(list[OmbiTvRequest], tv_raw)
        return [movie_request(m) for m in movies] + [tv_request(t) for t in shows]

    async def requests(
        self, *, take: int = 20, skip: int = 0, status: RequestStatus | None = None
    ) -> PageOf[MediaRequest]:
        take = max(1, take)
        skip = max(0, skip)
        page_number = skip // take + 1
        if status is not None:
            matches = _newest_first([r for r in await self._all() if r.status == status])
            return PageOf[MediaRequest](
                records=matches[skip : skip + take],
                total=len(matches),
                page=page_number,
                page_size=take,
            )
        # Newest first across both lists: the first skip+take of each hold the answer.
        movies_raw, tv_raw = await gather_all(
            self._paged("movie", skip + take), self._paged("tv", skip + take)
        )
        movies: OmbiMoviePage = self.parse(OmbiMoviePage, movies_raw)
        shows: OmbiTvPage = self.parse(OmbiTvPage, tv_raw)
        merged = _newest_first(
            [movie_request(m) for m in movies.collection]
            + [tv_request(t) for t in shows.collection]
        )
        return PageOf[MediaRequest](
            records=merged[skip : skip + take],
            total=movies.total + shows.total,
            page=page_number,
            page_size=take,
        )

    async def counts(self) -> RequestCounts:
        counts_raw, movie_total, tv_total = await gather_all(
            self.get_json(f"{API}/Request/count"),
            self.get_json(f"{API}/Request/movie/total"),
            self.get_json(f"{API}/Request/tv/total"),
        )
        counts: OmbiCounts = self.parse(OmbiCounts, counts_raw)
        movies: int = self.parse(int, movie_total)
        shows: int = self.parse(int, tv_total)
        return RequestCounts(
            total=movies + shows,
            movie=movies,
            tv=shows,
            pending=counts.pending,
            # Ombi's "approved" means approved and not yet available: arrhub's "processing".
            approved=counts.approved + counts.available,
            processing=counts.approved,
            available=counts.available,
        )

    # ---- every request; create, approve, decline (REQ-1, REQ-2) --------------------------

    def request_key(self, request: MediaRequest) -> str:
        return f"{request.media_type}-{request.id}"

    @staticmethod
    def _split(key: str) -> tuple[str, int]:
        kind, _, raw = key.partition("-")
        if kind not in ("movie", "tv") or not raw.isdigit():
            raise NotFoundUpstream(f"no Ombi request {key!r} (expected movie-<id> or tv-<id>)")
        return kind, int(raw)

    async def all_requests(self, limit: int = REQUESTS_PER_INSTANCE) -> list[MediaRequest]:
        """Both lists, paged at `REQUEST_PAGE` per call, newest first."""

        async def read(kind: str) -> list[MediaRequest]:
            found: list[MediaRequest] = []
            position = 0
            seen: set[int] = set()
            while len(found) < limit:
                path = (
                    f"{API}/Request/{kind}/{REQUEST_PAGE}/{position}/"
                    f"{ORDER_REQUESTED_DESC}/{FILTER_NONE}/{FILTER_NONE}"
                )
                data = await self.get_json(path)
                if kind == "movie":
                    movies: OmbiMoviePage = self.parse(OmbiMoviePage, data)
                    batch, total = [movie_request(m) for m in movies.collection], movies.total
                else:
                    shows: OmbiTvPage = self.parse(OmbiTvPage, data)
                    batch, total = [tv_request(t) for t in shows.collection], shows.total
                found.extend(r for r in batch if r.id not in seen)
                seen.update(r.id for r in batch)
                position += REQUEST_PAGE
                if not batch or position >= total:
                    break
            return found

        movies, shows = await gather_all(read("movie"), read("tv"))
        return _newest_first(movies + shows)[:limit]

    async def _record(self, kind: str, request_id: int) -> dict[str, Any]:
        """One request's raw record; Ombi answers an unknown id with `null` (or nothing)."""
        path = (
            f"{API}/Request/movie/info/{request_id}"
            if kind == "movie"
            else (f"{API}/Request/tv/{request_id}")
        )
        reply = await self.request("GET", path)
        data = reply.json() if reply.body.strip() else None
        if not isinstance(data, dict) or not data.get("id"):
            raise NotFoundUpstream(f"{self.label}: no {kind} request {request_id}", http_status=404)
        return data

    async def get_request(self, key: str) -> MediaRequest:
        kind, request_id = self._split(key)
        data = await self._record(kind, request_id)
        if kind == "movie":
            return movie_request(self.parse(OmbiMovieRequest, data))
        return tv_request(self.parse(OmbiTvRequest, data))

    def _checked(self, data: Any) -> OmbiResult:
        result: OmbiResult = self.parse(OmbiResult, data)
        if result.result and not result.error_message:
            return result
        text = result.error_message or result.message or "refused"
        if str(result.error_code) in DUPLICATE_CODES:
            raise Conflict(f"{self.label}: {text}")
        if str(result.error_code) in ("RequestDoesNotExist", "ChildRequestDoesNotExist"):
            raise NotFoundUpstream(f"{self.label}: {text}", http_status=404)
        raise BadResponse(f"{self.label} refused: {text}")

    async def _episodes(self, tmdb_id: int, seasons: list[int]) -> list[dict[str, Any]]:
        data = await self.get_json(f"{API_V2}/search/Tv/moviedb/{tmdb_id}")
        info: OmbiShowInfo = self.parse(OmbiShowInfo, data)
        wanted = set(seasons)
        chosen = [
            {
                "seasonNumber": season.season_number,
                "episodes": [{"episodeNumber": e.episode_number} for e in season.episodes],
            }
            for season in info.season_requests
            if season.season_number in wanted and season.episodes
        ]
        if not chosen:
            raise BadResponse(f"{self.label}: show {tmdb_id} has no episodes in seasons {seasons}")
        return chosen

    async def create_request(
        self,
        media_type: str,
        tmdb_id: int,
        seasons: list[int] | None,
        *,
        user: RequestUser | None = None,
    ) -> MediaRequest:
        behalf = {"requestOnBehalf": user.id} if user is not None else {}
        if media_type == "movie":
            body: dict[str, Any] = {
                "theMovieDbId": tmdb_id, "languageCode": "en", "is4kRequest": False, **behalf,
            }  # fmt: skip
            reply = await self.request("POST", f"{API}/Request/movie", json_body=body)
            result = self._checked(reply.json())
            return await self.get_request(f"movie-{result.request_id}")
        body = {
            "theMovieDbId": tmdb_id,
            "requestAll": seasons is None,
            "latestSeason": False,
            "firstSeason": False,
            "seasons": [] if seasons is None else await self._episodes(tmdb_id, seasons),
            **behalf,
        }
        reply = await self.request("POST", f"{API_V2}/Requests/tv", json_body=body)
        result = self._checked(reply.json())
        return await self.get_request(f"tv-{result.request_id}")

    async def set_status(self, key: str, *, approve: bool) -> MediaRequest:
        kind, request_id = self._split(key)
        if kind == "movie":
            await self._decide("movie", request_id, approve=approve)
            return await self.get_request(key)
        raw: OmbiTvRequest = self.parse(OmbiTvRequest, await self._record("tv", request_id))
        for child in raw.child_requests or []:
            open_child = not child.available and (
                (approve and not child.approved) or (not approve and not child.denied)
            )
            if open_child:
                await self._decide("tv", child.id, approve=approve)
        return await self.get_request(key)

    async def _decide(self, kind: str, request_id: int, *, approve: bool) -> None:
        if approve:
            reply = await self.request(
                "POST", f"{API}/Request/{kind}/approve", json_body={"id": request_id}
            )
        else:
            reply = await self.request(
                "PUT",
                f"{API}/Request/{kind}/deny",
                json_body={"id": request_id, "reason": "declined through arrhub"},
            )
        self._checked(reply.json())

    async def find_user(self, name: str) -> RequestUser | None:
        wanted = name.strip().casefold()
        data = await self.get_json(f"{API}/Identity/dropdown/Users")
        users: list[OmbiDropdownUser] = self.parse(list[OmbiDropdownUser], data)
        for user in users:
            names = _names(user.username, user.email)
            if wanted in names:
                return RequestUser(id=user.id, name=user.username, names=names)
        return None
