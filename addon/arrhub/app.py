"""`create_app(settings)`: the hub as an aiohttp application.

Resources live in cleanup contexts, listed in dependency order: they start in this order
and unwind in reverse, and a context's cleanup runs only if its startup finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable

from aiohttp import ClientSession, ClientTimeout, DummyCookieJar, web
from aiohttp.abc import AbstractAccessLogger

from arrhub.api import ROUTES
from arrhub.api.events import setup_streams
from arrhub.auth.secrets_store import load_or_create_signing_key
from arrhub.auth.service import AuthService
from arrhub.auth.tokens import TokenSigner
from arrhub.collector import Collector, Snapshot
from arrhub.discovery import discovery_ctx
from arrhub.events import EventBus
from arrhub.http.inflight import InFlight
from arrhub.http.middlewares import (
    ACCESS_POLICY,
    AccessPolicy,
    access_mw,
    on_response_prepare,
    problem_mw,
)
from arrhub.http.openapi import build_openapi
from arrhub.http.problems import REQUEST_ID
from arrhub.http.ratelimit import RateLimiter
from arrhub.http.routes import Route, register_routes
from arrhub.jobs.runner import jobs_ctx
from arrhub.keys import (
    AUTH,
    CLIENTS,
    COLLECTOR,
    DATABASE,
    DOWNLOADS,
    EVENTS,
    HTTP_SESSION,
    IN_FLIGHT,
    INSTANCE_ID,
    INSTANCES,
    OPENAPI,
    RATE_LIMITER,
    SETTINGS,
    SUBSCRIPTIONS,
    SYSTEM,
)
from arrhub.services.catalog import catalog_ctx
from arrhub.services.clients import ClientsService
from arrhub.services.downloads import DownloadsService, download_events
from arrhub.services.instances import InstancesService
from arrhub.services.library import library_ctx
from arrhub.services.requests import requests_ctx
from arrhub.services.subscriptions import SubscriptionsService
from arrhub.services.system import SystemService
from arrhub.services.webhooks_in import webhooks_ctx
from arrhub.settings import Settings
from arrhub.store.db import Database
from arrhub.store.instances import InstancesRepository
from arrhub.store.meta import ensure_instance_id
from arrhub.store.migrations import migrate
from arrhub.store.subscriptions import SubscriptionsRepository

LOGGER = logging.getLogger(__name__)


class AccessLogger(AbstractAccessLogger):
    """One line per request, with its request id, for correlating with other log lines."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
            extra={"request_id": request.get(REQUEST_ID, "-")},
        )


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    db = Database(settings.database_path)
    await db.open()
    try:
        await migrate(db)
        instance_id = await ensure_instance_id(db)
        signer = TokenSigner(load_or_create_signing_key(settings.data_dir), audience=instance_id)
        auth = AuthService(db, settings, signer)
        await auth.start()
    except BaseException:
        await db.close()
        raise
    app[DATABASE] = db
    app[INSTANCE_ID] = instance_id
    app[AUTH] = auth
    app[SYSTEM] = SystemService(settings, db, instance_id)
    LOGGER.info("hub %s ready, data in %s", instance_id, settings.data_dir)
    yield
    with contextlib.suppress(Exception):
        await auth.flush_last_used()
    await db.close()
    LOGGER.info("database closed")


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    tasks = {asyncio.create_task(app[AUTH].run_flusher(), name="arrhub-key-usage")}
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    """The one outgoing HTTP session every adapter shares (DESIGN.md, Upstream access)."""
    # No shared cookie jar: two qBittorrents on one host would overwrite each other's
    # session cookie (cookies ignore ports). Adapters that log in keep their own cookie.
    session = ClientSession(
        timeout=ClientTimeout(total=None, sock_connect=10), cookie_jar=DummyCookieJar()
    )
    app[HTTP_SESSION] = session
    yield
    await session.close()


async def collector_ctx(app: web.Application) -> AsyncIterator[None]:
    """Poll every enabled instance; stops (and closes adapters) before the session closes."""
    repository = InstancesRepository(app[DATABASE])
    collector = Collector(app[HTTP_SESSION], repository)
    service = InstancesService(repository, collector, app[HTTP_SESSION])
    app[COLLECTOR] = collector
    app[INSTANCES] = service
    app[CLIENTS] = ClientsService(repository, collector)
    app[DOWNLOADS] = DownloadsService(collector, app[AUTH].users)
    unsubscribe = collector.add_listener(health_events(app[EVENTS]))
    unsubscribe_downloads = collector.add_listener(download_events(app[EVENTS], collector))
    await service.start()
    yield
    unsubscribe_downloads()
    unsubscribe()
    await collector.stop()


async def subscriptions_ctx(app: web.Application) -> AsyncIterator[None]:
    """Outbound webhooks: queue matching events in SQLite, deliver them signed (EVT-3)."""
    service = SubscriptionsService(
        SubscriptionsRepository(app[DATABASE]), app[EVENTS], app[HTTP_SESSION], app[INSTANCE_ID]
    )
    app[SUBSCRIPTIONS] = service
    await service.start()
    yield
    await service.stop()


def health_events(bus: EventBus) -> Callable[[Snapshot, Snapshot | None], None]:
    """Publish `instance.health_changed` when an instance goes up, down or changes health."""

    def listener(new: Snapshot, old: Snapshot | None) -> None:
        if old is not None and new.health_key() == old.health_key():
            return
        if old is not None and old.checked_at is None and new.ok:
            return  # the first successful poll after start is not news
        bus.publish(
            "instance.health_changed",
            {
                "reachable": new.ok,
                "version": new.version,
                "error": None if new.error is None else {"code": new.error.code},
                "warnings": sum(1 for m in new.messages if m.level == "warning"),
                "errors": sum(1 for m in new.messages if m.level == "error"),
            },
            instance_id=new.instance_id,
            visibility="all",
        )

    return listener


def create_app(settings: Settings, *, extra_routes: Iterable[Route] = ()) -> web.Application:
    """Build the hub; `extra_routes` lets embedders (and tests) add declared routes."""
    app = web.Application(
        middlewares=[problem_mw, access_mw],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[EVENTS] = EventBus()
    app[IN_FLIGHT] = InFlight()
    app[RATE_LIMITER] = RateLimiter(settings.rate_limits)
    app[ACCESS_POLICY] = AccessPolicy(app)
    routes = (*ROUTES, *extra_routes)
    register_routes(app, routes)
    app[OPENAPI] = json.dumps(build_openapi(routes, server_url=settings.base_url)).encode()
    app.on_response_prepare.append(on_response_prepare)  # type: ignore[arg-type]
    setup_streams(app)  # WebSockets closed with 1001, SSE ended, at shutdown
    app.cleanup_ctx.extend(
        [
            database_ctx,
            background_ctx,
            http_session_ctx,
            collector_ctx,
            subscriptions_ctx,
            jobs_ctx,
            library_ctx,
            catalog_ctx,
            requests_ctx,
            webhooks_ctx,
            discovery_ctx,  # last: advertise once all runs, say goodbye first
        ]
    )
    return app
