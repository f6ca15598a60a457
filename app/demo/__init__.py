"""The demo programme: `mentori seed`, `make run`, the bench's seeded databases.

One programme, "Mentoring {year}", whose request round has run for a few days. The programme,
the three demo people (the coordinator, mentor and student the welcome page signs in as) and
the request waiting in the demo mentor's inbox are made through the services, as anyone's
would be: their counters and events come from where the rules live. The generated mentors and
students, and their requests so far (app/demo/activity.py), are written in bulk with SQLAlchemy
Core: through the services a request sent takes some 5 ms and an acceptance 11 ms on
PostgreSQL, minutes for the bench's 50,000 students where the bulk write takes ten seconds.
Their ids are taken up front (from the sequences on PostgreSQL, after ``MAX(id)`` on SQLite,
which holds the write lock for the whole transaction), so related rows can reference each
other without reading anything back.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.demo.activity import Activity
from app.demo.people import COORDINATOR, DemoMentor, DemoStudent, People
from db.demo import DEMO_SUBJECTS, ensure_catalogue
from db.models import (
    Base,
    Field,
    Language,
    Match,
    MentorProfile,
    MentorRequest,
    OutboxMessage,
    Phase,
    Programme,
    Role,
    StudentProfile,
)
from services import events, mentors, programmes, requests, students, users
from services.errors import DomainError
from services.mentors import ProfileInput
from services.roles import RoleSource
from services.students import StudentInput
from services.viewer import Viewer


@dataclass(frozen=True)
class SeedSummary:
    programme_id: int
    mentors: int
    students: int
    requests: int
    matches: int


HELSINKI: Final = ZoneInfo("Europe/Helsinki")
PHASES: Final = (
    (Phase.MENTOR_SIGNUP, -10, 20),
    (Phase.STUDENT_REQUESTS, -3, 20),
    (Phase.BRIEFINGS, 21, 28),
    (Phase.PROGRAMME, 21, 200),
    (Phase.HALFWAY_SURVEY, 110, 124),
    (Phase.FINAL_SURVEY, 190, 210),
)
LIMITS: Final = programmes.Limits(
    student_pending_limit=1,
    mentor_pending_limit=2,
    request_expiry_hours=72,
    reminder_hours_before_expiry=24,
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), HELSINKI).astimezone(UTC)


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    mentors: int = 300,
    students: int = 900,
    now: datetime,
    progress: bool = False,
    seed: int = 2025,
) -> SeedSummary:
    """Create one demo programme, "Mentoring {year}", in a single transaction.

    It holds ``mentors`` generated mentors plus the demo mentor, ``students`` generated students
    plus the demo student, the demo coordinator, and requests and matches. Users whose subject
    already exists are reused. Raises ValueError if the programme exists.
    """

    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if mentors < 1 or students < 1:
        raise ValueError("seed at least one mentor and one student")
    now = now.astimezone(UTC).replace(microsecond=0)
    today = now.astimezone(HELSINKI).date()
    signup_opens = _midnight(today - timedelta(days=10))
    requests_open = _midnight(today - timedelta(days=3))
    bar = _Progress(progress, stages=6)

    with bar.running():
        async with sessions() as session, session.begin():
            bar.stage("Preparing the programme")
            await ensure_catalogue(session)
            programme = await _programme(session, today, signup_opens)
            field_rows = (await session.execute(select(Field.id, Field.name, Field.school))).all()
            people = People(
                rng=random.Random(seed),
                now=now,
                signup_opens=signup_opens,
                requests_open=requests_open,
                fields=[(int(r.id), str(r.name), str(r.school)) for r in field_rows],
                languages=set((await session.scalars(select(Language.code))).all()),
                year=today.year,
            )
            bar.done()

            bar.stage("Generating people")
            people.generate(mentors, students)
            demo_mentor, *generated_mentors = people.mentors
            demo_student, *generated_students = people.students
            await _sign_up_mentor(session, programme, demo_mentor)
            conn = await session.connection()
            ids = _Ids(conn)
            for mentor, mentor_id in zip(
                generated_mentors, await ids.take("mentor_profiles", mentors), strict=True
            ):
                mentor.id = mentor_id
            for student, student_id in zip(
                generated_students, await ids.take("student_profiles", students), strict=True
            ):
                student.id = student_id
            bar.done()

            bar.stage("Generating requests and matches")
            activity = Activity(people, programme, requests_open)
            activity.plan()
            subjects = [m.subject for m in generated_mentors]
            subjects += [s.subject for s in generated_students]
            existing = await _existing_users(conn, subjects)
            user_ids = await ids.take("users", sum(s not in existing for s in subjects))
            rows = activity.finish(existing, iter(user_ids))
            request_ids = await ids.take("requests", len(rows.requests))
            for request_id, request in zip(request_ids, rows.requests, strict=True):
                request["id"] = request_id
            match_ids = await ids.take("matches", len(rows.matches))
            for match_id, match in zip(match_ids, rows.matches, strict=True):
                match["id"] = match_id
                match["request_id"] = match.pop("request")["id"]
            bar.done()

            bar.stage(f"Writing {len(rows.users):,} users")
            await _insert(conn, "users", rows.users)
            await _insert(conn, "user_roles", rows.user_roles)
            bar.done()

            bar.stage(f"Writing {len(rows.mentors) + len(rows.students):,} profiles")
            await _insert(conn, "mentor_profiles", rows.mentors)
            await _insert(conn, "mentor_languages", rows.mentor_languages)
            await _insert(conn, "mentor_fields", rows.mentor_fields)
            await _insert(conn, "mentor_degree_levels", rows.mentor_levels)
            await _insert(conn, "student_profiles", rows.students)
            await _insert(conn, "student_languages", rows.student_languages)
            bar.done()

            bar.stage(f"Writing {len(rows.requests):,} requests")
            await _insert(conn, "requests", rows.requests)
            await _insert(conn, "matches", rows.matches)
            await _sign_up_student(session, programme, demo_student, activity.demo_student_created)
            if activity.inbox is not None:
                asking = activity.inbox.student
                await requests.send(
                    session,
                    Viewer(asking.user_id, Role.STUDENT, asking.name, asking.email),
                    demo_mentor.id,
                    activity.inbox.message,
                    now=activity.inbox.created,
                )
            await events.write_pending(session)
            # The demo's people are made up: the letters the services wrote to them stay unsent.
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.programme_id == programme.id)
            )
            summary = await _summary(session, programme.id)
            bar.done()
    return summary


async def _sign_in(
    session: AsyncSession, *, subject: str, role: Role, name: str, email: str, now: datetime
) -> Viewer:
    """A made-up person signs in as a development token would sign them in."""
    identity = users.Identity(
        subject=subject,
        name=name,
        email=email,
        email_verified=False,
        roles=frozenset({role}),
        source=RoleSource.TOKEN,
    )
    return await users.sign_in_as(session, identity, now=now)


async def _programme(session: AsyncSession, today: date, signup_opens: datetime) -> Programme:
    """The coordinator signs in and creates the programme, a month before today."""
    name, email = COORDINATOR
    coordinator = await _sign_in(
        session,
        subject=DEMO_SUBJECTS["coordinator"],
        role=Role.COORDINATOR,
        name=name,
        email=email,
        now=signup_opens - timedelta(days=20),
    )
    try:
        return await programmes.create(
            session,
            coordinator,
            name=f"Mentoring {today.year}",
            phases=[
                programmes.PhaseDates(
                    phase, today + timedelta(days=opens), today + timedelta(days=closes)
                )
                for phase, opens, closes in PHASES
            ],
            limits=LIMITS,
            timezone=HELSINKI.key,
            now=_midnight(today - timedelta(days=30)) + timedelta(hours=9),
        )
    except DomainError as error:  # a programme of that name already exists
        raise ValueError(error.message) from error


async def _sign_up_mentor(session: AsyncSession, programme: Programme, mentor: DemoMentor) -> None:
    viewer = await _sign_in(
        session,
        subject=mentor.subject,
        role=Role.MENTOR,
        name=mentor.profile["display_name"],
        email=mentor.profile["contact_email"],
        now=mentor.created,
    )
    profile = await mentors.save_profile(
        session,
        viewer,
        programme.id,
        ProfileInput(
            **mentor.profile,
            languages=mentor.languages,
            degree_levels=sorted(mentor.levels),
            field_ids=mentor.fields,
        ),
        create=True,
        now=mentor.created,
    )
    await mentors.set_published(session, viewer, programme.id, published=True, now=mentor.updated)
    mentor.id, mentor.user_id = profile.id, viewer.user_id


async def _sign_up_student(
    session: AsyncSession, programme: Programme, student: DemoStudent, at: datetime
) -> None:
    viewer = await _sign_in(
        session,
        subject=student.subject,
        role=Role.STUDENT,
        name=student.name,
        email=student.email,
        now=at,
    )
    await students.save_profile(
        session,
        viewer,
        programme.id,
        StudentInput(
            degree_level=student.level,
            field_id=student.field_id,
            languages=student.languages,
            international=student.international,
            on_exchange=student.on_exchange,
        ),
        now=at,
    )


async def _summary(session: AsyncSession, programme_id: int) -> SeedSummary:
    async def count(table: type[MentorProfile | StudentProfile | MentorRequest | Match]) -> int:
        query = select(func.count()).where(table.programme_id == programme_id)
        return int(await session.scalar(query) or 0)

    return SeedSummary(
        programme_id=programme_id,
        mentors=await count(MentorProfile),
        students=await count(StudentProfile),
        requests=await count(MentorRequest),
        matches=await count(Match),
    )


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


CHUNK: Final = 5_000


async def _insert(conn: AsyncConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    statement = insert(_table(table))
    for start in range(0, len(rows), CHUNK):
        await conn.execute(statement, list(rows[start : start + CHUNK]))


class _Ids:
    """Hands out primary keys without asking the database row by row."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    async def take(self, table: str, count: int) -> list[int]:
        if count == 0:
            return []
        if self.postgres:
            result = await self.conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table, "n": count},
            )
            return sorted(int(value) for value in result.scalars())
        top = await self.conn.scalar(select(func.max(_table(table).c.id)))
        first = int(top or 0) + 1
        return list(range(first, first + count))


class _Progress:
    def __init__(self, enabled: bool, stages: int) -> None:
        self.enabled = enabled
        self.stages = stages
        self._progress: Progress | None = None
        self._task: Any = None

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if not self.enabled:
            yield self
            return
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn()
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("Seeding demo data", total=self.stages)
            yield self
            progress.update(self._task, description="Demo data ready")

    def stage(self, description: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def done(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)


async def _existing_users(conn: AsyncConnection, subjects: Sequence[str]) -> dict[str, int]:
    """Users that already exist (say, from last year's demo) are reused, not duplicated."""

    users = _table("users")
    if await conn.scalar(select(users.c.id).limit(1)) is None:
        return {}
    found: dict[str, int] = {}
    for start in range(0, len(subjects), 1_000):
        chunk = subjects[start : start + 1_000]
        result = await conn.execute(
            select(users.c.subject, users.c.id).where(users.c.subject.in_(chunk))
        )
        found.update({str(subject): int(user_id) for subject, user_id in result.all()})
    return found
