"""Clients for tests, as any client speaks to the API: GraphQL over HTTP (Api), over a WebSocket
(LiveClient), and the server's own figures from /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

from app.auth import issue_dev_token
from db.models import Role
from tests.servers import Server
from tests.waiting import eventually


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

    def person(self, role: Role, name: str | None = None, *, email: str | None = None) -> Person:
        """Someone signed in with a development token (a fresh subject each time)."""
        self.counter[0] += 1
        n = self.counter[0]
        name = name or f"{role.value.title()} Person {n}"
        subject = f"{role.value.lower()}-{n}-{uuid.uuid4().hex[:12]}"
        email = email or f"{role.value.lower()}.{n}@example.edu"
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
        all_headers = {"content-type": "application/json"}
        all_headers.update({"authorization": f"Bearer {token}"} if token else {})
        all_headers.update(headers or {})
        # JSON as any client may write it: non-ASCII escaped, which also lets a test send what
        # only an escape can carry (a lone surrogate, "\ud800"); httpx's json= cannot.
        body = json.dumps({"query": query, "variables": variables or {}})
        return await self.client.post("/graphql", content=body, headers=all_headers)

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
    url: str,
    token: str | None,
    *,
    init: dict[str, Any] | None = None,
    origin: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[LiveClient]:
    """Connect and initialise (token in `connection_init`); WebSocketClosed if refused.
    `origin` and `headers` go on the handshake, as a browser's page would send them."""
    async with connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        origin=Origin(origin) if origin else None,
        additional_headers=headers,
    ) as connection:
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


async def metrics(client: httpx.AsyncClient) -> dict[str, float]:
    """The server's own figures (mentori_*), as its Prometheus metrics read now."""
    text = (await client.get("/metrics")).text
    return {
        name: float(value)
        for name, value in re.findall(r"^(mentori_\w+) (\S+)$", text, re.MULTILINE)
    }


async def subscriptions(client: httpx.AsyncClient) -> int:
    """How many live subscriptions the server holds, as its metrics say."""
    found = (await metrics(client)).get("mentori_subscribers")
    assert found is not None, "the server's /metrics has no mentori_subscribers gauge"
    return int(found)


async def until_listening(client: httpx.AsyncClient, count: int, within: float = 10.0) -> None:
    """Wait until the server holds `count` live subscriptions (its metrics say so): a
    subscription sees only what happens after it is in place."""

    held: list[int] = []

    async def in_place() -> bool:
        held.append(await subscriptions(client))
        return held[-1] >= count

    try:
        await eventually(in_place, what=f"{count} subscriptions to be in place", within=within)
    except AssertionError as waited:
        raise AssertionError(f"{waited}; the server held {held[-3:]}") from None
