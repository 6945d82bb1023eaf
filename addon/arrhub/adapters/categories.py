"""The normalized interface of each category of upstream.

Services talk to these, never to a particular adapter: every download client can list
items and pause them, every *arr can page its queue, whatever it is underneath. An
action a client cannot do raises `Unsupported` (answered as 422, and the type's
`capabilities` already says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from arrhub.adapters.base import Adapter, gather_all
from arrhub.adapters.errors import Unsupported
from arrhub.models.catalog import (  # catalog (LIB-7/8/9)
    AddOptions,
    CalendarRecord,
    ExclusionRecord,
    LookupRecord,
    OptionsRecord,
)
from arrhub.models.library import ChildRecord, LibraryKind, LibraryRecord
from arrhub.models.upstream import (
    Activity,
    ArrHistoryItem,
    ArrQueueItem,
    CommandStatus,
    DownloadItem,
    DownloadState,
    HealthReport,
    Indexer,
    IndexerStats,
    Library,
    MediaRequest,
    MediaSession,
    MoveDirection,
    PageOf,
    Priority,
    RequestCounts,
    RequestStatus,
    RequestUser,
    RootFolder,
    SystemStatus,
    TransferStats,
    WantedSubtitles,
)

ACTIVE_STATES = frozenset(
    {DownloadState.DOWNLOADING, DownloadState.CHECKING, DownloadState.MOVING,
     DownloadState.PROCESSING, DownloadState.QUEUED}
)  # fmt: skip
QUEUE_PAGE_SIZE = 200  # Sonarr's queue fails above ~200 per page on big installs (FACTS.md)
#: Request managers: requests read per upstream call, and at most this many per instance.
REQUEST_PAGE = 100
REQUESTS_PER_INSTANCE = 2000


def _dump(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


class DownloadClientAdapter(Adapter):
    """qBittorrent, Transmission, rTorrent, Deluge, SABnzbd, NZBGet."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"queue", "pause", "remove"})

    async def items(self) -> list[DownloadItem]:
        raise NotImplementedError

    async def transfer_stats(self) -> TransferStats:
        raise NotImplementedError

    async def pause(self, ids: Sequence[str]) -> None:
        raise NotImplementedError

    async def resume(self, ids: Sequence[str]) -> None:
        raise NotImplementedError

    async def remove(self, ids: Sequence[str], *, delete_data: bool) -> None:
        raise NotImplementedError

    async def pause_all(self) -> None:
        raise NotImplementedError

    async def resume_all(self) -> None:
        raise NotImplementedError

    async def add(
        self, payload: bytes, filename: str, *, category: str | None = None, paused: bool = False
    ) -> str | None:
        """Add a .torrent or .nzb file; returns the new item's id when the client says it."""
        raise Unsupported(f"{self.display_name} cannot add files through arrhub")

    async def set_priority(self, ids: Sequence[str], priority: Priority) -> None:
        raise Unsupported(f"{self.display_name} has no per-item priority")

    async def move(self, ids: Sequence[str], direction: MoveDirection) -> None:
        raise Unsupported(f"{self.display_name} has no queue order")

    async def set_alt_speed(self, enabled: bool) -> None:
        raise Unsupported(f"{self.display_name} has no alternative speed")

    async def retry(self, ids: Sequence[str]) -> None:
        raise Unsupported(f"{self.display_name} cannot retry failed items")

    async def collect(self) -> dict[str, Any]:
        items, stats = await gather_all(self.items(), self.transfer_stats())
        return {"items": _dump(items), "stats": stats.model_dump(mode="json")}

    def is_active(self, data: Mapping[str, Any]) -> bool:
        return any(item.get("state") in ACTIVE_STATES for item in data.get("items", []))


class ArrAdapter(Adapter):
    """Sonarr, Radarr, Lidarr: the shared Servarr API."""

    api_root: ClassVar[str] = "api/v3"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"queue", "history", "commands", "webhooks", "root_folders", "logs", "library",
         "calendar", "lookup", "add", "delete", "exclusions", "search", "monitor"}
    )  # fmt: skip

    async def system_status(self) -> SystemStatus:
        raise NotImplementedError

    async def root_folders(self) -> list[RootFolder]:
        raise NotImplementedError

    async def queue_page(
        self, page: int = 1, page_size: int = QUEUE_PAGE_SIZE
    ) -> PageOf[ArrQueueItem]:
        raise NotImplementedError

    async def queue(self, max_items: int = 10_000) -> list[ArrQueueItem]:
        """The whole queue, paged at <= 200 per request.

        A live queue shifts between page requests, so a record can show up on two
        pages: keep the first sighting of each id.
        """
        records: dict[int, ArrQueueItem] = {}
        page = 1
        while len(records) < max_items:
            chunk = await self.queue_page(page, QUEUE_PAGE_SIZE)
            for record in chunk.records:
                records.setdefault(record.id, record)
            if not chunk.records or page * QUEUE_PAGE_SIZE >= chunk.total:
                break
            page += 1
        return list(records.values())[:max_items]

    async def history(
        self, page: int = 1, page_size: int = 50, since: datetime | None = None
    ) -> PageOf[ArrHistoryItem]:
        raise NotImplementedError

    async def command(self, name: str, **body: Any) -> CommandStatus:
        raise NotImplementedError

    async def command_status(self, command_id: int) -> CommandStatus:
        raise NotImplementedError

    async def run_command(
        self, name: str, *, wait: float = 60.0, poll: float = 1.0, **body: Any
    ) -> CommandStatus:
        """Start a command and poll it until it finishes or `wait` seconds pass."""
        status = await self.command(name, **body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not status.finished and loop.time() < deadline:
            await asyncio.sleep(poll)
            status = await self.command_status(status.id)
        return status

    async def remove_queue_item(
        self, queue_id: int, *, remove_from_client: bool, blocklist: bool, skip_redownload: bool
    ) -> None:
        raise NotImplementedError

    async def tag_labels(self) -> dict[int, str]:
        """Every tag's id -> label."""
        return {}

    # ---- library (LIB-1) -------------------------------------------------------------------
    #: What a top-level title of this upstream is: "series" (Sonarr), "movie" (Radarr),
    #: "artist" (Lidarr).
    library_kind: ClassVar[LibraryKind]

    def library_records(self) -> AsyncIterator[LibraryRecord]:
        """Every title of the library, streamed one at a time (bounded memory).

        Implementations are async generators (`async def ... yield`); use `async for`.

        An error mid-stream raises (never a silently partial list): the caller must not
        treat what it got so far as the whole library.
        """
        raise Unsupported(f"{self.display_name} has no library")

    def library_children(self, parent_upstream_id: int | None = None) -> AsyncIterator[ChildRecord]:
        """Episodes (Sonarr) or albums (Lidarr): all of them (None) or one title's.

        Radarr's movies have no children: it yields nothing.
        """
        raise Unsupported(f"{self.display_name} has no library")

    async def library_record(self, upstream_id: int) -> LibraryRecord | None:
        """One title as the upstream has it now; None when it is gone (404)."""
        raise Unsupported(f"{self.display_name} has no library")

    async def cutoff_unmet_ids(self) -> set[int]:
        """Upstream ids of children (episodes, albums) or movies whose files are below the
        quality profile's cutoff (`wanted/cutoff`), for the cache to mark `cutoff_unmet`."""
        raise Unsupported(f"{self.display_name} has no library")

    def children_signatures(self) -> dict[int, int] | None:
        """Each title's signature of its children as of the last complete
        `library_records()` pass; None when this upstream cannot say (then every child is
        read again)."""
        return None

    def library_children_of(self, parent_ids: list[int]) -> AsyncIterator[ChildRecord]:
        """The children of just these titles, for those whose signature moved."""
        raise Unsupported(f"{self.display_name} cannot read children by title")

    # ---- end library (LIB-1) ---------------------------------------------------------------

    # ---- catalog (LIB-7/8/9) ----------------------------------------------------------------

    async def calendar(self, start: datetime, end: datetime) -> list[CalendarRecord]:
        """Releases in `[start, end)` (episodes airing, movie releases, albums), monitored
        or not, each with its series'/movie's/artist's tag labels."""
        raise Unsupported(f"{self.display_name} has no calendar")

    async def lookup(self, term: str) -> list[LookupRecord]:
        """Titles the upstream's metadata source knows: a name or `tvdb:`/`tmdb:`/`lidarr:`."""
        raise Unsupported(f"{self.display_name} has no title lookup")

    async def picker_options(self) -> OptionsRecord:
        """Root folders, quality profiles and (Lidarr) metadata profiles, for adds."""
        raise Unsupported(f"{self.display_name} cannot add titles")

    async def add_title(self, options: AddOptions) -> LibraryRecord:
        """Add a title found by its external id; `Conflict` when it is already there,
        `ValidationFailed` with the upstream's messages when it refuses."""
        raise Unsupported(f"{self.display_name} cannot add titles")

    async def delete_title(
        self, upstream_id: int, *, delete_files: bool, add_exclusion: bool
    ) -> None:
        """Delete a top-level title, optionally with its files and an import exclusion."""
        raise Unsupported(f"{self.display_name} cannot delete titles")

    async def exclusions(self) -> list[ExclusionRecord]:
        """The import exclusion list."""
        raise Unsupported(f"{self.display_name} has no import exclusions")

    async def delete_exclusion(self, exclusion_id: int) -> None:
        raise Unsupported(f"{self.display_name} has no import exclusions")

    # ---- library actions (LIB-3, LIB-9) ----

    async def search_item(
        self,
        upstream_id: int,
        *,
        season: int | None = None,
        child_ids: Sequence[int] | None = None,
    ) -> CommandStatus:
        """Start the upstream's search for a title, one of its seasons (Sonarr) or some of
        its episodes/albums (upstream ids). `NotFound` when the title is gone,
        `ValidationFailed` when the season or a child is not the title's."""
        raise Unsupported(f"{self.display_name} cannot search for titles")

    async def rescan_item(self, upstream_id: int) -> CommandStatus:
        """Start a rescan of the title's folder on disk (`NotFound` when it is gone)."""
        raise Unsupported(f"{self.display_name} cannot rescan titles")

    async def set_monitored(self, upstream_id: int, monitored: bool) -> bool:
        """Monitor or unmonitor a title; returns `monitored` as the upstream has it after."""
        raise Unsupported(f"{self.display_name} cannot change what it monitors")

    # ---- end library actions ----

    # ---- end catalog (LIB-7/8/9) ------------------------------------------------------------

    async def collect(self) -> dict[str, Any]:
        status, health, folders, queue = await gather_all(
            self.system_status(), self.health(), self.root_folders(), self.queue()
        )
        return {
            "status": status.model_dump(mode="json"),
            "health": health.model_dump(mode="json"),
            "root_folders": _dump(folders),
            "queue": _dump(queue),
        }

    def is_active(self, data: Mapping[str, Any]) -> bool:
        """Downloading right now; a queue stuck on import problems is not worth fast polls."""
        return any(
            item.get("tracked_state") == "downloading" or item.get("status") == "downloading"
            for item in data.get("queue", [])
        )


class IndexerAdapter(Adapter):
    """Prowlarr."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"indexers", "indexer_stats", "logs"})

    async def system_status(self) -> SystemStatus:
        raise NotImplementedError

    async def indexers(self) -> list[Indexer]:
        raise NotImplementedError

    async def indexer_stats(self) -> list[IndexerStats]:
        raise NotImplementedError

    async def collect(self) -> dict[str, Any]:
        health, indexers, stats = await gather_all(
            self.health(), self.indexers(), self.indexer_stats()
        )
        return {
            "health": health.model_dump(mode="json"),
            "indexers": _dump(indexers),
            "indexer_stats": _dump(stats),
        }


class SubtitlesAdapter(Adapter):
    """Bazarr."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"wanted"})

    async def wanted(self) -> WantedSubtitles:
        raise NotImplementedError

    async def collect(self) -> dict[str, Any]:
        health, wanted = await gather_all(self.health(), self.wanted())
        return {"health": health.model_dump(mode="json"), "wanted": wanted.model_dump(mode="json")}


class RequestsAdapter(Adapter):
    """Overseerr, Jellyseerr, Ombi.

    Besides the paged view (`requests`, `counts`) used by the collector, the requests
    service reads every request of an instance (`all_requests`, paged upstream at
    <= `REQUEST_PAGE` per call and bounded), creates requests (as a given upstream user when
    the hub acts for one) and approves or declines them. A request is addressed by its
    `request_key`: the upstream id as text, qualified where the upstream's ids are not
    unique on their own (Ombi numbers movie and TV requests separately).
    """

    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"requests", "webhooks", "create_request", "approve"}
    )

    async def requests(
        self, *, take: int = 20, skip: int = 0, status: RequestStatus | None = None
    ) -> PageOf[MediaRequest]:
        raise NotImplementedError

    async def counts(self) -> RequestCounts:
        raise NotImplementedError

    def request_key(self, request: MediaRequest) -> str:
        """The text that names `request` at this instance (the hub id's second part)."""
        return str(request.id)

    async def all_requests(self, limit: int = REQUESTS_PER_INSTANCE) -> list[MediaRequest]:
        """Every request (at most `limit`), with titles, newest first."""
        found: dict[int, MediaRequest] = {}
        skip = 0
        while len(found) < limit:
            page = await self.requests(take=REQUEST_PAGE, skip=skip)
            for record in page.records:
                found.setdefault(record.id, record)  # a live list shifts between pages
            skip += REQUEST_PAGE
            if not page.records or skip >= page.total:
                break
        return list(found.values())[:limit]

    async def get_request(self, key: str) -> MediaRequest:
        raise Unsupported(f"{self.display_name} cannot read a single request through arrhub")

    async def create_request(
        self,
        media_type: str,
        tmdb_id: int,
        seasons: list[int] | None,
        *,
        user: RequestUser | None = None,
    ) -> MediaRequest:
        """Request a title; `seasons` None = every season (TV); `user`: on their behalf.

        Raises `arrhub.errors.Conflict` when the upstream says it is already requested.
        """
        raise Unsupported(f"{self.display_name} cannot create requests through arrhub")

    async def set_status(self, key: str, *, approve: bool) -> MediaRequest:
        """Approve or decline a request; returns it as it is afterwards."""
        raise Unsupported(f"{self.display_name} cannot approve or decline through arrhub")

    async def find_user(self, name: str) -> RequestUser | None:
        """The upstream user whose login name or email is `name` (case-insensitive)."""
        raise Unsupported(f"{self.display_name} cannot look up its users through arrhub")

    async def collect(self) -> dict[str, Any]:
        health, counts, recent = await gather_all(
            self.health(), self.counts(), self.requests(take=20)
        )
        return {
            "health": health.model_dump(mode="json"),
            "counts": counts.model_dump(mode="json"),
            "recent": _dump(recent.records),
        }


class MediaServerAdapter(Adapter):
    """Plex, Jellyfin, Emby."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"sessions", "libraries"})

    async def sessions(self) -> list[MediaSession]:
        raise NotImplementedError

    async def libraries(self) -> list[Library]:
        raise NotImplementedError

    async def collect(self) -> dict[str, Any]:
        health, sessions, libraries = await gather_all(
            self.health(), self.sessions(), self.libraries()
        )
        return {
            "health": health.model_dump(mode="json"),
            "sessions": _dump(sessions),
            "libraries": _dump(libraries),
        }

    def is_active(self, data: Mapping[str, Any]) -> bool:
        return bool(data.get("sessions"))


class StatsAdapter(Adapter):
    """Tautulli."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"activity", "libraries", "logs"})

    async def activity(self) -> Activity:
        raise NotImplementedError

    async def libraries(self) -> list[Library]:
        raise NotImplementedError

    async def collect(self) -> dict[str, Any]:
        health, activity, libraries = await gather_all(
            self.health(), self.activity(), self.libraries()
        )
        return {
            "health": health.model_dump(mode="json"),
            "activity": activity.model_dump(mode="json"),
            "libraries": _dump(libraries),
        }

    def is_active(self, data: Mapping[str, Any]) -> bool:
        return bool(data.get("activity", {}).get("stream_count"))


__all__ = [
    "ArrAdapter",
    "DownloadClientAdapter",
    "HealthReport",
    "IndexerAdapter",
    "MediaServerAdapter",
    "RequestsAdapter",
    "StatsAdapter",
    "SubtitlesAdapter",
]
