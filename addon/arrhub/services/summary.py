"""The compact whole-house summary Home Assistant polls (HA-2).

Built from the collector's snapshots only, so it answers at once whatever the upstreams
do. Per instance: health, counts, speeds, free space per root folder, queue sizes. Paths
are admin-only: a user's summary names root folders by their last path component.

Figures from other services (library counts, pending requests, upcoming releases) are
added by `summary_extras`, each guarded: a service that lacks the method, fails or is
slow leaves its field null, never a failed summary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from arrhub import __version__
from arrhub.adapters.categories import ACTIVE_STATES
from arrhub.adapters.registry import adapter_class
from arrhub.collector import Collector, Snapshot
from arrhub.models.common import ReplyModel, Timestamp
from arrhub.models.instances import Category, InstanceType
from arrhub.store.instances import InstanceRecord


class RootFolderSummary(ReplyModel):
    id: int
    name: str = Field(description="last component of the path")
    path: str | None = Field(description="admins only")
    free_space: int | None


class LibraryCounts(ReplyModel):
    """One *arr instance's titles in the library cache (`LibraryService.summary_counts`).

    Keys the library service adds later are ignored rather than failing the summary.
    """

    model_config = ConfigDict(extra="ignore")

    movies: int = 0
    series: int = 0
    episodes: int = 0
    artists: int = 0
    albums: int = 0
    missing: int = Field(0, description="monitored, aired/released, without a file")
    cutoff_unmet: int = 0
    size_on_disk: int = 0


class InstanceSummary(ReplyModel):
    id: str
    name: str
    type: InstanceType
    category: Category
    enabled: bool
    capabilities: list[str] = Field(description="what arrhub can do with this type")
    reachable: bool
    stale: bool
    version: str | None
    latency_ms: float | None
    fetched_at: Timestamp | None
    error_code: str | None
    health_warnings: int
    health_errors: int
    queue_size: int | None = Field(None, description="*arr queue records or client items")
    active_downloads: int | None = None
    download_speed: int | None = None
    upload_speed: int | None = None
    remaining_bytes: int | None = None
    paused: bool | None = None
    alt_speed: bool | None = None
    root_folders: list[RootFolderSummary] = Field(default_factory=list)
    session_count: int | None = None
    pending_requests: int | None = None
    wanted_subtitles: int | None = None
    indexers_enabled: int | None = None
    library: LibraryCounts | None = Field(
        None, description="*arr instances: counts from the library cache (null until cached)"
    )
    upcoming_today: int | None = Field(
        None, description="*arr instances: calendar entries on the hub's local today"
    )


class HubTotals(ReplyModel):
    instances: int
    reachable: int
    download_speed: int
    upload_speed: int
    active_downloads: int
    health_issues: int


class HubSummary(ReplyModel):
    instance_id: str
    version: str
    instances: list[InstanceSummary]
    totals: HubTotals
    upcoming_today: int | None = Field(
        None, description="calendar entries on the hub's local today, over every *arr"
    )


def _download_figures(data: dict[str, Any]) -> dict[str, Any]:
    items = data.get("items", [])
    stats = data.get("stats", {})
    return {
        "queue_size": len(items),
        "active_downloads": sum(1 for item in items if item.get("state") in ACTIVE_STATES),
        "download_speed": stats.get("download_speed", 0),
        "upload_speed": stats.get("upload_speed", 0),
        "remaining_bytes": sum(int(item.get("remaining", 0)) for item in items),
        "paused": stats.get("paused"),
        "alt_speed": stats.get("alt_speed"),
    }


def _arr_figures(data: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    folders = [
        RootFolderSummary(
            id=int(folder["id"]),
            name=PurePosixPath(str(folder["path"]).rstrip("/\\")).name or str(folder["path"]),
            path=folder["path"] if admin else None,
            free_space=folder.get("free_space"),
        )
        for folder in data.get("root_folders", [])
    ]
    queue = data.get("queue", [])
    return {
        "queue_size": len(queue),
        "remaining_bytes": sum(int(q.get("remaining", 0)) for q in queue),
        "root_folders": folders,
    }


def instance_summary(
    record: InstanceRecord, snapshot: Snapshot | None, *, admin: bool
) -> InstanceSummary:
    config = record.config
    figures: dict[str, Any] = {}
    messages = snapshot.messages if snapshot else ()
    if snapshot is not None and snapshot.data:
        data = snapshot.data
        if "items" in data:
            figures.update(_download_figures(data))
        if "queue" in data:
            figures.update(_arr_figures(data, admin=admin))
        if "sessions" in data:
            figures["session_count"] = len(data["sessions"])
        if "activity" in data:
            figures["session_count"] = int(data["activity"].get("stream_count", 0))
        if "counts" in data:
            figures["pending_requests"] = int(data["counts"].get("pending", 0))
        if "wanted" in data:
            wanted = data["wanted"]
            figures["wanted_subtitles"] = int(wanted.get("episodes", 0)) + int(
                wanted.get("movies", 0)
            )
        if "indexers" in data:
            figures["indexers_enabled"] = sum(1 for i in data["indexers"] if i.get("enabled"))
    return InstanceSummary(
        id=config.id,
        name=config.name,
        type=config.type,
        category=adapter_class(config.type).category,
        capabilities=sorted(adapter_class(config.type).capabilities),
        enabled=config.enabled,
        reachable=bool(snapshot and snapshot.ok),
        stale=snapshot.stale if snapshot else True,
        version=snapshot.version if snapshot else None,
        latency_ms=snapshot.latency_ms if snapshot else None,
        fetched_at=snapshot.fetched_at if snapshot else None,
        error_code=snapshot.error.code if snapshot and snapshot.error else None,
        health_warnings=sum(1 for m in messages if m.level == "warning"),
        health_errors=sum(1 for m in messages if m.level == "error"),
        **figures,
    )


def build_summary(
    hub_id: str, records: list[InstanceRecord], collector: Collector, *, admin: bool
) -> HubSummary:
    instances = [
        instance_summary(record, collector.snapshot(record.config.id), admin=admin)
        for record in records
    ]
    return HubSummary(
        instance_id=hub_id,
        version=__version__,
        instances=instances,
        totals=HubTotals(
            instances=len(instances),
            reachable=sum(1 for i in instances if i.reachable),
            download_speed=sum(i.download_speed or 0 for i in instances),
            upload_speed=sum(i.upload_speed or 0 for i in instances),
            active_downloads=sum(i.active_downloads or 0 for i in instances),
            health_issues=sum(i.health_warnings + i.health_errors for i in instances)
            + sum(1 for i in instances if i.enabled and not i.reachable),
        ),
    )


LOGGER = logging.getLogger(__name__)
#: Seconds one extra figure may take before the summary goes out without it.
EXTRA_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class SummaryExtras:
    """What other services add to the summary; None where a service could not say."""

    library: dict[str, LibraryCounts] | None = None
    pending_requests: dict[str, int] | None = None
    upcoming_today: dict[str, int] | None = None


_COUNTS = TypeAdapter(dict[str, int])
_LIBRARY = TypeAdapter(dict[str, LibraryCounts])


async def _guarded[T](
    what: str, shape: TypeAdapter[T], service: object, method: str, *args: Any
) -> T | None:
    """`service.method(*args)` if the service has it and it answers in time with figures
    of the expected shape, else None."""
    call: Callable[..., Awaitable[Any]] | None = getattr(service, method, None)
    if call is None:
        return None
    try:
        async with asyncio.timeout(EXTRA_TIMEOUT):
            result = await call(*args)
        return shape.validate_python(result)
    except ValidationError as err:
        LOGGER.warning("summary: %s have the wrong shape: %s", what, err)
    except Exception:  # any failure of another service only blanks a field
        LOGGER.warning("summary: %s unavailable", what, exc_info=True)
    return None


async def summary_extras(
    library: object, requests: object, catalog: object, *, today: date | None = None
) -> SummaryExtras:
    """Ask the library, requests and catalog services for their figures, all at once."""
    day = today if today is not None else datetime.now().astimezone().date()
    counting = _guarded("library counts", _LIBRARY, library, "summary_counts")
    pending_ = _guarded("pending requests", _COUNTS, requests, "pending_counts")
    upcoming_ = _guarded("upcoming releases", _COUNTS, catalog, "upcoming_counts", day)
    library_counts, pending, upcoming = await asyncio.gather(counting, pending_, upcoming_)
    return SummaryExtras(library=library_counts, pending_requests=pending, upcoming_today=upcoming)


def with_extras(summary: HubSummary, extras: SummaryExtras) -> HubSummary:
    """A copy of `summary` carrying the extras (the snapshot-built one is not edited).

    Library counts and upcoming releases apply to *arr instances only; pending requests
    replace the snapshot's figure of a request manager when the requests service has one.
    """
    instances = []
    for instance in summary.instances:
        changes: dict[str, Any] = {}
        if instance.category == "arr":
            if extras.library is not None:
                counts = extras.library.get(instance.id)
                changes["library"] = counts
            if extras.upcoming_today is not None:
                changes["upcoming_today"] = extras.upcoming_today.get(instance.id, 0)
        if (
            instance.category == "requests"
            and extras.pending_requests is not None
            and instance.id in extras.pending_requests
        ):
            changes["pending_requests"] = extras.pending_requests[instance.id]
        instances.append(instance.model_copy(update=changes) if changes else instance)
    upcoming = None if extras.upcoming_today is None else sum(extras.upcoming_today.values())
    return summary.model_copy(update={"instances": instances, "upcoming_today": upcoming})
