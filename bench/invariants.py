"""The programme's rules, checked against what is stored: each query counts the rows that break
one rule (every count should be 0). One checker for the bench after a burst and for the tests
(after races, and of the demo data), on PostgreSQL or SQLite."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

LIMITS = "(SELECT {column} FROM programmes WHERE id = :programme)"
PENDING_OF_MENTOR = (
    "(SELECT count(*) FROM requests r WHERE r.mentor_id = m.id AND r.status = 'PENDING')"
)
PENDING_OF_STUDENT = (
    "(SELECT count(*) FROM requests r WHERE r.student_id = s.id AND r.status = 'PENDING')"
)
RULES = {
    "mentor_over_capacity": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = :programme "
        "AND accepted_count > capacity"
    ),
    "mentor_over_pending_limit": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = :programme AND "
        f"{PENDING_OF_MENTOR} > {LIMITS.format(column='mentor_pending_limit')}"
    ),
    "full_mentor_with_pending": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = :programme "
        f"AND accepted_count >= capacity AND {PENDING_OF_MENTOR} > 0"
    ),
    "mentor_pending_counter_wrong": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = :programme "
        f"AND pending_count <> {PENDING_OF_MENTOR}"
    ),
    "mentor_accepted_counter_wrong": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = :programme "
        "AND accepted_count <> (SELECT count(*) FROM matches x WHERE x.mentor_id = m.id)"
    ),
    "student_over_pending_limit": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = :programme AND "
        f"{PENDING_OF_STUDENT} > {LIMITS.format(column='student_pending_limit')}"
    ),
    "student_pending_counter_wrong": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = :programme "
        f"AND pending_count <> {PENDING_OF_STUDENT}"
    ),
    "student_with_two_matches": (
        "SELECT count(*) FROM (SELECT student_id FROM matches WHERE programme_id = :programme "
        "GROUP BY student_id HAVING count(*) > 1) AS twice"
    ),
    "student_matched_flag_wrong": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = :programme AND matched <> "
        "EXISTS (SELECT 1 FROM matches x WHERE x.student_id = s.id)"
    ),
    "matched_student_with_pending": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = :programme AND matched "
        f"AND {PENDING_OF_STUDENT} > 0"
    ),
    # A match stands on an accepted request between the same two people.
    "match_without_accepted_request": (
        "SELECT count(*) FROM matches x JOIN requests r ON r.id = x.request_id "
        "WHERE x.programme_id = :programme AND (r.status <> 'ACCEPTED' "
        "OR r.student_id <> x.student_id OR r.mentor_id <> x.mentor_id)"
    ),
    "accepted_request_without_match": (
        "SELECT count(*) FROM requests r WHERE programme_id = :programme "
        "AND status = 'ACCEPTED' AND NOT EXISTS (SELECT 1 FROM matches x WHERE x.request_id = r.id)"
    ),
}


async def broken_rules(connection: AsyncConnection, programme_id: int) -> dict[str, int]:
    """How many rows break each rule in the programme (all 0 when the rules hold)."""
    return {
        name: int((await connection.execute(text(sql), {"programme": programme_id})).scalar_one())
        for name, sql in RULES.items()
    }


async def event_log(
    connection: AsyncConnection, programme_id: int, *, after_seq: int = 0
) -> tuple[dict[str, int], int, int]:
    """The events written after `after_seq` (how many of each kind), the programme's latest
    number, and the gaps: numbers handed out that no stored event carries (0 when every number
    belongs to exactly one event; the log holds each number once)."""
    rows = await connection.execute(
        text(
            "SELECT kind, count(*) AS n FROM events "
            "WHERE programme_id = :programme AND seq > :after GROUP BY kind"
        ),
        {"programme": programme_id, "after": after_seq},
    )
    events = {str(kind): int(n) for kind, n in rows.all()}
    latest = int(
        (
            await connection.execute(
                text("SELECT event_seq FROM programmes WHERE id = :programme"),
                {"programme": programme_id},
            )
        ).scalar_one()
    )
    return events, latest, (latest - after_seq) - sum(events.values())


async def event_seq(dsn: str, programme_id: int) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT event_seq FROM programmes WHERE id = $1", programme_id
            )
        )
    finally:
        await connection.close()


async def events_since(
    dsn: str, programme_id: int, after_seq: int
) -> tuple[dict[int, str], dict[int, int]]:
    """The events after `after_seq` (seq -> kind), and each mentor's latest availability change
    (mentor id -> seq)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT seq, kind, payload->>'mentorId' AS mentor FROM events "
            "WHERE programme_id = $1 AND seq > $2 ORDER BY seq",
            programme_id,
            after_seq,
        )
    finally:
        await connection.close()
    latest = {
        int(r["mentor"]): int(r["seq"]) for r in rows if r["kind"] == "MENTOR_AVAILABILITY_CHANGED"
    }
    return {int(r["seq"]): str(r["kind"]) for r in rows}, latest


async def check(dsn: str, programme_id: int, *, after_seq: int) -> dict[str, Any]:
    """Rule violations (each should be 0) and the events written since `after_seq`."""
    url = make_url(dsn).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rules = await broken_rules(connection, programme_id)
            events, latest, gaps = await event_log(connection, programme_id, after_seq=after_seq)
    finally:
        await engine.dispose()
    return {
        "rules": rules,
        "events": events,
        "event_seq": [after_seq, latest],
        "event_gaps": gaps,
        "violations": sum(rules.values()) + abs(gaps),
    }
