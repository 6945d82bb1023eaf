"""Search now, rescan and monitor one library item at its *arr (LIB-3, LIB-9).

Live calls to the upstream, addressed by the library's item id
`<instance_id>:<movie|series|artist>:<upstream_id>`. Searches and rescans are commands
the *arr runs on its own: the reply names the started command, nothing waits for it.
Monitoring changes one field through the *arr's bulk editor, then re-reads the title into
the library cache, so a list filtered by `monitored` shows the change at once (the
artist watchlist is `type=artist&monitored=true`).
"""

from __future__ import annotations

import logging
import sqlite3

from aiohttp import web

from arrhub.adapters.categories import ArrAdapter
from arrhub.errors import HubError, NotFound, ValidationFailed
from arrhub.keys import COLLECTOR, LIBRARY
from arrhub.models.library_actions import CommandAccepted, MonitorReply, SearchBody
from arrhub.models.upstream import CommandStatus

LOGGER = logging.getLogger(__name__)

ARR_KINDS = frozenset({"sonarr", "radarr", "lidarr"})
#: The children a title kind has, as named in child ids.
CHILD_KIND = {"series": "episode", "artist": "album"}


class LibraryActions:
    def __init__(self, app: web.Application) -> None:
        self._app = app

    def _target(self, item_id: str) -> tuple[str, str, int, ArrAdapter]:
        """The item's instance, kind, upstream id and adapter.

        Unknown instance: 404; an instance that is not a Sonarr/Radarr/Lidarr, is
        disabled, or holds another kind of title: 422 (the id cannot name an item there).
        """
        instance_id, kind, raw = item_id.split(":")  # the path pattern guarantees the form
        collector = self._app[COLLECTOR]
        snapshot = collector.snapshot(instance_id)
        if snapshot is None:
            raise NotFound(f"no instance {instance_id}")
        if snapshot.kind not in ARR_KINDS:
            raise ValidationFailed(f"instance {instance_id} is not a Sonarr, Radarr or Lidarr")
        adapter = collector.adapter(instance_id)
        if not isinstance(adapter, ArrAdapter):
            raise ValidationFailed(f"instance {instance_id} is disabled")
        if adapter.library_kind != kind:
            raise ValidationFailed(
                f"instance {instance_id} holds {adapter.library_kind} titles, not {kind}"
            )
        return instance_id, kind, int(raw), adapter

    @staticmethod
    def _children(instance_id: str, kind: str, body: SearchBody) -> list[int]:
        """Upstream ids of the child ids, checked against the item's instance and kind."""
        if not body.child_ids:
            return []
        wanted = CHILD_KIND.get(kind)
        if wanted is None:
            raise ValidationFailed(f"a {kind} has no episodes or albums to search")
        ids: list[int] = []
        for child_id in body.child_ids:
            child_instance, child_kind, raw = child_id.split(":")
            if child_instance != instance_id or child_kind != wanted:
                raise ValidationFailed(
                    f"{child_id} is not an {wanted} of this {kind}",
                    errors=[{"loc": ["body", "child_ids"], "msg": f"not an {wanted} here",
                             "type": "value_error"}],
                )  # fmt: skip
            ids.append(int(raw))
        return list(dict.fromkeys(ids))

    @staticmethod
    def _accepted(instance_id: str, item_id: str, status: CommandStatus) -> CommandAccepted:
        return CommandAccepted(
            command_id=status.id, instance_id=instance_id, item_id=item_id, name=status.name,
            state=status.status,
        )  # fmt: skip

    async def search(self, item_id: str, body: SearchBody) -> CommandAccepted:
        instance_id, kind, upstream_id, adapter = self._target(item_id)
        if body.season_number is not None and kind != "series":
            raise ValidationFailed(f"a {kind} has no seasons")
        children = self._children(instance_id, kind, body)
        if body.season_number is not None and children:
            raise ValidationFailed("give `season_number` or `child_ids`, not both")
        status = await adapter.search_item(
            upstream_id, season=body.season_number, child_ids=children or None
        )
        LOGGER.info("library: %s started for %s (command %s)", status.name, item_id, status.id)
        return self._accepted(instance_id, item_id, status)

    async def rescan(self, item_id: str) -> CommandAccepted:
        instance_id, _, upstream_id, adapter = self._target(item_id)
        status = await adapter.rescan_item(upstream_id)
        LOGGER.info("library: %s started for %s (command %s)", status.name, item_id, status.id)
        return self._accepted(instance_id, item_id, status)

    async def set_monitored(self, item_id: str, monitored: bool) -> MonitorReply:
        instance_id, kind, upstream_id, adapter = self._target(item_id)
        now = await adapter.set_monitored(upstream_id, monitored)
        try:
            await self._app[LIBRARY].refresh_item(instance_id, kind, upstream_id)
        except (HubError, sqlite3.Error):  # the change is made; the next refresh shows it
            LOGGER.warning("library: re-reading %s after a monitor change failed", item_id,
                           exc_info=True)  # fmt: skip
        return MonitorReply(id=item_id, monitored=now)


__all__ = ["LibraryActions"]
