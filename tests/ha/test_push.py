"""Push: the hub's outbound webhooks into Home Assistant's webhook, then bus, entities and
coordinator. The subscription is checked at the real hub; deliveries are real ones from the
hub (Home Assistant's HTTP app served on a loopback port) or signed by the test."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any
from unittest.mock import patch
from urllib.parse import urlparse

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.arrhub.api import ArrhubConnectionError
from custom_components.arrhub.const import CONF_WEBHOOK_SECRET, EVENT_ARRHUB
from custom_components.arrhub.push import SEEN_EVENTS
from tests.fakes.seerr import APPROVED, FakeSeerrState, make_seerr_app
from tests.fakes.server import serve
from tests.ha.conftest import QB_ID, Hub, poll, setup_integration
from tests.ha.fake_qbittorrent import FakeQbState

DOWNLOAD = "event.qbittorrent_download"
HEALTH = "event.qbittorrent_health"

type Post = Callable[..., Coroutine[Any, Any, int]]


async def subscriptions(hub: Hub, url: str | None = None) -> list[dict[str, Any]]:
    path = "/api/v1/subscriptions"
    reply = await hub.call("GET", path, expect=200)
    items: list[dict[str, Any]] = reply["items"]
    return [item for item in items if url is None or item["url"] == url]


def webhook_url(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    return webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_ID], prefer_external=False)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Arrhub-Timestamp": stamp,
        "X-Arrhub-Signature": f"sha256={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


def event_body(event_type: str, instance_id: str | None = QB_ID, **data: Any) -> bytes:
    return json.dumps(
        {
            "id": f"ev-{event_type}-{len(data)}",
            "type": event_type,
            "at": "2025-05-01T12:00:00Z",
            "instance_id": instance_id,
            "data": data,
        }
    ).encode()


@pytest.fixture
async def post(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, config_entry: MockConfigEntry
) -> Post:
    """POST a body to the entry's webhook; signed with the entry's secret unless told."""

    async def send(body: bytes, headers: dict[str, str] | None = None) -> int:
        client = await hass_client_no_auth()
        path = urlparse(webhook_url(hass, config_entry)).path
        if headers is None:
            headers = sign(config_entry.data[CONF_WEBHOOK_SECRET], body)
        resp = await client.post(path, data=body, headers=headers)
        await hass.async_block_till_done()
        return resp.status

    return send


async def test_setup_subscribes_at_the_hub(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    url = webhook_url(hass, config_entry)
    (subscription,) = await subscriptions(hub)
    assert subscription["url"] == url
    assert subscription["events"] == ["download", "instance", "library", "request", "test"]
    assert subscription["enabled"] is True
    assert config_entry.data[CONF_WEBHOOK_ID] in hass.data[webhook.DOMAIN]
    assert config_entry.runtime_data.push.subscription_id == subscription["id"]


async def test_subscribe_is_idempotent(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    """Reloads keep one subscription; a stray duplicate goes, a disabled one is fixed."""
    await setup_integration(hass, config_entry)
    webhook_id = config_entry.data[CONF_WEBHOOK_ID]
    secret = config_entry.data[CONF_WEBHOOK_SECRET]
    url = webhook_url(hass, config_entry)
    await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.data[CONF_WEBHOOK_ID] == webhook_id  # made once, kept
    assert config_entry.data[CONF_WEBHOOK_SECRET] == secret
    assert len(await subscriptions(hub, url)) == 1

    # Twice at the hub (someone added another), the kept one disabled: one, enabled.
    push = config_entry.runtime_data.push
    await push.async_subscribe()
    kept = push.subscription_id
    await hub.call("PATCH", f"/api/v1/subscriptions/{kept}", json={"enabled": False}, expect=200)
    await hub.call(
        "POST",
        "/api/v1/subscriptions",
        json={"url": url, "secret": "x" * 20, "events": ["test"]},
        expect=201,
    )
    await push.async_subscribe()
    (subscription,) = await subscriptions(hub, url)
    assert subscription["id"] == kept
    assert subscription["enabled"] is True


async def test_unload_unsubscribes_and_unregisters(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    await setup_integration(hass, config_entry)
    assert await subscriptions(hub)
    await hass.config_entries.async_unload(config_entry.entry_id)
    assert await subscriptions(hub) == []
    assert config_entry.data[CONF_WEBHOOK_ID] not in hass.data[webhook.DOMAIN]


async def test_unload_with_the_hub_gone(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry
) -> None:
    """Unsubscribing is best effort: a dead hub does not stop the unload."""
    await setup_integration(hass, config_entry)
    await hub.stop()
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert config_entry.data[CONF_WEBHOOK_ID] not in hass.data[webhook.DOMAIN]


async def test_download_delivery(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, post: Post
) -> None:
    """A signed delivery reaches the bus and the download event entity at once."""
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    assert hass.states.get(DOWNLOAD).state == STATE_UNKNOWN
    body = event_body(
        "download.completed", id=7, name="ubuntu.iso", state="seeding", previous_state="downloading"
    )
    assert await post(body) == 200

    (event,) = events
    assert event.data == {
        "hub_id": config_entry.unique_id,
        "id": "ev-download.completed-4",
        "type": "download.completed",
        "instance_id": QB_ID,
        "data": {
            "id": 7,
            "name": "ubuntu.iso",
            "state": "seeding",
            "previous_state": "downloading",
        },
    }
    state = hass.states.get(DOWNLOAD)
    assert state.state != STATE_UNKNOWN
    assert state.attributes["event_type"] == "download_completed"
    assert state.attributes["name"] == "ubuntu.iso"
    assert state.attributes["id"] == "7"

    assert await post(body) == 200  # redelivered (at least once): dropped
    assert len(events) == 1
    assert await post(event_body("test", None, message="hi")) == 200
    assert [e.data["type"] for e in events] == ["download.completed", "test"]


async def test_health_delivery(
    hass: HomeAssistant,
    hub: Hub,
    qb_state: FakeQbState,
    config_entry: MockConfigEntry,
    post: Post,
) -> None:
    """`instance.health_changed` fires the health event once, not again on the refresh."""
    await setup_integration(hass, config_entry)
    qb_state.down = True
    await hub.refresh(QB_ID)
    body = event_body("instance.health_changed", reachable=False, error={"code": "bad_response"})
    assert await post(body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(HEALTH)
    assert state.attributes["event_type"] == "unreachable"
    assert state.attributes["error_code"] == "bad_response"
    fired = state.state
    # The refresh push asked for saw the same change: no second event.
    assert config_entry.runtime_data.coordinator.data.instances[QB_ID].reachable is False
    assert hass.states.get(HEALTH).state == fired

    qb_state.down = False
    await hub.refresh(QB_ID)
    body = event_body("instance.health_changed", reachable=True, version="5.0.0", errors=0)
    assert await post(body) == 200
    state = hass.states.get(HEALTH)
    assert state.attributes["event_type"] == "reachable"
    assert state.attributes["version"] == "5.0.0"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Arrhub-Timestamp": "1", "X-Arrhub-Signature": "sha256=00"},
        {},
        {"X-Arrhub-Timestamp": "soon", "X-Arrhub-Signature": "sha256=00"},
    ],
    ids=["bad-signature", "unsigned", "bad-timestamp"],
)
async def test_bad_signature_is_refused(
    hass: HomeAssistant,
    hub: Hub,
    config_entry: MockConfigEntry,
    post: Post,
    headers: dict[str, str],
) -> None:
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    assert await post(event_body("download.added"), headers) == 401
    assert events == []
    assert hass.states.get(DOWNLOAD).state == STATE_UNKNOWN


async def test_wrong_secret_and_stale_timestamp_are_refused(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, post: Post
) -> None:
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    body = event_body("download.added")
    assert await post(body, sign("not-our-secret-at-all", body)) == 401
    stale = int(time.time()) - 301
    assert await post(body, sign(config_entry.data[CONF_WEBHOOK_SECRET], body, stale)) == 401
    assert events == []
    assert hass.states.get(DOWNLOAD).state == STATE_UNKNOWN


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"id": "x", "type": "test"}'], ids=["text", "list", "short"]
)
async def test_garbage_is_refused(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, post: Post, body: bytes
) -> None:
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    assert await post(body) == 400
    assert events == []


async def test_resubscribes_after_hub_restart(
    hass: HomeAssistant, clock: FrozenDateTimeFactory, hub: Hub, config_entry: MockConfigEntry
) -> None:
    """A hub that lost the subscription and restarted gets it again: when Home Assistant
    sees it back after an outage, and on the periodic `started_at` check."""
    await setup_integration(hass, config_entry)
    url = webhook_url(hass, config_entry)

    async def lose_and_restart(*, outage: bool) -> None:
        (subscription,) = await subscriptions(hub, url)
        await hub.call("DELETE", f"/api/v1/subscriptions/{subscription['id']}", expect=204)
        await hub.stop()
        if outage:
            await poll(hass, clock)  # Home Assistant sees the hub down
        clock.tick(60)
        await hub.start()

    await lose_and_restart(outage=True)
    await poll(hass, clock)  # back: asks whether it restarted
    assert len(await subscriptions(hub, url)) == 1

    await lose_and_restart(outage=False)
    await poll(hass, clock, 300)  # the periodic check
    assert len(await subscriptions(hub, url)) == 1
    await poll(hass, clock, 300)  # same hub, same boot: nothing to do
    assert len(await subscriptions(hub, url)) == 1


async def test_push_failures_only_log(
    hass: HomeAssistant,
    hub: Hub,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch(
        "custom_components.arrhub.api.ArrhubClient.subscriptions",
        side_effect=ArrhubConnectionError("boom"),
    ):
        await setup_integration(hass, config_entry)
    assert config_entry.runtime_data.push.subscription_id is None
    assert "could not subscribe" in caplog.text
    assert hass.states.get(HEALTH).state == STATE_UNKNOWN  # polling works

    push = config_entry.runtime_data.push
    with patch(
        "custom_components.arrhub.api.ArrhubClient.system_info",
        side_effect=ArrhubConnectionError("boom"),
    ):
        await push._async_check_hub()  # logs only


async def test_no_url_no_push(
    hass: HomeAssistant,
    hub: Hub,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch(
        "custom_components.arrhub.push.webhook.async_generate_url",
        side_effect=NoURLAvailableError,
    ):
        await setup_integration(hass, config_entry)
    assert "push is off" in caplog.text
    assert await subscriptions(hub) == []
    assert config_entry.data[CONF_WEBHOOK_ID] not in hass.data.get(webhook.DOMAIN, {})
    await config_entry.runtime_data.push.async_subscribe()  # no URL: nothing to subscribe
    assert await subscriptions(hub) == []
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_real_delivery_from_the_hub(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hub: Hub,
    config_entry: MockConfigEntry,
) -> None:
    """End to end: the hub's test event, delivered and signed by the hub, on the bus."""
    assert await async_setup_component(hass, webhook.DOMAIN, {})
    client = await hass_client_no_auth()
    hass.config.internal_url = str(client.make_url("/")).rstrip("/")
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    arrived = asyncio.Event()

    @callback
    def _arrived(_: Event) -> None:
        arrived.set()

    hass.bus.async_listen_once(EVENT_ARRHUB, _arrived)
    await hub.call("POST", "/api/v1/system/test-event", json={"message": "hi"}, expect=201)
    async with asyncio.timeout(10):
        await arrived.wait()
    (event,) = events
    assert event.data["type"] == "test"
    assert event.data["hub_id"] == config_entry.unique_id
    assert event.data["data"]["message"] == "hi"


async def test_request_delivery(
    hass: HomeAssistant,
    clock: FrozenDateTimeFactory,
    hub: Hub,
    config_entry: MockConfigEntry,
    post: Post,
) -> None:
    """A request manager added at the hub gets a Request event entity; a pushed
    `request.approved` fires it and the bus, and asks for a summary refresh."""
    seerr = FakeSeerrState()
    for request_id in (5, 6, 7):
        seerr.add_request(request_id=request_id, tmdb_id=695 + request_id)
    seerr.add_request(request_id=8, status=APPROVED, tmdb_id=703)
    async with serve(make_seerr_app(seerr)) as url:
        await setup_integration(hass, config_entry)
        seerr_id = await hub.add_instance("overseerr", "Overseerr", url, api_key=seerr.api_key)
        await poll(hass, clock)
        assert hass.states.get("sensor.overseerr_pending_requests").state == "3"
        entity = "event.overseerr_request"
        assert hass.states.get(entity).state == STATE_UNKNOWN

        # Approved at Overseerr, and the hub's collector has polled it since.
        (approved,) = (r for r in seerr.requests if r["id"] == 7)
        approved["status"] = APPROVED
        await hub.refresh(seerr_id)
        events = async_capture_events(hass, EVENT_ARRHUB)
        body = event_body(
            "request.approved",
            seerr_id,
            id=f"{seerr_id}:7",
            type="movie",
            title="A New Film",
            status="approved",
            requested_by="alice",
            tmdb_id=700,
        )
        assert await post(body) == 200
        assert [e.data["type"] for e in events] == ["request.approved"]
        state = hass.states.get(entity)
        assert state.attributes["event_type"] == "request_approved"
        assert (state.attributes["title"], state.attributes["requested_by"]) == (
            "A New Film",
            "alice",
        )
        assert "tmdb_id" not in state.attributes  # detail stays on the bus
        # The refresh push asked for: the pending count follows without a poll.
        assert hass.states.get("sensor.overseerr_pending_requests").state == "2"


async def test_many_deliveries_and_odd_health(
    hass: HomeAssistant, hub: Hub, config_entry: MockConfigEntry, post: Post
) -> None:
    """The duplicate filter remembers a bounded number of ids (the oldest are forgotten);
    a health event without a boolean `reachable` reaches the bus but no entity."""
    await setup_integration(hass, config_entry)
    events = async_capture_events(hass, EVENT_ARRHUB)
    first = event_body("test", None, message="0")
    for n in range(SEEN_EVENTS + 1):
        body = json.loads(event_body("test", None, message=str(n)))
        body["id"] = f"ev-{n}"
        assert await post(json.dumps(body).encode()) == 200
    assert len(config_entry.runtime_data.push._seen) == SEEN_EVENTS
    assert "ev-0" not in config_entry.runtime_data.push._seen
    assert len(events) == SEEN_EVENTS + 1
    assert await post(first) == 200  # "ev-test-1", never seen before
    odd = event_body("instance.health_changed", QB_ID, reachable="yes")
    assert await post(odd) == 200
    assert events[-1].data["type"] == "instance.health_changed"
    assert hass.states.get(HEALTH).state == STATE_UNKNOWN
