"""The embedded default (`make run`: SQLite, in-memory broker) under a crowd: tens of clients that
search, send, accept, subscribe and go away mid-request never see the database locked, and
SIGTERM stops the server within seconds with WebSockets still open. A real `mentori serve`
process, real HTTP and WebSocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.settings import Settings
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from live.unit_of_work import UnitOfWork
from tests import factories as f
from tests.clients import Api, Person
from tests.clock import FakeClock
from tests.databases import fresh_database
from tests.servers import Server, free_port, until_healthy

ROOT = Path(__file__).resolve().parents[2]
SOAK_SECONDS = float(os.environ.get("MENTORI_SOAK_SECONDS", "8"))
CLIENTS = 30
SEARCH = """query($filter: MentorFilter) {
  mentors(first: 10, filter: $filter) { totalCount edges { node { id availability } } }
}"""
PENDING = "{ myRequests(statuses: [PENDING]) { id } }"
AVAILABILITY = "subscription { mentorAvailabilityChanged { mentorId availability } }"
SUBSCRIPTIONS = [
    AVAILABILITY,
    """subscription { mentorAvailabilityChanged(filter: { languages: ["en"] }) {
      mentorId availability mentor { displayName languages { code } fields { name } } } }""",
    "subscription { myRequestEvents { kind request { id status mentor { displayName } } } }",
]

pytestmark = pytest.mark.slow


@asynccontextmanager
async def embedded_server(folder: Path) -> AsyncIterator[tuple[Api, asyncio.subprocess.Process]]:
    """`mentori serve` on a fresh SQLite file, as `make run` starts it."""
    async with fresh_database("sqlite", folder, purpose="soak") as (url, engine):
        await engine.dispose()  # the server process has the file to itself
        async with _serving(folder, url) as serving:
            yield serving


@asynccontextmanager
async def _serving(folder: Path, url: str) -> AsyncIterator[tuple[Api, asyncio.subprocess.Process]]:
    port = free_port()
    # As `make run` starts it: the collector tuned as in production (tests turn that off).
    env = {**os.environ, "DATABASE_URL": url, "MAIL_DIR": str(folder / "mail"), "GC_TUNED": "true"}
    log = folder / "server.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "app.cli", "serve", "--port", str(port)),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                await until_healthy(client, process, log)
                server = Server(base, Settings(), FakeClock(datetime.now(UTC)), app=None)
                yield Api(server=server, client=client), process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


def troubles(response: httpx.Response) -> list[str]:
    """What a person would call the server failing: a 5xx, an unexpected or unavailable error,
    a locked database."""
    found = [f"HTTP {response.status_code}"] if response.status_code >= 500 else []
    with contextlib.suppress(ValueError):
        for error in response.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code in {"INTERNAL_ERROR", "UNAVAILABLE"} or "locked" in error["message"]:
                found.append(f"{code}: {error['message']}")
    return found


async def crowd_member(
    api: Api,
    me: Person,
    mentors: list[tuple[Person, str]],
    rng: random.Random,
    until: float,
    problems: list[str],
) -> int:
    """One client doing what people do, at random, until the time is up; how many requests."""
    done = 0
    async with httpx.AsyncClient(base_url=api.server.url, timeout=30) as client:
        headers = {"authorization": f"Bearer {me.token}"}
        while time.monotonic() < until:
            action = rng.choice(["search", "send", "accept", "subscribe", "abandon"])
            mentor, mentor_id = rng.choice(mentors)
            payload: dict[str, Any]
            if action == "search":
                payload = {"query": SEARCH, "variables": {"filter": {"languages": ["en"]}}}
            elif action == "send":
                payload = {"query": f.SEND, "variables": {"mentorId": mentor_id, "message": "Hi"}}
            elif action == "accept":
                pending = await client.post(
                    "/graphql",
                    json={"query": PENDING},
                    headers={"authorization": f"Bearer {mentor.token}"},
                )
                problems.extend(troubles(pending))
                requests = (pending.json().get("data") or {}).get("myRequests") or []
                if not requests:
                    continue
                headers_now = {"authorization": f"Bearer {mentor.token}"}
                response = await client.post(
                    "/graphql",
                    json={"query": f.ACCEPT, "variables": {"id": requests[0]["id"]}},
                    headers=headers_now,
                )
                problems.extend(troubles(response))
                done += 2
                continue
            elif action == "subscribe":
                await subscribe_and_leave(api.server.ws_url, me.token, rng, problems)
                done += 1
                continue
            else:  # a client that gives up mid-request: the server sees the socket go
                with contextlib.suppress(httpx.TimeoutException):
                    await client.post(
                        "/graphql",
                        json={
                            "query": f.SEND,
                            "variables": {"mentorId": mentor_id, "message": "?"},
                        },
                        headers=headers,
                        timeout=rng.uniform(0.0005, 0.02),
                    )
                done += 1
                continue
            response = await client.post("/graphql", json=payload, headers=headers)
            problems.extend(troubles(response))
            done += 1
    return done


async def subscribe_and_leave(
    url: str, token: str, rng: random.Random, problems: list[str]
) -> None:
    """A page opened for a moment: it subscribes, reads what arrives, and is closed (a reload,
    a tab shut) whether or not anything came."""
    query = rng.choice(SUBSCRIPTIONS)
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(rng.choice([0.0, 0.01, 0.2, 1.0])):
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] in {"next", "error"}:
                        problems.extend(
                            f"{(e.get('extensions') or {}).get('code')}: {e['message']}"
                            for e in message["payload"].get("errors") or message["payload"]
                            if isinstance(e, dict)
                            and (e.get("extensions") or {}).get("code")
                            in {"INTERNAL_ERROR", "UNAVAILABLE"}
                        )


async def test_a_crowd_never_finds_the_embedded_database_locked_and_sigterm_stops_it(
    tmp_path: Path,
) -> None:
    rng = random.Random(20261201)
    async with embedded_server(tmp_path) as (api, process):
        await f.programme(api)
        mentors = [await f.mentor(api, capacity=2, languages=["en"]) for _ in range(8)]
        students = [await f.student(api) for _ in range(CLIENTS)]
        problems: list[str] = []
        until = time.monotonic() + SOAK_SECONDS
        done = await asyncio.gather(
            *(
                crowd_member(api, s, mentors, random.Random(rng.random()), until, problems)
                for s in students
            )
        )
        assert sum(done) > CLIENTS * 5, done  # the crowd did get served
        assert problems == [], problems[:10]
        # And after it, the server answers at once, and says it is ready.
        started = time.monotonic()
        answer = await api.ok("{ programme { name } }", as_=students[0])
        assert answer["programme"]["name"] == "Mentoring 2026"
        assert time.monotonic() - started < 5
        assert (await api.client.get("/readyz")).status_code == 200

        # SIGTERM with pages still open (their WebSockets subscribed) ends it within seconds.
        async with contextlib.AsyncExitStack() as open_pages:
            for student in students[:5]:
                ws = await open_pages.enter_async_context(
                    connect(api.server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])
                )
                init = {"Authorization": f"Bearer {student.token}"}
                await ws.send(json.dumps({"type": "connection_init", "payload": init}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                subscribe = {"query": AVAILABILITY}
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 15)
            stopped_in = time.monotonic() - stopping
        assert stopped_in < 10, stopped_in
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "database is locked" not in log


class NoEvents:
    """The unit of work's hub, for a test of transactions alone: nothing to publish."""

    async def publish(self, written: object) -> None:
        return None


async def test_a_unit_of_work_cut_short_leaves_no_connection_holding_the_lock(
    tmp_path: Path,
) -> None:
    """A client that goes away cancels its operation; cancelled again while it rolls back (a
    page closed during a reconnect), the connection used to be dropped half-closed: its thread
    kept SQLite's write lock, and kept the process from exiting."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/mentori.db")
    await upgrade(engine)
    threads_before = threading.active_count()
    uow = UnitOfWork(create_sessionmaker(engine), NoEvents())  # type: ignore[arg-type]

    async def write(session: AsyncSession) -> None:
        await session.execute(text("INSERT INTO languages (code, name) VALUES ('xx', 'X')"))
        await asyncio.sleep(0.005)
        await session.execute(text("DELETE FROM languages WHERE code = 'xx'"))

    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(text("SELECT count(*) FROM languages WHERE code = 'xx'")))

    # As in production (GC_TUNED), cyclic garbage is collected rarely: nothing dropped
    # half-closed may count on the collector to close it.
    gc.disable()
    try:
        await cut_short(uow, write)
        # The next transaction gets the lock at once, and sees each cut-short one undone or done.
        assert await asyncio.wait_for(uow.run(count), 5) == 0
        await engine.dispose()
        await asyncio.sleep(0.3)
        assert threading.active_count() <= threads_before, threading.enumerate()
    finally:
        gc.enable()


async def cut_short(uow: UnitOfWork, write: Callable[[AsyncSession], Awaitable[None]]) -> None:
    for attempt in range(120):
        operation = asyncio.create_task(uow.run(write))
        for _ in range(attempt % 11):
            await asyncio.sleep(0)
        operation.cancel()
        for _ in range(attempt // 11):
            await asyncio.sleep(0)
        operation.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await operation
