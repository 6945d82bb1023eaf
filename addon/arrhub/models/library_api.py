"""The library's and the jobs' API shapes (issue 7: LIB-1, LIB-2, LIB-3, LIB-11).

`LibraryItem`/`Child` are what clients see of the cache; the adapters' own shapes are
in `models/library.py`. Ids: `<instance_id>:<type>:<upstream_id>`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from arrhub.models.common import MAX_LIMIT, PageQuery, ReplyModel, RequestModel, Timestamp

ItemType = Literal["movie", "series", "artist"]
ChildType = Literal["episode", "album"]
SortKey = Literal["title", "year", "added", "rating", "size", "relevance"]
Period = Literal["7d", "30d", "90d", "all"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobOrigin = Literal["api", "schedule", "webhook", "startup"]
ITEM_ID = r"^[A-Za-z0-9_-]{1,64}:(movie|series|artist):[0-9]{1,18}$"
INSTANCE_ID = r"^[A-Za-z0-9_-]{1,64}$"


# ---- library ------------------------------------------------------------------------------


class Child(ReplyModel):
    id: str = Field(description="`<instance_id>:<episode|album>:<upstream_id>`")
    type: ChildType
    upstream_id: int
    parent_id: str = Field(description="the library item's id")
    season_number: int | None = None
    episode_number: int | None = None
    title: str | None = None
    air_date: Timestamp | None = Field(
        None, description="episodes: airDateUtc; albums: releaseDate"
    )
    monitored: bool
    has_file: bool
    quality: str | None = None
    size_on_disk: int
    cutoff_unmet: bool


class LibraryItem(ReplyModel):
    id: str = Field(description="`<instance_id>:<movie|series|artist>:<upstream_id>`")
    instance_id: str
    type: ItemType
    upstream_id: int
    title: str
    sort_title: str | None = None
    year: int | None = None
    status: str | None = None
    monitored: bool
    quality_profile_id: int | None = None
    quality: str | None = Field(None, description="the file's quality name, or null")
    genres: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="tag labels")
    rating: float | None = Field(None, description="0..10")
    size_on_disk: int
    added: Timestamp | None = None
    has_file: bool = Field(description="movie: file present; series/artist: any file")
    child_count: int = Field(description="episodes or albums")
    file_count: int
    missing_count: int = Field(description="monitored, aired/released, without a file")
    cutoff_unmet: bool
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_id: str | None = None
    overview: str | None = None
    poster_url: str | None = None
    path: str | None = Field(None, description="admins only; absent for users")
    updated_at: Timestamp = Field(description="when the cache row last changed")


class Season(ReplyModel):
    season_number: int
    episode_count: int
    file_count: int
    missing_count: int


class LibraryItemDetail(LibraryItem):
    children: list[Child] = Field(default_factory=list)
    seasons: list[Season] = Field(default_factory=list, description="series only")
    missing: list[Child] = Field(
        default_factory=list, description="aired/released monitored children without a file"
    )
    excluded: bool | None = Field(None, description="on the instance's import exclusion list")


class LibraryFilters(RequestModel):
    """The filters shared by the item list and the export."""

    q: str | None = Field(None, max_length=500, description="full text: prefix, typo tolerant")
    type: ItemType | None = None
    status: str | None = Field(None, max_length=50)
    monitored: bool | None = None
    tag: str | None = Field(None, max_length=200)
    quality: str | None = Field(None, max_length=200)
    genre: str | None = Field(None, max_length=200)
    rating_min: float | None = Field(None, ge=0, le=10)
    year: int | None = Field(None, ge=0, le=9999)
    year_min: int | None = Field(None, ge=0, le=9999)
    year_max: int | None = Field(None, ge=0, le=9999)
    instance_id: str | None = Field(None, pattern=INSTANCE_ID)
    missing: bool | None = Field(None, description="true: has monitored missing children/files")
    no_files: bool | None = Field(None, description="true: no file at all")
    cutoff_unmet: bool | None = None
    sort: SortKey | None = Field(None, description="default: relevance with q, else title")
    order: Literal["asc", "desc"] | None = Field(
        None, description="default: desc for relevance/added/rating/size, else asc"
    )


class ItemsQuery(LibraryFilters):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="items per page")
    offset: int = Field(0, ge=0, description="items to skip")


class ExportQuery(LibraryFilters):
    format: Literal["csv", "json"] = "csv"


class ItemsPage(ReplyModel):
    items: list[LibraryItem]
    total: int
    limit: int
    offset: int


class ItemPath(BaseModel):
    item_id: str = Field(pattern=ITEM_ID, description="`<instance_id>:<type>:<upstream_id>`")


class RefreshBody(RequestModel):
    instance_id: str | None = Field(None, pattern=INSTANCE_ID, description="default: every *arr")


class JobAccepted(ReplyModel):
    job_id: str


class StatsQuery(RequestModel):
    period: Period = "30d"


class TypeCounts(ReplyModel):
    movies: int = 0
    series: int = 0
    episodes: int = 0
    artists: int = 0
    albums: int = 0


class TypeSize(ReplyModel):
    count: int = 0
    size: int = 0


class InstanceSize(ReplyModel):
    instance_id: str
    name: str
    type: str
    count: int
    size: int


class LibraryStats(ReplyModel):
    period: Period
    since: Timestamp | None = Field(description="null for `all`")
    added: TypeCounts
    downloaded: TypeCounts = Field(description="whose file arrived in the period (see docs)")
    size_on_disk: int
    by_type: dict[str, TypeSize]
    by_instance: list[InstanceSize]


class Schedule(ReplyModel):
    interval_minutes: int = Field(description="0 = off")
    next_run_at: Timestamp | None = None
    last_run_at: Timestamp | None = None


class ScheduleBody(RequestModel):
    interval_minutes: int = Field(ge=0, le=60 * 24 * 30, description="0 = off")


# ---- jobs ---------------------------------------------------------------------------------


class Job(ReplyModel):
    id: str
    module: str
    state: JobState
    progress: float = Field(ge=0, le=1)
    message: str | None = None
    origin: JobOrigin
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class JobsQuery(PageQuery):
    module: str | None = Field(None, max_length=64)
    state: JobState | None = None


class JobsPage(ReplyModel):
    items: list[Job]
    total: int
    limit: int
    offset: int


class JobPath(BaseModel):
    job_id: str = Field(pattern=r"^[a-f0-9]{1,64}$")
