"""An HTTP/1.1 load generator for a separate process: keep-alive connections, one request in
flight per client, every latency kept. It is a few lines of asyncio streams rather than a full
client library, so that on a small machine the load generator costs the server little CPU."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LoadSpec:
    host: str
    port: int
    calls: list[list[Call]]  # per client: the calls it cycles through
    seconds: float
    warmup: float
    # A response counts as failed when its status is not 200 or its body holds this.
    failure_marker: bytes = b'"errors"'


@dataclass(slots=True)
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    failures: int = 0
    failure_sample: str = ""
    elapsed: float = 0.0
    bytes_received: int = 0


class HttpConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def post(self, call: Call) -> tuple[int, bytes]:
        head = [
            f"POST {call.path} HTTP/1.1",
            f"Host: {self.host}",
            "Content-Type: application/json",
            "Accept: application/json",
            f"Content-Length: {len(call.body)}",
            *(f"{name}: {value}" for name, value in call.headers),
        ]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + call.body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = -1
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._chunked()
        if length < 0:
            raise ConnectionError("a response without Content-Length")
        return status, await self.reader.readexactly(length)

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readline()).strip(), 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    def close(self) -> None:
        self.writer.close()


async def _client(
    spec: LoadSpec, calls: list[Call], result: LoadResult, start: float, stop: float
) -> None:
    connection = await HttpConnection.open(spec.host, spec.port)
    index = 0
    try:
        while True:
            sent = time.perf_counter()
            if sent >= stop:
                return
            call = calls[index % len(calls)]
            index += 1
            try:
                status, body = await connection.post(call)
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                result.failures += 1
                result.failure_sample = result.failure_sample or repr(error)
                connection.close()
                connection = await HttpConnection.open(spec.host, spec.port)
                continue
            done = time.perf_counter()
            if sent < start:
                continue  # warm-up
            result.bytes_received += len(body)
            if status != 200 or spec.failure_marker in body:
                result.failures += 1
                result.failure_sample = result.failure_sample or f"{status} {body[:300]!r}"
            else:
                result.latencies.append(done - sent)
    finally:
        connection.close()


async def _reporter(result: LoadResult, progress: Queue[Any] | None, stop: float) -> None:
    while progress is not None and time.perf_counter() < stop:
        progress.put(("progress", len(result.latencies) + result.failures))
        await asyncio.sleep(0.25)


async def run(spec: LoadSpec, progress: Queue[Any] | None = None) -> LoadResult:
    result = LoadResult()
    began = time.perf_counter()
    start = began + spec.warmup
    stop = start + spec.seconds
    reporter = asyncio.create_task(_reporter(result, progress, stop))
    await asyncio.gather(*(_client(spec, calls, result, start, stop) for calls in spec.calls))
    result.elapsed = time.perf_counter() - start
    reporter.cancel()
    return result


def process_main(spec: LoadSpec, out: Queue[Any]) -> None:
    """Entry point of a load-generator process: runs the load, sends back the result."""
    import uvloop

    from bench.servers import raise_open_file_limit

    raise_open_file_limit()
    result = uvloop.run(run(spec, out))
    out.put(("result", result))
