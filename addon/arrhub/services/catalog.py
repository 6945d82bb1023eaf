"""Calendar, title lookup, add and delete over every *arr instance (LIB-7, LIB-8, LIB-9).

Everything here is a live call to the upstreams (the library cache is another
service's): the calendar asks every enabled Sonarr, Radarr and Lidarr at once and
answers with whatever came back, naming the instances that did not (`stale_instances`).
Users see the entries of series, movies and artists carrying one of their tags, the
same rule as downloads. Import exclusion lists are cached for a few minutes per
instance (lookups mark excluded titles with them); `upcoming_counts` for the summary is
cached five minutes per day, so polling the summary never polls the upstreams.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from arrhub.adapters.categories import ArrAdapter
from arrhub.auth.principal import Principal
from arrhub.errors import HubError, NotFound, ValidationFailed
from arrhub.keys import CATALOG, COLLECTOR, EVENTS, LIBRARY
from arrhub.models.catalog import (
    DEFAULT_MONITOR,
    LIBRARY_KIND,
    MAX_CALENDAR_DAYS,
    MONITOR_OPTIONS,
    AddBody,
    AddOptions,
    CalendarEntry,
    CalendarQuery,
    CalendarRecord,
    CalendarReply,
    CatalogOptions,
    DeleteQuery,
    DeleteReply,
    Exclusion,
    ExclusionRecord,
    ExclusionsPage,
    ExclusionsQuery,
    IcsQuery,
    LookupQuery,
    LookupRecord,
    LookupReply,
    LookupResult,
    ProfileOption,
    RootFolderOption,
)
from arrhub.models.library import LibraryKind, LibraryRecord
from arrhub.models.library_api import LibraryItem
from arrhub.services.calendar_feed import render_ics
from arrhub.services.library_actions import LibraryActions
from arrhub.timeutil import utcnow

LOGGER = logging.getLogger(__name__)

#: How long an instance's import exclusion list and a day's upcoming counts are reused.
CACHE_SECONDS = 300.0
DEFAULT_DAYS = 7


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def calendar_range(query: CalendarQuery, today: date) -> tuple[datetime, datetime]:
    """`[start, end)` in UTC: a date starts at its midnight, an end date is included."""
    if query.start is None:
        start = _midnight(today)
    elif isinstance(query.start, datetime):
        start = query.start if query.start.tzinfo else query.start.replace(tzinfo=UTC)
    else:
        start = _midnight(query.start)
    if query.end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    elif isinstance(query.end, datetime):
        end = query.end if query.end.tzinfo else query.end.replace(tzinfo=UTC)
    else:
        end = _midnight(query.end) + timedelta(days=1)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValidationFailed("`end` must be after `start`")
    if end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise ValidationFailed(f"the calendar spans at most {MAX_CALENDAR_DAYS} days")
    return start, end


def visible(record: CalendarRecord, principal: Principal | None) -> bool:
    return principal is None or principal.is_admin or bool(set(record.tags) & set(principal.tags))


def _entry(instance_id: str, record: CalendarRecord) -> CalendarEntry:
    return CalendarEntry(
        id=f"{instance_id}:{record.type}:{record.upstream_id}:{record.release_kind}",
        instance_id=instance_id,
        type=record.type,
        release_kind=record.release_kind,
        title=record.title,
        subtitle=record.subtitle,
        start=record.start,
        end=record.end,
        all_day=record.all_day,
        has_file=record.has_file,
        monitored=record.monitored,
        item_id=f"{instance_id}:{record.parent_type}:{record.parent_upstream_id}",
        season_number=record.season_number,
        episode_number=record.episode_number,
        overview=record.overview,
    )


def _split_item_id(item_id: str) -> tuple[str, str, int]:
    instance_id, kind, upstream = item_id.split(":")
    return instance_id, kind, int(upstream)


def _external_match(
    exclusion: ExclusionRecord, *, tmdb: int | None, tvdb: int | None, mbid: str | None
) -> bool:
    return (
        (tmdb is not None and exclusion.tmdb_id == tmdb)
        or (tvdb is not None and exclusion.tvdb_id == tvdb)
        or (mbid is not None and exclusion.musicbrainz_id == mbid)
    )


class CatalogService:
    def __init__(self, app: web.Application, *, clock: Callable[[], float] = time.monotonic):
        self._app = app
        self._clock = clock
        self._exclusions: dict[str, tuple[float, list[ExclusionRecord]]] = {}
        self._upcoming: dict[date, tuple[float, dict[str, int]]] = {}
        self._upcoming_lock = asyncio.Lock()
        #: Search now, rescan and monitor (LIB-3, LIB-9), in their own module.
        self.actions = LibraryActions(app)

    # ---- instances --------------------------------------------------------------------------

    def _arrs(self, instance_id: str | None = None) -> list[tuple[str, ArrAdapter, LibraryKind]]:
        """Enabled Sonarr, Radarr and Lidarr instances (the collector holds adapters only
        for enabled ones), in the collector's order."""
        collector = self._app[COLLECTOR]
        found = []
        for snap_id, snapshot in collector.snapshots().items():
            if snapshot.category != "arr" or instance_id not in (None, snap_id):
                continue
            adapter = collector.adapter(snap_id)
            kind = getattr(type(adapter), "library_kind", None)
            if isinstance(adapter, ArrAdapter) and kind in ("series", "movie", "artist"):
                found.append((snap_id, adapter, kind))
        return found

    def _arr(self, instance_id: str) -> tuple[ArrAdapter, LibraryKind]:
        for _, adapter, kind in self._arrs(instance_id):
            return adapter, kind
        raise NotFound(f"no enabled Sonarr, Radarr or Lidarr instance {instance_id!r}")

    async def _each[T](
        self,
        arrs: list[tuple[str, ArrAdapter, LibraryKind]],
        call: Callable[[ArrAdapter], Awaitable[T]],
    ) -> tuple[dict[str, T], list[str]]:
        """`call` on every instance at once: results by instance, and those that failed."""
        outcomes = await asyncio.gather(
            *(call(adapter) for _, adapter, _ in arrs), return_exceptions=True
        )
        results: dict[str, T] = {}
        failed: list[str] = []
        for (instance_id, _, _), outcome in zip(arrs, outcomes, strict=True):
            if isinstance(outcome, HubError):
                LOGGER.info("catalog: instance %s failed: %s", instance_id, outcome)
                failed.append(instance_id)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results[instance_id] = outcome
        return results, failed

    # ---- calendar ---------------------------------------------------------------------------

    async def _records(
        self, start: datetime, end: datetime, instance_id: str | None = None
    ) -> tuple[list[tuple[str, CalendarRecord]], list[str]]:
        arrs = self._arrs(instance_id)
        if instance_id is not None and not arrs:
            raise NotFound(f"no enabled Sonarr, Radarr or Lidarr instance {instance_id!r}")
        results, failed = await self._each(arrs, lambda a: a.calendar(start, end))
        pairs = [(inst, record) for inst, records in results.items() for record in records]
        pairs.sort(key=lambda p: (p[1].start, p[1].title.casefold(), p[0], p[1].upstream_id))
        return pairs, sorted(failed)

    async def calendar(self, principal: Principal, query: CalendarQuery) -> CalendarReply:
        start, end = calendar_range(query, utcnow().date())
        pairs, stale = await self._records(start, end, query.instance_id)
        items = [
            _entry(inst, record)
            for inst, record in pairs
            if visible(record, principal) and query.type in (None, record.type)
        ]
        return CalendarReply(start=start, end=end, items=items, stale_instances=stale)

    async def ics(self, principal: Principal, query: IcsQuery) -> bytes:
        today = _midnight(utcnow().date())
        start = today - timedelta(days=query.past_days)
        end = today + timedelta(days=query.days)
        pairs, _ = await self._records(start, end)
        entries = [
            _entry(inst, record)
            for inst, record in pairs
            if visible(record, principal) and query.type in (None, record.type)
        ]
        return render_ics(entries, name="arrhub", stamp=utcnow())

    async def upcoming_counts(self, day: date) -> dict[str, int]:
        """Entries per instance on `day` in the hub's local time zone (all-day releases by
        their date); instances that fail are left out. Cached five minutes per day."""
        async with self._upcoming_lock:
            cached = self._upcoming.get(day)
            if cached is not None and self._clock() - cached[0] < CACHE_SECONDS:
                return dict(cached[1])
            local_start = datetime(day.year, day.month, day.day).astimezone()
            local_end = (datetime(day.year, day.month, day.day) + timedelta(days=1)).astimezone()
            start = min(local_start.astimezone(UTC), _midnight(day))
            end = max(local_end.astimezone(UTC), _midnight(day) + timedelta(days=1))
            arrs = self._arrs()
            results, _ = await self._each(arrs, lambda a: a.calendar(start, end))
            counts = {
                inst: sum(
                    1
                    for r in records
                    if (r.start.date() == day if r.all_day else local_start <= r.start < local_end)
                )
                for inst, records in results.items()
            }
            self._upcoming = {
                d: v for d, v in self._upcoming.items() if self._clock() - v[0] < CACHE_SECONDS
            }
            self._upcoming[day] = (self._clock(), counts)
            return dict(counts)

    # ---- lookup and pickers -----------------------------------------------------------------

    async def _cached_exclusions(
        self, instance_id: str, adapter: ArrAdapter
    ) -> list[ExclusionRecord]:
        cached = self._exclusions.get(instance_id)
        if cached is not None and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        records = await adapter.exclusions()
        self._exclusions[instance_id] = (self._clock(), records)
        return records

    async def lookup(self, query: LookupQuery) -> LookupReply:
        wanted = LIBRARY_KIND[query.type]
        if query.instance_id is not None:
            adapter, kind = self._arr(query.instance_id)
            if kind != wanted:
                raise ValidationFailed(
                    f"instance {query.instance_id} holds {kind} titles, not {query.type}"
                )
            instance_id = query.instance_id
        else:
            candidates = [(i, a) for i, a, k in self._arrs() if k == wanted]
            if not candidates:
                raise NotFound(f"no enabled instance for {query.type} titles")
            instance_id, adapter = candidates[0]
        records = await adapter.lookup(query.q.strip())
        try:
            exclusions = await self._cached_exclusions(instance_id, adapter)
        except HubError as err:  # the lookup is still worth answering
            LOGGER.info("catalog: exclusions of %s unavailable: %s", instance_id, err)
            exclusions = []
        items = [
            await self._lookup_result(instance_id, wanted, record, exclusions) for record in records
        ]
        return LookupReply(instance_id=instance_id, items=items)

    async def _lookup_result(
        self,
        instance_id: str,
        kind: LibraryKind,
        record: LookupRecord,
        exclusions: list[ExclusionRecord],
    ) -> LookupResult:
        ids: list[str] = []
        if record.upstream_id is not None:
            ids.append(f"{instance_id}:{kind}:{record.upstream_id}")
        external: dict[str, Any]
        if kind == "movie":
            external = {"tmdb_id": record.tmdb_id}
        elif kind == "series":
            external = {"tvdb_id": record.tvdb_id}
        else:
            external = {"musicbrainz_id": record.musicbrainz_id}
        if any(v is not None for v in external.values()):
            ids.extend(await self._app[LIBRARY].find_external(**external))
        ids = list(dict.fromkeys(ids))
        excluded = any(
            _external_match(e, tmdb=record.tmdb_id, tvdb=record.tvdb_id,
                            mbid=record.musicbrainz_id)
            for e in exclusions
        )  # fmt: skip
        return LookupResult(
            **record.model_dump(exclude={"upstream_id"}),
            in_library=bool(ids),
            library_item_ids=ids,
            excluded=excluded,
        )

    async def options(self, instance_id: str) -> CatalogOptions:
        adapter, kind = self._arr(instance_id)
        options = await adapter.picker_options()
        return CatalogOptions(
            instance_id=instance_id,
            type=adapter.kind,
            root_folders=[
                RootFolderOption(path=f.path, free_space=f.free_space) for f in options.root_folders
            ],  # fmt: skip
            quality_profiles=[
                ProfileOption(id=p.id, name=p.name) for p in options.quality_profiles
            ],  # fmt: skip
            metadata_profiles=[
                ProfileOption(id=p.id, name=p.name) for p in options.metadata_profiles
            ],  # fmt: skip
            monitor_options=list(MONITOR_OPTIONS[kind]),
        )

    # ---- add and delete ---------------------------------------------------------------------

    async def add(self, body: AddBody) -> LibraryItem:
        adapter, kind = self._arr(body.instance_id)
        monitor = body.monitor or DEFAULT_MONITOR[kind]
        if monitor not in MONITOR_OPTIONS[kind]:
            raise ValidationFailed(
                f"monitor must be one of {', '.join(MONITOR_OPTIONS[kind])} for {kind} titles",
                errors=[{"loc": ["body", "monitor"], "msg": "not an option for this type",
                         "type": "enum"}],
            )  # fmt: skip
        options = AddOptions(
            tmdb_id=body.tmdb_id, tvdb_id=body.tvdb_id, musicbrainz_id=body.musicbrainz_id,
            root_folder=body.root_folder, quality_profile_id=body.quality_profile_id,
            metadata_profile_id=body.metadata_profile_id, monitor=monitor,
            search_now=body.search_now, tags=tuple(body.tags),
        )  # fmt: skip
        record = await adapter.add_title(options)
        item = self._item(body.instance_id, record)
        data = item.model_dump(mode="json", exclude={"path"})
        self._app[EVENTS].publish(
            "library.item_added", data, instance_id=body.instance_id,
            visibility="tagged" if item.tags else "admin", tags=item.tags,
        )  # fmt: skip
        try:
            await self._app[LIBRARY].refresh_item(body.instance_id, kind, record.upstream_id)
        except Exception:  # the add happened; a cache that lags catches up on its refresh
            LOGGER.warning("catalog: refreshing %s in the library failed", item.id,
                           exc_info=True)  # fmt: skip
        return item

    @staticmethod
    def _item(instance_id: str, record: LibraryRecord) -> LibraryItem:
        fields = record.model_dump(include=set(LibraryItem.model_fields))
        return LibraryItem(
            **fields,
            id=f"{instance_id}:{record.type}:{record.upstream_id}",
            instance_id=instance_id,
            updated_at=utcnow(),
        )

    async def delete(self, item_id: str, query: DeleteQuery) -> DeleteReply:
        instance_id, kind, upstream_id = _split_item_id(item_id)
        adapter, actual = self._arr(instance_id)
        if actual != kind:
            raise NotFound(f"instance {instance_id} holds no {kind} titles")
        await adapter.delete_title(
            upstream_id, delete_files=query.delete_files, add_exclusion=query.add_exclusion
        )
        self._exclusions.pop(instance_id, None)
        reply = DeleteReply(
            id=item_id, deleted=True, files_deleted=query.delete_files,
            excluded=query.add_exclusion,
        )  # fmt: skip
        self._app[EVENTS].publish(
            "library.item_deleted", reply.model_dump(mode="json"), instance_id=instance_id,
            visibility="all",
        )  # fmt: skip
        try:
            await self._app[LIBRARY].forget(item_id)
        except Exception:  # the delete happened; the next refresh drops the row anyway
            LOGGER.warning("catalog: forgetting %s failed", item_id, exc_info=True)
        return reply

    # ---- import exclusions ------------------------------------------------------------------

    async def exclusions(self, query: ExclusionsQuery) -> ExclusionsPage:
        arrs = self._arrs(query.instance_id)
        if query.instance_id is not None and not arrs:
            raise NotFound(f"no enabled Sonarr, Radarr or Lidarr instance {query.instance_id!r}")
        results, failed = await self._each(arrs, lambda a: a.exclusions())
        rows: list[Exclusion] = []
        for instance_id, records in results.items():
            self._exclusions[instance_id] = (self._clock(), records)
            rows.extend(
                Exclusion(
                    id=f"{instance_id}:{r.id}",
                    instance_id=instance_id,
                    upstream_id=r.id,
                    **r.model_dump(exclude={"id"}),
                )  # fmt: skip
                for r in records
            )
        rows.sort(key=lambda e: (e.instance_id, (e.title or "").casefold(), e.upstream_id))
        return ExclusionsPage(
            items=rows[query.offset : query.offset + query.limit], total=len(rows),
            limit=query.limit, offset=query.offset, stale_instances=sorted(failed),
        )  # fmt: skip

    async def delete_exclusion(self, exclusion_id: str) -> None:
        instance_id, _, upstream = exclusion_id.partition(":")
        adapter, _ = self._arr(instance_id)
        await adapter.delete_exclusion(int(upstream))
        self._exclusions.pop(instance_id, None)

    async def is_excluded(self, item_id: str) -> bool | None:
        """Is the library item on its instance's import exclusion list? None: cannot tell
        (instance gone or failing, item unknown upstream)."""
        try:
            instance_id, kind, upstream_id = _split_item_id(item_id)
            adapter, actual = self._arr(instance_id)
            if actual != kind:
                return None
            record = await adapter.library_record(upstream_id)
            if record is None:
                return None
            exclusions = await self._cached_exclusions(instance_id, adapter)
        except (HubError, ValueError) as err:
            LOGGER.debug("catalog: exclusion status of %s unknown: %s", item_id, err)
            return None
        return any(
            _external_match(e, tmdb=record.tmdb_id if kind == "movie" else None,
                            tvdb=record.tvdb_id if kind == "series" else None,
                            mbid=record.musicbrainz_id if kind == "artist" else None)
            for e in exclusions
        )  # fmt: skip


async def catalog_ctx(app: web.Application) -> AsyncIterator[None]:
    app[CATALOG] = CatalogService(app)
    yield
