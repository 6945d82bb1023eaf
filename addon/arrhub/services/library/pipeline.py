"""Writing batches while the next ones are read.

A refresh alternates between two kinds of work: parsing the upstream's reply (this
thread) and SQLite inserting rows and keeping the FTS indexes (aiosqlite's thread, which
runs without the GIL inside SQLite). Done one after the other, one core idles at any
moment; with a small queue between them the next batch is parsed while the last one is
written. The queue holds at most `depth` batches, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from arrhub.store.library import WriteCounts


class BatchWriter[T]:
    """`async with BatchWriter(write) as writer: await writer.put(batch)`; `counts` after.

    Leaving the block normally waits for every batch to be written; leaving it with an
    error (or a cancel) stops the writer at once, so no batch is written after the
    caller gave up. A failed write is raised by the next `put` or at the end.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[WriteCounts]], depth: int = 2) -> None:
        self._write = write
        self._queue: asyncio.Queue[list[T] | None] = asyncio.Queue(maxsize=depth)
        self._task: asyncio.Task[None] | None = None
        self.counts = WriteCounts()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="arrhub-library-writer")
        return self

    async def _run(self) -> None:
        while (batch := await self._queue.get()) is not None:
            self.counts.add(await self._write(batch))

    async def put(self, batch: list[T]) -> None:
        if not batch:
            return
        task = self._running()
        put = asyncio.ensure_future(self._queue.put(batch))
        # Wait for room in the queue, or for the writer to fail (then raise its error).
        await asyncio.wait({put, task}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
        if task.done():
            task.result()

    def _running(self) -> asyncio.Task[None]:
        assert self._task is not None, "use BatchWriter in `async with`"
        if self._task.done():
            self._task.result()  # raises the writer's error
        return self._task

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task = self._task
        assert task is not None
        if exc_type is None:
            if not task.done():
                await self._queue.put(None)
            await task  # raises a failed write
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
