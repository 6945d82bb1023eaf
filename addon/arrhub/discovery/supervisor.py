"""Home Assistant add-on discovery: tell the Supervisor how Home Assistant reaches the hub.

Inside the add-on the Supervisor gives the hub a token (`SUPERVISOR_TOKEN`). The hub posts
`{"service": "arrhub", "config": {"host", "port", "api_key"}}` to the Supervisor's
`/discovery` (allowed because `config.yaml` lists `discovery: [arrhub]`), and Home
Assistant offers the arrhub integration; its `hassio` step builds `http://host:port` from
the config and signs in with the key. The host is the add-on's own name on the internal
network, from `/addons/self/info` (open to every add-on), unless `advertise_host` is set.

The key is an admin API key made for Home Assistant once and kept (in the `meta` table),
so every restart posts the same config: the Supervisor treats an unchanged message as a
duplicate and Home Assistant is not asked again. Only when an admin revoked that key is a
new one made (and the integration's existing entry updated by the flow).

Nothing here blocks start-up: it runs as a background task that retries with backoff while
the Supervisor is not answering, and gives up with a warning when it refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
from typing import Any

import aiohttp

from arrhub.auth.keys import key_hash
from arrhub.auth.service import AuthService
from arrhub.store.db import Database
from arrhub.store.meta import get_meta

LOGGER = logging.getLogger(__name__)

SERVICE = "arrhub"
KEY_LABEL = "Home Assistant (add-on discovery)"
#: The `meta` row holding the discovery key: the Supervisor needs the key itself, and
#: the hub re-sends it at every start, so it is kept like the upstream secrets are.
META_KEY = "supervisor_discovery_api_key"
FIRST_DELAY = 2.0
MAX_DELAY = 300.0
REQUEST_TIMEOUT = 10.0


class SupervisorRefused(Exception):
    """A 4xx or an error result: asking again would get the same answer."""


class SupervisorBusy(Exception):
    """A 5xx or 429: the Supervisor (or Home Assistant behind it) is not ready yet."""


async def discovery_key(auth: AuthService, db: Database) -> str:
    """The API key Home Assistant gets: the stored one while it exists, else a new one."""
    stored = await get_meta(db, META_KEY)
    if stored is not None and await auth.keys.by_hash(key_hash(stored)) is not None:
        return stored
    created = await auth.create_key(KEY_LABEL, role="admin", user_id=None)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_KEY, created.key)
        )
    if stored is not None:
        LOGGER.info("the Home Assistant discovery key was revoked; made a new one")
    return created.key


class SupervisorAnnouncer:
    """Posts the discovery message once, retrying until the Supervisor takes it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        token: str,
        port: int,
        host: str | None,
        auth: AuthService,
        db: Database,
    ) -> None:
        self._session = session
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._port = port
        self._host = host
        self._auth = auth
        self._db = db
        self._rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._task: asyncio.Task[None] | None = None
        self.first_delay = FIRST_DELAY
        self.max_delay = MAX_DELAY
        #: The Supervisor's id of the message, once it took it.
        self.uuid: str | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="arrhub-supervisor-discovery")

    async def wait(self) -> str | None:
        """The message's uuid once posted; None when the hub gave up."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.uuid

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            api_key = await discovery_key(self._auth, self._db)
        except Exception:
            LOGGER.warning("add-on discovery: could not prepare an API key", exc_info=True)
            return
        delay = self.first_delay
        while True:
            try:
                host = self._host or await self._addon_hostname()
                config = {"host": host, "port": self._port, "api_key": api_key}
                data = await self._call("POST", "discovery", {"service": SERVICE, "config": config})
            except SupervisorRefused as err:
                LOGGER.warning("add-on discovery: the Supervisor refused it: %s", err)
                return
            except (SupervisorBusy, aiohttp.ClientError, TimeoutError) as err:
                pause = delay * (1 + self._rng.uniform(-0.2, 0.2))
                LOGGER.info(
                    "add-on discovery: the Supervisor is not ready (%s); again in %.0f s",
                    err or type(err).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
                delay = min(delay * 2, self.max_delay)
                continue
            self.uuid = str(data.get("uuid") or "") or None
            LOGGER.info(
                "add-on discovery: Home Assistant is told the hub is at %s:%d", host, self._port
            )
            return

    async def _addon_hostname(self) -> str:
        """The add-on's name on the Supervisor's network (its container's host name)."""
        try:
            data = await self._call("GET", "addons/self/info")
        except SupervisorRefused as err:
            LOGGER.debug("no add-on info (%s); using this container's host name", err)
            data = {}
        hostname = data.get("hostname")
        self._host = hostname if isinstance(hostname, str) and hostname else socket.gethostname()
        return self._host

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One Supervisor API call; its `data` on `{"result": "ok"}`, else an exception."""
        async with (
            asyncio.timeout(REQUEST_TIMEOUT),
            self._session.request(
                method, f"{self._url}/{path}", json=body, headers=self._headers
            ) as resp,
        ):
            text = await resp.text()
        try:
            reply = json.loads(text)
        except ValueError:
            reply = None
        if resp.status == 429 or resp.status >= 500:
            raise SupervisorBusy(f"HTTP {resp.status}")
        message = reply.get("message") if isinstance(reply, dict) else None
        if resp.status >= 400:
            raise SupervisorRefused(f"HTTP {resp.status}: {message or text[:200]}")
        if not isinstance(reply, dict) or reply.get("result") != "ok":
            raise SupervisorRefused(f"unexpected reply: {message or text[:200]}")
        data = reply.get("data")
        return data if isinstance(data, dict) else {}
