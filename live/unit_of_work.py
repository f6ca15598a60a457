"""One unit of work per operation: the service runs, its events are numbered and written, the
transaction commits in this one place, and only then are the events published (and the people
it erased signed out of every process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import read, to_the_end
from live.hub import EventHub
from services import events, users
from services.viewer import Viewer

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
    __slots__ = ("after_commit", "hub", "sessions", "viewer")  # one per WebSocket connection

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
        self.viewer: Viewer | None = None

    def acting_for(self, viewer: Viewer) -> UnitOfWork:
        """This unit of work for a signed-in person's operations: each first checks that the
        person was not erased meanwhile (services/users.py)."""
        acting = UnitOfWork(self.sessions, self.hub, after_commit=self.after_commit)
        acting.viewer = viewer
        return acting

    async def run(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await to_the_end(self._run(operation))

    async def _run(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            async with self.sessions() as session:
                try:
                    if self.viewer is not None:
                        await users.require_not_erased(session, self.viewer)
                    result = await operation(session)
                    written = await events.write_pending(session)
                    signed_out = users.signed_out_by(session)
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
            if signed_out:
                await self.hub.sign_out(signed_out)
            if self.after_commit is not None:
                self.after_commit()
            return result
        raise AssertionError("unreachable")

    async def read(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await read(self.sessions, operation)
