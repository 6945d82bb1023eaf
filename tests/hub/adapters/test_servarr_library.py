"""Reading Sonarr, Radarr and Lidarr libraries (LIB-1) against the fakes and real payloads.

Records and children normalized (tag labels, ratings, qualities, missing and cutoff
counts), one record and a vanished one, the failure modes (401, HTML, a cut-off body that
must raise rather than end a list early), a 20k-movie library read with bounded memory,
and every real payload of the endpoints read here.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Any

import pytest

from arrhub.adapters.base import Truncated
from arrhub.adapters.errors import AuthFailed, BadResponse, UpstreamFailure
from arrhub.models.library import ChildRecord, LibraryRecord
from tests.fakes.servarr import FakeArrState
from tests.fakes.servarr_library import (
    STREAM_ABOVE,
    add_item,
    delete_item,
    episodes_of,
    fill_library,
    set_title,
)
from tests.hub.adapters.arr_support import Payload, payload_params, served_arr

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture(params=["sonarr", "radarr", "lidarr"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def records_of(adapter: Any) -> list[LibraryRecord]:
    return [record async for record in adapter.library_records()]


async def collect_into(stream: Any, into: list[Any]) -> None:
    async for item in stream:
        into.append(item)


async def children_of(adapter: Any, parent: int | None = None) -> list[ChildRecord]:
    return [child async for child in adapter.library_children(parent)]


# ---- Radarr ---------------------------------------------------------------------------------


async def test_radarr_movies_normalized() -> None:
    state = FakeArrState(product="Radarr")
    fill_library(state, movies=40)
    async with served_arr(state) as served:
        records = await records_of(served.adapter)
        assert await children_of(served.adapter) == []
    assert [r.upstream_id for r in records] == list(range(1, 41))
    by_id = {r.upstream_id: r for r in records}
    raw = {m["id"]: m for m in state.library["movies"]}

    amelie = by_id[1]
    assert amelie.type == "movie"
    assert amelie.title == "Amélie" == raw[1]["title"]
    assert amelie.tmdb_id == raw[1]["tmdbId"] and amelie.imdb_id == raw[1]["imdbId"]
    assert amelie.poster_url == raw[1]["images"][0]["remoteUrl"]
    assert amelie.quality == raw[1]["movieFile"]["quality"]["quality"]["name"]
    assert amelie.has_file and amelie.file_count == 1 and amelie.missing_count == 0
    assert amelie.size_on_disk == raw[1]["sizeOnDisk"] > 0
    assert amelie.genres == raw[1]["genres"]
    assert amelie.path == raw[1]["path"]
    assert amelie.in_cinemas is not None and amelie.in_cinemas.tzinfo is not None
    assert by_id[2].title == "Spider-Man: No Way Home" and by_id[3].title == "M*A*S*H"
    # Ratings: TMDb's value first; an unrated movie (0 votes, 0.0) has none.
    for movie_id, record in by_id.items():
        tmdb = raw[movie_id]["ratings"]["tmdb"]["value"]
        imdb = raw[movie_id]["ratings"]["imdb"]["value"]
        assert record.rating == (tmdb or imdb or None)
    assert any(r.rating is None for r in records) and any(r.rating for r in records)
    # Tag ids became labels (GET /tag once).
    labels = {t["id"]: t["label"] for t in state.tags}
    for movie_id, record in by_id.items():
        assert record.tags == sorted(labels[t] for t in raw[movie_id]["tags"])
    assert by_id[12].tags == ["alice", "bob", "kids"]  # 12 % 3, 12 % 4, 12 % 6
    assert served.count("/tag") == 1
    # Without a file: monitored and released -> missing; announced -> not missing yet.
    assert not by_id[7].has_file and by_id[7].quality is None and by_id[7].missing_count == 1
    assert by_id[17].status == "announced" and by_id[17].missing_count == 0
    assert by_id[22].monitored is False  # every 11th
    assert by_id[13].cutoff_unmet and by_id[26].cutoff_unmet and not by_id[1].cutoff_unmet


async def test_one_record_and_a_vanished_one(kind: str) -> None:
    state = FakeArrState(product=kind.capitalize())  # type: ignore[arg-type]
    fill_library(state, movies=3, series=3, episodes_per_series=4, artists=3, albums_per_artist=2)
    async with served_arr(state) as served:
        listed = {r.upstream_id: r for r in await records_of(served.adapter)}
        one = await served.adapter.library_record(2)
        assert one == listed[2]
        assert await served.adapter.library_record(999) is None


async def test_changes_show_in_the_next_read() -> None:
    state = FakeArrState(product="Radarr")
    fill_library(state, movies=5)
    async with served_arr(state) as served:
        assert len(await records_of(served.adapter)) == 5
        set_title(state, "movies", 2, "Renamed: Part II")
        delete_item(state, "movies", 3)
        add_item(state, "movies", {**state.library["movies"][0], "id": 77, "title": "New"})
        titles = {r.upstream_id: r.title for r in await records_of(served.adapter)}
    assert titles == {1: "Amélie", 2: "Renamed: Part II", 4: titles[4], 5: titles[5], 77: "New"}


# ---- Sonarr ---------------------------------------------------------------------------------


async def test_sonarr_series_and_episodes() -> None:
    state = FakeArrState(product="Sonarr")
    fill_library(state, series=6, episodes_per_series=12)
    async with served_arr(state) as served:
        records = await records_of(served.adapter)
        children = await children_of(served.adapter)
        # The series ids of the full pass are reused: /series was read once.
        assert served.count("/series") == 1
        assert served.count("/episode") == 6
        assert all(
            r.query.get("includeEpisodeFile") == ["true"]
            for r in served.requests
            if r.path.endswith("/episode")
        )
        one = await children_of(served.adapter, 4)
    raw = {s["id"]: s for s in state.library["series"]}
    assert [r.upstream_id for r in records] == list(range(1, 7))
    for record in records:
        stats = raw[record.upstream_id]["statistics"]
        assert record.type == "series"
        assert record.child_count == stats["totalEpisodeCount"] == 12
        assert record.file_count == stats["episodeFileCount"]
        assert record.missing_count == stats["episodeCount"] - stats["episodeFileCount"]
        assert record.size_on_disk == stats["sizeOnDisk"]
        assert record.has_file == (stats["episodeFileCount"] > 0)
        assert record.tvdb_id == raw[record.upstream_id]["tvdbId"]
        assert record.status in ("continuing", "ended")
    assert any(r.missing_count for r in records)
    # Episodes, series by series in order, every field from the episode and its file.
    assert len(children) == 72
    assert [c.parent_upstream_id for c in children] == sorted(
        c.parent_upstream_id for c in children
    )
    expected = {e["id"]: e for sid in raw for e in episodes_of(state, sid)}
    assert {c.upstream_id for c in children} == set(expected)
    for child in children:
        episode = expected[child.upstream_id]
        file = episode.get("episodeFile")
        assert child.type == "episode"
        assert (child.season_number, child.episode_number) == (
            episode["seasonNumber"],
            episode["episodeNumber"],
        )
        assert child.has_file == episode["hasFile"] == (file is not None)
        assert child.monitored == episode["monitored"]
        assert child.air_date is not None and child.air_date.tzinfo is not None
        assert child.quality == (file["quality"]["quality"]["name"] if file else None)
        assert child.size_on_disk == (file["size"] if file else 0)
        assert child.cutoff_unmet == bool(file and file["qualityCutoffNotMet"])
    assert any(c.cutoff_unmet for c in children) and any(not c.has_file for c in children)
    assert [c.upstream_id for c in one] == [e["id"] for e in episodes_of(state, 4)]


async def test_sonarr_children_alone_read_the_series_list() -> None:
    state = FakeArrState(product="Sonarr")
    fill_library(state, series=20, episodes_per_series=3)
    async with served_arr(state) as served:
        children = await children_of(served.adapter)
        assert served.count("/series") == 1 and served.count("/episode") == 20
    assert len(children) == 60
    assert [c.parent_upstream_id for c in children][::3] == list(range(1, 21))


async def test_sonarr_series_deleted_meanwhile_has_no_episodes() -> None:
    state = FakeArrState(product="Sonarr")
    fill_library(state, series=3, episodes_per_series=2)
    async with served_arr(state) as served:
        await records_of(served.adapter)
        delete_item(state, "series", 2)
        children = await children_of(served.adapter)
    assert {c.parent_upstream_id for c in children} == {1, 3}


async def test_sonarr_cutoff_unmet_ids_pages_through() -> None:
    state = FakeArrState(product="Sonarr")
    fill_library(state, series=120, episodes_per_series=50)
    async with served_arr(state) as served:
        ids = await served.adapter.cutoff_unmet_ids()
        pages = served.count("/wanted/cutoff")
    wanted = {
        e["id"]
        for sid in range(1, 121)
        for e in episodes_of(state, sid)
        if e["monitored"] and (e.get("episodeFile") or {}).get("qualityCutoffNotMet")
    }
    assert ids == wanted and len(wanted) > 500
    assert pages == -(-len(wanted) // 500)


# ---- Lidarr ---------------------------------------------------------------------------------


async def test_lidarr_artists_and_albums() -> None:
    state = FakeArrState(product="Lidarr")
    fill_library(state, artists=4, albums_per_artist=5)
    async with served_arr(state) as served:
        records = await records_of(served.adapter)
        albums = await children_of(served.adapter)
        mine = await children_of(served.adapter, 2)
    raw = {a["id"]: a for a in state.library["artists"]}
    assert [r.upstream_id for r in records] == [1, 2, 3, 4]
    for record in records:
        artist = raw[record.upstream_id]
        assert record.type == "artist" and record.title == artist["artistName"]
        assert record.musicbrainz_id == artist["foreignArtistId"]
        assert record.child_count == artist["statistics"]["albumCount"] == 5
        assert record.file_count == artist["statistics"]["trackFileCount"]
        stats = artist["statistics"]
        assert record.missing_count == stats["trackCount"] - stats["trackFileCount"]
        assert record.poster_url == artist["images"][0]["remoteUrl"]
        assert record.sort_title == artist["sortName"]
    assert len(albums) == 20
    below = state.library["cutoff_albums"]
    by_id = {a["id"]: a for a in state.library["albums"]}
    for album in albums:
        source = by_id[album.upstream_id]
        assert album.type == "album" and album.parent_upstream_id == source["artistId"]
        assert album.title == source["title"]
        assert album.has_file == (source["statistics"]["trackFileCount"] > 0)
        assert album.size_on_disk == source["statistics"]["sizeOnDisk"]
        assert album.air_date is not None
        assert album.cutoff_unmet == (album.upstream_id in below and source["monitored"])
    assert any(a.cutoff_unmet for a in albums) and any(not a.has_file for a in albums)
    assert {a.parent_upstream_id for a in mine} == {2} and len(mine) == 5


# ---- failures -------------------------------------------------------------------------------


async def test_wrong_key_is_auth_failed(kind: str) -> None:
    state = FakeArrState(product=kind.capitalize())  # type: ignore[arg-type]
    fill_library(state, movies=2, series=2, artists=2)
    async with served_arr(state, api_key="wrong") as served:
        with pytest.raises(AuthFailed) as caught:
            await records_of(served.adapter)
    assert caught.value.reason == "auth_failed"


async def test_html_instead_of_the_api_is_bad_response() -> None:
    state = FakeArrState(product="Radarr")
    fill_library(state, movies=2)
    state.tags = []
    async with served_arr(state) as served:
        state.garbage = True
        with pytest.raises(BadResponse) as caught:
            await records_of(served.adapter)
    assert caught.value.reason == "bad_response"
    assert "html" in str(caught.value).lower()


@pytest.mark.parametrize("movies", [30, 3000], ids=["small", "streamed"])
async def test_cut_off_reply_raises_instead_of_ending_early(movies: int) -> None:
    state = FakeArrState(product="Radarr")
    fill_library(state, movies=movies)
    async with served_arr(state) as served:
        labels = await served.adapter.tag_labels()
        assert labels
        state.truncate = True
        got: list[LibraryRecord] = []
        with pytest.raises(UpstreamFailure) as caught:
            await collect_into(served.adapter.library_records(), got)
    # Whatever came before the cut, the read ends in an error, never in a short list.
    assert isinstance(caught.value, Truncated | BadResponse)
    assert len(got) < movies
    if movies == 3000:  # streamed by the fake: the cut shows mid-body
        assert isinstance(caught.value, Truncated) and caught.value.transient


async def test_large_library_is_read_streamed_in_bounded_memory() -> None:
    state = FakeArrState(product="Radarr")
    fill_library(state, movies=20_000)
    async with served_arr(state) as served:
        first = await records_of(served.adapter)  # warms the fake's cache of the body
        body = sum(len(c) for c in state.library["_cache"][("list", "movies")][1])
        assert body > 10 * STREAM_ABOVE
        del first
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            count, last = 0, 0
            async for record in served.adapter.library_records():
                count += 1
                last = record.upstream_id
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    assert count == 20_000 and last == 20_000
    # The body is ~35 MB; streamed, the reader holds a chunk and one record at a time.
    assert peak < body / 8, f"peak {peak} bytes for a {body}-byte body"


# ---- real payloads --------------------------------------------------------------------------

READS = {
    "/api/v3/movie": ("radarr", "movie", "records"),
    "/api/v3/movie/{id}": ("radarr", "movie/{id}", "record"),
    "/api/v3/series": ("sonarr", "series", "records"),
    "/api/v3/series/{id}": ("sonarr", "series/{id}", "record"),
    "/api/v3/episode": ("sonarr", "episode", "children"),
    "/api/v1/artist": ("lidarr", "artist", "records"),
    "/api/v1/artist/{id}": ("lidarr", "artist/{id}", "record"),
    "/api/v1/album": ("lidarr", "album", "children"),
    "/api/v3/wanted/cutoff": ("radarr", "wanted/cutoff", "cutoff"),
    "/api/v1/wanted/cutoff": ("lidarr", "wanted/cutoff", "cutoff"),
}


def _choose(payload: Payload) -> list[Any] | None:
    return [READS[payload.path]] if payload.method == "GET" and payload.path in READS else None


@pytest.mark.parametrize(
    ("payload", "read"), payload_params({"radarr", "sonarr", "lidarr"}, _choose, extras=1)
)
async def test_real_payload_parses(payload: Payload, read: tuple[str, str, str]) -> None:
    kind, route, how = read
    data = payload.load()
    state = FakeArrState(product=kind.capitalize())  # type: ignore[arg-type]
    state.replies[route] = data
    state.tags = [{"id": 0, "label": "zero"}, {"id": 11, "label": "eleven"}]
    listed = data if isinstance(data, list) else [data]
    with_ids = [d for d in listed if isinstance(d, dict) and isinstance(d.get("id"), int)]
    async with served_arr(state) as served:
        if how == "records":
            got: list[Any] = await records_of(served.adapter)
            assert [r.upstream_id for r in got] == [d["id"] for d in with_ids]
        elif how == "record":
            one = await served.adapter.library_record(data["id"])
            assert one is not None and one.upstream_id == data["id"]
            got = [one]
        elif how == "children":
            got = await children_of(served.adapter, 1)
            assert len(got) == len(
                [
                    d
                    for d in with_ids
                    if d.get("seriesId", d.get("artistId")) is not None or kind == "sonarr"
                ]
            )
        else:
            ids = await served.adapter.cutoff_unmet_ids()
            assert ids == {r["id"] for r in data.get("records", []) if "id" in r}
            return
    sources = {d["id"]: d for d in with_ids}
    for item in got:
        source = sources[item.upstream_id]
        if isinstance(item, LibraryRecord):
            assert item.title == (source.get("title") or source.get("artistName") or "")
            assert item.rating is None or 0 < item.rating <= 10
            assert item.year is None or item.year > 1800
            assert item.added is None or item.added.year > 1900
            assert set(item.tags) <= {"zero", "eleven"}


# ---- bulk reads and the throttle -------------------------------------------------------------


async def test_bulk_reads_skip_the_throttle_only_inside() -> None:
    from arrhub.adapters.resilience import Throttle, bulk_reads

    moment = [0.0]
    throttle = Throttle(1.0, burst=1, clock=lambda: moment[0])
    await throttle.acquire()  # the one token of the burst
    with bulk_reads():
        for _ in range(50):  # no token left, yet nothing waits
            await asyncio.wait_for(throttle.acquire(), timeout=5)
    waiting = asyncio.ensure_future(throttle.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()  # outside, the empty bucket makes it wait
    waiting.cancel()
