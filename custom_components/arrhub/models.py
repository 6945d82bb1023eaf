"""Frozen models of the hub's replies, parsed once at the client boundary.

Every model is a frozen dataclass: equal replies compare equal (so the coordinator writes
nothing when nothing changed), and nobody can edit an object the ETag cache hands out twice.
A reply that does not have the expected shape raises `ValueError` here; the client turns
that into `ArrhubError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is not an object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not a boolean")
    return value


def _opt_bool(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    return _bool(data, key)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} is not an integer")
    return value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    if data.get(key) is None:
        return None
    return _int(data, key)


def _float(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    if data.get(key) is None:
        return None
    return _float(data, key)


def _opt_time(data: Mapping[str, Any], key: str) -> datetime | None:
    value = _opt_str(data, key)
    return None if value is None else datetime.fromisoformat(value)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """`GET /api/v1/system/info`: who the hub is."""

    name: str
    version: str
    api_version: int
    api_version_min: int
    instance_id: str
    uptime_seconds: float
    started_at: str

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "system info")
        return cls(
            name=_str(data, "name"),
            version=_str(data, "version"),
            api_version=_int(data, "api_version"),
            api_version_min=_int(data, "api_version_min"),
            instance_id=_str(data, "instance_id"),
            uptime_seconds=_float(data, "uptime_seconds"),
            started_at=_str(data, "started_at"),
        )

    def speaks(self, version: int) -> bool:
        """True when this hub serves API `version`."""
        return self.api_version_min <= version <= self.api_version


@dataclass(frozen=True, slots=True)
class RootFolder:
    id: int
    name: str
    path: str | None
    free_space: int | None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "root folder")
        return cls(
            id=_int(data, "id"),
            name=_str(data, "name"),
            path=_opt_str(data, "path"),
            free_space=_opt_int(data, "free_space"),
        )


@dataclass(frozen=True, slots=True)
class LibraryCounts:
    """An *arr instance's titles in the hub's library cache."""

    movies: int
    series: int
    episodes: int
    artists: int
    albums: int
    missing: int
    cutoff_unmet: int
    size_on_disk: int

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "library counts")
        return cls(
            **{
                key: _opt_int(data, key) or 0
                for key in (
                    "movies",
                    "series",
                    "episodes",
                    "artists",
                    "albums",
                    "missing",
                    "cutoff_unmet",
                    "size_on_disk",
                )
            }  # fmt: skip
        )


@dataclass(frozen=True, slots=True)
class InstanceSummary:
    """One upstream instance as the summary reports it."""

    id: str
    name: str
    type: str
    category: str
    enabled: bool
    capabilities: frozenset[str]
    reachable: bool
    stale: bool
    version: str | None
    latency_ms: float | None
    fetched_at: datetime | None
    error_code: str | None
    health_warnings: int
    health_errors: int
    queue_size: int | None
    active_downloads: int | None
    download_speed: int | None
    upload_speed: int | None
    remaining_bytes: int | None
    paused: bool | None
    alt_speed: bool | None
    root_folders: tuple[RootFolder, ...]
    session_count: int | None
    pending_requests: int | None
    wanted_subtitles: int | None
    indexers_enabled: int | None
    library: LibraryCounts | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "instance summary")
        capabilities = _list(data, "capabilities")
        if not all(isinstance(c, str) for c in capabilities):
            raise ValueError("capabilities are not strings")
        return cls(
            id=_str(data, "id"),
            name=_str(data, "name"),
            type=_str(data, "type"),
            category=_str(data, "category"),
            enabled=_bool(data, "enabled"),
            capabilities=frozenset(capabilities),
            reachable=_bool(data, "reachable"),
            stale=_bool(data, "stale"),
            version=_opt_str(data, "version"),
            latency_ms=_opt_float(data, "latency_ms"),
            fetched_at=_opt_time(data, "fetched_at"),
            error_code=_opt_str(data, "error_code"),
            health_warnings=_int(data, "health_warnings"),
            health_errors=_int(data, "health_errors"),
            queue_size=_opt_int(data, "queue_size"),
            active_downloads=_opt_int(data, "active_downloads"),
            download_speed=_opt_int(data, "download_speed"),
            upload_speed=_opt_int(data, "upload_speed"),
            remaining_bytes=_opt_int(data, "remaining_bytes"),
            paused=_opt_bool(data, "paused"),
            alt_speed=_opt_bool(data, "alt_speed"),
            root_folders=tuple(RootFolder.from_dict(f) for f in _list(data, "root_folders")),
            session_count=_opt_int(data, "session_count"),
            pending_requests=_opt_int(data, "pending_requests"),
            wanted_subtitles=_opt_int(data, "wanted_subtitles"),
            indexers_enabled=_opt_int(data, "indexers_enabled"),
            library=None
            if data.get("library") is None
            else LibraryCounts.from_dict(data.get("library")),
        )

    @property
    def health_issues(self) -> int:
        return self.health_warnings + self.health_errors

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True, slots=True)
class HubTotals:
    instances: int
    reachable: int
    download_speed: int
    upload_speed: int
    active_downloads: int
    health_issues: int

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "totals")
        return cls(
            instances=_int(data, "instances"),
            reachable=_int(data, "reachable"),
            download_speed=_int(data, "download_speed"),
            upload_speed=_int(data, "upload_speed"),
            active_downloads=_int(data, "active_downloads"),
            health_issues=_int(data, "health_issues"),
        )


@dataclass(frozen=True, slots=True)
class HubSummary:
    """`GET /api/v1/summary`: the coordinator's data. Replaced, never edited."""

    instance_id: str
    version: str
    instances: Mapping[str, InstanceSummary]
    totals: HubTotals
    upcoming_today: int | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "summary")
        instances = [InstanceSummary.from_dict(i) for i in _list(data, "instances")]
        return cls(
            instance_id=_str(data, "instance_id"),
            version=_str(data, "version"),
            instances={i.id: i for i in instances},
            totals=HubTotals.from_dict(data.get("totals")),
            upcoming_today=_opt_int(data, "upcoming_today"),
        )


@dataclass(frozen=True, slots=True)
class HealthMessage:
    level: str
    message: str
    source: str | None
    wiki_url: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "health message")
        return cls(
            level=_str(data, "level"),
            message=_str(data, "message"),
            source=_opt_str(data, "source"),
            wiki_url=_opt_str(data, "wiki_url"),
        )


@dataclass(frozen=True, slots=True)
class HealthError:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class InstanceHealth:
    """`GET|POST /api/v1/instances/{id}/health|refresh`."""

    instance_id: str
    reachable: bool
    latency_ms: float | None
    version: str | None
    messages: tuple[HealthMessage, ...]
    last_error: HealthError | None
    last_success_at: datetime | None
    checked_at: datetime | None
    stale: bool
    circuit: str

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "instance health")
        error = data.get("last_error")
        last_error = None
        if error is not None:
            error = _obj(error, "last_error")
            last_error = HealthError(code=_str(error, "code"), message=_str(error, "message"))
        return cls(
            instance_id=_str(data, "instance_id"),
            reachable=_bool(data, "reachable"),
            latency_ms=_opt_float(data, "latency_ms"),
            version=_opt_str(data, "version"),
            messages=tuple(HealthMessage.from_dict(m) for m in _list(data, "messages")),
            last_error=last_error,
            last_success_at=_opt_time(data, "last_success_at"),
            checked_at=_opt_time(data, "checked_at"),
            stale=_bool(data, "stale"),
            circuit=_str(data, "circuit"),
        )

    def as_response(self) -> dict[str, Any]:
        """JSON-able, for an action's response."""
        return {
            "instance_id": self.instance_id,
            "reachable": self.reachable,
            "latency_ms": self.latency_ms,
            "version": self.version,
            "messages": [
                {
                    "level": m.level,
                    "message": m.message,
                    "source": m.source,
                    "wiki_url": m.wiki_url,
                }
                for m in self.messages
            ],
            "last_error": None
            if self.last_error is None
            else {"code": self.last_error.code, "message": self.last_error.message},
            "last_success_at": _iso(self.last_success_at),
            "checked_at": _iso(self.checked_at),
            "stale": self.stale,
            "circuit": self.circuit,
        }


@dataclass(frozen=True, slots=True)
class ClientState:
    """What a whole-client action answers: the client's state read back right after."""

    instance_id: str
    paused: bool | None
    alt_speed: bool | None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "client state")
        return cls(
            instance_id=_str(data, "instance_id"),
            paused=_opt_bool(data, "paused"),
            alt_speed=_opt_bool(data, "alt_speed"),
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class Subscription:
    """One outbound webhook subscription at the hub (its secret is never shown back)."""

    id: str
    url: str
    events: tuple[str, ...]
    enabled: bool

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "subscription")
        return cls(
            id=_str(data, "id"),
            url=_str(data, "url"),
            events=tuple(str(event) for event in _list(data, "events")),
            enabled=_bool(data, "enabled"),
        )


@dataclass(frozen=True, slots=True)
class HubEvent:
    """One delivery of the hub's outbound webhooks: `{id, type, at, instance_id, data}`."""

    id: str
    type: str
    at: str
    instance_id: str | None
    data: Mapping[str, Any]

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "event")
        return cls(
            id=_str(data, "id"),
            type=_str(data, "type"),
            at=_str(data, "at"),
            instance_id=_opt_str(data, "instance_id"),
            data=dict(_obj(data.get("data", {}), "event data")),
        )

    @property
    def topic(self) -> str:
        return self.type.split(".", 1)[0]

    def bus_data(self, hub_id: str) -> dict[str, Any]:
        """What `arrhub_event` carries on Home Assistant's bus."""
        return {
            "hub_id": hub_id,
            "id": self.id,
            "type": self.type,
            "instance_id": self.instance_id,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True)
class DownloadItem:
    """One row of `GET /api/v1/downloads`, trimmed to what an action's response carries."""

    id: str
    instance_id: str
    client: str
    title: str
    state: str
    progress: float
    size: int
    remaining: int
    download_speed: int
    upload_speed: int
    eta: int | None
    category: str | None
    stale: bool
    media: Mapping[str, Any] | None
    arr_instance_id: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "download")
        media = data.get("media")
        arr = data.get("arr")
        return cls(
            id=_str(data, "id"),
            instance_id=_str(data, "instance_id"),
            client=_str(data, "client"),
            title=_str(data, "name"),
            state=_str(data, "status"),
            progress=_float(data, "progress"),
            size=_int(data, "size"),
            remaining=_int(data, "remaining"),
            download_speed=_opt_int(data, "download_speed") or 0,
            upload_speed=_opt_int(data, "upload_speed") or 0,
            eta=_opt_int(data, "eta"),
            category=_opt_str(data, "category"),
            stale=bool(_opt_bool(data, "stale")),
            media=None if media is None else dict(_obj(media, "media")),
            arr_instance_id=None if arr is None else _str(_obj(arr, "arr"), "instance_id"),
        )

    def as_response(self) -> dict[str, Any]:
        """Compact and JSON-able; media only when the item is joined to an *arr record."""
        reply: dict[str, Any] = {
            "download_id": self.id,
            "title": self.title,
            "state": self.state,
            "progress": round(self.progress, 4),
            "size": self.size,
            "remaining": self.remaining,
            "download_speed": self.download_speed,
            "upload_speed": self.upload_speed,
            "eta": self.eta,
            "client": self.client,
            "instance_id": self.instance_id,
            "category": self.category,
            "stale": self.stale,
        }
        if self.media is not None:
            reply["media"] = {
                key: self.media.get(key) for key in ("type", "title", "year", "season", "episode")
            }
            reply["arr_instance_id"] = self.arr_instance_id
        return reply


@dataclass(frozen=True, slots=True)
class DownloadsPage:
    """`GET /api/v1/downloads`: a page of rows and how many there are in all."""

    items: tuple[DownloadItem, ...]
    total: int

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "downloads")
        return cls(
            items=tuple(DownloadItem.from_dict(i) for i in _list(data, "items")),
            total=_int(data, "total"),
        )


@dataclass(frozen=True, slots=True)
class BlocklistResult:
    """`POST /api/v1/downloads/{id}/blocklist`: what the hub did."""

    id: str
    arr_instance_id: str
    queue_id: int
    blocklisted: bool
    search: bool

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "blocklist reply")
        return cls(
            id=_str(data, "id"),
            arr_instance_id=_str(data, "arr_instance_id"),
            queue_id=_int(data, "queue_id"),
            blocklisted=_bool(data, "blocklisted"),
            search=_bool(data, "search"),
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "download_id": self.id,
            "arr_instance_id": self.arr_instance_id,
            "queue_id": self.queue_id,
            "blocklisted": self.blocklisted,
            "search": self.search,
        }


def _moment(value: Any, what: str) -> date | datetime:
    """An ISO date (all-day) or an ISO datetime with its offset (or `Z`)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{what} has no UTC offset")
    return moment


def _json_value(value: Any) -> Any:
    """Dates back to ISO strings, for responses (UTC as the hub writes it, with `Z`)."""
    if isinstance(value, date):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _picked(data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: data.get(key) for key in keys}


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One entry of `GET /api/v1/calendar`: an episode airing, a movie release, an album."""

    id: str
    instance_id: str
    type: str
    release_kind: str
    title: str
    subtitle: str | None
    start: date | datetime
    end: date | datetime | None
    all_day: bool
    has_file: bool
    monitored: bool
    item_id: str | None
    season_number: int | None
    episode_number: int | None
    overview: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "calendar entry")
        all_day = _bool(data, "all_day")
        start = _moment(data.get("start"), "start")
        end = None if data.get("end") is None else _moment(data.get("end"), "end")
        if all_day and isinstance(start, datetime):
            start = start.date()
        if all_day and isinstance(end, datetime):
            end = end.date()
        return cls(
            id=_str(data, "id"),
            instance_id=_str(data, "instance_id"),
            type=_str(data, "type"),
            release_kind=_str(data, "release_kind"),
            title=_str(data, "title"),
            subtitle=_opt_str(data, "subtitle"),
            start=start,
            end=end,
            all_day=all_day,
            has_file=bool(_opt_bool(data, "has_file")),
            monitored=bool(_opt_bool(data, "monitored")),
            item_id=_opt_str(data, "item_id"),
            season_number=_opt_int(data, "season_number"),
            episode_number=_opt_int(data, "episode_number"),
            overview=_opt_str(data, "overview"),
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance_id": self.instance_id,
            "type": self.type,
            "release_kind": self.release_kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "start": _json_value(self.start),
            "end": _json_value(self.end),
            "all_day": self.all_day,
            "has_file": self.has_file,
            "monitored": self.monitored,
            "item_id": self.item_id,
            "season_number": self.season_number,
            "episode_number": self.episode_number,
        }


@dataclass(frozen=True, slots=True)
class CalendarPage:
    """`GET /api/v1/calendar`: the window the hub used and its entries, sorted by start."""

    start: str
    end: str
    entries: tuple[CalendarEntry, ...]
    stale_instances: tuple[str, ...]

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "calendar")
        return cls(
            start=_str(data, "start"),
            end=_str(data, "end"),
            entries=tuple(CalendarEntry.from_dict(e) for e in _list(data, "items")),
            stale_instances=tuple(str(i) for i in _list(data, "stale_instances")),
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "items": [entry.as_response() for entry in self.entries],
            "stale_instances": list(self.stale_instances),
        }


#: External ids a title may carry, in responses as the hub names them.
EXTERNAL_IDS = ("tmdb_id", "tvdb_id", "imdb_id", "musicbrainz_id")
#: How much of an overview a response carries (scripts read it aloud or notify it).
OVERVIEW_CHARS = 300


def _overview(data: Mapping[str, Any]) -> str | None:
    text = _opt_str(data, "overview")
    if text is None or len(text) <= OVERVIEW_CHARS:
        return text
    return text[: OVERVIEW_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class TitleResult:
    """A title found by `arrhub.search_titles`: from the *arrs' lookup (`GET /api/v1/lookup`)
    or from the library cache (`GET /api/v1/library/items?q=`)."""

    type: str
    title: str
    year: int | None
    overview: str | None
    external_ids: Mapping[str, Any]
    in_library: bool
    library_item_ids: tuple[str, ...]
    excluded: bool | None
    poster_url: str | None

    @classmethod
    def from_lookup(cls, raw: Any) -> Self:
        data = _obj(raw, "lookup result")
        return cls(
            type=_str(data, "type"),
            title=_str(data, "title"),
            year=_opt_int(data, "year"),
            overview=_overview(data),
            external_ids=_picked(data, EXTERNAL_IDS),
            in_library=_bool(data, "in_library"),
            library_item_ids=tuple(str(i) for i in _list(data, "library_item_ids")),
            excluded=_opt_bool(data, "excluded"),
            poster_url=_opt_str(data, "poster_url"),
        )

    @classmethod
    def from_library(cls, raw: Any) -> Self:
        data = _obj(raw, "library item")
        return cls(
            type=LIBRARY_TO_TITLE_TYPE.get(_str(data, "type"), _str(data, "type")),
            title=_str(data, "title"),
            year=_opt_int(data, "year"),
            overview=_overview(data),
            external_ids=_picked(data, EXTERNAL_IDS),
            in_library=True,
            library_item_ids=(_str(data, "id"),),
            excluded=None,
            poster_url=_opt_str(data, "poster_url"),
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "title": self.title,
            "year": self.year,
            **self.external_ids,
            "in_library": self.in_library,
            "library_item_ids": list(self.library_item_ids),
            "excluded": self.excluded,
            "overview": self.overview,
            "poster_url": self.poster_url,
        }


#: The lookup's title types and the library's item types, both ways.
TITLE_TO_LIBRARY_TYPE = {"tv": "series", "movie": "movie", "music": "artist"}
LIBRARY_TO_TITLE_TYPE = {value: key for key, value in TITLE_TO_LIBRARY_TYPE.items()}


@dataclass(frozen=True, slots=True)
class NamedId:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CatalogOptions:
    """`GET /api/v1/catalog/options`: where and how an instance can add a title."""

    instance_id: str
    type: str
    root_folders: tuple[str, ...]
    quality_profiles: tuple[NamedId, ...]
    metadata_profiles: tuple[NamedId, ...]
    monitor_options: tuple[str, ...]

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "catalog options")

        def named(key: str) -> tuple[NamedId, ...]:
            return tuple(
                NamedId(id=_int(p, "id"), name=_str(p, "name"))
                for p in (_obj(item, key) for item in _list(data, key))
            )

        return cls(
            instance_id=_str(data, "instance_id"),
            type=_str(data, "type"),
            root_folders=tuple(
                _str(_obj(f, "root folder"), "path") for f in _list(data, "root_folders")
            ),
            quality_profiles=named("quality_profiles"),
            metadata_profiles=named("metadata_profiles"),
            monitor_options=tuple(str(o) for o in _list(data, "monitor_options")),
        )


#: The fields of a library item an `arrhub.add_title` response carries.
LIBRARY_ITEM_FIELDS = (
    "id", "instance_id", "type", "upstream_id", "title", "year", "status", "monitored",
    "quality_profile_id", "has_file", "added", *EXTERNAL_IDS,
)  # fmt: skip


def library_item_response(raw: Any) -> dict[str, Any]:
    """The added title as the hub answered it, trimmed to what identifies it."""
    data = _obj(raw, "library item")
    _str(data, "id")
    _str(data, "title")
    return _picked(data, LIBRARY_ITEM_FIELDS)


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """One request at a request manager (`GET|POST /api/v1/requests...`)."""

    id: str
    instance_id: str
    type: str
    title: str | None
    year: int | None
    status: str
    requested_by: str | None
    requested_at: str | None
    tmdb_id: int | None
    seasons: tuple[int, ...]

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "request")
        seasons = _list(data, "seasons")
        if not all(isinstance(s, int) for s in seasons):
            raise ValueError("seasons are not integers")
        return cls(
            id=_str(data, "id"),
            instance_id=_str(data, "instance_id"),
            type=_str(data, "type"),
            title=_opt_str(data, "title"),
            year=_opt_int(data, "year"),
            status=_str(data, "status"),
            requested_by=_opt_str(data, "requested_by"),
            requested_at=_opt_str(data, "requested_at"),
            tmdb_id=_opt_int(data, "tmdb_id"),
            seasons=tuple(seasons),
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance_id": self.instance_id,
            "type": self.type,
            "title": self.title,
            "year": self.year,
            "status": self.status,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "tmdb_id": self.tmdb_id,
            "seasons": list(self.seasons),
        }


@dataclass(frozen=True, slots=True)
class RequestsPage:
    """`GET /api/v1/requests`: a page of requests, the total and counts per status."""

    items: tuple[MediaRequest, ...]
    total: int
    counts: Mapping[str, int]

    @classmethod
    def from_dict(cls, raw: Any) -> Self:
        data = _obj(raw, "requests")
        counts = _obj(data.get("counts", {}), "counts")
        return cls(
            items=tuple(MediaRequest.from_dict(r) for r in _list(data, "items")),
            total=_int(data, "total"),
            counts={str(k): _int(counts, k) for k in counts},
        )

    def as_response(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "counts": dict(self.counts),
            "items": [r.as_response() for r in self.items],
        }
