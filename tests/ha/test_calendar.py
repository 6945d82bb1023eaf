"""The calendar entity and `arrhub.get_calendar`, against the hub's real calendar route
over a fake Sonarr and a fake Radarr with releases around the frozen "today"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.arrhub.calendar import calendar_event
from custom_components.arrhub.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_END,
    ATTR_INSTANCE_ID,
    ATTR_START,
    ATTR_TYPE,
    DOMAIN,
    SERVICE_GET_CALENDAR,
)
from custom_components.arrhub.models import CalendarEntry
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.servarr_catalog import catalog_state
from tests.fakes.server import serve
from tests.ha.conftest import START, Hub, poll, setup_integration

TODAY = datetime.fromisoformat(START).astimezone(UTC)
CALENDAR = "calendar.arrhub_calendar"
RADARR_ID = f"{3:012x}"


@pytest.fixture
def sonarr_state() -> FakeArrState:
    return sample_state("Sonarr", queue=3, catalog=catalog_state("Sonarr", TODAY))


@pytest.fixture
async def radarr_hub(hub: Hub) -> AsyncIterator[Hub]:
    """The hub with a Radarr too (instance id 3), its releases around today."""
    state = sample_state("Radarr", queue=0, catalog=catalog_state("Radarr", TODAY))
    async with serve(make_arr_app(state)) as url:
        await hub.add_instance("radarr", "Radarr", url, api_key=DEFAULT_KEY)
        yield hub


def calendar_calls(hub: Hub) -> int:
    return sum(1 for _, path, _ in hub.replies if path == "/api/v1/calendar")


async def get_events(hass: HomeAssistant, start: datetime, end: datetime) -> list[Any]:
    reply = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {"start_date_time": start.isoformat(), "end_date_time": end.isoformat()},
        target={"entity_id": CALENDAR},
        blocking=True,
        return_response=True,
    )
    assert isinstance(reply, dict)
    events: list[Any] = reply[CALENDAR]["events"]
    return events


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_calendar_entity(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    radarr_hub: Hub,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """State: the next entry (an episode tonight), as the hub's calendar has it."""
    with patch("custom_components.arrhub.PLATFORMS", [Platform.CALENDAR]):
        await setup_integration(hass, config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == "off"
    assert state.attributes["message"] == "Better Call Paul · S03E04 · Episode 4"


async def test_calendar_state_follows_time(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    radarr_hub: Hub,
    config_entry: MockConfigEntry,
) -> None:
    """While the episode airs the calendar is on; afterwards the next entry is shown; the
    hub's calendar is re-read every 5 minutes, not on every poll."""
    await setup_integration(hass, config_entry)
    reads = calendar_calls(radarr_hub)
    await poll(hass, clock, 30)
    assert calendar_calls(radarr_hub) == reads
    await poll(hass, clock, 270)
    assert calendar_calls(radarr_hub) == reads + 1
    clock.move_to(TODAY.replace(hour=20, minute=10))
    await poll(hass, clock, 1)
    state = hass.states.get(CALENDAR)
    assert state is not None and state.state == "on"
    clock.move_to(TODAY.replace(hour=21, minute=30))
    await poll(hass, clock, 1)
    state = hass.states.get(CALENDAR)
    assert state is not None and state.state == "off"
    assert state.attributes["message"] != "Better Call Paul · S03E04 · Episode 4"


async def test_calendar_events_for_a_window(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    radarr_hub: Hub,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, config_entry)
    start, end = TODAY.replace(hour=0), TODAY.replace(hour=0) + timedelta(days=7)
    before = calendar_calls(radarr_hub)
    events = await get_events(hass, start, end)
    assert events == snapshot
    summaries = [e["summary"] for e in events]
    assert "Broken Bad · S01E01 · Episode 1" in summaries
    assert "The Matrix Resumed" in summaries  # a cinema release: all day
    # The same window again within a minute: answered from the entity's cache.
    assert await get_events(hass, start, end) == events
    assert calendar_calls(radarr_hub) == before + 1
    clock.tick(timedelta(minutes=2))
    await get_events(hass, start, end)
    assert calendar_calls(radarr_hub) == before + 2


async def test_calendar_window_cache_is_bounded(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    radarr_hub: Hub,
    config_entry: MockConfigEntry,
) -> None:
    await setup_integration(hass, config_entry)
    start = TODAY.replace(hour=0)
    for day in range(10):
        await get_events(hass, start + timedelta(days=day), start + timedelta(days=day + 1))
    entity = hass.data[CALENDAR_DOMAIN].get_entity(CALENDAR)
    assert len(entity._windows) == 8


async def test_calendar_events_hub_down(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    await hub.stop()
    with pytest.raises(HomeAssistantError, match="The hub could not read its calendar"):
        await get_events(hass, TODAY, TODAY + timedelta(days=1))


async def test_calendar_state_survives_a_failed_read(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, hub: Hub, config_entry: MockConfigEntry
) -> None:
    """The next-entry state keeps what it read when a later read fails."""
    await setup_integration(hass, config_entry)
    before = hass.states.get(CALENDAR)
    entity = hass.data[CALENDAR_DOMAIN].get_entity(CALENDAR)
    await hub.stop()
    await entity._async_refresh_state()
    after = hass.states.get(CALENDAR)
    assert before is not None and after is not None
    assert after.attributes == before.attributes


def entry(**changes: Any) -> CalendarEntry:
    raw = {
        "id": "000000000001:episode:1:air", "instance_id": "000000000001", "type": "episode",
        "release_kind": "air", "title": "Show", "subtitle": None,
        "start": "2025-05-01T20:00:00Z", "end": None, "all_day": False,
    } | changes  # fmt: skip
    return CalendarEntry.from_dict(raw)


def test_calendar_event_shapes() -> None:
    """Without an end a timed entry lasts 30 minutes; an end before the start is ignored;
    an all-day entry covers its day, whether the hub sends a date or a time."""
    timed = calendar_event(entry())
    assert timed.end - timed.start == timedelta(minutes=30)
    assert calendar_event(entry(end="2025-05-01T19:00:00Z")).end == timed.end
    ends = calendar_event(entry(end="2025-05-01T21:00:00Z"))
    assert ends.end - ends.start == timedelta(hours=1)
    for start in ("2025-05-03", "2025-05-03T00:00:00Z"):
        day = calendar_event(entry(start=start, end=start, all_day=True))
        assert (str(day.start), str(day.end)) == ("2025-05-03", "2025-05-04")
    with pytest.raises(ValueError, match="no UTC offset"):
        entry(start="2025-05-01T20:00:00")


async def call(hass: HomeAssistant, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, SERVICE_GET_CALENDAR, data, blocking=True, return_response=True
    )


async def test_get_calendar(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    radarr_hub: Hub,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_integration(hass, config_entry)
    base = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}
    week = await call(hass, base)
    assert week == snapshot(name="default window")
    movies = await call(
        hass, {**base, ATTR_START: "2025-05-01", ATTR_END: "2025-05-10", ATTR_TYPE: "movie"}
    )
    assert movies["items"] and {i["type"] for i in movies["items"]} == {"movie"}
    one = await call(
        hass,
        {
            **base,
            ATTR_START: "2025-05-01T00:00:00+02:00",
            ATTR_END: "2025-05-03 12:00:00",  # no zone: Home Assistant's
            ATTR_INSTANCE_ID: RADARR_ID,
        },
    )
    assert one["start"] == "2025-04-30T22:00:00Z"
    assert {i["instance_id"] for i in one["items"]} == {RADARR_ID}


async def test_get_calendar_errors(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    base = {ATTR_CONFIG_ENTRY_ID: config_entry.entry_id}
    with pytest.raises(ServiceValidationError, match="no instance with ID nosuchthing0"):
        await call(hass, {**base, ATTR_INSTANCE_ID: "nosuchthing0"})
    with pytest.raises(ServiceValidationError, match="The hub refused get_calendar") as err:
        await call(hass, {**base, ATTR_START: "2025-05-10", ATTR_END: "2025-05-01"})
    assert err.value.translation_key == "hub_rejected"
    await hub.stop()
    with pytest.raises(HomeAssistantError, match="The hub could not do get_calendar"):
        await call(hass, base)
