"""`/api/v1/library`: refresh, stats, search and browse, item detail, export (issue 7)."""

from __future__ import annotations

from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = ()
