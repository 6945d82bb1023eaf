"""What every action shares: finding its loaded entry and instance, translating hub errors.

Kept apart from `services.py` (registration) so the action modules can share it without
importing each other.
"""

from __future__ import annotations

from collections.abc import Awaitable

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import ArrhubError
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .coordinator import ArrhubConfigEntry
from .models import InstanceSummary

#: Hub replies that mean "the request was wrong", not "the hub or an upstream failed":
#: bad input, an unknown id, already there, not allowed for this item.
REJECTED_STATUSES = frozenset({400, 404, 409, 422})


def loaded_entry(hass: HomeAssistant, call: ServiceCall) -> ArrhubConfigEntry:
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: ArrhubConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def known_instance(entry: ArrhubConfigEntry, instance_id: str) -> InstanceSummary:
    instance = entry.runtime_data.coordinator.data.instances.get(instance_id)
    if instance is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_instance",
            translation_placeholders={"instance_id": instance_id, "title": entry.title},
        )
    return instance


async def hub_call[T](call: ServiceCall, request: Awaitable[T]) -> T:
    """Await one hub request; its failure becomes the error Home Assistant shows.

    The hub refusing the request (unknown id, invalid input, a conflict) is the user's to
    fix: `ServiceValidationError`. Anything else (hub down, an upstream failing, a key
    without the rights) is `HomeAssistantError`. Both carry the hub's own explanation.
    """
    try:
        return await request
    except ArrhubError as err:
        placeholders = {"action": call.service, "error": str(err)}
        if err.status in REJECTED_STATUSES:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="hub_rejected",
                translation_placeholders=placeholders,
            ) from err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="hub_failed",
            translation_placeholders=placeholders,
        ) from err
