"""The fake Servarr's catalog endpoints (see `servarr.py` for the shared behaviour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.servarr import FakeArrState


def add_catalog_routes(app: web.Application, state: FakeArrState) -> None:
    """Add the catalog routes for `state.product` under its API root."""
