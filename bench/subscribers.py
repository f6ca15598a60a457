"""A process holding many graphql-transport-ws subscribers: connect them all, report, keep them
idle, record every message with its arrival time, and hand the record back when told to stop."""

from __future__ import annotations

import asyncio
import json
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.processes import CONTEXT

SUBSCRIPTION = """subscription Availability($filter: MentorFilter) {
  mentorAvailabilityChanged(filter: $filter) {
    seq mentorId availability previous capacity remainingCapacity pendingCount mentor { id }
  }
}"""
CONCURRENT_HANDSHAKES = 100


@dataclass(frozen=True, slots=True)
class Subscriber:
    index: int
    token: str
    filter: dict[str, Any] | None
    query: str = SUBSCRIPTION


@dataclass(frozen=True, slots=True)
class SubscribersSpec:
    url: str  # ws://host:port/graphql
    subscribers: list[Subscriber]


@dataclass(slots=True)
class Arrival:
    subscriber: int
    at: float  # time.time()
    message: dict[str, Any]


@dataclass(slots=True)
class SubscribersResult:
    connected: int = 0
    refused: list[str] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    closed_early: int = 0


class _Holder:
    def __init__(self, spec: SubscribersSpec, out: Queue[Any]) -> None:
        self.spec = spec
        self.out = out
        self.result = SubscribersResult()
        self.raw: list[tuple[int, float, str | bytes]] = []
        self.sockets: list[ClientConnection] = []
        self.gate = asyncio.Semaphore(CONCURRENT_HANDSHAKES)
        self.settled = asyncio.Event()

    def _count_one(self) -> None:
        if self.result.connected + len(self.result.refused) >= len(self.spec.subscribers):
            self.settled.set()

    async def hold(self, subscriber: Subscriber) -> None:
        try:
            async with self.gate:
                socket = await connect(
                    self.spec.url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    open_timeout=120,
                    ping_interval=None,
                    max_size=2**20,
                )
                await socket.send(
                    json.dumps(
                        {
                            "type": "connection_init",
                            "payload": {"Authorization": f"Bearer {subscriber.token}"},
                        }
                    )
                )
                ack = json.loads(await asyncio.wait_for(socket.recv(), 120))
                if ack.get("type") != "connection_ack":
                    raise ConnectionError(f"no connection_ack: {ack}")
                await socket.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {
                                "query": subscriber.query,
                                "variables": {"filter": subscriber.filter}
                                if subscriber.filter is not None or subscriber.query is SUBSCRIPTION
                                else {},
                            },
                        }
                    )
                )
        except (OSError, ConnectionError, ConnectionClosed, TimeoutError) as error:
            self.result.refused.append(f"{type(error).__name__}: {error}"[:300])
            self._count_one()
            return
        self.sockets.append(socket)
        self.result.connected += 1
        self._count_one()
        raw = self.raw
        index = subscriber.index
        try:
            async for message in socket:
                raw.append((index, time.time(), message))
        except ConnectionClosed:
            pass
        self.result.closed_early += 1

    async def report(self) -> None:
        while True:
            self.out.put(("progress", self.result.connected + len(self.result.refused)))
            self.out.put(("received", len(self.raw)))
            await asyncio.sleep(0.25)

    async def run(self, commands: Queue[Any]) -> SubscribersResult:
        reporter = asyncio.create_task(self.report())
        holders = [asyncio.create_task(self.hold(s)) for s in self.spec.subscribers]
        if self.spec.subscribers:
            await self.settled.wait()
        await asyncio.sleep(0.5)  # the last subscribe messages reach the server
        self.out.put(("ready", self.result.connected))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, commands.get)  # "stop"
        reporter.cancel()
        closed_before = self.result.closed_early
        await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)
        for task in holders:
            task.cancel()
        self.result.closed_early = closed_before
        for index, at, message in self.raw:
            self.result.arrivals.append(Arrival(index, at, json.loads(message)))
        return self.result


class Fleet:
    """The subscriber processes of one round, and their messages to this one."""

    def __init__(self, url: str, subscribers: list[Subscriber], processes: int) -> None:
        self.out = [CONTEXT.Queue() for _ in range(processes)]
        self.commands = [CONTEXT.Queue() for _ in range(processes)]
        self.processes = [
            CONTEXT.Process(
                target=process_main,
                args=(
                    SubscribersSpec(url, subscribers[part::processes]),
                    self.out[part],
                    self.commands[part],
                ),
                daemon=True,
            )
            for part in range(processes)
        ]
        self.connected = [0] * processes
        self.received = [0] * processes
        self.ready = [False] * processes
        self.results: list[SubscribersResult | None] = [None] * processes

    def start(self) -> None:
        for process in self.processes:
            process.start()

    def wait_ready(self, on_progress: Callable[[int], None] | None = None) -> None:
        while not all(self.ready):
            self.poll()
            if on_progress is not None:
                on_progress(sum(self.connected))
            time.sleep(0.1)

    def poll(self) -> None:
        for part, q in enumerate(self.out):
            while True:
                try:
                    kind, value = q.get_nowait()
                except queue.Empty:
                    break
                if kind == "progress":
                    self.connected[part] = value
                elif kind == "received":
                    self.received[part] = value
                elif kind == "ready":
                    self.ready[part] = True
                elif kind == "result":
                    self.results[part] = value
            if self.results[part] is None and not self.processes[part].is_alive():
                raise RuntimeError(f"a subscriber process died ({self.processes[part].exitcode})")

    def stop(self) -> list[SubscribersResult]:
        for command in self.commands:
            command.put("stop")
        deadline = time.monotonic() + 120
        while any(r is None for r in self.results):
            if time.monotonic() > deadline:
                raise TimeoutError("the subscriber processes did not hand back their results")
            self.poll()
            time.sleep(0.05)
        for process in self.processes:
            process.join(timeout=10)
        return [r for r in self.results if r is not None]


def process_main(spec: SubscribersSpec, out: Queue[Any], commands: Queue[Any]) -> None:
    import uvloop

    from bench.servers import raise_open_file_limit

    raise_open_file_limit()
    out.put(("result", uvloop.run(_Holder(spec, out).run(commands))))
