"""Sensor entities as syrupy snapshots: hub totals and every per-instance sensor."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.ha.conftest import SONARR_LIBRARY, Hub, poll, setup_integration


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    hub: Hub,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.arrhub.PLATFORMS", [Platform.SENSOR]):
        await setup_integration(hass, config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


async def test_noisy_sensors_disabled_by_default(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """entity-disabled-by-default: latency and the health-issue count start disabled."""
    await setup_integration(hass, config_entry)
    for entity_id in ("sensor.sonarr_latency", "sensor.qbittorrent_health_issues"):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entity_id) is None


async def test_library_sensors_follow_the_cache(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    unread_hub: Hub,
    config_entry: MockConfigEntry,
) -> None:
    """Unknown while the hub has not read the instance's library; the counts its library
    refresh computed once it has. Upcoming today counts only today's calendar entry."""
    await setup_integration(hass, config_entry)
    for entity_id in ("sensor.sonarr_series", "sensor.sonarr_missing"):
        assert hass.states.get(entity_id).state == STATE_UNKNOWN
    assert hass.states.get("sensor.arrhub_upcoming_today").state == "1"
    assert hass.states.get("sensor.radarr_movies") is None  # no Radarr, no movie count

    await unread_hub.refresh_library()
    await poll(hass, clock)
    assert hass.states.get("sensor.sonarr_series").state == str(SONARR_LIBRARY["series"])
    assert hass.states.get("sensor.sonarr_episodes").state == str(SONARR_LIBRARY["episodes"])
    assert hass.states.get("sensor.sonarr_missing").state == str(SONARR_LIBRARY["missing"])
    assert hass.states.get("sensor.arrhub_upcoming_today").state == "1"
