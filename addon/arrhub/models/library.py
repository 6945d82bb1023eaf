"""One *arr library as the adapters read it: top-level titles and their children.

These are the adapters' normalized shapes (LIB-1), not the API's: the library cache
stores them and adds what only it knows (item ids, `updated_at`, visibility). Field
names follow the API's LibraryItem/Child so the cache can copy them through.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from arrhub.models.common import Timestamp
from arrhub.models.upstream import Normalized

LibraryKind = Literal["movie", "series", "artist"]
ChildKind = Literal["episode", "album"]


class LibraryRecord(Normalized):
    """One top-level title (movie, series, artist) as the upstream has it now."""

    type: LibraryKind
    upstream_id: int
    title: str
    sort_title: str | None = None
    year: int | None = None
    status: str | None = Field(
        None, description="the upstream's own: continuing/ended/released/announced..."
    )
    monitored: bool = False
    quality_profile_id: int | None = None
    quality: str | None = Field(None, description="the file's quality name (movies), else None")
    genres: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="tag labels, not ids")
    rating: float | None = Field(None, description="0..10, the upstream's tmdb/imdb/tvdb value")
    size_on_disk: int = 0
    added: Timestamp | None = None
    has_file: bool = False
    child_count: int = 0
    file_count: int = 0
    missing_count: int = Field(0, description="monitored, aired/released, without a file")
    cutoff_unmet: bool = False
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_id: str | None = None
    overview: str | None = None
    poster_url: str | None = None
    path: str | None = None
    in_cinemas: Timestamp | None = None
    digital_release: Timestamp | None = None
    physical_release: Timestamp | None = None


class ChildRecord(Normalized):
    """An episode (Sonarr) or an album (Lidarr)."""

    type: ChildKind
    upstream_id: int
    parent_upstream_id: int
    season_number: int | None = None
    episode_number: int | None = None
    title: str | None = None
    air_date: Timestamp | None = Field(
        None, description="episodes: airDateUtc; albums: releaseDate"
    )
    monitored: bool = False
    has_file: bool = False
    quality: str | None = None
    size_on_disk: int = 0
    cutoff_unmet: bool = False


__all__ = ["ChildKind", "ChildRecord", "LibraryKind", "LibraryRecord"]
