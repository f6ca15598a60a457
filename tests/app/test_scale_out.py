"""Several server processes behind one PostgreSQL and one Redis: a client subscribed on one
process sees what a mutation on another changed. Real uvicorn processes, real clients."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from redis import asyncio as redis
from sqlalchemy import select

from app.settings import Settings
from db.engine import create_engine
from db.models import Event, Role
from schema import ids
from tests import factories as f
from tests.clients import Api, live_client, until_listening
from tests.clock import FakeClock
from tests.databases import fresh_database
from tests.environment import need
from tests.servers import Server, free_port, process_environment, until_healthy
from tests.services.test_programme_list import (
    SEARCH,
    UPDATE,
    ended_yesterday,
    found,
    two_running_programmes,
)

ROOT = Path(__file__).resolve().parents[2]
AVAILABILITY = """subscription($filter: MentorFilter) {
  mentorAvailabilityChanged(filter: $filter) { mentorId availability mentor { id } }
}"""
MY_REQUESTS = "subscription { myRequestEvents { kind request { id status } } }"
FEED = "subscription { programmeEvents { seq kind summary } }"
STATS = "subscription { programmeStats { seq matches mentors { full } } }"


@asynccontextmanager
async def server_process(env: dict[str, str], log: Path) -> AsyncIterator[Api]:
    """`uvicorn app.main:create_app --factory`, as deployed, configured by its environment."""
    port = free_port()
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            *("--ws", "wsproto", "--ws-per-message-deflate", "false"),  # as app/cli.py runs it
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                await until_healthy(client, process, log)
                server = Server(
                    url=url, settings=Settings(), clock=FakeClock(datetime.now(UTC)), app=None
                )
                yield Api(server=server, client=client)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


@asynccontextmanager
async def two_processes(tmp_path: Path, *, purpose: str) -> AsyncIterator[tuple[Api, Api]]:
    """Two server processes on a fresh database, sharing Redis under a prefix of their own."""
    redis_url = need("Redis", "TEST_REDIS_URL")
    prefix = f"mentori-test-{uuid.uuid4().hex[:12]}."
    async with fresh_database("postgresql", purpose=purpose) as (url, _):
        env = process_environment(url, redis_url, prefix, tmp_path / "mail")
        async with (
            server_process(env, tmp_path / "one.log") as one,
            server_process(env, tmp_path / "two.log") as two,
        ):
            yield one, two


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_a_subscriber_on_one_process_sees_changes_made_on_another(tmp_path: Path) -> None:
    redis_url = need("Redis", "TEST_REDIS_URL")
    prefix = f"mentori-test-{uuid.uuid4().hex[:12]}."
    async with fresh_database("postgresql", purpose="scale") as (url, _):
        env = process_environment(url, redis_url, prefix, tmp_path / "mail")
        async with (
            server_process(env, tmp_path / "one.log") as one,
            server_process(env, tmp_path / "two.log") as two,
        ):
            await _scenario(one, two, url, redis_url, prefix)


async def _scenario(one: Api, two: Api, url: str, redis_url: str, prefix: str) -> None:
    coordinator = two.person(Role.COORDINATOR)
    programme_id = await f.programme(two, coordinator)
    mentor, mentor_id = await f.mentor(two, two.person(Role.MENTOR, "Aino Virtanen"), capacity=1)
    asker = await f.student(two, two.person(Role.STUDENT, "Priya Sharma"))
    watcher = await f.student(two)

    async with (
        live_client(one.server.ws_url, watcher.token) as watcher_ws,
        live_client(one.server.ws_url, mentor.token) as mentor_ws,
        live_client(one.server.ws_url, coordinator.token) as feed_ws,
        live_client(two.server.ws_url, coordinator.token) as stats_ws,
    ):
        availability = await watcher_ws.subscribe(AVAILABILITY, {"filter": {"languages": ["fi"]}})
        inbox = await mentor_ws.subscribe(MY_REQUESTS)
        feed = await feed_ws.subscribe(FEED)
        stats = await stats_ws.subscribe(STATS)
        assert (await stats_ws.data(stats))["programmeStats"]["matches"] == 0
        await until_listening(one.client, 3)
        await until_listening(two.client, 1)
        # Each process holds one broker subscription for the programme, whoever listens.
        channel = f"{prefix}programme.{ids.decode(programme_id, 'Programme')}"
        broker = redis.Redis.from_url(redis_url)
        assert await broker.pubsub_numsub(channel) == [(channel.encode(), 2)]
        await broker.aclose()
        start = (await _event_log(url))[-1][0]

        request_id = await f.send(two, asker, mentor_id, "Hello from process two")
        alert = (await mentor_ws.data(inbox))["myRequestEvents"]
        assert (alert["kind"], alert["request"]["id"]) == ("SENT", request_id)

        await one.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
        while (await stats_ws.data(stats))["programmeStats"]["matches"] == 0:
            pass  # process two counts the match made on process one (bursts may coalesce)

        full = (await watcher_ws.data(availability))["mentorAvailabilityChanged"]
        assert (full["mentorId"], full["availability"], full["mentor"]) == (mentor_id, "FULL", None)

        # The coordinator's feed on process one: every event since, in order, once.
        log = [entry for entry in await _event_log(url) if entry[0] > start]
        entries = [(await feed_ws.data(feed))["programmeEvents"] for _ in log]
        assert [(e["seq"], e["kind"]) for e in entries] == log
        summaries = {e["kind"]: e["summary"] for e in entries}
        assert summaries["REQUEST_ACCEPTED"] == "Aino Virtanen accepted Priya Sharma's request"


async def _event_log(url: str) -> list[tuple[int, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(Event.seq, Event.kind).order_by(Event.seq))
            return [(seq, kind) for seq, kind in rows]
    finally:
        await engine.dispose()


VIEWER = "{ viewer { id } }"
ERASE_ME = "mutation { eraseMe { personId } }"
RENAME = """mutation($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { id displayName }
}"""


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_a_person_erased_on_one_process_is_signed_out_of_every_other(
    tmp_path: Path,
) -> None:
    async with two_processes(tmp_path, purpose="erase") as (one, two):
        await f.programme(one)
        student = await f.student(one, one.person(Role.STUDENT, "Edith Elsewhere"))
        await two.ok(VIEWER, as_=student)  # process two remembers the token
        async with live_client(two.server.ws_url, student.token) as live:
            await one.ok(ERASE_ME, as_=student)

            refused = await two.error(
                RENAME, {"input": {"displayName": "Edith Elsewhere"}}, as_=student
            )
            assert refused["extensions"]["code"] == "UNAUTHENTICATED"
            assert (await two.error(VIEWER, as_=student))["extensions"]["code"] == (
                "UNAUTHENTICATED"
            )
            code, _ = await live.closed(within=5)
            assert code == 4401


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_a_programme_changed_on_one_process_is_seen_at_once_by_the_next_search_on_another(
    tmp_path: Path,
) -> None:
    async with two_processes(tmp_path, purpose="programmes") as (one, two):
        this_year, this_years_mentor, _, next_years_mentor = await two_running_programmes(one)
        coordinator = one.person(Role.COORDINATOR)
        search = {"programmeId": None}
        # Process two keeps the programmes it has read.
        for _ in range(2):
            assert found(await two.ok(SEARCH, search, as_=coordinator)) == [this_years_mentor]

        phases = ended_yesterday(one)
        await one.ok(UPDATE, {"id": this_year, "input": {"phases": phases}}, as_=coordinator)

        assert found(await two.ok(SEARCH, search, as_=coordinator)) == [next_years_mentor]
