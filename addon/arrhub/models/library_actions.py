"""Library actions (LIB-3, LIB-9): search now, rescan, monitor (docs/api.md, "Library
actions"). The item's path parameter is the catalog's `ItemPath`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from arrhub.models.common import ReplyModel, RequestModel

#: `<instance_id>:<episode|album>:<upstream_id>`, as the library's children are named.
CHILD_ID = r"^[A-Za-z0-9_-]{1,64}:(episode|album):[0-9]{1,18}$"
MAX_CHILDREN = 500

ChildId = Annotated[str, Field(pattern=CHILD_ID)]


class SearchBody(RequestModel):
    """Optional: without either field the whole title is searched."""

    season_number: int | None = Field(
        None, ge=0, le=100_000, description="Sonarr: search this season of the series"
    )
    child_ids: list[ChildId] | None = Field(
        None,
        max_length=MAX_CHILDREN,
        description="search these episodes (Sonarr) or albums (Lidarr) of the item: "
        "`<instance_id>:episode:<id>` / `<instance_id>:album:<id>`",
    )


class CommandAccepted(ReplyModel):
    """The command the *arr started; it runs there (its progress is the *arr's)."""

    command_id: int = Field(description="the command's id at the instance")
    instance_id: str
    item_id: str
    name: str = Field(description="the *arr's command name, e.g. `SeriesSearch`")
    state: str = Field(description="queued, started, completed, failed, ... (the *arr's)")


class MonitorBody(RequestModel):
    monitored: bool = Field(strict=True, description="true: monitor the title; false: stop")


class MonitorReply(ReplyModel):
    id: str
    monitored: bool = Field(description="as the *arr has it after the change")


__all__ = ["CHILD_ID", "CommandAccepted", "MonitorBody", "MonitorReply", "SearchBody"]
