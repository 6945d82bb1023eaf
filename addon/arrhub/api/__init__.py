"""One module per resource; `ROUTES` is the whole registry, in one place."""

from __future__ import annotations

from arrhub.api import (
    auth,
    calendar,
    catalog,
    clients,
    docs,
    downloads,
    events,
    instances,
    jobs,
    library,
    requests,
    subscriptions,
    summary,
    system,
    users,
    webhooks,
)
from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = (
    *system.ROUTES,
    *auth.ROUTES,
    *users.ROUTES,
    *instances.ROUTES,
    *summary.ROUTES,
    *clients.ROUTES,
    *downloads.ROUTES,
    *jobs.ROUTES,
    *library.ROUTES,
    *catalog.ROUTES,
    *calendar.ROUTES,
    *requests.ROUTES,
    *subscriptions.ROUTES,
    *webhooks.ROUTES,
    *events.ROUTES,
    *docs.ROUTES,
)
