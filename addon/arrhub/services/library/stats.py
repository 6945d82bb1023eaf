"""Library statistics: what was added and downloaded in a period, sizes by type and instance.

`added` counts titles by their upstream `added` date; episodes and albums by the cache's
`added` (see docs/api.md: the parent's date for children seen in an instance's first
refresh, else when the cache first saw them). `downloaded` counts titles and children
whose file arrived in the period: the cache's `file_at`, which is the title's `added`
date (or the episode's air date) for files present at the first refresh and the refresh
time for files that appeared later; a series or artist counts when any of its episodes or
albums did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from arrhub.models.library_api import (
    InstanceSize,
    LibraryStats,
    Period,
    TypeCounts,
    TypeSize,
)
from arrhub.store.instances import InstancesRepository
from arrhub.store.library import LibraryQueries, build_filter
from arrhub.timeutil import iso, utcnow

PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90}
PLURAL = {"movie": "movies", "series": "series", "artist": "artists", "episode": "episodes",
          "album": "albums"}  # fmt: skip
PARENT = {"episode": "series", "album": "artist"}


async def library_stats(
    queries: LibraryQueries,
    instances: InstancesRepository,
    period: Period,
    scope: frozenset[str] | None,
    now: datetime | None = None,
) -> LibraryStats:
    moment = now or utcnow()
    since = moment - timedelta(days=PERIOD_DAYS[period]) if period in PERIOD_DAYS else None
    cutoff = None if since is None else iso(since)
    where = build_filter({}, scope)
    added: dict[str, int] = {}
    downloaded: dict[str, int] = {}
    by_type: dict[str, TypeSize] = {}
    size = 0
    for row in await queries.item_stats(where, cutoff):
        name = PLURAL[row["type"]]
        added[name] = int(row["added"])
        downloaded[name] = int(row["downloaded"]) if row["type"] == "movie" else 0
        by_type[row["type"]] = TypeSize(count=int(row["n"]), size=int(row["size"]))
        size += int(row["size"])
    for row in await queries.child_stats(where, cutoff):
        name = PLURAL[row["type"]]
        added[name] = int(row["added"])
        downloaded[name] = int(row["downloaded"])
        downloaded[PLURAL[PARENT[row["type"]]]] = int(row["parents"])
        by_type[row["type"]] = TypeSize(count=int(row["n"]), size=int(row["size"]))
    names = {r.config.id: r.config for r in await instances.all()}
    by_instance = []
    for row in await queries.by_instance(where):
        config = names.get(row["instance_id"])
        by_instance.append(
            InstanceSize(
                instance_id=row["instance_id"],
                name=config.name if config else row["instance_id"],
                type=config.type if config else "unknown",
                count=int(row["n"]),
                size=int(row["size"]),
            )
        )
    return LibraryStats(
        period=period,
        since=since,
        added=TypeCounts(**added),
        downloaded=TypeCounts(**downloaded),
        size_on_disk=size,
        by_type=by_type,
        by_instance=by_instance,
    )
