"""Request and reply models of `/api/v1/requests` (REQ-1, REQ-2).

A `Req` is one media request at one Overseerr, Jellyseerr or Ombi instance, in the hub's
words: its id is `<instance_id>:<upstream key>` (the upstream key is the request's id
there, `movie-<id>`/`tv-<id>` for Ombi, whose movie and TV requests are numbered apart).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from arrhub.models.common import PageQuery, ReplyModel, RequestModel, Timestamp

ReqStatus = Literal["pending", "approved", "declined", "processing", "available", "failed"]
ReqType = Literal["movie", "tv"]
ReqSort = Literal["newest", "oldest", "title", "status"]
#: A hub request id: `<12 hex instance id>:<upstream key>`.
REQUEST_ID = r"^[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}$"


class Req(ReplyModel):
    id: str = Field(description="`<instance_id>:<upstream_id>`")
    instance_id: str
    upstream_id: str = Field(
        description="the request's id at the upstream, as text; Ombi: `movie-<id>` or `tv-<id>`"
    )
    type: ReqType
    title: str | None = Field(description="Overseerr/Jellyseerr: looked up by TMDB id, cached")
    year: int | None
    status: ReqStatus | Literal["unknown"] = Field(
        description="pending, approved (not yet sent on), processing (downloading or partly "
        "available), available, declined, failed"
    )
    partially_available: bool = Field(
        False, description="some seasons are available (status is then `processing`)"
    )
    requested_by: str | None = Field(description="the requester's name at the upstream")
    requested_at: Timestamp | None
    updated_at: Timestamp | None
    tmdb_id: int | None
    tvdb_id: int | None
    seasons: list[int] = Field(description="requested seasons (TV)")
    poster_url: str | None
    is_4k: bool = False


class RequestCountsOut(ReplyModel):
    pending: int = 0
    approved: int = 0
    declined: int = 0
    processing: int = 0
    available: int = 0
    failed: int = 0
    total: int = 0


class RequestsQuery(PageQuery):
    status: ReqStatus | None = None
    type: ReqType | None = None
    q: str | None = Field(
        None, max_length=200, description="words of the title (case and accents ignored)"
    )
    sort: ReqSort = "newest"
    instance_id: str | None = Field(None, max_length=64)


class RequestsPage(ReplyModel):
    items: list[Req]
    total: int
    limit: int
    offset: int
    counts: RequestCountsOut = Field(
        description="per status over every request the caller may see (and `instance_id`); "
        "status, type and q do not narrow them"
    )
    stale_instances: list[str] = Field(
        description="request managers that could not be read: their requests are missing"
    )


class RequestCreate(RequestModel):
    type: ReqType
    tmdb_id: int = Field(ge=1)
    seasons: list[int] | Literal["all"] | None = Field(
        None, description="TV: season numbers, or `all` (the default)"
    )
    instance_id: str | None = Field(
        None, max_length=64, description="default: the first enabled request manager"
    )

    @field_validator("seasons")
    @classmethod
    def _seasons(cls, value: list[int] | str | None) -> list[int] | str | None:
        if isinstance(value, list):
            if not value:
                raise ValueError("give at least one season, or 'all'")
            if any(n < 0 for n in value):
                raise ValueError("season numbers are 0 or more")
            return sorted(set(value))
        return value


class RequestPath(BaseModel):
    request_id: str = Field(pattern=REQUEST_ID, description="a request id from GET /requests")
