"""Sonarr: TV series on the shared Servarr API (`/api/v3`, also served by Sonarr v4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from arrhub.adapters.registry import register
from arrhub.adapters.servarr_catalog import SonarrCatalog
from arrhub.adapters.servarr_library import SonarrLibrary


@register
class SonarrAdapter(SonarrLibrary, SonarrCatalog):
    kind = "sonarr"
    display_name = "Sonarr"
    category = "arr"
    product = "Sonarr"
    api_root = "api/v3"
    default_port = 8989
    media_kind = "episode"
    queue_includes: ClassVar[Mapping[str, bool]] = {
        "includeUnknownSeriesItems": True,
        "includeSeries": True,
        "includeEpisode": True,
    }
    history_includes: ClassVar[Mapping[str, bool]] = {"includeSeries": True, "includeEpisode": True}
