"""A database that stops answering, or refuses connections, costs each request a few seconds
at most: it is told 503 `UNAVAILABLE` with a sentence, `/readyz` says so within a second, a
WebSocket sign-in is closed with "try again later", and all is served again once the database
is back. PostgreSQL is reached through a proxy the test can silence or shut."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.graphql_view import TRY_AGAIN_LATER
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database
from tests.servers import Server, free_port, running_server
from tests.waiting import eventually

VIEWER = "{ viewer { role } }"
# Read from the database every time (the programmes, for one, are kept per process).
PROGRAMMES = "{ languages { code } }"
TIMEOUT = 1.0  # DB_CONNECT_TIMEOUT_SECONDS and DB_STATEMENT_TIMEOUT_SECONDS of the server here


class Proxy:
    """A TCP proxy in front of PostgreSQL that forwards, goes silent (accepts connections and
    passes nothing on, either way), or shuts (connections refused)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.speaking = asyncio.Event()
        self.speaking.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._clients: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", self.port)

    def _accepted(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        # Kept from the moment of accepting: a task cancelled before it first runs never
        # reaches its own `finally` to close the connection.
        self._clients.add(client_out)
        self._tasks.add(asyncio.ensure_future(self._serve(client_in, client_out)))

    async def shut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for client in self._clients:
            client.close()
        self._clients.clear()

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(*self.target)
            try:
                await asyncio.gather(
                    self._pipe(client_in, server_out), self._pipe(server_in, client_out)
                )
            finally:
                server_out.close()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            client_out.close()
            self._clients.discard(client_out)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while chunk := await source.read(65536):
            await self.speaking.wait()
            sink.write(chunk)
            await sink.drain()
        sink.close()


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database("postgresql", purpose="outage") as (url, engine):
        await engine.dispose()  # the server's connections go through the proxy, not this pool
        yield url


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.open()
    yield proxy
    await proxy.shut()


@pytest.fixture
async def api(database_url: str, proxy: Proxy, tmp_path: Path) -> AsyncIterator[Api]:
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    settings = server_settings(
        through_proxy.render_as_string(hide_password=False),
        tmp_path / "mail",
        scheduler_enabled=False,
        db_connect_timeout_seconds=TIMEOUT,
        db_statement_timeout_seconds=TIMEOUT,
    )
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=120) as client,
    ):
        yield Api(server=server, client=client)


@pytest.fixture
def failures(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """What the server logs at ERROR or with a traceback (uvicorn's own log too)."""
    server_log = logging.getLogger("uvicorn")
    server_log.addHandler(caplog.handler)
    try:
        yield caplog.records
    finally:
        server_log.removeHandler(caplog.handler)


def no_failures(records: list[logging.LogRecord]) -> None:
    logged = [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], [r.getMessage() for r in logged]


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE"}
    assert error["message"][0].isupper(), error
    assert error["message"].endswith("."), error


async def ws_sign_in(server: Server, token: str) -> tuple[int | None, str | None]:
    """Sign in over a WebSocket; the close code and reason when the server closes it."""
    url = server.ws_url
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as connection:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await connection.send(json.dumps(init))
        with contextlib.suppress(ConnectionClosed):
            message = json.loads(await asyncio.wait_for(connection.recv(), 30))
            assert message["type"] == "connection_ack"
            return None, None
        return connection.close_code, connection.close_reason


async def served_again(api: Api) -> None:
    """Once the database answers, everything is served again, without a restart."""

    async def answered() -> httpx.Response | None:
        response = await api.client.post(
            "/graphql",
            json={"query": PROGRAMMES},
            headers={"authorization": f"Bearer {api.person(Role.COORDINATOR).token}"},
        )
        return response if response.status_code == 200 else None

    response = await eventually(answered, what="the API to answer again", within=15, every=0.2)
    assert response.json()["data"]["languages"], response.text
    assert (await api.client.get("/readyz")).status_code == 200
    code, _ = await ws_sign_in(api.server, api.person(Role.STUDENT).token)
    assert code is None


async def warm(api: Api) -> tuple[str, str]:
    """Two coordinators' tokens: one already signed in (its viewer cached), one never seen."""
    signed_in = api.person(Role.COORDINATOR)
    await api.ok(PROGRAMMES, as_=signed_in)
    assert (await api.client.get("/readyz")).status_code == 200
    return signed_in.token, api.person(Role.COORDINATOR).token


async def check_unavailable(api: Api, cached: str, fresh: str, *, within: float) -> None:
    for token in (cached, fresh):
        response, took = await timed(
            api.client.post(
                "/graphql", json={"query": PROGRAMMES}, headers={"authorization": f"Bearer {token}"}
            )
        )
        unavailable(response)
        assert took < within, took
    ready, took = await timed(api.client.get("/readyz"))
    assert (ready.status_code, ready.json()["database"]) == (503, "down")
    assert took < 1.0, took
    assert (await api.client.get("/healthz")).status_code == 200
    started = time.monotonic()
    code, reason = await ws_sign_in(api.server, api.person(Role.STUDENT).token)
    assert (code, time.monotonic() - started < within) == (TRY_AGAIN_LATER, True)
    assert reason


async def test_a_silent_database_is_unavailable_within_seconds(
    api: Api, proxy: Proxy, failures: list[logging.LogRecord]
) -> None:
    cached, fresh = await warm(api)
    proxy.speaking.clear()
    # A pooled connection's ping times out, then SQLAlchemy waits up to 2 s to close it.
    await check_unavailable(api, cached, fresh, within=2 * TIMEOUT + 2.5)
    no_failures(failures)
    proxy.speaking.set()
    await served_again(api)


async def test_a_database_refusing_connections_is_unavailable_at_once(
    api: Api, proxy: Proxy, failures: list[logging.LogRecord]
) -> None:
    cached, fresh = await warm(api)
    await proxy.shut()
    await check_unavailable(api, cached, fresh, within=TIMEOUT)
    no_failures(failures)
    await proxy.open()
    await served_again(api)


async def test_connections_the_database_dropped_cost_no_request(
    api: Api, proxy: Proxy, failures: list[logging.LogRecord]
) -> None:
    """A database restart (or a failover) drops every pooled connection at once: the next
    requests, writes and reads and a WebSocket sign-in, are served on fresh connections, none
    is refused, and the server's own rounds (the mailer's) go on without an error."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Before")
    for ask in ("write", "read", "sign-in"):
        await proxy.shut()  # every connection through the proxy is cut
        await proxy.open()
        if ask == "write":
            await f.programme(api, coordinator, name="After")
        elif ask == "read":
            assert (await api.ok(PROGRAMMES, as_=coordinator))["languages"]
        else:
            assert await ws_sign_in(api.server, api.person(Role.STUDENT).token) == (None, None)
    await asyncio.sleep(0.5)  # a few of the mailer's rounds
    no_failures(failures)
