"""Politeness and fault isolation for one upstream instance (INST-6).

- `CircuitBreaker`: after `threshold` consecutive transient failures the circuit opens and
  calls fail at once for `cooldown` seconds (doubling while the instance stays dead, up to
  `max_cooldown`); then one trial call may pass (half-open). A dead instance therefore
  costs the others nothing.
- `Throttle`: at most `rate` requests per second with bursts of `burst`, awaited rather
  than refused, so a burst of work queues instead of hammering the upstream.
- `backoff_delay`: exponential backoff with full jitter, honouring `Retry-After`.
- `bulk_reads()`: the library's bulk reads (one `GET /episode?seriesId=` per series, 10k
  for a big Sonarr) skip the throttle. The polling rate (10/s by default) is a budget for
  the collector's background polling; at that pace a first library import would take
  17 minutes. Bulk reads stay bounded instead by the instance's concurrency limit
  (requests in flight, `max_concurrency`) and the reader's own window, so an upstream
  serves them back to back, never more at once than it was configured for.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_BULK: ContextVar[bool] = ContextVar("arrhub_bulk_read", default=False)


@contextmanager
def bulk_reads() -> Iterator[None]:
    """Calls made inside (in this task's context) are not throttled; see the module doc.
    Use it inside the task that makes the calls: tasks copy the context when created."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 5.0
    #: A Retry-After longer than this is not waited for: the call fails instead.
    max_retry_after: float = 30.0


def backoff_delay(
    policy: RetryPolicy,
    attempt: int,
    retry_after: float | None = None,
    *,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retry number `attempt` (1-based); None: do not retry."""
    if attempt >= policy.attempts:
        return None
    if retry_after is not None:
        return retry_after if retry_after <= policy.max_retry_after else None
    ceiling = min(policy.max_delay, policy.base_delay * float(2 ** (attempt - 1)))
    return ceiling * rng()


class CircuitBreaker:
    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 15.0,
        max_cooldown: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.base_cooldown = cooldown
        self.max_cooldown = max_cooldown
        self._clock = clock
        self.failures = 0
        self._cooldown = cooldown
        self._open_until: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self._open_until is None:
            return "closed"
        return "open" if self._clock() < self._open_until else "half_open"

    def retry_in(self) -> float:
        if self._open_until is None:
            return 0.0
        return max(0.0, self._open_until - self._clock())

    def allow(self) -> bool:
        """May a call go out now? In half-open state, only one trial at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._trial_running:
            return False
        self._trial_running = True
        return True

    def record_success(self) -> None:
        self.failures = 0
        self._open_until = None
        self._cooldown = self.base_cooldown
        self._trial_running = False

    def record_failure(self) -> None:
        self.failures += 1
        if self._trial_running:  # the trial failed: rest longer
            self._trial_running = False
            self._cooldown = min(self.max_cooldown, self._cooldown * 2)
            self._open_until = self._clock() + self._cooldown
        elif self.failures >= self.threshold:
            self._open_until = self._clock() + self._cooldown

    def reset(self) -> None:
        self.record_success()


class Throttle:
    """An async token bucket: `acquire()` waits for a token instead of failing."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self) -> None:
        if _BULK.get():
            return
        async with self._lock:
            self._refill()
            while self._tokens < 1.0:
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1.0
