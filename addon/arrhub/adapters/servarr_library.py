"""Reading a Servarr library: movies (Radarr), series and episodes (Sonarr), artists and
albums (Lidarr), streamed so a 100k-title library never sits in memory at once."""

from __future__ import annotations

from arrhub.adapters.servarr import ServarrAdapter


class SonarrLibrary(ServarrAdapter):
    """Series and their episodes."""


class RadarrLibrary(ServarrAdapter):
    """Movies."""


class LidarrLibrary(ServarrAdapter):
    """Artists and their albums."""
