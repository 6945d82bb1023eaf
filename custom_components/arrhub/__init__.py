"""The arrhub integration: one hub, its upstream instances as devices."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import ArrhubAuthError, ArrhubClient, ArrhubError
from .const import API_VERSION, DOMAIN, ENTITY_GROUPS, KEY_GROUPS, LOGGER
from .coordinator import ArrhubConfigEntry, ArrhubCoordinator, ArrhubRuntime
from .push import ArrhubPush
from .repairs import (
    async_clear_entry_issues,
    async_raise_auth_issue,
    async_raise_unsupported_api,
    safe_url,
)
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so they exist even while no hub is loaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ArrhubConfigEntry) -> bool:
    client = ArrhubClient(
        entry.data[CONF_URL], entry.data[CONF_API_KEY], session=async_get_clientsession(hass)
    )
    try:
        hub = await client.system_info()
    except ArrhubAuthError as err:
        async_raise_auth_issue(hass, entry)
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ArrhubError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    if not hub.speaks(API_VERSION):
        async_raise_unsupported_api(hass, entry, hub)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_api",
            translation_placeholders={"version": hub.version},
        )
    if hub.instance_id != entry.unique_id:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="wrong_hub",
            translation_placeholders={"url": safe_url(client.url)},
        )

    coordinator = ArrhubCoordinator(hass, entry, client, hub)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, hub.instance_id)},
        name=hub.name,
        manufacturer="arrhub",
        model="Hub",
        sw_version=hub.version,
        configuration_url=safe_url(client.url),
    )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = ArrhubRuntime(client=client, coordinator=coordinator, hub=hub)
    _remove_hidden_entities(hass, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Push: the hub's outbound webhooks; when it cannot be had, it logs and polls carry on.
    ArrhubPush.async_ensure_credentials(hass, entry)
    push = ArrhubPush(hass, entry, client, coordinator, hub.started_at)
    entry.runtime_data.push = push
    await push.async_setup()
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ArrhubConfigEntry) -> bool:
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded and entry.runtime_data.push is not None:
        await entry.runtime_data.push.async_unload()
    if unloaded:
        async_clear_entry_issues(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ArrhubConfigEntry) -> None:
    async_clear_entry_issues(hass, entry.entry_id)


async def _async_options_updated(hass: HomeAssistant, entry: ArrhubConfigEntry) -> None:
    LOGGER.debug("options of %s changed, reloading", entry.title)
    await hass.config_entries.async_reload(entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ArrhubConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device the hub no longer reports (or one they hid)."""
    coordinator = entry.runtime_data.coordinator
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        if identifier == coordinator.hub_id:
            return False
        instance_id = identifier.removeprefix(f"{coordinator.hub_id}-")
        if instance_id in coordinator.data.instances and coordinator.exposed(instance_id):
            return False
    return True


def _remove_hidden_entities(
    hass: HomeAssistant, entry: ArrhubConfigEntry, coordinator: ArrhubCoordinator
) -> None:
    """Entities of groups the options hide leave the registry (devices: the coordinator)."""
    hidden = set(ENTITY_GROUPS) - coordinator.groups
    if not hidden:
        return
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if KEY_GROUPS.get(entity.translation_key or "") in hidden:
            registry.async_remove(entity.entity_id)
