"""Sensors: hub totals, and per instance queue, speeds, sizes, free space, counts,
library counts (from the hub's library cache) and releases upcoming today."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    UnitOfDataRate,
    UnitOfInformation,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import (
    CAP_QUEUE,
    DOMAIN,
    DOWNLOAD_CATEGORIES,
)
from .coordinator import ArrhubConfigEntry, ArrhubCoordinator
from .entity import ArrhubHubEntity, ArrhubInstanceEntity, add_instance_entities
from .models import HubSummary, InstanceSummary, LibraryCounts, RootFolder

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ArrhubHubSensorDescription(SensorEntityDescription):
    value_fn: Callable[[HubSummary], StateType]


@dataclass(frozen=True, kw_only=True)
class ArrhubInstanceSensorDescription(SensorEntityDescription):
    exists_fn: Callable[[InstanceSummary], bool]
    value_fn: Callable[[InstanceSummary], StateType]


def _is_download_client(instance: InstanceSummary) -> bool:
    return instance.category in DOWNLOAD_CATEGORIES


def _has_queue(instance: InstanceSummary) -> bool:
    return instance.can(CAP_QUEUE)


def _category(*categories: str) -> Callable[[InstanceSummary], bool]:
    return lambda instance: instance.category in categories


def _of_type(*types: str) -> Callable[[InstanceSummary], bool]:
    return lambda instance: instance.type in types


def _library(
    key: str,
    exists_fn: Callable[[InstanceSummary], bool],
    count_fn: Callable[[LibraryCounts], int],
    *,
    enabled: bool = True,
) -> ArrhubInstanceSensorDescription:
    """A count from the hub's library cache; unknown until the hub has cached the instance."""
    return ArrhubInstanceSensorDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=enabled,
        exists_fn=exists_fn,
        value_fn=lambda instance: None if instance.library is None else count_fn(instance.library),
    )


#: Bytes per second, shown in MB/s: the hub's totals and each client's speeds.
_RATE: dict[str, Any] = {
    "device_class": SensorDeviceClass.DATA_RATE,
    "state_class": SensorStateClass.MEASUREMENT,
    "native_unit_of_measurement": UnitOfDataRate.BYTES_PER_SECOND,
    "suggested_unit_of_measurement": UnitOfDataRate.MEGABYTES_PER_SECOND,
    "suggested_display_precision": 2,
}


def _hub_rate(key: str, value_fn: Callable[[HubSummary], StateType]) -> ArrhubHubSensorDescription:
    return ArrhubHubSensorDescription(key=key, translation_key=key, value_fn=value_fn, **_RATE)


def _rate(
    key: str,
    exists_fn: Callable[[InstanceSummary], bool],
    value_fn: Callable[[InstanceSummary], StateType],
) -> ArrhubInstanceSensorDescription:
    """Bytes per second, shown in MB/s."""
    return ArrhubInstanceSensorDescription(
        key=key, translation_key=key, exists_fn=exists_fn, value_fn=value_fn, **_RATE
    )


def _size(
    key: str,
    exists_fn: Callable[[InstanceSummary], bool],
    value_fn: Callable[[InstanceSummary], StateType],
) -> ArrhubInstanceSensorDescription:
    """Bytes, shown in GB."""
    return ArrhubInstanceSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIGABYTES,
        suggested_display_precision=2,
        exists_fn=exists_fn,
        value_fn=value_fn,
    )


HUB_SENSORS: tuple[ArrhubHubSensorDescription, ...] = (
    _hub_rate("total_download_speed", lambda summary: summary.totals.download_speed),
    _hub_rate("total_upload_speed", lambda summary: summary.totals.upload_speed),
    ArrhubHubSensorDescription(
        key="total_active_downloads",
        translation_key="total_active_downloads",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda summary: summary.totals.active_downloads,
    ),
    ArrhubHubSensorDescription(
        key="total_health_issues",
        translation_key="total_health_issues",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda summary: summary.totals.health_issues,
    ),
    ArrhubHubSensorDescription(
        key="upcoming_today",
        translation_key="upcoming_today",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda summary: summary.upcoming_today,
    ),
    ArrhubHubSensorDescription(
        key="reachable_instances",
        translation_key="reachable_instances",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda summary: summary.totals.reachable,
    ),
)

INSTANCE_SENSORS: tuple[ArrhubInstanceSensorDescription, ...] = (
    ArrhubInstanceSensorDescription(
        key="queue_size",
        translation_key="queue_size",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_has_queue,
        value_fn=lambda instance: instance.queue_size,
    ),
    ArrhubInstanceSensorDescription(
        key="active_downloads",
        translation_key="active_downloads",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_is_download_client,
        value_fn=lambda instance: instance.active_downloads,
    ),
    _rate("download_speed", _is_download_client, lambda instance: instance.download_speed),
    _rate("upload_speed", _category("torrent"), lambda instance: instance.upload_speed),
    _size("remaining", _has_queue, lambda instance: instance.remaining_bytes),
    ArrhubInstanceSensorDescription(
        key="sessions",
        translation_key="sessions",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_category("media_server", "stats"),
        value_fn=lambda instance: instance.session_count,
    ),
    ArrhubInstanceSensorDescription(
        key="pending_requests",
        translation_key="pending_requests",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_category("requests"),
        value_fn=lambda instance: instance.pending_requests,
    ),
    ArrhubInstanceSensorDescription(
        key="wanted_subtitles",
        translation_key="wanted_subtitles",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_category("subtitles"),
        value_fn=lambda instance: instance.wanted_subtitles,
    ),
    ArrhubInstanceSensorDescription(
        key="indexers_enabled",
        translation_key="indexers_enabled",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=_category("indexer"),
        value_fn=lambda instance: instance.indexers_enabled,
    ),
    _library("missing", _category("arr"), lambda counts: counts.missing),
    _library("cutoff_unmet", _category("arr"), lambda c: c.cutoff_unmet, enabled=False),
    _library("movies", _of_type("radarr"), lambda counts: counts.movies),
    _library("series", _of_type("sonarr"), lambda counts: counts.series),
    _library("episodes", _of_type("sonarr"), lambda counts: counts.episodes),
    _library("artists", _of_type("lidarr"), lambda counts: counts.artists),
    _library("albums", _of_type("lidarr"), lambda counts: counts.albums),
    ArrhubInstanceSensorDescription(
        key="health_issues",
        translation_key="health_issues",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda instance: True,
        value_fn=lambda instance: instance.health_issues,
    ),
    ArrhubInstanceSensorDescription(
        key="latency",
        translation_key="latency",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        exists_fn=lambda instance: True,
        value_fn=lambda instance: instance.latency_ms,
    ),
)

#: Per root folder (see ArrhubFreeSpaceSensor, which reads the folder, not `value_fn`).
FREE_SPACE = _size("free_space", lambda instance: bool(instance.root_folders), lambda _: None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrhubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    async_add_entities(ArrhubHubSensor(coordinator, d) for d in HUB_SENSORS)

    def build(instance: InstanceSummary) -> Iterable[SensorEntity]:
        return [
            ArrhubInstanceSensor(coordinator, instance.id, description)
            for description in INSTANCE_SENSORS
            if coordinator.shows(description.key) and description.exists_fn(instance)
        ]

    add_instance_entities(entry, async_add_entities, build)
    if coordinator.shows(FREE_SPACE.key):
        _add_free_space_sensors(hass, entry, async_add_entities)


def _add_free_space_sensors(
    hass: HomeAssistant,
    entry: ArrhubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One sensor per root folder; folders come and go with the instance's settings."""
    coordinator = entry.runtime_data.coordinator
    known: set[tuple[str, int]] = set()

    @callback
    def _add_new() -> None:
        instances = coordinator.data.instances
        current = {
            (instance.id, folder.id)
            for instance in instances.values()
            if coordinator.exposed(instance.id)
            for folder in instance.root_folders
        }
        registry = er.async_get(hass)
        for instance_id, folder_id in known - current:
            if instance_id in instances:  # a folder removed at the upstream: drop its entity
                unique_id = f"{coordinator.hub_id}-{instance_id}-free_space-{folder_id}"
                if entity_id := registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id):
                    registry.async_remove(entity_id)
        known.intersection_update(current)
        new = sorted(current - known)
        known.update(new)
        if new:
            async_add_entities(
                ArrhubFreeSpaceSensor(coordinator, instance_id, folder_id)
                for instance_id, folder_id in new
            )

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class ArrhubHubSensor(ArrhubHubEntity, SensorEntity):
    entity_description: ArrhubHubSensorDescription

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.coordinator.data)


class ArrhubInstanceSensor(ArrhubInstanceEntity, SensorEntity):
    entity_description: ArrhubInstanceSensorDescription

    @property
    def native_value(self) -> StateType:
        instance = self.instance
        return None if instance is None else self.entity_description.value_fn(instance)


class ArrhubFreeSpaceSensor(ArrhubInstanceEntity, SensorEntity):
    """Free space of one root folder of an *arr instance."""

    entity_description: ArrhubInstanceSensorDescription

    def __init__(self, coordinator: ArrhubCoordinator, instance_id: str, folder_id: int) -> None:
        super().__init__(coordinator, instance_id, FREE_SPACE, unique_suffix=f"-{folder_id}")
        self.folder_id = folder_id
        folder = self._folder()
        self._attr_translation_placeholders = {
            "folder": folder.name if folder is not None else str(folder_id)
        }

    def _folder(self) -> RootFolder | None:
        instance = self.instance
        if instance is None:
            return None
        return next((f for f in instance.root_folders if f.id == self.folder_id), None)

    @property
    def available(self) -> bool:
        return super().available and self._folder() is not None

    @property
    def native_value(self) -> StateType:
        folder = self._folder()
        return None if folder is None else folder.free_space
