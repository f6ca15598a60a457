"""Closes each WebSocket connection when its sign-in token expires, with one timer for them all:
a timer of its own costs an idle connection half a kilobyte, and thousands sit idle at once."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable, Coroutine
from typing import Generic, TypeVar

from live import tasks

C = TypeVar("C")

TICK_SECONDS = 1.0  # a connection closes at most this long after its token's expiry


class TokenExpiry(Generic[C]):
    def __init__(self, close: Callable[[C], Coroutine[object, object, None]]) -> None:
        self._close = close
        self._due: dict[int, tuple[float, C]] = {}  # by id(connection)
        self._heap: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def watch(self, connection: C, expires_at: float) -> None:
        """Close `connection` once `expires_at` (a Unix time) has passed."""
        key = id(connection)
        self._due[key] = (expires_at, connection)
        heapq.heappush(self._heap, (expires_at, key))
        if len(self._heap) > 2 * len(self._due) + 64:
            # Mostly connections that ended before their token did: start afresh from the live.
            self._heap = [(due, k) for k, (due, _) in self._due.items()]
            heapq.heapify(self._heap)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="mentori-token-expiry")

    def forget(self, connection: C) -> None:
        self._due.pop(id(connection), None)

    async def stop(self) -> None:
        if self._task is not None:
            await tasks.stop(self._task)

    async def _run(self) -> None:
        while self._due:
            now = time.time()
            while self._heap and self._heap[0][0] <= now:
                due, key = heapq.heappop(self._heap)
                entry = self._due.get(key)
                if entry is not None and entry[0] == due:
                    del self._due[key]
                    task = asyncio.create_task(self._close(entry[1]))
                    self._closing.add(task)
                    task.add_done_callback(self._closing.discard)
            wait = TICK_SECONDS if not self._heap else min(self._heap[0][0] - now, TICK_SECONDS)
            await asyncio.sleep(max(wait, 0.0))
