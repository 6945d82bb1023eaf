"""The normalized shapes every adapter of a category returns.

Adapters translate their upstream's reply into these, so services and the API never
see an upstream's field names. Sizes are bytes, speeds bytes per second, durations
seconds, progress 0..1, timestamps UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arrhub.models.common import Timestamp


class Normalized(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- every adapter -------------------------------------------------------------------

HealthLevel = Literal["ok", "notice", "warning", "error"]


class HealthMessage(Normalized):
    level: HealthLevel
    message: str
    source: str | None = None
    wiki_url: str | None = None


class ProbeResult(Normalized):
    """What a connection test learned: the upstream is the service it claims, and its version."""

    version: str | None
    product: str = Field(description="the service as it named itself, e.g. 'Sonarr'")
    details: dict[str, Any] = Field(default_factory=dict)


class HealthReport(Normalized):
    version: str | None
    messages: list[HealthMessage] = Field(default_factory=list)


class LogEntry(Normalized):
    time: Timestamp | None
    level: str
    message: str
    logger: str | None = None


# ---- download clients ------------------------------------------------------------------


class DownloadState(StrEnum):
    DOWNLOADING = "downloading"
    SEEDING = "seeding"
    PAUSED = "paused"
    QUEUED = "queued"
    STALLED = "stalled"
    CHECKING = "checking"
    MOVING = "moving"
    PROCESSING = "processing"  # usenet post-processing: verify, repair, unpack
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Priority(StrEnum):
    FORCE = "force"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class MoveDirection(StrEnum):
    TOP = "top"
    UP = "up"
    DOWN = "down"
    BOTTOM = "bottom"


class DownloadItem(Normalized):
    id: str = Field(description="the client's id: info-hash (lower case), nzo_id, NZBID")
    name: str
    protocol: Literal["torrent", "usenet"]
    state: DownloadState
    progress: float = Field(ge=0.0, le=1.0)
    size: int = Field(ge=0)
    remaining: int = Field(ge=0)
    download_speed: int = 0
    upload_speed: int = 0
    eta: int | None = Field(None, description="seconds; None when unknown or not downloading")
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    priority: Priority | None = None
    queue_position: int | None = None
    added_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    save_path: str | None = None
    ratio: float | None = None
    availability: float | None = Field(
        None, description="torrents: distributed copies, 1.0 = complete"
    )
    error: str | None = None


class TransferStats(Normalized):
    download_speed: int = 0
    upload_speed: int = 0
    download_limit: int | None = Field(None, description="bytes/s; None = unlimited")
    upload_limit: int | None = None
    paused: bool | None = Field(None, description="whole client paused; None when unknown")
    alt_speed: bool | None = Field(None, description="alternative speed on; None when unsupported")
    free_space: int | None = None
    item_count: int = 0
    active_count: int = 0


# ---- *arr --------------------------------------------------------------------------------


class SystemStatus(Normalized):
    app_name: str
    version: str
    instance_name: str | None = None
    branch: str | None = None
    start_time: Timestamp | None = None
    os: str | None = None
    url_base: str | None = None


class RootFolder(Normalized):
    id: int
    path: str
    free_space: int | None
    total_space: int | None = None
    accessible: bool = True


class MediaRef(Normalized):
    """What a queue or history record is about."""

    kind: Literal["episode", "movie", "album", "unknown"]
    parent_id: int | None = Field(None, description="seriesId, movieId or artistId")
    item_id: int | None = Field(None, description="episodeId or albumId")
    title: str | None = None
    season: int | None = None
    episode: int | None = None
    year: int | None = None
    poster_url: str | None = Field(None, description="the poster's remote URL, when embedded")
    tag_ids: list[int] = Field(
        default_factory=list, description="the *arr tag ids of the series/movie/artist"
    )


class ArrQueueItem(Normalized):
    id: int
    download_id: str | None = Field(description="as the *arr reports it (torrents: upper case)")
    title: str
    status: str | None = None
    tracked_status: str | None = Field(None, description="ok, warning, error")
    tracked_state: str | None = Field(
        None, description="downloading, importBlocked, importPending, importing, imported, ..."
    )
    messages: list[str] = Field(default_factory=list)
    error: str | None = None
    size: int = 0
    remaining: int = 0
    eta: int | None = None
    estimated_completion: Timestamp | None = None
    added_at: Timestamp | None = None
    protocol: str | None = None
    download_client: str | None = None
    indexer: str | None = None
    output_path: str | None = None
    media: MediaRef


class ArrHistoryItem(Normalized):
    id: int
    event_type: str
    date: Timestamp
    source_title: str
    download_id: str | None = None
    quality: str | None = None
    quality_cutoff_not_met: bool = Field(
        False, description="the *arr says the media is below its quality cutoff"
    )
    media: MediaRef
    data: dict[str, Any] = Field(default_factory=dict)


class CommandStatus(Normalized):
    id: int
    name: str
    status: str = Field(description="queued, started, completed, failed, aborted, cancelled")
    message: str | None = None
    queued_at: Timestamp | None = None
    ended_at: Timestamp | None = None

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed", "aborted", "cancelled", "orphaned"}


class PageOf[T](Normalized):
    records: list[T]
    total: int
    page: int
    page_size: int


# ---- Prowlarr ------------------------------------------------------------------------------


class Indexer(Normalized):
    id: int
    name: str
    protocol: str | None = None
    enabled: bool
    priority: int | None = None
    privacy: str | None = None


class IndexerStats(Normalized):
    id: int
    name: str
    queries: int = 0
    grabs: int = 0
    failed_queries: int = 0
    failed_grabs: int = 0
    average_response_ms: float | None = None


# ---- Bazarr ----------------------------------------------------------------------------------


class WantedSubtitles(Normalized):
    episodes: int
    movies: int


# ---- request managers -----------------------------------------------------------------------


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    FAILED = "failed"
    PROCESSING = "processing"
    AVAILABLE = "available"
    PARTIALLY_AVAILABLE = "partially_available"
    UNKNOWN = "unknown"


class MediaRequest(Normalized):
    id: int
    media_type: Literal["movie", "tv"]
    status: RequestStatus
    title: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    requested_by: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    is_4k: bool = False
    seasons: list[int] = Field(default_factory=list)
    year: int | None = None
    poster_url: str | None = None
    requester_id: str | None = Field(None, description="the upstream's id of the requester")
    requester_names: list[str] = Field(
        default_factory=list,
        description="every login name and email the requester is known by upstream, lower-cased"
        " (matched against hub users: users see their own requests)",
    )


class RequestUser(Normalized):
    """A user of a request manager, as far as the hub needs one: to request on their behalf."""

    id: str
    name: str | None = None
    names: list[str] = Field(default_factory=list, description="login names and email, lower-cased")


class RequestCounts(Normalized):
    total: int = 0
    movie: int = 0
    tv: int = 0
    pending: int = 0
    approved: int = 0
    declined: int = 0
    processing: int = 0
    available: int = 0


# ---- media servers and Tautulli ---------------------------------------------------------------

LibraryType = Literal["movie", "show", "music", "photo", "book", "mixed", "other"]


class Library(Normalized):
    id: str
    name: str
    type: LibraryType = Field(description="the server's own type for the library, normalized")
    item_count: int | None = None


class MediaSession(Normalized):
    id: str
    user: str | None
    title: str
    grandparent_title: str | None = Field(None, description="series or artist")
    media_type: str | None = None
    state: Literal["playing", "paused", "buffering", "unknown"] = "unknown"
    progress: float | None = Field(None, ge=0.0, le=1.0)
    duration: int | None = Field(None, description="seconds")
    player: str | None = None
    device: str | None = None
    transcoding: bool | None = None
    bandwidth: int | None = Field(None, description="bits per second, when the server says")


class Activity(Normalized):
    stream_count: int
    transcode_count: int = 0
    direct_play_count: int = 0
    bandwidth: int | None = None
    sessions: list[MediaSession] = Field(default_factory=list)


def utc(value: datetime | None) -> datetime | None:
    """Naive datetimes from upstreams are UTC by convention."""
    if value is None or value.tzinfo is not None:
        return value
    from datetime import UTC

    return value.replace(tzinfo=UTC)
