"""Browsing and searching the cache: filtered, sorted, paged lists and one item's detail.

Full text: the word index first (every token as a prefix, ranked by bm25). When that
finds fewer than `FUZZY_BELOW` titles for the filters, the typo-tolerant candidates are
added: word matches first, then fuzzy ones by similarity; that set is small (at most a
few hundred), so it is filtered, sorted and paged in Python.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from arrhub.auth.principal import Principal
from arrhub.models.library_api import Child, LibraryFilters, LibraryItem, Season
from arrhub.services.library import search
from arrhub.store.db import Row
from arrhub.store.library import LibraryQueries, LibraryRepository, build_filter
from arrhub.store.library import order_by as sql_order_by

_FILTER_FIELDS = set(LibraryFilters.model_fields) - {"q", "sort", "order"}
_DESC_DEFAULT = frozenset({"relevance", "added", "rating", "size"})
#: Seconds between vocabulary rebuilds while the library changes (during a refresh).
VOCABULARY_EVERY = 10.0


def scope_of(principal: Principal) -> frozenset[str] | None:
    """The tags that limit what this caller sees; None = everything (admins)."""
    return None if principal.is_admin else frozenset(principal.tags)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def item_id(instance_id: str, kind: str, upstream_id: int) -> str:
    return f"{instance_id}:{kind}:{upstream_id}"


def to_item(row: Row) -> LibraryItem:
    return LibraryItem(
        id=item_id(row["instance_id"], row["type"], row["upstream_id"]),
        instance_id=row["instance_id"], type=row["type"], upstream_id=row["upstream_id"],
        title=row["title"], sort_title=row["sort_title"], year=row["year"],
        status=row["status"], monitored=bool(row["monitored"]),
        quality_profile_id=row["quality_profile_id"], quality=row["quality"],
        genres=json.loads(row["genres"]), tags=json.loads(row["tags"]), rating=row["rating"],
        size_on_disk=row["size_on_disk"], added=_dt(row["added"]),
        has_file=bool(row["has_file"]), child_count=row["child_count"],
        file_count=row["file_count"], missing_count=row["missing_count"],
        cutoff_unmet=bool(row["cutoff_unmet"]), tmdb_id=row["tmdb_id"],
        tvdb_id=row["tvdb_id"], imdb_id=row["imdb_id"], musicbrainz_id=row["musicbrainz_id"],
        overview=row["overview"], poster_url=row["poster_url"], path=row["path"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )  # fmt: skip


def to_child(row: Row, parent_kind: str) -> Child:
    return Child(
        id=item_id(row["instance_id"], row["type"], row["upstream_id"]),
        type=row["type"], upstream_id=row["upstream_id"],
        parent_id=item_id(row["instance_id"], parent_kind, row["parent_upstream_id"]),
        season_number=row["season_number"], episode_number=row["episode_number"],
        title=row["title"], air_date=_dt(row["air_date"]), monitored=bool(row["monitored"]),
        has_file=bool(row["has_file"]), quality=row["quality"],
        size_on_disk=row["size_on_disk"], cutoff_unmet=bool(row["cutoff_unmet"]),
    )  # fmt: skip


def seasons_of(children: list[Child], now: datetime) -> list[Season]:
    by_number: dict[int, list[Child]] = {}
    for child in children:
        if child.season_number is not None:
            by_number.setdefault(child.season_number, []).append(child)
    return [
        Season(
            season_number=number,
            episode_count=len(episodes),
            file_count=sum(1 for e in episodes if e.has_file),
            missing_count=sum(1 for e in episodes if is_missing(e, now)),
        )
        for number, episodes in sorted(by_number.items())
    ]


def is_missing(child: Child, now: datetime) -> bool:
    """Monitored, aired/released, and no file."""
    return (
        child.monitored and not child.has_file and child.air_date is not None
        and child.air_date <= now
    )  # fmt: skip


class LibrarySearch:
    def __init__(self, repository: LibraryRepository, queries: LibraryQueries) -> None:
        self._repository = repository
        self._queries = queries
        self._vocabulary: search.Vocabulary | None = None
        self._vocabulary_of = -1  # the repository generation it was built from
        self._vocabulary_at = 0.0

    async def select(
        self, filters: LibraryFilters, scope: frozenset[str] | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        where = build_filter(filters.model_dump(include=_FILTER_FIELDS), scope)
        text = (filters.q or "").strip()
        sort = filters.sort or ("relevance" if text else "title")
        descending = (filters.order or ("desc" if sort in _DESC_DEFAULT else "asc")) == "desc"
        if not text:
            plain = sql_order_by("title" if sort == "relevance" else sort, descending)
            return await self._queries.page(where, plain, limit, offset)
        words = search.tokens(text)
        expression = search.match_expression(words)
        if expression is None:
            return [], 0  # only punctuation or symbols: nothing can match
        order: str | None = None if sort == "relevance" else sql_order_by(sort, descending)
        if sort == "relevance" and not descending:
            order = "ORDER BY bm25 DESC"  # least relevant first
        rows, total = await self._queries.match_page(where, expression, order, limit, offset)
        if total >= search.FUZZY_BELOW:
            return rows, total
        vocabulary = await self.vocabulary()
        corrected = search.corrected_expression(words, vocabulary.alternatives(words))
        if corrected is None or corrected == expression:
            return rows, total
        fuzzy_rows, fuzzy_total = await self._queries.match_page(
            where, corrected, order, limit, offset
        )
        return (fuzzy_rows, fuzzy_total) if fuzzy_total > total else (rows, total)

    async def vocabulary(self) -> search.Vocabulary:
        """The library's words; rebuilt when the cache changed, at most every few seconds
        (a word new since then is simply not offered as a correction yet)."""
        now = time.monotonic()
        generation = self._repository.generation
        stale = self._vocabulary is None or (
            generation != self._vocabulary_of and now - self._vocabulary_at >= VOCABULARY_EVERY
        )
        if stale:
            self._vocabulary = search.Vocabulary(await self._repository.vocabulary())
            self._vocabulary_of, self._vocabulary_at = generation, now
        assert self._vocabulary is not None
        return self._vocabulary
