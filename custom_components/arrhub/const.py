"""Constants of the arrhub integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "arrhub"
LOGGER = logging.getLogger(__package__)

#: The hub API major version this integration speaks (`/api/v1`).
API_VERSION: Final = 1
#: Seconds one request to the hub may take; the hub answers from snapshots, never waiting on
#: an upstream, so anything slower means it is in trouble.
REQUEST_TIMEOUT: Final = 10.0

CONF_EXCLUDED_INSTANCES: Final = "excluded_instances"
CONF_ENTITY_GROUPS: Final = "entity_groups"
#: The summary is answered from the hub's snapshots and costs next to nothing when unchanged
#: (304), so a short interval is cheap; the hub itself polls upstreams every 5-30 s.
DEFAULT_SCAN_INTERVAL: Final = 30
MIN_SCAN_INTERVAL: Final = 10
MAX_SCAN_INTERVAL: Final = 3600

GROUP_DOWNLOADS: Final = "downloads"
GROUP_STORAGE: Final = "storage"
GROUP_MEDIA: Final = "media"
GROUP_HEALTH: Final = "health"
GROUP_CONTROLS: Final = "controls"
ENTITY_GROUPS: Final = (GROUP_DOWNLOADS, GROUP_STORAGE, GROUP_MEDIA, GROUP_HEALTH, GROUP_CONTROLS)

#: The entity group of each per-instance entity key (options: "entity groups to expose").
KEY_GROUPS: Final[dict[str, str]] = {
    "queue_size": GROUP_DOWNLOADS,
    "active_downloads": GROUP_DOWNLOADS,
    "download_speed": GROUP_DOWNLOADS,
    "upload_speed": GROUP_DOWNLOADS,
    "remaining": GROUP_DOWNLOADS,
    "download": GROUP_DOWNLOADS,
    "free_space": GROUP_STORAGE,
    "sessions": GROUP_MEDIA,
    "pending_requests": GROUP_MEDIA,
    "wanted_subtitles": GROUP_MEDIA,
    "indexers_enabled": GROUP_MEDIA,
    "missing": GROUP_MEDIA,
    "cutoff_unmet": GROUP_MEDIA,
    "movies": GROUP_MEDIA,
    "series": GROUP_MEDIA,
    "episodes": GROUP_MEDIA,
    "artists": GROUP_MEDIA,
    "albums": GROUP_MEDIA,
    "request": GROUP_MEDIA,
    "connectivity": GROUP_HEALTH,
    "problem": GROUP_HEALTH,
    "health_issues": GROUP_HEALTH,
    "latency": GROUP_HEALTH,
    "health": GROUP_HEALTH,
    "paused": GROUP_CONTROLS,
    "alt_speed": GROUP_CONTROLS,
    "refresh": GROUP_CONTROLS,
}

#: How long the hub or an upstream must be down before a repair issue says so.
REPAIR_AFTER: Final = timedelta(minutes=30)

ZEROCONF_TYPE: Final = "_arrhub._tcp.local."

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_INSTANCE_ID: Final = "instance_id"
ATTR_DOWNLOAD_ID: Final = "download_id"
ATTR_STATE: Final = "state"
ATTR_LIMIT: Final = "limit"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_TYPE: Final = "type"
ATTR_QUERY: Final = "query"
ATTR_IN_LIBRARY_ONLY: Final = "in_library_only"
ATTR_TMDB_ID: Final = "tmdb_id"
ATTR_TVDB_ID: Final = "tvdb_id"
ATTR_MUSICBRAINZ_ID: Final = "musicbrainz_id"
ATTR_ROOT_FOLDER: Final = "root_folder"
ATTR_QUALITY_PROFILE_ID: Final = "quality_profile_id"
ATTR_MONITOR: Final = "monitor"
ATTR_SEARCH_NOW: Final = "search_now"
ATTR_STATUS: Final = "status"
ATTR_SEASONS: Final = "seasons"
ATTR_REQUEST_ID: Final = "request_id"

SERVICE_PAUSE_DOWNLOADS: Final = "pause_downloads"
SERVICE_RESUME_DOWNLOADS: Final = "resume_downloads"
SERVICE_REFRESH_INSTANCE: Final = "refresh_instance"
SERVICE_GET_QUEUE: Final = "get_queue"
SERVICE_BLOCKLIST_AND_SEARCH: Final = "blocklist_and_search"
SERVICE_GET_CALENDAR: Final = "get_calendar"
SERVICE_SEARCH_TITLES: Final = "search_titles"
SERVICE_ADD_TITLE: Final = "add_title"
SERVICE_GET_REQUESTS: Final = "get_requests"
SERVICE_REQUEST_TITLE: Final = "request_title"
SERVICE_APPROVE_REQUEST: Final = "approve_request"
SERVICE_DECLINE_REQUEST: Final = "decline_request"

#: Download states the hub reports (`GET /api/v1/downloads`, `status`).
DOWNLOAD_STATES: Final = (
    "downloading", "seeding", "paused", "queued", "stalled", "checking", "moving",
    "processing", "completed", "failed", "unknown",
)  # fmt: skip
CALENDAR_TYPES: Final = ("episode", "movie", "album")
TITLE_TYPES: Final = ("tv", "movie", "music")
REQUEST_TYPES: Final = ("movie", "tv")
REQUEST_STATUSES: Final = (
    "pending", "approved", "declined", "processing", "available", "failed",
)  # fmt: skip
MONITOR_OPTIONS: Final = (
    "all", "future", "missing", "existing", "first_season", "latest_season", "latest",
    "first", "none", "movieOnly", "movieAndCollection",
)  # fmt: skip

#: Upstream categories that are download clients.
DOWNLOAD_CATEGORIES: Final = frozenset({"usenet", "torrent"})
CAP_GLOBAL_PAUSE: Final = "global_pause"
CAP_ALT_SPEED: Final = "alt_speed"
CAP_QUEUE: Final = "queue"
#: How long the calendar entity reuses what the hub answered for one window.
CALENDAR_CACHE: Final = timedelta(minutes=1)
#: How far ahead the calendar entity looks for its next entry (its state).
CALENDAR_AHEAD: Final = timedelta(days=14)

TYPE_NAMES: Final[dict[str, str]] = {
    "sonarr": "Sonarr",
    "radarr": "Radarr",
    "lidarr": "Lidarr",
    "prowlarr": "Prowlarr",
    "bazarr": "Bazarr",
    "overseerr": "Overseerr",
    "jellyseerr": "Jellyseerr",
    "ombi": "Ombi",
    "sabnzbd": "SABnzbd",
    "nzbget": "NZBGet",
    "qbittorrent": "qBittorrent",
    "transmission": "Transmission",
    "rtorrent": "rTorrent",
    "deluge": "Deluge",
    "plex": "Plex Media Server",
    "jellyfin": "Jellyfin",
    "emby": "Emby",
    "tautulli": "Tautulli",
}
CATEGORY_MODELS: Final[dict[str, str]] = {
    "arr": "Media manager",
    "indexer": "Indexer manager",
    "subtitles": "Subtitle manager",
    "requests": "Request manager",
    "usenet": "Usenet download client",
    "torrent": "Torrent client",
    "media_server": "Media server",
    "stats": "Statistics",
}


def signal_health_event(entry_id: str, instance_id: str) -> str:
    """Dispatcher signal for one instance's health events: per entry, never global."""
    return f"{DOMAIN}_{entry_id}_{instance_id}_health"


def signal_download_event(entry_id: str, instance_id: str) -> str:
    """Dispatcher signal for one instance's download events (push): per entry."""
    return f"{DOMAIN}_{entry_id}_{instance_id}_download"


def signal_request_event(entry_id: str, instance_id: str) -> str:
    """Dispatcher signal for one request manager's request events (push): per entry."""
    return f"{DOMAIN}_{entry_id}_{instance_id}_request"


#: Fired on Home Assistant's bus for every event the hub pushes.
EVENT_ARRHUB: Final = "arrhub_event"
#: Entry data: the webhook id and the HMAC secret push uses, made once and kept.
CONF_WEBHOOK_SECRET: Final = "webhook_secret"  # noqa: S105 - a key name, not a secret
#: Event topics and types Home Assistant subscribes to at the hub.
PUSH_EVENTS: Final = ("download", "instance", "library", "request", "test")
#: Seconds a delivery's timestamp may be off from now (docs/api.md, Verifying a delivery).
PUSH_MAX_SKEW: Final = 300
#: How often push asks the hub whether it restarted (then subscribes again).
PUSH_CHECK_INTERVAL: Final = timedelta(minutes=5)
