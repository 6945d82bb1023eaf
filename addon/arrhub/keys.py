"""Typed application keys for the objects `create_app` shares with handlers.

A leaf module: it imports nothing of ours at run time, so handlers and services can
import it without importing `app.py` (no cycles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import ClientSession, web

if TYPE_CHECKING:
    from arrhub.api.events import LiveStreams
    from arrhub.auth.service import AuthService
    from arrhub.collector import Collector
    from arrhub.events import EventBus
    from arrhub.http.inflight import InFlight
    from arrhub.http.ratelimit import RateLimiter
    from arrhub.http.routes import Route
    from arrhub.jobs.runner import JobRunner
    from arrhub.services.catalog import CatalogService
    from arrhub.services.clients import ClientsService
    from arrhub.services.downloads import DownloadsService
    from arrhub.services.instances import InstancesService
    from arrhub.services.library import LibraryService
    from arrhub.services.requests import RequestsService
    from arrhub.services.subscriptions import SubscriptionsService
    from arrhub.services.system import SystemService
    from arrhub.services.webhooks_in import WebhooksService
    from arrhub.services.wiring import WiringService
    from arrhub.settings import Settings
    from arrhub.store.db import Database

SETTINGS: web.AppKey[Settings] = web.AppKey("arrhub_settings")
DATABASE: web.AppKey[Database] = web.AppKey("arrhub_database")
AUTH: web.AppKey[AuthService] = web.AppKey("arrhub_auth")
RATE_LIMITER: web.AppKey[RateLimiter] = web.AppKey("arrhub_rate_limiter")
SYSTEM: web.AppKey[SystemService] = web.AppKey("arrhub_system")
HTTP_SESSION: web.AppKey[ClientSession] = web.AppKey("arrhub_http_session")
ROUTE_SPECS: web.AppKey[dict[web.AbstractRoute, Route]] = web.AppKey("arrhub_route_specs")
OPENAPI: web.AppKey[bytes] = web.AppKey("arrhub_openapi")
INSTANCE_ID: web.AppKey[str] = web.AppKey("arrhub_instance_id")
IN_FLIGHT: web.AppKey[InFlight] = web.AppKey("arrhub_in_flight")
COLLECTOR: web.AppKey[Collector] = web.AppKey("arrhub_collector")
INSTANCES: web.AppKey[InstancesService] = web.AppKey("arrhub_instances")
CLIENTS: web.AppKey[ClientsService] = web.AppKey("arrhub_clients")
DOWNLOADS: web.AppKey[DownloadsService] = web.AppKey("arrhub_downloads")
EVENTS: web.AppKey[EventBus] = web.AppKey("arrhub_events")
SUBSCRIPTIONS: web.AppKey[SubscriptionsService] = web.AppKey("arrhub_subscriptions")
#: Open SSE streams and WebSockets, ended when the hub shuts down.
STREAMS: web.AppKey[LiveStreams] = web.AppKey("arrhub_streams")
WEBHOOKS: web.AppKey[WebhooksService] = web.AppKey("arrhub_webhooks")
WIRING: web.AppKey[WiringService] = web.AppKey("arrhub_wiring")
JOBS: web.AppKey[JobRunner] = web.AppKey("arrhub_jobs")
LIBRARY: web.AppKey[LibraryService] = web.AppKey("arrhub_library")
CATALOG: web.AppKey[CatalogService] = web.AppKey("arrhub_catalog")
REQUESTS: web.AppKey[RequestsService] = web.AppKey("arrhub_requests")
