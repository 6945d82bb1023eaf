"""The catalog (LIB-7, LIB-8, LIB-9): calendar, lookup, add, delete, import exclusions.

Two layers live here. The `*Record` models are the adapters' normalized view of what a
Sonarr, Radarr or Lidarr answered (frozen, no API concerns); the request and reply
models below them are the API's (docs/api.md, "Calendar, lookup and add").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from arrhub.models.common import (
    MAX_LIMIT,
    PageQuery,
    ReplyModel,
    RequestModel,
    Timestamp,
)
from arrhub.models.events import CredentialsQuery
from arrhub.models.library import LibraryKind
from arrhub.models.upstream import Normalized

CalendarType = Literal["episode", "movie", "album"]
ReleaseKind = Literal["air", "cinema", "digital", "physical", "release"]
LookupType = Literal["tv", "movie", "music"]
#: What a lookup type is in the library, and the reverse.
LIBRARY_KIND: dict[LookupType, LibraryKind] = {"tv": "series", "movie": "movie", "music": "artist"}

#: The API's monitor options per library kind (the *arr's own names are mapped by adapters).
MONITOR_OPTIONS: dict[LibraryKind, tuple[str, ...]] = {
    "series": ("all", "future", "missing", "existing", "first_season", "latest_season", "none"),
    "movie": ("movieOnly", "movieAndCollection", "none"),
    "artist": ("all", "future", "missing", "existing", "latest", "first", "none"),
}
DEFAULT_MONITOR: dict[LibraryKind, str] = {"series": "all", "movie": "movieOnly", "artist": "all"}
MAX_CALENDAR_DAYS = 90
INSTANCE_ID = r"^[A-Za-z0-9_-]{1,64}$"
ITEM_ID = r"^[A-Za-z0-9_-]{1,64}:(movie|series|artist):[0-9]{1,18}$"
EXCLUSION_ID = r"^[A-Za-z0-9_-]{1,64}:[0-9]{1,12}$"


# ---- what the adapters return ---------------------------------------------------------------


class CalendarRecord(Normalized):
    """One release on an *arr's calendar: an episode airing, a movie release, an album."""

    type: CalendarType
    upstream_id: int = Field(description="the episode's, movie's or album's id")
    release_kind: ReleaseKind
    parent_type: LibraryKind
    parent_upstream_id: int = Field(description="the series', movie's or artist's id")
    title: str
    subtitle: str | None = None
    start: datetime
    end: datetime | None = None
    all_day: bool = False
    has_file: bool = False
    monitored: bool = False
    season_number: int | None = None
    episode_number: int | None = None
    overview: str | None = None
    tags: tuple[str, ...] = Field(default=(), description="the parent's tag labels")


class LookupRecord(Normalized):
    """One title a lookup found, with the body an add starts from."""

    type: LookupType
    title: str
    year: int | None = None
    overview: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_id: str | None = None
    poster_url: str | None = None
    upstream_id: int | None = Field(None, description="the id at this instance when present")


class ProfileRecord(Normalized):
    id: int
    name: str


class FolderRecord(Normalized):
    path: str
    free_space: int | None = None


class OptionsRecord(Normalized):
    root_folders: tuple[FolderRecord, ...] = ()
    quality_profiles: tuple[ProfileRecord, ...] = ()
    metadata_profiles: tuple[ProfileRecord, ...] = ()


class ExclusionRecord(Normalized):
    id: int
    title: str | None = None
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    musicbrainz_id: str | None = None


class AddOptions(Normalized):
    """What to add and how, as the adapter needs it (monitor in the API's names)."""

    tmdb_id: int | None = None
    tvdb_id: int | None = None
    musicbrainz_id: str | None = None
    root_folder: str
    quality_profile_id: int
    metadata_profile_id: int | None = None
    monitor: str
    search_now: bool = False
    tags: tuple[str, ...] = ()


# ---- the API --------------------------------------------------------------------------------


def _moment(value: Any) -> Any:
    """A date (`2025-06-01`) or an ISO datetime; `Z` and offsets accepted."""
    if isinstance(value, str) and len(value) == 10:
        return date.fromisoformat(value)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    return value


Moment = Annotated[datetime | date, BeforeValidator(_moment)]


class CalendarQuery(RequestModel):
    start: Moment | None = Field(
        None, description="a date (`2025-06-01`, from its start in UTC) or an ISO datetime; "
        "default today"
    )  # fmt: skip
    end: Moment | None = Field(
        None, description="a date (included, to its end in UTC) or an ISO datetime; "
        f"default start + 7 days; at most {MAX_CALENDAR_DAYS} days after start"
    )  # fmt: skip
    type: CalendarType | None = Field(None, description="only episodes, movies or albums")
    instance_id: str | None = Field(None, pattern=INSTANCE_ID, description="one instance only")


class CalendarEntry(ReplyModel):
    id: str = Field(description="`<instance_id>:<type>:<upstream_id>:<release_kind>`, stable")
    instance_id: str
    type: CalendarType
    release_kind: ReleaseKind = Field(
        description="`air` (episodes), `cinema`/`digital`/`physical` (movies), `release` (albums)"
    )
    title: str = Field(description="the series, movie or artist name")
    subtitle: str | None = Field(None, description="`S01E02 · Pilot`, null, or the album title")
    start: Timestamp
    end: Timestamp | None = Field(None, description="start + runtime, when the runtime is known")
    all_day: bool = Field(description="movie and album releases are all-day (dates)")
    has_file: bool
    monitored: bool
    item_id: str = Field(description="the library item (series, movie, artist) it belongs to")
    season_number: int | None = None
    episode_number: int | None = None
    overview: str | None = None


class CalendarReply(ReplyModel):
    start: Timestamp
    end: Timestamp
    items: list[CalendarEntry]
    stale_instances: list[str] = Field(
        description="instances that did not answer: their entries are missing"
    )


class IcsQuery(CredentialsQuery):
    """`GET /api/v1/calendar.ics`: a calendar app's subscription URL."""

    days: int = Field(30, ge=1, le=MAX_CALENDAR_DAYS, description="days ahead")
    past_days: int = Field(7, ge=0, le=30, description="days back, so recent entries stay")
    type: CalendarType | None = Field(None, description="only episodes, movies or albums")


class LookupQuery(RequestModel):
    type: LookupType
    q: str = Field(
        min_length=1, max_length=200,
        description="a name, or `tvdb:<id>` / `tmdb:<id>` / `imdb:<id>` / `lidarr:<mbid>`",
    )  # fmt: skip
    instance_id: str | None = Field(
        None, pattern=INSTANCE_ID, description="default: the first enabled instance of the type"
    )


class LookupResult(ReplyModel):
    type: LookupType
    title: str
    year: int | None = None
    overview: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_id: str | None = None
    poster_url: str | None = None
    in_library: bool
    library_item_ids: list[str]
    excluded: bool = Field(description="on the instance's import exclusion list")


class LookupReply(ReplyModel):
    instance_id: str
    items: list[LookupResult]


class OptionsQuery(RequestModel):
    instance_id: str = Field(pattern=INSTANCE_ID)


class RootFolderOption(ReplyModel):
    path: str
    free_space: int | None = None


class ProfileOption(ReplyModel):
    id: int
    name: str


class CatalogOptions(ReplyModel):
    instance_id: str
    type: str = Field(description="the instance's type: sonarr, radarr or lidarr")
    root_folders: list[RootFolderOption]
    quality_profiles: list[ProfileOption]
    metadata_profiles: list[ProfileOption] = Field(description="Lidarr's; empty elsewhere")
    monitor_options: list[str]


class AddBody(RequestModel):
    instance_id: str = Field(pattern=INSTANCE_ID)
    tmdb_id: int | None = Field(None, ge=1, description="movies (Radarr)")
    tvdb_id: int | None = Field(None, ge=1, description="series (Sonarr)")
    musicbrainz_id: str | None = Field(
        None, min_length=1, max_length=64, description="artists (Lidarr)"
    )
    root_folder: str = Field(min_length=1, max_length=4096)
    quality_profile_id: int = Field(ge=1)
    metadata_profile_id: int | None = Field(None, ge=1, description="Lidarr only; required there")
    monitor: str | None = Field(
        None, max_length=32, description="series: all|future|missing|existing|first_season|"
        "latest_season|none; movies: movieOnly|movieAndCollection|none; artists: all|future|"
        "missing|existing|latest|first|none (default: all / movieOnly / all)",
    )  # fmt: skip
    search_now: bool = False
    tags: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("tags")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        cleaned = [label.strip().lower() for label in value]
        if any(not label or len(label) > 100 for label in cleaned):
            raise ValueError("tag labels must be 1..100 characters")
        return list(dict.fromkeys(cleaned))


class ItemPath(RequestModel):
    item_id: str = Field(pattern=ITEM_ID, description="`<instance_id>:<type>:<upstream_id>`")


class DeleteQuery(RequestModel):
    delete_files: bool = Field(False, description="also delete the files from disk")
    add_exclusion: bool = Field(
        False, description="add an import exclusion, so import lists do not add it again"
    )


class DeleteReply(ReplyModel):
    id: str
    deleted: bool
    files_deleted: bool
    excluded: bool


class ExclusionsQuery(PageQuery):
    instance_id: str | None = Field(None, pattern=INSTANCE_ID)


class Exclusion(ReplyModel):
    id: str = Field(description="`<instance_id>:<upstream exclusion id>`")
    instance_id: str
    upstream_id: int
    title: str | None = None
    year: int | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    musicbrainz_id: str | None = None


class ExclusionsPage(ReplyModel):
    items: list[Exclusion]
    total: int
    limit: int = Field(le=MAX_LIMIT)
    offset: int
    stale_instances: list[str] = Field(default_factory=list)


class ExclusionPath(RequestModel):
    exclusion_id: str = Field(pattern=EXCLUSION_ID)


__all__ = [
    "DEFAULT_MONITOR",
    "LIBRARY_KIND",
    "MONITOR_OPTIONS",
    "AddBody",
    "AddOptions",
    "CalendarEntry",
    "CalendarQuery",
    "CalendarRecord",
    "CalendarReply",
    "CatalogOptions",
    "DeleteQuery",
    "DeleteReply",
    "Exclusion",
    "ExclusionPath",
    "ExclusionRecord",
    "ExclusionsPage",
    "ExclusionsQuery",
    "FolderRecord",
    "IcsQuery",
    "ItemPath",
    "LookupQuery",
    "LookupRecord",
    "LookupReply",
    "LookupResult",
    "OptionsQuery",
    "OptionsRecord",
    "ProfileRecord",
]
