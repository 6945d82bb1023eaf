"""Refreshing the cache from the *arrs: whole instances (a job) or one title (webhooks).

Per instance: titles are streamed from the adapter and written in batches (each its own
transaction, only changed rows); then the children (episodes/albums) the same way; only
after both streams completed are the rows the upstream no longer has deleted and the
parents' counts recomputed. A failure anywhere (upstream down, bad reply, cancel) leaves
the instance's last good rows in place and marks its refresh failed in the job result.
Memory is bounded by the batch size: no instance's library is ever held in a list
(only ids and signatures of the parents, a few hundred KB for 10k series).

Children are read only where they can have changed: an adapter that gives each parent a
signature (Sonarr: the series' statistics) lets the refresh skip the parents whose
signature matches the one stored with their cached children, and whose cached
`cutoff_unmet` flags agree with the upstream's cutoff list; those children are kept as
they are. A nothing-changed refresh of a 10k-series Sonarr is then two list reads and
the cutoff pages instead of 10k episode requests.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from arrhub.adapters.categories import ArrAdapter
from arrhub.collector import Collector
from arrhub.events import EventBus
from arrhub.jobs.runner import JobCancelled, JobContext
from arrhub.models.library import ChildRecord, LibraryRecord
from arrhub.services.library.pipeline import BatchWriter
from arrhub.store.library import LibraryRepository, WriteCounts
from arrhub.timeutil import utcnow

LOGGER = logging.getLogger(__name__)

CHILD_OF = {"series": "episode", "artist": "album"}
ITEM_BATCH = 500
CHILD_BATCH = 1000
PARALLEL_INSTANCES = 2
#: Share of an instance's progress taken by its titles when it also has children.
ITEMS_SHARE = 0.25

Progress = Callable[[float, str | None], Awaitable[None]]


def library_adapters(collector: Collector) -> dict[str, ArrAdapter]:
    """Every configured, enabled instance that has a library (Sonarr, Radarr, Lidarr)."""
    found: dict[str, ArrAdapter] = {}
    for instance_id in collector.snapshots():
        adapter = collector.adapter(instance_id)
        if isinstance(adapter, ArrAdapter) and getattr(type(adapter), "library_kind", None):
            found[instance_id] = adapter
    return found


class Refresher:
    def __init__(self, repository: LibraryRepository, collector: Collector, bus: EventBus) -> None:
        self._repository = repository
        self._collector = collector
        self._bus = bus
        self.item_batch = ITEM_BATCH
        self.child_batch = CHILD_BATCH
        #: Per run: the signatures of the parents whose children it read, stored when
        #: the run finishes (never before: a failed run must read them again).
        self._signatures: dict[str, dict[int, int]] = {}

    async def refresh(self, context: JobContext, instance_ids: list[str] | None) -> dict[str, Any]:
        """The job body: every library instance (or the ones named), two at a time."""
        adapters = library_adapters(self._collector)
        if instance_ids is not None:
            adapters = {k: v for k, v in adapters.items() if k in instance_ids}
        fractions = dict.fromkeys(adapters, 0.0)
        limit = asyncio.Semaphore(PARALLEL_INSTANCES)

        async def one(instance_id: str, adapter: ArrAdapter) -> dict[str, Any]:
            async def progress(fraction: float, message: str | None) -> None:
                fractions[instance_id] = fraction
                total = sum(fractions.values()) / max(len(fractions), 1)
                await context.progress(total, message)

            async with limit:
                return await self.refresh_instance(context, instance_id, adapter, progress)

        results = await asyncio.gather(*(one(i, a) for i, a in adapters.items()))
        failed = [r["instance_id"] for r in results if not r["ok"]]
        return {"instances": results, "failed": failed}

    async def refresh_instance(
        self, context: JobContext, instance_id: str, adapter: ArrAdapter, progress: Progress
    ) -> dict[str, Any]:
        kind = adapter.library_kind
        child_kind = CHILD_OF.get(kind)
        run = secrets.token_hex(8)
        items, children = WriteCounts(), WriteCounts()
        first = not await self._repository.has_refreshed(instance_id)
        items_share = ITEMS_SHARE if child_kind else 1.0
        try:
            expected = max(await self._repository.count(instance_id, kind), 1)
            seen = 0
            batch: list[LibraryRecord] = []

            async def write_items(records: list[LibraryRecord]) -> WriteCounts:
                return await self._write_items(instance_id, records, run)

            async with BatchWriter(write_items) as writer:
                async for record in adapter.library_records():
                    batch.append(record)
                    if len(batch) >= self.item_batch:
                        await writer.put(batch)
                        seen += len(batch)
                        batch = []
                        share = items_share * min(seen / expected, 0.99)
                        await progress(share, f"{kind}: {seen}")
                await writer.put(batch)
            items.add(writer.counts)
            context.checkpoint()
            if child_kind:
                children = await self._children(context, instance_id, adapter, run, first,
                                                progress, items_share)  # fmt: skip
            now = utcnow()
            items.removed = await self._repository.finish_items(instance_id, kind, run)
            if child_kind:
                children.removed = await self._repository.finish_children(
                    instance_id, child_kind, run, now, signatures=self._signatures.get(run)
                )
            await self._repository.record_refresh(instance_id, now, ok=True, error=None)
        except (JobCancelled, asyncio.CancelledError):
            await self._repository.drop_run(run)
            raise
        except Exception as err:
            LOGGER.warning("library refresh of %s failed: %s", instance_id, err)
            await self._repository.drop_run(run)
            message = str(err) or type(err).__name__
            await self._repository.record_refresh(instance_id, utcnow(), ok=False, error=message)
            await progress(1.0, None)
            return {"instance_id": instance_id, "ok": False, "error": message,
                    "items": items.as_dict(), "children": children.as_dict()}  # fmt: skip
        finally:
            self._signatures.pop(run, None)
        await progress(1.0, None)
        summary = {"instance_id": instance_id, "ok": True, "error": None,
                   "items": items.as_dict(), "children": children.as_dict()}  # fmt: skip
        self._bus.publish(
            "library.refreshed",
            {"type": kind, "items": items.as_dict(), "children": children.as_dict()},
            instance_id=instance_id,
            visibility="all",
        )
        return summary

    async def _children(
        self,
        context: JobContext,
        instance_id: str,
        adapter: ArrAdapter,
        run: str,
        first: bool,
        progress: Progress,
        items_share: float,
    ) -> WriteCounts:
        counts = WriteCounts()
        cutoff = await self._cutoff_ids(adapter)
        kind = adapter.library_kind
        child_kind = CHILD_OF[kind]
        expected = max(await self._repository.expected_children(instance_id, kind), 1)
        plan = await self._plan(instance_id, adapter, run, cutoff)
        stream: AsyncIterator[ChildRecord]
        if plan is None:
            stream = adapter.library_children()
        else:
            to_read, signatures, share, counts.unchanged = plan
            self._signatures[run] = signatures
            expected = max(round(expected * share), 1)
            stream = adapter.library_children_of(to_read)
        seen = 0
        batch: list[ChildRecord] = []

        async def write_children(records: list[ChildRecord]) -> WriteCounts:
            return await self._write_children(instance_id, records, run, first)

        async with BatchWriter(write_children) as writer:
            async for record in stream:
                child = record
                if child.upstream_id in cutoff and not child.cutoff_unmet:
                    child = child.model_copy(update={"cutoff_unmet": True})
                batch.append(child)
                if len(batch) >= self.child_batch:
                    await writer.put(batch)
                    seen += len(batch)
                    batch = []
                    share = items_share + (1 - items_share) * min(seen / expected, 0.99)
                    await progress(share, f"{child_kind}: {seen}")
            await writer.put(batch)
        counts.add(writer.counts)
        context.checkpoint()
        return counts

    async def _plan(
        self, instance_id: str, adapter: ArrAdapter, run: str, cutoff: frozenset[int]
    ) -> tuple[list[int], dict[int, int], float, int] | None:
        """Which parents' children to read: (their ids, their signatures, the share of all
        parents they are, the children kept unread); None when the adapter cannot say
        (read them all)."""
        current = adapter.children_signatures()
        if current is None:
            return None
        kind = adapter.library_kind
        stored = await self._repository.children_signatures(instance_id, kind)
        drift = await self._repository.cutoff_drift(instance_id, CHILD_OF[kind], cutoff)
        to_read = [p for p, sig in current.items() if stored.get(p) != sig or p in drift]
        wanted = set(to_read)
        kept = [p for p in current if p not in wanted]
        unread = await self._repository.keep_children(instance_id, run, CHILD_OF[kind], kept)
        signatures = {p: current[p] for p in to_read}
        return to_read, signatures, len(to_read) / max(len(current), 1), unread

    @staticmethod
    async def _cutoff_ids(adapter: ArrAdapter) -> frozenset[int]:
        """Episodes whose file is below the profile's cutoff, when the adapter can say."""
        try:
            return frozenset(await adapter.cutoff_unmet_ids())
        except NotImplementedError:
            return frozenset()

    async def _write_items(
        self, instance_id: str, batch: list[LibraryRecord], run: str | None
    ) -> WriteCounts:
        return await self._repository.write_items(instance_id, batch, utcnow(), run)

    async def _write_children(
        self, instance_id: str, batch: list[ChildRecord], run: str | None, first: bool
    ) -> WriteCounts:
        return await self._repository.write_children(
            instance_id, batch, utcnow(), run, first_refresh=first
        )

    # ---- one title ------------------------------------------------------------------------

    async def refresh_item(self, instance_id: str, adapter: ArrAdapter, upstream_id: int) -> bool:
        """Re-read one title and its children; False when the upstream no longer has it."""
        kind = adapter.library_kind
        record = await adapter.library_record(upstream_id)
        if record is None:
            await self._repository.forget(instance_id, kind, upstream_id)
            return False
        await self._write_items(instance_id, [record], None)
        child_kind = CHILD_OF.get(kind)
        if child_kind is None:
            return True
        run = secrets.token_hex(8)
        try:
            batch: list[ChildRecord] = []
            async for child in adapter.library_children(upstream_id):
                batch.append(child)
                if len(batch) >= self.child_batch:
                    await self._write_children(instance_id, batch, run, False)
                    batch = []
            await self._write_children(instance_id, batch, run, False)
            await self._repository.finish_children(
                instance_id, child_kind, run, utcnow(), parent_upstream_id=upstream_id
            )
        except BaseException:
            await self._repository.drop_run(run)
            raise
        return True
