"""The people of a programme as coordinators look them up: mentors and students found by name,
each with their profile in that programme. A person is known by their user id, which is unique
in a programme (one profile per person and programme)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MentorProfile, Role, StudentProfile, User
from services import programmes
from services.text import one_line
from services.viewer import Viewer, require_role

MAX_SEARCH = 200


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    role: Role
    erased: bool
    mentor: MentorProfile | None
    student: StudentProfile | None

    @property
    def id(self) -> int:  # the page's cursor (schema/pagination.py) runs over user ids
        return self.user_id

    @property
    def display_name(self) -> str:
        profile = self.mentor or self.student
        assert profile is not None
        return profile.display_name


async def search(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    *,
    text: str | None,
    role: Role | None,
    first: int,
    after_id: int | None,
    now: datetime,
) -> tuple[list[Person], int, bool]:
    """Mentors and students of a programme whose profile's name holds the text (any letter
    case), in the order they joined Mentori."""
    require_role(viewer, Role.COORDINATOR)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    words = one_line(text or "", field="search", label="search", max_length=MAX_SEARCH).split()
    query = (
        select(User, MentorProfile, StudentProfile)
        .outerjoin(
            MentorProfile,
            and_(MentorProfile.user_id == User.id, MentorProfile.programme_id == programme.id),
        )
        .outerjoin(
            StudentProfile,
            and_(StudentProfile.user_id == User.id, StudentProfile.programme_id == programme.id),
        )
    )
    if role is Role.MENTOR:
        query = query.where(MentorProfile.id.is_not(None))
    elif role is Role.STUDENT:
        query = query.where(StudentProfile.id.is_not(None))
    else:
        query = query.where(or_(MentorProfile.id.is_not(None), StudentProfile.id.is_not(None)))
    name = func.lower(func.coalesce(MentorProfile.display_name, StudentProfile.display_name))
    for word in words:
        query = query.where(name.contains(word.lower(), autoescape=True))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if after_id is not None:
        query = query.where(User.id > after_id)
    rows = (await session.execute(query.order_by(User.id).limit(first + 1))).all()
    people = [
        Person(
            user_id=user.id,
            role=Role.MENTOR if mentor is not None else Role.STUDENT,
            erased=user.erased_at is not None,
            mentor=mentor,
            student=student,
        )
        for user, mentor, student in rows[:first]
    ]
    return people, total, len(rows) > first
