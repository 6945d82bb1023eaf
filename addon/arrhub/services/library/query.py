"""Browsing and searching the cache: filtered, sorted, paged lists and one item's detail.

Full text: the word index first (every token as a prefix, ranked by bm25). When that
finds fewer than `FUZZY_BELOW` titles for the filters, the typo-tolerant candidates are
added: word matches first, then fuzzy ones by similarity; that set is small (at most a
few hundred), so it is filtered, sorted and paged in Python.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from arrhub.auth.principal import Principal
from arrhub.models.library_api import Child, LibraryFilters, LibraryItem, Season
from arrhub.services.library import search
from arrhub.store.db import Row
from arrhub.store.library import ItemFilter, LibraryQueries, LibraryRepository, build_filter
from arrhub.store.library import order_by as sql_order_by

_FILTER_FIELDS = set(LibraryFilters.model_fields) - {"q", "sort", "order"}
_DESC_DEFAULT = frozenset({"relevance", "added", "rating", "size"})


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


def _sort_value(item: LibraryItem, sort: str) -> Any:
    return {
        "title": (item.sort_title or item.title).casefold(),
        "year": item.year,
        "added": item.added,
        "rating": item.rating,
        "size": item.size_on_disk,
    }[sort]


class LibrarySearch:
    def __init__(self, repository: LibraryRepository, queries: LibraryQueries) -> None:
        self._repository = repository
        self._queries = queries

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
        return await self._fuzzy(where, expression, words, sort, descending, limit, offset)

    async def _fuzzy(
        self,
        where: ItemFilter,
        expression: str,
        words: list[str],
        sort: str,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[Row], int]:
        exact, _ = await self._queries.match_page(where, expression, None, search.FUZZY_BELOW, 0)
        scores: dict[int, float] = {int(r["id"]): 2.0 - i / 100 for i, r in enumerate(exact)}
        query_grams = search.trigrams(" ".join(words))
        candidates = await self._repository.trigram_candidates(
            search.index_trigrams(words), search.FUZZY_CANDIDATES
        )
        for row in await self._repository.folds([c for c in candidates if c not in scores]):
            score = search.fuzzy_score(words, query_grams, row["fold"])
            if score >= search.FUZZY_MIN:
                scores[int(row["id"])] = score
        rows = await self._queries.by_ids(where, list(scores))
        if sort == "relevance":
            rows.sort(key=lambda r: (-scores[int(r["id"])], r["sort_key"]), reverse=not descending)
        else:
            items = {int(r["id"]): to_item(r) for r in rows}
            present = [r for r in rows if _sort_value(items[int(r["id"])], sort) is not None]
            absent = [r for r in rows if _sort_value(items[int(r["id"])], sort) is None]
            present.sort(key=lambda r: _sort_value(items[int(r["id"])], sort), reverse=descending)
            rows = present + absent
        return rows[offset : offset + limit], len(rows)
