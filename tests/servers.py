"""Servers for tests: a free port on loopback, the app served by uvicorn in the test's own event
loop, and waiting for a server process to come up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.main import create_app
from app.settings import Settings
from tests.clock import FakeClock
from tests.waiting import eventually


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
async def on_loopback(app: Any, port: int, **options: Any) -> AsyncIterator[None]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:`port`, in this event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # it failed to start: say why
        return server.started

    await eventually(started, what=f"uvicorn to start on port {port}", within=60)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_server(
    settings: Settings, clock: FakeClock, *, port: int | None = None
) -> AsyncIterator[Server]:
    """A real uvicorn server on loopback, in this event loop (on `port`, when the settings
    must name its address, as PUBLIC_URL does)."""
    port = port or free_port()
    app = create_app(settings, clock=clock)
    async with (
        _beside(settings.database_url),
        on_loopback(
            app,
            port,
            lifespan="on",
            ws="wsproto",  # as `mentori serve` runs it (app/cli.py)
            ws_per_message_deflate=False,
            ws_max_size=settings.max_request_bytes,
        ),
    ):
        server = Server(url=f"http://127.0.0.1:{port}", settings=settings, clock=clock, app=app)
        yield server


# Servers kept for the whole session (tests/conftest.py), by database URL.
_kept: dict[str, Server] = {}


def keep_for_session(server: Server) -> None:
    _kept[server.settings.database_url] = server


def forget_kept(server: Server) -> None:
    _kept.pop(server.settings.database_url, None)


@asynccontextmanager
async def _beside(database_url: str) -> AsyncIterator[None]:
    """A server started on the database of one kept for the session: the kept one's mail and
    periodic rounds do nothing meanwhile, or it would send the new one's letters (to its own
    folder, not the new one's SMTP server) and run its expiries on another clock. Its loops
    keep running (stopping and restarting them would cut a round short)."""
    kept = _kept.get(database_url)
    if kept is None:
        yield
        return
    loops = [kept.app.state.mailer, kept.app.state.scheduler]

    async def idle() -> None:
        return None

    for loop in loops:
        loop.__dict__["work"] = idle
    try:
        yield
    finally:
        for loop in loops:
            loop.__dict__.pop("work", None)


async def until_healthy(
    client: httpx.AsyncClient, process: asyncio.subprocess.Process, log: Path
) -> None:
    """Wait until a server process answers /healthz; if it exits or never does, fail with
    its log."""

    async def healthy() -> bool:
        if process.returncode is not None:
            raise AssertionError("the server exited")
        with contextlib.suppress(httpx.TransportError):
            return (await client.get("/healthz")).status_code == 200
        return False

    try:
        await eventually(healthy, what="the server to start", within=60, every=0.05)
    except AssertionError as failure:
        raise AssertionError(f"{failure}: {read(log)}") from None


def process_environment(
    database_url: str, broker_url: str, channel_prefix: str, mail_dir: Path
) -> dict[str, str]:
    """The environment of a server process that shares a database and a broker with others
    (its scheduler off)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BROKER_URL": broker_url,
        "BROKER_CHANNEL_PREFIX": channel_prefix,
        "MAIL_DIR": str(mail_dir),
        "SCHEDULER_ENABLED": "false",
    }


def read(log: Path) -> str:
    """A server process's log, as far as it got."""
    return log.read_text(errors="replace")
