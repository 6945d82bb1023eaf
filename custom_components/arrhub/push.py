"""Push: the hub's outbound webhooks delivered to a Home Assistant webhook.

On setup the entry gets a webhook id and an HMAC secret (made once, kept in the entry's
data), registers the webhook and subscribes its URL at the hub, idempotently: found by
`?url=`, PATCHed to our secret and events, created only when missing. Every delivery's
signature and timestamp are checked before its body is read as an event; an accepted event
goes to the bus (`arrhub_event`), to the instance's event entities (dispatcher, per entry)
and asks the coordinator for a refresh, so states follow without waiting for the poll.
The hub is asked every few minutes (and when it comes back after an outage) whether it
restarted; then the subscription is made again. Anything push cannot do only logs:
polling keeps working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from http import HTTPStatus

from aiohttp.web import Request, Response
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError

from .api import ArrhubClient, ArrhubError
from .const import (
    CONF_WEBHOOK_SECRET,
    EVENT_ARRHUB,
    LOGGER,
    PUSH_CHECK_INTERVAL,
    PUSH_EVENTS,
    PUSH_MAX_SKEW,
    signal_download_event,
    signal_request_event,
)
from .coordinator import ArrhubConfigEntry, ArrhubCoordinator, HealthEvent
from .models import HubEvent

SIGNATURE_HEADER = "X-Arrhub-Signature"
TIMESTAMP_HEADER = "X-Arrhub-Timestamp"
#: Hub event types the download event entities show, as their event types.
DOWNLOAD_EVENT_TYPES = {
    "download.added": "download_added",
    "download.completed": "download_completed",
    "download.failed": "download_failed",
}
#: Hub request event types the request event entities show, as their event types.
REQUEST_EVENT_TYPES = {
    "request.created": "request_created",
    "request.approved": "request_approved",
    "request.declined": "request_declined",
    "request.available": "request_available",
}
#: Topics whose events change what the summary reports: refresh it at once.
REFRESH_TOPICS = frozenset({"download", "instance", "library", "request"})
#: How many event ids are remembered to drop redelivered duplicates (at-least-once).
SEEN_EVENTS = 256


class ArrhubPush:
    """One entry's webhook and its subscription at the hub."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrhubConfigEntry,
        client: ArrhubClient,
        coordinator: ArrhubCoordinator,
        started_at: str,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._coordinator = coordinator
        self._started_at = started_at
        self.webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self._secret: bytes = entry.data[CONF_WEBHOOK_SECRET].encode()
        self.url: str | None = None
        self.subscription_id: str | None = None
        self._seen: dict[str, None] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._was_failing = False

    @staticmethod
    @callback
    def async_ensure_credentials(hass: HomeAssistant, entry: ArrhubConfigEntry) -> None:
        """Make the webhook id and secret once; they stay in the entry from then on."""
        if CONF_WEBHOOK_ID in entry.data and CONF_WEBHOOK_SECRET in entry.data:
            return
        hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_WEBHOOK_ID: webhook.async_generate_id(),
                CONF_WEBHOOK_SECRET: secrets.token_urlsafe(32),
            },
        )

    async def async_setup(self) -> None:
        """Register the webhook and subscribe it; failures log, polling stays."""
        try:
            self.url = webhook.async_generate_url(
                self._hass, self.webhook_id, prefer_external=False
            )
        except NoURLAvailableError:
            LOGGER.warning(
                "push is off for %s: Home Assistant has no URL the hub could reach; "
                "set one under Settings > System > Network (polling continues)",
                self._entry.title,
            )
            return
        webhook.async_register(
            self._hass,
            "arrhub",
            f"arrhub {self._entry.title}",
            self.webhook_id,
            self._handle,
            local_only=False,  # the hub may sit anywhere; every delivery is signed
            allowed_methods=["POST"],
        )
        self._unsubs.append(lambda: webhook.async_unregister(self._hass, self.webhook_id))
        self._unsubs.append(
            async_track_time_interval(self._hass, self._async_check_hub, PUSH_CHECK_INTERVAL)
        )
        self._unsubs.append(self._coordinator.async_add_listener(self._on_coordinator))
        await self.async_subscribe()

    async def async_subscribe(self) -> None:
        """Make the hub's subscription to our URL exactly ours (idempotent)."""
        if self.url is None:
            return
        events = list(PUSH_EVENTS)
        try:
            found = await self._client.subscriptions(self.url)
            if found:
                first, *extra = found
                for duplicate in extra:
                    await self._client.delete_subscription(duplicate.id)
                # The hub never shows a secret back: always PATCH ours (cheap, idempotent).
                await self._client.update_subscription(
                    first.id, secret=self._secret.decode(), events=events, enabled=True
                )
                self.subscription_id = first.id
            else:
                created = await self._client.create_subscription(
                    self.url, self._secret.decode(), events, "Home Assistant"
                )
                self.subscription_id = created.id
        except ArrhubError as err:
            LOGGER.warning("could not subscribe to the hub's events (polling continues): %s", err)
            return
        LOGGER.debug("subscribed %s at the hub as %s", self.url, self.subscription_id)

    async def async_unload(self) -> None:
        """Unregister the webhook and unsubscribe at the hub (best effort)."""
        while self._unsubs:
            self._unsubs.pop()()
        if self.subscription_id is None:
            return
        try:
            await self._client.delete_subscription(self.subscription_id)
        except ArrhubError as err:
            LOGGER.debug("could not delete the hub's subscription: %s", err)
        self.subscription_id = None

    async def _async_check_hub(self, _now: datetime | None = None) -> None:
        """Subscribe again when the hub restarted (its `started_at` changed)."""
        try:
            info = await self._client.system_info()
        except ArrhubError as err:
            LOGGER.debug("could not ask the hub whether it restarted: %s", err)
            return
        if info.started_at != self._started_at:
            LOGGER.debug("the hub restarted (%s): subscribing again", info.started_at)
            self._started_at = info.started_at
            await self.async_subscribe()

    @callback
    def _on_coordinator(self) -> None:
        """Back after an outage: the hub may have restarted, check now."""
        failing = not self._coordinator.last_update_success
        if self._was_failing and not failing:
            self._entry.async_create_background_task(
                self._hass, self._async_check_hub(), "arrhub push check"
            )
        self._was_failing = failing

    def _signature_ok(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not timestamp.isdigit() or not signature:
            return False
        if abs(time.time() - int(timestamp)) > PUSH_MAX_SKEW:
            return False
        expected = hmac.new(
            self._secret, timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", signature)

    async def _handle(self, hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
        body = await request.read()
        if not self._signature_ok(
            body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)
        ):
            LOGGER.debug("refused a delivery with a bad signature or timestamp")
            return Response(status=HTTPStatus.UNAUTHORIZED)
        try:
            event = HubEvent.from_dict(json.loads(body))
        except ValueError as err:  # JSONDecodeError is a ValueError
            LOGGER.debug("refused a delivery that is not an event: %s", err)
            return Response(status=HTTPStatus.BAD_REQUEST)
        if event.id in self._seen:
            return Response(status=HTTPStatus.OK)
        self._seen[event.id] = None
        if len(self._seen) > SEEN_EVENTS:
            del self._seen[next(iter(self._seen))]
        self._dispatch(event)
        return Response(status=HTTPStatus.OK)

    @callback
    def _dispatch(self, event: HubEvent) -> None:
        coordinator = self._coordinator
        hass = self._hass
        hass.bus.async_fire(EVENT_ARRHUB, event.bus_data(coordinator.hub_id))
        instance_id = event.instance_id
        if instance_id is not None and event.type in DOWNLOAD_EVENT_TYPES:
            attributes = {
                key: _text(event.data.get(key)) for key in ("id", "name", "state", "previous_state")
            }
            async_dispatcher_send(
                hass,
                signal_download_event(self._entry.entry_id, instance_id),
                HealthEvent(DOWNLOAD_EVENT_TYPES[event.type], attributes),
            )
        elif instance_id is not None and event.type in REQUEST_EVENT_TYPES:
            attributes = {
                key: _text(event.data.get(key))
                for key in ("id", "type", "title", "status", "requested_by")
            }
            async_dispatcher_send(
                hass,
                signal_request_event(self._entry.entry_id, instance_id),
                HealthEvent(REQUEST_EVENT_TYPES[event.type], attributes),
            )
        elif instance_id is not None and event.type == "instance.health_changed":
            reachable = event.data.get("reachable")
            if isinstance(reachable, bool):
                coordinator.async_report_reachability(
                    instance_id, reachable, _health_attributes(event, reachable)
                )
        if event.topic in REFRESH_TOPICS:
            self._entry.async_create_background_task(
                hass, coordinator.async_request_refresh(), "arrhub push refresh"
            )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _health_attributes(event: HubEvent, reachable: bool) -> dict[str, str | None]:
    if reachable:
        version = event.data.get("version")
        return {"version": version if isinstance(version, str) else None}
    error = event.data.get("error")
    code = error.get("code") if isinstance(error, dict) else error
    return {"error_code": code if isinstance(code, str) else None}
