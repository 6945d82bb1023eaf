"""Push latency: a hub event -> `arrhub_event` on Home Assistant's bus, p50/p99
(goal p99 <= 50 ms), beside the poll interval push replaces.

Both run in this process, each on a free port of 127.0.0.1: the real hub (`create_app`,
`AppRunner` + `TCPSite`, a fresh data dir, rate limits that never refuse) and a real Home
Assistant core (`HomeAssistant`, built as pytest-homeassistant-custom-component's
`async_test_home_assistant` builds it) with its `http` and `webhook` components, whose
aiohttp app is served on a real port, and the arrhub integration set up on a config entry
for the hub. The integration subscribes its webhook at the hub as in production (signed
deliveries, HMAC checked by the integration).

Each event starts as `POST /api/v1/system/test-event` carrying its sequence number and
send time (`time.perf_counter()`; one process, one clock) in its message; the bus
listener records the time the `arrhub_event` arrived. One event at a time (the next is
sent when the previous arrived, after `--interval`), so each figure is the latency of an
unloaded path: the hub's HTTP handler, its delivery queue (SQLite), the signed POST to
Home Assistant's webhook view, the integration's checks and the bus.

    .venv-test/bin/python bench/push_latency.py [--events 500] [--interval 0.005]

The exit status is non-zero only when the measurement failed (the integration did not
load or subscribe, an event never arrived), never because of the figures.
See bench/README.md.
"""

# ruff: noqa: E402  (sys.path must be fixed before the imports below)
from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` package: drop this folder.
_BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH_DIR]

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
try:
    import arrhub  # noqa: F401  (installed, e.g. in .venv-test)
except ImportError:  # a bare checkout: the package lives in addon/
    sys.path.insert(0, str(ROOT / "addon"))
# Our custom_components before Home Assistant's loader looks (the test harness ships a
# package of that name too, which would otherwise shadow ours).
sys.path.insert(0, str(ROOT))
from homeassistant import loader
from homeassistant.components import webhook
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import aiohttp_client
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from arrhub.app import create_app
from arrhub.settings import RateLimits, Settings
from custom_components.arrhub.const import DEFAULT_SCAN_INTERVAL, DOMAIN, EVENT_ARRHUB

GOAL_P99_MS = 50.0
ADMIN = "bench"
ADMIN_PASSWORD = "Bench-Passw0rd!"
HIGH_LIMIT = 1_000_000_000  # requests per minute: the rate limiter runs but never refuses


class BenchError(Exception):
    """The measurement itself failed; the figures would be meaningless."""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def _hub_key(session: aiohttp.ClientSession, url: str) -> str:
    """Admin, login, API key: the hub set up through its own API."""
    credentials = {"username": ADMIN, "password": ADMIN_PASSWORD}
    async with session.post(f"{url}/api/v1/auth/setup", json=credentials) as resp:
        if resp.status != 201:
            raise BenchError(f"setup: {resp.status} {await resp.text()}")
    async with session.post(f"{url}/api/v1/auth/login", json=credentials) as resp:
        token = (await resp.json())["token"]
    async with session.post(
        f"{url}/api/v1/auth/keys",
        json={"label": "bench"},
        headers={"Authorization": f"Bearer {token}"},
    ) as resp:
        if resp.status != 201:
            raise BenchError(f"key: {resp.status} {await resp.text()}")
        return str((await resp.json())["key"])


async def _home_assistant_with_arrhub(
    hass: HomeAssistant, hub_url: str, api_key: str, hub_id: str
) -> web.AppRunner:
    """Home Assistant's http + webhook on a real port, the integration set up for the hub."""
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # find custom integrations (ours)
    # Home Assistant's shared client session resolves names through zeroconf too, which
    # joins multicast groups on every interface: inside the test suite's network
    # namespace (loopback only) that fails. The hub is at 127.0.0.1: the plain resolver
    # is all this needs (the pytest plugin swaps it the same way).
    aiohttp_client._async_make_resolver = lambda _hass: aiohttp.ThreadedResolver()  # type: ignore[assignment,return-value]
    if not await async_setup_component(hass, webhook.DOMAIN, {}):
        raise BenchError("Home Assistant's webhook component did not set up")
    # As Home Assistant's own http start does: platforms set up later register views.
    hass.http.app._router.freeze = lambda: None  # type: ignore[method-assign]
    runner, ha_url = await _serve(hass.http.app)
    hass.config.internal_url = ha_url
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="arrhub",
        unique_id=hub_id,
        data={CONF_URL: hub_url, CONF_API_KEY: api_key},
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise BenchError("the arrhub integration did not set up")
    await hass.async_block_till_done()
    push = entry.runtime_data.push
    if push is None or push.subscription_id is None:
        raise BenchError("the integration did not subscribe its webhook at the hub")
    return runner


async def measure(events: int, interval: float, timeout: float = 10.0) -> dict[str, Any]:
    """Run the hub and Home Assistant, send `events` test events, return the figures."""
    with tempfile.TemporaryDirectory(prefix="arrhub-push-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "hub",
            rate_limits=RateLimits(
                read=HIGH_LIMIT, search=HIGH_LIMIT, write=HIGH_LIMIT, auth=HIGH_LIMIT,
                polling=HIGH_LIMIT, webhooks=HIGH_LIMIT,
            ),
        )  # fmt: skip
        hub_runner, hub_url = await _serve(create_app(settings))
        (Path(tmp) / "ha").mkdir()
        try:
            async with (
                aiohttp.ClientSession() as session,
                async_test_home_assistant(config_dir=str(Path(tmp) / "ha")) as hass,
            ):
                api_key = await _hub_key(session, hub_url)
                headers = {"X-Api-Key": api_key}
                async with session.get(f"{hub_url}/api/v1/system/info", headers=headers) as r:
                    hub_id = (await r.json())["instance_id"]
                ha_runner = await _home_assistant_with_arrhub(hass, hub_url, api_key, hub_id)
                try:
                    latencies = await _send(
                        session, hass, hub_url, headers, events, interval, timeout
                    )
                finally:
                    await hass.config_entries.async_unload(
                        hass.config_entries.async_entries(DOMAIN)[0].entry_id
                    )
                    await ha_runner.cleanup()
                    await hass.async_stop(force=True)
        finally:
            await hub_runner.cleanup()
    return {
        "events": events,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "poll_interval_s": float(DEFAULT_SCAN_INTERVAL),
    }


async def _send(
    session: aiohttp.ClientSession,
    hass: HomeAssistant,
    hub_url: str,
    headers: dict[str, str],
    events: int,
    interval: float,
    timeout: float,
) -> list[float]:
    arrived: dict[int, asyncio.Future[float]] = {}

    @callback
    def _on_event(event: Event) -> None:
        now = time.perf_counter()
        if event.data.get("type") != "test":
            return
        message = json.loads(event.data["data"]["message"])
        waiter = arrived.get(message["seq"])
        if waiter is not None and not waiter.done():
            waiter.set_result(now - message["sent_at"])

    unsubscribe = hass.bus.async_listen(EVENT_ARRHUB, _on_event)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    try:
        for seq in range(events):
            waiter = arrived[seq] = loop.create_future()
            body = {"message": json.dumps({"seq": seq, "sent_at": time.perf_counter()})}
            async with session.post(
                f"{hub_url}/api/v1/system/test-event", json=body, headers=headers
            ) as resp:
                if resp.status != 201:
                    raise BenchError(f"test-event: {resp.status} {await resp.text()}")
            try:
                latencies.append(await asyncio.wait_for(waiter, timeout))
            except TimeoutError as err:
                raise BenchError(f"event {seq} did not reach the bus in {timeout:g} s") from err
            del arrived[seq]
            if interval:
                await asyncio.sleep(interval)
    finally:
        unsubscribe()
    return latencies


def report(figures: dict[str, Any]) -> str:
    poll_ms = figures["poll_interval_s"] * 1000
    p99 = figures["p99_ms"]
    verdict = "PASS" if p99 <= GOAL_P99_MS else "ABOVE GOAL"
    return "\n".join(
        [
            f"hub event -> arrhub_event on the bus, n={figures['events']}: "
            f"p50 {figures['p50_ms']:7.2f} ms   p99 {p99:7.2f} ms   "
            f"max {figures['max_ms']:7.2f} ms",
            f"poll interval it replaces: {figures['poll_interval_s']:g} s "
            f"(the coordinator's default scan interval; a change waits {poll_ms / 2:,.0f} ms "
            "on average)",
            f"ratio p99 / poll interval: {p99 / poll_ms:.5f}   "
            f"(push is {poll_ms / p99:,.0f}x sooner than one poll interval)",
            f"goal: p99 <= {GOAL_P99_MS:g} ms: {verdict}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between events")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if os.environ.get("BENCH_DEBUG") else logging.ERROR)
    try:
        figures = asyncio.run(measure(args.events, args.interval))
    except BenchError as err:
        print(f"measurement failed: {err}", file=sys.stderr)
        return 1
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
