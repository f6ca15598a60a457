"""The demo-data builder: a live-looking programme whose every counter agrees with its rows."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.demo import DEMO_SUBJECTS, SeedSummary, is_empty, seed
from db.engine import create_engine, create_sessionmaker
from tests.support import need

NOW = datetime(2025, 1, 21, 9, 30, tzinfo=UTC)
PG_NAME = f"mentori_demo_test_{os.getpid()}"


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def _one(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    rows = await _rows(engine, sql, **params)
    assert len(rows) == 1, rows
    return rows[0]


async def _seed_and_check(engine: AsyncEngine) -> SeedSummary:
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        assert await is_empty(session)
    summary = await seed(sessions, mentors=60, students=150, now=NOW)
    async with sessions() as session:
        assert not await is_empty(session)
    await _check(engine, summary)
    with pytest.raises(ValueError, match="already exists"):
        await seed(sessions, mentors=5, students=5, now=NOW)
    return summary


async def _check(engine: AsyncEngine, summary: SeedSummary) -> None:
    pid = summary.programme_id
    # The summary counts what is there: the generated people plus the demo mentor and student.
    assert summary.mentors == 61
    assert summary.students == 151
    counts = await _one(
        engine,
        "SELECT (SELECT COUNT(*) FROM mentor_profiles WHERE programme_id = :p),"
        " (SELECT COUNT(*) FROM student_profiles WHERE programme_id = :p),"
        " (SELECT COUNT(*) FROM requests WHERE programme_id = :p),"
        " (SELECT COUNT(*) FROM matches WHERE programme_id = :p)",
        p=pid,
    )
    assert tuple(counts) == (summary.mentors, summary.students, summary.requests, summary.matches)
    assert 0.15 * 150 <= summary.matches <= 0.3 * 150

    programme = await _one(
        engine,
        "SELECT name, timezone, student_pending_limit, mentor_pending_limit,"
        " request_expiry_hours, reminder_hours_before_expiry, event_seq"
        " FROM programmes WHERE id = :p",
        p=pid,
    )
    assert tuple(programme) == ("Mentoring 2025", "Europe/Helsinki", 1, 2, 72, 24, 1)
    events = await _rows(engine, "SELECT seq, kind FROM events WHERE programme_id = :p", p=pid)
    assert [tuple(e) for e in events] == [(1, "PROGRAMME_CHANGED")]
    phases = {
        str(r.phase): (str(r.opens_on), str(r.closes_on))
        for r in await _rows(
            engine,
            "SELECT phase, opens_on, closes_on FROM programme_phases WHERE programme_id = :p",
            p=pid,
        )
    }
    assert phases["MENTOR_SIGNUP"] == ("2025-01-11", "2025-02-10")
    assert phases["STUDENT_REQUESTS"] == ("2025-01-18", "2025-02-10")
    assert phases["PROGRAMME"] == ("2025-02-11", "2025-08-09")
    assert len(phases) == 6
    assert (await _one(engine, "SELECT COUNT(*) FROM languages"))[0] == 14
    assert (await _one(engine, "SELECT COUNT(*) FROM fields"))[0] >= 25

    # Mentors: counters agree with rows, nobody over capacity or over the pending limit,
    # and a full mentor has nothing pending.
    mentors = await _rows(
        engine,
        "SELECT m.id, m.capacity, m.accepted_count, m.pending_count, m.status,"
        " (SELECT COUNT(*) FROM matches x WHERE x.mentor_id = m.id) AS matches,"
        " (SELECT COUNT(*) FROM requests r WHERE r.mentor_id = m.id"
        "   AND r.status = 'PENDING') AS pending"
        " FROM mentor_profiles m WHERE m.programme_id = :p",
        p=pid,
    )
    for m in mentors:
        assert m.accepted_count == m.matches <= m.capacity, m
        assert m.pending_count == m.pending <= 2, m
        if m.accepted_count == m.capacity:
            assert m.pending == 0, m
        if m.status != "PUBLISHED":
            assert m.matches == 0, m
            assert m.pending == 0, m
    assert any(m.capacity == 2 for m in mentors)
    assert any(m.capacity == 1 for m in mentors)

    # Students: the same, from their side.
    students = await _rows(
        engine,
        "SELECT s.id, s.pending_count, s.matched,"
        " (SELECT COUNT(*) FROM matches x WHERE x.student_id = s.id) AS matches,"
        " (SELECT COUNT(*) FROM requests r WHERE r.student_id = s.id"
        "   AND r.status = 'PENDING') AS pending"
        " FROM student_profiles s WHERE s.programme_id = :p",
        p=pid,
    )
    for s in students:
        assert s.pending_count == s.pending <= 1, s
        assert bool(s.matched) == (s.matches == 1), s
        assert s.matches <= 1, s
        if s.matched:
            assert s.pending == 0, s
    assert sum(1 for s in students if s.pending) >= 10

    # Every match stands on an accepted request between the same two people.
    bad = await _rows(
        engine,
        "SELECT x.id FROM matches x JOIN requests r ON r.id = x.request_id"
        " WHERE r.status != 'ACCEPTED' OR r.student_id != x.student_id"
        "  OR r.mentor_id != x.mentor_id",
    )
    assert bad == []
    accepted = await _one(engine, "SELECT COUNT(*) FROM requests WHERE status = 'ACCEPTED'")
    assert accepted[0] == summary.matches

    # Pending requests go to published mentors who take the student's degree level.
    bad = await _rows(
        engine,
        "SELECT r.id FROM requests r"
        " JOIN mentor_profiles m ON m.id = r.mentor_id"
        " JOIN student_profiles s ON s.id = r.student_id"
        " WHERE r.status = 'PENDING' AND (m.status != 'PUBLISHED' OR NOT EXISTS ("
        "  SELECT 1 FROM mentor_degree_levels d"
        "  WHERE d.mentor_id = m.id AND d.degree_level = s.degree_level))",
    )
    assert bad == []

    # The history: each kind present, reasons where they belong, times in order.
    statuses = {
        r.status: r.n
        for r in await _rows(engine, "SELECT status, COUNT(*) AS n FROM requests GROUP BY status")
    }
    for status in ("ACCEPTED", "PENDING", "REJECTED", "WITHDRAWN", "CLOSED_MENTOR_FULL"):
        assert statuses.get(status, 0) > 0, statuses
    requests = await _rows(
        engine,
        "SELECT r.student_id, r.status, r.reason, r.created_at, r.decided_at,"
        " m.capacity, m.accepted_count"
        " FROM requests r JOIN mentor_profiles m ON m.id = r.mentor_id"
        " ORDER BY r.student_id, r.created_at",
    )
    by_student: dict[int, list[Any]] = {}
    for r in requests:
        created = _aware(r.created_at)
        decided = _aware(r.decided_at) if r.decided_at is not None else None
        assert created <= NOW
        if r.status == "PENDING":
            assert decided is None
            assert NOW - created <= timedelta(hours=72)
        else:
            assert decided is not None
            assert created <= decided <= NOW
        if r.status == "REJECTED":
            assert r.reason
        if r.status == "CLOSED_MENTOR_FULL":
            assert r.reason == "mentor is full"
            assert r.accepted_count == r.capacity
        by_student.setdefault(r.student_id, []).append((created, decided))
    for history in by_student.values():
        # One request at a time: each ended before the next began.
        for (_, decided), (created, _) in itertools.pairwise(history):
            assert decided is not None
            assert decided <= created

    # The demo users.
    users = {
        r.subject: r
        for r in await _rows(
            engine,
            "SELECT subject, role, name, email FROM users WHERE subject IN (:a, :b, :c)",
            a=DEMO_SUBJECTS["student"],
            b=DEMO_SUBJECTS["mentor"],
            c=DEMO_SUBJECTS["coordinator"],
        )
    }
    assert users[DEMO_SUBJECTS["coordinator"]].role == "COORDINATOR"
    assert users[DEMO_SUBJECTS["mentor"]].role == "MENTOR"
    assert users[DEMO_SUBJECTS["student"]].role == "STUDENT"
    demo_mentor = await _one(
        engine,
        "SELECT m.id, m.status, m.capacity, m.accepted_count, m.pending_count"
        " FROM mentor_profiles m JOIN users u ON u.id = m.user_id WHERE u.subject = :s",
        s=DEMO_SUBJECTS["mentor"],
    )
    assert (demo_mentor.status, demo_mentor.capacity) == ("PUBLISHED", 2)
    assert (demo_mentor.accepted_count, demo_mentor.pending_count) == (0, 1)
    languages = await _rows(
        engine, "SELECT language_code FROM mentor_languages WHERE mentor_id = :m", m=demo_mentor.id
    )
    assert {r.language_code for r in languages} == {"fi", "en", "sv"}
    levels = await _rows(
        engine,
        "SELECT degree_level FROM mentor_degree_levels WHERE mentor_id = :m",
        m=demo_mentor.id,
    )
    assert {r.degree_level for r in levels} == {"MASTERS", "DOCTORAL"}
    demo_student = await _one(
        engine,
        "SELECT s.id, s.degree_level, s.international, s.pending_count, s.matched, f.name"
        " FROM student_profiles s JOIN users u ON u.id = s.user_id"
        " JOIN fields f ON f.id = s.field_id WHERE u.subject = :s",
        s=DEMO_SUBJECTS["student"],
    )
    assert demo_student.degree_level == "MASTERS"
    assert demo_student.name == "Computer Science"
    assert demo_student.international
    assert not demo_student.matched
    assert demo_student.pending_count == 0
    assert (
        await _rows(engine, "SELECT id FROM requests WHERE student_id = :s", s=demo_student.id)
        == []
    )

    # Plausible people.
    names = [r.name for r in await _rows(engine, "SELECT name FROM users")]
    assert len({name.split()[-1] for name in names}) > 20
    assert any(not name.isascii() for name in names)
    assert all(len(name.split()) >= 2 for name in names)
    emails = [r.email for r in await _rows(engine, "SELECT email FROM users")]
    assert all(email.isascii() and "@" in email for email in emails)
    assert sum(e.endswith("@students.example.edu") for e in emails) == summary.students
    international = await _one(
        engine, "SELECT AVG(CASE WHEN international THEN 1.0 ELSE 0.0 END) FROM student_profiles"
    )
    assert 0.3 < float(international[0]) < 0.7

    # Ids were taken properly: the database hands out fresh ones afterwards.
    async with engine.begin() as conn:
        top = (await conn.execute(text("SELECT MAX(id) FROM users"))).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO users (subject, role, name, email, created_at)"
                " VALUES ('late-comer', 'STUDENT', 'Late Comer', 'l@example.com', :t)"
            ),
            {"t": NOW if engine.dialect.name != "sqlite" else NOW.replace(tzinfo=None)},
        )
        new = (
            await conn.execute(text("SELECT id FROM users WHERE subject = 'late-comer'"))
        ).scalar_one()
        assert new > top
        await conn.execute(text("DELETE FROM users WHERE subject = 'late-comer'"))


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite through a text() query
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_seed_on_sqlite(sqlite_engine: AsyncEngine, tmp_path: Path) -> None:
    summary = await _seed_and_check(sqlite_engine)

    # The same seed gives the same people.
    again = create_engine(f"sqlite+aiosqlite:///{tmp_path}/again.db")
    try:
        await migrate.upgrade(again)
        other = await seed(create_sessionmaker(again), mentors=60, students=150, now=NOW)
        assert (other.requests, other.matches) == (summary.requests, summary.matches)
        sql = "SELECT subject, name FROM users ORDER BY subject"
        assert await _rows(again, sql) == await _rows(sqlite_engine, sql)
    finally:
        await again.dispose()


@pytest.mark.asyncio
async def test_seed_on_postgresql() -> None:
    url = make_url(need("PostgreSQL", "TEST_DATABASE_URL"))
    admin = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {PG_NAME}")
        engine = create_engine(url.set(database=PG_NAME).render_as_string(hide_password=False))
        try:
            await _seed_and_check(engine)
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        await admin.close()
