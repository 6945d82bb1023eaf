"""The library cache's store and search on a real SQLite file (LIB-1, LIB-2).

Hostile search text never errors, prefixes and accents match, typos still find the
title, batches rewrite only what changed, and stale rows go only when a run finishes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from arrhub.models.library import ChildRecord, LibraryRecord
from arrhub.models.library_api import ItemsQuery
from arrhub.services.library.query import LibrarySearch
from arrhub.services.library.search import Vocabulary, corrected_expression
from arrhub.store.db import Database
from arrhub.store.library import LibraryQueries, LibraryRepository
from arrhub.store.migrations import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
INSTANCE = "aaaaaaaaaaaa"
TITLES = [
    "Star Wars", "Star Trek", "Interstellar", "Amélie", "Spider-Man: No Way Home",
    "M*A*S*H", "The Matrix", "Alien", "Aliens", "Up",
]  # fmt: skip


def movie(upstream_id: int, title: str, **extra: Any) -> LibraryRecord:
    values: dict[str, Any] = {"type": "movie", "upstream_id": upstream_id, "title": title,
                              "year": 2000 + upstream_id % 20,
                              "added": NOW - timedelta(days=upstream_id)}  # fmt: skip
    values.update(extra)
    return LibraryRecord(**values)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "lib.db")
    await database.open()
    await migrate(database)
    for instance_id in (INSTANCE, "bbbbbbbbbbbb"):
        await database.execute(
            "INSERT INTO instances (id, type, name, url, created_at, updated_at) "
            "VALUES (?, 'radarr', ?, 'http://x', '', '')",
            (instance_id, instance_id),
        )
    yield database
    await database.close()


@pytest.fixture
async def filled(db: Database) -> LibraryRepository:
    repo = LibraryRepository(db)
    records = [movie(i + 1, t) for i, t in enumerate(TITLES)]
    await repo.write_items(INSTANCE, records, NOW, None)
    return repo


async def search(repo: LibraryRepository, **params: Any) -> tuple[list[str], int]:
    engine = LibrarySearch(repo, LibraryQueries(repo.db))
    query = ItemsQuery(**params)
    rows, total = await engine.select(query, None, query.limit, query.offset)
    return [r["title"] for r in rows], total


HOSTILE = [
    '"', "'", "*", "AND", "OR", "NOT", "NEAR(", "NEAR(star wars", "-", "^", ":", "(", ")",
    '"star', "star*", "title:star", "^star", "-star", "star AND", "OR star", "😀", "🎬 star",
    "", "   ", "x" * 500, "a " * 250, '""""', "\\", "%", "_", "star'; DROP TABLE x;--",
    "\x00", "{title}: star", "NEAR(star wars, 2)", "star + wars",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_queries_never_error(filled: LibraryRepository, text: str) -> None:
    titles, total = await search(filled, q=text[:500])
    assert total == len(titles)


async def test_operators_are_words_not_syntax(filled: LibraryRepository) -> None:
    titles, _ = await search(filled, q='"star" AND')
    assert set(titles) <= {"Star Wars", "Star Trek"}  # "and" is a word; star-ish titles
    titles, _ = await search(filled, q="star*")
    assert set(titles) == {"Star Wars", "Star Trek"}
    titles, _ = await search(filled, q="NEAR(star")
    assert set(titles) <= {"Star Wars", "Star Trek"}
    titles, _ = await search(filled, q="title:alien")
    assert set(titles) <= {"Alien", "Aliens"}  # not a column filter


async def test_prefix_matching(filled: LibraryRepository) -> None:
    titles, total = await search(filled, q="star wa")
    assert titles[0] == "Star Wars"
    assert total >= 1
    titles, _ = await search(filled, q="spider no way")
    assert titles[0] == "Spider-Man: No Way Home"
    titles, _ = await search(filled, q="m a s h")
    assert "M*A*S*H" in titles


async def test_accents_and_case_fold(filled: LibraryRepository) -> None:
    titles, _ = await search(filled, q="amelie")
    assert titles[0] == "Amélie"
    titles, _ = await search(filled, q="AMÉLIE")
    assert titles[0] == "Amélie"


async def test_typos_find_the_title(filled: LibraryRepository) -> None:
    titles, _ = await search(filled, q="interstelar")
    assert titles[0] == "Interstellar"
    titles, _ = await search(filled, q="matirx")
    assert "The Matrix" in titles


async def test_filters_and_sorts(filled: LibraryRepository) -> None:
    repo = filled
    await repo.write_items(
        "bbbbbbbbbbbb",
        [
            movie(
                1,
                "Other Star",
                rating=9.5,
                tags=["kids"],
                genres=["Drama"],
                has_file=True,
                size_on_disk=10,
                monitored=True,
            )
        ],  # fmt: skip
        NOW,
        None,
    )
    titles, total = await search(repo, instance_id="bbbbbbbbbbbb")
    assert (titles, total) == (["Other Star"], 1)
    titles, _ = await search(repo, tag="KIDS")
    assert titles == ["Other Star"]
    titles, _ = await search(repo, genre="drama", rating_min=9)
    assert titles == ["Other Star"]
    titles, total = await search(repo, no_files=True)
    assert total == len(TITLES)
    titles, _ = await search(repo, q="star", sort="rating")
    assert titles[0] == "Other Star"  # rated first, unrated after
    titles, _ = await search(repo, sort="title", limit=3)
    assert titles == ["Alien", "Aliens", "Amélie"]
    titles, _ = await search(repo, sort="title", order="desc", limit=1)
    assert titles == ["Up"]
    titles, _ = await search(repo, year_min=2005, year_max=2006, sort="year")
    assert titles == ["Spider-Man: No Way Home", "M*A*S*H"]


async def test_only_changed_rows_are_rewritten(db: Database) -> None:
    repo = LibraryRepository(db)
    first = await repo.write_items(INSTANCE, [movie(1, "A"), movie(2, "B")], NOW, None)
    assert (first.added, first.changed, first.unchanged) == (2, 0, 0)
    before = await db.fetch_all("SELECT upstream_id, updated_at FROM library_items")
    later = NOW + timedelta(hours=1)
    second = await repo.write_items(INSTANCE, [movie(1, "A"), movie(2, "B2")], later, None)
    assert (second.added, second.changed, second.unchanged) == (0, 1, 1)
    after = {
        r[0]: r[1] for r in await db.fetch_all("SELECT upstream_id, updated_at FROM library_items")
    }
    old = {r[0]: r[1] for r in before}
    assert after[1] == old[1]  # untouched
    assert after[2] != old[2]
    titles, _ = await search(repo, q="b2")
    assert titles == ["B2"]  # the index follows the new title
    titles, _ = await search(repo, q="b")
    assert titles == ["B2"]


async def test_stale_rows_go_only_when_the_run_finishes(db: Database) -> None:
    repo = LibraryRepository(db)
    await repo.write_items(INSTANCE, [movie(i, f"T{i}") for i in range(1, 6)], NOW, None)
    await repo.write_items(INSTANCE, [movie(1, "T1"), movie(2, "T2")], NOW, "run1")
    assert await repo.count(INSTANCE, "movie") == 5  # not finished: nothing deleted
    await repo.drop_run("run1")  # a failed run leaves all rows
    assert await repo.count(INSTANCE, "movie") == 5
    await repo.write_items(INSTANCE, [movie(1, "T1"), movie(2, "T2")], NOW, "run2")
    removed = await repo.finish_items(INSTANCE, "movie", "run2")
    assert removed == 3
    assert await repo.count(INSTANCE, "movie") == 2
    titles, _ = await search(repo, q="t3")
    assert titles == []


async def test_children_recount_parents(db: Database) -> None:
    repo = LibraryRepository(db)
    series = LibraryRecord(type="series", upstream_id=7, title="Show", child_count=99)
    await repo.write_items(INSTANCE, [series], NOW, None)
    aired = NOW - timedelta(days=3)
    episodes = [
        ChildRecord(type="episode", upstream_id=1, parent_upstream_id=7, season_number=1,
                    episode_number=1, air_date=aired, monitored=True, has_file=True),
        ChildRecord(type="episode", upstream_id=2, parent_upstream_id=7, season_number=1,
                    episode_number=2, air_date=aired, monitored=True, has_file=False),
        ChildRecord(type="episode", upstream_id=3, parent_upstream_id=7, season_number=1,
                    episode_number=3, air_date=NOW + timedelta(days=5), monitored=True),
    ]  # fmt: skip
    await repo.write_children(INSTANCE, episodes, NOW, "r", first_refresh=True)
    await repo.finish_children(INSTANCE, "episode", "r", NOW)
    row = await repo.item(INSTANCE, "series", 7)
    assert row is not None
    assert (row["child_count"], row["file_count"], row["missing_count"], row["has_file"]) == (
        3, 1, 1, 1,
    )  # fmt: skip


def test_vocabulary_corrects_common_typos() -> None:
    vocabulary = Vocabulary(["interstellar", "matrix", "the", "star", "wars", "amelie"])
    assert vocabulary.corrections("interstelar") == ["interstellar"]  # a letter dropped
    assert vocabulary.corrections("intersteller") == ["interstellar"]  # a letter changed
    assert vocabulary.corrections("matirx") == ["matrix"]  # two letters swapped
    assert vocabulary.corrections("qwertyuiop") == []  # nothing close
    assert vocabulary.corrections("wras") == ["wars"]
    # A word being typed is known (a prefix of a library word): no correction wanted.
    assert vocabulary.alternatives(["inters", "wras"]) == {"wras": ["wars"]}


def test_corrected_expression_quotes_every_word() -> None:
    expression = corrected_expression(['st"ar', "wras"], {"wras": ["wars"]})
    assert expression == '"st""ar"* AND ("wras"* OR "wars")'


async def test_a_typo_among_right_words_still_finds_the_title(
    filled: LibraryRepository,
) -> None:
    titles, _ = await search(filled, q="star wras")
    assert titles[0] == "Star Wars"
