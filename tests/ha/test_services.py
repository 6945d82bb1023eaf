"""Actions with responses, and their translated errors."""

from __future__ import annotations

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
    ATTR_DOWNLOAD_ID,
    ATTR_INSTANCE_ID,
    ATTR_LIMIT,
    ATTR_STATE,
    DOMAIN,
    SERVICE_BLOCKLIST_AND_SEARCH,
    SERVICE_GET_QUEUE,
    SERVICE_PAUSE_DOWNLOADS,
    SERVICE_REFRESH_INSTANCE,
    SERVICE_RESUME_DOWNLOADS,
)
from tests.fakes.servarr import FakeArrState
from tests.ha.conftest import QB_ID, SONARR_ID, Hub, setup_integration
from tests.ha.fake_qbittorrent import FakeQbState


async def call(
    hass: HomeAssistant, action: str, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=response
    )


async def test_pause_and_resume_all_clients(
    hass: HomeAssistant,
    hub: Hub,
    qb_state: FakeQbState,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, config_entry)
    entry = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}

    paused = await call(hass, SERVICE_PAUSE_DOWNLOADS, entry)
    assert paused == snapshot(name="paused")
    assert {t["state"] for t in qb_state.torrents} == {"stoppedDL"}
    assert hass.states.get("switch.qbittorrent_paused").state == "on"

    resumed = await call(hass, SERVICE_RESUME_DOWNLOADS, {**entry, ATTR_INSTANCE_ID: QB_ID})
    assert resumed == snapshot(name="resumed")
    assert {t["state"] for t in qb_state.torrents} == {"downloading"}
    assert hass.states.get("switch.qbittorrent_paused").state == "off"


async def test_pause_without_response(
    hass: HomeAssistant, hub: Hub, qb_state: FakeQbState, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    await call(
        hass, SERVICE_PAUSE_DOWNLOADS, {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}, response=False
    )
    assert {t["state"] for t in qb_state.torrents} == {"stoppedDL"}


async def test_pause_failure_names_the_client(
    hass: HomeAssistant, hub: Hub, qb_state: FakeQbState, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    qb_state.down = True
    with pytest.raises(
        HomeAssistantError, match="The hub could not do that on: qBittorrent"
    ) as err:
        await call(hass, SERVICE_PAUSE_DOWNLOADS, {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id})
    assert err.value.translation_key == "clients_failed"


async def test_refresh_instance_returns_health(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    hub: Hub,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, config_entry)
    response = await call(
        hass,
        SERVICE_REFRESH_INSTANCE,
        {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id, ATTR_INSTANCE_ID: SONARR_ID},
    )
    assert response == snapshot


async def test_refresh_instance_failure(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    await hub.stop()
    with pytest.raises(HomeAssistantError, match="The hub could not do that on Sonarr") as err:
        await call(
            hass,
            SERVICE_REFRESH_INSTANCE,
            {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id, ATTR_INSTANCE_ID: SONARR_ID},
        )
    assert err.value.translation_key == "action_failed"


async def test_get_queue(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    await setup_integration(hass, config_entry)
    entry = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}
    everything = await call(hass, SERVICE_GET_QUEUE, entry)
    assert everything == snapshot(name="all")
    assert everything["total"] == len(everything["items"]) == 6

    one = await call(hass, SERVICE_GET_QUEUE, {**entry, ATTR_INSTANCE_ID: SONARR_ID})
    assert one["instances"] == [i for i in everything["instances"] if i["id"] == SONARR_ID]
    assert one["items"] and all(i["arr_instance_id"] == SONARR_ID for i in one["items"])

    stalled = await call(hass, SERVICE_GET_QUEUE, {**entry, ATTR_STATE: "stalled"})
    assert [i["title"] for i in stalled["items"]] == ["Some.Linux.ISO.2"]

    two = await call(hass, SERVICE_GET_QUEUE, {**entry, ATTR_LIMIT: 2})
    assert (two["total"], two["items"]) == (6, everything["items"][:2])


async def test_get_queue_validates(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    entry = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}
    for bad in ({ATTR_STATE: "sleeping"}, {ATTR_LIMIT: 0}, {ATTR_LIMIT: 501}):
        with pytest.raises(vol.Invalid):
            await call(hass, SERVICE_GET_QUEUE, {**entry, **bad})


async def test_get_queue_hub_down(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    await hub.stop()
    with pytest.raises(HomeAssistantError, match="The hub could not do get_queue") as err:
        await call(hass, SERVICE_GET_QUEUE, {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id})
    assert err.value.translation_key == "hub_failed"


async def test_blocklist_and_search(
    hass: HomeAssistant,
    hub: Hub,
    sonarr_state: FakeArrState,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, config_entry)
    entry = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}
    queue = await call(hass, SERVICE_GET_QUEUE, {**entry, ATTR_INSTANCE_ID: SONARR_ID})
    target = queue["items"][0]["download_id"]

    reply = await call(hass, SERVICE_BLOCKLIST_AND_SEARCH, {**entry, ATTR_DOWNLOAD_ID: target})
    assert reply == snapshot
    (removed,) = sonarr_state.removed
    assert str(removed["blocklist"]).lower() == "true"
    assert str(removed["skipRedownload"]).lower() == "false"
    after = await call(hass, SERVICE_GET_QUEUE, entry)
    assert target not in {i["download_id"] for i in after["items"]}


@pytest.mark.parametrize(
    ("download_id", "message"),
    [
        ("000000000001:q999", "The hub refused blocklist_and_search: no download"),
        (
            "000000000002:0000000000000000000000000000000000000000",
            "The hub refused blocklist_and_search: this download is not in any",
        ),
    ],
)
async def test_blocklist_refused(
    hass: HomeAssistant,
    hub: Hub,
    config_entry: MockConfigEntry,
    download_id: str,
    message: str,
) -> None:
    await setup_integration(hass, config_entry)
    with pytest.raises(ServiceValidationError, match=message) as err:
        await call(
            hass,
            SERVICE_BLOCKLIST_AND_SEARCH,
            {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id, ATTR_DOWNLOAD_ID: download_id},
        )
    assert err.value.translation_key == "hub_rejected"


async def test_blocklist_upstream_trouble(
    hass: HomeAssistant, hub: Hub, sonarr_state: FakeArrState, config_entry: MockConfigEntry
) -> None:
    """The *arr answers 500: the hub says so (5xx), shown as a failure, not a user error."""
    await setup_integration(hass, config_entry)
    sonarr_state.fail_with = 500
    with pytest.raises(
        HomeAssistantError, match="The hub could not do blocklist_and_search"
    ) as err:
        await call(
            hass,
            SERVICE_BLOCKLIST_AND_SEARCH,
            {
                ATTR_CONFIG_ENTRY_ID: config_entry.entry_id,
                ATTR_DOWNLOAD_ID: "000000000001:q1000000",
            },
        )
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "hub_failed"


@pytest.mark.parametrize(
    ("action", "data", "key", "message"),
    [
        (
            SERVICE_PAUSE_DOWNLOADS,
            {ATTR_INSTANCE_ID: SONARR_ID},
            "not_supported",
            "Sonarr does not support the action pause_downloads",
        ),
        (
            SERVICE_REFRESH_INSTANCE,
            {ATTR_INSTANCE_ID: "nosuchthing0"},
            "unknown_instance",
            "The hub arrhub has no instance with ID nosuchthing0",
        ),
        (
            SERVICE_GET_QUEUE,
            {ATTR_INSTANCE_ID: "nosuchthing0"},
            "unknown_instance",
            "The hub arrhub has no instance with ID nosuchthing0",
        ),
    ],
)
async def test_bad_instance(
    hass: HomeAssistant,
    hub: Hub,
    config_entry: MockConfigEntry,
    action: str,
    data: dict[str, str],
    key: str,
    message: str,
) -> None:
    await setup_integration(hass, config_entry)
    with pytest.raises(ServiceValidationError, match=message) as err:
        await call(hass, action, {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id, **data})
    assert err.value.translation_key == key


async def test_unknown_entry(hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry) -> None:
    await setup_integration(hass, config_entry)
    other = MockConfigEntry(domain="other_domain")
    other.add_to_hass(hass)
    for entry_id in ("not-an-entry", other.entry_id):
        with pytest.raises(ServiceValidationError, match="No arrhub hub with config entry ID"):
            await call(hass, SERVICE_GET_QUEUE, {ATTR_CONFIG_ENTRY_ID: entry_id})


async def test_unloaded_entry(hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry) -> None:
    await setup_integration(hass, config_entry)
    await hass.config_entries.async_unload(config_entry.entry_id)
    with pytest.raises(ServiceValidationError, match="The hub arrhub is not loaded") as err:
        await call(hass, SERVICE_GET_QUEUE, {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id})
    assert err.value.translation_key == "entry_not_loaded"
