"""One unit of work per operation: the service runs, its events are numbered and written, the
transaction commits in this one place, and only then are the events published."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.events import EventHub
from services import events

T = TypeVar("T")
log = logging.getLogger("mentori.uow")

# PostgreSQL's serialization failure and deadlock: the database chose this transaction to undo;
# running it again is safe because nothing of it was kept.
RETRYABLE = {"40001", "40P01"}
ATTEMPTS = 4


def _sqlstate(error: DBAPIError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: EventHub,
        *,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.hub = hub
        self.after_commit = after_commit

    async def run(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            async with self.sessions() as session:
                try:
                    result = await operation(session)
                    written = await events.write_pending(session)
                    await session.commit()
                except DBAPIError as error:
                    await session.rollback()
                    events.discard(session)
                    if _sqlstate(error) in RETRYABLE and attempt < ATTEMPTS:
                        log.info("retrying after %s (attempt %d)", _sqlstate(error), attempt)
                        await asyncio.sleep(0.005 * attempt)
                        continue
                    raise
                except BaseException:
                    await session.rollback()
                    events.discard(session)
                    raise
            await self.hub.publish(written)
            if self.after_commit is not None:
                self.after_commit()
            return result
        raise AssertionError("unreachable")

    async def read(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self.sessions() as session:
            return await operation(session)
