"""In-process publish/subscribe: the one source of SSE, WebSocket rooms and outbound webhooks.

Publishing never waits on a subscriber: each subscriber has a bounded queue filled with
`put_nowait`; one that falls too far behind is dropped (its stream ends, the client
reconnects with `Last-Event-ID` and catches up from the replay buffer). Event ids are
`<boot>-<n>`: `n` grows by one per event, `boot` changes when the hub restarts, so a
client can tell "I missed nothing" from "the hub restarted, refetch".
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from arrhub.auth.principal import Principal
from arrhub.timeutil import iso, utcnow

LOGGER = logging.getLogger(__name__)

REPLAY_SIZE = 2000
QUEUE_SIZE = 512

Visibility = Literal["all", "admin", "tagged"]

#: The catalogue: every event type the hub publishes, with what it means.
CATALOGUE: dict[str, str] = {
    "test": "published by POST /api/v1/system/test-event, to check a subscriber's wiring",
    "instance.health_changed": "an instance became reachable or unreachable, or its upstream "
    "health messages changed",
    "instance.added": "an instance was added",
    "instance.updated": "an instance's config changed",
    "instance.removed": "an instance was deleted",
    "download.added": "a new item appeared in a download client",
    "download.completed": "an item finished downloading",
    "download.failed": "an item failed",
    "download.removed": "an item left the client",
    "download.state_changed": "an item changed state (paused, resumed, stalled, ...)",
    "webhook.received": "an upstream's webhook arrived (after its secret was checked)",
    "job.started": "a job (e.g. a library refresh) started",
    "job.progress": "a running job reported progress",
    "job.finished": "a job ended: succeeded, failed or cancelled",
    "library.refreshed": "an instance's library cache was refreshed (counts of what changed)",
    "library.item_added": "a title was added to an *arr instance through the hub",
    "library.item_deleted": "a title was deleted from an *arr instance through the hub",
    "request.created": "a media request was created (through the hub or seen at the upstream)",
    "request.approved": "a media request was approved",
    "request.declined": "a media request was declined",
    "request.available": "a requested title became available",
}


def topic_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]
    instance_id: str | None = None
    visibility: Visibility = "admin"
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def topic(self) -> str:
        return topic_of(self.type)

    def visible_to(self, principal: Principal | None) -> bool:
        """Admins see everything; users see public events and those of their tags."""
        if principal is None:
            return False
        if principal.is_admin or self.visibility == "all":
            return True
        return self.visibility == "tagged" and bool(self.tags & set(principal.tags))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "at": iso(self.at),
            "instance_id": self.instance_id,
            "data": self.data,
        }


class Subscription:
    """One subscriber's view of the bus: an async iterator of the events it may see."""

    def __init__(
        self, bus: EventBus, topics: frozenset[str] | None, principal: Principal | None
    ) -> None:
        self._bus = bus
        self.topics = topics
        self.principal = principal
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False
        self.closed = False

    def wants(self, event: Event) -> bool:
        if (
            self.topics is not None
            and event.topic not in self.topics
            and event.type not in self.topics
        ):
            return False
        return event.visible_to(self.principal)

    def offer(self, event: Event) -> None:
        if self.closed or not self.wants(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._bus.detach(self)
        # Wake a reader blocked on get(). A full queue has no reader waiting: it drains
        # what is queued, then get() sees closed-and-empty. Dropping an entry to make room
        # would leave a gap that a resume with Last-Event-ID could not notice.
        if not self.queue.full():
            self.queue.put_nowait(None)

    async def get(self) -> Event | None:
        """The next event, or None once the subscription is closed."""
        if self.closed and self.queue.empty():
            return None
        return await self.queue.get()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event


class EventBus:
    def __init__(self, *, replay_size: int = REPLAY_SIZE) -> None:
        self.boot = secrets.token_hex(4)
        self._seq = itertools.count(1)
        self._replay: deque[Event] = deque(maxlen=replay_size)
        self._subscribers: set[Subscription] = set()
        self.published = 0

    def publish(
        self,
        event_type: str,
        data: dict[str, Any] | None = None,
        *,
        instance_id: str | None = None,
        visibility: Visibility = "admin",
        tags: Iterable[str] = (),
    ) -> Event:
        if event_type not in CATALOGUE:
            raise ValueError(f"event type {event_type!r} is not in the catalogue")
        seq = next(self._seq)
        event = Event(
            id=f"{self.boot}-{seq}",
            seq=seq,
            type=event_type,
            at=utcnow(),
            data=data or {},
            instance_id=instance_id,
            visibility=visibility,
            tags=frozenset(tags),
        )
        self._replay.append(event)
        self.published += 1
        for subscriber in list(self._subscribers):
            subscriber.offer(event)
        return event

    def subscribe(
        self, *, topics: Iterable[str] | None = None, principal: Principal | None = None
    ) -> Subscription:
        subscription = Subscription(
            self, frozenset(topics) if topics is not None else None, principal
        )
        self._subscribers.add(subscription)
        return subscription

    def detach(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def replay_after(self, last_event_id: str) -> tuple[list[Event], bool]:
        """Events after `last_event_id` and whether that is all of them.

        False when the id is from another boot or older than the buffer: the client
        missed events it cannot get back, and should refetch state.
        """
        boot, _, raw = last_event_id.partition("-")
        if boot != self.boot or not raw.isdigit():
            return list(self._replay), False
        seq = int(raw)
        complete = not self._replay or self._replay[0].seq <= seq + 1
        return [e for e in self._replay if e.seq > seq], complete

    def close_all(self) -> None:
        """At shutdown: end every stream so in-flight SSE/WebSocket handlers return."""
        for subscriber in list(self._subscribers):
            subscriber.close()
