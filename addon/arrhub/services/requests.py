"""Media requests over Overseerr, Jellyseerr and Ombi (REQ-1, REQ-2).

The list is read live from every enabled request manager at once (each paged upstream at
<= 100 per call and bounded to 2000 requests per instance), merged, then filtered, sorted
and paginated here. One failing instance is named in `stale_instances` and the others
answer. What an instance answered is kept for `CACHE_SECONDS` (and concurrent readers
share one upstream read), so a dashboard and Home Assistant polling together do not
multiply upstream calls; whatever the hub changes itself (create, approve, decline, an
inbound webhook) drops that instance's copy at once.

Who sees what: admins everything; a user only the requests they made, i.e. whose requester
is known upstream by a login name (username, Plex or Jellyfin username) or an email equal
to the hub user's name, ignoring case. A user's request is created at the upstream as the
upstream user found that way; without one it is refused (403) rather than filed under the
admin key's owner.

Events: `request.created|approved|declined` when done through the hub, and the same plus
`request.available` when an upstream's webhook reports it (`webhook.received` from
overseerr, jellyseerr, ombi). A change is announced once: the first of the hub's own
announcement and the upstream's echo claims (instance, request, event) — and (instance,
TMDB/TVDB id, event), since Ombi's webhook names a TV request by its child's id — for a
minute, and the other is dropped. The event bus can show an event to admins or to holders
of *arr tags, not to one particular user, so request events are admin-only (`visibility
"admin"`); users see their requests' state through `GET /api/v1/requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from arrhub.adapters.categories import REQUESTS_PER_INSTANCE, RequestsAdapter
from arrhub.adapters.errors import NotFoundUpstream
from arrhub.auth.principal import Principal
from arrhub.collector import Collector
from arrhub.errors import Forbidden, HubError, NotFound, ValidationFailed
from arrhub.events import Event, EventBus, Subscription
from arrhub.keys import COLLECTOR, DATABASE, EVENTS, REQUESTS
from arrhub.models.requests import (
    Req,
    RequestCountsOut,
    RequestCreate,
    RequestsPage,
    RequestsQuery,
)
from arrhub.models.upstream import MediaRequest, RequestStatus
from arrhub.store.instances import InstancesRepository

LOGGER = logging.getLogger(__name__)

CACHE_SECONDS = 15.0
#: A whole instance's read may take this long (first reads look titles up) before it is stale.
LIST_TIMEOUT = 60.0
#: How long a webhook's republication may wait on the upstream for the request's details.
DETAIL_TIMEOUT = 5.0
DEDUPE_SECONDS = 60.0
WEBHOOK_SOURCES = frozenset({"overseerr", "jellyseerr", "ombi"})
#: Inbound webhook event types (snake-cased upstream names) -> what is republished.
WEBHOOK_EVENTS = {
    "media_pending": "request.created",
    "media_auto_approved": "request.created",
    "media_auto_requested": "request.created",
    "media_approved": "request.approved",
    "media_declined": "request.declined",
    "media_available": "request.available",
}
STATUS = {
    RequestStatus.PENDING: "pending",
    RequestStatus.APPROVED: "approved",
    RequestStatus.DECLINED: "declined",
    RequestStatus.FAILED: "failed",
    RequestStatus.PROCESSING: "processing",
    RequestStatus.PARTIALLY_AVAILABLE: "processing",
    RequestStatus.AVAILABLE: "available",
    RequestStatus.UNKNOWN: "unknown",
}
STATUS_ORDER = {
    s: n
    for n, s in enumerate(
        ("pending", "approved", "processing", "available", "declined", "failed", "unknown")
    )
}
#: The bus shows `webhook.received` to admins only: the service listens as one.
LISTENER = Principal(username="arrhub-requests", role="admin", via="api_key")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `Amélie` and `AMELIE` fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, slots=True)
class Row:
    """A request and who may see it."""

    req: Req
    names: frozenset[str]
    folded_title: str

    def visible_to(self, principal: Principal) -> bool:
        return principal.is_admin or principal.username.casefold() in self.names


def to_req(instance_id: str, key: str, record: MediaRequest) -> Req:
    return Req(
        id=f"{instance_id}:{key}",
        instance_id=instance_id,
        upstream_id=key,
        type=record.media_type,
        title=record.title,
        year=record.year,
        status=STATUS[record.status],
        partially_available=record.status is RequestStatus.PARTIALLY_AVAILABLE,
        requested_by=record.requested_by,
        requested_at=record.created_at,
        updated_at=record.updated_at,
        tmdb_id=record.tmdb_id,
        tvdb_id=record.tvdb_id,
        seasons=list(record.seasons),
        poster_url=record.poster_url,
        is_4k=record.is_4k,
    )


def _row(instance_id: str, adapter: RequestsAdapter, record: MediaRequest) -> Row:
    req = to_req(instance_id, adapter.request_key(record), record)
    return Row(req=req, names=frozenset(record.requester_names), folded_title=fold(req.title or ""))


def _sort_key(sort: str) -> tuple[Callable[[Row], Any], bool]:
    def moment(row: Row) -> float:
        at = row.req.requested_at
        return at.timestamp() if at is not None else float("-inf")

    if sort == "oldest":
        return (lambda r: (r.req.requested_at is None, moment(r), r.req.id)), False
    if sort == "title":
        return (lambda r: (not r.folded_title, r.folded_title, -moment(r), r.req.id)), False
    if sort == "status":
        return (lambda r: (STATUS_ORDER[r.req.status], -moment(r), r.req.id)), False
    return (lambda r: (r.req.requested_at is not None, moment(r), r.req.id)), True


def count(rows: list[Row]) -> RequestCountsOut:
    tally: dict[str, int] = {}
    for row in rows:
        tally[row.req.status] = tally.get(row.req.status, 0) + 1
    return RequestCountsOut(
        pending=tally.get("pending", 0),
        approved=tally.get("approved", 0),
        declined=tally.get("declined", 0),
        processing=tally.get("processing", 0),
        available=tally.get("available", 0),
        failed=tally.get("failed", 0),
        total=len(rows),
    )


class RequestsService:
    def __init__(
        self,
        collector: Collector,
        instances: InstancesRepository,
        bus: EventBus,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._collector = collector
        self._instances = instances
        self._bus = bus
        self._cache_seconds = cache_seconds
        self._clock = clock
        #: instance id -> (read at, the adapter that read it, its requests)
        self._cache: dict[str, tuple[float, RequestsAdapter, list[MediaRequest]]] = {}
        self._reading: dict[str, asyncio.Task[list[MediaRequest]]] = {}
        self._claims: dict[tuple[Any, ...], float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._subscription: Subscription | None = None
        self._listener: asyncio.Task[None] | None = None
        self._busy = 0
        self._closed = False

    # ---- instances -------------------------------------------------------------------

    def _managers(self, instance_id: str | None = None) -> list[tuple[str, RequestsAdapter]]:
        found = []
        for snap in self._collector.snapshots().values():
            if snap.category != "requests":
                continue
            if instance_id is not None and snap.instance_id != instance_id:
                continue
            adapter = self._collector.adapter(snap.instance_id)
            if isinstance(adapter, RequestsAdapter):
                found.append((snap.instance_id, adapter))
        if instance_id is not None and not found:
            raise NotFound(f"no enabled request manager {instance_id!r}")
        return sorted(found)

    async def _default_manager(self) -> tuple[str, RequestsAdapter]:
        """The first enabled request manager, in the order they were added (then by name)."""
        records = sorted(
            await self._instances.all(), key=lambda r: (r.created_at, r.config.name.casefold())
        )
        for record in records:
            adapter = self._collector.adapter(record.config.id)
            if record.config.enabled and isinstance(adapter, RequestsAdapter):
                return record.config.id, adapter
        raise ValidationFailed("no request manager (Overseerr, Jellyseerr, Ombi) is enabled")

    def forget(self, instance_id: str) -> None:
        """Drop what was read from an instance: the next list reads it again."""
        self._cache.pop(instance_id, None)

    # ---- reading ---------------------------------------------------------------------

    async def _requests_of(self, instance_id: str, adapter: RequestsAdapter) -> list[MediaRequest]:
        cached = self._cache.get(instance_id)
        if (
            cached is not None
            and cached[1] is adapter
            and self._clock() - cached[0] < self._cache_seconds
        ):
            return cached[2]
        task = self._reading.get(instance_id)
        if task is None:
            task = asyncio.create_task(
                self._read(instance_id, adapter), name=f"requests-{instance_id}"
            )
            self._reading[instance_id] = task
            task.add_done_callback(lambda done: self._read_done(instance_id, done))
        async with asyncio.timeout(LIST_TIMEOUT):
            return await asyncio.shield(task)

    async def _read(self, instance_id: str, adapter: RequestsAdapter) -> list[MediaRequest]:
        started = self._clock()
        records = await adapter.all_requests(REQUESTS_PER_INSTANCE)
        self._cache[instance_id] = (started, adapter, records)
        return records

    def _read_done(self, instance_id: str, task: asyncio.Task[list[MediaRequest]]) -> None:
        if self._reading.get(instance_id) is task:
            del self._reading[instance_id]
        if not task.cancelled():
            task.exception()  # retrieved: a failed read is reported to its readers

    async def rows(self, instance_id: str | None = None) -> tuple[list[Row], list[str]]:
        """Every request of every (or one) request manager, and the instances that failed."""
        managers = self._managers(instance_id)
        answers = await asyncio.gather(
            *(self._requests_of(iid, adapter) for iid, adapter in managers),
            return_exceptions=True,
        )
        rows: list[Row] = []
        stale: list[str] = []
        for (iid, adapter), answer in zip(managers, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, HubError | TimeoutError):
                    LOGGER.warning("reading requests of %s failed", iid, exc_info=answer)
                else:
                    LOGGER.info("requests of %s unavailable: %s", iid, answer)
                stale.append(iid)
                continue
            rows.extend(_row(iid, adapter, record) for record in answer)
        return rows, stale

    async def page(self, principal: Principal, query: RequestsQuery) -> RequestsPage:
        rows, stale = await self.rows(query.instance_id)
        visible = [row for row in rows if row.visible_to(principal)]
        counts = count(visible)
        words = fold(query.q).split() if query.q else []
        chosen = [
            row
            for row in visible
            if (query.status is None or row.req.status == query.status)
            and (query.type is None or row.req.type == query.type)
            and all(word in row.folded_title for word in words)
        ]
        key, reverse = _sort_key(query.sort)
        chosen.sort(key=key, reverse=reverse)
        window = chosen[query.offset : query.offset + query.limit]
        return RequestsPage(
            items=[row.req for row in window],
            total=len(chosen),
            limit=query.limit,
            offset=query.offset,
            counts=counts,
            stale_instances=stale,
        )

    async def pending_counts(self) -> dict[str, int]:
        """Pending requests per request manager, from the collector's snapshots (no calls)."""
        found: dict[str, int] = {}
        for snap in self._collector.snapshots().values():
            if snap.category != "requests":
                continue
            counts = snap.data.get("counts")
            pending = counts.get("pending") if isinstance(counts, dict) else None
            if isinstance(pending, int):
                found[snap.instance_id] = pending
        return found

    # ---- changing --------------------------------------------------------------------

    async def create(self, principal: Principal, body: RequestCreate) -> Req:
        if body.instance_id is not None:
            instance_id, adapter = self._managers(body.instance_id)[0]
        else:
            instance_id, adapter = await self._default_manager()
        user = None
        if not principal.is_admin:
            user = await adapter.find_user(principal.username)
            if user is None:
                raise Forbidden(
                    f"{adapter.label} has no user whose login name or email is "
                    f"{principal.username!r}, so the request cannot be made as you: ask an "
                    "admin to link your account there, or to request the title for you"
                )
        seasons = body.seasons if isinstance(body.seasons, list) else None
        record = await adapter.create_request(
            body.type, body.tmdb_id, None if body.type == "movie" else seasons, user=user
        )
        return self._changed(instance_id, adapter, record, "request.created")

    async def decide(self, request_id: str, *, approve: bool) -> Req:
        instance_id, _, key = request_id.partition(":")
        try:
            _, adapter = self._managers(instance_id)[0]
        except NotFound:
            raise NotFound(f"no request {request_id} (no such request manager)") from None
        try:
            record = await adapter.set_status(key, approve=approve)
        except NotFoundUpstream:
            raise NotFound(f"no request {request_id}") from None
        event = "request.approved" if approve else "request.declined"
        return self._changed(instance_id, adapter, record, event)

    def _changed(
        self, instance_id: str, adapter: RequestsAdapter, record: MediaRequest, event: str
    ) -> Req:
        req = to_req(instance_id, adapter.request_key(record), record)
        self.forget(instance_id)
        self._background(self._refresh(instance_id))  # the summary's pending counts
        self._announce(event, req)
        return req

    async def _refresh(self, instance_id: str) -> None:
        with contextlib.suppress(HubError, KeyError):
            await self._collector.refresh(instance_id)

    def _background(self, coro: Any) -> None:
        if self._closed:
            coro.close()
            return
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- events ----------------------------------------------------------------------

    def _claim(self, *keys: tuple[Any, ...]) -> bool:
        """True if none of `keys` was announced within the minute; then they are claimed."""
        now = self._clock()
        for key, at in list(self._claims.items()):
            if now - at >= DEDUPE_SECONDS:
                del self._claims[key]
        if any(key in self._claims for key in keys):
            return False
        for key in keys:
            self._claims[key] = now
        return True

    @staticmethod
    def _keys(
        instance: str, event: str, key: str | None, media: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        keys: list[tuple[Any, ...]] = []
        if key is not None:
            keys.append((instance, event, "request", key))
        for name in ("tmdb_id", "tvdb_id"):
            if media.get(name):
                keys.append((instance, event, "media", media[name]))
        return keys

    def _announce(self, event: str, req: Req) -> None:
        media = {"tmdb_id": req.tmdb_id, "tvdb_id": req.tvdb_id}
        if self._claim(*self._keys(req.instance_id, event, req.upstream_id, media)):
            self._bus.publish(
                event, req.model_dump(mode="json"), instance_id=req.instance_id, visibility="admin"
            )

    async def _on_webhook(self, event: Event) -> None:
        data = event.data
        source = data.get("source")
        published = WEBHOOK_EVENTS.get(str(data.get("event_type")))
        if source not in WEBHOOK_SOURCES or published is None or data.get("test"):
            return
        ids: dict[str, Any] = data.get("ids") or {}
        instance = event.instance_id
        media_type = str(ids.get("media_type", "")).casefold()
        kind = "tv" if "tv" in media_type or "show" in media_type else "movie"
        request_id = ids.get("request_id")
        key = None
        if request_id is not None:
            key = f"{kind}-{request_id}" if source == "ombi" else str(request_id)
        media = {"tmdb_id": ids.get("tmdb_id"), "tvdb_id": ids.get("tvdb_id")}
        if source == "ombi" and ids.get("provider_id"):
            # Ombi's providerId is the TMDB id of a movie, the TVDB id of a show.
            media["tmdb_id" if kind == "movie" else "tvdb_id"] = ids["provider_id"]
        where = instance or f"?{source}"
        if not self._claim(*self._keys(where, published, key, media)):
            return
        if instance is not None:
            self.forget(instance)
        req = await self._detail(instance, key, kind, source)
        payload = (
            req.model_dump(mode="json")
            if req is not None
            else {
                "id": f"{instance}:{key}" if instance and key else None,
                "instance_id": instance,
                "upstream_id": key,
                "type": kind,
                "title": data.get("title"),
                "requested_by": ids.get("requested_by"),
                "tmdb_id": media["tmdb_id"],
                "tvdb_id": media["tvdb_id"],
            }
        )
        payload["source"] = source
        self._bus.publish(published, payload, instance_id=instance, visibility="admin")

    async def _detail(
        self, instance: str | None, key: str | None, kind: str, source: str
    ) -> Req | None:
        """The request as the upstream has it now, when it can say within a few seconds."""
        if instance is None or key is None or (source == "ombi" and kind == "tv"):
            return None  # Ombi's TV webhooks name the child request, not the show's
        adapter = self._collector.adapter(instance)
        if not isinstance(adapter, RequestsAdapter):
            return None
        try:
            async with asyncio.timeout(DETAIL_TIMEOUT):
                record = await adapter.get_request(key)
        except (HubError, TimeoutError):
            return None
        return to_req(instance, adapter.request_key(record), record)

    async def _listen(self) -> None:
        """Republish request webhooks; resubscribe if the bus dropped a slow subscription."""
        while not self._closed:
            subscription = self._bus.subscribe(topics=["webhook.received"], principal=LISTENER)
            self._subscription = subscription
            async for event in subscription:
                self._busy += 1
                try:
                    await self._on_webhook(event)
                except Exception:  # one bad delivery must not end the listener
                    LOGGER.warning("republishing a request webhook failed", exc_info=True)
                finally:
                    self._busy -= 1

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="requests-webhooks")

    async def idle(self) -> None:
        """Wait until queued webhooks are republished and background work is done (tests)."""
        while True:
            pending = [t for t in self._tasks if not t.done()]
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                continue
            subscription = self._subscription
            if self._busy or (subscription is not None and not subscription.queue.empty()):
                await asyncio.sleep(0.01)
                continue
            return

    async def close(self) -> None:
        self._closed = True
        if self._subscription is not None:
            self._subscription.close()
        tasks = [
            *([self._listener] if self._listener else []),
            *self._tasks,
            *self._reading.values(),
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def requests_ctx(app: web.Application) -> AsyncIterator[None]:
    service = RequestsService(app[COLLECTOR], InstancesRepository(app[DATABASE]), app[EVENTS])
    app[REQUESTS] = service
    await service.start()
    yield
    await service.close()
