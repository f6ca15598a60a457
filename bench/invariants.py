"""The programme's rules, checked in SQL after a run: each query counts the rows that break one."""

from __future__ import annotations

from typing import Any

import asyncpg

LIMITS = "(SELECT {column} FROM programmes WHERE id = $1)"
PENDING_OF_MENTOR = (
    "(SELECT count(*) FROM requests r WHERE r.mentor_id = m.id AND r.status = 'PENDING')"
)
PENDING_OF_STUDENT = (
    "(SELECT count(*) FROM requests r WHERE r.student_id = s.id AND r.status = 'PENDING')"
)
RULES = {
    "mentor_over_capacity": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = $1 "
        "AND accepted_count > capacity"
    ),
    "mentor_over_pending_limit": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = $1 AND "
        f"{PENDING_OF_MENTOR} > {LIMITS.format(column='mentor_pending_limit')}"
    ),
    "full_mentor_with_pending": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = $1 "
        f"AND accepted_count >= capacity AND {PENDING_OF_MENTOR} > 0"
    ),
    "mentor_pending_counter_wrong": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = $1 "
        f"AND pending_count <> {PENDING_OF_MENTOR}"
    ),
    "mentor_accepted_counter_wrong": (
        "SELECT count(*) FROM mentor_profiles m WHERE programme_id = $1 AND accepted_count <> "
        "(SELECT count(*) FROM matches x WHERE x.mentor_id = m.id)"
    ),
    "student_over_pending_limit": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = $1 AND "
        f"{PENDING_OF_STUDENT} > {LIMITS.format(column='student_pending_limit')}"
    ),
    "student_pending_counter_wrong": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = $1 "
        f"AND pending_count <> {PENDING_OF_STUDENT}"
    ),
    "student_with_two_matches": (
        "SELECT count(*) FROM (SELECT student_id FROM matches WHERE programme_id = $1 "
        "GROUP BY student_id HAVING count(*) > 1) AS twice"
    ),
    "student_matched_flag_wrong": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = $1 AND matched <> "
        "EXISTS (SELECT 1 FROM matches x WHERE x.student_id = s.id)"
    ),
    "matched_student_with_pending": (
        "SELECT count(*) FROM student_profiles s WHERE programme_id = $1 AND matched "
        f"AND {PENDING_OF_STUDENT} > 0"
    ),
    "match_without_accepted_request": (
        "SELECT count(*) FROM matches x JOIN requests r ON r.id = x.request_id "
        "WHERE x.programme_id = $1 AND r.status <> 'ACCEPTED'"
    ),
    "accepted_request_without_match": (
        "SELECT count(*) FROM requests r WHERE programme_id = $1 AND status = 'ACCEPTED' "
        "AND NOT EXISTS (SELECT 1 FROM matches x WHERE x.request_id = r.id)"
    ),
}


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
    connection = await asyncpg.connect(dsn)
    try:
        rules = {
            name: int(await connection.fetchval(sql, programme_id)) for name, sql in RULES.items()
        }
        rows = await connection.fetch(
            "SELECT kind, count(*) AS n, min(seq) AS first, max(seq) AS last "
            "FROM events WHERE programme_id = $1 AND seq > $2 GROUP BY kind",
            programme_id,
            after_seq,
        )
        latest = int(
            await connection.fetchval(
                "SELECT event_seq FROM programmes WHERE id = $1", programme_id
            )
        )
    finally:
        await connection.close()
    events = {row["kind"]: int(row["n"]) for row in rows}
    written = sum(events.values())
    # Numbered without gaps: every number handed out belongs to exactly one stored event.
    gaps = (latest - after_seq) - written
    return {
        "rules": rules,
        "events": events,
        "event_seq": [after_seq, latest],
        "event_gaps": gaps,
        "violations": sum(rules.values()) + abs(gaps),
    }
