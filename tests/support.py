"""Real parts for tests: fresh databases, a uvicorn server on loopback, a GraphQL client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.auth import issue_dev_token
from app.main import create_app
from app.settings import Settings
from db.models import Role

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(service: str, env: str) -> str:
    """The URL of a real service, or a skip that says why (a failure under CI)."""
    url = os.environ.get(env)
    if url:
        return url
    message = f"{service} tests need {env} (e.g. a local {service}); set it to run them"
    if IN_CI:
        pytest.fail(f"{message}: under CI=true they must not skip")
    pytest.skip(message)


class FakeClock:
    """The server's clock, moved by tests instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def fresh_postgres_database(base_url: str, name: str) -> str:
    """Create an empty database beside the given one (trust or password auth), return its URL."""
    url = make_url(base_url)
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, name: str) -> None:
    url = make_url(base_url)
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    settings: Settings
    clock: FakeClock
    app: Any

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def running_server(
    settings: Settings, clock: FakeClock, *, port: int | None = None
) -> AsyncIterator[Server]:
    """A real uvicorn server on loopback, in this event loop (on `port`, when the settings
    must name its address, as PUBLIC_URL does)."""
    port = port or free_port()
    app = create_app(settings, clock=clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="wsproto",  # as `mentori serve` runs it (app/cli.py)
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Server(url=f"http://127.0.0.1:{port}", settings=settings, clock=clock, app=app)
    finally:
        server.should_exit = True
        await task


class GraphQLErrorResponse(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(
            "; ".join(f"{e.get('extensions', {}).get('code')}: {e['message']}" for e in errors)
        )
        self.errors = errors

    @property
    def code(self) -> str | None:
        code = self.errors[0].get("extensions", {}).get("code")
        return str(code) if code is not None else None


@dataclass
class Person:
    role: Role
    subject: str
    name: str
    email: str
    token: str


@dataclass
class Api:
    """A GraphQL-over-HTTP client, as any client would use the API."""

    server: Server
    client: httpx.AsyncClient
    counter: list[int] = field(default_factory=lambda: [0])

    def person(self, role: Role, name: str | None = None) -> Person:
        self.counter[0] += 1
        n = self.counter[0]
        name = name or f"{role.value.title()} Person {n}"
        subject = f"{role.value.lower()}-{n}-{uuid.uuid4().hex[:12]}"
        email = f"{role.value.lower()}.{n}@example.edu"
        token = issue_dev_token(
            self.server.settings,
            subject=subject,
            role=role,
            name=name,
            email=email,
            now=datetime.now(UTC),
        )
        return Person(role, subject, name, email, token)

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"authorization": f"Bearer {token}"} if token else {}
        all_headers.update(headers or {})
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    async def result(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: Person | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token=as_.token if as_ else None)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: Person | None = None
    ) -> dict[str, Any]:
        body = await self.result(query, variables, as_=as_)
        if body.get("errors"):
            raise GraphQLErrorResponse(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: Person | None = None
    ) -> dict[str, Any]:
        body = await self.result(query, variables, as_=as_)
        assert body.get("errors"), f"expected an error, got {body}"
        first: dict[str, Any] = body["errors"][0]
        return first


class WebSocketClosed(Exception):
    def __init__(self, code: int | None, reason: str | None) -> None:
        super().__init__(f"the server closed the WebSocket: {code} {reason or ''}".strip())
        self.code = code
        self.reason = reason


class LiveClient:
    """A graphql-transport-ws client, as any client speaks it (over a real WebSocket)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ack: dict[str, Any] = {}
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None

    def _queue(self, operation_id: str) -> asyncio.Queue[dict[str, Any]]:
        return self._queues.setdefault(operation_id, asyncio.Queue())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.connection:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await self.connection.send(json.dumps({"type": "pong"}))
                elif "id" in message:
                    self._queue(message["id"]).put_nowait(message)
        for queue in self._queues.values():
            queue.put_nowait({"type": "closed"})

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = str(next(self._ids))
        self._queue(operation_id)
        payload = {"query": query, "variables": variables or {}}
        await self.connection.send(
            json.dumps({"id": operation_id, "type": "subscribe", "payload": payload})
        )
        return operation_id

    async def message(self, operation_id: str, within: float = 10.0) -> dict[str, Any]:
        """The next message for the operation (next, error or complete), which must arrive
        within so many seconds."""
        try:
            return await asyncio.wait_for(self._queue(operation_id).get(), within)
        except TimeoutError:
            raise AssertionError(f"nothing arrived for {operation_id} in {within}s") from None

    async def data(self, operation_id: str, within: float = 10.0) -> dict[str, Any]:
        """The data of the operation's next result, which must carry no errors."""
        message = await self.message(operation_id, within)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    def received(self, operation_id: str) -> list[dict[str, Any]]:
        """Messages already here, without waiting."""
        queue = self._queue(operation_id)
        found = []
        while not queue.empty():
            found.append(queue.get_nowait())
        return found

    async def complete(self, operation_id: str) -> None:
        await self.connection.send(json.dumps({"id": operation_id, "type": "complete"}))

    async def closed(self, within: float = 10.0) -> tuple[int | None, str | None]:
        """Wait for the server to close the connection; its close code and reason."""
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self.connection.close_code, self.connection.close_reason


@asynccontextmanager
async def live_client(
    url: str, token: str | None, *, init: dict[str, Any] | None = None
) -> AsyncIterator[LiveClient]:
    """Connect and initialise (token in `connection_init`); WebSocketClosed if refused."""
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as connection:
        payload = init if init is not None else {"Authorization": f"Bearer {token}"}
        await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            first = json.loads(await asyncio.wait_for(connection.recv(), 10))
        except ConnectionClosed:
            raise WebSocketClosed(connection.close_code, connection.close_reason) from None
        assert first["type"] == "connection_ack", first
        client = LiveClient(connection)
        client.ack = first.get("payload") or {}
        client._reader = asyncio.create_task(client._read())
        try:
            yield client
        finally:
            await connection.close()
            with contextlib.suppress(Exception):
                await client._reader


async def until_listening(client: httpx.AsyncClient, count: int, within: float = 10.0) -> None:
    """Wait until the server holds `count` live subscriptions (its metrics say so): a
    subscription sees only what happens after it is in place."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        metrics = (await client.get("/metrics")).text
        found = re.search(r"^mentori_subscribers (\S+)$", metrics, re.MULTILINE)
        if found is not None and float(found.group(1)) >= count:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{count} subscriptions were not in place within {within}s")
        await asyncio.sleep(0.02)
