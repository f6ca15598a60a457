"""The migration that lets coordinators hide a mentor (0007_mentor_hidden) meets a database with a
programme under way: its mentors keep their profiles, counts and requests, none counts as hidden,
and a coordinator can hide one at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.migrate import upgrade
from db.models import (
    DegreeLevel,
    Match,
    MentorProfile,
    MentorRequest,
    ProfileStatus,
    Programme,
    RequestStatus,
    Role,
    StudentProfile,
    User,
)
from services import mentor_hiding
from services.viewer import Viewer
from tests.databases import fresh_database
from tests.db.rows import insert_row


async def _seed_at_0006(engine: AsyncEngine, now: datetime) -> tuple[int, int]:
    """A published mentor of two places with one mentee and one student waiting, written as
    0006 knew the tables."""
    async with create_sessionmaker(engine)() as session:
        programme = Programme(name="Mentoring 2025", created_at=now, event_seq=0)
        people = [
            User(subject=s, role=r, name=n, email=e, created_at=now)
            for s, r, n, e in (
                ("mentor-1", Role.MENTOR, "Aino", "a@example.fi"),
                ("student-1", Role.STUDENT, "Sami", "s@example.edu"),
                ("student-2", Role.STUDENT, "Olli", "o@example.edu"),
                ("coordinator-1", Role.COORDINATOR, "Kaisa", "k@example.edu"),
            )
        ]
        session.add_all([programme, *people])
        await session.flush()
        mentor_user, sami_user, olli_user, coordinator = people
        mentor_id = await insert_row(
            session,
            MentorProfile,
            programme_id=programme.id,
            user_id=mentor_user.id,
            status=ProfileStatus.PUBLISHED,
            display_name="Aino",
            headline="Product lead",
            contact_email="a@example.fi",
            capacity=2,
            accepted_count=1,
            pending_count=1,
            created_at=now,
            updated_at=now,
        )
        sami, olli = (
            StudentProfile(
                programme_id=programme.id,
                user_id=user.id,
                display_name=user.name,
                degree_level=DegreeLevel.MASTERS,
                contact_email=user.email,
                matched=matched,
                pending_count=0 if matched else 1,
                created_at=now,
                updated_at=now,
            )
            for user, matched in ((sami_user, True), (olli_user, False))
        )
        session.add_all([sami, olli])
        await session.flush()
        accepted, waiting = (
            MentorRequest(
                programme_id=programme.id,
                student_id=student.id,
                mentor_id=mentor_id,
                status=status,
                created_at=now,
                decided_at=now if status is RequestStatus.ACCEPTED else None,
            )
            for student, status in ((sami, RequestStatus.ACCEPTED), (olli, RequestStatus.PENDING))
        )
        session.add_all([accepted, waiting])
        await session.flush()
        session.add(
            Match(
                programme_id=programme.id,
                request_id=accepted.id,
                student_id=sami.id,
                mentor_id=mentor_id,
                created_at=now,
            )
        )
        await session.commit()
        return mentor_id, coordinator.id


async def test_mentors_are_kept_none_counts_as_hidden_and_one_can_be_hidden_at_once(
    backend: str, tmp_path: Path
) -> None:
    async with fresh_database(backend, tmp_path, purpose="upgrade", migrated=False) as (_, engine):
        await upgrade(engine, "0006_match_nudges")
        now = datetime(2025, 1, 22, 10, 0, tzinfo=UTC)
        mentor_id, coordinator_id = await _seed_at_0006(engine, now)

        await upgrade(engine)

        async with create_sessionmaker(engine)() as session:
            mentor = await session.get(MentorProfile, mentor_id)
            assert mentor is not None
            assert (mentor.display_name, mentor.headline, mentor.status) == (
                "Aino",
                "Product lead",
                ProfileStatus.PUBLISHED,
            )
            assert (mentor.capacity, mentor.accepted_count, mentor.pending_count) == (2, 1, 1)
            assert (mentor.hidden_by_coordinator_at, mentor.hidden_reason) == (None, None)

            later = datetime(2025, 1, 23, 9, 0, tzinfo=UTC)
            viewer = Viewer(coordinator_id, Role.COORDINATOR, "Kaisa", "k@example.edu")
            hidden = await mentor_hiding.hide(
                session, viewer, mentor_id, "Identity check failed.", now=later
            )
            assert (hidden.status, hidden.hidden_by_coordinator_at) == (
                ProfileStatus.WITHDRAWN,
                later,
            )
            statuses = await session.execute(
                select(MentorRequest.status, MentorRequest.reason).order_by(MentorRequest.id)
            )
            assert list(statuses) == [
                (RequestStatus.ACCEPTED, None),
                (RequestStatus.REJECTED, mentor_hiding.HIDDEN_REASON),
            ]
            assert len((await session.scalars(select(Match))).all()) == 1
