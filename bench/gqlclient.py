"""GraphQL over HTTP for the load processes: a small pool of keep-alive connections (see
httpload.HttpConnection), each call timed."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from bench.httpload import Call, HttpConnection


@dataclass(frozen=True, slots=True)
class Outcome:
    """`code` is "ok", a GraphQL error code (extensions.code), or "HTTP_<status>"."""

    code: str
    data: dict[str, Any] | None
    started: float  # time.time() when sent
    seconds: float


class GraphQLPool:
    def __init__(self, host: str, port: int, size: int) -> None:
        self.host = host
        self.port = port
        self.size = size
        self._idle: asyncio.Queue[HttpConnection] = asyncio.Queue()
        self._opened = 0

    async def _acquire(self) -> HttpConnection:
        if self._idle.empty() and self._opened < self.size:
            self._opened += 1
            return await HttpConnection.open(self.host, self.port)
        return await self._idle.get()

    async def call(self, query: str, variables: dict[str, Any], token: str) -> Outcome:
        body = json.dumps({"query": query, "variables": variables}).encode()
        call = Call("/graphql", body, (("Authorization", f"Bearer {token}"),))
        connection = await self._acquire()
        wall = time.time()
        started = time.perf_counter()
        try:
            status, raw = await connection.post(call)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            connection.close()
            self._opened -= 1
            return Outcome("CONNECTION_LOST", None, wall, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        self._idle.put_nowait(connection)
        if status != 200:
            return Outcome(f"HTTP_{status}", None, wall, seconds)
        document = json.loads(raw)
        errors = document.get("errors")
        if errors:
            code = str((errors[0].get("extensions") or {}).get("code") or "UNKNOWN_ERROR")
            return Outcome(code, None, wall, seconds)
        return Outcome("ok", document.get("data"), wall, seconds)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
