from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from db import demo
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from db.models import Base

# One pytest process starts many apps: freezing its heap at each start would keep earlier
# tests' cyclic garbage forever (and silence its ResourceWarnings). Servers started for a test
# as subprocesses inherit this too.
os.environ.setdefault("GC_TUNED", "false")

from tests.support import (
    Api,
    FakeClock,
    Server,
    drop_postgres_database,
    fresh_postgres_database,
    need,
    running_server,
)

START = datetime(2026, 1, 22, 10, 0, tzinfo=UTC)  # noon in Helsinki, in the request window
KEEP = {"languages", "fields", "alembic_version"}


async def prepare(url: str) -> AsyncEngine:
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
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite')}/mentori.db"
        engine = await prepare(url)
        yield url, engine
        await engine.dispose()
        return
    base = need("PostgreSQL", "TEST_DATABASE_URL")
    name = f"mentori_test_{os.getpid()}"
    url = await fresh_postgres_database(base, name)
    engine = await prepare(url)
    yield url, engine
    await engine.dispose()
    await drop_postgres_database(base, name)


def server_settings(database_url: str, mail_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "broker_url": "memory://",
        "mail_dir": str(mail_dir),
        "mail_poll_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def server(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    url, _ = database
    clock = FakeClock(START)
    settings = server_settings(url, tmp_path_factory.mktemp("mail"))
    async with running_server(settings, clock) as running:
        yield running


@pytest.fixture
async def api(server: Server, database: tuple[str, AsyncEngine]) -> AsyncIterator[Api]:
    await wipe(database[1])
    server.clock.now = START
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield Api(server=server, client=client)


@pytest.fixture
def engine(database: tuple[str, AsyncEngine]) -> AsyncEngine:
    return database[1]


@pytest.fixture
def backend(database: tuple[str, AsyncEngine]) -> str:
    return database[1].dialect.name
