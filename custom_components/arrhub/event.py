"""Event entities per instance: health events, download events and request events.

Health events fire when an instance's reachability changes, as push (the hub's
`instance.health_changed`) or a poll sees it first. Download events come from push only
(`download.added`, `.completed`, `.failed`), and so do a request manager's request events
(`request.created`, `.approved`, `.declined`, `.available`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    DOWNLOAD_CATEGORIES,
    signal_download_event,
    signal_health_event,
    signal_request_event,
)
from .coordinator import ArrhubConfigEntry, HealthEvent
from .entity import ArrhubInstanceEntity, add_instance_entities
from .models import InstanceSummary

PARALLEL_UPDATES = 0

#: Download event types, as push delivers them.
DOWNLOAD_EVENT_TYPES = ["download_added", "download_completed", "download_failed"]
HEALTH_EVENT_TYPES = ["reachable", "unreachable"]
REQUEST_EVENT_TYPES = [
    "request_created", "request_approved", "request_declined", "request_available",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ArrhubEventDescription(EventEntityDescription):
    exists_fn: Callable[[InstanceSummary], bool]
    #: The per-entry, per-instance dispatcher signal that feeds it.
    signal_fn: Callable[[str, str], str]


EVENTS: tuple[ArrhubEventDescription, ...] = (
    ArrhubEventDescription(
        key="health",
        translation_key="health",
        event_types=HEALTH_EVENT_TYPES,
        exists_fn=lambda instance: True,
        signal_fn=signal_health_event,
    ),
    ArrhubEventDescription(
        key="download",
        translation_key="download",
        event_types=DOWNLOAD_EVENT_TYPES,
        exists_fn=lambda instance: instance.category in DOWNLOAD_CATEGORIES,
        signal_fn=signal_download_event,
    ),
    ArrhubEventDescription(
        key="request",
        translation_key="request",
        event_types=REQUEST_EVENT_TYPES,
        exists_fn=lambda instance: instance.category == "requests",
        signal_fn=signal_request_event,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrhubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator

    def build(instance: InstanceSummary) -> Iterable[EventEntity]:
        return [
            ArrhubEvent(coordinator, instance.id, description)
            for description in EVENTS
            if coordinator.shows(description.key) and description.exists_fn(instance)
        ]

    add_instance_entities(entry, async_add_entities, build)


class ArrhubEvent(ArrhubInstanceEntity, EventEntity):
    entity_description: ArrhubEventDescription
    _was_available = False

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._was_available = self.available
        signal = self.entity_description.signal_fn(
            self.coordinator.config_entry.entry_id, self.instance_id
        )
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._on_event))

    @property
    def available(self) -> bool:
        """Events can happen while an instance is stale: going down is one."""
        return self.coordinator.last_update_success and self.instance is not None

    @callback
    def _on_event(self, event: HealthEvent) -> None:
        self._trigger_event(event.event_type, dict(event.attributes))
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Polls must not rewrite an event's state: write only when availability changed."""
        if self.available != self._was_available:
            self._was_available = self.available
            self.async_write_ha_state()
