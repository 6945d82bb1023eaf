"""`/api/v1/jobs`: work longer than a request, its state and progress."""

from __future__ import annotations

from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = ()
