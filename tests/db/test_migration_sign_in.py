"""The migration that lets Mentori own its roles (0008_sign_in) meets a database whose people
each hold the one role their tokens named: afterwards each still holds exactly that role, from
the token, and signs in as before; an erased person holds none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.migrate import upgrade
from db.models import Role, User, UserRole
from services import users
from services.roles import RoleSource
from tests.databases import fresh_database

PEOPLE = (
    ("coordinator-1", Role.COORDINATOR, "Kaisa Koordinaattori", "kaisa@example.edu"),
    ("mentor-1", Role.MENTOR, "Aino Alumni", "aino@example.fi"),
    ("student-1", Role.STUDENT, "Sami Opiskelija", "sami@example.edu"),
)


async def _seed_at_0007(engine: AsyncEngine, now: datetime) -> None:
    async with create_sessionmaker(engine)() as session:
        session.add_all(
            User(subject=subject, role=role, name=name, email=email, created_at=now)
            for subject, role, name, email in PEOPLE
        )
        session.add(
            User(
                subject="erased:4",
                role=Role.STUDENT,
                name="Erased person",
                email="",
                created_at=now,
                erased_at=now,
                erased_subject_digest=users.subject_digest("student-2"),
            )
        )
        await session.commit()


async def test_everyone_keeps_the_role_their_tokens_named_and_the_erased_hold_none(
    backend: str, tmp_path: Path
) -> None:
    async with fresh_database(backend, tmp_path, purpose="upgrade", migrated=False) as (_, engine):
        await upgrade(engine, "0007_mentor_hidden")
        now = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
        await _seed_at_0007(engine, now)

        await upgrade(engine, "0008_sign_in")

        async with create_sessionmaker(engine)() as session:
            held = (
                await session.execute(
                    select(User.subject, UserRole.role, UserRole.source, UserRole.granted_at)
                    .join(UserRole, UserRole.user_id == User.id)
                    .order_by(User.subject)
                )
            ).all()
            assert [tuple(row) for row in held] == [
                (subject, role, RoleSource.TOKEN, now) for subject, role, _, _ in PEOPLE
            ]

            # Each signs in with their token as before, in the same role and no other.
            later = now + timedelta(days=1)
            for subject, role, name, email in PEOPLE:
                identity = users.Identity(
                    subject=subject,
                    name=name,
                    email=email,
                    email_verified=False,
                    roles=frozenset({role}),
                    source=RoleSource.TOKEN,
                    issued_at=later,
                )
                viewer = await users.sign_in_as(session, identity, now=later)
                assert (viewer.role, viewer.roles) == (role, frozenset({role}))
            rows = await session.scalars(select(UserRole))
            assert len(rows.all()) == len(PEOPLE)
