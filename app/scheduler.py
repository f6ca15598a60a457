"""The periodic tasks, run inside every server process: request expiry and reminders (rule 9),
survey announcements (rule 10) and the clearing of dates of birth.

Several processes may run this at once. On PostgreSQL a round first takes a session advisory
lock, so one process does the work while the others skip that round (the lock dies with its
connection if the process does). Each item then runs in a unit of work of its own, guarded by
a conditional UPDATE, so even without the lock (SQLite has one writer anyway) a request expires
once and every reminder or announcement is written once. Time comes from the app's clock, so
tests move a fake clock and run a round directly instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.background import BackgroundLoop
from app.clock import Clock
from app.settings import Settings
from app.unit_of_work import UnitOfWork
from services import expiry, personal_data, surveys

log = logging.getLogger("mentori.scheduler")
T = TypeVar("T")

# pg_advisory_lock key: "mentori" in ASCII, so it is recognisable in pg_locks.
ROUND_LOCK = 0x6D656E746F7269


@dataclass(frozen=True, slots=True)
class Round:
    at: datetime
    expired: int = 0
    reminded: int = 0
    surveys_announced: int = 0
    dates_of_birth_cleared: int = 0


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

    async def _each(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T | None:
        """One item, one unit of work: a failure is logged and the round goes on."""
        try:
            return await self.uow.run(operation)
        except Exception:
            log.exception("a periodic task item failed; it is retried next round")
            return None

    async def _round(self, now: datetime) -> Round:
        due = await self.uow.read(lambda s: expiry.due(s, now=now))
        expired = reminded = announced = 0
        for request_id in due.expiries:
            if self.stopping:
                break
            expired += bool(
                await self._each(partial(expiry.expire, request_id=request_id, now=now))
            )
        for request_id in due.reminders:
            if self.stopping:
                break
            reminded += bool(
                await self._each(partial(expiry.remind, request_id=request_id, now=now))
            )
        for survey_id in await self.uow.read(lambda s: surveys.due_announcements(s, now=now)):
            announced += bool(
                await self._each(partial(surveys.announce, survey_id=survey_id, now=now))
            )
        cleared = await self._each(
            lambda s: personal_data.clear_dates_of_birth(
                s, now=now, after_days=self.settings.date_of_birth_retention_days
            )
        )
        outcome = Round(now, expired, reminded, announced, cleared or 0)
        if expired or reminded or announced or cleared:
            log.info("periodic round: %s", outcome)
        return outcome
