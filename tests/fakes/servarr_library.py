"""The fake Servarr's library endpoints (see `servarr.py` for the shared behaviour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.servarr import FakeArrState


def add_library_routes(app: web.Application, state: FakeArrState) -> None:
    """Add the library routes for `state.product` under its API root."""
