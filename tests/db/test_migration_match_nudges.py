"""The migration that records nudges (0006_match_nudges) meets a database with a programme under
way: its matches and their meetings are kept, and no pair counts as reminded yet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import column, insert, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.migrate import upgrade
from db.models import (
    DegreeLevel,
    Match,
    Meeting,
    MentorProfile,
    MentorRequest,
    Programme,
    RequestStatus,
    Role,
    StudentProfile,
    User,
    UTCDateTime,
)
from services import nudges
from services.viewer import Viewer
from tests.databases import fresh_database
from tests.db.rows import insert_row


async def _seed_at_0005(engine: AsyncEngine, now: datetime) -> tuple[int, int]:
    """A programme with one match that has met once, written as 0005 knew the tables."""
    async with create_sessionmaker(engine)() as session:
        programme = Programme(name="Mentoring 2025", created_at=now, event_seq=0)
        mentor_user = User(
            subject="mentor-1", role=Role.MENTOR, name="Aino", email="a@example.fi", created_at=now
        )
        student_user = User(
            subject="student-1",
            role=Role.STUDENT,
            name="Sami",
            email="s@example.edu",
            created_at=now,
        )
        coordinator = User(
            subject="coordinator-1",
            role=Role.COORDINATOR,
            name="Kaisa",
            email="k@example.edu",
            created_at=now,
        )
        session.add_all([programme, mentor_user, student_user, coordinator])
        await session.flush()
        mentor_id = await insert_row(
            session,
            MentorProfile,
            programme_id=programme.id,
            user_id=mentor_user.id,
            display_name="Aino",
            contact_email="a@example.fi",
            accepted_count=1,
            created_at=now,
            updated_at=now,
        )
        student = StudentProfile(
            programme_id=programme.id,
            user_id=student_user.id,
            display_name="Sami",
            degree_level=DegreeLevel.MASTERS,
            contact_email="s@example.edu",
            matched=True,
            created_at=now,
            updated_at=now,
        )
        session.add(student)
        await session.flush()
        request = MentorRequest(
            programme_id=programme.id,
            student_id=student.id,
            mentor_id=mentor_id,
            status=RequestStatus.ACCEPTED,
            created_at=now,
            decided_at=now,
        )
        session.add(request)
        await session.flush()
        ids = (programme.id, mentor_id, student.id, request.id, coordinator.id)
        await session.commit()
    programme_id, mentor_id, student_id, request_id, coordinator_id = ids
    matches = table(
        "matches",
        column("id"),
        column("programme_id"),
        column("request_id"),
        column("student_id"),
        column("mentor_id"),
        column("created_at", UTCDateTime()),
    )
    meetings = table(
        "meetings",
        column("programme_id"),
        column("match_id"),
        column("met_on"),
        column("note"),
        column("recorded_by"),
        column("created_at", UTCDateTime()),
    )
    async with engine.begin() as connection:
        await connection.execute(
            insert(matches).values(
                id=41,
                programme_id=programme_id,
                request_id=request_id,
                student_id=student_id,
                mentor_id=mentor_id,
                created_at=now,
            )
        )
        await connection.execute(
            insert(meetings).values(
                programme_id=programme_id,
                match_id=41,
                met_on=date(2025, 2, 3),
                note="Talked CVs.",
                recorded_by="STUDENT",
                created_at=now,
            )
        )
    return 41, coordinator_id


async def test_matches_and_meetings_are_kept_and_no_pair_counts_as_nudged(
    backend: str, tmp_path: Path
) -> None:
    async with fresh_database(backend, tmp_path, purpose="upgrade", migrated=False) as (_, engine):
        await upgrade(engine, "0005")
        now = datetime(2025, 1, 22, 10, 0, tzinfo=UTC)
        match_id, coordinator_id = await _seed_at_0005(engine, now)

        await upgrade(engine)

        async with create_sessionmaker(engine)() as session:
            [match] = (await session.scalars(select(Match))).all()
            assert (match.id, match.created_at, match.nudged_at) == (match_id, now, None)
            [meeting] = (await session.scalars(select(Meeting))).all()
            assert (meeting.match_id, meeting.met_on, meeting.note) == (
                match_id,
                date(2025, 2, 3),
                "Talked CVs.",
            )
            # The pair may be reminded at once, and the reminder is recorded.
            later = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
            viewer = Viewer(coordinator_id, Role.COORDINATOR, "Kaisa", "k@example.edu")
            nudge = await nudges.nudge(session, viewer, match_id, now=later)
            assert nudge.match.nudged_at == later
