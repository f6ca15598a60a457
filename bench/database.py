"""The bench database: seeded once into a template per size, copied fresh for every run, so each
run starts from the same state and a seeded size is reused until its request window closes."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from app import demo
from db.engine import create_engine, create_sessionmaker
from db.migrate import alembic_config, upgrade

# The demo programme's request window closes 20 days after seeding; re-seed well before.
REUSE_FOR = timedelta(days=14)
WORKING = "mentori_bench"


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    url: str  # postgresql+asyncpg://… of the working copy
    dsn: str  # the same, for asyncpg.connect
    programme_id: int
    seeded_at: datetime
    reused: bool
    seed_seconds: float


def _dsn(url: str, database: str) -> str:
    u = make_url(url).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


def _sqlalchemy_url(url: str, database: str) -> str:
    u = make_url(url).set(drivername="postgresql+asyncpg", database=database)
    return u.render_as_string(hide_password=False)


def _head() -> str:
    """The schema's revision and the demo's code: a template made by other code is not reused."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    code = hashlib.sha256()
    for path in sorted(Path(demo.__file__).parent.glob("*.py")):
        code.update(path.read_bytes())
    return f"{head}:{code.hexdigest()[:12]}"


async def _marker(admin: asyncpg.Connection, name: str) -> dict[str, object] | None:
    raw = await admin.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
    )
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _seed_template(server_url: str, name: str, mentors: int, students: int) -> None:
    admin = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    engine = create_engine(_sqlalchemy_url(server_url, name), pool_size=2)
    try:
        await upgrade(engine)
        summary = await demo.seed(
            create_sessionmaker(engine),
            mentors=mentors,
            students=students,
            now=datetime.now(UTC),
            progress=True,
        )
    finally:
        await engine.dispose()
    marker = {
        "mentors": mentors,
        "students": students,
        "programme_id": summary.programme_id,
        "seeded_at": datetime.now(UTC).isoformat(),
        "revision": _head(),
    }
    seeded = await asyncpg.connect(_dsn(server_url, name))
    try:
        # Planner statistics, as a database in use has them (autovacuum would gather them at
        # some moment of a run, changing plans under it); copies of the template keep them.
        await seeded.execute("ANALYZE")
    finally:
        await seeded.close()
    admin = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        # The template is read-only from here on: every run works on a copy of it.
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(marker)}'")
    finally:
        await admin.close()


async def prepare(
    server_url: str, *, mentors: int, students: int, working: str = WORKING
) -> BenchDatabase:
    """A fresh working copy of the seeded template for this size (seeding it if needed)."""
    template = f"{working}_seed_{mentors}_{students}"
    started = time.perf_counter()
    admin = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        marker = await _marker(admin, template)
    finally:
        await admin.close()
    fresh = (
        marker is not None
        and marker.get("revision") == _head()
        and datetime.now(UTC) - datetime.fromisoformat(str(marker["seeded_at"])) < REUSE_FOR
    )
    if not fresh:
        await _seed_template(server_url, template, mentors, students)
    seed_seconds = time.perf_counter() - started
    admin = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        marker = await _marker(admin, template)
        assert marker is not None
        await admin.execute(f'DROP DATABASE IF EXISTS "{working}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{working}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return BenchDatabase(
        url=_sqlalchemy_url(server_url, working),
        dsn=_dsn(server_url, working),
        programme_id=int(str(marker["programme_id"])),
        seeded_at=datetime.fromisoformat(str(marker["seeded_at"])),
        reused=fresh,
        seed_seconds=seed_seconds,
    )


async def drop(server_url: str, *names: str) -> None:
    admin = await asyncpg.connect(_dsn(server_url, "postgres"))
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
