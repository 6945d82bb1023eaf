"""A fake Sonarr, Radarr, Lidarr or Prowlarr: the Servarr API, one configurable app.

Shaped after the published OpenAPI specs (`../shared/upstream/sonarr-v3`, `radarr-v3`,
`lidarr-v1`, `prowlarr-v1`) and the quirks in `FACTS.md`:
- `X-Api-Key` header or `?apikey=`; anything else answers 401 with an empty body.
- API roots `/api/v3` (Sonarr, Radarr) and `/api/v1` (Lidarr, Prowlarr).
- Paged endpoints (`queue`, `history`, `log`) take `page`, `pageSize`, `sortKey`,
  `sortDirection` and answer `{page, pageSize, sortKey, sortDirection, totalRecords, records}`.
- Queue records embed `series`/`episode`, `movie`, `artist`/`album` only when asked
  (`includeSeries`, `includeEpisode`, `includeMovie`, `includeArtist`, `includeAlbum`);
  items matching no media show only with `includeUnknown*Items`.
- Torrent `downloadId`s are info-hashes in UPPER case, as the *arrs report them.
- Sonarr's queue fails (500) above 200 records per page on a big queue.
- Null fields are left out, as Servarr's serializer does.
- `POST /command` answers 201; the command runs for `command_polls` polls of
  `GET /command/{id}`, then ends `completed` (or `failed` for `failing_commands`).

Tests mutate the state between requests. Fault switches: `fail_with` (status; for
`fail_times` requests, or always), `retry_after` (header on those failures), `delay`
(seconds before answering; `math.inf` = never, until the app shuts down), `garbage` (an
HTML page instead of the API), `truncate` (the connection drops mid-body). `replies` maps
a route (relative to the API root, as templated: `"queue"`, `"command/{id}"`) to a body
served verbatim, for replaying real payloads. Every request is recorded in
`app[RECORDER]` (`tests/fakes/server.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from tests.fakes.servarr_catalog import add_catalog_routes
from tests.fakes.servarr_library import add_library_routes
from tests.fakes.server import RECORDER, recording_app

Product = Literal["Sonarr", "Radarr", "Lidarr", "Prowlarr"]

API_ROOTS: dict[str, str] = {
    "Sonarr": "/api/v3",
    "Radarr": "/api/v3",
    "Lidarr": "/api/v1",
    "Prowlarr": "/api/v1",
}
VERSIONS: dict[str, str] = {
    "Sonarr": "4.0.14.2939",
    "Radarr": "5.21.1.9799",
    "Lidarr": "2.10.3.4602",
    "Prowlarr": "1.33.3.5008",
}
DEFAULT_KEY = "0123456789abcdef0123456789abcdef"
SONARR_QUEUE_PAGE_LIMIT = 200
EPOCH = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

GARBAGE = (
    "<!DOCTYPE html><html><head><title>Sign in</title></head>"
    "<body><form method='post'><input name='username'><input name='password'></form>"
    "</body></html>"
)

_REVISION = {"version": 1, "real": 0, "isRepack": False}
#: QualityModel per product: the enums of `source` differ (Sonarr `web`, Radarr `webdl`).
QUALITIES: dict[str, dict[str, Any]] = {
    "Sonarr": {
        "quality": {"id": 3, "name": "WEBDL-1080p", "source": "web", "resolution": 1080},
        "revision": _REVISION,
    },
    "Radarr": {
        "quality": {
            "id": 3,
            "name": "WEBDL-1080p",
            "source": "webdl",
            "resolution": 1080,
            "modifier": "none",
        },
        "revision": _REVISION,
    },
    "Lidarr": {"quality": {"id": 6, "name": "FLAC"}, "revision": _REVISION},
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def info_hash(seed: str) -> str:
    """A 40-hex info-hash in upper case, the way the *arrs report torrent ids."""
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest().upper()


def timespan(seconds: int) -> str:
    """A .NET time span: `hh:mm:ss`, or `d.hh:mm:ss` past a day."""
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


# ---- media objects, as the include* parameters embed them --------------------------------


def series(series_id: int) -> dict[str, Any]:
    return {
        "id": series_id,
        "title": f"Series {series_id}",
        "sortTitle": f"series {series_id}",
        "status": "continuing",
        "year": 2000 + series_id % 25,
        "path": f"/tv/Series {series_id}",
        "qualityProfileId": 1,
        "seasonFolder": True,
        "monitored": True,
        "tvdbId": 70000 + series_id,
        "seriesType": "standard",
        "added": iso(EPOCH - timedelta(days=series_id)),
        "images": [],
        "tags": [],
    }


def episode(series_id: int, season: int, number: int) -> dict[str, Any]:
    return {
        "id": series_id * 1000 + season * 100 + number,
        "seriesId": series_id,
        "seasonNumber": season,
        "episodeNumber": number,
        "title": f"Episode {number}",
        "airDateUtc": iso(EPOCH - timedelta(days=number)),
        "hasFile": False,
        "monitored": True,
    }


def movie(movie_id: int) -> dict[str, Any]:
    return {
        "id": movie_id,
        "title": f"Movie {movie_id}",
        "originalTitle": f"Movie {movie_id}",
        "year": 1980 + movie_id % 45,
        "tmdbId": 600 + movie_id,
        "imdbId": f"tt{1000000 + movie_id}",
        "path": f"/movies/Movie {movie_id}",
        "status": "released",
        "hasFile": False,
        "monitored": True,
        "added": iso(EPOCH - timedelta(days=movie_id)),
        "images": [],
        "tags": [],
    }


def artist(artist_id: int) -> dict[str, Any]:
    return {
        "id": artist_id,
        "artistName": f"Artist {artist_id}",
        "foreignArtistId": f"mbid-artist-{artist_id}",
        "status": "continuing",
        "path": f"/music/Artist {artist_id}",
        "monitored": True,
        "images": [],
        "tags": [],
    }


def album(artist_id: int, album_id: int) -> dict[str, Any]:
    return {
        "id": album_id,
        "title": f"Album {album_id}",
        "artistId": artist_id,
        "foreignAlbumId": f"mbid-album-{album_id}",
        "albumType": "Album",
        "releaseDate": iso(EPOCH - timedelta(days=album_id * 30)),
        "monitored": True,
        "images": [],
    }


def _media(product: str, index: int) -> dict[str, Any]:
    """Ids and embedded objects of the index-th item, per product."""
    if product == "Sonarr":
        series_id, season, number = 1 + index % 7, 1 + index // 50 % 5, 1 + index % 50
        ep = episode(series_id, season, number)
        return {
            "seriesId": series_id,
            "episodeId": ep["id"],
            "seasonNumber": season,
            "series": series(series_id),
            "episode": ep,
        }
    if product == "Radarr":
        movie_id = 1 + index
        return {"movieId": movie_id, "movie": movie(movie_id)}
    artist_id, album_id = 1 + index % 5, 1 + index
    return {
        "artistId": artist_id,
        "albumId": album_id,
        "artist": artist(artist_id),
        "album": album(artist_id, album_id),
    }


def _release_title(product: str, index: int, media: dict[str, Any]) -> str:
    if product == "Sonarr":
        ep = media["episode"]
        name = media["series"]["title"].replace(" ", ".")
        return f"{name}.S{ep['seasonNumber']:02d}E{ep['episodeNumber']:02d}.1080p.WEB-DL-GRP"
    if product == "Radarr":
        return f"{media['movie']['title'].replace(' ', '.')}.{media['movie']['year']}.1080p-GRP"
    return f"Artist {media['artistId']} - Album {media['albumId']} (2020) [FLAC]"


def queue_record(product: str, index: int, *, unknown: bool = False) -> dict[str, Any]:
    """One queue record shaped like the spec's QueueResource for `product`.

    Every 7th item is a usenet job (`SABnzbd_nzo_...`), the others torrents with an
    UPPER-case info-hash; every 5th is stuck `importPending` with a status message.
    """
    usenet = index % 7 == 6
    size = 700_000_000 + index * 1_000_003
    left = size // (2 + index % 4)
    media = {} if unknown else _media(product, index)
    stuck = index % 5 == 4
    title = f"Unknown.Release.{index}" if unknown else _release_title(product, index, media)
    record: dict[str, Any] = {
        "id": 1_000_000 + index,
        **media,
        "quality": QUALITIES[product],
        "customFormats": [],
        "customFormatScore": 0,
        "size": float(size),
        "title": title,
        "sizeleft": float(0 if stuck else left),
        "timeleft": timespan(0 if stuck else 60 + index * 97),
        "estimatedCompletionTime": iso(EPOCH + timedelta(seconds=60 + index * 97)),
        "added": iso(EPOCH - timedelta(minutes=index)),
        "status": "completed" if stuck else "downloading",
        "trackedDownloadStatus": "warning" if stuck else "ok",
        "trackedDownloadState": "importPending" if stuck else "downloading",
        "statusMessages": (
            [{"title": title, "messages": ["No files found are eligible for import"]}]
            if stuck
            else []
        ),
        "downloadId": f"SABnzbd_nzo_{index:06x}" if usenet else info_hash(f"{product}-{index}"),
        "protocol": "usenet" if usenet else "torrent",
        "downloadClient": "SABnzbd" if usenet else "qBittorrent",
        "downloadClientHasPostImportCategory": False,
        "indexer": "NZBgeek (Prowlarr)" if usenet else "Nyaa (Prowlarr)",
        "outputPath": f"/downloads/complete/{title}",
    }
    if product == "Sonarr":
        record["languages"] = [{"id": 1, "name": "English"}]
        record["episodeHasFile"] = False
    elif product == "Radarr":
        record["languages"] = [{"id": 1, "name": "English"}]
    else:
        record["downloadForced"] = False
    return record


_IMPORTED = {"Sonarr": "downloadFolderImported", "Radarr": "downloadFolderImported",
             "Lidarr": "trackFileImported"}  # fmt: skip


def history_record(product: str, index: int) -> dict[str, Any]:
    """A HistoryResource: grabs and imports alternating, newest first by index."""
    media = _media(product, index // 2)
    grabbed = index % 2 == 1
    record: dict[str, Any] = {
        "id": 5000 + index,
        **{k: v for k, v in media.items() if k not in ("seasonNumber",)},
        "sourceTitle": _release_title(product, index // 2, media),
        "quality": QUALITIES[product],
        "customFormats": [],
        "customFormatScore": 0,
        "qualityCutoffNotMet": False,
        "date": iso(EPOCH - timedelta(hours=index)),
        "downloadId": info_hash(f"{product}-history-{index // 2}"),
        "eventType": "grabbed" if grabbed else _IMPORTED[product],
        "data": (
            {"indexer": "Nyaa (Prowlarr)", "downloadClient": "qBittorrent", "size": "1000"}
            if grabbed
            else {"droppedPath": "/downloads/x.mkv", "importedPath": "/media/x.mkv"}
        ),
    }
    if product == "Lidarr":
        record["trackId"] = 0
    else:
        record["languages"] = [{"id": 1, "name": "English"}]
    return record


def log_record(index: int) -> dict[str, Any]:
    levels = ("info", "debug", "warn", "error")
    return {
        "id": 900_000 + index,
        "time": iso(EPOCH - timedelta(seconds=index * 30)),
        "level": levels[index % len(levels)],
        "logger": "RssSyncService",
        "message": f"Log line {index}",
        **({"exception": "System.Net.WebException: timeout"} if index % 4 == 3 else {}),
    }


def sample_root_folders(product: str) -> list[dict[str, Any]]:
    """Two root folders; Lidarr's carry names (the same name twice: key by id)."""
    if product == "Lidarr":
        return [
            {
                "id": folder_id,
                "name": "Music",
                "path": path,
                "defaultMetadataProfileId": 1,
                "defaultQualityProfileId": 1,
                "defaultMonitorOption": "all",
                "defaultNewItemMonitorOption": "all",
                "defaultTags": [],
                "accessible": True,
                "freeSpace": free,
                "totalSpace": 4_000_000_000_000,
            }
            for folder_id, path, free in ((1, "/music/", 1_500_000_000_000),
                                          (4, "/music2/", 250_000_000))
        ]  # fmt: skip
    base = "/tv" if product == "Sonarr" else "/movies"
    return [
        {"id": 1, "path": f"{base}/", "accessible": True, "freeSpace": 1_500_000_000_000,
         "unmappedFolders": [{"name": "stray", "path": f"{base}/stray", "relativePath": "stray"}]},
        {"id": 3, "path": f"{base}-4k/", "accessible": False, "freeSpace": 0,
         "unmappedFolders": []},
    ]  # fmt: skip


def health_checks(product: str) -> list[dict[str, Any]]:
    slug = product.lower()
    return [
        {
            "source": "IndexerRssCheck",
            "type": "warning",
            "message": "No indexers available with RSS sync enabled",
            "wikiUrl": f"https://wiki.servarr.com/{slug}/system#no-indexers-available",
        },
        {
            "source": "DownloadClientCheck",
            "type": "error",
            "message": "Unable to communicate with qBittorrent",
            "wikiUrl": f"https://wiki.servarr.com/{slug}/system#download-clients",
        },
    ]


def indexer(indexer_id: int, name: str, *, protocol: str = "torrent") -> dict[str, Any]:
    return {
        "id": indexer_id,
        "name": name,
        "fields": [{"order": 0, "name": "baseUrl", "value": "https://example.invalid/"}],
        "implementationName": "Cardigann" if protocol == "torrent" else "Newznab",
        "implementation": "Cardigann" if protocol == "torrent" else "Newznab",
        "configContract": "CardigannSettings" if protocol == "torrent" else "NewznabSettings",
        "infoLink": f"https://wiki.servarr.com/prowlarr/supported-indexers#{name.lower()}",
        "tags": [],
        "definitionName": name.lower(),
        "enable": indexer_id % 3 != 0,
        "redirect": False,
        "supportsRss": True,
        "supportsSearch": True,
        "supportsRedirect": False,
        "supportsPagination": False,
        "appProfileId": 1,
        "protocol": protocol,
        "privacy": "public" if protocol == "torrent" else "private",
        "priority": 25,
        "downloadClientId": 0,
        "added": iso(EPOCH - timedelta(days=indexer_id)),
        "sortName": name.lower(),
    }


def indexer_statistics(item: dict[str, Any]) -> dict[str, Any]:
    n = int(item["id"])
    return {
        "indexerId": n,
        "indexerName": item["name"],
        "averageResponseTime": 150 + n * 10,
        "averageGrabResponseTime": 300 + n,
        "numberOfQueries": 1000 * n,
        "numberOfGrabs": 10 * n,
        "numberOfRssQueries": 200 * n,
        "numberOfAuthQueries": 0,
        "numberOfFailedQueries": n,
        "numberOfFailedGrabs": n // 2,
        "numberOfFailedRssQueries": 0,
        "numberOfFailedAuthQueries": 0,
    }


# ---- the state ------------------------------------------------------------------------------


@dataclass
class FakeArrState:
    product: Product = "Sonarr"
    version: str = ""
    api_key: str = DEFAULT_KEY
    instance_name: str | None = None
    health: list[dict[str, Any]] = field(default_factory=list)
    root_folders: list[dict[str, Any]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    indexers: list[dict[str, Any]] = field(default_factory=list)
    indexer_stats: list[dict[str, Any]] = field(default_factory=list)
    #: `GET /tag`: `[{"id": 1, "label": "alice"}]`; media carry tag ids in their `tags`.
    tags: list[dict[str, Any]] = field(default_factory=list)
    #: The library (series/episodes, movies, artists/albums), owned by `servarr_library.py`.
    library: dict[str, Any] = field(default_factory=dict)
    #: Calendar, lookup, profiles, exclusions, owned by `servarr_catalog.py`.
    catalog: dict[str, Any] = field(default_factory=dict)
    #: Polls of GET /command/{id} before a command ends.
    command_polls: int = 2
    #: Command names that end `failed`.
    failing_commands: set[str] = field(default_factory=set)
    #: Started commands by id, as the fake tracks them.
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: DELETE /queue/{id} calls: `{"id": ..., "removeFromClient": ..., ...}` as sent.
    removed: list[dict[str, Any]] = field(default_factory=list)
    # faults
    fail_with: int | None = None
    fail_times: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    garbage: bool = False
    truncate: bool = False
    replies: dict[str, Any] = field(default_factory=dict)
    sonarr_page_limit: int = SONARR_QUEUE_PAGE_LIMIT
    _polls: dict[int, int] = field(default_factory=dict, repr=False)
    _next_id: int = field(default=1, repr=False)
    _released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        if not self.version:
            self.version = VERSIONS[self.product]

    @property
    def api_root(self) -> str:
        return API_ROOTS[self.product]

    @property
    def is_arr(self) -> bool:
        return self.product != "Prowlarr"

    def fill_queue(self, count: int, *, unknown: int = 0) -> None:
        """`count` records (plus `unknown` ones matching no media)."""
        self.queue = [queue_record(self.product, i) for i in range(count)] + [
            queue_record(self.product, count + i, unknown=True) for i in range(unknown)
        ]

    async def pause(self, seconds: float) -> None:
        """Wait `seconds`, or until the app shuts down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._released.wait(), seconds)

    def status(self) -> dict[str, Any]:
        slug = self.product.lower()
        return {
            "appName": self.product,
            "instanceName": self.instance_name or self.product,
            "version": self.version,
            "buildTime": iso(EPOCH - timedelta(days=30)),
            "isDebug": False,
            "isProduction": True,
            "isAdmin": False,
            "isUserInteractive": False,
            "startupPath": f"/app/{slug}/bin",
            "appData": "/config",
            "osName": "debian",
            "osVersion": "12",
            "isNetCore": True,
            "isLinux": True,
            "isOsx": False,
            "isWindows": False,
            "isDocker": True,
            "mode": "console",
            "branch": "main",
            "authentication": "forms",
            "migrationVersion": 215,
            "urlBase": "",
            "runtimeVersion": "8.0.12",
            "runtimeName": ".NET",
            "startTime": iso(EPOCH - timedelta(hours=5)),
            "packageVersion": f"{self.version}-ls1",
            "packageAuthor": "[linuxserver.io](https://linuxserver.io)",
            "packageUpdateMechanism": "docker",
            "databaseType": "sqLite",
            "databaseVersion": "3.45.1",
        }


def sample_state(product: Product = "Sonarr", *, queue: int = 5, **overrides: Any) -> FakeArrState:
    """A populated state: health warnings, root folders, a queue, history, logs, indexers."""
    state = FakeArrState(product=product, **overrides)
    state.health = health_checks(product)
    state.logs = [log_record(i) for i in range(30)]
    if product == "Prowlarr":
        state.indexers = [
            indexer(1, "Nyaa"),
            indexer(2, "NZBgeek", protocol="usenet"),
            indexer(3, "1337x"),
        ]
        state.indexer_stats = [indexer_statistics(i) for i in state.indexers]
    else:
        state.root_folders = sample_root_folders(product)
        state.fill_queue(queue)
        state.history = [history_record(product, i) for i in range(12)]
    return state


# ---- the app --------------------------------------------------------------------------------

STATE: web.AppKey[FakeArrState] = web.AppKey("fake_arr_state", FakeArrState)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").lower() in ("true", "1")


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise _error(400, f"'{name}' must be an integer") from None


def _error(status: int, message: str) -> web.HTTPException:
    """Servarr's error body: `{message, description}`."""
    cls = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}.get(status, web.HTTPInternalServerError)
    return cls(
        text=json.dumps({"message": message, "description": message}),
        content_type="application/json",
    )


def span_seconds(value: str) -> int:
    """Seconds of a .NET time span (`[d.]hh:mm:ss[.fffffff]`)."""
    head, _, rest = value.partition(":")
    days = 0
    if "." in head:
        day_text, _, head = head.partition(".")
        days = int(day_text)
    clock = f"{head}:{rest}".split(".")[0]
    hours, minutes, seconds = (int(x) for x in clock.split(":"))
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _dig(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if dotted == "timeleft" and isinstance(value, str):
        return span_seconds(value)
    return value


def _paged(request: web.Request, records: list[dict[str, Any]], default_key: str) -> dict[str, Any]:
    page = max(1, _int(request, "page", 1))
    size = _int(request, "pageSize", 10)
    sort_key = request.query.get("sortKey", default_key)
    direction = request.query.get("sortDirection", "default")
    if direction not in ("default", "ascending", "descending"):
        raise _error(400, f"unknown sortDirection {direction!r}")
    present = [r for r in records if _dig(r, sort_key) is not None]
    absent = [r for r in records if _dig(r, sort_key) is None]
    present.sort(key=lambda r: _dig(r, sort_key), reverse=direction == "descending")
    ordered = present + absent
    start = (page - 1) * size
    return {
        "page": page,
        "pageSize": size,
        "sortKey": sort_key,
        "sortDirection": direction,
        "totalRecords": len(records),
        "records": ordered[start : start + size],
    }


_EMBEDS = {
    "includeSeries": "series",
    "includeEpisode": "episode",
    "includeMovie": "movie",
    "includeArtist": "artist",
    "includeAlbum": "album",
}


def _shown(request: web.Request, record: dict[str, Any]) -> dict[str, Any]:
    """The record as the reply shows it: embedded objects only when asked for."""
    hidden = {key for flag, key in _EMBEDS.items() if not _flag(request, flag)}
    return {k: v for k, v in record.items() if k not in hidden and v is not None}


_MEDIA_IDS = {"Sonarr": "seriesId", "Radarr": "movieId", "Lidarr": "artistId"}
_UNKNOWN_FLAG = {
    "Sonarr": "includeUnknownSeriesItems",
    "Radarr": "includeUnknownMovieItems",
    "Lidarr": "includeUnknownArtistItems",
}


async def _system_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].status())


async def _health(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].health)


async def _log(request: web.Request) -> web.Response:
    state = request.app[STATE]
    level = request.query.get("level")
    records = [r for r in state.logs if level in (None, r.get("level"))]
    return web.json_response(_paged(request, records, "time"))


async def _rootfolder(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].root_folders)


async def _queue(request: web.Request) -> web.Response:
    state = request.app[STATE]
    id_key = _MEDIA_IDS[state.product]
    unknown = _flag(request, _UNKNOWN_FLAG[state.product])
    visible = [r for r in state.queue if unknown or r.get(id_key) is not None]
    size = _int(request, "pageSize", 10)
    if state.product == "Sonarr" and size > state.sonarr_page_limit < len(visible):
        # What big Sonarr installs do with large pages (FACTS.md): fail.
        raise _error(500, "Sequence contains no elements")
    page = _paged(request, visible, "timeleft")
    page["records"] = [_shown(request, r) for r in page["records"]]
    return web.json_response(page)


async def _queue_delete(request: web.Request) -> web.Response:
    state = request.app[STATE]
    queue_id = int(request.match_info["id"])
    for record in state.queue:
        if record["id"] == queue_id:
            state.queue.remove(record)
            state.removed.append({"id": queue_id, **dict(request.query)})
            return web.Response(status=200)
    raise _error(404, "NotFound")


async def _history(request: web.Request) -> web.Response:
    state = request.app[STATE]
    page = _paged(request, state.history, "date")
    page["records"] = [_shown(request, r) for r in page["records"]]
    return web.json_response(page)


async def _history_since(request: web.Request) -> web.Response:
    state = request.app[STATE]
    raw = request.query.get("date")
    if not raw:
        raise _error(400, "date is required")
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _error(400, f"not a date: {raw}") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    records = [
        _shown(request, r)
        for r in state.history
        if datetime.fromisoformat(r["date"].replace("Z", "+00:00")) >= since
    ]
    return web.json_response(records)


def _spaced(name: str) -> str:
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(name))


async def _command_start(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        body = await request.json()
    except ValueError:
        raise _error(400, "body is not JSON") from None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        raise _error(400, "Command name is required")
    command_id = state._next_id
    state._next_id += 1
    now = iso(datetime.now(UTC))
    command = {
        "id": command_id,
        "name": name,
        "commandName": _spaced(name),
        "body": {
            **{k: v for k, v in body.items() if k != "name"},
            "sendUpdatesToClient": True,
            "updateScheduledTask": True,
            "completionMessage": "Completed",
            "requiresDiskAccess": False,
            "isExclusive": False,
            "isLongRunning": False,
            "name": name,
            "trigger": "manual",
            "suppressMessages": False,
        },
        "priority": "normal",
        "status": "queued",
        "queued": now,
        "trigger": "manual",
        "stateChangeTime": now,
        "sendUpdatesToClient": True,
        "updateScheduledTask": True,
    }
    state.commands[command_id] = command
    state._polls[command_id] = 0
    return web.json_response(command, status=201)


def _advance(state: FakeArrState, command: dict[str, Any]) -> None:
    polls = state._polls[command["id"]] = state._polls.get(command["id"], 0) + 1
    now = iso(datetime.now(UTC))
    if command["status"] in ("completed", "failed"):
        return
    command["started"] = command.get("started", now)
    command["stateChangeTime"] = now
    if polls < state.command_polls:
        command["status"] = "started"
        return
    failed = command["name"] in state.failing_commands
    command["status"] = "failed" if failed else "completed"
    command["result"] = "unsuccessful" if failed else "successful"
    command["message"] = "Failed: the indexer timed out" if failed else "Completed"
    command["ended"] = now
    command["duration"] = "00:00:01.2345670"
    if failed:
        command["exception"] = "System.Net.WebException: The operation has timed out."


async def _command_get(request: web.Request) -> web.Response:
    state = request.app[STATE]
    command = state.commands.get(int(request.match_info["id"]))
    if command is None:
        raise _error(404, "NotFound")
    _advance(state, command)
    return web.json_response(command)


async def _tag(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].tags)


async def _command_list(request: web.Request) -> web.Response:
    return web.json_response(list(request.app[STATE].commands.values()))


async def _indexer(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].indexers)


async def _indexerstats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response(
        {
            "id": 1,
            "indexers": state.indexer_stats,
            "userAgents": [
                {"userAgent": "Sonarr/4.0.14.2939", "numberOfQueries": 1200, "numberOfGrabs": 30}
            ],
            "hosts": [{"host": "sonarr", "numberOfQueries": 1200, "numberOfGrabs": 30}],
        }
    )


async def _truncated(request: web.Request, body: bytes) -> web.StreamResponse:
    """Promise the whole body, send half of it, drop the connection."""
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.content_length = len(body)
    await resp.prepare(request)
    await resp.write(body[: max(1, len(body) // 2)])
    if request.transport is not None:
        request.transport.close()
    return resp


Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def fault_middleware(
    state_of: Callable[[web.Request], Any], authorized: Callable[[web.Request], bool]
) -> Middleware:
    """The fault switches shared by the fakes (`tests.fakes.bazarr` uses it too)."""

    @web.middleware
    async def faults(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        state = state_of(request)
        if state.delay:
            await state.pause(state.delay)
        if state.fail_with and (state.fail_times is None or state.fail_times > 0):
            if state.fail_times is not None:
                state.fail_times -= 1
            headers = {"Retry-After": state.retry_after} if state.retry_after else {}
            return web.json_response(
                {"message": "Simulated failure", "description": "fail_with"},
                status=state.fail_with,
                headers=headers,
            )
        if state.garbage:
            return web.Response(text=GARBAGE, content_type="text/html")
        if not authorized(request):
            return web.Response(status=401)
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        root = getattr(state, "api_root", "/api")
        key = template.removeprefix(root).lstrip("/")
        if key in state.replies:
            status = 201 if request.method == "POST" else 200
            resp: web.StreamResponse = web.json_response(state.replies[key], status=status)
        else:
            resp = await handler(request)
        if state.truncate and isinstance(resp, web.Response) and resp.body:
            return await _truncated(request, bytes(resp.body))  # type: ignore[arg-type]
        return resp

    return faults


def _servarr_key_ok(request: web.Request) -> bool:
    state = request.app[STATE]
    given = request.headers.get("X-Api-Key") or request.query.get("apikey")
    return given == state.api_key


async def _wake(app: web.Application) -> None:
    app[STATE]._released.set()  # wake delayed handlers at shutdown


async def _arm(app: web.Application) -> None:
    app[STATE]._released = asyncio.Event()


def make_arr_app(state: FakeArrState) -> web.Application:
    """The fake for `state.product`, recording every request in `app[RECORDER]`."""
    app = recording_app()
    app[STATE] = state
    app.middlewares.append(fault_middleware(lambda r: r.app[STATE], _servarr_key_ok))
    app.on_startup.append(_arm)
    app.on_shutdown.append(_wake)
    root = state.api_root
    app.router.add_get(f"{root}/system/status", _system_status, allow_head=False)
    app.router.add_get(f"{root}/health", _health, allow_head=False)
    app.router.add_get(f"{root}/log", _log, allow_head=False)
    app.router.add_post(f"{root}/command", _command_start)
    app.router.add_get(f"{root}/command", _command_list, allow_head=False)
    app.router.add_get(f"{root}/command/{{id:\\d+}}", _command_get, allow_head=False)
    app.router.add_get(f"{root}/tag", _tag, allow_head=False)
    if state.is_arr:
        app.router.add_get(f"{root}/rootfolder", _rootfolder, allow_head=False)
        app.router.add_get(f"{root}/queue", _queue, allow_head=False)
        app.router.add_delete(f"{root}/queue/{{id:\\d+}}", _queue_delete)
        app.router.add_get(f"{root}/history", _history, allow_head=False)
        app.router.add_get(f"{root}/history/since", _history_since, allow_head=False)
        add_library_routes(app, state)
        add_catalog_routes(app, state)
    else:
        app.router.add_get(f"{root}/indexer", _indexer, allow_head=False)
        app.router.add_get(f"{root}/indexerstats", _indexerstats, allow_head=False)
    return app


__all__ = [
    "API_ROOTS",
    "DEFAULT_KEY",
    "RECORDER",
    "FakeArrState",
    "make_arr_app",
    "queue_record",
    "sample_state",
]
