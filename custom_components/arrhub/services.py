"""Actions: registered once in `async_setup`; each names its hub by config entry."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .action_helpers import hub_call, known_instance, loaded_entry
from .api import ArrhubError
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DOWNLOAD_ID,
    ATTR_INSTANCE_ID,
    ATTR_LIMIT,
    ATTR_STATE,
    CAP_GLOBAL_PAUSE,
    CAP_QUEUE,
    DOMAIN,
    DOWNLOAD_STATES,
    SERVICE_BLOCKLIST_AND_SEARCH,
    SERVICE_GET_QUEUE,
    SERVICE_PAUSE_DOWNLOADS,
    SERVICE_REFRESH_INSTANCE,
    SERVICE_RESUME_DOWNLOADS,
)
from .coordinator import ArrhubConfigEntry
from .media_services import MEDIA_ACTIONS
from .models import InstanceSummary

type _Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

ENTRY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_INSTANCE_ID): cv.string,
    }
)
QUEUE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_INSTANCE_ID): cv.string,
        vol.Optional(ATTR_STATE): vol.In(DOWNLOAD_STATES),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(vol.Coerce(int), vol.Range(min=1, max=500)),
    }
)
BLOCKLIST_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_DOWNLOAD_ID): vol.All(cv.string, vol.Length(min=3, max=330)),
    }
)
INSTANCE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_INSTANCE_ID): cv.string,
    }
)


def _targets(entry: ArrhubConfigEntry, call: ServiceCall, capability: str) -> list[InstanceSummary]:
    """The named instance (which must be able to), or every enabled one that can."""
    if (instance_id := call.data.get(ATTR_INSTANCE_ID)) is not None:
        instance = known_instance(entry, instance_id)
        if not instance.can(capability):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_supported",
                translation_placeholders={"name": instance.name, "action": call.service},
            )
        return [instance]
    instances = entry.runtime_data.coordinator.data.instances.values()
    capable = [i for i in instances if i.enabled and i.can(capability)]
    return sorted(capable, key=lambda i: (i.name.casefold(), i.id))


async def _pause_downloads(call: ServiceCall) -> ServiceResponse:
    return await _set_paused(call, paused=True)


async def _resume_downloads(call: ServiceCall) -> ServiceResponse:
    return await _set_paused(call, paused=False)


async def _set_paused(call: ServiceCall, *, paused: bool) -> ServiceResponse:
    """Pause or resume whole download clients; answers each client's state."""
    entry = loaded_entry(call.hass, call)
    runtime = entry.runtime_data
    results: dict[str, Any] = {}
    failed: list[str] = []
    for instance in _targets(entry, call, CAP_GLOBAL_PAUSE):
        try:
            state = await runtime.client.set_paused(instance.id, paused)
        except ArrhubError as err:
            failed.append(f"{instance.name} ({err})")
            continue
        runtime.coordinator.async_apply_client_state(state)
        results[instance.id] = {
            "name": instance.name,
            "paused": state.paused,
            "alt_speed": state.alt_speed,
        }
    if failed:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="clients_failed",
            translation_placeholders={"clients": ", ".join(failed)},
        )
    return {"clients": results}


async def _refresh_instance(call: ServiceCall) -> ServiceResponse:
    """Poll one instance now; answers its health."""
    entry = loaded_entry(call.hass, call)
    instance = known_instance(entry, call.data[ATTR_INSTANCE_ID])
    runtime = entry.runtime_data
    try:
        health = await runtime.client.refresh_instance(instance.id)
    except ArrhubError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_failed",
            translation_placeholders={"name": instance.name, "error": str(err)},
        ) from err
    await runtime.coordinator.async_request_refresh()
    return health.as_response()


async def _get_queue(call: ServiceCall) -> ServiceResponse:
    """Queue figures per instance (latest summary) and the items themselves (the hub's
    joined download list), filtered by instance and state, at most `limit` items."""
    entry = loaded_entry(call.hass, call)
    targets = _targets(entry, call, CAP_QUEUE)
    page = await hub_call(
        call,
        entry.runtime_data.client.downloads(
            instance_id=call.data.get(ATTR_INSTANCE_ID),
            state=call.data.get(ATTR_STATE),
            limit=call.data[ATTR_LIMIT],
        ),
    )
    return {
        "instances": [
            {
                "id": i.id,
                "name": i.name,
                "type": i.type,
                "reachable": i.reachable,
                "stale": i.stale,
                "queue_size": i.queue_size,
                "active_downloads": i.active_downloads,
                "download_speed": i.download_speed,
                "upload_speed": i.upload_speed,
                "remaining_bytes": i.remaining_bytes,
                "paused": i.paused,
            }
            for i in targets
        ],
        "total": page.total,
        "items": [item.as_response() for item in page.items],
    }


async def _blocklist_and_search(call: ServiceCall) -> ServiceResponse:
    """Remove a download, blocklist its release in its *arr, which searches for another."""
    entry = loaded_entry(call.hass, call)
    runtime = entry.runtime_data
    result = await hub_call(call, runtime.client.blocklist(call.data[ATTR_DOWNLOAD_ID]))
    await runtime.coordinator.async_request_refresh()
    return result.as_response()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    actions: tuple[tuple[str, _Handler, vol.Schema, SupportsResponse], ...] = (
        (SERVICE_PAUSE_DOWNLOADS, _pause_downloads, ENTRY_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_RESUME_DOWNLOADS, _resume_downloads, ENTRY_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_REFRESH_INSTANCE, _refresh_instance, INSTANCE_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_GET_QUEUE, _get_queue, QUEUE_SCHEMA, SupportsResponse.ONLY),
        (SERVICE_BLOCKLIST_AND_SEARCH, _blocklist_and_search, BLOCKLIST_SCHEMA,
         SupportsResponse.OPTIONAL),
    )  # fmt: skip
    for name, handler, schema, supports_response in (*actions, *MEDIA_ACTIONS):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
