"""The hub's calendar: upcoming episodes, movie releases and albums of every *arr.

One calendar entity per hub. Its state is the next entry (the hub's calendar for the
coming days, re-read every few minutes); the calendar panel's
windows are read from `GET /api/v1/calendar` and kept for a minute per window, so
switching views back and forth does not ask the hub each time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import ArrhubError
from .const import CALENDAR_AHEAD, CALENDAR_CACHE, DOMAIN, LOGGER
from .coordinator import ArrhubConfigEntry, ArrhubCoordinator
from .entity import ArrhubHubEntity
from .models import CalendarEntry

PARALLEL_UPDATES = 0

#: A timed entry the hub gives no end (no runtime known) lasts this long on the calendar.
DEFAULT_LENGTH = timedelta(minutes=30)
#: Windows remembered at once (the panel asks for a month, a week, a day, a list).
CACHED_WINDOWS = 8
#: How often the next-entry state re-reads the hub's calendar.
UPCOMING_REFRESH = timedelta(minutes=5)

CALENDARS: tuple[EntityDescription, ...] = (
    EntityDescription(key="calendar", translation_key="calendar"),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrhubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data.coordinator
    async_add_entities(ArrhubCalendar(coordinator, d) for d in CALENDARS)


def calendar_event(entry: CalendarEntry) -> CalendarEvent:
    """An entry as Home Assistant's calendar shows it: all-day ones on their local day."""
    start = entry.start
    if entry.all_day or not isinstance(start, datetime):
        day = start.date() if isinstance(start, datetime) else start
        return CalendarEvent(
            start=day,
            end=day + timedelta(days=1),
            summary=_summary(entry),
            description=entry.overview,
            uid=entry.id,
        )
    end = entry.end if isinstance(entry.end, datetime) and entry.end > start else None
    return CalendarEvent(
        start=dt_util.as_local(start),
        end=dt_util.as_local(end or start + DEFAULT_LENGTH),
        summary=_summary(entry),
        description=entry.overview,
        uid=entry.id,
    )


def _summary(entry: CalendarEntry) -> str:
    return entry.title if not entry.subtitle else f"{entry.title} · {entry.subtitle}"


def _hub_time(moment: datetime) -> str:
    return dt_util.as_utc(moment).isoformat().replace("+00:00", "Z")


class ArrhubCalendar(ArrhubHubEntity, CalendarEntity):
    """Every *arr's upcoming releases in one calendar."""

    def __init__(self, coordinator: ArrhubCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator, description)
        self._upcoming: tuple[CalendarEvent, ...] = ()
        self._windows: dict[tuple[str, str], tuple[datetime, list[CalendarEvent]]] = {}

    @property
    def event(self) -> CalendarEvent | None:
        """The entry on now, or the next one."""
        now = dt_util.now()
        return next((e for e in self._upcoming if e.end_datetime_local > now), None)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        await self._async_read_upcoming()
        self.async_on_remove(
            async_track_time_interval(self.hass, self._async_refresh_state, UPCOMING_REFRESH)
        )

    async def _async_refresh_state(self, _now: datetime | None = None) -> None:
        """Every few minutes: the coming entries again (a poll answered 304 says nothing
        about the calendar, which the summary does not carry)."""
        await self._async_read_upcoming()
        self.async_write_ha_state()

    async def _async_read_upcoming(self) -> None:
        """The hub's entries from the start of today to `CALENDAR_AHEAD` (state only:
        a failure keeps what was read before and is only logged)."""
        today = dt_util.start_of_local_day()
        try:
            page = await self.coordinator.client.calendar(
                start=_hub_time(today), end=_hub_time(today + CALENDAR_AHEAD)
            )
        except ArrhubError as err:
            LOGGER.debug("could not read the hub's calendar: %s", err)
            return
        events = sorted(
            (calendar_event(e) for e in page.entries), key=lambda e: e.start_datetime_local
        )
        self._upcoming = tuple(events)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        key = (_hub_time(start_date), _hub_time(end_date))
        cached = self._windows.get(key)
        now = dt_util.utcnow()
        if cached is not None and now - cached[0] < CALENDAR_CACHE:
            return cached[1]
        try:
            page = await self.coordinator.client.calendar(start=key[0], end=key[1])
        except ArrhubError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="calendar_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        events = [calendar_event(e) for e in page.entries]
        # Entries the hub matched by day may end before the window starts: leave them out.
        events = [e for e in events if e.end_datetime_local > start_date]
        if len(self._windows) >= CACHED_WINDOWS:
            del self._windows[next(iter(self._windows))]
        self._windows[key] = (now, events)
        return events
