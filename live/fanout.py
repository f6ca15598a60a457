"""Fan-out within a process: listeners alike (one topic) share the work of preparing each batch
of a programme's events, and each listener has its own bounded queue of prepared items, so a
client that stops reading holds no memory and delays nobody."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.events import RecordedEvent

log = logging.getLogger("mentori.events")
T = TypeVar("T")
Route = tuple[str, Any]

FELL_BEHIND = (
    "These live updates fell too far behind (the connection is too slow); subscribe again "
    "and refetch what you show."
)
MAX_INBOX = 10_000  # events waiting for a topic's preparation before its listeners restart
PREPARE_PAUSES = (0.1, 0.3, 1.0, 3.0)  # retries of a failed preparation (the database)


class FellBehind(Exception):
    """The listener's queue overflowed and was emptied: it missed items."""


@dataclass(frozen=True, eq=False)
class Topic(Generic[T]):
    """What listeners alike want from a programme's events. Listeners with equal keys share
    one `prepare` call per batch of events (so its result must not depend on who listens)."""

    key: Hashable
    prepare: Callable[[list[RecordedEvent]], Awaitable[list[T]]]
    routes: frozenset[Route] | None = None  # only events with one of these (field, value)
    coalesce: Callable[[T], Hashable] | None = None  # a newer item replaces a queued one
    merge: Callable[[T, T], T] | None = None  # (queued, newer) -> the item that replaces both
    min_interval: float = 0.0  # prepare at most this often, batching what arrives meanwhile
    # Items a listener may hold unread before it falls behind; None: the hub's queue size. A
    # topic that coalesces by something finite (a programme's mentors) may hold one of each.
    capacity: int | None = None


class Listener(Generic[T]):
    """One subscriber's bounded queue of prepared items: all the topic's, or those `pick`
    keeps (returning the item as this listener sees it, or None to pass it by)."""

    def __init__(
        self,
        group: Group[T],
        size: int,
        pick: Callable[[T], T | None] | None,
        subscribers: Callable[[], int] | None = None,
    ) -> None:
        self._group = group
        self._size = size
        self._pick = pick
        self._subscribers = subscribers
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._serial = itertools.count()
        self._arrived = asyncio.Event()
        self._behind = False
        self._closed = False
        self.start = group.delivered  # items come from events after this seq (all-event topics)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def subscribers(self) -> int:
        """The subscribers this listener serves (one, or those of a shared execution)."""
        return 1 if self._subscribers is None else self._subscribers()

    @property
    def group(self) -> Group[T]:
        return self._group

    @property
    def latest(self) -> T | None:
        """The newest item prepared for this topic, if any (shared by its listeners)."""
        return self._group.latest

    def offer(self, item: T) -> None:
        if self._behind or self._closed:
            return
        if self._pick is not None:
            picked = self._pick(item)
            if picked is None:
                return
            item = picked
        topic = self._group.topic
        if topic.coalesce is None:
            key: Hashable = next(self._serial)
        else:
            key = topic.coalesce(item)
            queued = self._items.pop(key, None)
            if queued is not None and topic.merge is not None:
                item = topic.merge(queued, item)
        if len(self._items) >= self._size:
            self.fall_behind()  # dropped, not kept: a client that does not read holds no memory
            return
        self._items[key] = item
        self._arrived.set()

    def fall_behind(self) -> None:
        self._behind = True
        self._items.clear()
        self._arrived.set()

    def resume(self) -> int:
        """After FellBehind: listen again from now on; returns the new `start`."""
        self._behind = False
        self._items.clear()
        self.start = self._group.delivered
        return self.start

    def close(self) -> None:
        self._closed = True
        self._arrived.set()

    def __aiter__(self) -> Listener[T]:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            if self._behind:
                raise FellBehind
            if self._closed:
                raise StopAsyncIteration
            self._arrived.clear()
            await self._arrived.wait()
        return self._items.popitem(last=False)[1]


class Group(Generic[T]):
    """The listeners of one topic in one programme, and the task preparing their items."""

    def __init__(self, topic: Topic[T], delivered: int) -> None:
        self.topic = topic
        self.listeners: set[Listener[T]] = set()
        self.delivered = delivered  # the last event seq whose items were offered
        self.latest: T | None = None
        self._inbox: list[RecordedEvent] = []
        self._wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self.task is not None and not self.task.done():
            return
        if self.task is not None and not self.task.cancelled():
            log.error(
                "topic %r stopped; restarting it", self.topic.key, exc_info=self.task.exception()
            )
        self.task = asyncio.create_task(self._run(), name=f"mentori-topic-{self.topic.key!r}")

    def push(self, event: RecordedEvent) -> None:
        if len(self._inbox) >= MAX_INBOX:
            log.warning(
                "topic %r fell %d events behind; its listeners restart", self.topic.key, MAX_INBOX
            )
            self._inbox.clear()
            self._lose()
        self._inbox.append(event)
        self._wake.set()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for listener in self.listeners:
            listener.close()

    def _lose(self) -> None:
        for listener in self.listeners:
            listener.fall_behind()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        ran_at = -math.inf
        while True:
            await self._wake.wait()
            await asyncio.sleep(max(0.0, ran_at + self.topic.min_interval - loop.time()))
            self._wake.clear()
            batch, self._inbox = self._inbox, []
            if not batch:
                continue
            ran_at = loop.time()
            items = await self._prepare(batch)
            if items is None:
                self._lose()
            else:
                for listener in list(self.listeners):
                    for item in items:
                        listener.offer(item)
                if items:
                    self.latest = items[-1]
            self.delivered = batch[-1].seq

    async def _prepare(self, batch: list[RecordedEvent]) -> list[T] | None:
        for pause in (*PREPARE_PAUSES, None):
            try:
                return await self.topic.prepare(batch)
            except Exception:
                log.exception("preparing %d events for topic %r failed", len(batch), self.topic.key)
            if pause is None:
                return None
            await asyncio.sleep(pause)
        return None
