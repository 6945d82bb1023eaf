"""Calendar, lookup, add and delete at a Servarr media manager, with its profiles and
import exclusions: what a user does to the catalog rather than what the hub caches."""

from __future__ import annotations

from arrhub.adapters.servarr import ServarrAdapter


class SonarrCatalog(ServarrAdapter):
    """Series: calendar of episodes, lookup by name or tvdb id, add, delete."""


class RadarrCatalog(ServarrAdapter):
    """Movies: release calendar (cinema, digital, physical), lookup, add, delete."""


class LidarrCatalog(ServarrAdapter):
    """Artists and albums: album calendar, lookup, add, delete."""
