"""Every student's live list of mentors equals the database after any sequence of changes:
random sequences on one server (SQLite), followed by graphql-transport-ws clients with different
filters, two of them students who ask, one of whom is accepted now and then (the model and the
changes: tests/live_views.py)."""

from __future__ import annotations

import random
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import wipe
from tests.live_views import Report, World, check_client_watchers, seed, sequences
from tests.servers import running_server


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_every_live_list_equals_the_database_after_random_sequences(
    database: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, engine = database
    await wipe(engine)
    clock = FakeClock(START)
    settings = server_settings(url, tmp_path / "mail", scheduler_enabled=False)
    report = Report(seed())
    async with (
        running_server(settings, clock) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        AsyncExitStack() as stack,
    ):
        api = Api(server=server, client=client)
        scheduler = server.app.state.scheduler
        world = World(random.Random(report.seed), [api], [clock], scheduler.run_round)
        await world.create()
        await check_client_watchers(world, stack, count=sequences(20), report=report)
    print(report)
    assert not report.failures, "\n".join(report.failures)
