"""Radarr: movies on the shared Servarr API (`/api/v3`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from arrhub.adapters.registry import register
from arrhub.adapters.servarr_catalog import RadarrCatalog
from arrhub.adapters.servarr_library import RadarrLibrary


@register
class RadarrAdapter(RadarrLibrary, RadarrCatalog):
    kind = "radarr"
    display_name = "Radarr"
    category = "arr"
    product = "Radarr"
    api_root = "api/v3"
    default_port = 7878
    media_kind = "movie"
    queue_includes: ClassVar[Mapping[str, bool]] = {
        "includeUnknownMovieItems": True,
        "includeMovie": True,
    }
    history_includes: ClassVar[Mapping[str, bool]] = {"includeMovie": True}
