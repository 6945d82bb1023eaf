"""How Home Assistant finds the hub: zeroconf on the network, Supervisor discovery as add-on.

Zeroconf is tested with a real round trip: the real hub on a real port advertises over
multicast on loopback (which works inside the test network namespace and outside it), a
second, independent zeroconf instance browses for `_arrhub._tcp.local.`, resolves the
service and reaches the hub at the address, port and path it found, as the integration's
zeroconf step does. Supervisor discovery runs against a small fake Supervisor on
127.0.0.1 that checks the token and records what the hub posts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import ValidationError
from yarl import URL
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from arrhub.app import create_app
from arrhub.discovery import DISCOVERY, SUPERVISOR_TOKEN_ENV, supervisor
from arrhub.discovery.mdns import SERVICE_TYPE, plan_advertisement
from arrhub.keys import INSTANCE_ID
from arrhub.settings import Settings
from tests.fakes.server import serve
from tests.hub.conftest import ADMIN, ADMIN_PASSWORD, ClientFactory, api_key, login, setup_admin
from tests.hub.hubproc import free_port

#: Waits that only guard against a hang; every test waits for an event, not for time.
GUARD = 20.0
TOKEN = "supervisor-token-for-tests"
ADDON_HOSTNAME = "local-arrhub"


def with_(settings: Settings, **changes: Any) -> Settings:
    """A validated copy of the fixture's settings with some fields changed."""
    return Settings.model_validate({**settings.model_dump(), **changes})


# ---- zeroconf: a real round trip ------------------------------------------------------


class Browser:
    """An independent zeroconf instance on loopback, as Home Assistant's would be."""

    def __init__(self) -> None:
        self.zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
        self.changes: asyncio.Queue[tuple[str, ServiceStateChange]] = asyncio.Queue()

        def on_change(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            self.changes.put_nowait((name, state_change))

        self.browser = AsyncServiceBrowser(self.zc.zeroconf, SERVICE_TYPE, handlers=[on_change])

    async def next_change(self, name: str) -> ServiceStateChange:
        """The next change of the service `name` (others' services are skipped)."""
        while True:
            found, change = await asyncio.wait_for(self.changes.get(), GUARD)
            if found == name:
                return change

    async def resolve(self, name: str) -> AsyncServiceInfo:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        assert await info.async_request(self.zc.zeroconf, 3000), f"{name} did not resolve"
        return info

    async def close(self) -> None:
        await self.browser.async_cancel()
        await self.zc.async_close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    found = Browser()
    yield found
    await found.close()


async def test_zeroconf_round_trip(
    aiohttp_client: Any, settings: Settings, browser: Browser
) -> None:
    port = free_port()
    hub_settings = with_(settings, zeroconf=True, host="127.0.0.1", port=port)
    client: TestClient = await aiohttp_client(
        create_app(hub_settings), server_kwargs={"host": "127.0.0.1", "port": port}
    )
    app = client.server.app
    instance_id = app[INSTANCE_ID]
    name = f"arrhub {instance_id.replace('-', '')[:8]}.{SERVICE_TYPE}"

    assert await browser.next_change(name) is ServiceStateChange.Added
    info = await browser.resolve(name)
    properties = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    assert properties["instance_id"] == instance_id
    assert properties["path"] == "/"
    assert properties["api_path"] == "/api/v1"
    assert properties["version"]
    assert info.port == port
    assert info.parsed_addresses() == ["127.0.0.1"]

    # What the integration's zeroconf step builds, then a call a config entry would make.
    await setup_admin(client)
    token = await login(client, ADMIN, ADMIN_PASSWORD)
    base = URL.build(
        scheme="http", host=info.parsed_addresses()[0], port=info.port, path=properties["path"]
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            base / "api/v1/system/info", headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["instance_id"] == instance_id

    # Shutdown says goodbye: browsers drop the hub at once, not after the record's TTL.
    await client.close()
    assert await browser.next_change(name) is ServiceStateChange.Removed


async def test_zeroconf_is_off_by_default(client: TestClient) -> None:
    assert Settings.model_fields["zeroconf"].default is False
    assert client.server.app[DISCOVERY].zeroconf is None
    resp = await client.get("/health")
    assert resp.status == 200


async def test_zeroconf_failure_only_warns(
    make_client: ClientFactory, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A link-local address cannot be advertised (it needs an interface scope).
    client = await make_client(with_(settings, zeroconf=True, advertise_host="169.254.7.7"))
    advertiser = client.server.app[DISCOVERY].zeroconf
    assert advertiser is not None
    with caplog.at_level(logging.WARNING, logger="arrhub.discovery"):
        assert await asyncio.wait_for(advertiser.wait(), GUARD) is None
    assert "could not advertise the hub" in caplog.text
    resp = await client.get("/health")
    assert resp.status == 200


LOCAL = [
    ipaddress.ip_address(a)
    for a in ("127.0.0.1", "192.168.1.5", "169.254.3.3", "fe80::1", "2001:db8::5", "::1")
]


@pytest.mark.parametrize(
    ("host", "advertise_host", "local", "addresses", "interfaces"),
    [
        ("0.0.0.0", None, LOCAL, ["192.168.1.5"], None),  # noqa: S104
        ("::", None, LOCAL, ["192.168.1.5", "2001:db8::5"], None),
        ("192.168.1.5", None, LOCAL, ["192.168.1.5"], ("192.168.1.5",)),
        ("0.0.0.0", "10.0.0.9", LOCAL, ["10.0.0.9"], None),  # noqa: S104
        ("127.0.0.1", None, LOCAL, ["127.0.0.1"], ("127.0.0.1",)),
        # A host with nothing but loopback (the test network namespace) still advertises.
        ("0.0.0.0", None, LOCAL[:1], ["127.0.0.1"], None),  # noqa: S104
    ],
)
async def test_advertised_addresses(
    settings: Settings,
    host: str,
    advertise_host: str | None,
    local: list[Any],
    addresses: list[str],
    interfaces: tuple[str, ...] | None,
) -> None:
    plan = await plan_advertisement(
        with_(settings, host=host, advertise_host=advertise_host, port=9999),
        "0a1b2c3d-0000-4000-8000-000000000000",
        local=local,
    )
    assert [str(a) for a in plan.addresses] == addresses
    assert plan.interfaces == interfaces
    assert plan.port == 9999
    assert plan.name == "arrhub 0a1b2c3d"
    assert plan.properties["instance_id"] == "0a1b2c3d-0000-4000-8000-000000000000"


# ---- Supervisor add-on discovery -------------------------------------------------------


@dataclass
class FakeSupervisor:
    """The two Supervisor endpoints the hub uses, with the Supervisor's reply envelope."""

    token: str = TOKEN
    busy: int = 0  # this many POSTs are answered 503 first
    gate: asyncio.Event | None = None  # while set up and not set, POSTs wait
    posts: list[dict[str, Any]] = field(default_factory=list)
    info_calls: int = 0
    messages: dict[str, str] = field(default_factory=dict)  # service -> uuid
    posted: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response({"result": "error", "message": message}, status=status)

    async def addon_info(self, request: web.Request) -> web.Response:
        self.info_calls += 1
        if not self._authorized(request):
            return self._error(401, "Unauthorized")
        return web.json_response(
            {"result": "ok", "data": {"slug": "local_arrhub", "hostname": ADDON_HOSTNAME}}
        )

    async def discovery(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts.append(body)
        self.posted.set()
        if self.gate is not None:
            await self.gate.wait()
        if not self._authorized(request):
            return self._error(401, "Unauthorized")
        if self.busy > 0:
            self.busy -= 1
            return self._error(503, "Home Assistant is not running")
        if body.get("service") != "arrhub" or not isinstance(body.get("config"), dict):
            return self._error(400, "Add-ons must list services they provide")
        message = self.messages.setdefault(body["service"], uuid.uuid4().hex)
        return web.json_response({"result": "ok", "data": {"uuid": message}})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/addons/self/info", self.addon_info)
        app.router.add_post("/discovery", self.discovery)
        return app


@pytest.fixture
async def fake_supervisor(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSupervisor]:
    monkeypatch.setenv(SUPERVISOR_TOKEN_ENV, TOKEN)
    monkeypatch.setattr(supervisor, "FIRST_DELAY", 0.01)  # retries without real waiting
    fake = FakeSupervisor()
    async with serve(fake.app()) as url:
        fake.url = url
        yield fake


async def start_addon_hub(
    make_client: ClientFactory, settings: Settings, fake: FakeSupervisor, **changes: Any
) -> tuple[TestClient, str | None]:
    """A hub as the add-on runs it; returns it with the discovery message's uuid."""
    client = await make_client(with_(settings, supervisor_url=fake.url, **changes))
    announcer = client.server.app[DISCOVERY].supervisor
    assert announcer is not None
    return client, await asyncio.wait_for(announcer.wait(), GUARD)


async def ha_keys(client: TestClient, key: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/v1/auth/keys", headers=api_key(key))
    assert resp.status == 200, await resp.text()
    items: list[dict[str, Any]] = (await resp.json())["items"]
    return [k for k in items if k["label"] == supervisor.KEY_LABEL]


async def test_addon_announces_itself_with_a_working_key(
    make_client: ClientFactory, settings: Settings, fake_supervisor: FakeSupervisor
) -> None:
    client, message = await start_addon_hub(make_client, settings, fake_supervisor)
    assert message == fake_supervisor.messages["arrhub"]
    [body] = fake_supervisor.posts
    # Exactly the keys the integration's hassio step reads.
    assert body["service"] == "arrhub"
    assert set(body["config"]) == {"host", "port", "api_key"}
    assert body["config"]["host"] == ADDON_HOSTNAME
    assert body["config"]["port"] == settings.port
    key = body["config"]["api_key"]
    # The key is an admin key (listing keys is admin-only), made for Home Assistant.
    assert len(await ha_keys(client, key)) == 1
    resp = await client.get("/api/v1/system/health", headers=api_key(key))
    assert resp.status == 200


async def test_discovery_key_is_kept_across_restarts_and_renewed_when_revoked(
    make_client: ClientFactory, settings: Settings, fake_supervisor: FakeSupervisor
) -> None:
    client, first_uuid = await start_addon_hub(make_client, settings, fake_supervisor)
    first_key = fake_supervisor.posts[-1]["config"]["api_key"]
    await client.close()

    client, again_uuid = await start_addon_hub(make_client, settings, fake_supervisor)
    assert fake_supervisor.posts[-1] == fake_supervisor.posts[0]  # the same message again
    assert again_uuid == first_uuid
    [record] = await ha_keys(client, first_key)
    resp = await client.delete(f"/api/v1/auth/keys/{record['id']}", headers=api_key(first_key))
    assert resp.status == 204, await resp.text()
    await client.close()

    client, _ = await start_addon_hub(make_client, settings, fake_supervisor)
    new_key = fake_supervisor.posts[-1]["config"]["api_key"]
    assert new_key != first_key
    assert len(await ha_keys(client, new_key)) == 1
    resp = await client.get("/api/v1/auth/keys", headers=api_key(first_key))
    assert resp.status == 403


async def test_supervisor_not_ready_is_retried_and_never_blocks_start(
    make_client: ClientFactory, settings: Settings, fake_supervisor: FakeSupervisor
) -> None:
    fake_supervisor.busy = 2
    fake_supervisor.gate = asyncio.Event()
    client = await make_client(with_(settings, supervisor_url=fake_supervisor.url))
    announcer = client.server.app[DISCOVERY].supervisor
    assert announcer is not None
    # The first POST hangs in the Supervisor; the hub serves meanwhile.
    await asyncio.wait_for(fake_supervisor.posted.wait(), GUARD)
    resp = await client.get("/health")
    assert resp.status == 200
    assert announcer.uuid is None
    fake_supervisor.gate.set()

    assert await asyncio.wait_for(announcer.wait(), GUARD) == fake_supervisor.messages["arrhub"]
    assert len(fake_supervisor.posts) == 3  # 503, 503, accepted
    assert fake_supervisor.info_calls == 1  # the host name is asked once


async def test_supervisor_refusal_gives_up_with_a_warning(
    make_client: ClientFactory,
    settings: Settings,
    fake_supervisor: FakeSupervisor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_supervisor.token = "another-token"
    with caplog.at_level(logging.WARNING, logger="arrhub.discovery"):
        client, message = await start_addon_hub(make_client, settings, fake_supervisor)
    assert message is None
    assert len(fake_supervisor.posts) == 1  # a 401 is not retried
    assert "the Supervisor refused it: HTTP 401: Unauthorized" in caplog.text
    resp = await client.get("/health")
    assert resp.status == 200


async def test_advertise_host_replaces_the_addon_hostname(
    make_client: ClientFactory, settings: Settings, fake_supervisor: FakeSupervisor
) -> None:
    _, message = await start_addon_hub(
        make_client, settings, fake_supervisor, advertise_host="192.168.1.20", port=8123
    )
    assert message is not None
    assert fake_supervisor.posts[-1]["config"]["host"] == "192.168.1.20"
    assert fake_supervisor.posts[-1]["config"]["port"] == 8123
    assert fake_supervisor.info_calls == 0


async def test_no_discovery_when_turned_off_or_not_an_addon(
    make_client: ClientFactory,
    settings: Settings,
    fake_supervisor: FakeSupervisor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await make_client(
        with_(settings, supervisor_url=fake_supervisor.url, supervisor_discovery=False)
    )
    assert client.server.app[DISCOVERY].supervisor is None
    await client.close()
    monkeypatch.delenv(SUPERVISOR_TOKEN_ENV)
    client = await make_client(with_(settings, supervisor_url=fake_supervisor.url))
    assert client.server.app[DISCOVERY].supervisor is None
    # No key was made for Home Assistant either.
    await setup_admin(client)
    token = await login(client, ADMIN, ADMIN_PASSWORD)
    resp = await client.get("/api/v1/auth/keys", headers={"Authorization": f"Bearer {token}"})
    assert (await resp.json())["total"] == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.20", "192.168.1.20"),
        ("nas.lan", "nas.lan"),
        ("  hub-1.example.org. ", "hub-1.example.org."),
        ("", None),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_advertise_host_accepts_addresses_and_names(value: str, expected: str | None) -> None:
    assert Settings(advertise_host=value).advertise_host == expected


@pytest.mark.parametrize("value", ["http://nas.lan", "nas.lan:8765", "-bad.lan", "a b"])
def test_advertise_host_rejects_urls_and_ports(value: str) -> None:
    with pytest.raises(ValidationError, match="advertise_host"):
        Settings(advertise_host=value)


def test_supervisor_url_needs_a_scheme() -> None:
    assert Settings(supervisor_url="http://supervisor/").supervisor_url == "http://supervisor"
    with pytest.raises(ValidationError, match="supervisor_url"):
        Settings(supervisor_url="supervisor")
