"""Look up titles at the *arrs, add and delete them, root folders and profiles for pickers."""

from __future__ import annotations

from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = ()
