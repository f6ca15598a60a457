"""Databases for tests: a fresh one of a test's own (SQLite or PostgreSQL), migrated as in
production, emptied between tests, and read back as a person checking the data would."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db import demo
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from db.models import Base, Event, OutboxMessage
from tests.environment import need

# What the migrations ship, kept between tests.
KEEP = {"languages", "fields", "alembic_version"}


@asynccontextmanager
async def fresh_database(
    kind: str, folder: Path | None = None, *, purpose: str = "test", migrated: bool = True
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of its own, dropped afterwards: a SQLite file in `folder`, or a PostgreSQL
    database beside TEST_DATABASE_URL. Migrated and with the catalogue, as `mentori serve`
    leaves it, unless `migrated=False` (then empty)."""
    name = f"mentori_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    base = None
    if kind == "sqlite":
        assert folder is not None, "a SQLite database needs a folder"
        url = f"sqlite+aiosqlite:///{folder}/{name}.db"
    else:
        base = need("PostgreSQL", "TEST_DATABASE_URL")
        await _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _postgres(base, f'CREATE DATABASE "{name}"')
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = await prepare(url) if migrated else create_engine(url)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        if base is not None:
            await _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _postgres(base_url: str, statement: str) -> None:
    """Run one statement on the server's `postgres` database (trust or password auth)."""
    url = make_url(base_url)
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def prepare(url: str) -> AsyncEngine:
    """An engine on the database, migrated and with the catalogue (languages, fields), as the
    server's start leaves it."""
    engine = create_engine(url)
    await upgrade(engine)
    async with create_sessionmaker(engine)() as session:
        await demo.ensure_catalogue(session)
        await session.commit()
    return engine


async def wipe(engine: AsyncEngine) -> None:
    """Empty every table but the catalogue, between tests. Ids keep counting up, as they do in
    production, so no test sees another's programme id (and its event sequence) again."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    # A server still at work on the database (a kept one's mail resuming, the event tail) may
    # hold one table while TRUNCATE holds another: PostgreSQL then ends one of the two, and
    # the wipe, all or nothing, is simply done again.
    for attempt in range(5):
        try:
            async with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                else:
                    for table in tables:
                        await connection.execute(text(f"DELETE FROM {table}"))
            return
        except DBAPIError as error:
            if "deadlock detected" not in str(error) or attempt == 4:
                raise


async def dump(engine: AsyncEngine) -> str:
    """Every value of every column of every table, as text: what a full dump would show."""

    def tables(connection: Any) -> list[str]:
        return sorted(inspect(connection).get_table_names())

    lines = []
    async with engine.connect() as connection:
        for table in await connection.run_sync(tables):
            for row in await connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


async def outbox(engine: AsyncEngine, kind: str | None = None) -> list[OutboxMessage]:
    """The mail written so far (of one kind), in order."""
    async with create_sessionmaker(engine)() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))


async def logged(engine: AsyncEngine, kind: str) -> list[dict[str, Any]]:
    """The payloads of the event log's events of one kind, in order."""
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id))
        return [row.payload for row in rows]
