"""Library actions (LIB-3, LIB-9) through the hub's API: search now (title, season, episodes,
albums), rescan, monitor toggle and the artist watchlist, against the fake Sonarr, Radarr
and Lidarr (generated libraries) and a Prowlarr, on real ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.servarr_library import fill_library
from tests.fakes.server import serve
from tests.hub.conftest import assert_problem, bearer

#: Generated libraries: series 1..3 with 14 episodes each (seasons 1 and 2; series 2 has
#: episodes 15..28), movies 1..3, artists 1..3 with two albums each (artist 2: 3 and 4).
#: All of them monitored.
EPISODES_OF_SERIES_2 = range(15, 29)


@dataclass
class Arrs:
    client: TestClient
    key: str
    user: str
    ids: dict[str, str]  # sonarr, radarr, lidarr, prowlarr, disabled -> instance id
    fakes: dict[str, FakeArrState]

    @property
    def admin(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}

    async def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.client.post(path, json=body, headers=headers or self.admin)

    async def patch(self, item_id: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return await self.client.patch(
            f"/api/v1/library/items/{item_id}", json=body, headers=headers or self.admin
        )

    def item(self, name: str, kind: str, upstream_id: int) -> str:
        return f"{self.ids[name]}:{kind}:{upstream_id}"

    def started(self, name: str) -> list[dict[str, Any]]:
        """The commands the fake started, oldest first, as `{name, **fields}`."""
        return [
            {"name": c["name"], **{k: v for k, v in c["body"].items() if k in COMMAND_FIELDS}}
            for c in self.fakes[name].commands.values()
        ]


COMMAND_FIELDS = {"seriesId", "seasonNumber", "episodeIds", "movieId", "movieIds", "artistId",
                  "albumIds"}  # fmt: skip


def filled(product: str) -> FakeArrState:
    state = sample_state(product, queue=0)  # type: ignore[arg-type]
    state.catalog["titles"] = {}  # only the generated library, no sample catalog
    fill_library(state, movies=3, series=3, episodes_per_series=14, artists=3,
                 albums_per_artist=2)  # fmt: skip
    return state


@pytest.fixture
async def arrs(client: TestClient, admin_key: str, user_token: str) -> AsyncIterator[Arrs]:
    fakes = {"sonarr": filled("Sonarr"), "radarr": filled("Radarr"),
             "lidarr": filled("Lidarr"), "prowlarr": sample_state("Prowlarr")}  # fmt: skip
    async with AsyncExitStack() as exits:
        ids: dict[str, str] = {}
        urls: dict[str, str] = {}
        for name, state in fakes.items():
            urls[name] = await exits.enter_async_context(serve(make_arr_app(state)))
            ids[name] = await _add(client, admin_key, name, name, urls[name])
        ids["disabled"] = await _add(client, admin_key, "sonarr", "off", urls["sonarr"],
                                     enabled=False)  # fmt: skip
        yield Arrs(client, admin_key, user_token, ids, fakes)


async def _add(client: TestClient, key: str, kind: str, name: str, url: str, **extra: Any) -> str:
    resp = await client.post(
        "/api/v1/instances",
        json={"type": kind, "name": name, "url": url, "api_key": DEFAULT_KEY, **extra},
        headers={"X-Api-Key": key},
    )
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


async def accepted(resp: Any) -> dict[str, Any]:
    assert resp.status == 202, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


# ---- search now -----------------------------------------------------------------------------


async def test_search_a_series_a_season_and_episodes(arrs: Arrs) -> None:
    item = arrs.item("sonarr", "series", 2)
    path = f"/api/v1/library/items/{item}/search"
    whole = await accepted(await arrs.client.post(path, headers=arrs.admin))  # no body at all
    assert whole["name"] == "SeriesSearch" and whole["item_id"] == item
    assert whole["instance_id"] == arrs.ids["sonarr"] and whole["state"] == "queued"
    assert whole["command_id"] in arrs.fakes["sonarr"].commands
    season = await accepted(await arrs.post(path, {"season_number": 2}))
    episodes = [f"{arrs.ids['sonarr']}:episode:{n}" for n in (16, 15, 16)]
    some = await accepted(await arrs.post(path, {"child_ids": episodes}))
    assert (season["name"], some["name"]) == ("SeasonSearch", "EpisodeSearch")
    assert len({whole["command_id"], season["command_id"], some["command_id"]}) == 3
    assert arrs.started("sonarr") == [
        {"name": "SeriesSearch", "seriesId": 2},
        {"name": "SeasonSearch", "seriesId": 2, "seasonNumber": 2},
        {"name": "EpisodeSearch", "episodeIds": [15, 16]},  # once each
    ]


async def test_search_a_movie_an_artist_and_albums(arrs: Arrs) -> None:
    movie = await accepted(
        await arrs.post(f"/api/v1/library/items/{arrs.item('radarr', 'movie', 3)}/search", {})
    )
    assert movie["name"] == "MoviesSearch"
    artist = arrs.item("lidarr", "artist", 2)
    await accepted(await arrs.post(f"/api/v1/library/items/{artist}/search"))
    albums = [f"{arrs.ids['lidarr']}:album:{n}" for n in (4, 3)]
    await accepted(await arrs.post(f"/api/v1/library/items/{artist}/search",
                                   {"child_ids": albums}))  # fmt: skip
    assert arrs.started("radarr") == [{"name": "MoviesSearch", "movieIds": [3]}]
    assert arrs.started("lidarr") == [
        {"name": "ArtistSearch", "artistId": 2},
        {"name": "AlbumSearch", "albumIds": [3, 4]},
    ]


async def test_search_refuses_what_is_not_the_items(arrs: Arrs) -> None:
    s, lid = arrs.ids["sonarr"], arrs.ids["lidarr"]
    series = f"/api/v1/library/items/{arrs.item('sonarr', 'series', 2)}/search"
    movie = f"/api/v1/library/items/{arrs.item('radarr', 'movie', 1)}/search"
    artist = f"/api/v1/library/items/{arrs.item('lidarr', 'artist', 2)}/search"
    refused: list[tuple[str, Any]] = [
        (series, {"season_number": 7}),  # the series has seasons 1 and 2
        (series, {"child_ids": [f"{s}:episode:1"]}),  # series 1's episode
        (series, {"child_ids": [f"{s}:episode:15", f"{s}:episode:999"]}),
        (series, {"child_ids": [f"{lid}:episode:15"]}),  # another instance
        (series, {"child_ids": [f"{s}:album:15"]}),
        (series, {"season_number": 1, "child_ids": [f"{s}:episode:15"]}),
        (series, {"child_ids": ["15"]}),
        (series, {"season_number": -1}),
        (series, {"season": 1}),  # unknown field
        (movie, {"season_number": 1}),
        (movie, {"child_ids": [f"{arrs.ids['radarr']}:episode:1"]}),
        (artist, {"season_number": 1}),
        (artist, {"child_ids": [f"{lid}:album:1"]}),  # artist 1's album
    ]
    for path, body in refused:
        resp = await arrs.post(path, body)
        await assert_problem(resp, 422, "VALIDATION_ERROR")
    gone = f"/api/v1/library/items/{arrs.item('sonarr', 'series', 99)}/search"
    await assert_problem(await arrs.post(gone), 404, "NOT_FOUND")
    for name in ("sonarr", "radarr", "lidarr"):
        assert arrs.fakes[name].commands == {}, f"{name} started a command"


# ---- rescan ---------------------------------------------------------------------------------


async def test_rescan_each_product(arrs: Arrs) -> None:
    for name, kind in (("sonarr", "series"), ("radarr", "movie"), ("lidarr", "artist")):
        reply = await accepted(
            await arrs.post(f"/api/v1/library/items/{arrs.item(name, kind, 2)}/rescan")
        )
        assert reply["command_id"] in arrs.fakes[name].commands
    assert arrs.started("sonarr") == [{"name": "RescanSeries", "seriesId": 2}]
    assert arrs.started("radarr") == [{"name": "RescanMovie", "movieId": 2}]
    assert arrs.started("lidarr") == [{"name": "RefreshArtist", "artistId": 2}]
    gone = f"/api/v1/library/items/{arrs.item('radarr', 'movie', 99)}/rescan"
    await assert_problem(await arrs.post(gone), 404, "NOT_FOUND")
    assert len(arrs.fakes["radarr"].commands) == 1


# ---- monitor, watchlist ---------------------------------------------------------------------


def stored(arrs: Arrs, name: str, key: str, upstream_id: int) -> dict[str, Any]:
    return next(t for t in arrs.fakes[name].library[key] if t["id"] == upstream_id)


async def watchlist(arrs: Arrs) -> set[str]:
    resp = await arrs.client.get("/api/v1/library/items",
                                 params={"type": "artist", "monitored": "true"},
                                 headers=arrs.admin)  # fmt: skip
    assert resp.status == 200, await resp.text()
    return {i["id"] for i in (await resp.json())["items"]}


async def test_artist_watchlist_add_and_remove(arrs: Arrs) -> None:
    one, two = arrs.item("lidarr", "artist", 1), arrs.item("lidarr", "artist", 2)
    resp = await arrs.patch(one, {"monitored": True})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"id": one, "monitored": True}
    resp = await arrs.patch(two, {"monitored": False})
    assert await resp.json() == {"id": two, "monitored": False}
    assert stored(arrs, "lidarr", "artists", 2)["monitored"] is False
    assert stored(arrs, "lidarr", "artists", 1)["monitored"] is True
    assert arrs.fakes["lidarr"].catalog["edited"][-1] == {"artistIds": [2], "monitored": False}
    assert await watchlist(arrs) == {one}  # the cache shows the change at once
    resp = await arrs.patch(two, {"monitored": True})
    assert (await resp.json())["monitored"] is True
    assert await watchlist(arrs) == {one, two}
    assert stored(arrs, "lidarr", "artists", 2)["monitored"] is True


async def test_monitor_series_and_movie(arrs: Arrs) -> None:
    for name, kind, key in (("sonarr", "series", "series"), ("radarr", "movie", "movies")):
        item = arrs.item(name, kind, 3)
        other = stored(arrs, name, key, 2)["monitored"]
        resp = await arrs.patch(item, {"monitored": False})
        assert await resp.json() == {"id": item, "monitored": False}
        assert stored(arrs, name, key, 3)["monitored"] is False
        assert stored(arrs, name, key, 2)["monitored"] is other  # nothing else changed
        detail = await arrs.client.get(f"/api/v1/library/items/{item}", headers=arrs.admin)
        assert detail.status == 200, await detail.text()
        assert (await detail.json())["monitored"] is False
    ids_field = {"sonarr": "seriesIds", "radarr": "movieIds"}
    for name, field in ids_field.items():
        assert arrs.fakes[name].catalog["edited"] == [{field: [3], "monitored": False}]


async def test_monitor_reports_what_the_upstream_has(arrs: Arrs) -> None:
    """A server that answers the editor without the list (as its spec says): the hub reads
    the title back and reports that, not what it asked for."""
    arrs.fakes["sonarr"].replies["series/editor"] = None  # `null`, the edit not applied
    item = arrs.item("sonarr", "series", 1)
    resp = await arrs.patch(item, {"monitored": False})
    assert await resp.json() == {"id": item, "monitored": True}


async def test_monitor_errors(arrs: Arrs) -> None:
    item = arrs.item("radarr", "movie", 1)
    for body in ({}, {"monitored": "yes"}, {"monitored": None}, {"monitored": True, "x": 1}):
        await assert_problem(await arrs.patch(item, body), 422, "VALIDATION_ERROR")
    gone = arrs.item("radarr", "movie", 99)
    await assert_problem(await arrs.patch(gone, {"monitored": True}), 404, "NOT_FOUND")
    assert stored(arrs, "radarr", "movies", 1)["monitored"] is True


# ---- item ids, access -----------------------------------------------------------------------


async def test_item_ids_name_an_arr_title(arrs: Arrs) -> None:
    cases = [
        ("nosuchinstance:movie:1", 404, "NOT_FOUND"),
        (f"{arrs.ids['radarr']}:series:1", 422, "VALIDATION_ERROR"),  # wrong type here
        (f"{arrs.ids['sonarr']}:artist:1", 422, "VALIDATION_ERROR"),
        (f"{arrs.ids['prowlarr']}:movie:1", 422, "VALIDATION_ERROR"),  # not an *arr
        (f"{arrs.ids['disabled']}:series:1", 422, "VALIDATION_ERROR"),
        (f"{arrs.ids['sonarr']}:episode:15", 422, "VALIDATION_ERROR"),  # a child
        (f"{arrs.ids['sonarr']}:series:x", 422, "VALIDATION_ERROR"),
    ]
    for item_id, status, code in cases:
        for resp in (
            await arrs.post(f"/api/v1/library/items/{item_id}/search"),
            await arrs.post(f"/api/v1/library/items/{item_id}/rescan"),
            await arrs.patch(item_id, {"monitored": False}),
        ):
            await assert_problem(resp, status, code)
    for name in ("sonarr", "radarr", "lidarr"):
        assert arrs.fakes[name].commands == {}
        assert "edited" not in arrs.fakes[name].catalog


async def test_users_may_not_act(arrs: Arrs) -> None:
    user = bearer(arrs.user)
    item = arrs.item("sonarr", "series", 1)
    for resp in (
        await arrs.post(f"/api/v1/library/items/{item}/search", headers=user),
        await arrs.post(f"/api/v1/library/items/{item}/rescan", headers=user),
        await arrs.patch(item, {"monitored": False}, headers=user),
    ):
        await assert_problem(resp, 403, "FORBIDDEN")
    assert arrs.fakes["sonarr"].commands == {}
    assert stored(arrs, "sonarr", "series", 1)["monitored"] is True
