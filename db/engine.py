"""Engines and sessions for PostgreSQL (asyncpg) and the embedded SQLite file (aiosqlite)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
) -> AsyncEngine:
    """Without timeouts, a PostgreSQL that stops answering holds each caller for a minute
    (asyncpg's connect timeout) or for ever; the server passes its settings' timeouts."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One connection, handed from one transaction to the next by the pool (in the order
        # they asked): with every transaction taking SQLite's write lock up front, a second
        # connection could only wait on the lock inside SQLite (sleeping, while the event loop
        # cannot tell), or deadlock on it; the pool's queue can do neither. Other processes
        # (the CLI) still meet the lock, and SQLite's busy timeout.
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=1,
            max_overflow=0,
            pool_timeout=statement_timeout or 30,
            connect_args={"timeout": 30},
        )
        _serialise_sqlite_writes(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if statement_timeout is not None:
        connect_args["command_timeout"] = statement_timeout  # the pool's pre-ping too
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # A request that waits longer than a statement may take for a connection gets none
        # soon: told UNAVAILABLE rather than queued for SQLAlchemy's default 30 s.
        pool_timeout=statement_timeout or 30,
        connect_args=connect_args,
    )


# PostgreSQL's SQLSTATEs of a server that cannot serve now: class 08 (connection exception),
# too many connections, a statement cancelled (statement_timeout), and shutting down or
# starting up.
UNAVAILABLE_SQLSTATES = ("08", "53300", "57014", "57P01", "57P02", "57P03")


def is_unavailable(error: BaseException) -> bool:
    """Whether the database failed to answer (refused, timed out, went away) rather than
    refused what was asked: the same request may well succeed in a moment."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | TimeoutError | socket.gaierror | PoolTimeout):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return True
        current = current.__cause__ or current.__context__
    return False


def _serialise_sqlite_writes(engine: AsyncEngine) -> None:
    """SQLite has no row locks: every transaction takes the write lock up front (BEGIN IMMEDIATE)
    so that the programme's check-and-write steps can never interleave."""

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # SQLite's own lower() folds only ASCII; names like Öhman or Åström must match too.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def read(
    sessions: async_sessionmaker[AsyncSession], operation: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    async def reading() -> T:
        async with sessions() as session:
            return await operation(session)

    return await to_the_end(reading())


_finishing: set[asyncio.Task[Any]] = set()


async def to_the_end(transaction: Coroutine[Any, Any, T]) -> T:
    """Run a transaction to its commit or rollback even if its caller is cancelled (a client
    went away, a subscription ended). Cut in half, it would leave its connection to be thrown
    away mid-transaction; on SQLite, a connection that is never closed keeps the write lock it
    took at BEGIN IMMEDIATE, and every later transaction waits for it in vain."""
    task = asyncio.ensure_future(transaction)
    if task.done():
        return task.result()
    _finishing.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def _finished(task: asyncio.Task[Any]) -> None:
    _finishing.discard(task)
    if not task.cancelled():
        task.exception()  # told to the caller, if it still waits; else nobody needs it
