"""Calendar, lookup, add and delete at a Servarr media manager, with its profiles and
import exclusions: what a user does to the catalog rather than what the hub caches.

The three products differ in names more than in behaviour, so `_ServarrCatalog` holds
the flow and each product class only says what its resources are called:
- calendar: Sonarr lists episodes (`includeSeries` embeds the series), Radarr movies
  (each of `inCinemas`, `digitalRelease`, `physicalRelease` in range is one release),
  Lidarr albums (`includeArtist` embeds the artist);
- lookup terms `tvdb:<id>`, `tmdb:<id>`, `lidarr:<mbid>` find one title by external id;
  a result with an `id` > 0 is already in that instance's library;
- an add posts the lookup result back with the user's choices on top, as the *arr UIs
  do; a duplicate answers 400 with `[{propertyName, errorMessage: "This ... has already
  been added", ...}]` (FluentValidation's shape), which becomes 409 here;
- delete's exclusion switch is `addImportListExclusion` (Sonarr, Lidarr) but
  `addImportExclusion` (Radarr), and Radarr's exclusions live at `/exclusions`;
- library actions (search now, rescan, monitor) are commands and the bulk editors, below.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field

from arrhub.adapters.base import LIBRARY_MAX_REPLY, UpstreamModel, gather_all
from arrhub.adapters.errors import NotFoundUpstream
from arrhub.adapters.servarr import ServarrAdapter, ServarrTag, real_date
from arrhub.errors import Conflict, NotFound, ValidationFailed
from arrhub.models.catalog import (
    AddOptions,
    CalendarRecord,
    ExclusionRecord,
    FolderRecord,
    LookupRecord,
    LookupType,
    OptionsRecord,
    ProfileRecord,
)
from arrhub.models.library import LibraryKind, LibraryRecord
from arrhub.models.upstream import CommandStatus, utc

#: The API's monitor names -> Sonarr's `MonitorTypes` (the others use the API's names).
SONARR_MONITOR = {"first_season": "firstSeason", "latest_season": "latestSeason"}
#: FluentValidation codes of "already in the library" (the message may be translated).
DUPLICATE_CODES = frozenset({"SeriesExistsValidator", "MovieExistsValidator",
                             "ArtistExistsValidator"})  # fmt: skip


class AlreadyAdded(Conflict):
    """The *arr says the title is already in its library."""


class UpstreamRejected(ValidationFailed):
    """The *arr refused the add; `errors` carries its own messages."""


# ---- raw replies ----------------------------------------------------------------------------


class _Image(UpstreamModel):
    cover_type: str | None = None
    url: str | None = None
    remote_url: str | None = None


class _Titled(UpstreamModel):
    """The fields series, movies and artists share in lookups, adds and calendars."""

    id: int | None = None
    title: str | None = None
    sort_title: str | None = None
    year: int | None = None
    overview: str | None = None
    status: str | None = None
    monitored: bool = False
    quality_profile_id: int | None = None
    genres: list[str | None] | None = None
    tags: list[int | None] | None = None
    images: list[_Image] | None = None
    remote_poster: str | None = None
    added: datetime | None = None
    path: str | None = None
    runtime: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    ratings: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    # Radarr
    has_file: bool | None = None
    size_on_disk: float | None = None
    in_cinemas: datetime | None = None
    digital_release: datetime | None = None
    physical_release: datetime | None = None
    movie_file: dict[str, Any] | None = None
    # Lidarr
    artist_name: str | None = None
    sort_name: str | None = None
    foreign_artist_id: str | None = None

    @property
    def name(self) -> str:
        return self.title or self.artist_name or ""

    def poster(self) -> str | None:
        for image in self.images or []:
            if (image.cover_type or "").lower() in ("poster", "cover"):
                found = image.remote_url or image.url
                if found:
                    return found
        return self.remote_poster or None

    def real_year(self) -> int | None:
        return self.year if self.year and self.year > 0 else None

    def rating(self) -> float | None:
        ratings = self.ratings or {}
        for key in ("tmdb", "imdb"):  # Radarr: one child per source
            child = ratings.get(key)
            if isinstance(child, dict) and isinstance(child.get("value"), int | float):
                return float(child["value"]) if child.get("votes") else None
        value = ratings.get("value")
        if isinstance(value, int | float) and ratings.get("votes"):
            return float(value)
        return None

    def stat(self, name: str) -> int:
        value = (self.statistics or {}).get(name)
        return int(value) if isinstance(value, int | float) else 0


class _Episode(UpstreamModel):
    id: int
    series_id: int
    season_number: int | None = None
    episode_number: int | None = None
    title: str | None = None
    air_date_utc: datetime | None = None
    runtime: int | None = None
    overview: str | None = None
    has_file: bool = False
    monitored: bool = False
    series: _Titled | None = None


class _Album(UpstreamModel):
    id: int
    artist_id: int
    title: str | None = None
    release_date: datetime | None = None
    overview: str | None = None
    monitored: bool = False
    statistics: dict[str, Any] | None = None
    artist: _Titled | None = None


class _Profile(UpstreamModel):
    id: int
    name: str | None = None


class _Exclusion(UpstreamModel):
    id: int
    # Sonarr
    tvdb_id: int | None = None
    title: str | None = None
    # Radarr
    tmdb_id: int | None = None
    movie_title: str | None = None
    movie_year: int | None = None
    # Lidarr
    foreign_id: str | None = None
    artist_name: str | None = None


class _Failure(UpstreamModel):
    property_name: str | None = None
    error_message: str = ""
    error_code: str | None = None
    severity: str | None = None


class _FailureList(UpstreamModel):
    failures: list[_Failure] = Field(default_factory=list)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(moment: datetime) -> datetime:
    """A release date as its UTC midnight: the *arrs send dates as `T00:00:00Z`."""
    moment = utc(moment) or moment
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _in(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment < end


# ---- the shared flow ------------------------------------------------------------------------


class _ServarrCatalog(ServarrAdapter):
    """Calendar, lookup, pickers, add, delete and exclusions of one media manager."""

    #: The API's lookup type and the library kind of a top-level title.
    lookup_type: ClassVar[LookupType]
    catalog_kind: ClassVar[LibraryKind]
    #: Resource names at the upstream.
    title_resource: ClassVar[str]
    exclusion_resource: ClassVar[str] = "importlistexclusion"
    exclusion_flag: ClassVar[str] = "addImportListExclusion"
    calendar_includes: ClassVar[Mapping[str, bool]] = {}

    # ---- calendar ---------------------------------------------------------------------------

    async def calendar(self, start: datetime, end: datetime) -> list[CalendarRecord]:
        """Every release in `[start, end)`, monitored or not, with the parent's tag labels."""
        data = await self.api_get(
            "calendar",
            {"start": _stamp(start), "end": _stamp(end), "unmonitored": True,
             **self.calendar_includes},
            timeout=self.library_timeout,
        )  # fmt: skip
        if not isinstance(data, list):
            data = []
        records, tag_ids = self._calendar_records(data, start, end)
        labels = await self.tag_labels() if tag_ids else {}
        if not labels:
            return records
        return [
            r.model_copy(update={"tags": tuple(sorted({labels[t] for t in ids if t in labels}))})
            for r, ids in zip(records, tag_ids, strict=True)
        ]

    def _calendar_records(
        self, data: list[Any], start: datetime, end: datetime
    ) -> tuple[list[CalendarRecord], list[list[int]]]:
        raise NotImplementedError

    # ---- lookup and pickers -----------------------------------------------------------------

    async def lookup(self, term: str) -> list[LookupRecord]:
        """The upstream's search (its metadata source): names or `tvdb:`/`tmdb:`/... ids."""
        results = await self._lookup_raw(term)
        return [self._lookup_record(raw, parsed) for raw, parsed in results]

    async def _lookup_raw(self, term: str) -> list[tuple[dict[str, Any], _Titled]]:
        data = await self.api_get(
            f"{self.title_resource}/lookup", {"term": term}, timeout=self.library_timeout
        )
        raws = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
        parsed: list[_Titled] = self.parse(list[_Titled], raws)
        return list(zip(raws, parsed, strict=True))

    def _lookup_record(self, raw: dict[str, Any], item: _Titled) -> LookupRecord:
        return LookupRecord(
            type=self.lookup_type,
            title=item.name,
            year=item.real_year(),
            overview=item.overview or None,
            tmdb_id=item.tmdb_id or None,
            tvdb_id=item.tvdb_id or None,
            imdb_id=item.imdb_id or None,
            musicbrainz_id=item.foreign_artist_id or None,
            poster_url=item.poster(),
            upstream_id=item.id if item.id and item.id > 0 else None,
        )

    async def picker_options(self) -> OptionsRecord:
        """Root folders and profiles, for the add dialog's pickers."""
        folders, profiles, metadata = await gather_all(
            self.root_folders(), self._profiles("qualityprofile"), self._metadata_profiles()
        )
        return OptionsRecord(
            root_folders=tuple(FolderRecord(path=f.path, free_space=f.free_space) for f in folders),
            quality_profiles=profiles,
            metadata_profiles=metadata,
        )

    async def _profiles(self, resource: str) -> tuple[ProfileRecord, ...]:
        raw: list[_Profile] = self.parse(list[_Profile], await self.api_get(resource))
        return tuple(ProfileRecord(id=p.id, name=p.name or str(p.id)) for p in raw)

    async def _metadata_profiles(self) -> tuple[ProfileRecord, ...]:
        return ()

    # ---- add --------------------------------------------------------------------------------

    async def add_title(self, options: AddOptions) -> LibraryRecord:
        """Look the title up by external id, then post it with the user's choices."""
        term = self._external_term(options)
        found = [
            (raw, item)
            for raw, item in await self._lookup_raw(term)
            if self._matches(item, options)
        ]
        if not found:
            raise NotFound(f"{self.label} found no title for '{term}'")
        base, _ = found[0]
        tag_ids, labels = await self._tag_ids(options.tags)
        body = {k: v for k, v in base.items() if not (k == "id" and not v)}
        body.update(self._add_fields(options, tag_ids))
        reply = await self.request(
            "POST", self.api(self.title_resource), json_body=body, ok=lambda s: s == 400,
            timeout=self.library_timeout,
        )  # fmt: skip
        if reply.status == 400:
            raise self._rejection(reply.body)
        data = reply.json()
        item: _Titled = self.parse(_Titled, data)
        return self._library_record(item, labels)

    def _external_term(self, options: AddOptions) -> str:
        raise NotImplementedError

    def _matches(self, item: _Titled, options: AddOptions) -> bool:
        raise NotImplementedError

    def _add_fields(self, options: AddOptions, tag_ids: list[int]) -> dict[str, Any]:
        raise NotImplementedError

    async def _tag_ids(self, labels: Iterable[str]) -> tuple[list[int], dict[int, str]]:
        """Ids of the tag labels, creating the missing ones (`POST /tag`)."""
        wanted = [label.lower() for label in labels]
        if not wanted:
            return [], {}
        existing = {label.lower(): tag_id for tag_id, label in (await self.tag_labels()).items()}
        ids: list[int] = []
        for label in wanted:
            if label not in existing:
                reply = await self.request("POST", self.api("tag"), json_body={"label": label})
                created: ServarrTag = self.parse(ServarrTag, reply.json())
                existing[label] = created.id
            ids.append(existing[label])
        return ids, {existing[label]: label for label in wanted}

    def _rejection(self, body: bytes) -> Conflict | ValidationFailed:
        """A 400 from an add: a duplicate (409) or the upstream's validation messages (422)."""
        data: Any
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict):  # `{message, description}` from older versions
            data = [{"errorMessage": data.get("message") or data.get("description") or ""}]
        failures: list[_Failure] = []
        if isinstance(data, list):
            parsed: _FailureList = self.parse(_FailureList, {"failures": data})
            failures = parsed.failures
        if any(
            "already been added" in f.error_message.lower() or f.error_code in DUPLICATE_CODES
            for f in failures
        ):
            text = next(f.error_message for f in failures if f.error_message)
            raise AlreadyAdded(f"{self.label}: {text}")
        messages = [f.error_message for f in failures if f.error_message]
        return UpstreamRejected(
            f"{self.label} refused the add: " + ("; ".join(messages) or "no reason given"),
            errors=[
                {"loc": ["upstream", f.property_name or ""], "msg": f.error_message,
                 "type": f.error_code or "upstream_validation"}
                for f in failures
            ],
        )  # fmt: skip

    def _library_record(self, item: _Titled, labels: Mapping[int, str]) -> LibraryRecord:
        return LibraryRecord(
            type=self.catalog_kind,
            upstream_id=item.id or 0,
            title=item.name,
            sort_title=item.sort_title or item.sort_name or None,
            year=item.real_year(),
            status=item.status or None,
            monitored=item.monitored,
            quality_profile_id=item.quality_profile_id,
            genres=[g for g in item.genres or [] if g],
            tags=sorted({labels[t] for t in item.tags or [] if t is not None and t in labels}),
            rating=item.rating(),
            size_on_disk=int(item.size_on_disk or item.stat("sizeOnDisk")),
            added=real_date(item.added),
            has_file=bool(item.has_file),
            child_count=item.stat("episodeCount") or item.stat("albumCount"),
            file_count=item.stat("episodeFileCount") or item.stat("trackFileCount"),
            tmdb_id=item.tmdb_id or None,
            tvdb_id=item.tvdb_id or None,
            imdb_id=item.imdb_id or None,
            musicbrainz_id=item.foreign_artist_id or None,
            overview=item.overview or None,
            poster_url=item.poster(),
            path=item.path or None,
            in_cinemas=real_date(item.in_cinemas),
            digital_release=real_date(item.digital_release),
            physical_release=real_date(item.physical_release),
        )

    # ---- delete -----------------------------------------------------------------------------

    async def delete_title(
        self, upstream_id: int, *, delete_files: bool, add_exclusion: bool
    ) -> None:
        try:
            await self.request(
                "DELETE",
                self.api(f"{self.title_resource}/{int(upstream_id)}"),
                params={"deleteFiles": delete_files, self.exclusion_flag: add_exclusion},
                timeout=self.library_timeout,
            )
        except NotFoundUpstream:
            raise NotFound(f"{self.label} has no {self.catalog_kind} {upstream_id}") from None

    # ---- import exclusions ------------------------------------------------------------------

    async def exclusions(self) -> list[ExclusionRecord]:
        data = await self.api_get(self.exclusion_resource, timeout=self.library_timeout,
                                  max_bytes=LIBRARY_MAX_REPLY)  # fmt: skip
        raw: list[_Exclusion] = self.parse(list[_Exclusion], data)
        return [
            ExclusionRecord(
                id=e.id,
                title=e.title or e.movie_title or e.artist_name or None,
                year=e.movie_year or None,
                tmdb_id=e.tmdb_id or None,
                tvdb_id=e.tvdb_id or None,
                musicbrainz_id=e.foreign_id or None,
            )
            for e in raw
        ]

    async def delete_exclusion(self, exclusion_id: int) -> None:
        try:
            await self.request("DELETE", self.api(f"{self.exclusion_resource}/{int(exclusion_id)}"))
        except NotFoundUpstream:
            raise NotFound(f"{self.label} has no import exclusion {exclusion_id}") from None

    # ---- library actions (LIB-3, LIB-9) ----
    # Command names and bodies are not in the OpenAPI specs (their `CommandResource` has
    # no per-command fields); they come from FACTS.md and the upstream sources: Sonarr
    # `IndexerSearch/{SeriesSearch,SeasonSearch,EpisodeSearch}Command.cs` (`seriesId`;
    # `seriesId, seasonNumber`; `episodeIds`) and `MediaFiles/Commands/RescanSeriesCommand.cs`
    # (`seriesId`); Radarr `IndexerSearch/MoviesSearchCommand.cs` (`movieIds`) and
    # `MediaFiles/Commands/RescanMovieCommand.cs` (`movieId`); Lidarr
    # `IndexerSearch/{ArtistSearch,AlbumSearch}Command.cs` (`artistId`; `albumIds`) and
    # `Music/Commands/RefreshArtistCommand.cs` (`artistId`, also read by versions that take
    # `artistIds`): Lidarr has no per-artist rescan; its "Refresh & Scan" is RefreshArtist.
    # Monitoring goes through the bulk editors (`PUT {series,movie,artist}/editor`, in the
    # specs): one field changes and nothing else is overwritten, unlike a PUT of the whole
    # resource read a moment earlier. The servers answer 202 with the updated resources
    # (`*EditorController.SaveAll`) and silently skip unknown ids; the specs say 200 and
    # no body, so an answer without a list is followed by a read.

    #: `{seriesIds|movieIds|artistIds: [...]}` of the editor.
    editor_ids_field: ClassVar[str]
    #: The rescan command and its id field.
    rescan_command: ClassVar[tuple[str, str]]
    #: The children resource and its parent filter (`episode?seriesId=`), if any.
    children_query: ClassVar[tuple[str, str] | None] = None

    async def _title_raw(self, upstream_id: int) -> dict[str, Any]:
        """`GET {resource}/{id}`: the title as it is now; `NotFound` when it is gone."""
        try:
            data = await self.api_get(
                f"{self.title_resource}/{int(upstream_id)}", timeout=self.library_timeout
            )
        except NotFoundUpstream:
            raise NotFound(f"{self.label} has no {self.catalog_kind} {upstream_id}") from None
        return data if isinstance(data, dict) else {}

    async def _child_ids_of(self, upstream_id: int) -> set[int]:
        if self.children_query is None:
            return set()
        resource, parent_field = self.children_query
        try:
            data = await self.api_get(
                resource, {parent_field: int(upstream_id)}, timeout=self.library_timeout,
                max_bytes=LIBRARY_MAX_REPLY,
            )  # fmt: skip
        except NotFoundUpstream:
            raise NotFound(f"{self.label} has no {self.catalog_kind} {upstream_id}") from None
        items = data if isinstance(data, list) else []
        return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)}

    async def search_item(
        self,
        upstream_id: int,
        *,
        season: int | None = None,
        child_ids: Sequence[int] | None = None,
    ) -> CommandStatus:
        title = await self._title_raw(upstream_id)
        children = sorted(set(child_ids or ()))
        if season is not None and children:
            raise ValidationFailed("search a season or some children, not both")
        if season is not None:
            self._check_season(title, season)
        if children:
            if self.children_query is None:
                raise ValidationFailed(f"{self.label}: a {self.catalog_kind} has no children")
            foreign = set(children) - await self._child_ids_of(upstream_id)
            if foreign:
                raise ValidationFailed(
                    f"{self.label}: {', '.join(map(str, sorted(foreign)))} are not "
                    f"{self.children_query[0]}s of {self.catalog_kind} {upstream_id}",
                    errors=[{"loc": ["body", "child_ids"], "msg": "not a child of this item",
                             "type": "value_error"}],
                )  # fmt: skip
        name, body = self._search_command(int(upstream_id), season, children)
        return await self.command(name, **body)

    def _check_season(self, title: Mapping[str, Any], season: int) -> None:
        raise ValidationFailed(f"{self.label}: a {self.catalog_kind} has no seasons")

    def _search_command(
        self, upstream_id: int, season: int | None, children: list[int]
    ) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    async def rescan_item(self, upstream_id: int) -> CommandStatus:
        await self._title_raw(upstream_id)  # a command for a missing title fails only later
        name, field = self.rescan_command
        return await self.command(name, **{field: int(upstream_id)})

    async def set_monitored(self, upstream_id: int, monitored: bool) -> bool:
        reply = await self.request(
            "PUT", self.api(f"{self.title_resource}/editor"),
            json_body={self.editor_ids_field: [int(upstream_id)], "monitored": monitored},
            timeout=self.library_timeout,
        )  # fmt: skip
        data = reply.json() if reply.body.strip() else None
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict) and item.get("id") == int(upstream_id):
                    return bool(item.get("monitored"))
            raise NotFound(f"{self.label} has no {self.catalog_kind} {upstream_id}")
        return bool((await self._title_raw(upstream_id)).get("monitored"))

    # ---- end library actions ----


# ---- the products ---------------------------------------------------------------------------


class SonarrCatalog(_ServarrCatalog):
    """Series: calendar of episodes, lookup by name or tvdb id, add, delete."""

    lookup_type = "tv"
    catalog_kind = "series"
    title_resource = "series"
    calendar_includes: ClassVar[Mapping[str, bool]] = {"includeSeries": True}
    editor_ids_field = "seriesIds"
    rescan_command = ("RescanSeries", "seriesId")
    children_query = ("episode", "seriesId")

    def _check_season(self, title: Mapping[str, Any], season: int) -> None:
        seasons = title.get("seasons")
        numbers = {s.get("seasonNumber") for s in seasons or [] if isinstance(s, dict)}
        if season not in numbers:
            raise ValidationFailed(
                f"{self.label}: series {title.get('id')} has no season {season}",
                errors=[{"loc": ["body", "season_number"], "msg": "no such season",
                         "type": "value_error"}],
            )  # fmt: skip

    def _search_command(
        self, upstream_id: int, season: int | None, children: list[int]
    ) -> tuple[str, dict[str, Any]]:
        if children:
            return "EpisodeSearch", {"episodeIds": children}
        if season is not None:
            return "SeasonSearch", {"seriesId": upstream_id, "seasonNumber": season}
        return "SeriesSearch", {"seriesId": upstream_id}

    def _calendar_records(
        self, data: list[Any], start: datetime, end: datetime
    ) -> tuple[list[CalendarRecord], list[list[int]]]:
        episodes: list[_Episode] = self.parse(list[_Episode], data)
        records: list[CalendarRecord] = []
        tags: list[list[int]] = []
        for ep in episodes:
            aired = real_date(ep.air_date_utc)
            if aired is None or not _in(aired, start, end):
                continue
            series = ep.series or _Titled()
            runtime = ep.runtime or series.runtime
            number = (
                f"S{ep.season_number:02d}E{ep.episode_number:02d}"
                if ep.season_number is not None and ep.episode_number is not None
                else None
            )
            subtitle = " · ".join(part for part in (number, ep.title) if part) or None
            records.append(
                CalendarRecord(
                    type="episode",
                    upstream_id=ep.id,
                    release_kind="air",
                    parent_type="series",
                    parent_upstream_id=ep.series_id,
                    title=series.name or f"Series {ep.series_id}",
                    subtitle=subtitle,
                    start=aired,
                    end=aired + timedelta(minutes=runtime) if runtime else None,
                    all_day=False,
                    has_file=ep.has_file,
                    monitored=ep.monitored,
                    season_number=ep.season_number,
                    episode_number=ep.episode_number,
                    overview=ep.overview or None,
                )  # fmt: skip
            )
            tags.append([t for t in series.tags or [] if t is not None])
        return records, tags

    def _external_term(self, options: AddOptions) -> str:
        if options.tvdb_id is None:
            raise ValidationFailed("adding a series to Sonarr needs `tvdb_id`")
        return f"tvdb:{options.tvdb_id}"

    def _matches(self, item: _Titled, options: AddOptions) -> bool:
        return item.tvdb_id == options.tvdb_id

    def _add_fields(self, options: AddOptions, tag_ids: list[int]) -> dict[str, Any]:
        monitor = SONARR_MONITOR.get(options.monitor, options.monitor)
        return {
            "qualityProfileId": options.quality_profile_id,
            "rootFolderPath": options.root_folder,
            "monitored": monitor != "none",
            "seasonFolder": True,
            "tags": tag_ids,
            "addOptions": {
                "monitor": monitor,
                "searchForMissingEpisodes": options.search_now,
                "searchForCutoffUnmetEpisodes": False,
            },
        }


class RadarrCatalog(_ServarrCatalog):
    """Movies: release calendar (cinema, digital, physical), lookup, add, delete."""

    lookup_type = "movie"
    catalog_kind = "movie"
    title_resource = "movie"
    exclusion_resource = "exclusions"
    exclusion_flag = "addImportExclusion"
    editor_ids_field = "movieIds"
    rescan_command = ("RescanMovie", "movieId")

    def _search_command(
        self, upstream_id: int, season: int | None, children: list[int]
    ) -> tuple[str, dict[str, Any]]:
        return "MoviesSearch", {"movieIds": [upstream_id]}

    def _calendar_records(
        self, data: list[Any], start: datetime, end: datetime
    ) -> tuple[list[CalendarRecord], list[list[int]]]:
        movies: list[_Titled] = self.parse(list[_Titled], data)
        records: list[CalendarRecord] = []
        tags: list[list[int]] = []
        for movie in movies:
            if not movie.id:
                continue
            releases = (
                ("cinema", movie.in_cinemas),
                ("digital", movie.digital_release),
                ("physical", movie.physical_release),
            )
            for kind, when in releases:
                moment = real_date(when)
                if moment is None or not _in(_day(moment), _day(start), end):
                    continue
                records.append(
                    CalendarRecord(
                        type="movie",
                        upstream_id=movie.id,
                        release_kind=kind,
                        parent_type="movie",
                        parent_upstream_id=movie.id,
                        title=movie.name or f"Movie {movie.id}",
                        subtitle=None,
                        start=_day(moment),
                        end=None,
                        all_day=True,
                        has_file=bool(movie.has_file),
                        monitored=movie.monitored,
                        overview=movie.overview or None,
                    )  # fmt: skip
                )
                tags.append([t for t in movie.tags or [] if t is not None])
        return records, tags

    def _external_term(self, options: AddOptions) -> str:
        if options.tmdb_id is None:
            raise ValidationFailed("adding a movie to Radarr needs `tmdb_id`")
        return f"tmdb:{options.tmdb_id}"

    def _matches(self, item: _Titled, options: AddOptions) -> bool:
        return item.tmdb_id == options.tmdb_id

    def _add_fields(self, options: AddOptions, tag_ids: list[int]) -> dict[str, Any]:
        return {
            "qualityProfileId": options.quality_profile_id,
            "rootFolderPath": options.root_folder,
            "monitored": options.monitor != "none",
            "minimumAvailability": "released",
            "tags": tag_ids,
            "addOptions": {"monitor": options.monitor, "searchForMovie": options.search_now},
        }


class LidarrCatalog(_ServarrCatalog):
    """Artists and albums: album calendar, lookup, add, delete."""

    lookup_type = "music"
    catalog_kind = "artist"
    title_resource = "artist"
    calendar_includes: ClassVar[Mapping[str, bool]] = {"includeArtist": True}
    editor_ids_field = "artistIds"
    rescan_command = ("RefreshArtist", "artistId")
    children_query = ("album", "artistId")

    def _search_command(
        self, upstream_id: int, season: int | None, children: list[int]
    ) -> tuple[str, dict[str, Any]]:
        if children:
            return "AlbumSearch", {"albumIds": children}
        return "ArtistSearch", {"artistId": upstream_id}

    def _calendar_records(
        self, data: list[Any], start: datetime, end: datetime
    ) -> tuple[list[CalendarRecord], list[list[int]]]:
        albums: list[_Album] = self.parse(list[_Album], data)
        records: list[CalendarRecord] = []
        tags: list[list[int]] = []
        for album in albums:
            released = real_date(album.release_date)
            if released is None or not _in(_day(released), _day(start), end):
                continue
            artist = album.artist or _Titled()
            files = (album.statistics or {}).get("trackFileCount")
            records.append(
                CalendarRecord(
                    type="album",
                    upstream_id=album.id,
                    release_kind="release",
                    parent_type="artist",
                    parent_upstream_id=album.artist_id,
                    title=artist.name or f"Artist {album.artist_id}",
                    subtitle=album.title or None,
                    start=_day(released),
                    end=None,
                    all_day=True,
                    has_file=isinstance(files, int) and files > 0,
                    monitored=album.monitored,
                    overview=album.overview or None,
                )  # fmt: skip
            )
            tags.append([t for t in artist.tags or [] if t is not None])
        return records, tags

    async def _metadata_profiles(self) -> tuple[ProfileRecord, ...]:
        return await self._profiles("metadataprofile")

    def _external_term(self, options: AddOptions) -> str:
        if not options.musicbrainz_id:
            raise ValidationFailed("adding an artist to Lidarr needs `musicbrainz_id`")
        if options.metadata_profile_id is None:
            raise ValidationFailed("adding an artist to Lidarr needs `metadata_profile_id`")
        return f"lidarr:{options.musicbrainz_id}"

    def _matches(self, item: _Titled, options: AddOptions) -> bool:
        return item.foreign_artist_id == options.musicbrainz_id

    def _add_fields(self, options: AddOptions, tag_ids: list[int]) -> dict[str, Any]:
        return {
            "qualityProfileId": options.quality_profile_id,
            "metadataProfileId": options.metadata_profile_id,
            "rootFolderPath": options.root_folder,
            "monitored": options.monitor != "none",
            "monitorNewItems": "all" if options.monitor != "none" else "none",
            "tags": tag_ids,
            "addOptions": {
                "monitor": options.monitor,
                "monitored": options.monitor != "none",
                "searchForMissingAlbums": options.search_now,
            },
        }


__all__ = ["AlreadyAdded", "LidarrCatalog", "RadarrCatalog", "SonarrCatalog", "UpstreamRejected"]
