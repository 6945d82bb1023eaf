"""The library cache in SQLite: batched writes of what changed, reads, search candidates.

Writes during a refresh go into the live tables batch by batch, each batch its own
transaction, and only rows whose content hash changed are written. The ids a run has
seen are kept in a temp table (on this connection, not in the database file), and rows
the upstream no longer has are deleted only by `finish_*`, in one transaction, after a
complete fetch. So a process killed mid-refresh leaves every old row in place: each
row is either its old or its new version, and nothing is missing.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from arrhub.models.library import ChildRecord, LibraryRecord
from arrhub.store.db import Database, Row
from arrhub.timeutil import iso

PARENT_OF = {"episode": "series", "album": "artist"}
#: Relevance order ranks at most this many word matches (see `LibraryQueries.match_page`).
RANK_CANDIDATES = 2000

ITEM_COLUMNS = (
    "instance_id", "type", "upstream_id", "title", "sort_title", "fold", "sort_key", "year",
    "status", "monitored", "quality_profile_id", "quality", "genres", "tags", "rating",
    "size_on_disk", "added", "has_file", "child_count", "file_count", "missing_count",
    "cutoff_unmet", "tmdb_id", "tvdb_id", "imdb_id", "musicbrainz_id", "overview",
    "poster_url", "path", "in_cinemas", "digital_release", "physical_release", "file_at",
    "hash", "updated_at",
)  # fmt: skip
_KEY = ("instance_id", "type", "upstream_id")
_ITEM_SET = ", ".join(f"{c} = excluded.{c}" for c in ITEM_COLUMNS if c not in (*_KEY, "file_at"))
# A file that appears in a later refresh arrived now (the refresh's time); one that was
# already there keeps its date; no file, no date.
_FILE_AT = (
    "file_at = CASE WHEN excluded.has_file = 0 THEN NULL "
    "WHEN library_items.has_file = 1 THEN coalesce(library_items.file_at, excluded.file_at) "
    "ELSE excluded.updated_at END"
)
UPSERT_ITEM = (
    f"INSERT INTO library_items ({', '.join(ITEM_COLUMNS)}) "  # noqa: S608 - constant names
    f"VALUES ({', '.join('?' * len(ITEM_COLUMNS))}) "
    f"ON CONFLICT (instance_id, type, upstream_id) DO UPDATE SET {_ITEM_SET}, {_FILE_AT}"
)

CHILD_COLUMNS = (
    "instance_id", "type", "upstream_id", "parent_upstream_id", "season_number",
    "episode_number", "title", "air_date", "monitored", "has_file", "quality", "size_on_disk",
    "cutoff_unmet", "added", "file_at", "hash", "updated_at",
)  # fmt: skip
_CHILD_SET = ", ".join(
    f"{c} = excluded.{c}" for c in CHILD_COLUMNS if c not in (*_KEY, "file_at", "added")
)
UPSERT_CHILD = (
    f"INSERT INTO library_children ({', '.join(CHILD_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(CHILD_COLUMNS))}) "
    f"ON CONFLICT (instance_id, type, upstream_id) DO UPDATE SET {_CHILD_SET}, "
    + _FILE_AT.replace("library_items", "library_children")
)
_SEEN_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS library_seen (run TEXT NOT NULL, kind TEXT NOT NULL, "
    "upstream_id INTEGER NOT NULL, PRIMARY KEY (run, kind, upstream_id)) WITHOUT ROWID"
)
# Parents whose children a run did not re-read (their signature was unchanged): their
# cached children count as seen.
_KEPT_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS library_kept (run TEXT NOT NULL, kind TEXT NOT NULL, "
    "parent_upstream_id INTEGER NOT NULL, PRIMARY KEY (run, kind, parent_upstream_id)) "
    "WITHOUT ROWID"
)


def fold(text: str | None) -> str:
    """Casefolded, accents removed, spaces collapsed: "Amélie" -> "amelie"."""
    if not text:
        return ""
    if text.isascii():  # most titles: nothing to decompose
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _ts(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def _digest(values: Sequence[Any]) -> int:
    raw = hashlib.blake2b(repr(values).encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def item_values(instance_id: str, record: LibraryRecord) -> tuple[Any, ...]:
    """The row's content columns (everything but file_at, hash, updated_at)."""
    return (
        instance_id, record.type, record.upstream_id, record.title, record.sort_title,
        fold(record.title), fold(record.sort_title or record.title), record.year,
        record.status, int(record.monitored), record.quality_profile_id, record.quality,
        json.dumps(record.genres, ensure_ascii=False), json.dumps(record.tags, ensure_ascii=False),
        record.rating, record.size_on_disk, _ts(record.added), int(record.has_file),
        record.child_count, record.file_count, record.missing_count, int(record.cutoff_unmet),
        record.tmdb_id, record.tvdb_id, record.imdb_id, record.musicbrainz_id, record.overview,
        record.poster_url, record.path, _ts(record.in_cinemas), _ts(record.digital_release),
        _ts(record.physical_release),
    )  # fmt: skip


def child_values(instance_id: str, record: ChildRecord) -> tuple[Any, ...]:
    return (
        instance_id, record.type, record.upstream_id, record.parent_upstream_id,
        record.season_number, record.episode_number, record.title, _ts(record.air_date),
        int(record.monitored), int(record.has_file), record.quality, record.size_on_disk,
        int(record.cutoff_unmet),
    )  # fmt: skip


@dataclass(slots=True)
class WriteCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def tally(self, known: dict[int, int], upstream_id: int, digest: int) -> bool:
        """Count one row against the stored hashes; True when it must be written."""
        old = known.get(upstream_id)
        if old == digest:
            self.unchanged += 1
            return False
        if old is None:
            self.added += 1
        else:
            self.changed += 1
        known[upstream_id] = digest  # a repeated id in one batch: once
        return True

    def add(self, other: WriteCounts) -> None:
        self.added += other.added
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.removed += other.removed

    def as_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


async def _hashes(
    conn: aiosqlite.Connection, table: str, instance_id: str, kind: str, ids: list[int]
) -> dict[int, int]:
    async with conn.execute(
        f"SELECT upstream_id, hash FROM {table} WHERE instance_id = ? AND type = ? "  # noqa: S608
        "AND upstream_id IN (SELECT value FROM json_each(?))",
        (instance_id, kind, json.dumps(ids)),
    ) as cursor:
        return {int(r[0]): int(r[1]) for r in await cursor.fetchall()}


async def _mark_seen(
    conn: aiosqlite.Connection, run: str | None, kind: str, ids: list[int]
) -> None:
    if run is None:
        return
    await conn.execute(_SEEN_TABLE)
    await conn.execute(
        "INSERT OR IGNORE INTO temp.library_seen (run, kind, upstream_id) "
        "SELECT ?, ?, value FROM json_each(?)",
        (run, kind, json.dumps(ids)),
    )


class LibraryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        #: Bumped by every write that may change titles (the search vocabulary follows it).
        self.generation = 0

    # ---- writes -----------------------------------------------------------------------------

    async def write_items(
        self, instance_id: str, records: Sequence[LibraryRecord], now: datetime, run: str | None
    ) -> WriteCounts:
        """One batch in one transaction: rows whose hash changed are written, all are seen."""
        counts = WriteCounts()
        if not records:
            return counts
        stamp = iso(now)
        kind = records[0].type
        async with self.db.transaction() as conn:
            ids = [r.upstream_id for r in records]
            known = await _hashes(conn, "library_items", instance_id, kind, ids)
            rows = []
            for record in records:
                values = item_values(instance_id, record)
                digest = _digest(values)
                if not counts.tally(known, record.upstream_id, digest):
                    continue
                file_at = (_ts(record.added) or stamp) if record.has_file else None
                rows.append((*values, file_at, digest, stamp))
            if rows:
                await conn.executemany(UPSERT_ITEM, rows)
                self.generation += 1
            await _mark_seen(conn, run, kind, ids)
        return counts

    async def write_children(
        self,
        instance_id: str,
        records: Sequence[ChildRecord],
        now: datetime,
        run: str | None,
        *,
        first_refresh: bool,
    ) -> WriteCounts:
        """Like `write_items`. A child first seen in the instance's first refresh takes its
        parent's `added` (the cache cannot know better); later, the time it appeared."""
        counts = WriteCounts()
        if not records:
            return counts
        stamp = iso(now)
        kind = records[0].type
        parent_kind = PARENT_OF[kind]
        async with self.db.transaction() as conn:
            ids = [r.upstream_id for r in records]
            known = await _hashes(conn, "library_children", instance_id, kind, ids)
            parents_added: dict[int, str | None] = {}
            if first_refresh:
                parent_ids = sorted({r.parent_upstream_id for r in records})
                async with conn.execute(
                    "SELECT upstream_id, added FROM library_items WHERE instance_id = ? "
                    "AND type = ? AND upstream_id IN (SELECT value FROM json_each(?))",
                    (instance_id, parent_kind, json.dumps(parent_ids)),
                ) as cursor:
                    parents_added = {int(r[0]): r[1] for r in await cursor.fetchall()}
            rows = []
            for record in records:
                values = child_values(instance_id, record)
                digest = _digest(values)
                if not counts.tally(known, record.upstream_id, digest):
                    continue
                added = parents_added.get(record.parent_upstream_id) if first_refresh else None
                added = added or stamp
                file_at = None
                if record.has_file:
                    aired = _ts(record.air_date)
                    file_at = (min(aired, stamp) if aired else added) if first_refresh else stamp
                rows.append((*values, added, file_at, digest, stamp))
            if rows:
                await conn.executemany(UPSERT_CHILD, rows)
            await _mark_seen(conn, run, kind, ids)
        return counts

    async def finish_items(self, instance_id: str, kind: str, run: str) -> int:
        """After a complete fetch: delete the titles (and their children) not seen in `run`."""
        async with self.db.transaction() as conn:
            await conn.execute(_SEEN_TABLE)
            cursor = await conn.execute(
                "DELETE FROM library_items WHERE instance_id = ? AND type = ? AND upstream_id "
                "NOT IN (SELECT upstream_id FROM temp.library_seen WHERE run = ? AND kind = ?)",
                (instance_id, kind, run, kind),
            )
            removed = cursor.rowcount
            await conn.execute(
                "DELETE FROM temp.library_seen WHERE run = ? AND kind = ?", (run, kind)
            )
        self.generation += 1
        return removed

    async def children_signatures(self, instance_id: str, kind: str) -> dict[int, int]:
        """Parent id -> the signature its cached children were read under (set ones only)."""
        rows = await self.db.fetch_all(
            "SELECT upstream_id, children_sig FROM library_items WHERE instance_id = ? "
            "AND type = ? AND children_sig IS NOT NULL",
            (instance_id, kind),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def cutoff_drift(
        self, instance_id: str, kind: str, cutoff_ids: Iterable[int]
    ) -> set[int]:
        """Parents with a monitored child whose cached `cutoff_unmet` disagrees with the
        upstream's cutoff list (a profile change moves it without touching any file)."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT parent_upstream_id FROM library_children WHERE instance_id = ? "
            "AND type = ? AND monitored = 1 AND has_file = 1 AND cutoff_unmet != "
            "(upstream_id IN (SELECT value FROM json_each(?)))",
            (instance_id, kind, json.dumps(sorted(cutoff_ids))),
        )
        return {int(r[0]) for r in rows}

    async def keep_children(
        self, instance_id: str, run: str, kind: str, parent_ids: Sequence[int]
    ) -> int:
        """The children of these parents were not re-read in `run`: keep them at finish.
        Returns how many children that keeps."""
        listed = json.dumps(list(parent_ids))
        async with self.db.transaction() as conn:
            await conn.execute(_KEPT_TABLE)
            await conn.execute(
                "INSERT OR IGNORE INTO temp.library_kept (run, kind, parent_upstream_id) "
                "SELECT ?, ?, value FROM json_each(?)",
                (run, kind, listed),
            )
            async with conn.execute(
                "SELECT count(*) FROM library_children WHERE instance_id = ? AND type = ? "
                "AND parent_upstream_id IN (SELECT value FROM json_each(?))",
                (instance_id, kind, listed),
            ) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def finish_children(
        self,
        instance_id: str,
        kind: str,
        run: str,
        now: datetime,
        *,
        parent_upstream_id: int | None = None,
        signatures: dict[int, int] | None = None,
    ) -> int:
        """After a complete fetch of children (all, or one parent's): delete the unseen
        ones (except under parents kept by `keep_children`), store the `signatures` of
        the parents that were read, and recompute the parents' counts, in one
        transaction. Reading one parent alone clears its signature (it was not compared)."""
        parent_clause = "" if parent_upstream_id is None else " AND parent_upstream_id = ?"
        extra: tuple[Any, ...] = () if parent_upstream_id is None else (parent_upstream_id,)
        parent_kind = PARENT_OF[kind]
        async with self.db.transaction() as conn:
            await conn.execute(_SEEN_TABLE)
            await conn.execute(_KEPT_TABLE)
            cursor = await conn.execute(
                "DELETE FROM library_children WHERE instance_id = ? AND type = ?"  # noqa: S608
                f"{parent_clause} AND upstream_id NOT IN "
                "(SELECT upstream_id FROM temp.library_seen WHERE run = ? AND kind = ?) "
                "AND parent_upstream_id NOT IN (SELECT parent_upstream_id FROM "
                "temp.library_kept WHERE run = ? AND kind = ?)",
                (instance_id, kind, *extra, run, kind, run, kind),
            )
            removed = cursor.rowcount
            for table in ("library_seen", "library_kept"):
                await conn.execute(
                    f"DELETE FROM temp.{table} WHERE run = ? AND kind = ?",  # noqa: S608
                    (run, kind),
                )
            if parent_upstream_id is not None:
                await conn.execute(
                    "UPDATE library_items SET children_sig = NULL WHERE instance_id = ? "
                    "AND type = ? AND upstream_id = ?",
                    (instance_id, parent_kind, parent_upstream_id),
                )
            if signatures:
                await conn.executemany(
                    "UPDATE library_items SET children_sig = ? WHERE instance_id = ? "
                    "AND type = ? AND upstream_id = ?",
                    [(sig, instance_id, parent_kind, pid) for pid, sig in signatures.items()],
                )
            await self._recount(conn, instance_id, kind, now, parent_upstream_id)
            return removed

    @staticmethod
    async def _recount(
        conn: aiosqlite.Connection,
        instance_id: str,
        kind: str,
        now: datetime,
        parent_upstream_id: int | None,
    ) -> None:
        """Parents' child_count/file_count/missing_count/has_file/cutoff_unmet from their
        children; a row is written only when a value differs."""
        parent_clause = "" if parent_upstream_id is None else " AND parent_upstream_id = ?"
        extra: tuple[Any, ...] = () if parent_upstream_id is None else (parent_upstream_id,)
        stamp = iso(now)
        await conn.execute(
            "UPDATE library_items AS p SET child_count = c.n, file_count = c.files, "  # noqa: S608
            "missing_count = c.missing, has_file = (c.files > 0), cutoff_unmet = c.cutoff, "
            "updated_at = ? FROM (SELECT parent_upstream_id AS pid, count(*) AS n, "
            "sum(has_file) AS files, max(cutoff_unmet) AS cutoff, "
            "sum(monitored = 1 AND has_file = 0 AND air_date IS NOT NULL AND air_date <= ?) "
            "AS missing FROM library_children WHERE instance_id = ? AND type = ?"
            f"{parent_clause} GROUP BY parent_upstream_id) AS c "
            "WHERE p.instance_id = ? AND p.type = ? AND p.upstream_id = c.pid AND ("
            "p.child_count != c.n OR p.file_count != c.files OR p.missing_count != c.missing "
            "OR p.has_file != (c.files > 0) OR p.cutoff_unmet != c.cutoff)",
            (stamp, stamp, instance_id, kind, *extra, instance_id, PARENT_OF[kind]),
        )

    async def drop_run(self, run: str) -> None:
        """Forget a failed run's seen ids (its rows stay: they are valid versions)."""
        async with self.db.transaction() as conn:
            await conn.execute(_SEEN_TABLE)
            await conn.execute(_KEPT_TABLE)
            await conn.execute("DELETE FROM temp.library_seen WHERE run = ?", (run,))
            await conn.execute("DELETE FROM temp.library_kept WHERE run = ?", (run,))

    async def forget(self, instance_id: str, kind: str, upstream_id: int) -> bool:
        child_kind = {"series": "episode", "artist": "album"}.get(kind)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM library_items WHERE instance_id = ? AND type = ? AND upstream_id = ?",
                (instance_id, kind, upstream_id),
            )
            removed = cursor.rowcount > 0
            self.generation += 1
            if child_kind:
                await conn.execute(
                    "DELETE FROM library_children WHERE instance_id = ? AND type = ? "
                    "AND parent_upstream_id = ?",
                    (instance_id, child_kind, upstream_id),
                )
            return removed

    async def record_refresh(
        self, instance_id: str, now: datetime, *, ok: bool, error: str | None
    ) -> None:
        stamp = iso(now)
        await self.db.execute(
            "INSERT INTO library_refreshes (instance_id, refreshed_at, ok, error, last_ok_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET "
            "refreshed_at = excluded.refreshed_at, ok = excluded.ok, error = excluded.error, "
            "last_ok_at = coalesce(excluded.last_ok_at, library_refreshes.last_ok_at)",
            (instance_id, stamp, int(ok), error, stamp if ok else None),
        )

    async def has_refreshed(self, instance_id: str) -> bool:
        value = await self.db.fetch_value(
            "SELECT last_ok_at FROM library_refreshes WHERE instance_id = ?", (instance_id,)
        )
        return value is not None

    async def count(self, instance_id: str, kind: str, *, children: bool = False) -> int:
        table = "library_children" if children else "library_items"
        return int(
            await self.db.fetch_value(
                f"SELECT count(*) FROM {table} WHERE instance_id = ? AND type = ?",  # noqa: S608
                (instance_id, kind),
            )
        )

    async def expected_children(self, instance_id: str, kind: str) -> int:
        """The children the titles say they have: a progress estimate."""
        value = await self.db.fetch_value(
            "SELECT coalesce(sum(child_count), 0) FROM library_items "
            "WHERE instance_id = ? AND type = ?",
            (instance_id, kind),
        )
        return int(value)

    # ---- reads ------------------------------------------------------------------------------

    async def item(self, instance_id: str, kind: str, upstream_id: int) -> Row | None:
        return await self.db.fetch_one(
            "SELECT * FROM library_items WHERE instance_id = ? AND type = ? AND upstream_id = ?",
            (instance_id, kind, upstream_id),
        )

    async def children(self, instance_id: str, kind: str, parent_upstream_id: int) -> list[Row]:
        return await self.db.fetch_all(
            "SELECT * FROM library_children WHERE instance_id = ? AND type = ? "
            "AND parent_upstream_id = ? ORDER BY season_number IS NULL, season_number, "
            "episode_number, air_date IS NULL, air_date, upstream_id",
            (instance_id, kind, parent_upstream_id),
        )

    async def find_external(self, column: str, value: int | str) -> list[Row]:
        if column not in ("tmdb_id", "tvdb_id", "musicbrainz_id"):
            raise ValueError(column)
        return await self.db.fetch_all(
            f"SELECT instance_id, type, upstream_id FROM library_items WHERE {column} = ? "  # noqa: S608
            "ORDER BY instance_id, type, upstream_id",
            (value,),
        )

    async def vocabulary(self) -> list[str]:
        """Every word of the word index (folded, as the index holds them)."""
        rows = await self.db.fetch_all("SELECT term FROM library_fts_vocab")
        return [str(r[0]) for r in rows]


# ---- filtered lists ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """A list's WHERE clause, built from validated filters (values are bound, never spliced)."""

    clauses: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()

    def where(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def build_filter(filters: dict[str, Any], visible_tags: frozenset[str] | None) -> ItemFilter:
    """`filters`: LibraryFilters' fields (q and sort excluded); tags None = sees all."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    simple = {
        "type": "i.type = ?", "instance_id": "i.instance_id = ?", "year": "i.year = ?",
        "year_min": "i.year >= ?", "year_max": "i.year <= ?", "rating_min": "i.rating >= ?",
        "status": "i.status = ? COLLATE NOCASE", "quality": "i.quality = ? COLLATE NOCASE",
    }  # fmt: skip
    for name, clause in simple.items():
        if filters.get(name) is not None:
            add(clause, filters[name])
    flags = {"monitored": "i.monitored = ?", "cutoff_unmet": "i.cutoff_unmet = ?"}
    for name, clause in flags.items():
        if filters.get(name) is not None:
            add(clause, int(filters[name]))
    if filters.get("missing") is not None:
        add("i.missing_count > 0" if filters["missing"] else "i.missing_count = 0")
    if filters.get("no_files") is not None:
        add("i.has_file = 0" if filters["no_files"] else "i.has_file = 1")
    for name, column in (("tag", "tags"), ("genre", "genres")):
        if filters.get(name) is not None:
            add(
                f"EXISTS (SELECT 1 FROM json_each(i.{column}) "  # noqa: S608 - a column name
                "WHERE value = ? COLLATE NOCASE)",
                filters[name],
            )
    if visible_tags is not None:
        add(
            "EXISTS (SELECT 1 FROM json_each(i.tags) WHERE value IN "
            "(SELECT value FROM json_each(?)))",
            json.dumps(sorted(visible_tags)),
        )
    return ItemFilter(tuple(clauses), tuple(params))


_ORDER = {"title": "i.sort_key", "year": "i.year", "added": "i.added", "rating": "i.rating",
          "size": "i.size_on_disk"}  # fmt: skip


def order_by(sort: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    if sort == "title":
        return f"ORDER BY i.sort_key {direction}, i.id {direction}"
    column = _ORDER[sort]
    # Missing values last in either direction, then by title.
    return f"ORDER BY {column} IS NULL, {column} {direction}, i.sort_key, i.id"


class LibraryQueries:
    """Reads behind the item list, the export, stats and summary counts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(
        self, where: ItemFilter, order: str, limit: int, offset: int, *, count: bool = True
    ) -> tuple[list[Row], int]:
        clause = where.where()
        rows = await self.db.fetch_all(
            f"SELECT i.* FROM library_items i {clause} {order} LIMIT ? OFFSET ?",  # noqa: S608
            (*where.params, limit, offset),
        )
        if not count:
            return rows, -1
        total = await self.db.fetch_value(
            f"SELECT count(*) FROM library_items i {clause}",  # noqa: S608
            where.params,
        )
        return rows, int(total)

    async def match_page(
        self, where: ItemFilter, expression: str, order: str | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """Word-index matches; `order` None = relevance (bm25, titles weigh more).

        Relevance ranks at most `RANK_CANDIDATES` matches (the first ones the index
        yields): scoring every one of 100k prefix matches ("the s") costs 100+ ms and
        orders them by little more than title length. Up to that many matches the order
        is the exact bm25 order; `total` is always exact."""
        clauses = ("library_fts MATCH ?", *where.clauses)
        params = (expression, *where.params)
        clause = f"WHERE {' AND '.join(clauses)}"
        joined = "FROM library_fts JOIN library_items i ON i.id = library_fts.rowid"
        if order is None or order.startswith("ORDER BY bm25"):
            direction = "DESC" if order is not None else "ASC"
            rows = await self.db.fetch_all(
                "SELECT i.* FROM (SELECT library_fts.rowid AS rid, "  # noqa: S608
                f"bm25(library_fts, 10.0, 2.0) AS score {joined} {clause} LIMIT ?) AS c "
                "JOIN library_items i ON i.id = c.rid "
                f"ORDER BY c.score {direction}, i.sort_key, i.id LIMIT ? OFFSET ?",
                (*params, RANK_CANDIDATES, limit, offset),
            )
        else:
            rows = await self.db.fetch_all(
                f"SELECT i.* {joined} {clause} {order} LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
        if where.clauses:
            total = await self.db.fetch_value(f"SELECT count(*) {joined} {clause}", params)
        else:  # the index alone counts 10x faster than joined to the rows
            total = await self.db.fetch_value(
                "SELECT count(*) FROM library_fts WHERE library_fts MATCH ?", (expression,)
            )
        return rows, int(total)

    async def by_ids(self, where: ItemFilter, ids: Sequence[int]) -> list[Row]:
        clauses = ("i.id IN (SELECT value FROM json_each(?))", *where.clauses)
        return await self.db.fetch_all(
            f"SELECT i.* FROM library_items i WHERE {' AND '.join(clauses)}",  # noqa: S608
            (json.dumps(list(ids)), *where.params),
        )

    # ---- stats ------------------------------------------------------------------------------

    async def item_stats(self, where: ItemFilter, since: str | None) -> list[Row]:
        """Per type: count, size, added and downloaded in the period."""
        cutoff = since or ""
        return await self.db.fetch_all(
            "SELECT i.type AS type, count(*) AS n, coalesce(sum(i.size_on_disk), 0) AS size, "  # noqa: S608
            "coalesce(sum(i.added >= ?), 0) AS added, "
            "coalesce(sum(i.has_file = 1 AND i.file_at >= ?), 0) AS downloaded "
            f"FROM library_items i {where.where()} GROUP BY i.type",
            (cutoff, cutoff, *where.params),
        )

    async def child_stats(self, where: ItemFilter, since: str | None) -> list[Row]:
        """Per child type: count, size, added, downloaded, and the parents downloaded into."""
        cutoff = since or ""
        clauses = (
            "i.instance_id = c.instance_id AND i.upstream_id = c.parent_upstream_id "
            "AND i.type = CASE c.type WHEN 'episode' THEN 'series' ELSE 'artist' END",
            *where.clauses,
        )
        return await self.db.fetch_all(
            "SELECT c.type AS type, count(*) AS n, coalesce(sum(c.size_on_disk), 0) AS size, "  # noqa: S608
            "coalesce(sum(c.added >= ?), 0) AS added, "
            "coalesce(sum(c.has_file = 1 AND c.file_at >= ?), 0) AS downloaded, "
            "count(DISTINCT CASE WHEN c.has_file = 1 AND c.file_at >= ? THEN i.id END) "
            "AS parents FROM library_children c JOIN library_items i ON "
            f"{' AND '.join(clauses)} GROUP BY c.type",
            (cutoff, cutoff, cutoff, *where.params),
        )

    async def by_instance(self, where: ItemFilter) -> list[Row]:
        return await self.db.fetch_all(
            "SELECT i.instance_id AS instance_id, count(*) AS n, "  # noqa: S608
            f"coalesce(sum(i.size_on_disk), 0) AS size FROM library_items i {where.where()} "
            "GROUP BY i.instance_id ORDER BY i.instance_id",
            where.params,
        )

    async def summary(self) -> tuple[list[Row], list[Row]]:
        items = await self.db.fetch_all(
            "SELECT instance_id, type, count(*) AS n, coalesce(sum(missing_count), 0) AS missing, "
            "coalesce(sum(cutoff_unmet), 0) AS cutoff, coalesce(sum(size_on_disk), 0) AS size "
            "FROM library_items GROUP BY instance_id, type"
        )
        children = await self.db.fetch_all(
            "SELECT instance_id, type, count(*) AS n, coalesce(sum(cutoff_unmet), 0) AS cutoff "
            "FROM library_children GROUP BY instance_id, type"
        )
        return items, children
