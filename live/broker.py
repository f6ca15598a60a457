"""The message broker between server processes, through broadcaster's backends (memory://,
redis://, postgres://), made robust: one connection and one subscription per channel per
process; publishes that neither hang nor raise; a heartbeat through the broker that notices a
listener which died silently; and reconnection, with backoff, after any outage.

broadcaster's own Broadcast class is not used for listening: its per-subscriber queues are
unbounded and its listener task can die unnoticed. The event hub does the fan-out instead."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from broadcaster import Broadcast

from live import tasks

if TYPE_CHECKING:
    from broadcaster._backends.base import BroadcastBackend

log = logging.getLogger("mentori.broker")
MAX_BACKOFF_SECONDS = 5.0


class BrokerState(enum.StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


def _backend(url: str) -> BroadcastBackend:
    # broadcaster's own choice of backend for the URL's scheme.
    return Broadcast(url)._backend


def _safe(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


class Broker:
    def __init__(
        self,
        url: str,
        *,
        on_message: Callable[[str, str], None],
        on_connected: Callable[[], None],
        channel_prefix: str,
        heartbeat_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self.url = url
        self.state = BrokerState.CONNECTING
        self.connections = 0  # how many times a connection was made (1 + reconnections)
        self._on_message = on_message
        self._on_connected = on_connected
        self._heartbeat = heartbeat_seconds
        self._timeout = timeout_seconds
        self._beat_channel = f"{channel_prefix}hub.{uuid.uuid4().hex}"
        self._channels: set[str] = set()
        self._backend: BroadcastBackend | None = None
        self._listener: asyncio.Task[None] | None = None
        self._trouble = asyncio.Event()
        self._last_beat = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="mentori-broker")

    async def stop(self) -> None:
        if self._task is not None:
            await tasks.stop(self._task)
        await self._close()

    async def subscribe(self, channel: str) -> None:
        """Listen on the channel from now on, across reconnections (never raises)."""
        if channel in self._channels:
            return
        self._channels.add(channel)
        backend = self._backend
        if self.state is BrokerState.UP and backend is not None:
            await self._attempt(backend.subscribe(channel))

    async def publish(self, channel: str, message: str) -> bool:
        """False when the message could not be handed to the broker: the event log has it,
        and every process's tail check delivers it."""
        backend = self._backend
        if self.state is not BrokerState.UP or backend is None:
            return False
        return await self._attempt(backend.publish(channel, message))

    async def _attempt(self, operation: Awaitable[None]) -> bool:
        try:
            await asyncio.wait_for(operation, self._timeout)
        except Exception as error:
            self._report(error)
            return False
        return True

    def _report(self, error: BaseException | None) -> None:
        if self.state is BrokerState.UP:
            log.warning("broker %s failed (%r); reconnecting", _safe(self.url), error)
            self.state = BrokerState.DOWN
        self._trouble.set()

    async def _supervise(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._connect()
            except Exception as error:
                if self.state is not BrokerState.DOWN or delay >= MAX_BACKOFF_SECONDS:
                    log.warning("broker %s unreachable (%r)", _safe(self.url), error)
                self.state = BrokerState.DOWN
                await self._close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            delay = 0.1
            self.state = BrokerState.UP
            self.connections += 1
            if self.connections > 1:
                log.info("broker %s reconnected", _safe(self.url))
            self._on_connected()
            await self._watch()
            self.state = BrokerState.DOWN
            await self._close()

    async def _connect(self) -> None:
        self._trouble.clear()
        backend = self._backend = _backend(self.url)
        await asyncio.wait_for(backend.connect(), self._timeout)
        for channel in (self._beat_channel, *sorted(self._channels)):
            await asyncio.wait_for(backend.subscribe(channel), self._timeout)
        self._last_beat = time.monotonic()
        listener = asyncio.create_task(self._listen(backend), name="mentori-broker-listener")
        listener.add_done_callback(self._listener_ended)
        self._listener = listener

    def _listener_ended(self, task: asyncio.Task[None]) -> None:
        if task is self._listener:  # not one we stopped ourselves
            self._report(task.exception() if not task.cancelled() else None)

    async def _listen(self, backend: BroadcastBackend) -> None:
        while True:
            event = await backend.next_published()
            if event.channel == self._beat_channel:
                self._last_beat = time.monotonic()
                continue
            try:
                self._on_message(event.channel, event.message)
            except Exception:
                log.exception("a message on %s could not be handled", event.channel)

    async def _watch(self) -> None:
        """Returns when the connection is in trouble: a failed call, a dead listener, or a
        heartbeat that did not come back through the broker."""
        backend = self._backend
        assert backend is not None
        while not self._trouble.is_set():
            if time.monotonic() - self._last_beat > 3 * self._heartbeat:
                self._report(TimeoutError("no heartbeat came back through the broker"))
                return
            await self._attempt(backend.publish(self._beat_channel, "beat"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._trouble.wait(), self._heartbeat)

    async def _close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):  # its failure was reported when it ended
                await tasks.stop(listener)
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(backend.disconnect(), self._timeout)
