"""`/api/v1/requests`: Overseerr, Jellyseerr and Ombi requests in one list; create, decide."""

from __future__ import annotations

from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = ()
