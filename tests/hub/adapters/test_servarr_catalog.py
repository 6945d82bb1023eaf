"""The *arr catalog mixins against the spec-following fakes and real upstream payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from arrhub.adapters.categories import ArrAdapter
from arrhub.adapters.servarr_catalog import AlreadyAdded, UpstreamRejected
from arrhub.errors import NotFound
from arrhub.models.catalog import AddOptions
from tests.conftest import SHARED
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.server import RECORDER, serve

pytestmark = pytest.mark.usefixtures("socket_enabled")
PAYLOADS = SHARED / "payloads"
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@asynccontextmanager
async def arr(product: str, state: FakeArrState | None = None) -> AsyncIterator[
    tuple[ArrAdapter, FakeArrState, Any]
]:  # fmt: skip
    from tests.adapters_helpers import open_adapter

    fake = state or sample_state(product, queue=0)  # type: ignore[arg-type]
    app = make_arr_app(fake)
    async with serve(app) as url, open_adapter(product.lower(), url, api_key=DEFAULT_KEY) as a:
        assert isinstance(a, ArrAdapter)
        yield a, fake, app


def payload(path: str) -> Any:
    file = PAYLOADS / path
    if not file.is_file():
        pytest.skip(f"real payload {path} not found in {PAYLOADS}")
    return json.loads(file.read_text(encoding="utf-8"))


async def test_sonarr_calendar_episodes_with_runtime_and_tags() -> None:
    async with arr("Sonarr") as (adapter, fake, app):
        fake.tags = [{"id": 1, "label": "alice"}]
        records = await adapter.calendar(TODAY, TODAY + timedelta(days=7))
        sent = next(r for r in app[RECORDER] if r.path.endswith("/calendar"))
    assert sent.query["includeSeries"] == ["true"] and sent.query["unmonitored"] == ["true"]
    by_id = {r.upstream_id: r for r in records}
    assert set(by_id) == {101, 201}  # 102 is 8 days out, 202 was 3 days ago
    first = by_id[101]
    assert (first.type, first.release_kind, first.all_day) == ("episode", "air", False)
    assert (first.title, first.subtitle) == ("Broken Bad", "S01E01 · Episode 1")
    assert first.end is not None and first.end - first.start == timedelta(minutes=45)
    assert first.tags == ("alice",)
    assert (first.parent_type, first.parent_upstream_id) == ("series", 1)
    assert by_id[201].monitored is False  # unmonitored ones are asked for too
    assert by_id[201].end - by_id[201].start == timedelta(minutes=50)  # type: ignore[operator]


async def test_radarr_calendar_one_all_day_entry_per_release_in_range() -> None:
    async with arr("Radarr") as (adapter, _, _):
        records = await adapter.calendar(TODAY, TODAY + timedelta(days=7))
    kinds = sorted((r.upstream_id, r.release_kind) for r in records)
    assert kinds == [(1, "cinema"), (1, "physical"), (2, "digital")]  # digital of 1: day 40
    assert all(r.all_day and r.start.hour == 0 and r.end is None for r in records)
    assert next(r for r in records if r.upstream_id == 2).has_file is True


async def test_lidarr_calendar_albums() -> None:
    async with arr("Lidarr") as (adapter, _, app):
        records = await adapter.calendar(TODAY, TODAY + timedelta(days=7))
        sent = next(r for r in app[RECORDER] if r.path.endswith("/calendar"))
    assert sent.query["includeArtist"] == ["true"]
    assert [(r.type, r.title, r.subtitle, r.all_day) for r in records] == [
        ("album", "The Loud Ones", "Louder", True)
    ]


@pytest.mark.parametrize(
    ("product", "path", "linked"),
    [("Sonarr", "sonarr/ha-core/calendar.json", True),
     ("Sonarr", "sonarr/pyarr/calendar.json", True),
     ("Lidarr", "lidarr/aiopyarr/calendar.json", True),
     # Placeholder movies with id 0 belong to no library item: left out, without a crash.
     ("Radarr", "radarr/ha-core/calendar.json", False),
     ("Radarr", "radarr/aiopyarr/calendar.json", False)],
)  # fmt: skip
async def test_real_calendar_payloads_parse(product: str, path: str, linked: bool) -> None:
    data = payload(path)
    fake = sample_state(product, queue=0)  # type: ignore[arg-type]
    fake.replies["calendar"] = data
    async with arr(product, fake) as (adapter, _, _):
        records = await adapter.calendar(
            datetime(1990, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
        )
    assert bool(records) == linked
    assert all(r.start.tzinfo is not None and r.parent_upstream_id >= 0 for r in records)


@pytest.mark.parametrize(
    ("product", "path", "key"),
    [("Sonarr", "sonarr/flexget-vcr/series_lookup_tvdb.json", "tvdb_id"),
     ("Sonarr", "sonarr/pyarr/series_lookup.json", None),  # placeholders: ids are 0
     ("Radarr", "radarr/pyarr/movie_lookup.json", "tmdb_id"),
     ("Radarr", "radarr/aiopyarr/movie-import.json", None)],
)  # fmt: skip
async def test_real_lookup_payloads_parse(product: str, path: str, key: str | None) -> None:
    fake = sample_state(product, queue=0)  # type: ignore[arg-type]
    resource = "series" if product == "Sonarr" else "movie"
    fake.replies[f"{resource}/lookup"] = payload(path)
    async with arr(product, fake) as (adapter, _, _):
        records = await adapter.lookup("anything")
    assert records and all(r.title for r in records)
    raw = payload(path)
    assert [r.upstream_id for r in records] == [x.get("id") or None for x in raw]  # 0: not there
    if key is not None:
        assert all(getattr(r, key) for r in records)
    else:  # a 0 external id is no id
        assert all(r.tmdb_id is None and r.tvdb_id is None for r in records)


async def test_lookup_marks_library_titles_with_their_id() -> None:
    async with arr("Sonarr") as (adapter, _, _):
        by_tvdb = {r.tvdb_id: r for r in await adapter.lookup("tvdb:81189")}
        named = await adapter.lookup("newcomers")
    assert by_tvdb[81189].upstream_id == 1
    assert {r.title for r in named} == {"The Newcomers", "Newcomers, Again"}
    assert all(r.upstream_id is None for r in named)
    assert named[0].poster_url and named[0].poster_url.startswith("https://")


async def test_add_posts_the_lookup_result_with_the_choices() -> None:
    async with arr("Sonarr") as (adapter, fake, _):
        fake.tags = [{"id": 1, "label": "alice"}]
        options = AddOptions(
            tvdb_id=90001,
            root_folder="/tv/",
            quality_profile_id=4,
            monitor="first_season",
            search_now=True,
            tags=("alice", "kids"),
        )
        record = await adapter.add_title(options)
        body = fake.catalog["added"][-1]
        assert body["title"] == "The Newcomers" and body["overview"]  # the lookup result ...
        assert body["addOptions"] == {"monitor": "firstSeason", "searchForMissingEpisodes": True,
                                      "searchForCutoffUnmetEpisodes": False}  # fmt: skip
        assert (body["qualityProfileId"], body["rootFolderPath"]) == (4, "/tv/")
        assert body["tags"] == [1, 2] and fake.tags[-1] == {"id": 2, "label": "kids"}
        assert record.type == "series" and record.upstream_id == 3
        assert record.tags == ["alice", "kids"] and record.tvdb_id == 90001
        # The library now has it: a second lookup says so.
        assert (await adapter.lookup("tvdb:90001"))[0].upstream_id == 3


async def test_duplicate_add_is_a_conflict_and_validation_keeps_messages() -> None:
    async with arr("Radarr") as (adapter, _, _):
        with pytest.raises(AlreadyAdded, match="already been added"):
            await adapter.add_title(
                AddOptions(
                    tmdb_id=603, root_folder="/movies/", quality_profile_id=1, monitor="movieOnly"
                )
            )
        with pytest.raises(UpstreamRejected) as caught:
            await adapter.add_title(
                AddOptions(
                    tmdb_id=700, root_folder="/movies/", quality_profile_id=99, monitor="movieOnly"
                )
            )
        with pytest.raises(NotFound):
            await adapter.add_title(
                AddOptions(
                    tmdb_id=1, root_folder="/movies/", quality_profile_id=1, monitor="movieOnly"
                )
            )
    assert caught.value.errors == [{"loc": ["upstream", "QualityProfileId"],
                                    "msg": "Quality Profile does not exist",
                                    "type": "QualityProfileExistsValidator"}]  # fmt: skip


async def test_delete_flags_per_product_and_exclusions() -> None:
    async with arr("Radarr") as (adapter, fake, _):
        await adapter.delete_title(2, delete_files=True, add_exclusion=True)
        assert fake.catalog["deleted"] == [
            {"id": 2, "deleteFiles": "true", "addImportExclusion": "true"}
        ]
        titles = {e.title: e for e in await adapter.exclusions()}
        assert titles["Semicolon; The Movie, Part \\ II"].tmdb_id == 604
        await adapter.delete_exclusion(titles["Excluded Film"].id)
        assert "Excluded Film" not in {e.title for e in await adapter.exclusions()}
        with pytest.raises(NotFound):
            await adapter.delete_title(2, delete_files=False, add_exclusion=False)
    async with arr("Lidarr") as (adapter, fake, _):
        await adapter.delete_title(1, delete_files=False, add_exclusion=True)
        assert fake.catalog["deleted"][0]["addImportListExclusion"] == "true"
        assert "mb-artist-1" in {e.musicbrainz_id for e in await adapter.exclusions()}


async def test_picker_options() -> None:
    async with arr("Lidarr") as (adapter, _, _):
        options = await adapter.picker_options()
    assert [f.path for f in options.root_folders] == ["/music/", "/music2/"]
    assert [p.name for p in options.quality_profiles] == ["HD-1080p", "Ultra-HD"]
    assert [p.id for p in options.metadata_profiles] == [1, 2]
    async with arr("Sonarr") as (adapter, _, _):
        assert (await adapter.picker_options()).metadata_profiles == ()
