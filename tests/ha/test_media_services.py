"""Actions about titles and requests, against the hub's real lookup, add and requests
routes over fake Sonarr, Radarr, Lidarr and Overseerr instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import voluptuous as vol
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.arrhub.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_IN_LIBRARY_ONLY,
    ATTR_INSTANCE_ID,
    ATTR_LIMIT,
    ATTR_MONITOR,
    ATTR_MUSICBRAINZ_ID,
    ATTR_QUALITY_PROFILE_ID,
    ATTR_QUERY,
    ATTR_REQUEST_ID,
    ATTR_ROOT_FOLDER,
    ATTR_SEARCH_NOW,
    ATTR_SEASONS,
    ATTR_STATUS,
    ATTR_TMDB_ID,
    ATTR_TVDB_ID,
    ATTR_TYPE,
    DOMAIN,
    SERVICE_ADD_TITLE,
    SERVICE_APPROVE_REQUEST,
    SERVICE_DECLINE_REQUEST,
    SERVICE_GET_REQUESTS,
    SERVICE_REQUEST_TITLE,
    SERVICE_SEARCH_TITLES,
)
from tests.fakes.seerr import FakeSeerrState, make_seerr_app
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.servarr_catalog import catalog_state
from tests.fakes.servarr_library import fill_library
from tests.fakes.server import serve
from tests.ha.conftest import QB_ID, SONARR_ID, Hub, setup_integration

TODAY = datetime(2025, 5, 1, tzinfo=UTC)
RADARR_ID, LIDARR_ID, SEERR_ID = (f"{n:012x}" for n in (3, 4, 5))


@pytest.fixture
def sonarr_state() -> FakeArrState:
    return sample_state("Sonarr", queue=3, catalog=catalog_state("Sonarr", TODAY))


@dataclass
class Media:
    hub: Hub
    sonarr: FakeArrState
    radarr: FakeArrState
    lidarr: FakeArrState
    seerr: FakeSeerrState


@pytest.fixture
async def media(hub: Hub, sonarr_state: FakeArrState) -> AsyncIterator[Media]:
    """The hub with Sonarr (1), qBittorrent (2), Radarr (3), Lidarr (4), Overseerr (5)."""
    radarr = sample_state("Radarr", queue=0, catalog=catalog_state("Radarr", TODAY))
    lidarr = sample_state("Lidarr", queue=0, catalog=catalog_state("Lidarr", TODAY))
    seerr = FakeSeerrState()
    seerr.add_title("movie", 700, "A New Film")
    seerr.add_title("tv", 1399, "Throne Games", seasons=3)
    seerr.add_title("tv", 1400, "Crown Games", seasons=3)
    seerr.add_request(media_type="movie", tmdb_id=603)
    seerr.add_request(media_type="tv", tmdb_id=1399, seasons=[1])
    async with (
        serve(make_arr_app(radarr)) as radarr_url,
        serve(make_arr_app(lidarr)) as lidarr_url,
        serve(make_seerr_app(seerr)) as seerr_url,
    ):
        await hub.add_instance("radarr", "Radarr", radarr_url, api_key=DEFAULT_KEY)
        await hub.add_instance("lidarr", "Lidarr", lidarr_url, api_key=DEFAULT_KEY)
        await hub.add_instance("overseerr", "Overseerr", seerr_url, api_key=seerr.api_key)
        yield Media(hub, sonarr_state, radarr, lidarr, seerr)


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(DOMAIN, action, data, blocking=True, return_response=True)


@pytest.fixture
async def entry(hass: HomeAssistant, media: Media, config_entry: MockConfigEntry) -> dict[str, str]:
    await setup_integration(hass, config_entry)
    return {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}


# ---- search_titles ------------------------------------------------------------------------


async def test_search_titles_online(
    hass: HomeAssistant, entry: dict[str, str], snapshot: SnapshotAssertion
) -> None:
    found = await call(
        hass, SERVICE_SEARCH_TITLES, {**entry, ATTR_QUERY: "Newcomers", ATTR_TYPE: "tv"}
    )
    assert found == snapshot
    assert [i["title"] for i in found["items"]] == ["The Newcomers", "Newcomers, Again"]
    one = await call(
        hass,
        SERVICE_SEARCH_TITLES,
        {**entry, ATTR_QUERY: "Newcomers", ATTR_TYPE: "tv", ATTR_LIMIT: 1},
    )
    assert one["items"] == found["items"][:1]
    known = await call(
        hass, SERVICE_SEARCH_TITLES, {**entry, ATTR_QUERY: "Matrix", ATTR_TYPE: "movie"}
    )
    assert known["items"][0]["in_library"] is True


async def test_search_titles_in_library(
    hass: HomeAssistant, media: Media, entry: dict[str, str]
) -> None:
    """`in_library_only`: the hub's library cache (refreshed first, as a job)."""
    fill_library(media.sonarr, series=6, episodes_per_series=2)
    wanted = media.sonarr.library["series"][-1]
    job = await media.hub.call("POST", "/api/v1/library/refresh", json={}, expect=202)
    for _ in range(200):
        state = await media.hub.call("GET", f"/api/v1/jobs/{job['job_id']}", expect=200)
        if state["state"] in ("succeeded", "failed", "cancelled"):
            break
        await hass.async_block_till_done()
    assert state["state"] == "succeeded", state
    found = await call(
        hass,
        SERVICE_SEARCH_TITLES,
        {**entry, ATTR_QUERY: wanted["title"], ATTR_TYPE: "tv", ATTR_IN_LIBRARY_ONLY: True},
    )
    item = found["items"][0]
    assert (item["title"], item["type"], item["in_library"]) == (wanted["title"], "tv", True)
    assert item["library_item_ids"] == [f"{SONARR_ID}:series:{wanted['id']}"]
    assert item["tvdb_id"] == wanted["tvdbId"]


async def test_search_titles_validates(hass: HomeAssistant, entry: dict[str, str]) -> None:
    for bad in ({ATTR_QUERY: "", ATTR_TYPE: "tv"}, {ATTR_QUERY: "x", ATTR_TYPE: "book"}):
        with pytest.raises(vol.Invalid):
            await call(hass, SERVICE_SEARCH_TITLES, {**entry, **bad})


# ---- add_title ----------------------------------------------------------------------------


async def test_add_title_with_defaults(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    media: Media,
    entry: dict[str, str],
    snapshot: SnapshotAssertion,
) -> None:
    """Root folder and quality profile left out: the instance's first ones."""
    added = await call(
        hass, SERVICE_ADD_TITLE, {**entry, ATTR_INSTANCE_ID: SONARR_ID, ATTR_TVDB_ID: 90001}
    )
    assert added == snapshot
    (body,) = media.sonarr.catalog["added"]
    assert body["tvdbId"] == 90001
    assert body["qualityProfileId"] == 1
    assert body["rootFolderPath"] == media.sonarr.root_folders[0]["path"]
    assert body["addOptions"]["searchForMissingEpisodes"] is True


async def test_add_title_as_given(hass: HomeAssistant, media: Media, entry: dict[str, str]) -> None:
    folder = media.radarr.root_folders[-1]["path"]
    await call(
        hass,
        SERVICE_ADD_TITLE,
        {
            **entry,
            ATTR_INSTANCE_ID: RADARR_ID,
            ATTR_TMDB_ID: 700,
            ATTR_ROOT_FOLDER: folder,
            ATTR_QUALITY_PROFILE_ID: 4,
            ATTR_MONITOR: "none",
            ATTR_SEARCH_NOW: False,
        },
    )
    (body,) = media.radarr.catalog["added"]
    assert (body["tmdbId"], body["rootFolderPath"], body["qualityProfileId"]) == (700, folder, 4)
    assert body["monitored"] is False


async def test_add_artist_gets_a_metadata_profile(
    hass: HomeAssistant, media: Media, entry: dict[str, str]
) -> None:
    await call(
        hass,
        SERVICE_ADD_TITLE,
        {**entry, ATTR_INSTANCE_ID: LIDARR_ID, ATTR_MUSICBRAINZ_ID: "mb-new-artist"},
    )
    (body,) = media.lidarr.catalog["added"]
    assert (body["foreignArtistId"], body["metadataProfileId"]) == ("mb-new-artist", 1)


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({ATTR_INSTANCE_ID: QB_ID, ATTR_TMDB_ID: 1}, "not_supported", "does not support"),
        (
            {ATTR_INSTANCE_ID: SONARR_ID, ATTR_TMDB_ID: 1},
            "external_id_needed",
            "Sonarr adds titles by tvdb_id",
        ),
        ({ATTR_INSTANCE_ID: "nosuchthing0", ATTR_TVDB_ID: 1}, "unknown_instance", "no instance"),
        (
            {ATTR_INSTANCE_ID: SONARR_ID, ATTR_TVDB_ID: 81189},
            "hub_rejected",
            "The hub refused add_title",
        ),
    ],
)
async def test_add_title_refused(
    hass: HomeAssistant,
    entry: dict[str, str],
    data: dict[str, Any],
    key: str,
    message: str,
) -> None:
    with pytest.raises(ServiceValidationError, match=message) as err:
        await call(hass, SERVICE_ADD_TITLE, {**entry, **data})
    assert err.value.translation_key == key


async def test_add_title_without_root_folders(
    hass: HomeAssistant, media: Media, entry: dict[str, str]
) -> None:
    media.radarr.root_folders.clear()
    with pytest.raises(ServiceValidationError, match="Radarr has no root folder") as err:
        await call(
            hass, SERVICE_ADD_TITLE, {**entry, ATTR_INSTANCE_ID: RADARR_ID, ATTR_TMDB_ID: 700}
        )
    assert err.value.translation_key == "nothing_to_add_with"


async def test_add_title_upstream_down(
    hass: HomeAssistant, media: Media, entry: dict[str, str]
) -> None:
    media.radarr.fail_with = 500
    with pytest.raises(HomeAssistantError, match="The hub could not do add_title") as err:
        await call(
            hass, SERVICE_ADD_TITLE, {**entry, ATTR_INSTANCE_ID: RADARR_ID, ATTR_TMDB_ID: 700}
        )
    assert err.value.translation_key == "hub_failed"


def test_add_schema_takes_one_external_id() -> None:
    from custom_components.arrhub.media_services import ADD_SCHEMA

    with pytest.raises(vol.Invalid):
        ADD_SCHEMA(
            {ATTR_CONFIG_ENTRY_ID: "x", ATTR_INSTANCE_ID: "y", ATTR_TMDB_ID: 1, ATTR_TVDB_ID: 2}
        )


# ---- requests -----------------------------------------------------------------------------


async def test_get_requests(
    hass: HomeAssistant, entry: dict[str, str], snapshot: SnapshotAssertion
) -> None:
    everything = await call(hass, SERVICE_GET_REQUESTS, entry)
    assert everything == snapshot
    assert everything["counts"]["pending"] == 2
    movies = await call(hass, SERVICE_GET_REQUESTS, {**entry, ATTR_TYPE: "movie"})
    assert [r["tmdb_id"] for r in movies["items"]] == [603]
    approved = await call(hass, SERVICE_GET_REQUESTS, {**entry, ATTR_STATUS: "approved"})
    assert approved["items"] == []


async def test_request_approve_decline(
    hass: HomeAssistant, media: Media, entry: dict[str, str], snapshot: SnapshotAssertion
) -> None:
    created = await call(
        hass,
        SERVICE_REQUEST_TITLE,
        {
            **entry,
            ATTR_TYPE: "tv",
            ATTR_TMDB_ID: 1400,
            ATTR_SEASONS: [1, 2],
            ATTR_INSTANCE_ID: SEERR_ID,
        },
    )
    assert created == snapshot(name="created")
    assert media.seerr.created[-1]["seasons"] == [1, 2]
    approved = await call(hass, SERVICE_APPROVE_REQUEST, {**entry, ATTR_REQUEST_ID: created["id"]})
    assert approved["status"] in ("approved", "processing")  # Overseerr: approved, sent on
    pending = await call(hass, SERVICE_GET_REQUESTS, {**entry, ATTR_STATUS: "pending"})
    declined = await call(
        hass, SERVICE_DECLINE_REQUEST, {**entry, ATTR_REQUEST_ID: pending["items"][0]["id"]}
    )
    assert declined["status"] == "declined"
    assert [change for _, change in media.seerr.status_changes] == ["approve", "decline"]

    movie = await call(
        hass, SERVICE_REQUEST_TITLE, {**entry, ATTR_TYPE: "movie", ATTR_TMDB_ID: 700}
    )
    assert (movie["type"], movie["tmdb_id"], movie["instance_id"]) == ("movie", 700, SEERR_ID)


async def test_request_errors(hass: HomeAssistant, media: Media, entry: dict[str, str]) -> None:
    with pytest.raises(ServiceValidationError, match="The hub refused approve_request") as err:
        await call(hass, SERVICE_APPROVE_REQUEST, {**entry, ATTR_REQUEST_ID: f"{SEERR_ID}:999"})
    assert err.value.translation_key == "hub_rejected"
    with pytest.raises(ServiceValidationError, match="no instance with ID nosuchthing0"):
        await call(
            hass,
            SERVICE_REQUEST_TITLE,
            {**entry, ATTR_TYPE: "movie", ATTR_TMDB_ID: 700, ATTR_INSTANCE_ID: "nosuchthing0"},
        )
    media.seerr.fail_with = 500
    with pytest.raises(HomeAssistantError, match="The hub could not do decline_request"):
        await call(hass, SERVICE_DECLINE_REQUEST, {**entry, ATTR_REQUEST_ID: f"{SEERR_ID}:1"})
