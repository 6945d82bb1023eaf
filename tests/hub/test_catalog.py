"""Lookup, add, delete, import exclusions and pickers (LIB-7, LIB-9) through the hub's API,
against the fake Sonarr, Radarr and Lidarr on real ports."""

from __future__ import annotations

from typing import Any

from arrhub.auth.principal import Principal
from arrhub.keys import CATALOG, EVENTS
from tests.hub.conftest import assert_problem, bearer
from tests.hub.test_calendar import Stack, stack

__all__ = ["stack"]  # the fixture, shared with test_calendar


async def add(s: Stack, **body: Any) -> Any:
    return await s.client.post("/api/v1/library/items", json=body, headers=s.admin)


async def test_lookup_marks_in_library_and_excluded(stack: Stack) -> None:
    s1 = stack.ids["sonarr"]
    reply = await stack.get("/api/v1/lookup", type="tv", q="tvdb:81189")
    assert reply["instance_id"] == s1  # the first Sonarr by default
    [found] = reply["items"]
    assert (found["title"], found["tvdb_id"], found["in_library"]) == ("Broken Bad", 81189, True)
    assert found["library_item_ids"][0] == f"{s1}:series:1"
    named = {
        i["title"]: i
        for i in (
            await stack.get("/api/v1/lookup", headers=bearer(stack.user), type="tv", q="newcomers")
        )["items"]
    }
    assert named["The Newcomers"]["in_library"] is False
    assert named["The Newcomers"]["library_item_ids"] == []
    assert (named["Newcomers, Again"]["excluded"], named["The Newcomers"]["excluded"]) == (
        True,
        False,
    )
    movies = await stack.get("/api/v1/lookup", type="movie", q="film")
    assert {i["title"]: i["excluded"] for i in movies["items"]} == {
        "A New Film": False, "Excluded Film": True}  # fmt: skip
    music = await stack.get("/api/v1/lookup", type="music", q="lidarr:mb-artist-1")
    assert music["items"][0]["library_item_ids"][0] == f"{stack.ids['lidarr']}:artist:1"
    resp = await stack.client.get(
        "/api/v1/lookup",
        params={"type": "tv", "q": "x", "instance_id": stack.ids["radarr"]},
        headers=stack.admin,
    )
    await assert_problem(resp, 422, "VALIDATION_ERROR")


async def test_options_for_pickers(stack: Stack) -> None:
    lidarr = await stack.get("/api/v1/catalog/options", instance_id=stack.ids["lidarr"])
    assert lidarr["type"] == "lidarr"
    assert lidarr["root_folders"][0] == {"path": "/music/", "free_space": 1_500_000_000_000}
    assert [p["name"] for p in lidarr["metadata_profiles"]] == ["Standard", "None"]
    assert "latest" in lidarr["monitor_options"]
    sonarr = await stack.get("/api/v1/catalog/options", headers=bearer(stack.user),
                             instance_id=stack.ids["sonarr"])  # fmt: skip
    assert sonarr["metadata_profiles"] == [] and "first_season" in sonarr["monitor_options"]
    resp = await stack.client.get("/api/v1/catalog/options", params={"instance_id": "nope"},
                                  headers=stack.admin)  # fmt: skip
    await assert_problem(resp, 404, "NOT_FOUND")


async def test_add_then_duplicate_then_upstream_validation(stack: Stack) -> None:
    s1 = stack.ids["sonarr"]
    admin = Principal(username="t", role="admin", via="api_key")
    events = stack.app[EVENTS].subscribe(topics=["library"], principal=admin)
    resp = await add(stack, instance_id=s1, tvdb_id=90001, root_folder="/tv/",
                     quality_profile_id=4, monitor="first_season", search_now=True,
                     tags=["alice", "Kids"])  # fmt: skip
    assert resp.status == 201, await resp.text()
    item = await resp.json()
    assert item["id"] == f"{s1}:series:3" and item["title"] == "The Newcomers"
    assert (item["tvdb_id"], item["tags"], item["monitored"]) == (90001, ["alice", "kids"], True)
    fake = stack.fakes["sonarr"]
    assert fake.catalog["titles"][3]["tvdbId"] == 90001  # the fake has it
    posted = fake.catalog["added"][-1]
    assert posted["addOptions"]["monitor"] == "firstSeason"
    assert posted["addOptions"]["searchForMissingEpisodes"] is True
    event = await events.get()
    assert event is not None and event.type == "library.item_added"
    assert event.data["id"] == item["id"] and "path" not in event.data
    assert event.visibility == "tagged" and event.tags == {"alice", "kids"}
    # Now the lookup knows it.
    again = await stack.get("/api/v1/lookup", type="tv", q="tvdb:90001")
    assert again["items"][0]["in_library"] is True
    resp = await add(stack, instance_id=s1, tvdb_id=90001, root_folder="/tv/",
                     quality_profile_id=4)  # fmt: skip
    body = await assert_problem(resp, 409, "CONFLICT")
    assert "already been added" in body["detail"]
    resp = await add(stack, instance_id=stack.ids["radarr"], tmdb_id=700,
                     root_folder="/movies/", quality_profile_id=99)  # fmt: skip
    body = await assert_problem(resp, 422, "VALIDATION_ERROR")
    assert body["errors"][0]["msg"] == "Quality Profile does not exist"
    assert body["errors"][0]["loc"] == ["upstream", "QualityProfileId"]
    for wrong in (
        {"instance_id": s1, "tmdb_id": 700},  # Sonarr wants a tvdb id
        {"instance_id": s1, "tvdb_id": 90002, "monitor": "movieOnly"},
        {"instance_id": stack.ids["lidarr"], "musicbrainz_id": "mb-new-artist"},
    ):
        resp = await add(stack, root_folder="/x/", quality_profile_id=1, **wrong)
        await assert_problem(resp, 422, "VALIDATION_ERROR")


async def test_lidarr_add_with_metadata_profile(stack: Stack) -> None:
    lid = stack.ids["lidarr"]
    resp = await add(stack, instance_id=lid, musicbrainz_id="mb-new-artist",
                     root_folder="/music/", quality_profile_id=1, metadata_profile_id=2,
                     monitor="latest")  # fmt: skip
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["type"] == "artist"
    posted = stack.fakes["lidarr"].catalog["added"][-1]
    assert (posted["metadataProfileId"], posted["addOptions"]["monitor"]) == (2, "latest")


async def test_delete_with_files_and_exclusion(stack: Stack) -> None:
    s1 = stack.ids["sonarr"]
    resp = await stack.client.delete(
        f"/api/v1/library/items/{s1}:series:2",
        params={"delete_files": "true", "add_exclusion": "true"}, headers=stack.admin,
    )  # fmt: skip
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"id": f"{s1}:series:2", "deleted": True, "files_deleted": True,
                                 "excluded": True}  # fmt: skip
    assert stack.fakes["sonarr"].catalog["deleted"] == [
        {"id": 2, "deleteFiles": "true", "addImportListExclusion": "true"}
    ]
    resp = await stack.client.delete(f"/api/v1/library/items/{s1}:series:2", headers=stack.admin)
    await assert_problem(resp, 404, "NOT_FOUND")
    resp = await stack.client.delete(f"/api/v1/library/items/{s1}:movie:1", headers=stack.admin)
    await assert_problem(resp, 404, "NOT_FOUND")
    # The exclusion shows, and can be removed.
    page = await stack.get("/api/v1/library/exclusions", instance_id=s1)
    titles = {e["title"]: e for e in page["items"]}
    assert set(titles) == {"Better Call Paul", "Newcomers, Again"} and page["total"] == 2
    assert titles["Better Call Paul"]["tvdb_id"] == 81190
    resp = await stack.client.delete(
        f"/api/v1/library/exclusions/{titles['Better Call Paul']['id']}", headers=stack.admin
    )
    assert resp.status == 204
    page = await stack.get("/api/v1/library/exclusions", instance_id=s1)
    assert [e["title"] for e in page["items"]] == ["Newcomers, Again"]


async def test_exclusions_of_every_instance(stack: Stack) -> None:
    page = await stack.get("/api/v1/library/exclusions", limit=2)
    assert page["total"] == 4 and len(page["items"]) == 2 and page["stale_instances"] == []
    everything = await stack.get("/api/v1/library/exclusions")
    by_instance = {e["instance_id"]: e for e in everything["items"]}
    assert by_instance[stack.ids["radarr"]]["tmdb_id"] == 701
    assert by_instance[stack.ids["radarr"]]["year"] == 2024
    assert by_instance[stack.ids["lidarr"]]["musicbrainz_id"] == "mb-excluded"


async def test_users_cannot_add_or_delete(stack: Stack) -> None:
    user = bearer(stack.user)
    s1 = stack.ids["sonarr"]
    resp = await stack.client.post(
        "/api/v1/library/items",
        headers=user,
        json={"instance_id": s1, "tvdb_id": 90001, "root_folder": "/tv/", "quality_profile_id": 1},
    )
    await assert_problem(resp, 403, "FORBIDDEN")
    resp = await stack.client.delete(f"/api/v1/library/items/{s1}:series:1", headers=user)
    await assert_problem(resp, 403, "FORBIDDEN")
    resp = await stack.client.get("/api/v1/library/exclusions", headers=user)
    await assert_problem(resp, 403, "FORBIDDEN")
    assert stack.fakes["sonarr"].catalog["added"] == []
    assert stack.fakes["sonarr"].catalog["deleted"] == []


async def test_is_excluded(stack: Stack) -> None:
    service = stack.app[CATALOG]
    r = stack.ids["radarr"]
    assert await service.is_excluded("nosuchinstance:movie:1") is None
    assert await service.is_excluded(f"{r}:series:1") is None  # Radarr has no series
    # An instance that cannot answer: unknown, not an error.
    stack.fakes["radarr"].fail_with = 401
    assert await service.is_excluded(f"{r}:movie:1") is None
