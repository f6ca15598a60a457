"""The event hub: committed events reach listeners in order and once each, whatever the broker
does (duplicates, disorder, lost publishes, an outage); nothing uncommitted is ever published;
a stuck listener holds no memory and delays nobody. Real databases and a real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis import asyncio as redis
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.settings import Settings
from db.engine import create_sessionmaker
from db.models import Event, Role
from live.broker import BrokerState
from live.fanout import FellBehind, Listener, Topic
from live.hub import EventHub
from live.unit_of_work import UnitOfWork
from services import events, programmes
from services.errors import DomainError, ErrorCode
from services.events import EventKind, RecordedEvent
from services.viewer import Viewer
from tests.conftest import START
from tests.databases import fresh_database, wipe
from tests.environment import need
from tests.servers import free_port
from tests.waiting import eventually

COORDINATOR = Viewer(user_id=0, role=Role.COORDINATOR, name="Coordinator", email="c@example.edu")


def hub_settings(engine: AsyncEngine, broker_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "broker_url": broker_url,
        "broker_channel_prefix": f"mentori-test-{uuid.uuid4().hex[:12]}.",
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_hub(engine: AsyncEngine, settings: Settings) -> AsyncIterator[UnitOfWork]:
    """A process's hub and unit of work (as create_app makes them), started and stopped."""
    sessions = create_sessionmaker(engine)
    hub = EventHub(settings, sessions)
    await hub.start()
    try:
        yield UnitOfWork(sessions, hub)
    finally:
        await hub.stop()


async def new_programme(uow: UnitOfWork) -> int:
    created = await uow.run(
        lambda s: programmes.create(
            s,
            COORDINATOR,
            name=f"P{uuid.uuid4().hex[:6]}",
            phases=[],
            limits=programmes.Limits(),
            now=START,
        )
    )
    return created.id


def changes(programme_id: int, *mentor_ids: int) -> Callable[[AsyncSession], Awaitable[None]]:
    """An operation that records one availability change per mentor id."""

    async def operation(session: AsyncSession) -> None:
        for n, mentor_id in enumerate(mentor_ids):
            events.record(
                session,
                programme_id,
                EventKind.MENTOR_AVAILABILITY_CHANGED,
                {"mentorId": mentor_id, "n": n},
                now=START,
            )

    return operation


async def everything(batch: list[RecordedEvent]) -> list[RecordedEvent]:
    return batch


def all_events(key: str = "all", **options: Any) -> Topic[RecordedEvent]:
    return Topic(key=key, prepare=everything, **options)


async def take(listener: Listener[RecordedEvent], count: int) -> list[RecordedEvent]:
    async def collect() -> list[RecordedEvent]:
        return [await anext(listener) for _ in range(count)]

    return await asyncio.wait_for(collect(), 10)


async def until(condition: Callable[[], bool]) -> None:
    async def held() -> bool:
        return condition()

    await eventually(held, what="the condition to hold", within=15)


async def logged(engine: AsyncEngine, programme_id: int) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.scalars(
            select(Event.seq).where(Event.programme_id == programme_id).order_by(Event.seq)
        )
        return list(rows)


@pytest.fixture
async def clean(engine: AsyncEngine) -> AsyncEngine:
    await wipe(engine)
    return engine


async def test_a_rolled_back_operation_publishes_nothing(clean: AsyncEngine) -> None:
    async with running_hub(clean, hub_settings(clean, "memory://")) as uow:
        programme_id = await new_programme(uow)
        async with uow.hub.listen(programme_id, all_events()) as listener:

            async def fails(session: AsyncSession) -> None:
                await changes(programme_id, 1, 2)(session)
                raise DomainError(ErrorCode.CONFLICT, "Changed my mind.")

            with pytest.raises(DomainError):
                await uow.run(fails)
            await uow.run(changes(programme_id, 3))
            (received,) = await take(listener, 1)
    # The first thing heard is the committed change; the undone ones used no sequence number.
    assert received.payload["mentorId"] == 3
    assert received.seq == 2
    assert await logged(clean, programme_id) == [1, 2]


async def test_a_committed_event_whose_publish_was_lost_still_arrives(clean: AsyncEngine) -> None:
    settings = hub_settings(clean, "memory://", live_tail_seconds=0.2)
    async with running_hub(clean, settings) as uow, running_hub(clean, settings) as elsewhere:
        programme_id = await new_programme(uow)
        async with uow.hub.listen(programme_id, all_events()) as listener:
            # Another process commits, and its publish never reaches this one (as if it
            # crashed between commit and publish): the event log's tail gives it away.
            await elsewhere.run(changes(programme_id, 1, 2))
            lost = await take(listener, 2)
            # Then one published here, after a gap that is read from the log.
            await elsewhere.run(changes(programme_id, 3))
            await uow.run(changes(programme_id, 4))
            rest = await take(listener, 2)
    assert [e.payload["mentorId"] for e in lost + rest] == [1, 2, 3, 4]
    assert [e.seq for e in lost + rest] == [2, 3, 4, 5]


async def test_events_arrive_in_order_and_once_whatever_the_broker_repeats(
    clean: AsyncEngine,
) -> None:
    settings = hub_settings(clean, "memory://", live_tail_seconds=60)
    async with running_hub(clean, settings) as uow, running_hub(clean, settings) as elsewhere:
        programme_id = await new_programme(uow)
        async with uow.hub.listen(programme_id, all_events()) as listener:
            await elsewhere.run(changes(programme_id, 1, 2, 3))
            async with create_sessionmaker(clean)() as session:
                first, second, third = await events.since(session, programme_id, 1)
            await uow.hub.publish([third])  # out of order: the gap is read from the log
            await uow.hub.publish([second, first, third])  # and everything again
            received = await take(listener, 3)
            await uow.run(changes(programme_id, 4))
            (last,) = await take(listener, 1)
    assert [e.seq for e in received] == [2, 3, 4]
    assert last.payload["mentorId"] == 4
    assert len(listener) == 0


async def test_a_stuck_listener_holds_little_and_delays_nobody(clean: AsyncEngine) -> None:
    settings = hub_settings(clean, "memory://", subscriber_queue_size=10)
    async with running_hub(clean, settings) as uow:
        programme_id = await new_programme(uow)
        by_mentor = all_events("by-mentor", coalesce=lambda e: e.payload["mentorId"])
        async with (
            uow.hub.listen(programme_id, by_mentor) as stuck,
            uow.hub.listen(programme_id, all_events()) as stuck_in_order,
            uow.hub.listen(programme_id, all_events()) as reader,
        ):
            reading = asyncio.create_task(take(reader, 120))
            for _ in range(40):
                await uow.run(changes(programme_id, 1, 2, 3))
            received = await reading
            assert [e.seq for e in received] == list(range(2, 122))
            # Only each mentor's latest change waits for the stuck client...
            assert len(stuck) == 3
            assert {e.seq for e in await take(stuck, 3)} == {119, 120, 121}
            # ...and one that cannot be coalesced was dropped, to be told it fell behind.
            assert len(stuck_in_order) == 0
            with pytest.raises(FellBehind):
                await anext(stuck_in_order)


async def test_a_listener_coalesced_per_mentor_holds_each_mentors_latest_and_stays(
    clean: AsyncEngine,
) -> None:
    """As mentorAvailabilityChanged during a burst: more mentors change than the queue size
    while the listener is not reading; it is not ended, and reads each one's latest change."""
    settings = hub_settings(clean, "memory://", subscriber_queue_size=10)
    async with running_hub(clean, settings) as uow:
        programme_id = await new_programme(uow)
        per_mentor = all_events("per-mentor", coalesce=lambda e: e.payload["mentorId"], capacity=50)
        async with uow.hub.listen(programme_id, per_mentor) as slow:
            for _ in range(3):
                await uow.run(changes(programme_id, *range(1, 31)))
            await until(lambda: len(slow) == 30 and slow.group.delivered == 91)
            latest = await take(slow, 30)
    assert sorted(e.payload["mentorId"] for e in latest) == list(range(1, 31))
    assert {e.seq for e in latest} == set(range(62, 92))  # the third round's, each mentor's last


async def test_a_burst_is_prepared_once_for_all_alike_listeners(clean: AsyncEngine) -> None:
    prepared: list[list[int]] = []

    async def recount(batch: list[RecordedEvent]) -> list[int]:
        prepared.append([e.seq for e in batch])
        return [batch[-1].seq]

    # As programmeStats: at most one preparation per interval, shared by its listeners.
    counters = Topic(key="stats", prepare=recount, coalesce=lambda _: "stats", min_interval=2)
    async with running_hub(clean, hub_settings(clean, "memory://")) as uow:
        programme_id = await new_programme(uow)
        async with (
            uow.hub.listen(programme_id, counters) as one,
            uow.hub.listen(programme_id, counters) as other,
        ):
            await uow.run(changes(programme_id, 0))
            assert await asyncio.wait_for(anext(one), 10) == 2  # the first change, at once
            for mentor_id in range(1, 20):
                await uow.run(changes(programme_id, mentor_id))
            assert await asyncio.wait_for(anext(one), 10) == 21  # the rest of the burst
            assert len(other) == 1  # the first result, replaced by the last: not kept twice
            assert await anext(other) == 21
    assert prepared == [[2], list(range(3, 22))]


async def test_each_process_holds_one_broker_subscription_per_programme(
    clean: AsyncEngine,
) -> None:
    redis_url = need("Redis", "TEST_REDIS_URL")
    # The tail check is slowed right down: what arrives here came through Redis.
    settings = hub_settings(clean, redis_url, live_tail_seconds=600)
    client = redis.Redis.from_url(redis_url)
    async with running_hub(clean, settings) as one, running_hub(clean, settings) as other:
        programme_id = await new_programme(one)
        channel = one.hub.channel(programme_id)
        await until(lambda: one.hub.broker_state is other.hub.broker_state is BrokerState.UP)
        async with contextlib.AsyncExitStack() as stack:
            here = [
                await stack.enter_async_context(one.hub.listen(programme_id, all_events(f"t{n}")))
                for n in range(5)
            ]
            there = [
                await stack.enter_async_context(other.hub.listen(programme_id, all_events()))
                for _ in range(3)
            ]
            assert await client.pubsub_numsub(channel) == [(channel.encode(), 2)]
            await other.run(changes(programme_id, 7))
            for listener in here + there:
                (received,) = await take(listener, 1)
                assert received.payload["mentorId"] == 7
    await client.aclose()


@pytest.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    """A fresh PostgreSQL database of this module's own, whichever backend the suite is on."""
    async with fresh_database("postgresql", purpose="broker") as (_, engine):
        yield engine


async def test_a_postgres_broker_carries_events_between_processes(
    postgres_engine: AsyncEngine,
) -> None:
    clean = postgres_engine
    broker_url = make_url(clean.url).set(drivername="postgresql").render_as_string(False)
    settings = hub_settings(clean, broker_url, live_tail_seconds=600)
    async with running_hub(clean, settings) as one, running_hub(clean, settings) as other:
        programme_id = await new_programme(one)
        await until(lambda: one.hub.broker_state is other.hub.broker_state is BrokerState.UP)
        async with one.hub.listen(programme_id, all_events()) as listener:
            await other.run(changes(programme_id, 5))
            (received,) = await take(listener, 1)
    assert received.payload["mentorId"] == 5


class Outage:
    """A TCP proxy in front of the broker, which the test cuts as if the broker went down."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task[Any]] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.listen_port)

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self._connections.add(connection)
        self._writers.add(writer)
        try:
            upstream_reader, upstream = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            self._connections.discard(connection)
            return
        self._writers.add(upstream)
        pipes = [
            asyncio.create_task(_pipe(reader, upstream)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        ]
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for end in (writer, upstream):  # either side gone: the whole connection is
            self._writers.discard(end)
            end.transport.abort()
        await asyncio.gather(*pipes, return_exceptions=True)
        self._connections.discard(connection)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


async def test_a_broker_outage_fails_no_operation_and_listeners_catch_up(
    clean: AsyncEngine,
) -> None:
    redis_url = make_url(need("Redis", "TEST_REDIS_URL"))
    outage = Outage(redis_url.host or "127.0.0.1", redis_url.port or 6379)
    await outage.up()
    proxied = redis_url.set(host="127.0.0.1", port=outage.listen_port).render_as_string(False)
    settings = hub_settings(
        clean,
        proxied,
        live_tail_seconds=0.3,
        broker_heartbeat_seconds=0.3,
        broker_publish_timeout_seconds=0.5,
    )
    async with running_hub(clean, settings) as one, running_hub(clean, settings) as other:
        programme_id = await new_programme(one)
        async with one.hub.listen(programme_id, all_events()) as listener:
            await until(lambda: other.hub.broker_state is BrokerState.UP)
            await other.run(changes(programme_id, 1))
            before = await take(listener, 1)

            await outage.down()
            await other.run(changes(programme_id, 2))  # does not fail: the log has it
            during = await take(listener, 1)
            await until(lambda: one.hub.broker_state is BrokerState.DOWN)

            await outage.up()
            await until(lambda: one.hub.broker.connections >= 2)
            await until(lambda: other.hub.broker.connections >= 2)
            await other.run(changes(programme_id, 3))
            after = await take(listener, 1)
    await outage.down()
    assert [e.payload["mentorId"] for e in before + during + after] == [1, 2, 3]
    assert [e.seq for e in before + during + after] == [2, 3, 4]
