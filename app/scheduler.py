"""The periodic tasks, run inside every server process: request expiry and reminders (rule 9),
survey announcements (rule 10; both in docs/rules.md) and the clearing of dates of birth.

Several processes may run this at once. On PostgreSQL a round first takes a session advisory
lock, so one process does the work while the others skip that round (the lock dies with its
connection if the process does). A round goes through the programmes one by one, so one
programme's bad data never holds up another's work. Each item then runs in a unit of work of
its own, guarded by a conditional UPDATE, so even without the lock (SQLite has one writer
anyway) a request expires once and every reminder or announcement is written once. Time comes
from the app's clock, so tests move a fake clock and run a round directly instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.background import BackgroundLoop
from app.clock import Clock
from app.settings import Settings
from live.unit_of_work import UnitOfWork
from services import expiry, personal_data, programmes, surveys

log = logging.getLogger("mentori.scheduler")
Operation = Callable[[AsyncSession], Awaitable[int | bool]]
Find = Callable[[AsyncSession], Awaitable[list[int]]]
Do = Callable[[int], Operation]  # the operation for one item found

# pg_advisory_lock key: "mentori" in ASCII, so it is recognisable in pg_locks.
ROUND_LOCK = 0x6D656E746F7269


@dataclass(frozen=True, slots=True)
class Round:
    at: datetime
    expired: int = 0
    reminded: int = 0
    surveys_announced: int = 0
    dates_of_birth_cleared: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(
            self.at,
            self.expired + other.expired,
            self.reminded + other.reminded,
            self.surveys_announced + other.surveys_announced,
            self.dates_of_birth_cleared + other.dates_of_birth_cleared,
        )


class Scheduler(BackgroundLoop):
    name = "mentori-scheduler"

    def __init__(
        self, settings: Settings, engine: AsyncEngine, uow: UnitOfWork, clock: Clock
    ) -> None:
        # Each item is one short transaction: the one in hand finishes well within the grace.
        super().__init__(interval=settings.scheduler_interval_seconds, stop_grace=30, log=log)
        self.settings = settings
        self.engine = engine
        self.uow = uow
        self.clock = clock
        self._in_process = asyncio.Lock()

    async def work(self) -> None:
        await self.run_round(wait=False)

    async def run_round(self, *, wait: bool = True) -> Round | None:
        """One round at the clock's current time. With wait=False it returns None at once if
        another process is doing a round; with wait=True it waits for that one to finish."""
        async with self._exclusive(wait=wait) as ours:
            if not ours:
                return None
            return await self._round(self.clock())

    @contextlib.asynccontextmanager
    async def _exclusive(self, *, wait: bool) -> AsyncIterator[bool]:
        async with self._in_process:
            if self.engine.dialect.name != "postgresql":
                yield True
                return
            async with self.engine.connect() as connection:
                function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
                result = await connection.scalar(
                    text(f"SELECT {function}(:key)"), {"key": ROUND_LOCK}
                )
                ours = wait or bool(result)
                await connection.commit()  # a session lock outlives this; no transaction idles
                try:
                    yield ours
                finally:
                    if ours:
                        await connection.execute(
                            text("SELECT pg_advisory_unlock(:key)"), {"key": ROUND_LOCK}
                        )
                        await connection.commit()

    async def _job(self, what: str, find: Find, do: Do) -> int:
        """One job in one programme: what is due, then each item in a unit of work of its own.
        A failure stops neither the other items nor any other programme's work: it is noted
        (logged when it starts, changes or clears, not every round) and tried again next round.
        Returns the items done (or, clearing dates of birth, the dates cleared)."""
        done, failure = 0, None
        try:
            due = await self.uow.read(find)
        except Exception as error:
            due, failure = [], error
        for item in due:
            if self.stopping:
                break
            try:
                done += int(await self.uow.run(do(item)))
            except Exception as error:
                failure = failure or error
        self.failures.note(what, failure)
        return done

    async def _programme(self, programme_id: int, now: datetime) -> Round:
        async def itself(session: AsyncSession) -> list[int]:
            return [programme_id]

        days = self.settings.date_of_birth_retention_days
        in_programme = f"in programme {programme_id}"
        return Round(
            now,
            expired=await self._job(
                f"request expiry {in_programme}",
                partial(expiry.due_expiries, programme_id=programme_id, now=now),
                lambda item: partial(expiry.expire, request_id=item, now=now),
            ),
            reminded=await self._job(
                f"reminders {in_programme}",
                partial(expiry.due_reminders, programme_id=programme_id, now=now),
                lambda item: partial(expiry.remind, request_id=item, now=now),
            ),
            surveys_announced=await self._job(
                f"survey announcements {in_programme}",
                partial(surveys.due_announcements, programme_id=programme_id, now=now),
                lambda item: partial(_announce, survey_id=item, now=now),
            ),
            dates_of_birth_cleared=await self._job(
                f"clearing dates of birth {in_programme}",
                itself,
                lambda item: partial(
                    personal_data.clear_dates_of_birth, programme_id=item, now=now, after_days=days
                ),
            ),
        )

    async def _round(self, now: datetime) -> Round:
        total = Round(now)
        for programme_id in await self.uow.read(programmes.kept_ids):
            if self.stopping:
                break
            total += await self._programme(programme_id, now)
        if total != Round(now):
            log.info("periodic round: %s", total)
        return total


async def _announce(session: AsyncSession, survey_id: int, *, now: datetime) -> bool:
    return await surveys.announce(session, survey_id, now=now) > 0
