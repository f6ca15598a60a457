"""What db/engine.py relies on in SQLAlchemy's aiosqlite adapter: the DBAPI connection handed to
a "connect" listener takes `isolation_level = None` (so "begin" can issue BEGIN IMMEDIATE) and
`create_function(..., deterministic=True)` (SQLite's lower() for every alphabet)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from db.engine import create_engine


async def test_engine_aiosqlite_connection_takes_the_connect_hooks(tmp_path: Path) -> None:
    """db/engine.py: `_serialise_sqlite_writes` sets these on the adapted connection."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}")
    try:
        async with engine.begin() as connection:
            lowered = await connection.scalar(text("SELECT lower('ÅSTRÖM')"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            raw = await connection.get_raw_connection()
            isolation_level = raw.dbapi_connection.isolation_level  # type: ignore[union-attr]
    finally:
        await engine.dispose()
    assert lowered == "åström"
    assert foreign_keys == 1
    assert isolation_level is None
