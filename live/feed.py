"""A programme's feed: its committed events reach this process's listeners in order, once each.

Events reach a feed from this process's own commits and, through the broker, from the others'
(live/hub.py). The feed delivers them in `seq` order (seq order is commit order, see
services/events.py): a duplicate is dropped, a gap is read from the event log, and the hub's look
at the log's tail every `live_tail_seconds` catches any event whose publish was lost (a crash
after commit, a broker outage). Listeners of one topic (same key) share the work of preparing
each batch of events (live/fanout.py)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Hashable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from live.fanout import Group, Listener, Route, Topic
from services import events
from services.events import RecordedEvent

if TYPE_CHECKING:
    from live.hub import EventHub

log = logging.getLogger("mentori.events")
T = TypeVar("T")

GAP_GRACE_SECONDS = 0.05  # an event published by another process is usually just behind
READ_LIMIT = 500  # events read from the log at a time
MAX_PENDING = 10_000  # out-of-order events held per programme before relying on the log


class Feed:
    """One programme's events for this process, in order and complete."""

    def __init__(self, hub: EventHub, programme_id: int) -> None:
        self.hub = hub
        self.programme_id = programme_id
        self.last = 0  # the last seq handed to the topics
        self.ready = asyncio.Event()
        self._pending: dict[int, RecordedEvent] = {}
        self._tail = 0  # the highest seq the event log is known to hold
        self._wake = asyncio.Event()
        self._groups: dict[Hashable, Group[Any]] = {}
        self._everything: set[Group[Any]] = set()
        self._routed: dict[Route, set[Group[Any]]] = defaultdict(set)
        self.task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self.task is not None and not self.task.done():
            return
        if self.task is not None and not self.task.cancelled():
            log.error(
                "feed %d stopped; restarting it", self.programme_id, exc_info=self.task.exception()
            )
        self.task = asyncio.create_task(self._run(), name=f"mentori-feed-{self.programme_id}")
        for group in self._groups.values():
            group.ensure_running()

    def join(
        self,
        topic: Topic[T],
        size: int,
        pick: Callable[[T], T | None] | None,
        subscribers: Callable[[], int] | None,
    ) -> Listener[T]:
        group: Group[T] | None = self._groups.get(topic.key)
        if group is None:
            group = Group(topic, self.last)
            self._groups[topic.key] = group
            if topic.routes is None:
                self._everything.add(group)
            else:
                for route in topic.routes:
                    self._routed[route].add(group)
            group.ensure_running()
        listener = Listener(group, topic.capacity or size, pick, subscribers)
        group.listeners.add(listener)
        return listener

    def leave(self, listener: Listener[Any]) -> None:
        group = listener.group
        group.listeners.discard(listener)
        if group.listeners or self._groups.get(group.topic.key) is not group:
            return
        del self._groups[group.topic.key]
        self._everything.discard(group)
        for route in group.topic.routes or ():
            self._routed[route].discard(group)
            if not self._routed[route]:
                del self._routed[route]
        group.stop()

    def offer(self, event: RecordedEvent) -> None:
        if event.seq <= self.last:
            return  # a duplicate: seen from this process, the broker or the log already
        if len(self._pending) >= MAX_PENDING:
            self._pending.clear()  # the log holds them all; read it instead
        self._pending[event.seq] = event
        self._wake.set()

    def hint(self, tail: int, *, last_before: int) -> None:
        """The log's tail, as read by a query that began when `last` was `last_before`."""
        if tail > self.last:
            self._tail = max(self._tail, tail)
            self._wake.set()
        elif tail < last_before:
            # The log went back (a database restored from a backup): follow it from there.
            log.warning("programme %d's event log went back to %d", self.programme_id, tail)
            self.last = self._tail = tail
            self._pending.clear()

    @property
    def listener_count(self) -> int:
        return sum(
            listener.subscribers for group in self._groups.values() for listener in group.listeners
        )

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for group in self._groups.values():
            group.stop()

    async def _run(self) -> None:
        if not self.ready.is_set():
            await self.hub.broker.subscribe(self.hub.channel(self.programme_id))
            # Read after subscribing: whatever commits from now on arrives one way or the other.
            self.last = await self.hub.read_with_retry(
                partial(events.latest_seq, programme_id=self.programme_id)
            )
            self.ready.set()
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._advance()
            except Exception:
                log.exception("feed %d could not read the event log; retrying", self.programme_id)
                await asyncio.sleep(0.5)
                self._wake.set()

    async def _advance(self) -> None:
        waited = False
        while True:
            for seq in [seq for seq in self._pending if seq <= self.last]:
                del self._pending[seq]
            run: list[RecordedEvent] = []
            while (event := self._pending.pop(self.last + len(run) + 1, None)) is not None:
                run.append(event)
            if run:
                self._deliver(run)
                continue
            target = max(self._tail, max(self._pending, default=0))
            if target <= self.last:
                return
            if not self._groups:  # nobody listens: nothing to read
                self.last = target
                self._pending.clear()
                return
            if self._tail <= self.last and not waited:
                waited = True
                await asyncio.sleep(GAP_GRACE_SECONDS)
                continue
            after = self.last
            found = await self.hub.read(
                partial(_since, programme_id=self.programme_id, after=after)
            )
            run = [e for i, e in enumerate(found) if e.seq == after + i + 1]
            if not run:
                self._pending.clear()  # not in the log: not ours (see broker_channel_prefix)
                return
            self._deliver(run)

    def _deliver(self, run: list[RecordedEvent]) -> None:
        self.last = run[-1].seq
        for group in self._everything:
            for event in run:
                group.push(event)
        if not self._routed:
            return
        for event in run:
            groups: set[Group[Any]] = set()
            for route in _routes_of(event):
                groups.update(self._routed.get(route, ()))
            for group in groups:
                group.push(event)


def _routes_of(event: RecordedEvent) -> list[Route]:
    routes: list[Route] = [("kind", event.kind)]
    routes.extend((k, v) for k, v in event.payload.items() if isinstance(v, int | str))
    return routes


async def _since(session: AsyncSession, *, programme_id: int, after: int) -> list[RecordedEvent]:
    return await events.since(session, programme_id, after, limit=READ_LIMIT)
