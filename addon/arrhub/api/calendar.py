"""`/api/v1/calendar` and the iCalendar feed `/api/v1/calendar.ics`."""

from __future__ import annotations

from arrhub.http.routes import Route

ROUTES: tuple[Route, ...] = ()
