from __future__ import annotations

import asyncio
import faulthandler
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from services import programme_list

# One pytest process starts many apps: freezing its heap at each start would keep earlier
# tests' cyclic garbage forever (and silence its ResourceWarnings). Servers started for a test
# as subprocesses inherit this too.
os.environ.setdefault("GC_TUNED", "false")

from tests.clients import Api
from tests.clock import FakeClock
from tests.databases import fresh_database, wipe
from tests.servers import Server, forget_kept, keep_for_session, running_server

START = datetime(2026, 1, 22, 10, 0, tzinfo=UTC)  # noon in Helsinki, in the request window

_timers: dict[str, threading.Timer] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: object) -> bool | None:
    """A test that hangs ends the run at once (pytest-timeout's `timeout`), naming itself and
    printing every asyncio task's stack as well as every thread's: most of this suite's waits
    are coroutines, which a thread dump alone shows as the event loop's select()."""
    seconds = float(getattr(settings, "timeout", 0) or 0)
    if seconds <= 0:
        return None

    def hung() -> None:
        capture = item.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)
        print(f"\n+++ {item.nodeid} ran past {seconds:.0f}s; its tasks:", file=sys.stderr)
        for task in list(getattr(asyncio.tasks, "_all_tasks", ())):
            if not task.done():
                print(f"task {task.get_name()}:", file=sys.stderr)
                for frame in _awaiting(task.get_coro()):
                    code = frame.f_code
                    print(f"  {code.co_filename}:{frame.f_lineno} {code.co_name}", file=sys.stderr)
        faulthandler.dump_traceback(file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)

    timer = _timers[item.nodeid] = threading.Timer(seconds, hung)
    timer.daemon = True
    timer.start()
    return True


def _awaiting(coroutine: object) -> Iterator[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost first."""
    while coroutine is not None:
        for kind in ("cr", "gi", "ag"):
            if (frame := getattr(coroutine, f"{kind}_frame", None)) is not None:
                yield frame
        coroutine = next(
            (
                inner
                for name in ("cr_await", "gi_yieldfrom", "ag_await")
                if (inner := getattr(coroutine, name, None)) is not None
            ),
            None,
        )


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool | None:
    timer = _timers.pop(item.nodeid, None)
    if timer is None:
        return None
    timer.cancel()
    return True


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database(request.param, tmp_path_factory.mktemp("sqlite")) as found:
        yield found


def server_settings(database_url: str, mail_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "broker_url": "memory://",
        "mail_dir": str(mail_dir),
        "mail_poll_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def server(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    url, _ = database
    clock = FakeClock(START)
    settings = server_settings(url, tmp_path_factory.mktemp("mail"))
    async with running_server(settings, clock) as running:
        keep_for_session(running)
        try:
            yield running
        finally:
            forget_kept(running)


@pytest.fixture
async def api(server: Server, database: tuple[str, AsyncEngine]) -> AsyncIterator[Api]:
    await wipe(database[1])
    # The wipe changed programmes without a word to the server: it forgets those it kept.
    programme_list.of(server.app.state.engine.sync_engine).drop()
    server.clock.now = START
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield Api(server=server, client=client)


@pytest.fixture
def engine(database: tuple[str, AsyncEngine]) -> AsyncEngine:
    return database[1]


@pytest.fixture
def backend(database: tuple[str, AsyncEngine]) -> str:
    return database[1].dialect.name
