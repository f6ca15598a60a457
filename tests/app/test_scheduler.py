"""The periodic tasks with several processes: one does a round, and whatever the timing a
request expires once, a mentor is reminded once, and every mail arrives once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.scheduler import ROUND_LOCK, Scheduler
from app.settings import Settings
from db.engine import create_engine, create_sessionmaker
from db.models import (
    Event,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    OutboxStatus,
    Phase,
    Programme,
    ProgrammePhase,
    Role,
    User,
)
from live.hub import EventHub
from live.unit_of_work import UnitOfWork
from tests.clock import FakeClock
from tests.conftest import START
from tests.databases import fresh_database
from tests.environment import need
from tests.factories import seed_requests
from tests.mail import smtp_sink
from tests.servers import free_port
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database(request.param, tmp_path) as found:
        yield found


@pytest.fixture
async def postgres(tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database("postgresql", tmp_path) as found:
        yield found


class Process:
    """One server process's periodic machinery: its own engine, event hub and unit of work."""

    def __init__(self, url: str, clock: FakeClock, **settings: object) -> None:
        self.settings = Settings(database_url=url, broker_url="memory://", **settings)  # type: ignore[arg-type]
        self.engine = create_engine(url)
        sessions = create_sessionmaker(self.engine)
        self.hub = EventHub(self.settings, sessions)
        self.uow = UnitOfWork(sessions, self.hub)
        self.scheduler = Scheduler(self.settings, self.engine, self.uow, clock)

    async def __aenter__(self) -> Process:
        await self.hub.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hub.stop()
        await self.engine.dispose()


async def count(engine: AsyncEngine, query: str) -> dict[str, int]:
    async with engine.connect() as connection:
        return {str(k): int(v) for k, v in await connection.execute(text(query))}


async def test_two_processes_expire_and_remind_each_request_once(
    db: tuple[str, AsyncEngine],
) -> None:
    url, engine = db
    # Twenty requests past their expiry, twenty due a reminder (72 h expiry, 24 h before).
    old = [START - timedelta(hours=80, minutes=n) for n in range(20)]
    recent = [START - timedelta(hours=50, minutes=n) for n in range(20)]
    ids = await seed_requests(engine, old + recent)
    clock = FakeClock(START)
    async with Process(url, clock) as one, Process(url, clock) as two:
        await asyncio.gather(
            *(p.scheduler.run_round(wait=w) for p in (one, two) for w in (True, False, True))
        )
    kinds = await count(
        engine, "SELECT kind, count(*) FROM events WHERE kind LIKE 'REQUEST_%' GROUP BY kind"
    )
    assert kinds["REQUEST_EXPIRED"] == 20
    assert kinds["REQUEST_REMINDED"] == 20
    mails = await count(engine, "SELECT kind, count(*) FROM outbox GROUP BY kind")
    assert mails == {"request_arrived": 40, "request_expired": 40, "request_reminder": 20}
    async with create_sessionmaker(engine)() as session:
        statuses = Counter(
            (await session.scalars(select(MentorRequest.status).order_by(MentorRequest.id))).all()
        )
        assert statuses == {"EXPIRED": 20, "PENDING": 20}
        expired = await session.scalars(
            select(MentorRequest.id).where(MentorRequest.status == "EXPIRED")
        )
        assert set(expired) == set(ids[:20])
        # Both sides released exactly once: no counter went below zero or stayed taken.
        pending = await session.scalar(select(func.sum(MentorProfile.pending_count)))
        assert pending == 20


async def test_a_round_is_skipped_while_another_process_holds_it(
    postgres: tuple[str, AsyncEngine],
) -> None:
    url, engine = postgres
    await seed_requests(engine, [START - timedelta(hours=80)])
    async with Process(url, FakeClock(START)) as process:
        async with engine.connect() as other:
            assert await other.scalar(text(f"SELECT pg_try_advisory_lock({ROUND_LOCK})"))
            assert await process.scheduler.run_round(wait=False) is None
            await other.execute(text(f"SELECT pg_advisory_unlock({ROUND_LOCK})"))
            await other.commit()
        done = await process.scheduler.run_round(wait=False)
    assert done is not None
    assert done.expired == 1


async def test_the_periodic_task_runs_inside_the_server_and_can_be_poked(
    db: tuple[str, AsyncEngine],
) -> None:
    url, engine = db
    # One request already past its expiry (the first round's work), one sent just now.
    early, request_id = await seed_requests(engine, [START - timedelta(hours=80), START])
    clock = FakeClock(START)

    async def expired(request: int) -> bool:
        async with engine.connect() as connection:
            status = await connection.scalar(
                select(MentorRequest.status).where(MentorRequest.id == request)
            )
        return status == "EXPIRED"

    # An hour between rounds: within this test only a poke brings the next one.
    async with Process(url, clock, scheduler_interval_seconds=3600) as process:
        process.scheduler.start()
        try:
            await eventually(lambda: expired(early), what="the first round", within=60)
            clock.advance(hours=73)  # the second request is due now, for the next round
            process.scheduler.poke()
            await eventually(lambda: expired(request_id), what="the poked round", within=60)
        finally:
            await process.scheduler.stop()


async def a_programme_from_before_dates_were_checked(engine: AsyncEngine) -> int:
    """A programme whose mentor sign-up closes on 31 Dec 9999 (the API refuses that now, but a
    database may hold one), with a mentor whose date of birth is kept."""
    async with create_sessionmaker(engine)() as session:
        user = User(subject="old", role=Role.MENTOR, name="Old", email="o@e.fi", created_at=START)
        programme = Programme(
            name="Mentoring 9999",
            created_at=START,
            event_seq=0,
            phases=[
                ProgrammePhase(
                    phase=Phase.MENTOR_SIGNUP,
                    opens_on=date(2026, 1, 1),
                    closes_on=date(9999, 12, 31),
                )
            ],
        )
        session.add_all([user, programme])
        await session.flush()
        session.add(
            MentorProfile(
                programme_id=programme.id,
                user_id=user.id,
                display_name="Old",
                contact_email="o@e.fi",
                date_of_birth=date(1979, 4, 3),
                created_at=START,
                updated_at=START,
            )
        )
        await session.commit()
        return programme.id


async def dates_of_birth(engine: AsyncEngine) -> dict[int, int]:
    """How many dates of birth each programme still keeps."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(MentorProfile.programme_id, func.count())
            .where(MentorProfile.date_of_birth.is_not(None))
            .group_by(MentorProfile.programme_id)
        )
        return {int(programme_id): int(n) for programme_id, n in rows}


async def test_one_programmes_bad_data_holds_up_no_other_and_is_logged_once(
    db: tuple[str, AsyncEngine], caplog: pytest.LogCaptureFixture
) -> None:
    url, engine = db
    [request_id] = await seed_requests(engine, [START - timedelta(hours=80)])
    async with engine.begin() as connection:
        await connection.execute(update(MentorProfile).values(date_of_birth=date(1980, 1, 2)))
    bad = await a_programme_from_before_dates_were_checked(engine)
    clock = FakeClock(START + timedelta(days=30))  # the good one's sign-up closed long ago

    caplog.set_level(logging.INFO, logger="mentori.scheduler")
    async with Process(url, clock) as process:
        for _ in range(3):
            await process.scheduler.run_round()
            clock.advance(minutes=1)
        async with engine.connect() as connection:
            status = await connection.scalar(
                select(MentorRequest.status).where(MentorRequest.id == request_id)
            )
        assert status == "EXPIRED"
        assert await dates_of_birth(engine) == {bad: 1}  # the good programme's are cleared
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r.getMessage() for r in errors] == [
            f"clearing dates of birth in programme {bad} failed; it is tried again every "
            "round and logged again if its error changes"
        ]
        assert errors[0].exc_info is not None

        # The coordinators correct the date; the next round does the work, and says so.
        async with engine.begin() as connection:
            await connection.execute(
                update(ProgrammePhase)
                .where(ProgrammePhase.programme_id == bad)
                .values(closes_on=date(2026, 1, 10))
            )
        await process.scheduler.run_round()
    assert await dates_of_birth(engine) == {}
    assert f"clearing dates of birth in programme {bad} works again" in caplog.messages


async def test_a_round_that_keeps_failing_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database that cannot be opened: every round fails the same way.
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/folder/mentori.db"
    caplog.set_level(logging.INFO, logger="mentori.scheduler")

    async def errors() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.ERROR]

    process = Process(url, FakeClock(START), scheduler_interval_seconds=0.01)
    process.scheduler.start()
    try:
        await eventually(errors, what="the first failed round", within=60)
        await asyncio.sleep(0.5)  # dozens of rounds more, each failing alike
    finally:
        await process.scheduler.stop()
        await process.engine.dispose()
    assert [r.getMessage() for r in await errors()] == [
        "mentori-scheduler round failed; it is tried again every round and logged again if its "
        "error changes"
    ]


def spawn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`mentori serve` as a real process, as production runs it."""
    with log.open("wb") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )


@pytest.fixture
def server_processes(
    postgres: tuple[str, AsyncEngine],
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """Made by the test itself (below), and always stopped."""
    started: list[subprocess.Popen[bytes]] = []
    yield postgres[0], started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_server_processes_share_the_work_and_every_mail_arrives_once(
    postgres: tuple[str, AsyncEngine],
    server_processes: tuple[str, list[subprocess.Popen[bytes]]],
    tmp_path: Path,
) -> None:
    need("PostgreSQL", "TEST_DATABASE_URL")
    url, engine = postgres
    _, started = server_processes
    now = datetime.now(UTC)  # real processes keep real time
    expiring = [now - timedelta(hours=80, minutes=n) for n in range(15)]
    reminded = [now - timedelta(hours=50, minutes=n) for n in range(15)]
    await seed_requests(engine, expiring + reminded)
    expected = 30 + 2 * 15 + 15  # arrivals, expiries (student and mentor), reminders

    async with smtp_sink() as sink:
        ports = [free_port(), free_port()]
        for port in ports:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "BROKER_URL": "memory://",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(sink.port),
                "SCHEDULER_INTERVAL_SECONDS": "0.2",
                "MAIL_POLL_SECONDS": "0.2",
                "MAIL_BATCH_SIZE": "4",
            }
            started.append(spawn(port, env, tmp_path / f"server-{port}.log"))
        async with httpx.AsyncClient(timeout=5) as client:
            for port in ports:

                async def up(port: int = port) -> bool:
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/readyz")
                    except httpx.HTTPError:
                        return False
                    return response.status_code == 200

                await eventually(up, what=f"the server on port {port}", within=60)

        async def all_sent() -> bool:
            async with engine.connect() as connection:
                waiting = await connection.scalar(
                    select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT)
                )
                total = await connection.scalar(select(func.count()).select_from(OutboxMessage))
            return waiting == 0 and total == expected

        await eventually(all_sent, what="every message to be sent", within=120)
        received = sink.messages()

    assert len(received) == expected
    assert len({m["Message-ID"] for m in received}) == expected
    kinds = await count(
        engine, "SELECT kind, count(*) FROM events WHERE kind LIKE 'REQUEST_%' GROUP BY kind"
    )
    assert kinds == {"REQUEST_SENT": 30, "REQUEST_EXPIRED": 15, "REQUEST_REMINDED": 15}
    async with engine.connect() as connection:
        once = await connection.scalar(select(func.count()).where(OutboxMessage.attempts != 1))
        seqs = await connection.execute(
            select(Event.programme_id, Event.seq).order_by(Event.programme_id, Event.seq)
        )
        numbered = [seq for _, seq in seqs]
    assert once == 0
    assert numbered == list(range(1, len(numbered) + 1))  # no gap, no duplicate
