"""The event hub: committed events reach this process's listeners in order, once each.

After commit an operation's events are handed at once to this process's feed for their
programme (live/feed.py, which delivers them in `seq` order, once each, reading a gap from the
event log) and published through the broker (live/broker.py) for the other processes, whose
messages reach their feeds the same way. A look at the log's tail every `live_tail_seconds`
tells each feed of any event whose publish was lost (a crash after commit, a broker outage).
Each listener has a bounded queue, so a stuck client costs neither memory nor anyone's time.

Sign-outs (a person erased, or one page sign-in session ended) go through the broker too, to
every process at once; a process that may have missed one (no broker connection meanwhile)
trusts nothing it cached before. So does a change of a programme (its dates, limits, purge):
every process drops its list of programmes (services/programme_list.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import read
from live import tasks
from live.broker import Broker, BrokerState
from live.fanout import Listener, Topic
from live.feed import Feed
from services import events, programme_list
from services.events import RecordedEvent
from services.programme_list import ProgrammeList

log = logging.getLogger("mentori.events")
T = TypeVar("T")


class HubSettings(Protocol):
    """The settings the hub reads (app/settings.py, Settings, has them)."""

    @property
    def subscriber_queue_size(self) -> int: ...
    @property
    def broker_url(self) -> str: ...
    @property
    def broker_channel_prefix(self) -> str: ...
    @property
    def broker_heartbeat_seconds(self) -> float: ...
    @property
    def broker_publish_timeout_seconds(self) -> float: ...
    @property
    def live_tail_seconds(self) -> float: ...


class EventHub:
    def __init__(self, settings: HubSettings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.queue_size = settings.subscriber_queue_size
        self.broker = Broker(
            settings.broker_url,
            on_message=self._on_message,
            on_connected=self.check_tail,
            channel_prefix=settings.broker_channel_prefix,
            heartbeat_seconds=settings.broker_heartbeat_seconds,
            timeout_seconds=settings.broker_publish_timeout_seconds,
        )
        self._feeds: dict[int, Feed] = {}
        self._tail_now = asyncio.Event()
        self._tail_task: asyncio.Task[None] | None = None
        self._sign_out_channel = f"{settings.broker_channel_prefix}sign-out"
        self._on_sign_out: list[Callable[[int], None]] = []
        self._unsent_sign_outs: set[int] = set()  # sent once the broker is back
        self._session_end_channel = f"{settings.broker_channel_prefix}session-end"
        self._on_session_end: list[Callable[[int, str], None]] = []
        self._unsent_session_ends: set[tuple[int, str]] = set()  # sent once the broker is back
        self._programmes_channel = f"{settings.broker_channel_prefix}programmes"
        self._programme_lists: list[ProgrammeList] = []
        self._unsent_programme_changes: set[int] = set()  # sent once the broker is back

    @property
    def broker_state(self) -> BrokerState:
        return self.broker.state

    @property
    def broker_connection(self) -> int | None:
        """Which broker connection this process hears sign-outs on (None while it has none):
        what it cached under another may have missed one."""
        return self.broker.connections if self.broker.state is BrokerState.UP else None

    def channel(self, programme_id: int) -> str:
        return f"{self.settings.broker_channel_prefix}programme.{programme_id}"

    def on_sign_out(self, forget: Callable[[int], None]) -> None:
        """Call `forget` with the id of each person signed out, by any process."""
        self._on_sign_out.append(forget)

    async def sign_out(self, user_ids: set[int]) -> None:
        """Called after commit: every process forgets these people's tokens and connections."""
        for user_id in user_ids:
            self._signed_out(user_id)
        self._unsent_sign_outs |= user_ids
        await self._send_sign_outs()

    async def _send_sign_outs(self) -> None:
        unsent = sorted(self._unsent_sign_outs)
        if unsent and await self.broker.publish(self._sign_out_channel, json.dumps(unsent)):
            self._unsent_sign_outs.difference_update(unsent)

    def on_session_end(self, forget: Callable[[int, str], None]) -> None:
        """Call `forget` with the person's id and the session's digest of each page sign-in
        session ended (services/sign_in_sessions.py), by any process."""
        self._on_session_end.append(forget)

    async def end_sessions(self, ended: set[tuple[int, str]]) -> None:
        """Called after commit: every process forgets these sessions (person id, digest) and
        closes their connections."""
        for user_id, digest in ended:
            self._session_ended(user_id, digest)
        self._unsent_session_ends |= ended
        await self._send_session_ends()

    async def _send_session_ends(self) -> None:
        unsent = sorted(self._unsent_session_ends)
        if unsent and await self.broker.publish(self._session_end_channel, json.dumps(unsent)):
            self._unsent_session_ends.difference_update(unsent)

    def _session_ended(self, user_id: int, digest: str) -> None:
        for forget in self._on_session_end:
            try:
                forget(user_id, digest)
            except Exception:
                log.exception("could not end a session of person %d", user_id)

    def _signed_out(self, user_id: int) -> None:
        for forget in self._on_sign_out:
            try:
                forget(user_id)
            except Exception:
                log.exception("could not sign person %d out", user_id)

    def watch_programmes(self, kept: ProgrammeList) -> None:
        """Let `kept` keep the programmes while this hub hears every change to them."""
        kept.watch(lambda: self.broker_connection)
        self._programme_lists.append(kept)

    def _programmes_changed(self) -> None:
        for kept in self._programme_lists:
            kept.drop()

    async def _send_programme_changes(self) -> None:
        unsent = sorted(self._unsent_programme_changes)
        if unsent and await self.broker.publish(self._programmes_channel, json.dumps(unsent)):
            self._unsent_programme_changes.difference_update(unsent)

    async def start(self) -> None:
        await self.broker.subscribe(self._sign_out_channel)
        await self.broker.subscribe(self._session_end_channel)
        await self.broker.subscribe(self._programmes_channel)
        await self.broker.start()
        self._tail_task = asyncio.create_task(self._watch_tail(), name="mentori-event-tail")

    async def stop(self) -> None:
        if self._tail_task is not None:
            await tasks.stop(self._tail_task)
        for feed in self._feeds.values():
            feed.stop()
        await self.broker.stop()

    async def publish(self, written: list[RecordedEvent]) -> None:
        """Called after commit, never before; never raises (the log already holds the events)."""
        changed = {e.programme_id for e in written if e.kind in programme_list.CHANGES}
        if changed:
            self._programmes_changed()
            self._unsent_programme_changes |= changed
            await self._send_programme_changes()
        by_programme: dict[int, list[RecordedEvent]] = defaultdict(list)
        for event in written:
            by_programme[event.programme_id].append(event)
        for programme_id, batch in by_programme.items():
            feed = self._feeds.get(programme_id)
            if feed is not None:
                for event in batch:
                    feed.offer(event)
            message = json.dumps(
                {"programmeId": programme_id, "events": [e.to_message() for e in batch]}
            )
            await self.broker.publish(self.channel(programme_id), message)

    @asynccontextmanager
    async def listen(
        self,
        programme_id: int,
        topic: Topic[T],
        pick: Callable[[T], T | None] | None = None,
        *,
        subscribers: Callable[[], int] | None = None,
    ) -> AsyncIterator[Listener[T]]:
        """Listen to a topic's items (or those `pick` keeps, as it returns them), on behalf of
        one subscriber or of as many as `subscribers` says (a shared execution)."""
        feed = self._feeds.get(programme_id)
        if feed is None:
            feed = self._feeds[programme_id] = Feed(self, programme_id)
            feed.ensure_running()
        await feed.ready.wait()
        listener = feed.join(topic, self.queue_size, pick, subscribers)
        try:
            yield listener
        finally:
            feed.leave(listener)

    def listener_count(self) -> int:
        """Live subscriptions in this process."""
        return sum(feed.listener_count for feed in self._feeds.values())

    def check_tail(self) -> None:
        """Look at the event log's tail now (e.g. the broker is back after an outage)."""
        self._tail_now.set()

    async def read(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await read(self.sessions, operation)

    async def read_with_retry(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        delay = 0.1
        while True:
            try:
                return await self.read(operation)
            except Exception as error:
                log.warning("event log unreadable (%r); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _on_message(self, channel: str, message: str) -> None:
        data = json.loads(message)
        if channel == self._sign_out_channel:
            for user_id in data:
                self._signed_out(int(user_id))
            return
        if channel == self._session_end_channel:
            for user_id, digest in data:
                self._session_ended(int(user_id), str(digest))
            return
        if channel == self._programmes_channel:
            self._programmes_changed()
            return
        feed = self._feeds.get(int(data["programmeId"]))
        if feed is None:
            return
        for raw in data["events"]:
            feed.offer(_from_message(raw))

    async def _watch_tail(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tail_now.wait(), self.settings.live_tail_seconds)
            self._tail_now.clear()
            await self._send_sign_outs()
            await self._send_session_ends()
            await self._send_programme_changes()
            for feed in self._feeds.values():
                feed.ensure_running()  # a task that died is noticed and restarted here
            before = {pid: feed.last for pid, feed in self._feeds.items() if feed.ready.is_set()}
            if not before:
                continue
            try:
                tails = await self.read(partial(_tails, programme_ids=list(before)))
            except Exception as error:
                log.warning("could not read the event log's tail: %r", error)
                continue
            for programme_id, tail in tails.items():
                self._feeds[programme_id].hint(tail, last_before=before[programme_id])


async def _tails(session: AsyncSession, *, programme_ids: list[int]) -> dict[int, int]:
    return {pid: await events.latest_seq(session, pid) for pid in programme_ids}


def _from_message(data: dict[str, Any]) -> RecordedEvent:
    return RecordedEvent(
        programme_id=int(data["programmeId"]),
        seq=int(data["seq"]),
        kind=str(data["kind"]),
        payload=dict(data["payload"]),
        created_at=datetime.fromisoformat(str(data["createdAt"])),
    )
