"""Rule 3 (docs/rules.md): contact details reach only the two people of an accepted match,
nobody else, ever."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Match, MentorProfile, StudentProfile
from services.viewer import Viewer


@dataclass(frozen=True, slots=True)
class Counterparts:
    """The profiles the viewer owns, and those they are matched with."""

    own_mentor_ids: frozenset[int]
    own_student_ids: frozenset[int]
    matched_mentor_ids: frozenset[int]
    matched_student_ids: frozenset[int]

    def sees_mentor_contact(self, mentor_id: int) -> bool:
        return mentor_id in self.own_mentor_ids or mentor_id in self.matched_mentor_ids

    def sees_student_contact(self, student_id: int) -> bool:
        return student_id in self.own_student_ids or student_id in self.matched_student_ids


NOBODY = Counterparts(frozenset(), frozenset(), frozenset(), frozenset())


async def counterparts(session: AsyncSession, viewer: Viewer | None) -> Counterparts:
    if viewer is None:
        return NOBODY
    own_mentors = frozenset(
        await session.scalars(
            select(MentorProfile.id).where(MentorProfile.user_id == viewer.user_id)
        )
    )
    own_students = frozenset(
        await session.scalars(
            select(StudentProfile.id).where(StudentProfile.user_id == viewer.user_id)
        )
    )
    pairs = await session.execute(
        select(Match.mentor_id, Match.student_id).where(
            Match.mentor_id.in_(own_mentors) | Match.student_id.in_(own_students)
        )
    )
    matched_mentors: set[int] = set()
    matched_students: set[int] = set()
    for mentor_id, student_id in pairs:
        if student_id in own_students:
            matched_mentors.add(mentor_id)
        if mentor_id in own_mentors:
            matched_students.add(student_id)
    return Counterparts(
        own_mentors, own_students, frozenset(matched_mentors), frozenset(matched_students)
    )
