"""The library cache: every *arr's titles in SQLite with an FTS5 index (LIB-1, LIB-2, LIB-3).

`LibraryService` is the façade the API and other services call; the work is split by
job: `refresh` (fetch and write), `query` (browse and search), `stats`, `export`,
`schedule`. Webhooks from Sonarr/Radarr/Lidarr that name a title refresh (or forget)
just that title.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from aiohttp import web

from arrhub.adapters.categories import ArrAdapter
from arrhub.auth.principal import Principal
from arrhub.collector import Collector
from arrhub.errors import NotFound
from arrhub.events import Event, EventBus, Subscription
from arrhub.jobs.runner import JobContext, JobRunner
from arrhub.keys import CATALOG, COLLECTOR, DATABASE, EVENTS, JOBS, LIBRARY
from arrhub.models.library_api import (
    ExportQuery,
    ItemsPage,
    ItemsQuery,
    Job,
    JobOrigin,
    LibraryItem,
    LibraryItemDetail,
    LibraryStats,
    Period,
    Schedule,
)
from arrhub.services.library.export import export_chunks
from arrhub.services.library.query import (
    LibrarySearch,
    is_missing,
    scope_of,
    seasons_of,
    to_child,
    to_item,
)
from arrhub.services.library.refresh import CHILD_OF, Refresher, library_adapters
from arrhub.services.library.schedule import MODULE, RefreshSchedule
from arrhub.services.library.stats import library_stats
from arrhub.store.instances import InstancesRepository
from arrhub.store.jobs import JobsRepository
from arrhub.store.library import LibraryQueries, LibraryRepository
from arrhub.timeutil import utcnow

LOGGER = logging.getLogger(__name__)

WEBHOOK_READER = Principal(username="arrhub:library", role="admin", via="api_key")
_ID_OF = {"sonarr": ("series", "series_id"), "radarr": ("movie", "movie_id"),
          "lidarr": ("artist", "artist_id")}  # fmt: skip
FORGET_EVENTS = frozenset({"series_delete", "movie_delete", "artist_delete"})
REFRESH_EVENTS = frozenset({
    "download", "rename", "series_add", "movie_added", "movie_add", "artist_add",
    "episode_file_delete", "movie_file_delete", "album_delete", "track_retag",
    "album_download", "import_complete",
})  # fmt: skip


def split_item_id(item_id: str) -> tuple[str, str, int]:
    instance_id, kind, raw = item_id.rsplit(":", 2)
    if kind not in ("movie", "series", "artist") or not raw.isdigit():
        raise NotFound(f"no library item {item_id}")
    return instance_id, kind, int(raw)


class LibraryService:
    def __init__(
        self,
        repository: LibraryRepository,
        collector: Collector,
        instances: InstancesRepository,
        runner: JobRunner,
        bus: EventBus,
        schedule_store: JobsRepository,
        app: web.Application | None = None,
    ) -> None:
        self.repository = repository
        self.queries = LibraryQueries(repository.db)
        self._collector = collector
        self._instances = instances
        self._runner = runner
        self._bus = bus
        self._app = app
        self.refresher = Refresher(repository, collector, bus)
        self.search = LibrarySearch(repository, self.queries)
        self.schedule = RefreshSchedule(schedule_store, self.start_refresh_from)
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.schedule.start()
        subscription = self._bus.subscribe(topics=("webhook.received",), principal=WEBHOOK_READER)
        self._listener = asyncio.create_task(
            self._follow_webhooks(subscription), name="arrhub-library-webhooks"
        )

    async def stop(self) -> None:
        await self.schedule.stop()
        tasks = [t for t in (self._listener, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ---- refresh ----------------------------------------------------------------------------

    async def start_refresh(self, instance_id: str | None = None, origin: JobOrigin = "api") -> Job:
        """Start a refresh job, or return the one already running (one at a time)."""
        running = self._runner.running(MODULE)
        if running is not None:
            return running
        if instance_id is not None and instance_id not in library_adapters(self._collector):
            raise NotFound(f"no Sonarr, Radarr or Lidarr instance with id {instance_id}")
        targets = None if instance_id is None else [instance_id]

        async def body(context: JobContext) -> dict[str, object]:
            return await self.refresher.refresh(context, targets)

        return await self._runner.start(MODULE, body, origin)

    async def start_refresh_from(self, origin: JobOrigin) -> Job:
        return await self.start_refresh(None, origin)

    def _adapter(self, instance_id: str) -> ArrAdapter:
        adapter = library_adapters(self._collector).get(instance_id)
        if adapter is None:
            raise NotFound(f"no Sonarr, Radarr or Lidarr instance with id {instance_id}")
        return adapter

    async def refresh_item(self, instance_id: str, type: str, upstream_id: int) -> None:
        """Re-read one title (after an add or a webhook); forgets it if it is gone."""
        adapter = self._adapter(instance_id)
        if adapter.library_kind != type:
            raise NotFound(f"instance {instance_id} has no {type} titles")
        await self.refresher.refresh_item(instance_id, adapter, upstream_id)

    async def forget(self, item_id: str) -> None:
        instance_id, kind, upstream_id = split_item_id(item_id)
        await self.repository.forget(instance_id, kind, upstream_id)

    async def find_external(
        self,
        *,
        tmdb_id: int | None = None,
        tvdb_id: int | None = None,
        musicbrainz_id: str | None = None,
    ) -> list[str]:
        found: list[str] = []
        for column, value in (("tmdb_id", tmdb_id), ("tvdb_id", tvdb_id),
                              ("musicbrainz_id", musicbrainz_id)):  # fmt: skip
            if value is None:
                continue
            for row in await self.repository.find_external(column, value):
                item = f"{row['instance_id']}:{row['type']}:{row['upstream_id']}"
                if item not in found:
                    found.append(item)
        return found

    async def summary_counts(self) -> dict[str, dict[str, int]]:
        """Per instance: titles, children, and what is wanted in the units the *arr's own
        Wanted pages use: missing and cutoff-unmet episodes (Sonarr), movies (Radarr),
        albums (Lidarr)."""
        items, children = await self.queries.summary()
        out: dict[str, dict[str, int]] = {}
        empty = {"movies": 0, "series": 0, "episodes": 0, "artists": 0, "albums": 0,
                 "missing": 0, "cutoff_unmet": 0, "size_on_disk": 0}  # fmt: skip
        plural = {"movie": "movies", "series": "series", "artist": "artists",
                  "episode": "episodes", "album": "albums"}  # fmt: skip
        for row in items:
            counts = out.setdefault(row["instance_id"], dict(empty))
            counts[plural[row["type"]]] = int(row["n"])
            counts["missing"] += int(row["missing"])
            if row["type"] == "movie":  # series and artists: their children's flags below
                counts["cutoff_unmet"] += int(row["cutoff"])
            counts["size_on_disk"] += int(row["size"])
        for row in children:
            counts = out.setdefault(row["instance_id"], dict(empty))
            counts[plural[row["type"]]] = int(row["n"])
            counts["cutoff_unmet"] += int(row["cutoff"])
        return out

    # ---- reads ------------------------------------------------------------------------------

    async def page(self, principal: Principal, query: ItemsQuery) -> ItemsPage:
        rows, total = await self.search.select(
            query, scope_of(principal), query.limit, query.offset
        )
        return ItemsPage(
            items=[to_item(r) for r in rows], total=total, limit=query.limit, offset=query.offset
        )

    async def detail(self, principal: Principal, item_id: str) -> LibraryItemDetail:
        instance_id, kind, upstream_id = split_item_id(item_id)
        row = await self.repository.item(instance_id, kind, upstream_id)
        if row is None:
            raise NotFound(f"no library item {item_id}")
        item = to_item(row)
        scope = scope_of(principal)
        if scope is not None and not scope & set(item.tags):
            raise NotFound(f"no library item {item_id}")
        children = []
        child_kind = CHILD_OF.get(kind)
        if child_kind:
            rows = await self.repository.children(instance_id, child_kind, upstream_id)
            children = [to_child(r, kind) for r in rows]
        now = utcnow()
        return LibraryItemDetail(
            **item.model_dump(),
            children=children,
            seasons=seasons_of(children, now) if kind == "series" else [],
            missing=[c for c in children if is_missing(c, now)],
            excluded=await self._excluded(item_id),
        )

    async def _excluded(self, item_id: str) -> bool | None:
        if self._app is None:
            return None
        catalog = self._app.get(CATALOG)
        if catalog is None:
            return None
        try:
            result = await catalog.is_excluded(item_id)
        except Exception:  # the exclusion list is an upstream call: never fail the detail
            LOGGER.warning("exclusion status of %s unavailable", item_id, exc_info=True)
            return None
        return None if result is None else bool(result)

    async def stats(self, principal: Principal, period: Period) -> LibraryStats:
        return await library_stats(self.queries, self._instances, period, scope_of(principal))

    def export(self, principal: Principal, query: ExportQuery) -> AsyncIterator[bytes]:
        scope = scope_of(principal)

        async def fetch(limit: int, offset: int) -> list[LibraryItem]:
            rows, _ = await self.search.select(query, scope, limit, offset)
            return [to_item(r) for r in rows]

        return export_chunks(fetch, query.format, with_path=principal.is_admin)

    async def get_schedule(self) -> Schedule:
        return self.schedule.view()

    async def set_schedule(self, minutes: int) -> Schedule:
        return await self.schedule.set_interval(minutes)

    # ---- webhooks ---------------------------------------------------------------------------

    async def _follow_webhooks(self, subscription: Subscription) -> None:
        async for event in subscription:
            self.on_webhook(event)

    def on_webhook(self, event: Event) -> None:
        """A Sonarr/Radarr/Lidarr webhook naming a title: refresh or forget just that one."""
        data = event.data
        target = _ID_OF.get(str(data.get("source")))
        if target is None or event.instance_id is None or data.get("test"):
            return
        kind, key = target
        upstream_id = data.get("ids", {}).get(key)
        event_type = str(data.get("event_type"))
        if not isinstance(upstream_id, int):
            return
        instance_id = event.instance_id
        coro: Coroutine[Any, Any, object]
        if event_type in FORGET_EVENTS:
            coro = self.repository.forget(instance_id, kind, upstream_id)
        elif event_type in REFRESH_EVENTS:
            coro = self.refresh_item(instance_id, kind, upstream_id)
        else:
            return
        task = asyncio.create_task(self._guarded(coro, instance_id, upstream_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(
        coro: Coroutine[Any, Any, object], instance_id: str, upstream_id: int
    ) -> None:
        try:
            await coro
        except Exception as err:
            LOGGER.warning("library update of %s:%s failed: %s", instance_id, upstream_id, err)


async def library_ctx(app: web.Application) -> AsyncIterator[None]:
    db = app[DATABASE]
    service = LibraryService(
        LibraryRepository(db),
        app[COLLECTOR],
        InstancesRepository(db),
        app[JOBS],
        app[EVENTS],
        JobsRepository(db),
        app,
    )
    app[LIBRARY] = service
    await service.start()
    yield
    await service.stop()
