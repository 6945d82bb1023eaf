"""Reading a Servarr library: movies (Radarr), series and episodes (Sonarr), artists and
albums (Lidarr), streamed so a 100k-title library never sits in memory at once.

- Top-level lists (`/movie`, `/series`, `/artist`, `/album`) are one JSON array each,
  hundreds of MB on a big install: they are parsed element by element
  (`jsonstream.stream_json_array`) and each element is mapped and handed on at once.
- Episodes come per series (`/episode?seriesId=N&includeEpisodeFile=true`: Sonarr's
  controller refuses a call without `seriesId`/`episodeIds`/`episodeFileId`, whatever the
  spec's `required: false` suggests) with a sliding window of requests in flight, yielded
  series by series in the order asked. These bulk reads are paced by the window and the
  instance's concurrency limit, not by its polling rate (`resilience.bulk_reads`): 10k
  series at 10 requests/s would take 17 minutes. A series' `episodes_signature` (its
  statistics, per-season statistics, airings, last info sync) tells the cache whose
  episodes can have changed, so a refresh re-reads only those.
- 500k episodes are mapped without pydantic (`episode_child_fast`: type checks by hand,
  the record built with `model_construct`); an element of an unexpected shape goes
  through `RawEpisode` as before, so odd replies behave exactly as they did.
- Tag ids become labels through one `GET /tag` per fetch.
- Counts come from the upstream's own statistics (Sonarr v3 before 3.0.4 put them on
  the series itself, later ones in `statistics`): a series' `missing_count` is
  `episodeCount - episodeFileCount` (monitored aired episodes without a file), an
  artist's counts are tracks as Lidarr reports them; the library cache recomputes
  per-child numbers from the children.
- A record without an `id` (trimmed payloads) is skipped; a record of the wrong shape
  fails the whole read with `BadResponse`, like any other reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from arrhub.adapters.base import LIBRARY_MAX_REPLY, UpstreamModel
from arrhub.adapters.errors import NotFoundUpstream
from arrhub.adapters.jsonstream import stream_json_array
from arrhub.adapters.resilience import bulk_reads
from arrhub.adapters.servarr import ServarrAdapter, ServarrPage, real_date
from arrhub.models.library import ChildRecord, LibraryKind, LibraryRecord
from arrhub.models.upstream import utc

LOGGER = logging.getLogger(__name__)

#: Per-series episode requests in flight at once (the instance's own concurrency limit
#: still applies underneath).
EPISODE_WINDOW = 8
#: `wanted/cutoff` page size: the wanted endpoints page fine at this size (only the
#: queue has Sonarr's ~200 limit).
CUTOFF_PAGE_SIZE = 500
CUTOFF_MAX_PAGES = 2000
#: How long the series ids of a full `library_records()` pass may stand in for a new
#: `/series` read when `library_children()` follows it.
SERIES_IDS_TTL = 600.0


# ---- raw replies ------------------------------------------------------------------------


class _Raw(UpstreamModel):
    """Fields every top-level Servarr resource shares."""

    id: int | None = None
    sort_title: str | None = None
    year: int | None = None
    status: str | None = None
    monitored: bool = False
    quality_profile_id: int | None = None
    genres: list[str] = Field(default_factory=list)
    tags: list[int] = Field(default_factory=list)
    ratings: dict[str, Any] | None = None
    added: datetime | None = None
    overview: str | None = None
    images: list[dict[str, Any]] | None = None
    remote_poster: str | None = None
    path: str | None = None
    statistics: dict[str, Any] | None = None

    @field_validator("genres", "tags", mode="before")
    @classmethod
    def _no_null_lists(cls, value: Any) -> Any:
        return [] if value is None else value


class RawMovie(_Raw):
    title: str | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    has_file: bool = False
    is_available: bool | None = None
    size_on_disk: float | None = None
    movie_file: dict[str, Any] | None = None
    in_cinemas: datetime | None = None
    digital_release: datetime | None = None
    physical_release: datetime | None = None


class RawSeries(_Raw):
    title: str | None = None
    tvdb_id: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    # Sonarr v3 before 3.0.4 had the statistics on the series itself.
    episode_count: int | None = None
    episode_file_count: int | None = None
    total_episode_count: int | None = None
    size_on_disk: float | None = None


class RawArtist(_Raw):
    artist_name: str | None = None
    sort_name: str | None = None
    foreign_artist_id: str | None = None


class RawEpisode(UpstreamModel):
    id: int | None = None
    series_id: int | None = None
    season_number: int | None = None
    episode_number: int | None = None
    title: str | None = None
    air_date_utc: datetime | None = None
    monitored: bool = False
    has_file: bool = False
    episode_file: dict[str, Any] | None = None


class RawAlbum(UpstreamModel):
    id: int | None = None
    artist_id: int | None = None
    title: str | None = None
    release_date: datetime | None = None
    monitored: bool = False
    statistics: dict[str, Any] | None = None


# ---- mapping helpers ------------------------------------------------------------------------


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, round(float(value)))


def _score(rating: Mapping[str, Any]) -> float | None:
    value = rating.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value <= 10 else None  # 0 = not rated; >10 is not 0..10


def rating_of(ratings: Mapping[str, Any] | None) -> float | None:
    """0..10: Radarr v4+ `{tmdb: {value}, imdb: {value}, ...}` (TMDb first), else the
    flat `{votes, value}` of Sonarr, Lidarr and older Radarr."""
    if not ratings:
        return None
    for source in ("tmdb", "imdb", "trakt"):
        child = ratings.get(source)
        if isinstance(child, Mapping) and (score := _score(child)) is not None:
            return score
    return _score(ratings)


def poster_of(raw: _Raw | RawAlbum, kinds: tuple[str, ...] = ("poster",)) -> str | None:
    """The poster's public URL; the *arr's own `/MediaCover/...` paths are not public."""
    images = getattr(raw, "images", None) or []
    for image in images:
        if str(image.get("coverType", "")).lower() not in kinds:
            continue
        for key in ("remoteUrl", "url"):
            url = image.get(key)
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return url
    remote = getattr(raw, "remote_poster", None)
    return remote if isinstance(remote, str) and remote.startswith("http") else None


def _quality_name(file: Mapping[str, Any] | None) -> str | None:
    quality = (file or {}).get("quality")
    inner = quality.get("quality") if isinstance(quality, Mapping) else None
    name = inner.get("name") if isinstance(inner, Mapping) else None
    return name if isinstance(name, str) and name else None


def _labels(ids: list[int], labels: Mapping[int, str]) -> list[str]:
    return sorted({labels[tag] for tag in ids if tag in labels})


def _common(raw: _Raw, labels: Mapping[int, str]) -> dict[str, Any]:
    return {
        "upstream_id": raw.id,
        "sort_title": raw.sort_title or None,
        "year": raw.year or None,
        "status": raw.status or None,
        "monitored": raw.monitored,
        "quality_profile_id": raw.quality_profile_id,
        "genres": [genre for genre in raw.genres if genre],
        "tags": _labels(raw.tags, labels),
        "rating": rating_of(raw.ratings),
        "added": real_date(raw.added),
        "overview": raw.overview or None,
        "path": raw.path or None,
    }


def movie_record(raw: RawMovie, labels: Mapping[int, str]) -> LibraryRecord:
    file = raw.movie_file if raw.has_file else None
    released = raw.is_available if raw.is_available is not None else raw.status == "released"
    size = raw.size_on_disk if raw.size_on_disk else (file or {}).get("size")
    return LibraryRecord(
        type="movie",
        title=raw.title or "",
        **_common(raw, labels),
        quality=_quality_name(file),
        size_on_disk=_count(size),
        has_file=raw.has_file,
        file_count=1 if raw.has_file else 0,
        missing_count=1 if raw.monitored and released and not raw.has_file else 0,
        cutoff_unmet=bool((file or {}).get("qualityCutoffNotMet")),
        tmdb_id=raw.tmdb_id or None,
        imdb_id=raw.imdb_id or None,
        poster_url=poster_of(raw),
        in_cinemas=real_date(raw.in_cinemas),
        digital_release=real_date(raw.digital_release),
        physical_release=real_date(raw.physical_release),
    )


def series_record(raw: RawSeries, labels: Mapping[int, str]) -> LibraryRecord:
    stats = raw.statistics or {}
    aired = _count(stats.get("episodeCount", raw.episode_count))
    files = _count(stats.get("episodeFileCount", raw.episode_file_count))
    return LibraryRecord(
        type="series",
        title=raw.title or "",
        **_common(raw, labels),
        size_on_disk=_count(stats.get("sizeOnDisk", raw.size_on_disk)),
        has_file=files > 0,
        child_count=_count(stats.get("totalEpisodeCount", raw.total_episode_count)),
        file_count=files,
        missing_count=max(0, aired - files),
        tvdb_id=raw.tvdb_id or None,
        tmdb_id=raw.tmdb_id or None,
        imdb_id=raw.imdb_id or None,
        poster_url=poster_of(raw),
    )


def artist_record(raw: RawArtist, labels: Mapping[int, str]) -> LibraryRecord:
    stats = raw.statistics or {}
    tracks, files = _count(stats.get("trackCount")), _count(stats.get("trackFileCount"))
    return LibraryRecord(
        type="artist",
        title=raw.artist_name or "",
        **{**_common(raw, labels), "sort_title": raw.sort_name or None},
        size_on_disk=_count(stats.get("sizeOnDisk")),
        has_file=files > 0,
        child_count=_count(stats.get("albumCount")),
        file_count=files,
        missing_count=max(0, tracks - files),
        musicbrainz_id=raw.foreign_artist_id or None,
        poster_url=poster_of(raw),
    )


def episode_child(raw: RawEpisode, series_id: int | None = None) -> ChildRecord | None:
    parent = raw.series_id if raw.series_id is not None else series_id
    if raw.id is None or parent is None:
        return None
    file = raw.episode_file if raw.has_file else None
    return ChildRecord(
        type="episode",
        upstream_id=raw.id,
        parent_upstream_id=parent,
        season_number=raw.season_number,
        episode_number=raw.episode_number,
        title=raw.title or None,
        air_date=real_date(raw.air_date_utc),
        monitored=raw.monitored,
        has_file=raw.has_file,
        quality=_quality_name(file),
        size_on_disk=_count((file or {}).get("size")),
        cutoff_unmet=bool((file or {}).get("qualityCutoffNotMet")),
    )


class _Unusual(Exception):
    """An episode element the fast path does not handle: pydantic takes it instead."""


def _opt_int(value: Any) -> int | None:
    if value is None or (type(value) is int):
        return value
    raise _Unusual


def _opt_str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _Unusual


def _flag(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _Unusual


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _Unusual
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Unusual from None
    return real_date(utc(parsed))


_CHILD_FIELDS = frozenset(ChildRecord.model_fields)


def _trusted_child(**values: Any) -> ChildRecord:
    """A ChildRecord from values already checked, every field given: what
    `model_construct` does without its per-field default handling (13 us -> 1.5 us a
    record, which is 6 s over 500k episodes)."""
    record = ChildRecord.__new__(ChildRecord)
    object.__setattr__(record, "__dict__", values)
    object.__setattr__(record, "__pydantic_fields_set__", set(_CHILD_FIELDS))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def episode_child_fast(data: Any, series_id: int | None = None) -> ChildRecord | None:
    """`episode_child(RawEpisode(data))` for the usual shape, 5x faster; raises `_Unusual`
    for anything else (wrong types, odd dates) so the caller can fall back."""
    if type(data) is not dict:
        raise _Unusual
    get = data.get
    upstream_id = _opt_int(get("id"))
    parent = _opt_int(get("seriesId"))
    parent = parent if parent is not None else series_id
    if upstream_id is None or parent is None:
        return None
    has_file = _flag(get("hasFile", False))
    file = get("episodeFile") if has_file else None
    if file is not None and type(file) is not dict:
        raise _Unusual
    size = _count((file or {}).get("size"))
    return _trusted_child(
        type="episode",
        upstream_id=upstream_id,
        parent_upstream_id=parent,
        season_number=_opt_int(get("seasonNumber")),
        episode_number=_opt_int(get("episodeNumber")),
        title=_opt_str(get("title")) or None,
        air_date=_moment(get("airDateUtc")),
        monitored=_flag(get("monitored", False)),
        has_file=has_file,
        quality=_quality_name(file),
        size_on_disk=size,
        cutoff_unmet=bool((file or {}).get("qualityCutoffNotMet")),
    )


def episodes_signature(data: Mapping[str, Any]) -> int:
    """A digest of what a series says about its episodes: when it is unchanged since the
    cached episodes were read, they are not read again. Statistics move with files,
    monitoring and airings; `lastInfoSync` with metadata (titles, air dates); the seasons'
    own statistics and `monitored` with season-level changes."""
    seasons = data.get("seasons")
    parts = [
        data.get(key)
        for key in ("statistics", "previousAiring", "nextAiring", "lastInfoSync",
                    "episodeCount", "episodeFileCount", "totalEpisodeCount", "sizeOnDisk",
                    "monitored")
    ]  # fmt: skip
    if isinstance(seasons, list):
        parts.append(
            [
                [s.get("seasonNumber"), s.get("monitored"), s.get("statistics")]
                for s in seasons
                if isinstance(s, Mapping)
            ]
        )
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    raw = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def album_child(raw: RawAlbum, cutoff_unmet: set[int] | frozenset[int]) -> ChildRecord | None:
    if raw.id is None or raw.artist_id is None:
        return None
    stats = raw.statistics or {}
    return ChildRecord(
        type="album",
        upstream_id=raw.id,
        parent_upstream_id=raw.artist_id,
        title=raw.title or None,
        air_date=real_date(raw.release_date),
        monitored=raw.monitored,
        has_file=_count(stats.get("trackFileCount")) > 0,
        size_on_disk=_count(stats.get("sizeOnDisk")),
        cutoff_unmet=raw.id in cutoff_unmet,
    )


# ---- the adapters ------------------------------------------------------------------------


class _ServarrLibrary(ServarrAdapter):
    """What the three share: streamed lists, one-item reads, the cutoff list."""

    #: The list endpoint of the top-level titles (`movie`, `series`, `artist`).
    library_path: ClassVar[str]

    def _map(self, data: Any, labels: Mapping[int, str]) -> LibraryRecord | None:
        raise NotImplementedError

    async def _stream(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        async for item in stream_json_array(
            self,
            self.api(path),
            params=params,
            timeout=self.library_timeout,
            max_bytes=LIBRARY_MAX_REPLY,
        ):
            yield item

    async def library_records(self) -> AsyncIterator[LibraryRecord]:
        labels = await self.tag_labels()
        skipped = 0
        async for data in self._stream(self.library_path):
            record = self._map(data, labels)
            if record is None:
                skipped += 1
                continue
            yield record
        if skipped:
            LOGGER.warning(
                "%s: %d %s records without an id skipped", self.label, skipped, self.library_kind
            )

    async def library_record(self, upstream_id: int) -> LibraryRecord | None:
        try:
            data = await self.api_get(
                f"{self.library_path}/{int(upstream_id)}", timeout=self.library_timeout
            )
        except NotFoundUpstream:
            return None
        return self._map(data, await self.tag_labels())

    async def cutoff_unmet_ids(self) -> set[int]:
        """`wanted/cutoff`, every page: ids of the episodes / movies / albums listed."""
        ids: set[int] = set()
        with bulk_reads():  # one page after the other: paced by the replies themselves
            await self._cutoff_pages(ids)
        return ids

    async def _cutoff_pages(self, ids: set[int]) -> None:
        for page in range(1, CUTOFF_MAX_PAGES + 1):
            raw: ServarrPage = self.parse(
                ServarrPage,
                await self.api_get(
                    "wanted/cutoff",
                    {"page": page, "pageSize": CUTOFF_PAGE_SIZE},
                    timeout=self.library_timeout,
                    max_bytes=LIBRARY_MAX_REPLY,
                ),
            )
            ids.update(r["id"] for r in raw.records if isinstance(r.get("id"), int))
            if not raw.records or page * CUTOFF_PAGE_SIZE >= raw.total_records:
                break


class SonarrLibrary(_ServarrLibrary):
    """Series and their episodes."""

    library_kind: ClassVar[LibraryKind] = "series"
    library_path: ClassVar[str] = "series"
    _series_ids: tuple[float, list[int]] | None = None
    _signatures: dict[int, int] | None = None
    _building: dict[int, int] | None = None

    def _map(self, data: Any, labels: Mapping[int, str]) -> LibraryRecord | None:
        raw: RawSeries = self.parse(RawSeries, data)
        if raw.id is None:
            return None
        if self._building is not None and isinstance(data, Mapping):
            self._building[raw.id] = episodes_signature(data)
        return series_record(raw, labels)

    async def library_records(self) -> AsyncIterator[LibraryRecord]:
        ids: list[int] = []
        self._building, self._signatures = {}, None
        try:
            async for record in super().library_records():
                ids.append(record.upstream_id)
                yield record
            # A complete pass: library_children() may use these instead of reading
            # /series again, and the cache may compare the signatures.
            self._series_ids = (time.monotonic(), ids)
            self._signatures = self._building
        finally:
            self._building = None

    def children_signatures(self) -> dict[int, int] | None:
        """`episodes_signature` of every series of the last complete `library_records()`
        pass (None before one): the cache re-reads the episodes of series whose
        signature differs from the one stored with their cached episodes."""
        return self._signatures

    async def library_children(
        self, parent_upstream_id: int | None = None
    ) -> AsyncIterator[ChildRecord]:
        if parent_upstream_id is not None:
            for child in await self._episodes(parent_upstream_id):
                yield child
            return
        async for child in self._all_episodes(await self._all_series_ids()):
            yield child

    async def library_children_of(self, parent_ids: list[int]) -> AsyncIterator[ChildRecord]:
        """The episodes of just these series, in this order (the window applies)."""
        async for child in self._all_episodes(parent_ids):
            yield child

    async def _all_series_ids(self) -> list[int]:
        known = self._series_ids
        if known is not None and time.monotonic() - known[0] < SERIES_IDS_TTL:
            return known[1]
        ids = []
        async for data in self._stream("series"):
            if isinstance(data, Mapping) and isinstance(data.get("id"), int):
                ids.append(data["id"])
        return ids

    async def _all_episodes(self, series_ids: list[int]) -> AsyncIterator[ChildRecord]:
        """Episodes of every series, `EPISODE_WINDOW` requests ahead, in series order."""
        pending: deque[asyncio.Task[list[ChildRecord]]] = deque()
        queued = iter(series_ids)
        try:
            while True:
                while len(pending) < EPISODE_WINDOW:
                    series_id = next(queued, None)
                    if series_id is None:
                        break
                    pending.append(asyncio.create_task(self._bulk_episodes(series_id)))
                if not pending:
                    return
                for child in await pending.popleft():
                    yield child
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _bulk_episodes(self, series_id: int) -> list[ChildRecord]:
        # Each task has its own copy of the context: the flag stays inside this read.
        with bulk_reads():
            return await self._episodes(series_id)

    async def _episodes(self, series_id: int) -> list[ChildRecord]:
        """One series' episodes; none when the series is gone (deleted meanwhile)."""
        try:
            data = await self.api_get(
                "episode",
                {"seriesId": int(series_id), "includeEpisodeFile": True},
                timeout=self.library_timeout,
                max_bytes=LIBRARY_MAX_REPLY,
            )
        except NotFoundUpstream:
            return []
        if not isinstance(data, list):
            self.parse(list[RawEpisode], data)  # raises BadResponse with the usual message
            return []
        children: list[ChildRecord] = []
        for element in data:
            try:
                child = episode_child_fast(element, series_id)
            except _Unusual:
                child = episode_child(self.parse(RawEpisode, element), series_id)
            if child is not None:
                children.append(child)
        return children


class RadarrLibrary(_ServarrLibrary):
    """Movies (no children)."""

    library_kind: ClassVar[LibraryKind] = "movie"
    library_path: ClassVar[str] = "movie"

    def _map(self, data: Any, labels: Mapping[int, str]) -> LibraryRecord | None:
        raw: RawMovie = self.parse(RawMovie, data)
        return movie_record(raw, labels) if raw.id is not None else None

    async def library_children(
        self, parent_upstream_id: int | None = None
    ) -> AsyncIterator[ChildRecord]:
        return
        yield  # an async generator that yields nothing: movies have no children


class LidarrLibrary(_ServarrLibrary):
    """Artists and their albums."""

    library_kind: ClassVar[LibraryKind] = "artist"
    library_path: ClassVar[str] = "artist"

    def _map(self, data: Any, labels: Mapping[int, str]) -> LibraryRecord | None:
        raw: RawArtist = self.parse(RawArtist, data)
        return artist_record(raw, labels) if raw.id is not None else None

    async def library_children(
        self, parent_upstream_id: int | None = None
    ) -> AsyncIterator[ChildRecord]:
        """Albums (all in one streamed `/album`, or `?artistId=`), with `cutoff_unmet`
        from `wanted/cutoff` since albums carry no file quality."""
        cutoff = await self.cutoff_unmet_ids()
        params = None if parent_upstream_id is None else {"artistId": int(parent_upstream_id)}
        async for data in self._stream("album", params):
            raw: RawAlbum = self.parse(RawAlbum, data)
            child = album_child(raw, cutoff)
            if child is not None:
                yield child
