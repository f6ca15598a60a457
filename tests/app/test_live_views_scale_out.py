"""Every student's live list equals the database after random sequences of changes, with two
server processes behind one PostgreSQL and one Redis: changes go through either, watchers
listen on either (the model and the changes: tests/live_views.py)."""

from __future__ import annotations

import random
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.app.test_scale_out import server_process
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import server_settings
from tests.databases import fresh_database
from tests.environment import need
from tests.live_views import Report, World, check_client_watchers, seed, sequences
from tests.servers import process_environment, running_server


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_every_live_list_equals_the_database_with_two_processes(tmp_path: Path) -> None:
    redis_url = need("Redis", "TEST_REDIS_URL")
    prefix = f"mentori-test-{uuid.uuid4().hex[:12]}."
    report = Report(seed())
    async with fresh_database("postgresql", purpose="live_views") as (url, _):
        # One process here, whose clock the test moves and whose scheduler expires requests;
        # the other as deployed, on the real clock.
        clock = FakeClock(datetime.now(UTC))
        here = server_settings(
            url,
            tmp_path / "mail",
            broker_url=redis_url,
            broker_channel_prefix=prefix,
            scheduler_enabled=False,
        )
        env = process_environment(url, redis_url, prefix, tmp_path / "mail")
        async with (
            running_server(here, clock) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
            server_process(env, tmp_path / "two.log") as two,
            AsyncExitStack() as stack,
        ):
            one = Api(server=server, client=client)
            scheduler = server.app.state.scheduler
            world = World(random.Random(report.seed), [one, two], [clock], scheduler.run_round)
            await world.create()
            await check_client_watchers(world, stack, count=sequences(20), report=report)
    print(report)
    assert not report.failures, "\n".join(report.failures)
