"""Lidarr: music on the shared Servarr API (`/api/v1`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from arrhub.adapters.registry import register
from arrhub.adapters.servarr_catalog import LidarrCatalog
from arrhub.adapters.servarr_library import LidarrLibrary


@register
class LidarrAdapter(LidarrLibrary, LidarrCatalog):
    kind = "lidarr"
    display_name = "Lidarr"
    category = "arr"
    product = "Lidarr"
    api_root = "api/v1"
    default_port = 8686
    media_kind = "album"
    queue_includes: ClassVar[Mapping[str, bool]] = {
        "includeUnknownArtistItems": True,
        "includeArtist": True,
        "includeAlbum": True,
    }
    history_includes: ClassVar[Mapping[str, bool]] = {"includeArtist": True, "includeAlbum": True}
