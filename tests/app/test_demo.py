"""The demo programme as a person meets it: `mentori seed` makes a programme that obeys every rule,
says what it made, and is not made twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from bench import invariants
from db.demo import DEMO_SUBJECTS
from db.engine import create_sessionmaker
from tests.app.test_cli import mentori
from tests.databases import fresh_database

NOW = datetime(2025, 1, 21, 9, 30, tzinfo=UTC)
COUNTS = (
    "SELECT (SELECT COUNT(*) FROM mentor_profiles), (SELECT COUNT(*) FROM student_profiles),"
    " (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM matches)"
)


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(text(sql), params)).all())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_demo_programme_obeys_every_rule(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path, purpose="demo") as (_, engine):
        summary = await demo.seed(create_sessionmaker(engine), mentors=60, students=150, now=NOW)

        async with engine.connect() as connection:
            broken = await invariants.broken_rules(connection, summary.programme_id)
        assert not any(broken.values()), broken
        # Requests in every state, a quarter of the students or so matched.
        statuses = {r.status for r in await _rows(engine, "SELECT status FROM requests")}
        assert statuses == {"ACCEPTED", "PENDING", "REJECTED", "WITHDRAWN", "CLOSED_MENTOR_FULL"}
        assert 0.15 * 150 <= summary.matches <= 0.3 * 150
        # The demo mentor has one request waiting; the demo student is free to ask.
        inbox = await _rows(
            engine,
            "SELECT r.status FROM requests r JOIN mentor_profiles m ON m.id = r.mentor_id"
            " JOIN users u ON u.id = m.user_id WHERE u.subject = :s",
            s=DEMO_SUBJECTS["mentor"],
        )
        assert [r.status for r in inbox] == ["PENDING"]
        student = await _rows(
            engine,
            "SELECT s.pending_count, s.matched FROM student_profiles s"
            " JOIN users u ON u.id = s.user_id WHERE u.subject = :s",
            s=DEMO_SUBJECTS["student"],
        )
        assert [tuple(r) for r in student] == [(0, False)]
        # Everyone holds the role their profile needs, as their sign-up's token granted it.
        roleless = await _rows(
            engine,
            "SELECT u.subject FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles r"
            " WHERE r.user_id = u.id AND r.role = u.role AND r.removed_at IS NULL)",
        )
        assert roleless == []


async def test_seeding_says_what_it_made_and_seeding_if_empty_adds_nothing(
    tmp_path: Path,
) -> None:
    async with fresh_database("sqlite", tmp_path, purpose="demo_cli") as (url, engine):
        done = mentori(tmp_path, "seed", "--mentors", "40", "--students", "100", database_url=url)
        assert done.returncode == 0, done.stderr
        said = re.search(
            r"(\d+) mentors, (\d+) students, (\d+) requests, (\d+) matches", done.stdout
        )
        assert said is not None, done.stdout
        made = tuple((await _rows(engine, COUNTS))[0])
        assert tuple(int(n) for n in said.groups()) == tuple(made)
        assert made[:2] == (41, 101)  # with the demo mentor and student

        again = mentori(tmp_path, "seed", "--if-empty", database_url=url)
        assert again.returncode == 0, again.stderr
        assert "already has a programme" in again.stdout
        assert tuple((await _rows(engine, COUNTS))[0]) == made


async def test_the_same_seed_makes_the_same_people(tmp_path: Path) -> None:
    people = []
    for purpose in ("first", "second"):
        async with fresh_database("sqlite", tmp_path, purpose=purpose) as (_, engine):
            await demo.seed(create_sessionmaker(engine), mentors=30, students=80, now=NOW)
            people.append(await _rows(engine, "SELECT subject, name FROM users ORDER BY subject"))
    assert people[0] == people[1]
    assert len(people[0]) == 3 + 30 + 80
